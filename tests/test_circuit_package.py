"""Circuit packages (SPEC.md §9.4): the canonical blob a job's `circuit` names, decoded strictly,
turned into the same circuit the file-based constructors give, its wasm bounded by fuel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cbor2
import pytest
import wasmtime

from crypto.circuit import package
from crypto.circuit.builtins import builtin
from crypto.circuit.cache import ShapeCache
from crypto.circuit.circom_step import CircomStepCircuit
from crypto.circuit.package import (
    DEFAULT_WASM_FUEL,
    builtin_package,
    circom_package,
    load_package,
    step_cost,
)
from crypto.errors import (
    BadMagicError,
    CircomFormatError,
    CircuitPackageError,
    CircuitPackageFieldError,
    CircuitPackageMalformedError,
    CircuitPackageNonCanonicalError,
    CircuitPackageOversizeError,
    CircuitPackageVersionError,
    CircuitPackageWrongTypeError,
    UnsupportedParameterError,
    WitnessComputationError,
    WitnessFuelExhaustedError,
)

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
R1CS = (FIXTURE / "poseidon_chain.r1cs").read_bytes()
WASM = (FIXTURE / "poseidon_chain.wasm").read_bytes()
CUBIC = "builtin:cubic?log2=4"


@pytest.fixture(scope="module")
def circom_blob() -> bytes:
    return circom_package(R1CS, WASM)


@pytest.fixture(scope="module")
def from_files() -> CircomStepCircuit:
    return CircomStepCircuit.from_files(
        FIXTURE / "poseidon_chain.r1cs", FIXTURE / "poseidon_chain.wasm"
    )


@pytest.fixture(scope="module")
def first_step() -> dict[str, Any]:
    step: dict[str, Any] = json.loads((FIXTURE / "trace.json").read_text())["steps"][0]
    return step


def _blob(value: object) -> bytes:
    return cbor2.dumps(value, canonical=True)


def test_builtin_package_is_the_canonical_map_and_round_trips() -> None:
    blob = builtin_package(CUBIC)
    assert blob == _blob({"v": 1, "builtin": CUBIC})
    circuit = load_package(blob)
    reference = builtin(CUBIC)
    assert circuit.key == reference.key
    assert circuit.arity == reference.arity
    assert ShapeCache().step_shape(circuit).digest == ShapeCache().step_shape(reference).digest


def test_builtin_package_requires_a_canonical_key() -> None:
    for key in ("builtin:cubic?log2=04", "builtin:nope", "cubic"):
        with pytest.raises(UnsupportedParameterError):
            builtin_package(key)


def test_circom_package_is_the_canonical_map(circom_blob: bytes) -> None:
    assert circom_blob == _blob({"v": 1, "r1cs": R1CS, "wasm": WASM})


def test_circom_package_loads_as_the_file_based_circuit(
    circom_blob: bytes, from_files: CircomStepCircuit, first_step: dict[str, Any]
) -> None:
    circuit = load_package(circom_blob)
    assert isinstance(circuit, CircomStepCircuit)
    assert circuit.key == from_files.key
    assert circuit.arity == from_files.arity == 2
    assert circuit.shape.digest == from_files.shape.digest
    z = [int(v) for v in first_step["step_in"]]
    out = circuit.native(z, {"advice": first_step["advice"][0]})
    assert out == [int(v) for v in first_step["step_out"]]


def test_from_bytes_matches_from_files(from_files: CircomStepCircuit) -> None:
    circuit = CircomStepCircuit.from_bytes(R1CS, WASM, fuel=DEFAULT_WASM_FUEL)
    assert circuit.key == from_files.key
    assert circuit.shape.digest == from_files.shape.digest
    assert circuit.r1cs == from_files.r1cs


def test_too_little_fuel_stops_the_witness_computation(first_step: dict[str, Any]) -> None:
    # The fixture's step needs about 2.8 million instructions; construction needs a few dozen.
    circuit = load_package(circom_package(R1CS, WASM), fuel=1_000_000)
    z = [int(v) for v in first_step["step_in"]]
    with pytest.raises(WitnessFuelExhaustedError, match="fuel"):
        circuit.native(z, {"advice": first_step["advice"][0]})


def test_step_cost_of_builtins_is_f_alone() -> None:
    assert step_cost(builtin("builtin:cubic?log2=4")) == 16
    assert step_cost(builtin("builtin:cubic?log2=10")) == 1024


def test_step_cost_of_circom_is_its_constraint_count(from_files: CircomStepCircuit) -> None:
    assert step_cost(from_files) == from_files.r1cs.n_constraints == from_files.shape.n_constraints


@pytest.mark.parametrize(
    ("value", "error", "field"),
    [
        ({"v": 1, "builtin": CUBIC, "extra": 1}, CircuitPackageFieldError, "extra"),
        ({"builtin": CUBIC}, CircuitPackageFieldError, "v"),
        ({"v": 1}, CircuitPackageFieldError, "r1cs"),
        ({"v": 1, "builtin": CUBIC, "r1cs": R1CS}, CircuitPackageFieldError, "$"),
        ({"v": 1, "wasm": WASM}, CircuitPackageFieldError, "r1cs"),
        ({"v": 1, "builtin": CUBIC, "r1cs": R1CS, "wasm": WASM}, CircuitPackageFieldError, "$"),
        ({"v": 1, "builtin": CUBIC, "wasm": WASM}, CircuitPackageFieldError, "$"),
        ({"v": 2, "builtin": CUBIC}, CircuitPackageVersionError, "v"),
        ({"v": 0, "builtin": CUBIC}, CircuitPackageVersionError, "v"),
        ({"v": "1", "builtin": CUBIC}, CircuitPackageWrongTypeError, "v"),
        ({"v": 1, "builtin": CUBIC.encode()}, CircuitPackageWrongTypeError, "builtin"),
        ({"v": 1, "r1cs": "text", "wasm": WASM}, CircuitPackageWrongTypeError, "r1cs"),
        ({"v": 1, "r1cs": R1CS, "wasm": [1]}, CircuitPackageWrongTypeError, "wasm"),
        ({"v": 1, "r1cs": [R1CS]}, CircuitPackageWrongTypeError, "r1cs"),
        ([1, CUBIC], CircuitPackageMalformedError, "$"),
    ],
)
def test_strict_fields(value: object, error: type[CircuitPackageError], field: str) -> None:
    with pytest.raises(error) as raised:
        load_package(_blob(value))
    assert raised.value.field == field


def test_rejects_non_canonical_cbor() -> None:
    unsorted = cbor2.dumps({"builtin": CUBIC, "v": 1})
    long_integer = b"\xa2" + _blob("v") + b"\x18\x01" + _blob("builtin") + _blob(CUBIC)
    for blob in (unsorted, long_integer):
        assert cbor2.loads(blob) == {"v": 1, "builtin": CUBIC}
        with pytest.raises(CircuitPackageNonCanonicalError):
            load_package(blob)


@pytest.mark.parametrize(
    "blob",
    [b"", b"\xff", _blob({"v": 1, "builtin": CUBIC}) + b"\x00", b"\xc0\x01", b"\xa1\x01\x01"],
)
def test_rejects_malformed_cbor(blob: bytes) -> None:
    with pytest.raises(CircuitPackageMalformedError):
        load_package(blob)


def test_rejects_unknown_or_non_canonical_builtin() -> None:
    for key in ("builtin:nope", "builtin:cubic?log2=04", "builtin:cubic", "circom:abc"):
        with pytest.raises(UnsupportedParameterError):
            load_package(_blob({"v": 1, "builtin": key}))


def test_rejects_garbage_r1cs_and_wasm() -> None:
    with pytest.raises(BadMagicError):
        load_package(circom_package(b"not an r1cs file", WASM))
    with pytest.raises(CircomFormatError):
        load_package(circom_package(R1CS[: len(R1CS) // 2], WASM))
    with pytest.raises(WitnessComputationError, match="not a valid wasm module"):
        load_package(circom_package(R1CS, b"\x00asm garbage"))
    empty_module = wasmtime.wat2wasm("(module)")
    with pytest.raises(WitnessComputationError, match="not a circom witness generator"):
        load_package(circom_package(R1CS, empty_module))


def test_size_is_bounded_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 1 GiB blob is too much for a test machine: the same check, under a smaller bound.
    monkeypatch.setattr(package, "MAX_CIRCUIT_BYTES", 1024)
    with pytest.raises(CircuitPackageOversizeError):
        load_package(b"\xff" * 1025)  # not CBOR either: the size is what is checked first
    with pytest.raises(CircuitPackageOversizeError):
        circom_package(b"r" * 600, b"w" * 600)
    assert load_package(builtin_package(CUBIC)).key == CUBIC


def test_rejects_non_bytes() -> None:
    with pytest.raises(CircuitPackageWrongTypeError):
        load_package("builtin:cubic?log2=4")  # type: ignore[arg-type]
