"""circom import: constraint systems (.r1cs), witnesses (.wtns) and witness generators (.wasm).

Everything here is plain, validated Python data (ints and tuples) so it stands on its own; the
`csr` module is the bridge to the kernel's array layout.
"""

from crypto.circom.check import evaluate, first_unsatisfied, products
from crypto.circom.csr import CSRMatrix, field_vector
from crypto.circom.r1cs import Constraint, R1CSFile, load_r1cs, parse_r1cs
from crypto.circom.step import (
    CarriedSteps,
    CircomStep,
    RecordedSteps,
    carried_advice,
    step_arity,
    step_in,
    step_out,
)
from crypto.circom.wasm import WitnessCalculator, compute_witness, signal_hash
from crypto.circom.wtns import Witness, encode_wtns, load_wtns, parse_wtns, wtns_size

__all__ = [
    "CSRMatrix",
    "CarriedSteps",
    "CircomStep",
    "Constraint",
    "R1CSFile",
    "RecordedSteps",
    "Witness",
    "WitnessCalculator",
    "carried_advice",
    "compute_witness",
    "encode_wtns",
    "evaluate",
    "field_vector",
    "first_unsatisfied",
    "load_r1cs",
    "load_wtns",
    "parse_r1cs",
    "parse_wtns",
    "products",
    "signal_hash",
    "step_arity",
    "step_in",
    "step_out",
    "wtns_size",
]
