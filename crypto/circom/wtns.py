"""Reader and writer of circom's binary witness, `.wtns` version 2 (the iden3 format).

A witness is the full wire vector z of one circuit execution, z[0] = 1. It is validated as
strictly as the constraint system: the declared count must match the section that holds the
values, and every value must be a canonical BN254 scalar.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.circom.binfile import (
    BN254_SCALAR_PRIME,
    FIELD_BYTES,
    FILE_HEADER_BYTES,
    SECTION_HEADER_BYTES,
    read_sections,
    require_section,
)
from crypto.circom.r1cs import MAX_WIRES, R1CSFile
from crypto.errors import (
    ConstantWireError,
    LimitExceededError,
    NonCanonicalValueError,
    WireCountMismatchError,
    WrongPrimeError,
)

MAGIC = b"wtns"
VERSION = 2

HEADER, VALUES = 1, 2
_SECTION_NAMES = {HEADER: "header", VALUES: "witness values"}
_HEADER_BYTES = 4 + FIELD_BYTES + 4


@dataclass(frozen=True)
class Witness:
    """The wire values of one circuit execution, canonical integers in [0, prime)."""

    prime: int
    values: tuple[int, ...]

    def __post_init__(self) -> None:
        for i, value in enumerate(self.values):
            if not 0 <= value < self.prime:
                raise NonCanonicalValueError(f"witness value {i} is {value}, not in [0, prime)")

    def check_against(self, r1cs: R1CSFile) -> None:
        """Require that this witness can be a wire assignment of `r1cs`: same field, one value
        per wire, and the constant wire equal to 1. (Satisfaction is `first_unsatisfied`'s job.)"""
        if self.prime != r1cs.prime:
            raise WrongPrimeError(
                f"witness over the field of {self.prime}, circuit over that of {r1cs.prime}"
            )
        if len(self.values) != r1cs.n_wires:
            raise WireCountMismatchError(
                f"witness has {len(self.values)} values but the circuit has {r1cs.n_wires} wires"
            )
        if self.values[0] != 1:
            raise ConstantWireError(f"witness wire 0 is {self.values[0]}, must be the constant 1")


def wtns_size(n_values: int) -> int:
    """The length of the `.wtns` file of `n_values` values as `encode_wtns` writes it (no
    extra sections): what a reader can bound a witness of a known circuit by before parsing."""
    return FILE_HEADER_BYTES + 2 * SECTION_HEADER_BYTES + _HEADER_BYTES + n_values * FIELD_BYTES


def load_wtns(path: str | Path) -> Witness:
    """Read and validate a `.wtns` file."""
    return parse_wtns(Path(path).read_bytes())


def parse_wtns(data: bytes) -> Witness:
    """Parse and validate the bytes of a `.wtns` file (raises a `CircomFormatError` subclass)."""
    sections = read_sections(data, MAGIC, VERSION, _SECTION_NAMES)
    header = require_section(data, sections, HEADER, _SECTION_NAMES, "wtns")
    header.require(_HEADER_BYTES, "the end of the header")
    prime = header.prime()
    n_values = header.u32("the witness count")
    header.finish()
    if n_values > MAX_WIRES:
        raise LimitExceededError(f".wtns declares {n_values} values; at most {MAX_WIRES} accepted")

    body = require_section(data, sections, VALUES, _SECTION_NAMES, "wtns")
    if body.remaining != n_values * FIELD_BYTES:
        raise WireCountMismatchError(
            f".wtns header declares {n_values} values but its values section holds "
            f"{body.remaining} bytes, not {n_values * FIELD_BYTES} ({FIELD_BYTES} per value)"
        )
    raw = body.take(body.remaining, "the values")
    values = tuple(
        int.from_bytes(raw[at : at + FIELD_BYTES], "little")
        for at in range(0, len(raw), FIELD_BYTES)
    )
    return Witness(prime, values)  # which checks each value is canonical


def encode_wtns(witness: Witness) -> bytes:
    """The `.wtns` v2 bytes of `witness`, as circom's generator writes them."""
    if witness.prime != BN254_SCALAR_PRIME:
        raise WrongPrimeError("only witnesses over the BN254 scalar field can be written")
    n = len(witness.values)
    header = (
        FIELD_BYTES.to_bytes(4, "little")
        + BN254_SCALAR_PRIME.to_bytes(FIELD_BYTES, "little")
        + n.to_bytes(4, "little")
    )
    body = b"".join(v.to_bytes(FIELD_BYTES, "little") for v in witness.values)
    return b"".join(
        [
            MAGIC,
            VERSION.to_bytes(4, "little"),
            (2).to_bytes(4, "little"),
            HEADER.to_bytes(4, "little"),
            len(header).to_bytes(8, "little"),
            header,
            VALUES.to_bytes(4, "little"),
            len(body).to_bytes(8, "little"),
            body,
        ]
    )
