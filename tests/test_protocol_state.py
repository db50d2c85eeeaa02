"""State blobs (SPEC.md §9.4): a job's `z0` and a root's `result` are n canonical little-endian
32-byte Fr elements concatenated, 1 ≤ n ≤ 1024, so each state has exactly one blob."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.content import decode_state, encode_state
from protocol.errors import (
    InconsistentFieldsError,
    NonCanonicalError,
    OutOfRangeError,
    OversizeError,
    WrongTypeError,
)
from protocol.limits import FR_MODULUS, MAX_STATE_ELEMENTS

ELEMENTS = st.integers(min_value=0, max_value=FR_MODULUS - 1)


@given(st.lists(ELEMENTS, min_size=1, max_size=40))
def test_round_trip(z: list[int]) -> None:
    blob = encode_state(z)
    assert len(blob) == 32 * len(z)
    assert decode_state(blob, len(z)) == tuple(z)


def test_layout_is_little_endian_elements_in_order() -> None:
    assert encode_state([1, 2]) == (1).to_bytes(32, "little") + (2).to_bytes(32, "little")
    assert decode_state(encode_state([FR_MODULUS - 1]), 1) == (FR_MODULUS - 1,)


def test_largest_state_round_trips() -> None:
    z = list(range(MAX_STATE_ELEMENTS))
    assert decode_state(encode_state(z), MAX_STATE_ELEMENTS) == tuple(z)


@pytest.mark.parametrize(
    ("z", "error", "field"),
    [
        ([], OutOfRangeError, "z"),
        ([0] * (MAX_STATE_ELEMENTS + 1), OutOfRangeError, "z"),
        ([1, FR_MODULUS], OutOfRangeError, "z[1]"),
        ([-1], OutOfRangeError, "z[0]"),
        ([True], WrongTypeError, "z[0]"),
        ([1, "2"], WrongTypeError, "z[1]"),
    ],
)
def test_encode_rejects(z: list[object], error: type[Exception], field: str) -> None:
    with pytest.raises(error) as raised:
        encode_state(z)  # type: ignore[arg-type]
    assert raised.value.field == field  # type: ignore[attr-defined]


def test_decode_rejects_wrong_length_naming_the_field() -> None:
    blob = encode_state([1, 2])
    for wrong in (blob[:-1], blob + b"\x00", blob[:32], b""):
        with pytest.raises(InconsistentFieldsError) as raised:
            decode_state(wrong, 2, field="z0")
        assert raised.value.field == "z0"


def test_decode_rejects_non_canonical_element() -> None:
    blob = encode_state([5]) + FR_MODULUS.to_bytes(32, "little")
    with pytest.raises(NonCanonicalError) as raised:
        decode_state(blob, 2, field="result")
    assert raised.value.field == "result[1]"
    with pytest.raises(NonCanonicalError):
        decode_state(b"\xff" * 32, 1)


def test_decode_bounds_the_blob_before_reading_it() -> None:
    with pytest.raises(OversizeError) as raised:
        decode_state(b"\x00" * (32 * MAX_STATE_ELEMENTS + 32), 1, field="z0")
    assert raised.value.field == "z0"


@pytest.mark.parametrize("arity", [0, -1, MAX_STATE_ELEMENTS + 1])
def test_decode_rejects_impossible_arity(arity: int) -> None:
    with pytest.raises(OutOfRangeError):
        decode_state(b"", arity)
