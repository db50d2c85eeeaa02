"""Step-circuit synthesis: shape recording, witness-only synthesis and compact-witness sizes.

- `synthesis_2^16_ms`: one step of the cubic circuit with 2^16 constraints, shape cached, witness
  only (the fast path), the compact witness W included; `..._constraints_per_s` from it.
- `synthesis_generic_2^16_ms`: the same witness through the generic per-constraint path.
- `synthesis_shape_2^16_ms`: building the shape on a cache miss, which for the built-ins is the
  circuit-specific direct build (digest included); `..._recorded_...`: the generic recording;
  `..._disk_ms`: loading it from the on-disk cache instead.
- `witness_bytes_compact_over_dense_<circuit>`: bytes of the compact W over 32 bytes a value.
- `circom_wasm_witness_ms_per_step`: the poseidon_chain fixture's wasm witness generator.

    python benchmarks/synthesis.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import median_ms, report  # noqa: E402
from crypto.circom import load_wtns  # noqa: E402
from crypto.circuit import WitnessGenerator  # noqa: E402
from crypto.circuit.builtins.cubic import Cubic  # noqa: E402
from crypto.circuit.builtins.minroot import MinRoot  # noqa: E402
from crypto.circuit.builtins.poseidon_chain import PoseidonChain  # noqa: E402
from crypto.circuit.cache import ShapeCache  # noqa: E402
from crypto.circuit.circom_step import CircomStepCircuit  # noqa: E402
from crypto.circuit.step import Advice, StepCircuit  # noqa: E402
from crypto.circuit.synthesis import (  # noqa: E402
    compact_from_ints,
    record_step_shape,
    step_witness,
)
from crypto.field import FR  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "circom" / "poseidon_chain"
LOG2 = 16


def compact_ratio(circuit: StepCircuit, z: list[int], advice: Advice = None) -> float:
    witness = step_witness(circuit, z, advice)
    return witness.private.nbytes / (32 * len(witness.private))


def generic_witness(circuit: Cubic, x: int) -> None:
    generator = WitnessGenerator(FR)
    circuit.constrain(generator, [generator.alloc_input(x)])
    compact_from_ints(FR, generator.private)


def measure(quick: bool) -> dict[str, float | int | str]:
    """Every synthesis figure; `quick` takes fewer repeats."""
    repeats = 3 if quick else 7
    results: dict[str, float | int | str] = {}
    cubic = Cubic(LOG2)
    cache = ShapeCache()
    shape = cache.step_shape(cubic)
    assert shape.n_constraints == 1 << LOG2
    witness_ms = median_ms(lambda: step_witness(cubic, [7], None), repeats=repeats)
    results[f"synthesis_2^{LOG2}_ms"] = witness_ms
    results[f"synthesis_2^{LOG2}_constraints_per_s"] = round((1 << LOG2) / (witness_ms / 1e3))
    results[f"synthesis_generic_2^{LOG2}_ms"] = median_ms(
        lambda: generic_witness(cubic, 7), repeats=max(1, repeats // 2)
    )
    results[f"synthesis_shape_2^{LOG2}_ms"] = median_ms(
        lambda: ShapeCache().step_shape(cubic), repeats=repeats
    )
    results[f"synthesis_shape_recorded_2^{LOG2}_ms"] = median_ms(
        lambda: record_step_shape(cubic), repeats=1 if quick else 3, warmup=0
    )
    with tempfile.TemporaryDirectory() as directory:
        ShapeCache(directory).step_shape(cubic)
        results[f"synthesis_shape_2^{LOG2}_disk_ms"] = median_ms(
            lambda: ShapeCache(directory).step_shape(cubic), repeats=repeats
        )

    minroot = MinRoot(1 << 10)
    results["synthesis_minroot_1024_iterations_ms"] = median_ms(
        lambda: step_witness(minroot, [1, 2], None), repeats=repeats
    )
    results["witness_bytes_compact_over_dense_cubic"] = compact_ratio(cubic, [7])
    results["witness_bytes_compact_over_dense_minroot"] = compact_ratio(minroot, [1, 2])
    results["witness_bytes_compact_over_dense_poseidon_chain"] = compact_ratio(
        PoseidonChain(), [1, 0], {"advice": 3}
    )

    circom = CircomStepCircuit.from_files(
        FIXTURE / "poseidon_chain.r1cs", FIXTURE / "poseidon_chain.wasm"
    )
    trace = json.loads((FIXTURE / "trace.json").read_text())
    steps = trace["steps"]
    z0 = [int(v) for v in steps[0]["step_in"]]
    advice = {"advice": steps[0]["advice"][0]}
    results["circom_wasm_witness_ms_per_step"] = median_ms(
        lambda: circom.witness(z0, advice), repeats=repeats
    )
    private = circom.assignment(load_wtns(FIXTURE / "step_000.wtns")).private
    compact = compact_from_ints(FR, private)
    results["witness_bytes_compact_over_dense_circom_poseidon_chain"] = compact.nbytes / (
        32 * len(private)
    )
    results["circom_embedded_synthesis_ms_per_step"] = median_ms(
        lambda: step_witness(circom, z0, advice), repeats=repeats
    )
    return results


NOTES = "cubic: x <- x^3 + x + 5, 2 constraints an iteration"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    report("synthesis", measure(args.quick), notes=NOTES)


if __name__ == "__main__":
    main()
