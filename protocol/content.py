"""Content addresses of circuits, inputs, nodes and results (SPEC.md §9).

Everything large is named by the SHA-256 of its bytes and fetched over a direct stream; a
receiver checks the hash and the announced size before it uses a byte of it. Per-step inputs are
named through an *input index*: the concatenation of the N step-input hashes, whose own hash the
job announcement carries, so a worker fetches the index and then only its own steps' inputs;
each step input carries the state before its step, so no position waits for another's result.
A step input carries the step's advice (JSON), or, for a circuit of recorded steps, the step's
whole witness (`RecordedStepInput`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from protocol import cbor
from protocol.errors import (
    ContentMismatchError,
    InconsistentFieldsError,
    MalformedError,
    NonCanonicalError,
    OutOfRangeError,
    OversizeError,
    WrongTypeError,
)
from protocol.limits import (
    FIELD_ELEMENT_BYTES,
    FR_MODULUS,
    HASH_BYTES,
    MAX_ADVICE_DEPTH,
    MAX_STATE_ELEMENTS,
    MAX_STEP_INPUT_BYTES,
    MAX_STEPS,
    MAX_WITNESS_BYTES,
)
from protocol.schema import Bytes, FieldType, Record, Seq


def content_hash(blob: bytes) -> bytes:
    """The content address of a blob: SHA-256 of its bytes."""
    return hashlib.sha256(blob).digest()


def check_blob(blob: bytes, expected_hash: bytes, expected_size: int, field: str) -> None:
    """Raise unless ``blob`` has exactly the announced size and content address."""
    if len(blob) != expected_size:
        raise ContentMismatchError(field, f"blob has {len(blob)} bytes, {expected_size} announced")
    if content_hash(blob) != expected_hash:
        raise ContentMismatchError(field, "blob does not hash to its announced content address")


def input_index(step_input_hashes: list[bytes] | tuple[bytes, ...]) -> bytes:
    """The input index blob of a job: its step-input hashes concatenated in step order."""
    if not 1 <= len(step_input_hashes) <= MAX_STEPS:
        raise OutOfRangeError("inputs", f"a job has 1 to {MAX_STEPS} steps")
    for i, h in enumerate(step_input_hashes):
        if type(h) is not bytes or len(h) != HASH_BYTES:
            raise OutOfRangeError(f"inputs[{i}]", f"a step-input hash is {HASH_BYTES} bytes")
    return b"".join(step_input_hashes)


def parse_input_index(blob: bytes, expected_hash: bytes, steps: int) -> tuple[bytes, ...]:
    """The step-input hashes in a fetched input index, after checking it against the job."""
    if len(blob) > HASH_BYTES * MAX_STEPS:
        raise OversizeError("inputs", "input index longer than the maximum step count allows")
    check_blob(blob, expected_hash, HASH_BYTES * steps, "inputs")
    return tuple(blob[i : i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES))


def encode_state(z: Sequence[int]) -> bytes:
    """The state blob of z (a job's `z0`, a root's `result`, SPEC.md §9.4): its n elements as
    canonical little-endian 32-byte Fr elements, concatenated, 1 ≤ n ≤ MAX_STATE_ELEMENTS."""
    if not 1 <= len(z) <= MAX_STATE_ELEMENTS:
        raise OutOfRangeError("z", f"a state has 1 to {MAX_STATE_ELEMENTS} elements, not {len(z)}")
    for i, element in enumerate(z):
        if isinstance(element, bool) or not isinstance(element, int):
            raise WrongTypeError(f"z[{i}]", f"must be an integer, got {type(element).__name__}")
        if not 0 <= element < FR_MODULUS:
            raise OutOfRangeError(f"z[{i}]", "not an Fr element (0 ≤ z < r)")
    return b"".join(element.to_bytes(FIELD_ELEMENT_BYTES, "little") for element in z)


def decode_state(blob: bytes, arity: int, *, field: str = "z") -> tuple[int, ...]:
    """The state in a state blob for a step circuit of `arity` elements; errors name `field`
    (e.g. ``"z0"``, ``"result"``) and the element at fault. Rejects any other length and any
    element that is not canonical (≥ r), so a state has one blob and one content address."""
    if not 1 <= arity <= MAX_STATE_ELEMENTS:
        raise OutOfRangeError(field, f"arity {arity} is not 1 to {MAX_STATE_ELEMENTS}")
    if len(blob) > FIELD_ELEMENT_BYTES * MAX_STATE_ELEMENTS:
        raise OversizeError(field, f"{len(blob)} bytes: longer than the largest state")
    if len(blob) != FIELD_ELEMENT_BYTES * arity:
        raise InconsistentFieldsError(
            field,
            f"{len(blob)} bytes; a state of {arity} elements has {FIELD_ELEMENT_BYTES * arity}",
        )
    state = tuple(
        int.from_bytes(blob[i : i + FIELD_ELEMENT_BYTES], "little")
        for i in range(0, len(blob), FIELD_ELEMENT_BYTES)
    )
    for i, element in enumerate(state):
        if element >= FR_MODULUS:
            raise NonCanonicalError(f"{field}[{i}]", "not a canonical Fr element (≥ r)")
    return state


@dataclass(frozen=True)
class StepInput(Record):
    """Step i's input blob: the state z_i before the step, from the requester's native run, and
    the step circuit's advice for it (a UTF-8 JSON object), so a position needs no other blob to
    start its range."""

    z: tuple[bytes, ...]
    advice: bytes

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("z", "z", Seq(Bytes(FIELD_ELEMENT_BYTES, FIELD_ELEMENT_BYTES), 1, MAX_STATE_ELEMENTS)),
        ("advice", "advice", Bytes(0, MAX_STEP_INPUT_BYTES)),
    )

    def check_consistency(self, prefix: str) -> None:
        _check_canonical(self.z, prefix)
        if _json_depth(self.advice) > MAX_ADVICE_DEPTH:
            raise OutOfRangeError(
                f"{prefix}advice", f"advice nests deeper than {MAX_ADVICE_DEPTH} levels"
            )
        try:
            advice = json.loads(self.advice.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise MalformedError(f"{prefix}advice", "advice is not UTF-8 JSON") from None
        if not isinstance(advice, dict):
            raise WrongTypeError(f"{prefix}advice", "advice must be a JSON object")


@dataclass(frozen=True)
class RecordedStepInput(Record):
    """Step i's input blob in a job of recorded steps (a circuit package without a generator):
    the state z_i before the step and the step's witness, a `.wtns` file, which the package's
    circuit bounds by its wire count and checks before proving from it."""

    z: tuple[bytes, ...]
    witness: bytes

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("z", "z", Seq(Bytes(FIELD_ELEMENT_BYTES, FIELD_ELEMENT_BYTES), 1, MAX_STATE_ELEMENTS)),
        ("witness", "witness", Bytes(1, MAX_WITNESS_BYTES)),
    )

    def check_consistency(self, prefix: str) -> None:
        _check_canonical(self.z, prefix)


AnyStepInput = StepInput | RecordedStepInput


def _check_canonical(z: tuple[bytes, ...], prefix: str) -> None:
    for i, element in enumerate(z):
        if int.from_bytes(element, "little") >= FR_MODULUS:
            raise NonCanonicalError(f"{prefix}z[{i}]", "not a canonical Fr element (≥ r)")


# A string, or an unterminated one running to the end, so the scan is linear in the input.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]")
_NESTING_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _json_depth(text: bytes) -> int:
    """How deep arrays and objects nest in JSON text, counted outside its strings. Checked before
    parsing: the standard parser recurses once per level and a deep enough input crashes it."""
    brackets = _NOT_A_BRACKET.sub(b"", _JSON_STRING.sub(b"", text))
    return max(itertools.accumulate(map(_NESTING_STEP.__getitem__, brackets)), default=0)


def encode_step_input(step_input: AnyStepInput) -> bytes:
    """The canonical blob of a step input; its content address is what the input index lists."""
    blob = cbor.encode(step_input.to_wire())
    if len(blob) > MAX_STEP_INPUT_BYTES:
        raise OversizeError("$", f"step input of {len(blob)} bytes exceeds {MAX_STEP_INPUT_BYTES}")
    return blob


def decode_step_input(blob: bytes, arity: int) -> AnyStepInput:
    """A fetched step-input blob (already checked against its content address) for a step
    circuit of ``arity`` state elements; rejects anything but the one canonical encoding. A map
    with a ``witness`` key is a `RecordedStepInput` (and may then hold no ``advice``)."""
    wire = cbor.decode(blob, MAX_STEP_INPUT_BYTES)
    kind = RecordedStepInput if isinstance(wire, dict) and "witness" in wire else StepInput
    step_input = kind.from_wire(wire, "")
    if len(step_input.z) != arity:
        raise InconsistentFieldsError("z", f"{len(step_input.z)} state elements, arity {arity}")
    return step_input
