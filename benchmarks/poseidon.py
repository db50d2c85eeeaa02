"""Poseidon cost: per permutation (one call, batched, pure Python) and parameter generation.

    python benchmarks/poseidon.py [--quick]

Figures are milliseconds. "single" is one ``crypto.poseidon.permute`` call on a list of ints
(conversion included); "kernel single" is the kernel object on a prepared numpy state;
"batched" is ``permute_many`` on 2^12 states divided by 2^12; "reference" is the pure-Python
permutation; "params" is ``generate`` from an empty cache.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import median_ms, report
from crypto.poseidon import _kernel_for, _to_vector, permute, permute_many
from crypto.poseidon_params import FieldName, generate
from crypto.reference.poseidon import permute as reference_permute

BATCH = 1 << 12


def random_states(modulus: int, count: int, t: int, seed: int) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [
        [int.from_bytes(rng.bytes(32), "little") % modulus for _ in range(t)] for _ in range(count)
    ]


def measure(field: FieldName, t: int, repeats: int) -> dict[str, float | int | str]:
    generate.cache_clear()
    params_ms = median_ms(lambda: (generate.cache_clear(), generate(field, t)), repeats, warmup=0)
    params = generate(field, t)
    state = random_states(params.modulus, 1, t, seed=t)[0]
    states = random_states(params.modulus, BATCH, t, seed=t + 1)
    array = _to_vector([x for s in states for x in s], params).reshape(BATCH, t, 4)
    handle = _kernel_for(params)
    one = _to_vector(state, params)
    inner = 200

    def single() -> None:
        for _ in range(inner):
            permute(params, state)

    def kernel_single() -> None:
        for _ in range(inner):
            handle.permute(one)

    prefix = f"{field} t={t}"
    return {
        f"{prefix} single": median_ms(single, repeats) / inner,
        f"{prefix} kernel single": median_ms(kernel_single, repeats) / inner,
        f"{prefix} batched (2^12)": median_ms(lambda: permute_many(params, array), repeats) / BATCH,
        f"{prefix} reference": median_ms(lambda: reference_permute(params, state), repeats),
        f"{prefix} params": params_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    results: dict[str, float | int | str] = {"batch": BATCH}
    for field in ("Fr", "Fq"):
        for t in (3, 5):
            results.update(measure(field, t, repeats))
    if not args.quick:
        generate.cache_clear()
        results["Fr t=17 params"] = median_ms(lambda: generate("Fr", 17), 1, warmup=0)
    report("poseidon", results, notes="ms per permutation, except 'params' (ms per generation)")


if __name__ == "__main__":
    main()
