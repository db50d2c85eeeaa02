"""The CompressedSNARK of a root (crypto/snark/): prove and verify time and proof size.

- `snark_prove_2^k_ms`: `crypto.snark.compressed.prove` on a root over 3 steps of
  F = builtin:cubic of 2^k constraints (a merge of two leaves: both running instances relaxed).
- `snark_verify_2^k_ms`: `verify` of that proof (what a requester runs offline).
- `snark_bytes_2^k`: its canonical CBOR encoding.
- `spartan_rows_P_2^k`, `spartan_columns_P_2^k`, `..._S`: the padded sizes Spartan works at.
- `keys_2^k_ms`: deriving the SNARK keys from the tree's parameters (once per circuit; cached).

Targets on a 2-core machine for F of 2^12: prove ≤ 3,000 ms, verify ≤ 150 ms, proof ≤ 20,000
bytes. Timings are medians of repeats; the root is proven once and not timed.

    python benchmarks/snark.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import median_ms, report  # noqa: E402
from crypto.circuit.builtins import builtin  # noqa: E402
from crypto.circuit.step import trace  # noqa: E402
from crypto.snark.compressed import prove, snark_keys, verify  # noqa: E402
from crypto.snark.encoding import encode_proof  # noqa: E402
from crypto.tree.params import public_params  # noqa: E402
from crypto.tree.prover import prove_step  # noqa: E402

CTX = bytes(32)
Z0 = (7,)


def measure(log2: int, repeats: int, results: dict[str, float | int | str]) -> None:
    step = builtin(f"builtin:cubic?log2={log2}")
    params = public_params(step)
    z = trace(step, Z0, [None] * 3)
    left = prove_step(params, CTX, 0, z[0], None)
    right = prove_step(params, CTX, 2, z[2], None)
    root = prove_step(params, CTX, 1, z[1], None, left, right)
    suffix = f"2^{log2}"
    started = time.perf_counter()
    keys = snark_keys(params)
    results[f"keys_{suffix}_ms"] = (time.perf_counter() - started) * 1e3
    for name, key in (("P", keys.primary), ("S", keys.secondary)):
        results[f"spartan_rows_{name}_{suffix}"] = 1 << key.log_rows
        results[f"spartan_columns_{name}_{suffix}"] = 2 << key.log_witness
    proof = prove(keys, root)
    verify(keys, proof)
    results[f"snark_prove_{suffix}_ms"] = median_ms(lambda: prove(keys, root), repeats)
    results[f"snark_verify_{suffix}_ms"] = median_ms(lambda: verify(keys, proof), repeats + 2)
    results[f"snark_bytes_{suffix}"] = len(encode_proof(proof))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="F of 2^10 only, fewer repeats")
    args = parser.parse_args()
    results: dict[str, float | int | str] = {}
    for log2 in (10,) if args.quick else (10, 12, 14):
        measure(log2, 2 if args.quick else 3, results)
    report("snark", results)


if __name__ == "__main__":
    main()
