"""Step-input blobs (SPEC.md §9.2): `{ "z": [n × 32-byte Fr], "advice": UTF-8 JSON object }` in
canonical CBOR, decoded strictly — the keys, the arity, each element's length and canonicity,
and the advice — so a position can start its range from its own steps' blobs alone."""

from __future__ import annotations

import json
import time

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.content import StepInput, decode_step_input, encode_step_input
from protocol.errors import (
    InconsistentFieldsError,
    MalformedError,
    MissingFieldError,
    NonCanonicalError,
    OutOfRangeError,
    OversizeError,
    ProtocolError,
    UnknownFieldError,
    WrongTypeError,
)
from protocol.limits import MAX_ADVICE_DEPTH, MAX_STATE_ELEMENTS, MAX_STEP_INPUT_BYTES

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def _fr(value: int) -> bytes:
    return value.to_bytes(32, "little")


def _blob(wire: object) -> bytes:
    return cbor2.dumps(wire, canonical=True)


SAMPLE = StepInput((_fr(0), _fr(R - 1), _fr(7)), b'{"in": ["3", "4"]}')


def test_wire_form_is_the_canonical_map_an_independent_decoder_reads() -> None:
    blob = encode_step_input(SAMPLE)
    assert cbor2.loads(blob) == {"z": list(SAMPLE.z), "advice": SAMPLE.advice}
    assert blob.startswith(b"\xa2az")  # "z" sorts before "advice": shorter keys first
    assert decode_step_input(blob, 3) == SAMPLE


@settings(max_examples=60, deadline=None)
@given(
    z=st.lists(st.integers(0, R - 1), min_size=1, max_size=8),
    advice=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4),
)
def test_round_trip(z: list[int], advice: dict[str, object]) -> None:
    step_input = StepInput(tuple(_fr(v) for v in z), json.dumps(advice).encode())
    assert decode_step_input(encode_step_input(step_input), len(z)) == step_input


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        ({"z": [_fr(1)], "advice": b"{}", "extra": 0}, UnknownFieldError),
        ({"z": [_fr(1)]}, MissingFieldError),
        ({"advice": b"{}"}, MissingFieldError),
        ({"z": _fr(1), "advice": b"{}"}, WrongTypeError),
        ({"z": [1], "advice": b"{}"}, WrongTypeError),
        ({"z": [_fr(1)], "advice": "{}"}, WrongTypeError),
        ({"z": [], "advice": b"{}"}, OutOfRangeError),
        ({"z": [_fr(1)[:31]], "advice": b"{}"}, OutOfRangeError),
        ({"z": [_fr(1) + b"\x00"], "advice": b"{}"}, OversizeError),
        ({"z": [_fr(R)], "advice": b"{}"}, NonCanonicalError),
        ({"z": [b"\xff" * 32], "advice": b"{}"}, NonCanonicalError),
        ({"z": [_fr(1)], "advice": b"\xff{}"}, MalformedError),
        ({"z": [_fr(1)], "advice": b"{"}, MalformedError),
        ({"z": [_fr(1)], "advice": b"[1, 2]"}, WrongTypeError),
        ({"z": [_fr(1)], "advice": b"[" * 100_000}, OutOfRangeError),
        ({"z": [_fr(1)], "advice": b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}"}, OutOfRangeError),
        ({"z": [_fr(1)] * (MAX_STATE_ELEMENTS + 1), "advice": b"{}"}, OversizeError),
        ([_fr(1), b"{}"], WrongTypeError),
    ],
)
def test_malformed_step_inputs_are_rejected(wire: object, error: type[ProtocolError]) -> None:
    with pytest.raises(error):
        decode_step_input(_blob(wire), 1)


def test_advice_nesting_is_bounded_before_parsing() -> None:
    """The JSON parser recurses per level, so depth is checked first; brackets inside strings
    do not count."""
    deepest = b'{"a": ' + b"[" * (MAX_ADVICE_DEPTH - 1) + b"]" * (MAX_ADVICE_DEPTH - 1) + b"}"
    assert StepInput((_fr(1),), deepest).advice == deepest
    quoted = b'{"a": "' + b"[{" * 1000 + b'\\\\", "b": "\\"[["}'
    assert json.loads(quoted)["b"] == '"[['
    assert StepInput((_fr(1),), quoted).advice == quoted
    too_deep = b'{"a": ' + b"[" * MAX_ADVICE_DEPTH + b"]" * MAX_ADVICE_DEPTH + b"}"
    with pytest.raises(OutOfRangeError):
        StepInput((_fr(1),), too_deep)
    with pytest.raises(OutOfRangeError):
        decode_step_input(_blob({"z": [_fr(1)], "advice": b"[" * (MAX_STEP_INPUT_BYTES - 64)}), 1)


def test_advice_scan_is_linear_in_its_length() -> None:
    """Unterminated strings full of escaped quotes made a naive string scan quadratic (minutes
    for this input); the scan must stay linear."""
    hostile = b'"' + b'\\"' * 200_000
    began = time.perf_counter()
    with pytest.raises(MalformedError):
        StepInput((_fr(1),), hostile)
    assert time.perf_counter() - began < 5


def test_the_arity_must_match_the_circuit() -> None:
    blob = encode_step_input(SAMPLE)
    for arity in (1, 2, 4):
        with pytest.raises(InconsistentFieldsError):
            decode_step_input(blob, arity)


def test_non_canonical_cbor_and_oversize_blobs_are_rejected() -> None:
    blob = encode_step_input(StepInput((_fr(1),), b"{}"))
    # The same map with its keys in the wrong order: a second encoding of one value.
    reordered = b"\xa2" + _blob("advice") + _blob(b"{}") + _blob("z") + _blob([_fr(1)])
    assert cbor2.loads(reordered) == cbor2.loads(blob) and reordered != blob
    with pytest.raises(NonCanonicalError):
        decode_step_input(reordered, 1)
    with pytest.raises(MalformedError):
        decode_step_input(blob[:-1], 1)
    with pytest.raises(OversizeError):
        decode_step_input(blob + b"\x00" * MAX_STEP_INPUT_BYTES, 1)
    # Advice of exactly the limit is a valid field, but the blob around it is over the limit.
    advice = b'{"a": "' + b"x" * (MAX_STEP_INPUT_BYTES - 9) + b'"}'
    with pytest.raises(OversizeError):
        encode_step_input(StepInput((_fr(1),), advice))


def test_code_cannot_build_an_invalid_step_input() -> None:
    with pytest.raises(NonCanonicalError):
        StepInput((_fr(R),), b"{}")
    with pytest.raises(WrongTypeError):
        StepInput([_fr(1)], b"{}")  # type: ignore[arg-type]
    with pytest.raises(WrongTypeError):
        StepInput((_fr(1),), b"3")
