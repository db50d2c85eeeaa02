"""What a requester asks the network to prove, checked before anything is announced.

A `JobSpec` names the step circuit by its package (the blob every worker loads), the initial
state z0 and one input object per step — or, for a circom circuit without its wasm, one
recorded witness per step; its length is N. `prepare` runs the N steps natively
here — the execution trace — which both builds the step inputs the workers fetch and catches
inputs that can never be proven (a step the circuit rejects, a state of the wrong arity) before
any worker spends time on them. Every check raises `JobSpecError` with the step or field at
fault, so a CLI can print it as it stands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from crypto.circuit.package import (
    builtin_package,
    circom_package,
    load_package,
    recorded_package,
    step_cost,
)
from crypto.circuit.step import Advice, StepCircuit
from crypto.errors import CryptoError
from crypto.field import FR
from node.errors import JobSpecError
from node.requester import PreparedJob, prepare_job, prepare_recorded_job
from protocol.limits import MAX_CIRCUIT_BYTES, MAX_CONSTRAINTS_PER_STEP, MAX_STEPS


@dataclass(frozen=True)
class JobSpec:
    """A proving request: N = ``len(advice)`` steps of the packaged circuit from ``z0``."""

    package: bytes
    z0: tuple[int, ...]
    advice: tuple[Advice, ...]
    witnesses: tuple[bytes, ...] = ()
    """Recorded steps' `.wtns` bytes, one per step, for a package of a `.r1cs` alone."""

    @property
    def steps(self) -> int:
        return len(self.advice)


def builtin_spec(
    key: str, z0: Sequence[int], *, steps: int, advice: Sequence[Advice] | None = None
) -> JobSpec:
    """A job of a built-in step circuit (``builtin:cubic?log2=10``, see `novanode prove`)."""
    try:
        package = builtin_package(key)
    except CryptoError as exc:
        raise JobSpecError(f"{key} is not a built-in step circuit: {exc}") from None
    return JobSpec(package, _state(z0), _advice(advice, steps))


def circom_spec(
    r1cs: Path, wasm: Path, z0: Sequence[int], *, steps: int, advice: Sequence[Advice] | None
) -> JobSpec:
    """A job of a circom circuit: its ``.r1cs`` and the ``.wasm`` witness generator that every
    worker runs (inside wasmtime, with bounded fuel) for the steps it proves."""
    return JobSpec(circom_package(_read(r1cs), _read(wasm)), _state(z0), _advice(advice, steps))


def recorded_spec(r1cs: Path, witnesses: Sequence[Path], z0: Sequence[int]) -> JobSpec:
    """A job of a circom circuit whose steps' witnesses were computed beforehand (one `.wtns`
    file per step, in step order): no wasm is shipped, each step's input carries its witness."""
    if not witnesses:
        raise JobSpecError("a recorded job needs at least one .wtns file")
    recorded = tuple(_read(path) for path in witnesses)
    return JobSpec(
        recorded_package(_read(r1cs)), _state(z0), _advice(None, len(recorded)), recorded
    )


def load_advice(path: Path, steps: int) -> tuple[Advice, ...]:
    """One input object per step from a JSON file holding an array of N objects."""
    try:
        data = json.loads(_read(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JobSpecError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, list):
        raise JobSpecError(f"{path} must hold a JSON array of input objects, one per step")
    return _advice(data, steps)


def parse_state(text: str, what: str = "z0") -> tuple[int, ...]:
    """A state (z0, or the zN a verifier expects) given as a JSON array of field elements
    (integers or decimal strings); ``what`` names it in errors."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobSpecError(f"{what} is not JSON: {exc}") from None
    if not isinstance(values, list):
        raise JobSpecError(f"{what} must be a JSON array of field elements")
    return _state(values, what)


def circuit_of(spec: JobSpec) -> StepCircuit:
    """The spec's step circuit, loaded here (the requester trusts its own package)."""
    if len(spec.package) > MAX_CIRCUIT_BYTES:
        raise JobSpecError(
            f"the circuit package is {len(spec.package)} bytes; the network carries at most "
            f"{MAX_CIRCUIT_BYTES} (SPEC.md §10)"
        )
    try:
        return load_package(spec.package, fuel=None)
    except CryptoError as exc:
        raise JobSpecError(f"the circuit does not load: {exc}") from None


@dataclass(frozen=True)
class TracedJob:
    """A spec after its local trace: the circuit, and the blobs and final state it gave."""

    spec: JobSpec
    circuit: StepCircuit
    prepared: PreparedJob


def prepare(spec: JobSpec) -> TracedJob:
    """The job's blobs and final state from the local trace; `JobSpecError` for a job that
    can never be served."""
    circuit = circuit_of(spec)
    if len(spec.z0) != circuit.arity:
        raise JobSpecError(
            f"z0 has {len(spec.z0)} elements; the circuit {circuit.key} has arity {circuit.arity}"
        )
    cost = step_cost(circuit)
    if cost > MAX_CONSTRAINTS_PER_STEP:
        raise JobSpecError(
            f"a step has {cost} constraints; jobs allow at most {MAX_CONSTRAINTS_PER_STEP}"
        )
    try:
        if spec.witnesses:
            prepared = prepare_recorded_job(spec.package, spec.witnesses, spec.z0)
        else:
            prepared = prepare_job(spec.package, spec.z0, spec.advice)
    except CryptoError as exc:
        raise JobSpecError(f"the local trace fails: {exc}") from None
    return TracedJob(spec, circuit, prepared)


def _state(values: Sequence[object], what: str = "z0") -> tuple[int, ...]:
    state = []
    for value in values:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < FR.modulus:
            raise JobSpecError(f"{what}: {value!r} is not an element of the BN254 scalar field")
        state.append(value)
    if not state:
        raise JobSpecError(f"{what} is empty; a step circuit's state has at least one element")
    return tuple(state)


def _advice(advice: Sequence[object] | None, steps: int) -> tuple[Advice, ...]:
    if not 1 <= steps <= MAX_STEPS:
        raise JobSpecError(f"a job has 1 to {MAX_STEPS} steps, not {steps}")
    if advice is None:
        return (None,) * steps
    if len(advice) != steps:
        raise JobSpecError(f"{len(advice)} input objects for {steps} steps; give one per step")
    checked: list[Advice] = []
    for m, item in enumerate(advice):
        if item is not None and not isinstance(item, Mapping):
            raise JobSpecError(f"step {m}'s input is {type(item).__name__}, not a JSON object")
        checked.append(item)
    return tuple(checked)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise JobSpecError(f"cannot read {path}: {exc.strerror or exc}") from None
