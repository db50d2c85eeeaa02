"""Reader of circom's binary constraint system, `.r1cs` version 1 (the iden3 format).

The result is plain, validated Python data: every count is bounded by the bytes that back it before
it is trusted, every wire index lies inside the circuit and every coefficient is a canonical BN254
scalar, so later stages (shape digests, the kernel's CSR) can take it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, NoReturn

from crypto.circom.binfile import (
    BN254_SCALAR_PRIME,
    FIELD_BYTES,
    Cursor,
    read_sections,
    require_section,
)
from crypto.circom.csr import CSRMatrix
from crypto.errors import (
    CustomGatesError,
    LabelIndexError,
    LimitExceededError,
    NonCanonicalValueError,
    WireCountMismatchError,
    WireIndexError,
)

MAGIC = b"r1cs"
VERSION = 1

MAX_WIRES = 1 << 28
"""Most wires accepted: far beyond any step circuit Nova folds here, and it keeps indices in u32."""

MAX_CONSTRAINTS = 1 << 28
"""Most constraints accepted, for the same reason."""

HEADER, CONSTRAINTS, WIRE_TO_LABEL, CUSTOM_GATES_LIST, CUSTOM_GATES_USES = 1, 2, 3, 4, 5
_SECTION_NAMES = {
    HEADER: "header",
    CONSTRAINTS: "constraints",
    WIRE_TO_LABEL: "wire-to-label map",
    CUSTOM_GATES_LIST: "custom gates list",
    CUSTOM_GATES_USES: "custom gates application",
}
_HEADER_BYTES = 4 + FIELD_BYTES + 4 * 4 + 8 + 4
_TERM_BYTES = 4 + FIELD_BYTES
_CONSTRAINT_MIN_BYTES = 3 * 4  # three empty linear combinations

Term = tuple[int, int]
"""(wire index, coefficient) of one term of a linear combination."""

LinearCombination = tuple[Term, ...]
"""Sparse linear combination over the wires, sorted by wire, each wire at most once."""


class Constraint(NamedTuple):
    """One R1CS constraint ⟨a, z⟩ · ⟨b, z⟩ = ⟨c, z⟩ over the wire vector z."""

    a: LinearCombination
    b: LinearCombination
    c: LinearCombination


@dataclass(frozen=True)
class R1CSFile:
    """A validated circom constraint system.

    Wire order is circom's: wire 0 is the constant 1, then `n_pub_out` public outputs, `n_pub_in`
    public inputs, `n_prv_in` private inputs, then internal wires.
    """

    prime: int
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    n_labels: int
    constraints: tuple[Constraint, ...]
    wire_to_label: tuple[int, ...]

    @property
    def n_constraints(self) -> int:
        return len(self.constraints)

    def to_csr(self) -> tuple[CSRMatrix, CSRMatrix, CSRMatrix]:
        """A, B and C as `n_constraints × n_wires` CSR matrices (rows = constraints)."""
        rows = self.constraints
        return (
            _csr([row.a for row in rows], self.n_wires),
            _csr([row.b for row in rows], self.n_wires),
            _csr([row.c for row in rows], self.n_wires),
        )


def _csr(rows: list[LinearCombination], n_cols: int) -> CSRMatrix:
    indptr = [0]
    indices: list[int] = []
    values: list[int] = []
    for row in rows:
        for wire, coeff in row:
            indices.append(wire)
            values.append(coeff)
        indptr.append(len(indices))
    return CSRMatrix(len(rows), n_cols, tuple(indptr), tuple(indices), tuple(values))


def load_r1cs(path: str | Path) -> R1CSFile:
    """Read and validate a `.r1cs` file."""
    return parse_r1cs(Path(path).read_bytes())


def parse_r1cs(data: bytes) -> R1CSFile:
    """Parse and validate the bytes of a `.r1cs` file (raises a `CircomFormatError` subclass)."""
    sections = read_sections(data, MAGIC, VERSION, _SECTION_NAMES)
    for kind in (CUSTOM_GATES_LIST, CUSTOM_GATES_USES):
        if kind in sections:
            raise CustomGatesError(
                "the circuit uses PLONK custom gates (pragma custom_templates); their constraints "
                "are not in R1CS form, so Nova cannot fold it"
            )

    header = require_section(data, sections, HEADER, _SECTION_NAMES, "r1cs")
    header.require(_HEADER_BYTES, "the end of the header")
    prime = header.prime()
    n_wires = header.u32("the wire count")
    n_pub_out = header.u32("the public output count")
    n_pub_in = header.u32("the public input count")
    n_prv_in = header.u32("the private input count")
    n_labels = header.u64("the label count")
    n_constraints = header.u32("the constraint count")
    header.finish()
    _check_counts(n_wires, n_pub_out, n_pub_in, n_prv_in, n_labels, n_constraints)

    wire_map = require_section(data, sections, WIRE_TO_LABEL, _SECTION_NAMES, "r1cs")
    if wire_map.remaining != 8 * n_wires:
        raise WireCountMismatchError(
            f".r1cs header declares {n_wires} wires but its wire-to-label map holds "
            f"{wire_map.remaining} bytes, not {8 * n_wires} (8 per wire)"
        )
    raw = wire_map.take(8 * n_wires, "the labels")
    wire_to_label = tuple(
        int.from_bytes(raw[at : at + 8], "little") for at in range(0, len(raw), 8)
    )
    for wire, label in enumerate(wire_to_label):
        if label >= n_labels:
            raise LabelIndexError(
                f".r1cs wire {wire} maps to label {label}, beyond the {n_labels} labels declared"
            )

    body = require_section(data, sections, CONSTRAINTS, _SECTION_NAMES, "r1cs")
    # Bound the count by the bytes before building anything from it.
    body.require(n_constraints * _CONSTRAINT_MIN_BYTES, f"{n_constraints} constraints")
    constraints = tuple(_read_constraint(body, i, n_wires) for i in range(n_constraints))
    body.finish()

    return R1CSFile(
        prime=prime,
        n_wires=n_wires,
        n_pub_out=n_pub_out,
        n_pub_in=n_pub_in,
        n_prv_in=n_prv_in,
        n_labels=n_labels,
        constraints=constraints,
        wire_to_label=wire_to_label,
    )


def _check_counts(
    n_wires: int, n_pub_out: int, n_pub_in: int, n_prv_in: int, n_labels: int, n_constraints: int
) -> None:
    if n_wires > MAX_WIRES:
        raise LimitExceededError(f".r1cs declares {n_wires} wires; at most {MAX_WIRES} accepted")
    if n_constraints > MAX_CONSTRAINTS:
        raise LimitExceededError(
            f".r1cs declares {n_constraints} constraints; at most {MAX_CONSTRAINTS} accepted"
        )
    named = 1 + n_pub_out + n_pub_in + n_prv_in
    if named > n_wires:
        raise WireCountMismatchError(
            f".r1cs header declares {n_wires} wires, fewer than the constant wire plus its "
            f"{n_pub_out} outputs, {n_pub_in} public and {n_prv_in} private inputs ({named})"
        )
    if n_labels < n_wires:
        raise WireCountMismatchError(
            f".r1cs header declares {n_labels} labels for {n_wires} wires; every wire has a label"
        )


def _read_constraint(body: Cursor, index: int, n_wires: int) -> Constraint:
    a, b, c = (_read_combination(body, index, n_wires, name) for name in "ABC")
    return Constraint(a, b, c)


def _read_combination(body: Cursor, index: int, n_wires: int, name: str) -> LinearCombination:
    n_terms = body.u32("a term count")
    raw = body.take(n_terms * _TERM_BYTES, f"the {n_terms} terms of constraint {index}, {name}")
    terms: dict[int, int] = {}
    for at in range(0, len(raw), _TERM_BYTES):
        wire = int.from_bytes(raw[at : at + 4], "little")
        coeff = int.from_bytes(raw[at + 4 : at + _TERM_BYTES], "little")
        if wire >= n_wires or wire in terms or coeff >= BN254_SCALAR_PRIME:
            _reject_term(index, name, wire, coeff, n_wires)
        terms[wire] = coeff
    return tuple(sorted(terms.items()))


def _reject_term(index: int, name: str, wire: int, coeff: int, n_wires: int) -> NoReturn:
    where = f".r1cs constraint {index}, {name}"
    if coeff >= BN254_SCALAR_PRIME:
        raise NonCanonicalValueError(
            f"{where}: coefficient {coeff} is not below the BN254 scalar field prime"
        )
    if wire >= n_wires:
        raise WireIndexError(f"{where} names wire {wire}; the circuit has {n_wires}")
    raise WireIndexError(f"{where} names wire {wire} twice")
