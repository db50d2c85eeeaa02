"""The node blob (docs/tree-nova.md §12): canonical CBOR, decoded strictly against a layout.

A node is the payload peers send each other before a merge, so decoding treats it as hostile:
the input's length is bounded by the layout before any parsing; the CBOR must be the
deterministic encoding of its value (``protocol.cbor``: re-encoding gives the same bytes); the
maps have exactly the format's keys; every byte string has the length the parameters fix
(nothing is taken from the blob); every 32-byte scalar is canonical in its field; every point
is the strict compressed encoding of a point of its curve; the compact witness has valid tags,
as many TAG_OTHER tags as values, and no value that a tag stands for; ``0 ≤ a < b ≤ MAX_STEPS``.
Each failure raises a ``NodeDecodingError`` subclass naming the field.

Fields and curves: ``za``, ``zb``, ``U1``'s u and X, ``W1``, ``E1`` are Fr; ``U1``'s
commitments are on G1. ``U2``'s u and X, ``W2``, ``E2``, ``w2o`` are Fq; ``U2``'s commitments
and ``u2`` are on Grumpkin. Vectors are single byte strings in the field-vector layout
(32-byte little-endian elements).

The local proof file wraps a node with the key of its step circuit: ``{"circuit": tstr,
"node": node}``, so that an offline verifier can rebuild the parameters first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from crypto.errors import (
    EncodingError,
    InvalidTagError,
    NodeInvalidPointError,
    NodeInvalidTagError,
    NodeMalformedCborError,
    NodeMissingFieldError,
    NodeNonCanonicalCborError,
    NodeNonCanonicalScalarError,
    NodeOversizeError,
    NodeRangeError,
    NodeTagCountError,
    NodeUnknownFieldError,
    NodeVersionError,
    NodeWrongLengthError,
    NodeWrongTypeError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
)
from crypto.field import ELEMENT_BYTES, FQ, FR, PrimeField, Vector
from crypto.folding.commitment import curve_for
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness
from crypto.group import CurvePoint
from crypto.tree.node import (
    DIGEST_BYTES,
    PRIMARY_PUBLIC,
    SECONDARY_PUBLIC,
    Node,
    NodeLayout,
    Statement,
)
from crypto.witness import CompactVector
from protocol import cbor
from protocol.errors import NonCanonicalError, OversizeError, ProtocolError
from protocol.limits import MAX_NODE_BYTES, MAX_STEPS

VERSION: Final = 1
"""The node format version, the value of ``"v"``."""

MAX_CIRCUIT_KEY_BYTES: Final = 4096
"""Longest step-circuit key (``builtin:NAME`` or a path) a proof file may name."""

ROOT: Final = "$"
"""The field name of errors about the blob as a whole."""

_NODE_KEYS: Final = (
    "v", "pp", "ctx", "a", "b", "za", "zb",
    "U1", "W1", "E1", "U2", "W2", "E2", "u2", "w2t", "w2o",
)  # fmt: skip
_INSTANCE_KEYS: Final = ("W", "E", "u", "X")
_FILE_KEYS: Final = ("circuit", "node")


@dataclass(frozen=True, eq=False)
class NodeFile:
    """A local proof file: the node and the key of the step circuit it proves."""

    circuit: str
    node: Node


# Encoding


def encode_node(node: Node) -> bytes:
    """The canonical CBOR blob of ``node``."""
    return cbor.encode(_node_map(node))


def encode_node_file(circuit: str, node: Node) -> bytes:
    """The canonical CBOR of the proof file ``{"circuit": circuit, "node": node}``."""
    if not isinstance(circuit, str) or not 0 < len(circuit.encode()) <= MAX_CIRCUIT_KEY_BYTES:
        raise ValueError(f"a circuit key is a text of 1 to {MAX_CIRCUIT_KEY_BYTES} bytes")
    return cbor.encode({"circuit": circuit, "node": _node_map(node)})


def _node_map(node: Node) -> dict[str, object]:
    s = node.statement
    return {
        "v": VERSION,
        "pp": s.params_digest,
        "ctx": s.ctx,
        "a": s.a,
        "b": s.b,
        "za": _scalars_bytes(s.z_a),
        "zb": _scalars_bytes(s.z_b),
        "U1": _instance_map(node.U1),
        "W1": FR.to_bytes(node.W1.dense_W()),
        "E1": FR.to_bytes(node.W1.E),
        "U2": _instance_map(node.U2),
        "W2": FQ.to_bytes(node.W2.dense_W()),
        "E2": FQ.to_bytes(node.W2.E),
        "u2": node.u2_comm_W.to_bytes(),
        "w2t": node.w2.tags.tobytes(),
        "w2o": FQ.to_bytes(node.w2.others),
    }


def _instance_map(instance: RelaxedInstance) -> dict[str, object]:
    return {
        "W": instance.comm_W.to_bytes(),
        "E": instance.comm_E.to_bytes(),
        "u": _scalars_bytes((instance.u,)),
        "X": _scalars_bytes(instance.X),
    }


def _scalars_bytes(values: tuple[int, ...]) -> bytes:
    return b"".join(v.to_bytes(ELEMENT_BYTES, "little") for v in values)


# Sizes


def _head_bytes(argument: int) -> int:
    """Length of a CBOR item head carrying ``argument`` (an integer, or a string's length)."""
    if argument < 24:
        return 1
    if argument < 1 << 8:
        return 2
    if argument < 1 << 16:
        return 3
    return 5 if argument < 1 << 32 else 9


def _string_bytes(length: int) -> int:
    return _head_bytes(length) + length


def _instance_bytes(n_public: int) -> int:
    keys = sum(_string_bytes(len(k)) for k in _INSTANCE_KEYS)
    scalars = _string_bytes(ELEMENT_BYTES) + _string_bytes(ELEMENT_BYTES * n_public)
    return _head_bytes(len(_INSTANCE_KEYS)) + keys + 2 * _string_bytes(ELEMENT_BYTES) + scalars


def _vector_bytes(n: int) -> int:
    return _string_bytes(ELEMENT_BYTES * n)


def encoded_size(layout: NodeLayout, *, others: int, a: int, b: int) -> int:
    """The exact length of the blob of a node with ``layout``, ``others`` TAG_OTHER values in
    ``w2`` and the range [a, b)."""
    return (
        _head_bytes(len(_NODE_KEYS))
        + sum(_string_bytes(len(k)) for k in _NODE_KEYS)
        + _head_bytes(VERSION)
        + 2 * _string_bytes(DIGEST_BYTES)
        + _head_bytes(a)
        + _head_bytes(b)
        + 2 * _vector_bytes(layout.arity)
        + _instance_bytes(PRIMARY_PUBLIC)
        + _vector_bytes(layout.n1w)
        + _vector_bytes(layout.n1c)
        + _instance_bytes(SECONDARY_PUBLIC)
        + _vector_bytes(layout.n2w)
        + _vector_bytes(layout.n2c)
        + _string_bytes(ELEMENT_BYTES)
        + _string_bytes(layout.n2w)
        + _vector_bytes(others)
    )


def max_encoded_size(layout: NodeLayout) -> int:
    """The longest blob a node with ``layout`` can have (every value of ``w2`` non-trivial, the
    widest range): the bound ``decode_node`` checks before parsing."""
    return encoded_size(layout, others=layout.n2w, a=MAX_STEPS - 1, b=MAX_STEPS)


# Decoding


def decode_node(data: bytes, layout: NodeLayout) -> Node:
    """The node encoded by ``data``, whose vectors must have the sizes of ``layout``.

    Raises a ``NodeDecodingError`` subclass naming the field at fault (see the module docstring).
    """
    limit = min(max_encoded_size(layout), MAX_NODE_BYTES)
    return _node_from_value(_parse(data, limit), layout, "")


def decode_node_file(
    data: bytes,
    layout_for: Callable[[str], NodeLayout],
    max_bytes: int = MAX_NODE_BYTES,
) -> NodeFile:
    """The proof file encoded by ``data``: ``layout_for`` maps its circuit key to the layout of
    that circuit's parameters (building them if needed). ``max_bytes`` bounds the input before
    parsing, as the layout is not known until the key is read."""
    value = _parse(data, max_bytes)
    fields = _fields(value, _FILE_KEYS, "")
    circuit = fields["circuit"]
    if not isinstance(circuit, str):
        raise NodeWrongTypeError("circuit", f"must be a text string, got {_kind(circuit)}")
    if not 0 < len(circuit.encode()) <= MAX_CIRCUIT_KEY_BYTES:
        raise NodeWrongLengthError("circuit", f"must be 1 to {MAX_CIRCUIT_KEY_BYTES} bytes")
    layout = layout_for(circuit)
    wrapper = len(cbor.encode({"circuit": circuit})) + len(cbor.encode("node"))
    if len(data) - wrapper > max_encoded_size(layout):
        raise NodeOversizeError(
            "node", f"longer than the {max_encoded_size(layout)} bytes its parameters allow"
        )
    return NodeFile(circuit, _node_from_value(fields["node"], layout, "node"))


def _parse(data: bytes, max_bytes: int) -> object:
    """One canonical CBOR item of at most ``max_bytes`` bytes."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise NodeWrongTypeError(ROOT, f"expected bytes, got {type(data).__name__}")
    try:
        return cbor.decode(bytes(data), max_bytes)
    except OversizeError as exc:
        raise NodeOversizeError(ROOT, _reason(exc)) from None
    except NonCanonicalError as exc:
        raise NodeNonCanonicalCborError(ROOT, _reason(exc)) from None
    except ProtocolError as exc:
        raise NodeMalformedCborError(ROOT, _reason(exc)) from None


def _reason(exc: ProtocolError) -> str:
    """The protocol error's message without its own field prefix."""
    return str(exc).removeprefix(f"{exc.field}: ")


def _node_from_value(value: object, layout: NodeLayout, path: str) -> Node:
    fields = _fields(value, _NODE_KEYS, path)
    version = _uint(fields, "v", path)
    if version != VERSION:
        raise NodeVersionError(_join(path, "v"), f"version {version} is not {VERSION}")
    params_digest = _bytes(fields, "pp", DIGEST_BYTES, path)
    ctx = _bytes(fields, "ctx", DIGEST_BYTES, path)
    a = _uint(fields, "a", path)
    b = _uint(fields, "b", path)
    if not a < b:
        raise NodeRangeError(_join(path, "b"), f"the range [{a}, {b}) is empty")
    if b > MAX_STEPS:
        raise NodeRangeError(_join(path, "b"), f"{b} exceeds the largest job of {MAX_STEPS} steps")
    statement = Statement(
        params_digest=params_digest,
        ctx=ctx,
        a=a,
        b=b,
        z_a=_scalars(
            _bytes(fields, "za", ELEMENT_BYTES * layout.arity, path), FR, _join(path, "za")
        ),
        z_b=_scalars(
            _bytes(fields, "zb", ELEMENT_BYTES * layout.arity, path), FR, _join(path, "zb")
        ),
    )
    U1 = _instance(fields["U1"], FR, PRIMARY_PUBLIC, _join(path, "U1"))
    W1 = RelaxedWitness(
        _vector(fields, "W1", layout.n1w, FR, path), _vector(fields, "E1", layout.n1c, FR, path)
    )
    U2 = _instance(fields["U2"], FQ, SECONDARY_PUBLIC, _join(path, "U2"))
    W2 = RelaxedWitness(
        _vector(fields, "W2", layout.n2w, FQ, path), _vector(fields, "E2", layout.n2c, FQ, path)
    )
    u2_comm_W = _point(_bytes(fields, "u2", ELEMENT_BYTES, path), FQ, _join(path, "u2"))
    w2 = _compact(fields, layout.n2w, path)
    return Node(statement, U1, W1, U2, W2, u2_comm_W, w2)


def _instance(value: object, field: PrimeField, n_public: int, path: str) -> RelaxedInstance:
    fields = _fields(value, _INSTANCE_KEYS, path)
    comm_W = _point(_bytes(fields, "W", ELEMENT_BYTES, path), field, _join(path, "W"))
    comm_E = _point(_bytes(fields, "E", ELEMENT_BYTES, path), field, _join(path, "E"))
    u = _scalar(_bytes(fields, "u", ELEMENT_BYTES, path), field, _join(path, "u"))
    X = _scalars(_bytes(fields, "X", ELEMENT_BYTES * n_public, path), field, _join(path, "X"))
    return RelaxedInstance(comm_W, comm_E, u, X)


def _compact(fields: Mapping[str, object], n: int, path: str) -> CompactVector:
    """``w2`` from its tags (``w2t``, one byte per element) and values (``w2o``)."""
    tags = np.frombuffer(_bytes(fields, "w2t", n, path), dtype=np.uint8)
    others_path = _join(path, "w2o")
    others_data = fields["w2o"]
    if not isinstance(others_data, bytes):
        raise NodeWrongTypeError(others_path, f"must be a byte string, got {_kind(others_data)}")
    if len(others_data) % ELEMENT_BYTES:
        raise NodeWrongLengthError(
            others_path, f"{len(others_data)} bytes is not a multiple of {ELEMENT_BYTES}"
        )
    others = _field_vector(others_data, FQ, others_path)
    try:
        return CompactVector(FQ, tags, others)
    except InvalidTagError as exc:
        raise NodeInvalidTagError(_join(path, "w2t"), str(exc)) from None
    except ShapeMismatchError as exc:
        raise NodeTagCountError(_join(path, "w2t"), str(exc)) from None
    except NonCanonicalEncodingError as exc:
        raise NodeNonCanonicalScalarError(others_path, str(exc)) from None


def _fields(value: object, keys: tuple[str, ...], path: str) -> Mapping[str, object]:
    """``value`` as a map with exactly ``keys``."""
    if not isinstance(value, dict):
        raise NodeWrongTypeError(path or ROOT, f"must be a map, got {_kind(value)}")
    for key in value:
        if key not in keys:
            raise NodeUnknownFieldError(_join(path, str(key)), "is not a field of this format")
    for key in keys:
        if key not in value:
            raise NodeMissingFieldError(_join(path, key), "is required")
    return value


def _uint(fields: Mapping[str, object], key: str, path: str) -> int:
    value = fields[key]
    if not isinstance(value, int) or value < 0:
        raise NodeWrongTypeError(_join(path, key), f"must be an unsigned integer, got {value!r}")
    return value


def _bytes(fields: Mapping[str, object], key: str, length: int, path: str) -> bytes:
    value = fields[key]
    if not isinstance(value, bytes):
        raise NodeWrongTypeError(_join(path, key), f"must be a byte string, got {_kind(value)}")
    if len(value) != length:
        raise NodeWrongLengthError(
            _join(path, key), f"has {len(value)} bytes; the parameters fix {length}"
        )
    return value


def _scalars(data: bytes, field: PrimeField, path: str) -> tuple[int, ...]:
    return tuple(
        _scalar(data[i : i + ELEMENT_BYTES], field, f"{path}[{i // ELEMENT_BYTES}]")
        for i in range(0, len(data), ELEMENT_BYTES)
    )


def _scalar(data: bytes, field: PrimeField, path: str) -> int:
    value = int.from_bytes(data, "little")
    if value >= field.modulus:
        raise NodeNonCanonicalScalarError(path, f"is not below the {field.name} modulus")
    return value


def _vector(fields: Mapping[str, object], key: str, n: int, field: PrimeField, path: str) -> Vector:
    return _field_vector(_bytes(fields, key, ELEMENT_BYTES * n, path), field, _join(path, key))


def _field_vector(data: bytes, field: PrimeField, path: str) -> Vector:
    try:
        return field.from_bytes(data)
    except NonCanonicalEncodingError as exc:
        raise NodeNonCanonicalScalarError(path, str(exc)) from None


def _point(data: bytes, field: PrimeField, path: str) -> CurvePoint:
    curve = curve_for(field)
    try:
        return curve.point_from_bytes(data)
    except EncodingError as exc:
        raise NodeInvalidPointError(path, f"not a {curve.name} point: {exc}") from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: object) -> str:
    return type(value).__name__
