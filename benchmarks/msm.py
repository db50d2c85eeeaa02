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

from benchmarks.harness import report
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


def timed(call: Callable[[], object]) -> Callable[[], float]:
    """``call`` made to return its own wall time in milliseconds."""

    def run() -> float:
        start = time.perf_counter()
        call()
        return (time.perf_counter() - start) * 1e3

    return run


def interleaved_medians(cases: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Median of each case over REPEATS rounds, every round running every case once.

    The machine is shared and its load drifts; taking the cases in turn exposes all of them to
    the same drift, so their ratios stay honest even when the absolute times wander.
    """
    for case in cases.values():
        case()  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(REPEATS):
        for name, case in cases.items():
            samples[name].append(case())
    return {name: statistics.median(times) for name, times in samples.items()}


def measure(log_n: int, rng: random.Random) -> dict[str, float]:
    n = 1 << log_n
    g1, grumpkin = group.G1, group.Grumpkin
    g1_bases = g1.derive_generators(b"novanode/bench", n)
    grumpkin_bases = grumpkin.derive_generators(b"novanode/bench", n)
    g1_scalars = field_vector([rng.randrange(g1.order) for _ in range(n)])
    grumpkin_scalars = field_vector([rng.randrange(grumpkin.order) for _ in range(n)])
    bits = [rng.randrange(2) for _ in range(n)]
    bit_tags = np.array(bits, dtype=np.uint8)  # TAG_ZERO = 0 and TAG_ONE = 1
    no_others = np.zeros((0, 4), dtype=np.uint64)
    bit_scalars = field_vector(bits)
    poseidon_tags, poseidon_others = poseidon_like(n, g1.order, rng)

    medians = interleaved_medians(
        {
            "bn254_random": timed(lambda: g1.msm(g1_bases, g1_scalars)),
            # Inputs made and timed in Rust; the second (warm) run of each call.
            "bn254_rust_direct": lambda: group.g1_msm_timings_ms(log_n, 2)[-1],
            "grumpkin_random": timed(lambda: grumpkin.msm(grumpkin_bases, grumpkin_scalars)),
            "bn254_bits": timed(lambda: g1.msm_compact(g1_bases, bit_tags, no_others)),
            "bn254_bits_dense": timed(lambda: g1.msm(g1_bases, bit_scalars)),
            "bn254_compact_poseidon_like": timed(
                lambda: g1.msm_compact(g1_bases, poseidon_tags, poseidon_others)
            ),
        }
    )
    medians["python_overhead"] = medians["bn254_random"] / medians["bn254_rust_direct"]
    medians["bits_speedup"] = medians["bn254_random"] / medians["bn254_bits"]
    return {f"{name}_2^{log_n}": value for name, value in medians.items()}


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
