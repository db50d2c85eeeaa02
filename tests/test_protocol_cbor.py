"""Canonical CBOR: the encoder is deterministic and the decoder takes nothing else."""

from __future__ import annotations

import pytest

from protocol import cbor
from protocol.errors import MalformedError, NonCanonicalError, OversizeError

LIMIT = 1 << 16


def test_map_keys_are_sorted_shortest_first_then_bytewise() -> None:
    assert cbor.encode({"bb": 1, "a": 2, "c": 3}) == bytes.fromhex("a361610261630362626201")


def test_integers_use_the_shortest_head() -> None:
    assert cbor.encode(23) == b"\x17"
    assert cbor.encode(24) == b"\x18\x18"
    assert cbor.encode(1 << 32) == bytes.fromhex("1b0000000100000000")


def test_decode_round_trips_a_nested_value() -> None:
    value = {"a": [1, b"xy", "z", {"k": -3}], "bb": b""}
    assert cbor.decode(cbor.encode(value), LIMIT) == value


@pytest.mark.parametrize(
    ("hex_input", "error"),
    [
        ("1817", NonCanonicalError),  # 23 with a one-byte argument
        ("190001", NonCanonicalError),  # 1 in two bytes
        ("a2616202616101", NonCanonicalError),  # keys out of order
        ("a2616101616102", NonCanonicalError),  # duplicate key
        ("5f4101ff", MalformedError),  # indefinite-length byte string
        ("9f01ff", MalformedError),  # indefinite-length array
        ("c24101", MalformedError),  # tag 2 (bignum)
        ("f93c00", MalformedError),  # half float
        ("f5", MalformedError),  # true
        ("0101", MalformedError),  # trailing byte
        ("", MalformedError),  # nothing
        ("5b ffffffffffffffff", MalformedError),  # absurd byte-string length
        ("9b ffffffffffffffff", MalformedError),  # absurd array length
        ("bb ffffffffffffffff", MalformedError),  # absurd map length
        ("a10101", MalformedError),  # integer map key
        ("62fffe", MalformedError),  # invalid UTF-8
        ("1c", MalformedError),  # reserved additional information
        ("19 01", MalformedError),  # truncated head
    ],
)
def test_decode_rejects(hex_input: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        cbor.decode(bytes.fromhex(hex_input.replace(" ", "")), LIMIT)


def test_decode_rejects_deep_nesting() -> None:
    nested: object = 0
    for _ in range(20):
        nested = [nested]
    with pytest.raises(MalformedError, match="nesting"):
        cbor.decode(cbor.encode(nested), LIMIT)


def test_decode_checks_length_before_parsing() -> None:
    with pytest.raises(OversizeError):
        cbor.decode(b"\xff" * (LIMIT + 1), LIMIT)


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(MalformedError):
        cbor.decode("a1", LIMIT)  # type: ignore[arg-type]
