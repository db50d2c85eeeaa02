"""Field-vector, CSR and compact-witness timings at 2^16 elements.

Run as ``python benchmarks/field.py [--quick]``; writes benchmarks/results/field.json.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import median_ms, report
from crypto.field import FR
from crypto.sparse import SparseMatrix
from crypto.witness import CompactVector

LOG_N = 16
ENTRIES_PER_ROW = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 15

    n = 1 << LOG_N
    a, b = FR.random(n, seed=1), FR.random(n, seed=2)

    rng = np.random.default_rng(3)
    indptr = np.arange(0, ENTRIES_PER_ROW * (n + 1), ENTRIES_PER_ROW, dtype=np.int64)
    indices = rng.integers(0, n, ENTRIES_PER_ROW * n).astype(np.uint32)
    matrix = SparseMatrix(FR, n, n, indptr, indices, FR.random(ENTRIES_PER_ROW * n, seed=4))
    signs = rng.integers(0, 2, ENTRIES_PER_ROW * n)
    units = FR.from_ints(1 if sign else FR.modulus - 1 for sign in signs)
    unit_matrix = SparseMatrix(FR, n, n, indptr, indices, units)

    bits = FR.from_bytes(b"".join(int(x).to_bytes(32, "little") for x in rng.integers(0, 2, n)))
    compact_bits = CompactVector.from_dense(FR, bits)
    compact_random = CompactVector.from_dense(FR, a)

    def timed(fn: Callable[[], object]) -> float:
        return median_ms(fn, repeats=repeats)

    results: dict[str, float | int | str] = {
        "n": n,
        "fr_add_ms": timed(lambda: FR.add(a, b)),
        "fr_mul_ms": timed(lambda: FR.mul(a, b)),
        "fr_inner_product_ms": timed(lambda: FR.inner_product(a, b)),
        "fr_batch_inverse_ms": timed(lambda: FR.batch_inverse(a)),
        "csr_nnz": matrix.nnz,
        "csr_matvec_ms": timed(lambda: matrix.matvec(a)),
        "csr_matvec_unit_coefficients_ms": timed(lambda: unit_matrix.matvec(a)),
        "compact_from_dense_bits_ms": timed(lambda: CompactVector.from_dense(FR, bits)),
        "compact_to_dense_bits_ms": timed(compact_bits.to_dense),
        "compact_from_dense_random_ms": timed(lambda: CompactVector.from_dense(FR, a)),
        "compact_to_dense_random_ms": timed(compact_random.to_dense),
        "compact_over_dense_bytes_bits": compact_bits.nbytes / bits.nbytes,
    }
    report(
        "field",
        results,
        notes=f"2^{LOG_N} elements; CSR {ENTRIES_PER_ROW} random entries per row; "
        f"medians of {repeats} runs",
    )


if __name__ == "__main__":
    main()
