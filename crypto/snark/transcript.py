"""The Fiat-Shamir transcript of the compressed SNARK: SHA-256 over labelled, length-prefixed bytes.

Unlike folding's Poseidon transcript (``crypto.folding.transcript``), this one is never
recomputed inside a circuit, so it hashes bytes: it is field-agnostic, fast in Python and easy
to re-implement. The state is a 32-byte SHA-256 chaining value; every operation replaces it:

    absorb(label, data):
        state = SHA-256(state ‖ 0x00 ‖ u8(len(label)) ‖ label ‖ u64_le(len(data)) ‖ data)
    challenge(label, F):
        block_k = SHA-256(state ‖ 0x01 ‖ u8(len(label)) ‖ label ‖ u8(k))  for k = 0, 1
        c = int_le(block_0 ‖ block_1) mod p_F;  state = SHA-256(state ‖ 0x02 ‖ block_0)

with the initial state SHA-256(b"novanode/snark-transcript/v1" ‖ u8(len(label)) ‖ label) of the
protocol's label. A challenge is a uniform field element up to a bias below 2^-250 (512 bits
reduced mod a 254-bit prime). Scalars are absorbed as 32-byte little-endian canonical
encodings, points as their 32-byte compressed encodings (``crypto.group``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from crypto.errors import NonCanonicalEncodingError
from crypto.field import PrimeField, Vector
from crypto.group import CurvePoint

TRANSCRIPT_DOMAIN: Final = b"novanode/snark-transcript/v1"

_ABSORB: Final = b"\x00"
_SQUEEZE: Final = b"\x01"
_RATCHET: Final = b"\x02"


def _label(label: bytes) -> bytes:
    if len(label) > 255:
        raise ValueError(f"a transcript label is at most 255 bytes, got {len(label)}")
    return bytes([len(label)]) + label


class SnarkTranscript:
    """Absorbs labelled messages and squeezes field challenges (see the module docstring)."""

    __slots__ = ("_state",)

    def __init__(self, label: bytes) -> None:
        self._state = hashlib.sha256(TRANSCRIPT_DOMAIN + _label(label)).digest()

    def absorb_bytes(self, label: bytes, data: bytes) -> None:
        """Absorbs ``data`` under ``label``."""
        self._state = hashlib.sha256(
            self._state + _ABSORB + _label(label) + len(data).to_bytes(8, "little") + data
        ).digest()

    def absorb_scalar(self, label: bytes, field: PrimeField, value: int) -> None:
        """Absorbs one canonical element of ``field``."""
        self.absorb_bytes(label, _scalar_bytes(field, value))

    def absorb_scalars(self, label: bytes, field: PrimeField, values: Iterable[int]) -> None:
        """Absorbs canonical elements of ``field`` as one message."""
        self.absorb_bytes(label, b"".join(_scalar_bytes(field, v) for v in values))

    def absorb_vector(self, label: bytes, field: PrimeField, vector: Vector) -> None:
        """Absorbs a field vector as one message (its canonical bytes)."""
        self.absorb_bytes(label, field.to_bytes(field.check(vector)))

    def absorb_point(self, label: bytes, point: CurvePoint) -> None:
        """Absorbs a point's 32-byte compressed encoding."""
        self.absorb_bytes(label, point.to_bytes())

    def absorb_points(self, label: bytes, points: Iterable[CurvePoint]) -> None:
        """Absorbs points as one message (concatenated compressed encodings)."""
        self.absorb_bytes(label, b"".join(p.to_bytes() for p in points))

    def challenge(self, label: bytes, field: PrimeField) -> int:
        """A uniform element of ``field``, bound to everything absorbed so far."""
        prefix = self._state + _SQUEEZE + _label(label)
        block_0 = hashlib.sha256(prefix + b"\x00").digest()
        block_1 = hashlib.sha256(prefix + b"\x01").digest()
        self._state = hashlib.sha256(self._state + _RATCHET + block_0).digest()
        return int.from_bytes(block_0 + block_1, "little") % field.modulus

    def challenges(self, label: bytes, field: PrimeField, n: int) -> list[int]:
        """``n`` challenges, squeezed one after the other under ``label``."""
        return [self.challenge(label, field) for _ in range(n)]


def _scalar_bytes(field: PrimeField, value: int) -> bytes:
    if not 0 <= value < field.modulus:
        raise NonCanonicalEncodingError(
            f"{value} is not an element of {field.name} (an int in [0, p)): cannot absorb it"
        )
    return value.to_bytes(32, "little")
