"""Nova folding: commitment keys, relaxed R1CS, the Fiat-Shamir transcript and the NIFS.

- ``commitment``: Pedersen vector commitments on the curve whose scalars are the shape's field.
- ``relaxed``: relaxed R1CS instances and witnesses and their satisfiability check.
- ``transcript``: the Poseidon transcript over the commitment curve's base field.
- ``nifs``: folding two instances into one (prove) and checking a fold (verify).
"""

from crypto.folding.commitment import COMMITMENT_LABEL, CommitmentKey, commitment_key, curve_for
from crypto.folding.nifs import cross_term, fold_instances, prove, verify
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness, check, fresh, key_for
from crypto.folding.transcript import NIFS_LABEL, Transcript

__all__ = [
    "COMMITMENT_LABEL",
    "NIFS_LABEL",
    "CommitmentKey",
    "RelaxedInstance",
    "RelaxedWitness",
    "Transcript",
    "check",
    "commitment_key",
    "cross_term",
    "curve_for",
    "fold_instances",
    "fresh",
    "key_for",
    "prove",
    "verify",
]
