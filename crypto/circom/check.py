"""R1CS satisfaction in plain Python: the independent check for tests and the CLI.

Deliberately simple (Python ints, one constraint at a time) so that it can serve as a reference
for the kernel's sparse arithmetic rather than share its bugs.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.circom.r1cs import LinearCombination, R1CSFile
from crypto.circom.wtns import Witness


def evaluate(combination: LinearCombination, z: Sequence[int], prime: int) -> int:
    """⟨combination, z⟩ mod prime."""
    return sum(coeff * z[wire] for wire, coeff in combination) % prime


def products(r1cs: R1CSFile, witness: Witness) -> tuple[list[int], list[int], list[int]]:
    """A·z, B·z and C·z: the value of each constraint's three linear combinations."""
    witness.check_against(r1cs)
    z, p = witness.values, r1cs.prime
    az = [evaluate(row.a, z, p) for row in r1cs.constraints]
    bz = [evaluate(row.b, z, p) for row in r1cs.constraints]
    cz = [evaluate(row.c, z, p) for row in r1cs.constraints]
    return az, bz, cz


def first_unsatisfied(r1cs: R1CSFile, witness: Witness) -> int | None:
    """Index of the first constraint that `witness` violates, or None if it satisfies them all.

    Raises if the witness does not fit the circuit at all (field, wire count, constant wire).
    """
    witness.check_against(r1cs)
    z, p = witness.values, r1cs.prime
    for index, row in enumerate(r1cs.constraints):
        if evaluate(row.a, z, p) * evaluate(row.b, z, p) % p != evaluate(row.c, z, p):
            return index
    return None
