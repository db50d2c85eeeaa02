"""MSM timings: dense random scalars, bit vectors, a Poseidon-like witness, and the Rust floor.

Keys are ``<case>_2^<log n>`` in milliseconds (medians). Derived figures:
``python_overhead_2^k`` = ``bn254_random`` / ``bn254_rust_direct`` (target ≤ 1.15: the binding
adds nothing measurable) and ``bits_speedup_2^k`` = ``bn254_random`` / ``bn254_bits`` (target
≥ 15: a bit witness commits through the compact path with additions only).

Usage: ``python benchmarks/msm.py [--quick]`` (``--quick``: 2^16 only).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import median_ms, report
from crypto import group
from crypto.group import FieldVector, Tags

TAG_ZERO, TAG_ONE, TAG_MINUS_ONE, TAG_OTHER = 0, 1, 2, 3

# Tag mix of a Poseidon-heavy circom witness (tests/fixtures has no circom witness on this
# branch, so these are the fractions measured on /work/shared's poseidon_chain step witness):
# almost every wire is a full-width Poseidon intermediate.
POSEIDON_ZERO = 0.002
POSEIDON_ONE = 0.006
POSEIDON_MINUS_ONE = 0.0
POSEIDON_SMALL = 0.002  # TAG_OTHER values below 2^64
# the remaining ~99% are TAG_OTHER values of full width

REPEATS = 7


def field_vector(values: list[int]) -> FieldVector:
    data = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").reshape(-1, 4).astype(np.uint64)


def poseidon_like(n: int, order: int, rng: random.Random) -> tuple[Tags, FieldVector]:
    """A compact vector with the Poseidon witness's tag mix."""
    tags: list[int] = []
    others: list[int] = []
    for _ in range(n):
        u = rng.random()
        if u < POSEIDON_ZERO:
            tags.append(TAG_ZERO)
        elif u < POSEIDON_ZERO + POSEIDON_ONE:
            tags.append(TAG_ONE)
        elif u < POSEIDON_ZERO + POSEIDON_ONE + POSEIDON_MINUS_ONE:
            tags.append(TAG_MINUS_ONE)
        else:
            tags.append(TAG_OTHER)
            small = u < POSEIDON_ZERO + POSEIDON_ONE + POSEIDON_MINUS_ONE + POSEIDON_SMALL
            others.append(rng.randrange(2, 2**64) if small else rng.randrange(2**64, order))
    return np.array(tags, dtype=np.uint8), field_vector(others)


def paired_medians(python_call: Callable[[], object], log_n: int) -> tuple[float, float]:
    """Medians of ``python_call`` and of the Rust-only MSM of the same size, run alternately.

    The machine is shared, so load drifts; alternating the two exposes both to the same drift
    and keeps their ratio honest.
    """
    python_call()
    python_samples: list[float] = []
    rust_samples: list[float] = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        python_call()
        python_samples.append((time.perf_counter() - start) * 1e3)
        rust_samples.append(group.g1_msm_timings_ms(log_n, 2)[-1])  # the warm second run
    return statistics.median(python_samples), statistics.median(rust_samples)


def measure(log_n: int, rng: random.Random) -> dict[str, float]:
    n = 1 << log_n
    g1, grumpkin = group.G1, group.Grumpkin
    suffix = f"_2^{log_n}"
    g1_bases = g1.derive_generators(b"novanode/bench", n)
    grumpkin_bases = grumpkin.derive_generators(b"novanode/bench", n)
    g1_scalars = field_vector([rng.randrange(g1.order) for _ in range(n)])
    grumpkin_scalars = field_vector([rng.randrange(grumpkin.order) for _ in range(n)])
    bits = [rng.randrange(2) for _ in range(n)]
    bit_tags = np.array(bits, dtype=np.uint8)  # TAG_ZERO = 0 and TAG_ONE = 1
    no_others = np.zeros((0, 4), dtype=np.uint64)
    bit_scalars = field_vector(bits)
    poseidon_tags, poseidon_others = poseidon_like(n, g1.order, rng)

    results: dict[str, float] = {}
    python_ms, rust_ms = paired_medians(lambda: g1.msm(g1_bases, g1_scalars), log_n)
    results["bn254_random" + suffix] = python_ms
    results["bn254_rust_direct" + suffix] = rust_ms
    results["grumpkin_random" + suffix] = median_ms(
        lambda: grumpkin.msm(grumpkin_bases, grumpkin_scalars), REPEATS
    )
    results["bn254_bits" + suffix] = median_ms(
        lambda: g1.msm_compact(g1_bases, bit_tags, no_others), REPEATS
    )
    results["bn254_bits_dense" + suffix] = median_ms(lambda: g1.msm(g1_bases, bit_scalars), REPEATS)
    results["bn254_compact_poseidon_like" + suffix] = median_ms(
        lambda: g1.msm_compact(g1_bases, poseidon_tags, poseidon_others), REPEATS
    )
    random_ms = results["bn254_random" + suffix]
    results["python_overhead" + suffix] = random_ms / results["bn254_rust_direct" + suffix]
    results["bits_speedup" + suffix] = random_ms / results["bn254_bits" + suffix]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2^16 only")
    args = parser.parse_args()
    sizes = [16] if args.quick else [10, 12, 14, 16, 18]
    rng = random.Random(2024)
    results: dict[str, float | int | str] = {}
    for log_n in sizes:
        results.update(measure(log_n, rng))
    report(
        "msm",
        results,
        notes="python_overhead = bn254_random / bn254_rust_direct (target <= 1.15); "
        "bits_speedup = bn254_random / bn254_bits (target >= 15)",
    )


if __name__ == "__main__":
    main()
