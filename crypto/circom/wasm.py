"""Witness computation from the `.wasm` witness generator circom compiles, run on wasmtime.

This is circom's witness-calculator protocol (the one its generated JavaScript speaks), in Python:
the module imports four `runtime` callbacks, and exports calls that exchange field elements 32 bits
at a time through a small shared buffer. Inputs are circom's JSON input format: signal name →
integer, decimal (or 0x-hex) string, or nested arrays of them; nested objects name bus fields.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import wasmtime

from crypto.circom.binfile import BN254_SCALAR_PRIME
from crypto.circom.r1cs import MAX_WIRES
from crypto.circom.wtns import Witness
from crypto.errors import (
    CryptoError,
    InputSignalError,
    WitnessComputationError,
    WitnessFuelExhaustedError,
    WrongPrimeError,
)

_log = logging.getLogger(__name__)

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_U64 = (1 << 64) - 1
_FIELD_WORDS = 8  # 32-bit words of a BN254 scalar
_MAX_MESSAGE = 4096  # characters of one error or log message kept
_DECIMAL = re.compile(r"-?[0-9]{1,1000}")
_HEX = re.compile(r"-?0[xX][0-9a-fA-F]{1,1000}")

# The codes circom's generated code passes to runtime.exceptionHandler.
_INPUT_ERRORS = {
    1: "signal not found",
    2: "too many values set for a signal",
    3: "signal already set",
    6: "input signal array index beyond its size",
}
_RUN_ERRORS = {4: "assert failed", 5: "out of memory"}

InputValue = int | str | list["InputValue"] | dict[str, "InputValue"]
"""One value in circom's JSON input format."""


def signal_hash(name: str) -> tuple[int, int]:
    """FNV-1a 64 of a qualified signal name, split as circom's exports take it: (high, low) u32."""
    h = _FNV_OFFSET
    for char in name:
        h = ((h ^ ord(char)) * _FNV_PRIME) & _U64
    return h >> 32, h & 0xFFFFFFFF


class _CircomTrapError(Exception):
    """Raised inside exceptionHandler to carry circom's error code out of the wasm call."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class WitnessCalculator:
    """A compiled circom witness generator; `compute` may be called any number of times.

    `fuel`, if given, bounds the wasm instructions of each computation (wasmtime fuel units), so
    a generator from an untrusted party cannot run forever.
    """

    def __init__(self, wasm: bytes, *, fuel: int | None = None) -> None:
        config = wasmtime.Config()
        config.consume_fuel = fuel is not None
        self._engine = wasmtime.Engine(config)
        try:
            self._module = wasmtime.Module(self._engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise WitnessComputationError(f"not a valid wasm module: {exc}") from exc
        self._fuel = fuel
        self._errors: list[str] = []
        self._trap_code: int | None = None
        self._log_line: list[str] = []
        self._n32 = _FIELD_WORDS
        self._instantiate()
        self.version = self._call("getVersion")
        self._call("getRawPrime")
        self.prime = self._read_shared()
        if self.prime != BN254_SCALAR_PRIME:
            raise WrongPrimeError(
                f"witness generator computes over the field of {self.prime}, not BN254's scalar "
                "field; compile with `circom --prime bn128`"
            )
        self.n_witness = self._call("getWitnessSize")
        if not 0 < self.n_witness <= MAX_WIRES:
            raise WitnessComputationError(
                f"witness generator declares {self.n_witness} witness values; "
                f"between 1 and {MAX_WIRES} accepted"
            )

    @classmethod
    def from_file(cls, path: str | Path, *, fuel: int | None = None) -> WitnessCalculator:
        return cls(Path(path).read_bytes(), fuel=fuel)

    def compute(self, inputs: Mapping[str, InputValue]) -> Witness:
        """The full witness for `inputs` (every input signal of the circuit, each exactly once)."""
        try:
            return self._compute(inputs)
        except CryptoError:
            # A trap can leave the instance's memory in any state: start the next run afresh.
            self._instantiate()
            raise

    def _compute(self, inputs: Mapping[str, InputValue]) -> Witness:
        self._errors.clear()
        if self._fuel is not None:
            self._store.set_fuel(self._fuel)
        self._call("init", 0)
        signals: dict[str, list[Any]] = {}
        for name, flat in _qualified(inputs):
            if name in signals:
                raise InputSignalError(f"input signal {name!r} given twice")
            signals[name] = flat
        n_set = 0
        for name, values in signals.items():
            high, low = signal_hash(name)
            size = self._call("getInputSignalSize", high, low)
            if size < 0:
                raise InputSignalError(f"the circuit has no input signal {name!r}")
            if len(values) != size:
                raise InputSignalError(
                    f"input signal {name!r} takes {size} values, {len(values)} given"
                )
            for index, value in enumerate(values):
                self._write_shared(_field_value(value, name))
                self._call("setInputSignal", high, low, index)
                n_set += 1
        expected = self._call("getInputSize")
        if n_set != expected:
            raise InputSignalError(f"the circuit takes {expected} input values, {n_set} given")
        values = []
        for i in range(self.n_witness):
            self._call("getWitness", i)
            values.append(self._read_shared())
        return Witness(self.prime, tuple(values))

    def _instantiate(self) -> None:
        self._store = wasmtime.Store(self._engine)
        if self._fuel is not None:
            self._store.set_fuel(self._fuel)
        linker = wasmtime.Linker(self._engine)
        i32 = wasmtime.ValType.i32()
        callbacks: dict[str, tuple[list[wasmtime.ValType], Callable[..., None]]] = {
            "exceptionHandler": ([i32], self._on_exception),
            "printErrorMessage": ([], self._on_error_message),
            "writeBufferMessage": ([], self._on_buffer_message),
            "showSharedRWMemory": ([], self._on_show_shared),
        }
        for name, (params, callback) in callbacks.items():
            linker.define_func(
                "runtime", name, wasmtime.FuncType(params, []), callback, access_caller=True
            )
        try:
            instance = linker.instantiate(self._store, self._module)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            raise WitnessComputationError(f"not a circom witness generator: {exc}") from exc
        self._exports = instance.exports(self._store)
        self._shared: tuple[wasmtime.Memory, int] | None = None
        self._names = {export.name for export in self._module.exports}
        n32 = self._call("getFieldNumLen32")
        if n32 != _FIELD_WORDS:
            raise WrongPrimeError(
                f"witness generator uses {n32} 32-bit words per field element; the BN254 "
                f"scalar field takes {_FIELD_WORDS} — compile with `circom --prime bn128`"
            )
        self._shared = self._locate_shared()

    def _call(self, name: str, *args: int, within: wasmtime.Caller | None = None) -> int:
        """Call an export (through `within` when inside a callback); circom's error callback and
        wasm traps become specific errors."""
        func = within.get(name) if within is not None else self._exports.get(name)
        if not isinstance(func, wasmtime.Func):
            raise WitnessComputationError(
                f"not a circom witness generator: no exported function {name!r}"
            )
        self._trap_code = None
        try:
            result: Any = func(within if within is not None else self._store, *args)
        except (_CircomTrapError, wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            if self._trap_code is not None:
                raise self._error_for(self._trap_code) from None
            if isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                raise WitnessFuelExhaustedError(
                    f"witness generator used up its fuel ({self._fuel} wasm instructions) in "
                    f"{name}: it loops, or needs a larger bound"
                ) from None
            raise WitnessComputationError(f"witness generator trapped in {name}: {exc}") from exc
        return int(result) if result is not None else 0

    def _error_for(self, code: int) -> Exception:
        detail = "; ".join(self._errors)
        suffix = f" ({detail})" if detail else ""
        if code in _INPUT_ERRORS:
            return InputSignalError(f"circom: {_INPUT_ERRORS[code]}{suffix}")
        reason = _RUN_ERRORS.get(code, f"error code {code}")
        return WitnessComputationError(f"circom witness generator: {reason}{suffix}")

    def _read_shared(self, within: wasmtime.Caller | None = None) -> int:
        """The field element in the shared buffer, least significant 32-bit word first."""
        if self._shared is not None and within is None:
            memory, start = self._shared
            return int.from_bytes(memory.read(self._store, start, start + 4 * self._n32), "little")
        value = 0
        for j in range(self._n32):
            word = self._call("readSharedRWMemory", j, within=within)
            value |= (word & 0xFFFFFFFF) << (32 * j)
        return value

    def _write_shared(self, value: int) -> None:
        if self._shared is not None:
            memory, start = self._shared
            memory.write(self._store, value.to_bytes(4 * self._n32, "little"), start)
            return
        for j in range(self._n32):
            self._call("writeSharedRWMemory", j, (value >> (32 * j)) & 0xFFFFFFFF)

    def _locate_shared(self) -> tuple[wasmtime.Memory, int] | None:
        """Where the shared buffer lies in linear memory, when the module says: one bulk copy
        then replaces a host call per 32-bit word (each costs ~100 µs through wasmtime-py)."""
        memory = self._exports.get("memory")
        if not isinstance(memory, wasmtime.Memory) or "getSharedRWMemoryStart" not in self._names:
            return None
        start = self._call("getSharedRWMemoryStart") & 0xFFFFFFFF
        if start + 4 * self._n32 > memory.data_len(self._store):
            raise WitnessComputationError(
                f"witness generator places its shared buffer at {start}, outside its memory"
            )
        return memory, start

    def _message(self, caller: wasmtime.Caller) -> str:
        """The message the generator has queued, cut at a bound a looping module cannot pass."""
        chars: list[str] = []
        while len(chars) < _MAX_MESSAGE and (c := self._call("getMessageChar", within=caller)):
            chars.append(chr(c & 0xFF))
        return "".join(chars)

    def _on_exception(self, caller: wasmtime.Caller, code: int) -> None:
        self._trap_code = code
        raise _CircomTrapError(code)

    def _on_error_message(self, caller: wasmtime.Caller) -> None:
        self._errors.append(self._message(caller).strip())

    def _on_buffer_message(self, caller: wasmtime.Caller) -> None:
        message = self._message(caller)
        if message == "\n":
            _log.info("circom log: %s", " ".join(self._log_line))
            self._log_line.clear()
        else:
            self._log_line.append(message)

    def _on_show_shared(self, caller: wasmtime.Caller) -> None:
        self._log_line.append(str(self._read_shared(caller)))


def compute_witness(wasm_path: str | Path, inputs: Mapping[str, InputValue]) -> Witness:
    """One witness from a `.wasm` file (compiled per call: reuse a `WitnessCalculator` instead)."""
    return WitnessCalculator.from_file(wasm_path).compute(inputs)


def _qualified(
    inputs: Mapping[str, InputValue], prefix: str = ""
) -> Iterator[tuple[str, list[Any]]]:
    """(qualified signal name, flat values) pairs; bus fields are named `a.b` and `a[i].b`."""
    for key, value in inputs.items():
        name = f"{prefix}.{key}" if prefix else key
        yield from _qualified_value(name, value)


def _qualified_value(name: str, value: InputValue) -> Iterator[tuple[str, list[Any]]]:
    if isinstance(value, dict):
        yield from _qualified(value, name)
        return
    flat = list(_flatten(value))
    if flat and all(isinstance(v, dict) for v in flat):
        yield from _qualified_list(name, value)
        return
    if any(isinstance(v, dict) for v in flat):
        raise InputSignalError(f"input {name!r} mixes objects and values in one array")
    yield name, flat


def _qualified_list(name: str, value: InputValue) -> Iterator[tuple[str, list[Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _qualified_list(f"{name}[{i}]", item)
    else:
        yield from _qualified_value(name, value)


def _flatten(value: InputValue) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _field_value(value: object, name: str) -> int:
    """An input value reduced into [0, p), as circom does (so -1 is p - 1)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputSignalError(f"input {name!r}: {value!r} is not an integer or integer string")
    if isinstance(value, str):
        if _DECIMAL.fullmatch(value):
            number = int(value, 10)
        elif _HEX.fullmatch(value):
            number = int(value, 16)
        else:
            raise InputSignalError(f"input {name!r}: {value!r} is not a decimal or 0x-hex integer")
    else:
        number = value
    return number % BN254_SCALAR_PRIME
