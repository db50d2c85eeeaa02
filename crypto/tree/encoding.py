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
from crypto.field import ELEMENT_BYTES, FQ, FR
from crypto.folding.relaxed import RelaxedWitness
from crypto.strict_cbor import (
    DecodingErrors,
    StrictReader,
    encode_circuit_file,
    head_bytes,
    instance_bytes,
    instance_map,
    join,
    kind,
    scalars_bytes,
    string_bytes,
)
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
from protocol.limits import MAX_NODE_BYTES, MAX_STEPS

VERSION: Final = 1
"""The node format version, the value of ``"v"``."""

_NODE_KEYS: Final = (
    "v", "pp", "ctx", "a", "b", "za", "zb",
    "U1", "W1", "E1", "U2", "W2", "E2", "u2", "w2t", "w2o",
)  # fmt: skip

_READ = StrictReader(
    DecodingErrors(
        oversize=NodeOversizeError,
        malformed_cbor=NodeMalformedCborError,
        non_canonical_cbor=NodeNonCanonicalCborError,
        unknown_field=NodeUnknownFieldError,
        missing_field=NodeMissingFieldError,
        wrong_type=NodeWrongTypeError,
        wrong_length=NodeWrongLengthError,
        non_canonical_scalar=NodeNonCanonicalScalarError,
        invalid_point=NodeInvalidPointError,
    )
)


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
    return encode_circuit_file(circuit, "node", _node_map(node))


def _node_map(node: Node) -> dict[str, object]:
    s = node.statement
    return {
        "v": VERSION,
        "pp": s.params_digest,
        "ctx": s.ctx,
        "a": s.a,
        "b": s.b,
        "za": scalars_bytes(s.z_a),
        "zb": scalars_bytes(s.z_b),
        "U1": instance_map(node.U1),
        "W1": FR.to_bytes(node.W1.dense_W()),
        "E1": FR.to_bytes(node.W1.E),
        "U2": instance_map(node.U2),
        "W2": FQ.to_bytes(node.W2.dense_W()),
        "E2": FQ.to_bytes(node.W2.E),
        "u2": node.u2_comm_W.to_bytes(),
        "w2t": node.w2.tags.tobytes(),
        "w2o": FQ.to_bytes(node.w2.others),
    }


# Sizes


def _vector_bytes(n: int) -> int:
    return string_bytes(ELEMENT_BYTES * n)


def encoded_size(layout: NodeLayout, *, others: int, a: int, b: int) -> int:
    """The exact length of the blob of a node with ``layout``, ``others`` TAG_OTHER values in
    ``w2`` and the range [a, b)."""
    return (
        head_bytes(len(_NODE_KEYS))
        + sum(string_bytes(len(k)) for k in _NODE_KEYS)
        + head_bytes(VERSION)
        + 2 * string_bytes(DIGEST_BYTES)
        + head_bytes(a)
        + head_bytes(b)
        + 2 * _vector_bytes(layout.arity)
        + instance_bytes(PRIMARY_PUBLIC)
        + _vector_bytes(layout.n1w)
        + _vector_bytes(layout.n1c)
        + instance_bytes(SECONDARY_PUBLIC)
        + _vector_bytes(layout.n2w)
        + _vector_bytes(layout.n2c)
        + string_bytes(ELEMENT_BYTES)
        + string_bytes(layout.n2w)
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
    return _node_from_value(_READ.parse(data, limit), layout, "")


def decode_node_file(
    data: bytes,
    layout_for: Callable[[str], NodeLayout],
    max_bytes: int = MAX_NODE_BYTES,
) -> NodeFile:
    """The proof file encoded by ``data``: ``layout_for`` maps its circuit key to the layout of
    that circuit's parameters (building them if needed). ``max_bytes`` bounds the input before
    parsing, as the layout is not known until the key is read."""
    layouts: dict[str, NodeLayout] = {}

    def max_inner(circuit: str) -> int:
        layouts[circuit] = layout_for(circuit)
        return max_encoded_size(layouts[circuit])

    circuit, value = _READ.circuit_file(data, "node", max_bytes, max_inner)
    return NodeFile(circuit, _node_from_value(value, layouts[circuit], "node"))


def _node_from_value(value: object, layout: NodeLayout, path: str) -> Node:
    fields = _READ.fields(value, _NODE_KEYS, path)
    version = _READ.uint(fields, "v", path)
    if version != VERSION:
        raise NodeVersionError(join(path, "v"), f"version {version} is not {VERSION}")
    params_digest = _READ.byte_string(fields, "pp", DIGEST_BYTES, path)
    ctx = _READ.byte_string(fields, "ctx", DIGEST_BYTES, path)
    a = _READ.uint(fields, "a", path)
    b = _READ.uint(fields, "b", path)
    if not a < b:
        raise NodeRangeError(join(path, "b"), f"the range [{a}, {b}) is empty")
    if b > MAX_STEPS:
        raise NodeRangeError(join(path, "b"), f"{b} exceeds the largest job of {MAX_STEPS} steps")
    statement = Statement(
        params_digest=params_digest,
        ctx=ctx,
        a=a,
        b=b,
        z_a=_READ.scalars_at(fields, "za", layout.arity, FR, path),
        z_b=_READ.scalars_at(fields, "zb", layout.arity, FR, path),
    )
    U1 = _READ.instance(fields["U1"], FR, PRIMARY_PUBLIC, join(path, "U1"))
    W1 = RelaxedWitness(
        _READ.vector(fields, "W1", layout.n1w, FR, path),
        _READ.vector(fields, "E1", layout.n1c, FR, path),
    )
    U2 = _READ.instance(fields["U2"], FQ, SECONDARY_PUBLIC, join(path, "U2"))
    W2 = RelaxedWitness(
        _READ.vector(fields, "W2", layout.n2w, FQ, path),
        _READ.vector(fields, "E2", layout.n2c, FQ, path),
    )
    u2_comm_W = _READ.point_at(fields, "u2", FQ, path)
    w2 = _compact(fields, layout.n2w, path)
    return Node(statement, U1, W1, U2, W2, u2_comm_W, w2)


def _compact(fields: Mapping[str, object], n: int, path: str) -> CompactVector:
    """``w2`` from its tags (``w2t``, one byte per element) and values (``w2o``)."""
    tags = np.frombuffer(_READ.byte_string(fields, "w2t", n, path), dtype=np.uint8)
    others_path = join(path, "w2o")
    others_data = fields["w2o"]
    if not isinstance(others_data, bytes):
        raise NodeWrongTypeError(others_path, f"must be a byte string, got {kind(others_data)}")
    if len(others_data) % ELEMENT_BYTES:
        raise NodeWrongLengthError(
            others_path, f"{len(others_data)} bytes is not a multiple of {ELEMENT_BYTES}"
        )
    others = _READ.field_vector(others_data, FQ, others_path)
    try:
        return CompactVector(FQ, tags, others)
    except InvalidTagError as exc:
        raise NodeInvalidTagError(join(path, "w2t"), str(exc)) from None
    except ShapeMismatchError as exc:
        raise NodeTagCountError(join(path, "w2t"), str(exc)) from None
    except NonCanonicalEncodingError as exc:
        raise NodeNonCanonicalScalarError(others_path, str(exc)) from None
