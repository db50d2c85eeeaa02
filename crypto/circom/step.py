"""A circom circuit run as a Nova step circuit, by Nova-Scotia's convention.

The main component's only public signals are its outputs `step_out[arity]` and its inputs
`step_in[arity]`, so in circom's wire order wires 1..arity hold z_{i+1} and wires
arity+1..2·arity hold z_i; every other input is the step's private advice, given as one object in
circom's JSON input format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from crypto.circom.binfile import BN254_SCALAR_PRIME
from crypto.circom.r1cs import R1CSFile
from crypto.circom.wasm import InputValue, WitnessCalculator
from crypto.circom.wtns import Witness, parse_wtns, wtns_size
from crypto.errors import StepCircuitError, WireCountMismatchError

CARRIED_WITNESS_KEY: Final = "wtns"
"""The advice key under which a step of `CarriedSteps` receives its `.wtns` bytes."""


def step_arity(r1cs: R1CSFile) -> int:
    """The arity of a step circuit: as many public outputs as public inputs, at least one."""
    if r1cs.n_pub_out != r1cs.n_pub_in or r1cs.n_pub_in == 0:
        raise StepCircuitError(
            f"a step circuit has public outputs step_out[n] and public inputs step_in[n] only; "
            f"this one has {r1cs.n_pub_out} public outputs and {r1cs.n_pub_in} public inputs"
        )
    return r1cs.n_pub_in


def step_out(witness: Witness, arity: int) -> tuple[int, ...]:
    """z_{i+1}: the public outputs, wires 1..arity."""
    return witness.values[1 : 1 + arity]


def step_in(witness: Witness, arity: int) -> tuple[int, ...]:
    """z_i: the public inputs, wires arity+1..2·arity."""
    return witness.values[1 + arity : 1 + 2 * arity]


class CircomStep:
    """One circom circuit's constraint system and witness generator, checked to fit each other."""

    def __init__(self, r1cs: R1CSFile, calculator: WitnessCalculator) -> None:
        if calculator.n_witness != r1cs.n_wires:
            raise WireCountMismatchError(
                f"the witness generator produces {calculator.n_witness} values but the "
                f"constraint system has {r1cs.n_wires} wires: they come from different circuits"
            )
        self.r1cs = r1cs
        self.arity = step_arity(r1cs)
        self._calculator = calculator

    def run(self, z: Sequence[int], advice: Mapping[str, InputValue]) -> Witness:
        """The witness of the step from z_i = `z` with the step's private `advice`."""
        if len(z) != self.arity:
            raise StepCircuitError(f"z has {len(z)} elements; the step circuit takes {self.arity}")
        if any(not 0 <= v < BN254_SCALAR_PRIME for v in z):
            raise StepCircuitError("z holds a value that is not a canonical field element")
        if "step_in" in advice:
            raise StepCircuitError("advice must not set step_in: it is the previous step's z")
        if isinstance(advice.get(CARRIED_WITNESS_KEY), bytes):
            raise StepCircuitError(
                "this circuit computes each step's witness with its wasm generator; a step "
                "input carrying a recorded witness (.wtns) belongs to a job of recorded steps"
            )
        witness = self._calculator.compute({**advice, "step_in": [str(v) for v in z]})
        witness.check_against(self.r1cs)
        if step_in(witness, self.arity) != tuple(z):
            raise StepCircuitError("the circuit's public inputs are not its step_in signal")
        return witness


class RecordedSteps:
    """Steps whose witnesses were computed beforehand (one `.wtns` per step), for proving
    without the wasm generator. A step's witness is the one that starts from its z; the advice
    is already inside it, so `run` ignores the advice it is given."""

    def __init__(self, r1cs: R1CSFile, witnesses: Sequence[Witness]) -> None:
        self.r1cs = r1cs
        self.arity = step_arity(r1cs)
        self._by_start: dict[tuple[int, ...], Witness] = {}
        for index, witness in enumerate(witnesses):
            witness.check_against(r1cs)
            start = step_in(witness, self.arity)
            earlier = self._by_start.setdefault(start, witness)
            if step_out(earlier, self.arity) != step_out(witness, self.arity):
                raise StepCircuitError(
                    f"recorded step {index} starts from the state of an earlier one but ends "
                    f"elsewhere: which one a step from z = {list(start)} takes is ambiguous"
                )

    def run(self, z: Sequence[int], advice: Mapping[str, InputValue]) -> Witness:
        """The recorded witness that starts from `z`."""
        witness = self._by_start.get(tuple(z))
        if witness is None:
            raise StepCircuitError(f"no recorded step starts from z = {list(z)}")
        return witness


def carried_advice(wtns: bytes) -> dict[str, bytes]:
    """The advice of a `CarriedSteps` step: that step's `.wtns` bytes."""
    return {CARRIED_WITNESS_KEY: bytes(wtns)}


class CarriedSteps:
    """Steps whose witness comes with each step, as its advice (`carried_advice`): a network job
    of recorded steps, where no wasm is shipped. The bytes come from the network, so they are
    bounded by the circuit's wire count before they are parsed, must fit the circuit and must
    start from the step's z. (Whether they satisfy the constraints is checked on the circuit's
    shape, by `CircomStepCircuit`.)"""

    def __init__(self, r1cs: R1CSFile) -> None:
        self.r1cs = r1cs
        self.arity = step_arity(r1cs)
        self.wtns_bytes = wtns_size(r1cs.n_wires)
        self._last: tuple[bytes, Witness] | None = None

    def run(self, z: Sequence[int], advice: Mapping[str, Any]) -> Witness:
        """The witness the advice carries, checked to be one of this circuit from `z`. The last
        one parsed is kept: a prover reads the same step's witness more than once."""
        wtns = advice.get(CARRIED_WITNESS_KEY)
        if not isinstance(wtns, bytes):
            raise StepCircuitError(
                "a circuit of recorded steps proves a step only from that step's witness "
                "(.wtns), and this step's input carries none"
            )
        if len(wtns) != self.wtns_bytes:
            raise WireCountMismatchError(
                f"the step's witness has {len(wtns)} bytes; the .wtns of this circuit's "
                f"{self.r1cs.n_wires} wires has {self.wtns_bytes}: it belongs to another circuit"
            )
        if self._last is not None and self._last[0] == wtns:
            witness = self._last[1]
        else:
            witness = parse_wtns(wtns)
            witness.check_against(self.r1cs)
            self._last = (wtns, witness)
        if step_in(witness, self.arity) != tuple(z):
            raise StepCircuitError(
                f"the witness starts from step_in = {list(step_in(witness, self.arity))}, "
                f"not from the step's state z = {list(z)}"
            )
        return witness
