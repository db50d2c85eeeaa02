"""A circom circuit as a step circuit, by Nova-Scotia's convention (see `crypto.circom.step`).

Two views of one circuit:

- `shape` is the circom R1CS as it stands: z is circom's wire vector unchanged,
  (1, step_out, step_in, private inputs, internal wires), so the public inputs are
  (z_{i+1}, z_i) in that order and a `.wtns` file is an assignment without any reordering.
- `synthesize(cs, z, advice)` embeds the circuit in a larger one: the wire of step_in[j] is the
  caller's variable z[j], the constant wire is `ONE`, and every other wire (step_out included)
  becomes a new private variable, in wire order; circom's constraints are then replayed over
  those variables, so the embedding adds exactly circom's constraints. It returns the
  variables of step_out. Values come from the wasm witness generator (`from_files`,
  `from_bytes`), from the steps' precomputed `.wtns` files (`from_witnesses`), or from each
  step's advice, which then carries that step's `.wtns` (`from_carried_witnesses`, a network job
  of recorded steps); all give the same shape and key. A carried witness comes from the network,
  so it must satisfy the constraints before anything is proven from it: folding would only
  produce a proof that fails verification, far later and with no reason given.
  A verifier needs neither: `from_r1cs` is the circuit alone, which proves no step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from crypto.circom import (
    CarriedSteps,
    CircomStep,
    R1CSFile,
    RecordedSteps,
    WitnessCalculator,
    load_wtns,
    parse_r1cs,
    step_in,
    step_out,
)
from crypto.circom.r1cs import LinearCombination as WireCombination
from crypto.circom.wtns import Witness
from crypto.circuit.lc import ONE, LinearCombination, Var, private_var
from crypto.circuit.shape import R1CSShape
from crypto.circuit.step import Advice
from crypto.circuit.synthesis import values_only
from crypto.circuit.system import Assignment, ConstraintSystem
from crypto.errors import StepCircuitError, UnsatisfiedWitnessError
from crypto.field import FR


class CircomStepCircuit:
    """A circom step circuit: its constraint system and where its steps' witnesses come from
    (the wasm witness generator, recorded `.wtns` files, or each step's advice)."""

    def __init__(
        self, r1cs: R1CSFile, steps: CircomStep | RecordedSteps | CarriedSteps, key: str
    ) -> None:
        """`key` names the circuit (`from_files` derives it from the .r1cs bytes)."""
        self._step = steps
        self.r1cs = r1cs
        self._key = key
        self._satisfying: Witness | None = None

    @classmethod
    def from_files(cls, r1cs_path: str | Path, wasm_path: str | Path) -> CircomStepCircuit:
        """The circuit of a `.r1cs` file with the `.wasm` generator circom compiled with it."""
        return cls.from_bytes(Path(r1cs_path).read_bytes(), Path(wasm_path).read_bytes())

    @classmethod
    def from_bytes(cls, r1cs: bytes, wasm: bytes, *, fuel: int | None = None) -> CircomStepCircuit:
        """`from_files` over the files' bytes (as a circuit package carries them); `fuel`
        bounds the wasm instructions of each witness computation (see `WitnessCalculator`)."""
        constraints = parse_r1cs(r1cs)
        steps = CircomStep(constraints, WitnessCalculator(wasm, fuel=fuel))
        return cls(constraints, steps, _key(r1cs))

    @classmethod
    def from_witnesses(
        cls, r1cs_path: str | Path, wtns_paths: Sequence[str | Path]
    ) -> CircomStepCircuit:
        """The circuit of a `.r1cs` file whose steps are the given recorded witnesses: it can
        prove only those steps, and needs no wasm."""
        data = Path(r1cs_path).read_bytes()
        r1cs = parse_r1cs(data)
        steps = RecordedSteps(r1cs, [load_wtns(path) for path in wtns_paths])
        return cls(r1cs, steps, _key(data))

    @classmethod
    def from_carried_witnesses(cls, r1cs: bytes) -> CircomStepCircuit:
        """The circuit of a `.r1cs` file's bytes whose steps each bring their own witness, as
        `carried_advice` (a network job of recorded steps); it needs no wasm."""
        constraints = parse_r1cs(r1cs)
        return cls(constraints, CarriedSteps(constraints), _key(r1cs))

    @property
    def carries_witnesses(self) -> bool:
        """Whether each step's advice must carry its witness (`from_carried_witnesses`)."""
        return isinstance(self._step, CarriedSteps)

    @classmethod
    def from_r1cs(cls, r1cs_path: str | Path) -> CircomStepCircuit:
        """The circuit of a `.r1cs` file with no witnesses: its shape and key, all that checking
        a proof takes (the parameters are a function of the shape)."""
        return cls.from_witnesses(r1cs_path, [])

    @property
    def arity(self) -> int:
        return self._step.arity

    @property
    def key(self) -> str:
        """``circom:<SHA-256 of the .r1cs file>``."""
        return self._key

    @cached_property
    def shape(self) -> R1CSShape:
        """The circom R1CS over z = circom's wire vector (public: step_out, then step_in)."""
        r1cs = self.r1cs
        n_public = r1cs.n_pub_out + r1cs.n_pub_in
        return R1CSShape.from_csr(
            FR,
            r1cs.n_constraints,
            n_public,
            r1cs.n_wires - 1 - n_public,
            [(m.indptr, m.indices, m.values) for m in r1cs.to_csr()],
        )

    def assignment(self, witness: Witness) -> Assignment:
        """`witness` as an assignment of `shape`."""
        witness.check_against(self.r1cs)
        n_public = self.r1cs.n_pub_out + self.r1cs.n_pub_in
        values = witness.values
        return Assignment(list(values[1 : 1 + n_public]), list(values[1 + n_public :]))

    def witness(self, z: Sequence[int], advice: Advice) -> Witness:
        """The full wire vector of the step from z_i = `z`: computed by the wasm generator,
        recorded, or carried in `advice` (then checked to satisfy the constraints)."""
        witness = self._step.run(z, advice or {})
        if isinstance(self._step, CarriedSteps) and witness is not self._satisfying:
            unsatisfied = self.shape.first_unsatisfied(self.assignment(witness))
            if unsatisfied is not None:
                raise UnsatisfiedWitnessError(
                    f"the step's witness violates circom constraint {unsatisfied} of "
                    f"{self.r1cs.n_constraints}: it is not an execution of this circuit"
                )
            self._satisfying = witness
        return witness

    def native(self, z: Sequence[int], advice: Advice) -> list[int]:
        """z_{i+1}: the step's outputs, from its witness (`witness`)."""
        return list(step_out(self.witness(z, advice), self.arity))

    def synthesize(self, cs: ConstraintSystem, z: Sequence[Var], advice: Advice) -> list[Var]:
        """Embeds one step with values from its witness (none while recording)."""
        if not cs.computes_values:
            return self.embed(cs, z, None)
        return self.embed(cs, z, self.witness([cs.value(v) for v in z], advice))

    def embed(self, cs: ConstraintSystem, z: Sequence[Var], witness: Witness | None) -> list[Var]:
        """Embeds one step whose wire values are `witness` (None while recording the shape).

        The witness must belong to this circuit and its step_in must be the values of `z`.
        """
        arity = self.arity
        if len(z) != arity:
            raise StepCircuitError(f"z has {len(z)} variables; the step circuit takes {arity}")
        if witness is not None:
            witness.check_against(self.r1cs)
            if cs.computes_values and list(step_in(witness, arity)) != [cs.value(v) for v in z]:
                raise StepCircuitError("the witness's step_in is not the value of z")
        own = [w for w in range(1, self.r1cs.n_wires) if not arity < w <= 2 * arity]
        wires: list[Var] = [ONE] * self.r1cs.n_wires
        for j, var in enumerate(z):
            wires[1 + arity + j] = var
        if witness is not None and values_only(cs):
            first = cs.extend([witness.values[w] for w in own])
            for offset, w in enumerate(own):
                wires[w] = private_var(first + offset)
            return wires[1 : 1 + arity]
        for w in own:
            wires[w] = cs.alloc(None if witness is None else witness.values[w], f"wire{w}")
        ids = [var.id for var in wires]
        for index, row in enumerate(self.r1cs.constraints):
            cs.enforce(
                _combination(row.a, ids),
                _combination(row.b, ids),
                _combination(row.c, ids),
                f"circom constraint {index}",
            )
        return wires[1 : 1 + arity]


def _key(r1cs: bytes) -> str:
    return "circom:" + hashlib.sha256(r1cs).hexdigest()


def _combination(terms: WireCombination, ids: list[int]) -> LinearCombination:
    """A circom combination over our variables; two wires may share one (z = [v, v])."""
    combined: dict[int, int] = {}
    for wire, coeff in terms:
        var = ids[wire]
        combined[var] = combined.get(var, 0) + coeff
    return LinearCombination(combined)
