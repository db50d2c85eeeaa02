"""Circuit packages: the bytes a job's `circuit` content address names (SPEC.md §9.4).

A job names its step circuit by the SHA-256 of one blob, so the circuit needs one canonical
encoding that every node turns into the same circuit. A package is a canonical CBOR map of one
of three kinds:

    {"v": 1, "builtin": tstr}            a key of the fixed built-in table (`builtin:cubic?log2=4`)
    {"v": 1, "r1cs": bstr, "wasm": bstr}  circom's .r1cs file and its .wasm witness generator
    {"v": 1, "r1cs": bstr}               circom's .r1cs file alone: recorded steps, each step's
                                         input carrying its .wtns (`carried_advice`)

A built-in package carries no code: the node builds the circuit from its own table, and nothing
else is imported. A circom package carries code from the network, which only ever runs inside
wasmtime with a fuel bound on each witness computation, so a generator that loops stops with
`WitnessFuelExhaustedError` instead of holding a prover forever. A recorded package carries no
code at all; its steps' witnesses are checked against the circuit before use, and the circuit
must be small enough for a witness to fit in a step input (`MAX_WITNESS_BYTES`). The blob is
bounded before it is parsed, and its keys, version and field types are checked strictly, each
with its own `CircuitPackageError`; the .r1cs, the wasm and the built-in key then raise their
own errors (`CircomFormatError`, `WitnessComputationError`, `UnsupportedParameterError`, ...).
"""

from __future__ import annotations

from typing import Final

from crypto.circom import wtns_size
from crypto.circuit.builtins import builtin
from crypto.circuit.cache import SHAPES
from crypto.circuit.circom_step import CircomStepCircuit
from crypto.circuit.step import StepCircuit
from crypto.errors import (
    CircuitPackageError,
    CircuitPackageFieldError,
    CircuitPackageMalformedError,
    CircuitPackageNonCanonicalError,
    CircuitPackageOversizeError,
    CircuitPackageVersionError,
    CircuitPackageWrongTypeError,
)
from protocol import cbor
from protocol.errors import NonCanonicalError, OversizeError, ProtocolError
from protocol.limits import MAX_CIRCUIT_BYTES, MAX_WASM_FUEL, MAX_WITNESS_BYTES

PACKAGE_VERSION: Final = 1

DEFAULT_WASM_FUEL: Final = MAX_WASM_FUEL
"""Wasm instructions one witness computation may execute (SPEC.md §10). The Poseidon-chain
fixture (240 constraints) uses about 2.8 million a step, so this admits generators some 35,000
times larger (millions of constraints), while a generator that loops stops after about 80 s
(wasmtime runs about 1.2 billion metered instructions a second)."""

_ROOT: Final = "$"
_BUILTIN_KEYS: Final = frozenset({"v", "builtin"})
_CIRCOM_KEYS: Final = frozenset({"v", "r1cs", "wasm"})


def builtin_package(key: str) -> bytes:
    """The package of the built-in circuit `key` (which must be a canonical built-in key)."""
    builtin(key)
    return _encode({"v": PACKAGE_VERSION, "builtin": key})


def circom_package(r1cs: bytes, wasm: bytes) -> bytes:
    """The package of a circom circuit: its .r1cs file's bytes and its .wasm generator's."""
    return _encode({"v": PACKAGE_VERSION, "r1cs": bytes(r1cs), "wasm": bytes(wasm)})


def recorded_package(r1cs: bytes) -> bytes:
    """The package of a circom circuit whose steps are recorded witnesses: its .r1cs file's
    bytes alone; each step's input then carries that step's .wtns."""
    blob = _encode({"v": PACKAGE_VERSION, "r1cs": bytes(r1cs)})
    load_package(blob)
    return blob


def load_package(blob: bytes, *, fuel: int | None = DEFAULT_WASM_FUEL) -> StepCircuit:
    """The step circuit of a package; `fuel` bounds each witness computation of a circom
    circuit's wasm (None: unbounded, for a package the caller trusts)."""
    fields = _decode(blob)
    if "builtin" in fields:
        key = fields["builtin"]
        assert isinstance(key, str)  # checked by _decode
        return builtin(key)
    r1cs, wasm = fields["r1cs"], fields.get("wasm")
    assert isinstance(r1cs, bytes)  # checked by _decode
    if wasm is None:
        return _recorded(r1cs)
    assert isinstance(wasm, bytes)  # checked by _decode
    return CircomStepCircuit.from_bytes(r1cs, wasm, fuel=fuel)


def step_cost(circuit: StepCircuit) -> int:
    """Constraints of one application of the step circuit F alone (a job's `cost`): a circom
    circuit's R1CS constraint count, else the count of F's shape on its own (as
    `ShapeCache.step_shape` records it, without the augmented circuit around it)."""
    if isinstance(circuit, CircomStepCircuit):
        return circuit.r1cs.n_constraints
    return SHAPES.step_shape(circuit).n_constraints


def _recorded(r1cs: bytes) -> CircomStepCircuit:
    """A recorded package's circuit, if one step's witness fits in a step input."""
    circuit = CircomStepCircuit.from_carried_witnesses(r1cs)
    size = wtns_size(circuit.r1cs.n_wires)
    if size > MAX_WITNESS_BYTES:
        raise CircuitPackageOversizeError(
            "r1cs",
            f"a witness of its {circuit.r1cs.n_wires} wires takes {size} bytes, over the "
            f"{MAX_WITNESS_BYTES} a step input can carry: ship the wasm generator instead",
        )
    return circuit


def _encode(value: dict[str, object]) -> bytes:
    blob = cbor.encode(value)
    if len(blob) > MAX_CIRCUIT_BYTES:
        raise CircuitPackageOversizeError(
            _ROOT, f"{len(blob)} bytes exceed the limit of {MAX_CIRCUIT_BYTES}"
        )
    return blob


def _decode(blob: bytes) -> dict[str, object]:
    """The package's map, its keys, version and field types checked."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise CircuitPackageWrongTypeError(_ROOT, f"expected bytes, got {type(blob).__name__}")
    try:
        value = cbor.decode(bytes(blob), MAX_CIRCUIT_BYTES)
    except OversizeError as exc:
        raise CircuitPackageOversizeError(_ROOT, _reason(exc)) from None
    except NonCanonicalError as exc:
        raise CircuitPackageNonCanonicalError(_ROOT, _reason(exc)) from None
    except ProtocolError as exc:
        raise CircuitPackageMalformedError(_ROOT, _reason(exc)) from None
    if not isinstance(value, dict):
        raise CircuitPackageMalformedError(_ROOT, f"must be a map, got {type(value).__name__}")
    keys = frozenset(value)
    unknown = sorted(keys - _BUILTIN_KEYS - _CIRCOM_KEYS)
    if unknown:
        raise CircuitPackageFieldError(unknown[0], "is not a field of a circuit package")
    if "v" not in keys:
        raise CircuitPackageFieldError("v", "is required")
    version = value["v"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise CircuitPackageWrongTypeError("v", f"must be an unsigned integer, got {version!r}")
    if version != PACKAGE_VERSION:
        raise CircuitPackageVersionError(
            "v", f"version {version}; this node reads {PACKAGE_VERSION}"
        )
    if "builtin" in keys and keys & {"r1cs", "wasm"}:
        raise CircuitPackageFieldError(_ROOT, "holds both a built-in key and circom files")
    if "builtin" in keys:
        _require(value, "builtin", str, "a text string")
    else:
        if "r1cs" not in keys:
            raise CircuitPackageFieldError("r1cs", "is required (or `builtin` alone)")
        for key in sorted(keys & {"r1cs", "wasm"}):
            _require(value, key, bytes, "a byte string")
    return value


def _require(fields: dict[str, object], key: str, kind: type, name: str) -> None:
    if not isinstance(fields[key], kind):
        raise CircuitPackageWrongTypeError(key, f"must be {name}, got {type(fields[key]).__name__}")


def _reason(exc: ProtocolError) -> str:
    return str(exc).removeprefix(f"{exc.field}: ")


__all__ = [
    "DEFAULT_WASM_FUEL",
    "PACKAGE_VERSION",
    "CircuitPackageError",
    "builtin_package",
    "circom_package",
    "load_package",
    "recorded_package",
    "step_cost",
]
