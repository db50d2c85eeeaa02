"""IPA evaluation proofs: prove and verify milliseconds and proof bytes, per curve and size.

Keys are ``<curve>_<figure>_2^<log n>``: ``prove`` and ``verify`` in milliseconds (medians),
``proof_bytes`` at 32 bytes per point and per scalar, and ``msm`` (one MSM of size n, the
verifier's floor) and ``fold`` (one generator fold of n points to n/2, the first and largest of
the prover's k folds) in milliseconds. The SNARK of a root opens a 2^15 polynomial on each
curve while F has at most 2^12 constraints (P has 25,927 besides F, S 21,440), and a 2^16 G1
one for larger F up to 2^15, so those sizes are the ones its budget depends on.

Usage: ``python benchmarks/ipa.py [--quick]`` (``--quick``: 2^10 on both curves only).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import median_ms, report
from crypto.field import FQ, FR, PrimeField
from crypto.folding.commitment import commitment_key
from crypto.snark.ipa import prove_eval, verify_eval
from crypto.snark.multilinear import evaluate
from crypto.snark.transcript import SnarkTranscript

LABEL = b"novanode/bench/ipa"
FULL = [(FR, 10), (FR, 12), (FR, 14), (FR, 16), (FQ, 15)]
QUICK = [(FR, 10), (FQ, 10)]
CURVE_NAMES = {"Fr": "g1", "Fq": "grumpkin"}


def measure(field: PrimeField, log_n: int, rng: random.Random) -> dict[str, float | int]:
    n = 1 << log_n
    key = commitment_key(field, n)
    poly = field.random(n, seed=log_n)
    point = [rng.randrange(field.modulus) for _ in range(log_n)]
    value = evaluate(field, poly, point)
    comm = key.commit(poly)

    def prove() -> object:
        return prove_eval(key, SnarkTranscript(LABEL), comm, poly, point, value)

    proof = prove_eval(key, SnarkTranscript(LABEL), comm, poly, point, value)

    def verify() -> None:
        verify_eval(key, SnarkTranscript(LABEL), comm, point, value, proof)

    name = CURVE_NAMES[field.name]
    return {
        f"{name}_prove_2^{log_n}": median_ms(prove, repeats=3),
        f"{name}_verify_2^{log_n}": median_ms(verify, repeats=5),
        f"{name}_proof_bytes_2^{log_n}": proof.size_bytes(),
        f"{name}_msm_2^{log_n}": median_ms(lambda: key.bases.msm(poly), repeats=5),
        f"{name}_fold_2^{log_n}": median_ms(
            lambda: key.curve.fold_generators(key.bases, rng.getrandbits(64), rng.getrandbits(64)),
            repeats=3,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2^10 on both curves only")
    args = parser.parse_args()
    rng = random.Random(2024)
    results: dict[str, float | int | str] = {}
    for field, log_n in QUICK if args.quick else FULL:
        results.update(measure(field, log_n, rng))
    report(
        "ipa",
        results,
        notes="median ms; proof_bytes: 32 per point and scalar; msm: one MSM of size n; "
        "fold: one generator fold of n points",
    )


if __name__ == "__main__":
    main()
