"""What real circom witnesses look like, to size the compact witness, and what importing them costs.

For the poseidon_chain fixture's 16 step witnesses z, and for A·z, B·z and C·z (each constraint's
linear-combination values), the share of values the compact witness tags as zero, one and minus one,
the share left as "other", and how many of those would fit in 64 bits. Then parse times of the
.r1cs and .wtns files and the wasm witness time per step.

    python benchmarks/witness_stats.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import median_ms, report  # noqa: E402
from crypto.circom import (  # noqa: E402
    WitnessCalculator,
    load_r1cs,
    load_wtns,
    parse_r1cs,
    parse_wtns,
    products,
)

FIXTURE = ROOT / "tests" / "fixtures" / "circom" / "poseidon_chain"


def tag_shares(name: str, values: Iterable[int], prime: int) -> dict[str, float | int]:
    """Counts of the compact witness's tags among `values`, as shares of the total."""
    zero = one = minus_one = other = small = 0
    for v in values:
        if v == 0:
            zero += 1
        elif v == 1:
            one += 1
        elif v == prime - 1:
            minus_one += 1
        else:
            other += 1
            small += v < 1 << 64
    total = zero + one + minus_one + other
    return {
        f"{name}_count": total,
        f"{name}_zero_share": zero / total,
        f"{name}_one_share": one / total,
        f"{name}_minus_one_share": minus_one / total,
        f"{name}_other_share": other / total,
        f"{name}_other_below_2^64_share_of_other": small / other if other else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 10

    r1cs_path = FIXTURE / "poseidon_chain.r1cs"
    steps = sorted(FIXTURE.glob("step_*.wtns"))
    trace = json.loads((FIXTURE / "trace.json").read_text())
    r1cs = load_r1cs(r1cs_path)
    witnesses = [load_wtns(path) for path in steps]
    p = r1cs.prime

    results: dict[str, float | int | str] = {
        "steps": len(witnesses),
        "constraints": r1cs.n_constraints,
        "wires": r1cs.n_wires,
        "nonzero_terms_A_B_C": sum(len(lc) for row in r1cs.constraints for lc in row),
        # circom writes a linear constraint as 0 · 0 = C: A·z = B·z = C·z = 0 on those rows.
        "linear_constraints": sum(1 for row in r1cs.constraints if not row.a or not row.b),
    }
    rows = [products(r1cs, w) for w in witnesses]
    results |= tag_shares("z", (v for w in witnesses for v in w.values), p)
    for k, name in enumerate(("Az", "Bz", "Cz")):
        results |= tag_shares(name, (v for row in rows for v in row[k]), p)

    r1cs_bytes = r1cs_path.read_bytes()
    wtns_bytes = steps[0].read_bytes()
    results["parse_r1cs_ms"] = median_ms(lambda: parse_r1cs(r1cs_bytes), repeats)
    results["parse_wtns_ms"] = median_ms(lambda: parse_wtns(wtns_bytes), repeats)

    start = time.perf_counter()
    calculator = WitnessCalculator.from_file(FIXTURE / "poseidon_chain.wasm")
    results["wasm_compile_ms"] = (time.perf_counter() - start) * 1e3
    inputs = [{"step_in": s["step_in"], "advice": s["advice"][0]} for s in trace["steps"]]
    for step_inputs, expected in zip(inputs, witnesses, strict=True):
        assert calculator.compute(step_inputs) == expected, "wasm disagrees with the .wtns"
    results["wasm_witness_per_step_ms"] = median_ms(
        lambda: [calculator.compute(i) for i in inputs], max(1, repeats // 3)
    ) / len(inputs)

    report(
        "witness_stats",
        results,
        notes="shares are fractions of all values of that vector over all steps; "
        "wasm compile is a single run (cranelift, includes reading the file)",
    )


if __name__ == "__main__":
    main()
