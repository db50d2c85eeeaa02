"""Tree-shaped Nova (docs/tree-nova.md): constraint counts, node proving and verification, payload.

- `P_constraints_excluding_F`, `S_constraints`: the augmented circuits (target ≤ 40,000 each).
- `leaf_prove_2^k_ms`: a step node without children (F = builtin:cubic of 2^k constraints).
- `merge_prove_2^k_ms`: a step node with two children (three secondary and two primary folds).
- `join_prove_2^k_ms`: a join of two nodes (no step applied).
- `verify_2^k_ms`: `verify_node` on a merge node (what a receiver runs before merging).
- `node_bytes_2^k`: the canonical CBOR blob of a merge node.
- `job_32_P1_ms`, `job_32_P2_ms`: a whole job of 32 steps (F of 2^10) proven sequentially and by
  two worker processes (`prove_job`, end to end: the workers' start-up included), both from a
  warm shape cache; `job_32_P2_speedup` is their ratio (target ≥ 1.7 on two cores).
  `job_32_P1_cores` is the sequential run's CPU time over its wall time: on a machine of C cores
  P = 2 can be at most C / job_32_P1_cores times faster, since it does the same work.
- `job_32_one_core_P1_ms`, `job_32_one_core_P2_ms`, `job_32_one_core_P2_speedup`: the same job
  with every prover's kernel held to one thread (`RAYON_NUM_THREADS=1`, in a fresh process) on
  a `ProverPool` already started (as a running node's provers are), as when each worker is a
  machine of its own: what the tree's parallelism gives by itself.

Timings are medians of repeats; the parameters are built once per F and not timed.

    python benchmarks/tree.py [--quick]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import median_ms, report  # noqa: E402
from crypto.circuit.builtins import builtin  # noqa: E402
from crypto.circuit.step import trace  # noqa: E402
from crypto.tree.encoding import encode_node  # noqa: E402
from crypto.tree.params import public_params  # noqa: E402
from crypto.tree.prover import prove_join, prove_step, verify_node  # noqa: E402
from crypto.tree.scheduler import prove_job  # noqa: E402

CTX = bytes(32)
Z0 = (7,)


def measure(log2: int, repeats: int, results: dict[str, float | int | str]) -> None:
    step = builtin(f"builtin:cubic?log2={log2}")
    params = public_params(step)
    results["P_constraints_excluding_F"] = params.primary.n_constraints - (1 << log2)
    results["S_constraints"] = params.secondary.n_constraints
    z = trace(step, Z0, [None] * 4)
    left = prove_step(params, CTX, 0, z[0], None)
    right = prove_step(params, CTX, 2, z[2], None)
    merge = prove_step(params, CTX, 1, z[1], None, left, right)
    after = prove_step(params, CTX, 3, z[3], None)
    suffix = f"2^{log2}"
    results[f"leaf_prove_{suffix}_ms"] = median_ms(
        lambda: prove_step(params, CTX, 0, z[0], None), repeats
    )
    results[f"merge_prove_{suffix}_ms"] = median_ms(
        lambda: prove_step(params, CTX, 1, z[1], None, left, right), repeats
    )
    results[f"join_prove_{suffix}_ms"] = median_ms(
        lambda: prove_join(params, merge, after, None), repeats
    )
    results[f"verify_{suffix}_ms"] = median_ms(lambda: verify_node(params, merge), repeats)
    results[f"node_bytes_{suffix}"] = len(encode_node(merge))


def measure_job(log2: int, steps: int, repeats: int, results: dict[str, float | int | str]) -> None:
    make = functools.partial(builtin, f"builtin:cubic?log2={log2}")
    advice = [None] * steps
    with tempfile.TemporaryDirectory(prefix="novanode-bench-") as shared:
        cache = Path(shared)
        prove_job(make, CTX, Z0, advice[:2], 2, cache)  # records the shapes and keys once
        cpu = time.process_time()
        start = time.perf_counter()
        sequential = median_ms(lambda: prove_job(make, CTX, Z0, advice, 1, cache), repeats, 0)
        cores = (time.process_time() - cpu) / (time.perf_counter() - start)
        parallel = median_ms(lambda: prove_job(make, CTX, Z0, advice, 2, cache), repeats, 0)
    results[f"job_{steps}_P1_ms"] = sequential
    results[f"job_{steps}_P2_ms"] = parallel
    results[f"job_{steps}_P2_speedup"] = sequential / parallel
    results[f"job_{steps}_P1_cores"] = cores


ONE_CORE_JOB = """
import functools, json, sys, time
from pathlib import Path
from crypto.circuit.builtins import builtin
from crypto.tree.scheduler import ProverPool
make = functools.partial(builtin, sys.argv[1])
steps, workers, cache = int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
with ProverPool(make, workers, cache) as pool:
    pool.prove(bytes(32), (7,), [None] * 3)  # every prover started and warm
    start = time.perf_counter()
    pool.prove(bytes(32), (7,), [None] * steps)
    print(json.dumps((time.perf_counter() - start) * 1e3))
"""


def measure_one_core_job(log2: int, steps: int, results: dict[str, float | int | str]) -> None:
    """P = 1 and P = 2 with one kernel thread per prover, each run in a fresh process."""
    env = {**os.environ, "RAYON_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    key = f"builtin:cubic?log2={log2}"
    times = {}
    with tempfile.TemporaryDirectory(prefix="novanode-bench-") as shared:
        prove_job(functools.partial(builtin, key), CTX, Z0, [None] * 2, 2, Path(shared))
        for workers in (1, 2):
            run = [sys.executable, "-c", ONE_CORE_JOB, key, str(steps), str(workers), shared]
            out = subprocess.run(run, env=env, check=True, capture_output=True, text=True)
            times[workers] = float(json.loads(out.stdout.strip().splitlines()[-1]))
    results[f"job_{steps}_one_core_P1_ms"] = times[1]
    results[f"job_{steps}_one_core_P2_ms"] = times[2]
    results[f"job_{steps}_one_core_P2_speedup"] = times[1] / times[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="F of 2^10 only, fewer repeats")
    args = parser.parse_args()
    results: dict[str, float | int | str] = {}
    for log2 in (10,) if args.quick else (10, 12, 14):
        measure(log2, 2 if args.quick else 3, results)
    measure_job(10, 32, 1 if args.quick else 2, results)
    measure_one_core_job(10, 32, results)
    report("tree", results)


if __name__ == "__main__":
    main()
