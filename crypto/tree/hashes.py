"""The two state hashes that chain a tree node's proofs (docs/tree-nova.md §3.2, §4).

    h1(node) = H1(d_S, ctx, a, b, z_a, z_b, U2)   over Fr: the statement and the secondary running
                                               instance, computed by the primary circuit P
    h2(node) = H2(d_P, U1)                        over Fq: the primary running instance, computed
                                               by the secondary circuit S

Both are the transcript's Poseidon sponge (t = 5) under their own labels, absorbing elements in
`crypto.folding.transcript`'s encodings (a digest or ctx as its low 248 bits, an instance as
`instance_elements`), squeezed once and truncated to the low 250 bits. A truncated hash is below
2^250 < r < q: canonical in both fields with the same limbs, so it can be a public input of
either curve's circuit and be passed through unchanged.

The in-circuit versions (`h1_bits`, `h2_bits`) absorb exactly the same elements and return the
hash's 250 bits, from a strict decomposition of the squeezed element: the canonical integer's,
so they equal the native value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from crypto.circuit.gadgets.bits import to_bits
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.gadgets.nifs_verifier import AllocatedRelaxedInstance
from crypto.circuit.gadgets.poseidon import Sponge as SpongeGadget
from crypto.circuit.lc import LCLike
from crypto.circuit.system import ConstraintSystem
from crypto.errors import FieldMismatchError, NonCanonicalEncodingError
from crypto.field import FQ, FR, PrimeField
from crypto.folding.relaxed import RelaxedInstance
from crypto.folding.transcript import SPONGE_WIDTH, digest_element, instance_elements
from crypto.poseidon import Sponge, domain_tag

H1_LABEL: Final = "novanode/tree/h1/v1"
H2_LABEL: Final = "novanode/tree/h2/v1"
HASH_BITS: Final = 250
"""Hashes keep their low 250 bits (microsoft/Nova's NUM_HASH_BITS): below both moduli."""

_HASH_MASK: Final = (1 << HASH_BITS) - 1


def h1(
    d_S: bytes,
    ctx: bytes,
    a: int,
    b: int,
    z_a: Sequence[int],
    z_b: Sequence[int],
    U2: RelaxedInstance,
) -> int:
    """H1(d_S, ctx, a, b, z_a, z_b, U2) over Fr, truncated: binds a node's statement to its
    secondary running instance (an instance of the Fq shape S)."""
    _check_fr("a, b, z_a and z_b", [a, b, *z_a, *z_b])
    sponge = Sponge("Fr", domain_tag(H1_LABEL), SPONGE_WIDTH)
    sponge.absorb([digest_element(d_S), digest_element(ctx), a, b, *z_a, *z_b])
    sponge.absorb(instance_elements(FQ, U2))
    return sponge.squeeze(1)[0] & _HASH_MASK


def h2(d_P: bytes, U1: RelaxedInstance) -> int:
    """H2(d_P, U1) over Fq, truncated: binds a node's primary running instance (an instance
    of the Fr shape P)."""
    sponge = Sponge("Fq", domain_tag(H2_LABEL), SPONGE_WIDTH)
    sponge.absorb([digest_element(d_P), *instance_elements(FR, U1)])
    return sponge.squeeze(1)[0] & _HASH_MASK


def h1_bits(
    cs: ConstraintSystem,
    d_S: LCLike,
    ctx: LCLike,
    a: LCLike,
    b: LCLike,
    z_a: Sequence[LCLike],
    z_b: Sequence[LCLike],
    U2: AllocatedRelaxedInstance,
    name: str = "h1",
) -> list[Boolean]:
    """`h1` in an Fr circuit, as its 250 little-endian bits; `d_S` and `ctx` are the
    elements `digest_element` gives."""
    _check_circuit_field(cs, FR, "h1")
    with cs.namespace(name):
        sponge = SpongeGadget(cs, domain_tag(H1_LABEL), SPONGE_WIDTH)
        sponge.absorb([d_S, ctx, a, b, *z_a, *z_b])
        sponge.absorb(U2.hash_elements())
        return _truncated(cs, sponge)


def h2_bits(
    cs: ConstraintSystem, d_P: LCLike, U1: AllocatedRelaxedInstance, name: str = "h2"
) -> list[Boolean]:
    """`h2` in an Fq circuit, as its 250 little-endian bits."""
    _check_circuit_field(cs, FQ, "h2")
    with cs.namespace(name):
        sponge = SpongeGadget(cs, domain_tag(H2_LABEL), SPONGE_WIDTH)
        sponge.absorb([d_P, *U1.hash_elements()])
        return _truncated(cs, sponge)


def _truncated(cs: ConstraintSystem, sponge: SpongeGadget) -> list[Boolean]:
    (element,) = sponge.squeeze(1)
    return to_bits(cs, element, cs.modulus.bit_length(), "bits")[:HASH_BITS]


def _check_fr(what: str, values: Sequence[int]) -> None:
    if any(not 0 <= v < FR.modulus for v in values):
        raise NonCanonicalEncodingError(f"{what} must be elements of Fr (ints in [0, r))")


def _check_circuit_field(cs: ConstraintSystem, field: PrimeField, what: str) -> None:
    if cs.field is not field:
        raise FieldMismatchError(
            f"{what} is computed in a circuit over {field.name}, not {cs.field.name}"
        )


__all__ = ["H1_LABEL", "H2_LABEL", "HASH_BITS", "h1", "h1_bits", "h2", "h2_bits"]
