"""The Fiat-Shamir transcript of folding: a Poseidon sponge over the commitment curve's base field.

Instances of an Fr shape commit on BN254 G1, whose coordinates are in Fq; instances of an Fq
shape commit on Grumpkin, with coordinates in Fr. The transcript runs over that base field
(``transcript_field``), where the circuit that verifies the fold computes natively, so the
circuit recomputes every challenge with its Poseidon gadget and no non-native hashing.

Encoding of what is absorbed, fixed project-wide (the in-circuit verifier replicates it):

* the sponge is ``Sponge(F, domain_tag(label), t=5)`` over the transcript field F, with the
  label ``"novanode/nifs/v1"`` for NIFS (``crypto.poseidon`` gives the padding and phase rule);
* a point is two elements, its affine (x, y); the identity is (0, 0), which is on neither curve;
* a scalar of the shape's field (non-native to F) is two elements, its canonical value's low
  128 bits and then its high bits (value = low + 2^128·high, high below 2^126 as both moduli are
  below 2^254): each is below both moduli, so canonical in F, and the pair names the value;
* the shape digest (32 bytes) is one element: its first 31 bytes read little-endian, i.e. the
  SHA-256 digest's low 248 bits, below both moduli;
* a relaxed instance is comm_W, comm_E (points), u (scalar), then X[0], X[1], ... (scalars);
  a fresh instance is absorbed as the relaxed instance it is (comm_E = identity, u = 1), so
  both fold kinds share one encoding;
* a challenge is one squeezed element reduced to its low 128 bits, which is below both moduli
  and so a valid scalar in either field, and costs the circuit one 128-bit decomposition.
"""

from __future__ import annotations

from typing import Final

from crypto.circuit.shape import R1CSShape
from crypto.errors import NonCanonicalEncodingError, WrongLengthError
from crypto.field import FQ, FR, PrimeField
from crypto.folding.relaxed import RelaxedInstance
from crypto.group import CurvePoint
from crypto.poseidon import FieldName, Sponge, domain_tag

NIFS_LABEL: Final = "novanode/nifs/v1"
"""The domain label of the NIFS transcript."""

SPONGE_WIDTH: Final = 5
CHALLENGE_BITS: Final = 128
HALF_BITS: Final = 128
SCALAR_BITS: Final = 254
DIGEST_ELEMENT_BYTES: Final = 31


def transcript_field(shape_field: PrimeField) -> PrimeField:
    """The base field of the curve committing ``shape_field`` vectors: Fq for Fr, Fr for Fq."""
    return FQ if shape_field is FR else FR


def scalar_halves(value: int) -> list[int]:
    """A non-native scalar (an int in [0, 2^254), as every element of either field is) as
    [low, high]: its low 128 bits and the 126 above them, value = low + 2^128·high."""
    if not 0 <= value < 1 << SCALAR_BITS:
        raise NonCanonicalEncodingError(f"{value} does not fit in {SCALAR_BITS} bits")
    return [value & ((1 << HALF_BITS) - 1), value >> HALF_BITS]


def point_elements(point: CurvePoint) -> list[int]:
    """A point as its affine (x, y); the identity as (0, 0)."""
    if point.is_identity():
        return [0, 0]
    x, y = point.x, point.y
    assert x is not None and y is not None
    return [x, y]


def digest_element(digest: bytes) -> int:
    """A 32-byte shape digest as one element: its low 248 bits (first 31 bytes, little-endian)."""
    if len(digest) != 32:
        raise WrongLengthError(f"a shape digest is 32 bytes, got {len(digest)}")
    return int.from_bytes(digest[:DIGEST_ELEMENT_BYTES], "little")


def instance_elements(shape_field: PrimeField, instance: RelaxedInstance) -> list[int]:
    """The transcript elements of a relaxed instance of ``shape_field``: comm_W (x, y),
    comm_E (x, y), u (2 halves), then each X[i] (2 halves), 4 + 2·(1 + len(X)) in all."""
    elements = point_elements(instance.comm_W) + point_elements(instance.comm_E)
    for name, value in (("u", instance.u), *((f"X[{i}]", x) for i, x in enumerate(instance.X))):
        if not 0 <= value < shape_field.modulus:
            raise NonCanonicalEncodingError(
                f"{name} ({value}) is not an element of {shape_field.name} (an int in [0, p))"
            )
        elements += scalar_halves(value)
    return elements


class Transcript:
    """Absorbs a protocol's messages in the fixed encoding and squeezes 128-bit challenges."""

    def __init__(self, shape_field: PrimeField, label: str) -> None:
        """A transcript for instances of ``shape_field``, domain-separated by ``label``."""
        self.shape_field = shape_field
        self.field = transcript_field(shape_field)
        name: FieldName = "Fq" if self.field is FQ else "Fr"
        self._sponge = Sponge(name, domain_tag(label), SPONGE_WIDTH)

    def absorb_digest(self, digest: bytes) -> None:
        self._sponge.absorb([digest_element(digest)])

    def absorb_point(self, point: CurvePoint) -> None:
        self._sponge.absorb(point_elements(point))

    def absorb_scalar(self, value: int) -> None:
        """A scalar of the shape's field, as its halves (it must be canonical there)."""
        if not 0 <= value < self.shape_field.modulus:
            raise NonCanonicalEncodingError(
                f"{value} is not an element of {self.shape_field.name} (an int in [0, p))"
            )
        self._sponge.absorb(scalar_halves(value))

    def absorb_instance(self, instance: RelaxedInstance) -> None:
        """comm_W, comm_E, u, X[0], X[1], ... (see ``instance_elements``)."""
        self._sponge.absorb(instance_elements(self.shape_field, instance))

    def challenge(self) -> int:
        """The low 128 bits of the next squeezed element."""
        (element,) = self._sponge.squeeze(1)
        return element & ((1 << CHALLENGE_BITS) - 1)


def nifs_transcript(shape: R1CSShape) -> Transcript:
    """A NIFS transcript for ``shape`` with the shape digest already absorbed."""
    transcript = Transcript(shape.field, NIFS_LABEL)
    transcript.absorb_digest(shape.digest)
    return transcript
