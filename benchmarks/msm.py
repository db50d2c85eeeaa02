"""MSM timings: dense random scalars, bit vectors, a Poseidon-like witness, and the Rust floor.

Keys are ``<case>_2^<log n>`` in milliseconds (medians). Derived figures:
``python_overhead_2^k`` = ``bn254_random`` / ``bn254_rust_direct`` (target ≤ 1.15: the binding
adds nothing measurable) and ``bits_speedup_2^k`` = ``bn254_random`` / ``bn254_bits`` (target
≥ 15: a bit witness commits through the compact path with additions only).

Fixed-base rows (``Curve.fixed_bases``, what a commitment key precomputes): ``<curve>_plain`` and
``<curve>_table`` are the same random full-width MSM without and with the table,
``<curve>_table_ratio`` their ratio, ``<curve>_table_build`` the table's build time in
milliseconds and ``<curve>_table_mib`` its size; ``<curve>_table_pays_after`` = build / (plain −
table), the number of MSMs after which the table has paid for itself.

Usage: ``python benchmarks/msm.py [--quick]`` (``--quick``: 2^16 only).
"""

from __future__ import annotations

import argparse
import functools
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
from crypto.circom.wtns import load_wtns
from crypto.field import FQ, FR, PrimeField
from crypto.group import FieldVector, Tags
from crypto.witness import TAG_MINUS_ONE, TAG_ONE, TAG_OTHER, TAG_ZERO

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/circom/poseidon_chain"


def poseidon_tag_mix() -> tuple[float, float, float, float]:
    """Fractions (zero, one, minus-one, other below 2^64) over the Poseidon fixture's witnesses.

    Every other value is a full-width TAG_OTHER: almost every wire of a Poseidon circuit is.
    """
    counts = [0, 0, 0, 0]
    total = 0
    for path in sorted(FIXTURE.glob("step_*.wtns")):
        witness = load_wtns(path)
        p = witness.prime
        for v in witness.values:
            total += 1
            if v == 0:
                counts[0] += 1
            elif v == 1:
                counts[1] += 1
            elif v == p - 1:
                counts[2] += 1
            elif v < 2**64:
                counts[3] += 1
    zero, one, minus_one, small = (c / total for c in counts)
    return zero, one, minus_one, small


REPEATS = 7


def field_vector(values: list[int], field: PrimeField = FR) -> FieldVector:
    return field.from_ints(values)


def poseidon_like(n: int, order: int, rng: random.Random) -> tuple[Tags, FieldVector]:
    """A compact vector with the Poseidon witness's tag mix."""
    zero, one, minus_one, small_share = poseidon_tag_mix()
    tags: list[int] = []
    others: list[int] = []
    for _ in range(n):
        u = rng.random()
        if u < zero:
            tags.append(TAG_ZERO)
        elif u < zero + one:
            tags.append(TAG_ONE)
        elif u < zero + one + minus_one:
            tags.append(TAG_MINUS_ONE)
        else:
            tags.append(TAG_OTHER)
            small = u < zero + one + minus_one + small_share
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
    grumpkin_scalars = field_vector([rng.randrange(grumpkin.order) for _ in range(n)], FQ)
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


def measure_fixed(log_n: int, rng: random.Random) -> dict[str, float]:
    """Plain against fixed-base MSM on the same scalars, and what the table costs."""
    n = 1 << log_n
    results: dict[str, float] = {}
    for name, curve, field in (("bn254", group.G1, FR), ("grumpkin", group.Grumpkin, FQ)):
        bases = curve.derive_generators(b"novanode/bench", n)
        scalars = field_vector([rng.randrange(curve.order) for _ in range(n)], field)
        start = time.perf_counter()
        table = curve.fixed_bases(bases)
        build = (time.perf_counter() - start) * 1e3
        medians = interleaved_medians(
            {
                "plain": timed(functools.partial(bases.msm, scalars)),
                "table": timed(functools.partial(table.msm, scalars)),
            }
        )
        saved = medians["plain"] - medians["table"]
        results |= {
            f"{name}_plain": medians["plain"],
            f"{name}_table": medians["table"],
            f"{name}_table_ratio": medians["table"] / medians["plain"],
            f"{name}_table_build": build,
            f"{name}_table_mib": table.table_bytes / 2**20,
            f"{name}_table_pays_after": build / saved if saved > 0 else float("inf"),
        }
    return {f"{name}_2^{log_n}": value for name, value in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2^16 only")
    args = parser.parse_args()
    sizes = [16] if args.quick else [10, 12, 14, 16, 18]
    rng = random.Random(2024)
    results: dict[str, float | int | str] = {}
    for log_n in sizes:
        results.update(measure(log_n, rng))
    for log_n in [16] if args.quick else [12, 15, 16]:
        results.update(measure_fixed(log_n, rng))
    report(
        "msm",
        results,
        notes="python_overhead = bn254_random / bn254_rust_direct (target <= 1.15); "
        "bits_speedup = bn254_random / bn254_bits (target >= 15)",
    )


if __name__ == "__main__":
    main()
