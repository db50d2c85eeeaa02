"""The shape of an R1CS: sparse A, B, C over z = (1, x, w) and a digest naming it.

The digest is SHA-256 of a canonical encoding (field, dimensions, then each matrix's CSR arrays
with rows' columns sorted and duplicates merged), so every party that builds the same circuit
derives the same digest, and folding transcripts bind to it.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import numpy.typing as npt

from crypto.circuit.lc import column
from crypto.circuit.system import Assignment, ShapeRecorder
from crypto.errors import ShapeMismatchError
from crypto.field import PrimeField, Vector
from crypto.sparse import SparseMatrix

_DIGEST_DOMAIN = b"novanode/r1cs-shape/v1\x00"


@dataclass(frozen=True, eq=False)
class R1CSShape:
    """A constraint system's matrices: row i of A·z ∘ B·z = C·z is constraint i."""

    field: PrimeField
    n_constraints: int
    n_public: int
    n_private: int
    A: SparseMatrix
    B: SparseMatrix
    C: SparseMatrix
    names: Sequence[str] = ()
    digest: bytes = dataclass_field(default=b"", compare=False)

    @property
    def n_columns(self) -> int:
        """Length of z = (1, x_1..x_l, w_1..w_m)."""
        return 1 + self.n_public + self.n_private

    @classmethod
    def from_recorder(cls, recorder: ShapeRecorder) -> R1CSShape:
        """The shape of the constraints `recorder` holds."""
        p = recorder.field.modulus
        n_public = recorder.n_public
        matrices = []
        for which in range(3):
            indptr = [0]
            indices: list[int] = []
            values: list[int] = []
            for constraint in recorder.constraints:
                row: dict[int, int] = {}
                for var, coeff in constraint[which].items():
                    col = column(var, n_public)
                    row[col] = (row.get(col, 0) + coeff) % p
                for col in sorted(row):
                    if row[col]:
                        indices.append(col)
                        values.append(row[col])
                indptr.append(len(indices))
            matrices.append((indptr, indices, values))
        return cls.from_csr(
            recorder.field,
            len(recorder.constraints),
            n_public,
            recorder.n_private,
            matrices,
            names=recorder.names,
        )

    @classmethod
    def from_csr(
        cls,
        field: PrimeField,
        n_constraints: int,
        n_public: int,
        n_private: int,
        matrices: Sequence[tuple[npt.ArrayLike, npt.ArrayLike, Sequence[int] | Vector]],
        names: Sequence[str] = (),
    ) -> R1CSShape:
        """A shape from three canonical CSR triples (indptr, column indices, values in [0, p)).

        Values are ints or a field vector (which skips the conversion, e.g. when loading a
        cached shape). Rows' columns must be strictly increasing (sorted, no repeats) and no
        value may be zero, so one matrix has one encoding and the digest is canonical.
        """
        n_columns = 1 + n_public + n_private
        built = []
        digest = hashlib.sha256(_DIGEST_DOMAIN)
        digest.update(field.name.encode() + b"\x00")
        digest.update(struct.pack("<QQQ", n_constraints, n_public, n_private))
        for indptr, indices, values in matrices:
            indptr_a = np.asarray(indptr, dtype=np.int64)
            indices_a = np.asarray(indices, dtype=np.int64)
            _check_sorted_rows(indptr_a, indices_a)
            data = (
                field.check(values, "values")
                if isinstance(values, np.ndarray)
                else field.from_ints(values)
            )
            if data.size and not np.any(data, axis=1).all():
                raise ShapeMismatchError("a stored matrix value is zero; leave the entry out")
            matrix = SparseMatrix(field, n_constraints, n_columns, indptr_a, indices_a, data)
            built.append(matrix)
            digest.update(struct.pack("<Q", len(indices_a)))
            digest.update(indptr_a.astype("<u8").tobytes())
            digest.update(indices_a.astype("<u8").tobytes())
            digest.update(field.to_bytes(data))
        a, b, c = built
        return cls(
            field, n_constraints, n_public, n_private, a, b, c, tuple(names), digest.digest()
        )

    def z(self, assignment: Assignment) -> Vector:
        """z = (1, x, w) as a field vector."""
        if len(assignment.public) != self.n_public or len(assignment.private) != self.n_private:
            raise ShapeMismatchError(
                f"the assignment has {len(assignment.public)} public and "
                f"{len(assignment.private)} private values; the shape has {self.n_public} and "
                f"{self.n_private}"
            )
        return self.field.from_ints([1, *assignment.public, *assignment.private])

    def first_unsatisfied(self, assignment: Assignment) -> int | None:
        """The index of the first constraint the assignment violates, or None."""
        z = self.z(assignment)
        lhs = self.field.mul(self.A.matvec(z), self.B.matvec(z))
        bad = np.flatnonzero(np.any(lhs != self.C.matvec(z), axis=1))
        return int(bad[0]) if bad.size else None

    def name_of(self, index: int) -> str:
        """The namespace path of constraint `index` (empty where the shape has no names)."""
        return self.names[index] if index < len(self.names) else ""


def _check_sorted_rows(indptr: npt.NDArray[np.int64], indices: npt.NDArray[np.int64]) -> None:
    if indices.size < 2:
        return
    increasing = indices[1:] > indices[:-1]
    row_starts = indptr[1:-1]
    row_starts = row_starts[(row_starts > 0) & (row_starts < indices.size)]
    increasing[row_starts - 1] = True
    if not increasing.all():
        raise ShapeMismatchError("a row's column indices are not strictly increasing")
