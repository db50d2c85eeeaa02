"""Canonical CBOR (RFC 8949 §4.2.1 deterministic encoding) with a strict, bounded decoder.

Every signed byte string and every content hash in the protocol is over this encoding, so two
peers must agree on it bit for bit: the decoder accepts an input only if re-encoding the decoded
value gives back exactly the same bytes. Before cbor2 sees the input, a small structural scan
bounds it (total length, definite lengths that fit in the remaining input, nesting depth, allowed
major types, text map keys), so no input can make the decoder allocate or recurse beyond limits.
"""

from __future__ import annotations

import cbor2

from protocol.errors import MalformedError, NonCanonicalError, OversizeError
from protocol.limits import MAX_CBOR_DEPTH

# Major types the protocol uses: unsigned and negative integers, byte and text strings, arrays,
# maps. Tags (6) and simple values/floats (7) never appear in a valid message.
_MAJOR_UINT, _MAJOR_NINT, _MAJOR_BYTES, _MAJOR_TEXT, _MAJOR_ARRAY, _MAJOR_MAP = range(6)

ROOT = "$"


def encode(value: object) -> bytes:
    """The canonical encoding of a value made of ints, bytes, str, lists and str-keyed dicts."""
    return cbor2.dumps(value, canonical=True)


def decode(data: bytes, max_bytes: int) -> object:
    """Decode one canonical CBOR item of at most ``max_bytes`` bytes, or raise a ProtocolError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedError(ROOT, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise OversizeError(ROOT, f"{len(data)} bytes exceed the limit of {max_bytes}")
    end = _scan(data, 0, 0)
    if end != len(data):
        raise MalformedError(ROOT, f"{len(data) - end} trailing bytes after the item")
    try:
        value: object = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise MalformedError(ROOT, f"not valid CBOR: {exc}") from None
    if encode(value) != data:
        raise NonCanonicalError(ROOT, "not the RFC 8949 deterministic encoding of its value")
    return value


def _head(data: bytes, pos: int) -> tuple[int, int, int]:
    """Read an item head at ``pos``: (major type, argument, position after the head)."""
    if pos >= len(data):
        raise MalformedError(ROOT, "truncated: input ends inside an item")
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if info < 24:
        return major, info, pos
    if info == 31:
        raise MalformedError(ROOT, "indefinite-length items are not allowed")
    if info > 27:
        raise MalformedError(ROOT, f"reserved additional information {info}")
    width = 1 << (info - 24)
    if pos + width > len(data):
        raise MalformedError(ROOT, "truncated: input ends inside an item head")
    return major, int.from_bytes(data[pos : pos + width], "big"), pos + width


def _scan(data: bytes, pos: int, depth: int) -> int:
    """Check the item at ``pos`` structurally and return the position just after it."""
    if depth > MAX_CBOR_DEPTH:
        raise MalformedError(ROOT, f"nesting deeper than {MAX_CBOR_DEPTH}")
    major, arg, pos = _head(data, pos)
    remaining = len(data) - pos
    if major in (_MAJOR_UINT, _MAJOR_NINT):
        return pos
    if major in (_MAJOR_BYTES, _MAJOR_TEXT):
        if arg > remaining:
            raise MalformedError(ROOT, f"string of {arg} bytes but only {remaining} remain")
        return pos + arg
    if major == _MAJOR_ARRAY:
        if arg > remaining:
            raise MalformedError(ROOT, f"array of {arg} items but only {remaining} bytes remain")
        for _ in range(arg):
            pos = _scan(data, pos, depth + 1)
        return pos
    if major == _MAJOR_MAP:
        if 2 * arg > remaining:
            raise MalformedError(ROOT, f"map of {arg} entries but only {remaining} bytes remain")
        for _ in range(arg):
            if pos >= len(data) or data[pos] >> 5 != _MAJOR_TEXT:
                raise MalformedError(ROOT, "map keys must be text strings")
            pos = _scan(data, pos, depth + 1)
            pos = _scan(data, pos, depth + 1)
        return pos
    kind = "tags" if major == 6 else "floats and simple values"
    raise MalformedError(ROOT, f"{kind} are not allowed")
