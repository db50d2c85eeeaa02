"""Spartan over relaxed R1CS: prove and verify times, without and with the IPA opening.

Shapes are random: 2^k constraints over z = (u, X_1, X_2, W_1..W_(2^k − 3)) (so z has 2^k
columns and t = k), each row of A with three entries, of B with two, of C with one, half the
values 1 and half random. A random (u, X, W) with E := A·z ∘ B·z − u·C·z is a satisfied relaxed
instance with u ≠ 1 and E dense, the running instance a root carries.

- `<field>_prove_2^k_ms` / `<field>_verify_2^k_ms`: Spartan's part of the SNARK with an opening
  that proves nothing and costs nothing (no polynomial-commitment work in these figures).
- `<field>_prove_ipa_2^k_ms` / `<field>_verify_ipa_2^k_ms`: the whole proof of one instance,
  the opening of comm_W + c·comm_E by ``crypto.snark.ipa`` included.
- `<field>_sumcheck_2^k_bytes`: the sum-check messages and the seven claimed evaluations, at 32
  bytes per field element (the opening's size is the opening argument's).
- `<field>_key_2^k_ms`: ``SpartanKey.of`` (the matrices' transposes), once per shape.

    python benchmarks/spartan.py [--quick]   (--quick: 2^10 and 2^12 only)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import median_ms, report
from crypto.circuit.shape import R1CSShape
from crypto.field import FQ, FR, PrimeField, Vector
from crypto.folding.commitment import CommitmentKey, commitment_key
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness, z_vector
from crypto.group import CurvePoint
from crypto.snark import ipa, spartan
from crypto.snark.spartan import SpartanKey, SpartanProof
from crypto.snark.transcript import SnarkTranscript

N_PUBLIC = 2
ENTRIES_PER_ROW = {"A": 3, "B": 2, "C": 1}


class NoOpening:
    """An opening that proves nothing: keeps the commitment argument out of the timings."""

    def prove_eval(
        self,
        key: CommitmentKey,
        transcript: SnarkTranscript,
        comm: CurvePoint,
        poly: Vector,
        point: Sequence[int],
        value: int,
    ) -> None:
        return None

    def verify_eval(
        self,
        key: CommitmentKey,
        transcript: SnarkTranscript,
        comm: CurvePoint,
        point: Sequence[int],
        value: int,
        proof: None,
    ) -> None:
        return None


def random_shape(field: PrimeField, log_n: int, rng: np.random.Generator) -> R1CSShape:
    """2^log_n rows; a row's k entries fall in k disjoint bands of columns, so they are sorted."""
    n = 1 << log_n
    n_columns = n
    matrices = []
    for k in ENTRIES_PER_ROW.values():
        band = n_columns // k
        columns = np.stack([rng.integers(j * band, (j + 1) * band, size=n) for j in range(k)], 1)
        values = field.random(n * k, int(rng.integers(1 << 62)))
        ones = rng.random(n * k) < 0.5
        values[ones] = np.array([1, 0, 0, 0], dtype=np.uint64)
        values[~np.any(values, axis=1)] = np.array([1, 0, 0, 0], dtype=np.uint64)
        indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        matrices.append((indptr, columns.reshape(-1).astype(np.int64), values))
    return R1CSShape.from_csr(field, n, N_PUBLIC, n_columns - 1 - N_PUBLIC, matrices)


def random_instance(
    shape: R1CSShape, ck: CommitmentKey, rng: random.Random
) -> tuple[RelaxedInstance, RelaxedWitness]:
    """A random (u, X, W) and the E that makes it satisfied."""
    field = shape.field
    p = field.modulus
    W = field.random(shape.n_private, rng.randbytes(16))
    U = RelaxedInstance(
        ck.curve.identity(), ck.curve.identity(), rng.randrange(p), (1, rng.randrange(p))
    )
    z = z_vector(shape, U, W)
    Az, Bz, Cz = (M.matvec(z) for M in (shape.A, shape.B, shape.C))
    E = field.sub(field.mul(Az, Bz), field.scale(Cz, U.u))
    return RelaxedInstance(ck.commit(W), ck.commit(E), U.u, U.X), RelaxedWitness(W, E)


def sumcheck_bytes(proof: SpartanProof[Any]) -> int:
    rounds = (*proof.outer_rounds, *proof.inner_rounds, *proof.batch_rounds)
    claims = 7
    return 32 * (sum(len(message) for message in rounds) + claims)


def measure(field: PrimeField, log_n: int, repeats: int) -> dict[str, float | int | str]:
    rng = random.Random(log_n)
    shape = random_shape(field, log_n, np.random.default_rng(log_n))
    start = time.perf_counter()
    key = SpartanKey.of(shape)
    key_ms = (time.perf_counter() - start) * 1e3
    ck = commitment_key(field, key.opening_length)
    U, W = random_instance(shape, ck, rng)
    name = f"{field.name.lower()}_{{}}_2^{log_n}"
    results: dict[str, float | int | str] = {name.format("key") + "_ms": key_ms}
    for suffix, opening in (("", NoOpening()), ("_ipa", ipa)):
        prove_ms, verify_ms, proof = timings(key, ck, U, W, opening, repeats)
        results[name.format("prove") + suffix + "_ms"] = prove_ms
        results[name.format("verify") + suffix + "_ms"] = verify_ms
    results[name.format("sumcheck") + "_bytes"] = sumcheck_bytes(proof)
    return results


def timings(
    key: SpartanKey,
    ck: CommitmentKey,
    U: RelaxedInstance,
    W: RelaxedWitness,
    opening: spartan.EvaluationArgument[Any],
    repeats: int,
) -> tuple[float, float, SpartanProof[Any]]:
    """Median prove and verify times with ``opening``, and a proof."""

    def prove() -> SpartanProof[Any]:
        return spartan.prove(key, ck, U, W, SnarkTranscript(b"bench"), opening)

    proof = prove()

    def verify() -> None:
        spartan.verify(key, ck, U, proof, SnarkTranscript(b"bench"), opening)

    return median_ms(prove, repeats), median_ms(verify, repeats), proof


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2^10 and 2^12 only")
    args = parser.parse_args()
    sizes = [10, 12] if args.quick else [10, 12, 14, 16]
    results: dict[str, float | int | str] = {}
    for log_n in sizes:
        for field in (FR, FQ):
            results.update(measure(field, log_n, 3 if log_n >= 16 else 5))
    report(
        "spartan",
        results,
        notes="without _ipa: opening excluded (an opening that proves nothing); "
        "medians on a shared machine",
    )


if __name__ == "__main__":
    main()
