"""Circuits and Nova folding (NIFS): synthesis (see synthesis.py) and folds at 2^16 constraints.

- `nifs_prove_2^16_ms`: running + fresh fold (sequential Nova's step): A·z, B·z, C·z of both,
  the cross term T, comm_T, the transcript and the folded instance and witness.
- `nifs_prove_running_2^16_ms`: the same for running + running (a merge of two subtrees).
- `nifs_verify_2^16_ms`: native verification of a fold: the transcript and three scalar
  multiplications, then comparison with the claimed instance.
- `commit_W_2^16_ms`: Com(W) of a fresh step's compact witness (paid once per step when the
  fresh instance is made, not by the fold).
- `cross_term_2^16_ms`: A·z, B·z, C·z of both instances and T, without its commitment.
- `relaxed_check_2^16_ms`: the full satisfiability check of a running instance, both
  commitments recomputed (what a node runs on a received instance).
- `commitment_key_2^16_ms`: deriving the key's 2^16 generators, once per process (cached).

Every key of `benchmarks/synthesis.py` is included (synthesis, shapes, compact-witness sizes).

    python benchmarks/folding.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synthesis  # noqa: E402
from benchmarks.harness import median_ms, report  # noqa: E402
from crypto.circuit.builtins.cubic import Cubic  # noqa: E402
from crypto.circuit.cache import ShapeCache  # noqa: E402
from crypto.circuit.synthesis import step_witness  # noqa: E402
from crypto.folding.commitment import COMMITMENT_LABEL, curve_for  # noqa: E402
from crypto.folding.nifs import Products, cross_term, prove, verify  # noqa: E402
from crypto.folding.relaxed import check, commit_W, fresh, key_for  # noqa: E402

LOG2 = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    n = f"2^{LOG2}"

    cubic = Cubic(LOG2)
    shape = ShapeCache().step_shape(cubic)
    assert shape.n_constraints == 1 << LOG2
    results = synthesis.measure(args.quick)

    start = time.perf_counter()
    curve_for(shape.field).derive_generators(COMMITMENT_LABEL, 1 << LOG2)
    results[f"commitment_key_{n}_ms"] = (time.perf_counter() - start) * 1e3
    key = key_for(shape)

    first, second = step_witness(cubic, [3], None), step_witness(cubic, [5], None)
    U1, W1 = fresh(shape, first.public, first.private, key)
    U2, W2 = fresh(shape, second.public, second.private, key)
    running, running_witness, _ = prove(shape, U1, W1, U2, W2, key)

    results[f"commit_W_{n}_ms"] = median_ms(lambda: commit_W(key, W2.W), repeats=repeats)

    def products_and_cross_term() -> None:
        cross_term(
            shape,
            running,
            Products.of(shape, running, running_witness.dense_W()),
            U2,
            Products.of(shape, U2, W2.dense_W()),
        )

    results[f"cross_term_{n}_ms"] = median_ms(products_and_cross_term, repeats=repeats)
    results[f"nifs_prove_{n}_ms"] = median_ms(
        lambda: prove(shape, running, running_witness, U2, W2, key), repeats=repeats
    )
    results[f"nifs_prove_running_{n}_ms"] = median_ms(
        lambda: prove(shape, running, running_witness, running, running_witness, key),
        repeats=repeats,
    )
    folded, folded_witness, comm_T = prove(shape, running, running_witness, U2, W2, key)
    results[f"nifs_verify_{n}_ms"] = median_ms(
        lambda: verify(shape, running, U2, comm_T, folded), repeats=repeats * 3
    )
    results[f"relaxed_check_{n}_ms"] = median_ms(
        lambda: check(shape, folded, folded_witness, key), repeats=max(1, repeats // 2)
    )
    report(
        "folding",
        results,
        notes=(
            "cubic circuit (x <- x^3 + x + 5), 2^16 constraints, Fr shape, commitments on G1; "
            "target: nifs_prove <= 1000 ms; " + synthesis.NOTES
        ),
    )


if __name__ == "__main__":
    main()
