"""The node blob of docs/tree-nova.md §12: round trips, exact sizes, and strict rejection.

Nodes here are random (real points, random vectors and compact witnesses), not proofs: the
codec checks form, never validity. Rejection cases mutate a valid blob either as bytes (for
CBOR-level faults) or as a decoded map re-encoded canonically (for field-level faults), and
expect the specific ``NodeDecodingError`` subclass naming the field.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable

import cbor2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import (
    EncodingError,
    FieldMismatchError,
    NodeDecodingError,
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
    ShapeMismatchError,
    StepRangeError,
)
from crypto.field import FQ, FR
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness
from crypto.group import G1, CurvePoint, Grumpkin, Q, R
from crypto.strict_cbor import MAX_CIRCUIT_KEY_BYTES
from crypto.tree.encoding import (
    decode_node,
    decode_node_file,
    encode_node,
    encode_node_file,
    encoded_size,
    max_encoded_size,
)
from crypto.tree.node import Node, NodeLayout, Statement
from crypto.witness import TAG_OTHER, CompactVector
from protocol import cbor
from protocol.limits import MAX_STEPS

LAYOUT = NodeLayout(arity=2, n1w=5, n1c=4, n2w=6, n2c=3)

# (key path, field) of every 32-byte scalar, and the element count of each.
SCALAR_FIELDS = [
    (("za",), FR),
    (("zb",), FR),
    (("U1", "u"), FR),
    (("U1", "X"), FR),
    (("W1",), FR),
    (("E1",), FR),
    (("U2", "u"), FQ),
    (("U2", "X"), FQ),
    (("W2",), FQ),
    (("E2",), FQ),
    (("w2o",), FQ),
]
POINT_FIELDS = [(("U1", "W"), G1), (("U1", "E"), G1), (("U2", "W"), Grumpkin),
                (("U2", "E"), Grumpkin), (("u2",), Grumpkin)]  # fmt: skip
BYTES_FIELDS = (
    [path for path, _ in SCALAR_FIELDS if path != ("w2o",)]
    + [path for path, _ in POINT_FIELDS]
    + [("pp",), ("ctx",), ("w2t",)]
)
TOP_KEYS = ["v", "pp", "ctx", "a", "b", "za", "zb", "U1", "W1", "E1", "U2", "W2", "E2", "u2",
            "w2t", "w2o"]  # fmt: skip
INSTANCE_KEYS = ["W", "E", "u", "X"]


def param_id(value: object) -> str:
    """Readable test ids: key paths dotted, fields and curves by name."""
    if isinstance(value, tuple):
        return ".".join(value)
    return str(getattr(value, "name", repr(value)))


def point(curve: object, rng: random.Random) -> CurvePoint:
    """A random point of ``curve`` (G1 or Grumpkin), the identity one time in eight."""
    assert curve is G1 or curve is Grumpkin
    if rng.randrange(8) == 0:
        return curve.identity()
    return curve.generator() * rng.randrange(1, curve.order)


def compact_witness(rng: random.Random, n: int, min_others: int = 0) -> CompactVector:
    """A random Fq compact vector mixing 0, 1, −1 and other values, with ≥ ``min_others`` others."""
    values = [rng.choice([0, 1, Q - 1, rng.randrange(2, Q - 1)]) for _ in range(n)]
    for i in range(min(min_others, n)):
        values[i] = rng.randrange(2, Q - 1)
    return CompactVector.from_dense(FQ, FQ.from_ints(values))


def random_node(
    seed: int,
    layout: NodeLayout = LAYOUT,
    a: int = 3,
    b: int = 7,
    min_others: int = 0,
    w2: CompactVector | None = None,
) -> Node:
    rng = random.Random(seed)
    statement = Statement(
        params_digest=rng.randbytes(32),
        ctx=rng.randbytes(32),
        a=a,
        b=b,
        z_a=tuple(rng.randrange(R) for _ in range(layout.arity)),
        z_b=tuple(rng.randrange(R) for _ in range(layout.arity)),
    )
    U1 = RelaxedInstance(point(G1, rng), point(G1, rng), rng.randrange(R),
                         tuple(rng.randrange(R) for _ in range(3)))  # fmt: skip
    U2 = RelaxedInstance(point(Grumpkin, rng), point(Grumpkin, rng), rng.randrange(Q),
                         tuple(rng.randrange(Q) for _ in range(2)))  # fmt: skip
    W1 = RelaxedWitness(FR.random(layout.n1w, seed), FR.random(layout.n1c, seed + 1))
    W2 = RelaxedWitness(FQ.random(layout.n2w, seed), FQ.random(layout.n2c, seed + 1))
    if w2 is None:
        w2 = compact_witness(rng, layout.n2w, min_others)
    return Node(statement, U1, W1, U2, W2, point(Grumpkin, rng), w2)


# Two TAG_OTHER values of six, so that the blob is well below the layout's maximum size.
W2_COMPACT = CompactVector.from_dense(FQ, FQ.from_ints([5, 0, 1, Q - 1, 7, 0]))
NODE = random_node(1, w2=W2_COMPACT)
BLOB = encode_node(NODE)


def others_count(node: Node) -> int:
    return node.w2.tag_counts().other


def mutated(change: Callable[[dict[str, object]], None]) -> bytes:
    """BLOB decoded as a plain map, changed in place, and canonically re-encoded."""
    value = cbor2.loads(BLOB)
    change(value)
    return cbor.encode(value)


def setter(path: tuple[str, ...], new: object) -> Callable[[dict[str, object]], None]:
    def change(value: dict[str, object]) -> None:
        for key in path[:-1]:
            value = value[key]  # type: ignore[assignment]
        value[path[-1]] = new

    return change


def get(path: tuple[str, ...]) -> bytes:
    value: object = cbor2.loads(BLOB)
    for key in path:
        value = value[key]  # type: ignore[index]
    assert isinstance(value, bytes)
    return value


def rejects(data: bytes, error: type[NodeDecodingError], field: str) -> None:
    with pytest.raises(error) as info:
        decode_node(data, LAYOUT)
    assert type(info.value) is error, info.value
    assert info.value.field == field, info.value


# Round trip and sizes


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    arity=st.integers(1, 3),
    sizes=st.tuples(*[st.integers(0, 7)] * 4),
    a=st.integers(0, MAX_STEPS - 1),
    width=st.integers(1, 40),
)
def test_round_trip(
    seed: int, arity: int, sizes: tuple[int, int, int, int], a: int, width: int
) -> None:
    layout = NodeLayout(arity, *sizes)
    b = min(a + width, MAX_STEPS)
    node = random_node(seed, layout, a, b, min_others=0)
    assert node.layout() == layout
    blob = encode_node(node)
    assert decode_node(blob, layout) == node
    assert len(blob) == encoded_size(layout, others=others_count(node), a=a, b=b)
    assert len(blob) <= max_encoded_size(layout)


def test_blob_has_the_format_keys_and_types() -> None:
    value = cbor2.loads(BLOB)
    assert sorted(value) == sorted(TOP_KEYS)
    assert value["v"] == 1 and (value["a"], value["b"]) == (3, 7)
    for key in ("U1", "U2"):
        assert sorted(value[key]) == sorted(INSTANCE_KEYS)
    assert len(value["U1"]["X"]) == 96 and len(value["U2"]["X"]) == 64
    assert value["w2t"] == NODE.w2.tags.tobytes()
    assert len(value["w2o"]) == 32 * others_count(NODE)
    assert value["W1"] == NODE.W1.dense_W().tobytes()


def test_the_longest_node_has_the_maximum_size() -> None:
    node = random_node(2, LAYOUT, MAX_STEPS - 1, MAX_STEPS, min_others=LAYOUT.n2w)
    blob = encode_node(node)
    assert others_count(node) == LAYOUT.n2w
    assert len(blob) == max_encoded_size(LAYOUT)
    assert decode_node(blob, LAYOUT) == node


def test_sizes_for_the_design_layout() -> None:
    """§12's estimate for F of 2^10 constraints: vectors and tags, plus under 1 KB of the rest."""
    layout = NodeLayout(arity=1, n1w=31_400, n1c=31_400, n2w=26_000, n2c=26_000)
    vectors = 32 * (2 * 31_400 + 2 * 26_000) + 26_000 + 32 * 13_000
    size = encoded_size(layout, others=13_000, a=0, b=1024)
    assert vectors < size < vectors + 1024
    assert size < max_encoded_size(layout) < size + 32 * 13_000 + 1024


def test_other_field_values_are_checked_in_their_own_field() -> None:
    """r is a valid Fq scalar (U2) but not an Fr one (U1): each field is checked as its own."""
    r_bytes = R.to_bytes(32, "little")
    decoded = decode_node(mutated(setter(("U2", "u"), r_bytes)), LAYOUT)
    assert decoded.U2.u == R
    rejects(mutated(setter(("U1", "u"), r_bytes)), NodeNonCanonicalScalarError, "U1.u")


def test_node_file_round_trip() -> None:
    seen: list[str] = []

    def layout_for(circuit: str) -> NodeLayout:
        seen.append(circuit)
        return LAYOUT

    data = encode_node_file("builtin:minroot", NODE)
    loaded = decode_node_file(data, layout_for)
    assert seen == ["builtin:minroot"]
    assert loaded.circuit == "builtin:minroot" and loaded.node == NODE


def test_node_file_rejections() -> None:
    def layout_for(circuit: str) -> NodeLayout:
        return LAYOUT

    data = encode_node_file("builtin:minroot", NODE)
    with pytest.raises(NodeOversizeError):
        decode_node_file(data, layout_for, max_bytes=len(data) - 1)
    small = NodeLayout(arity=2, n1w=1, n1c=1, n2w=1, n2c=1)
    with pytest.raises(NodeOversizeError) as oversize:
        decode_node_file(data, lambda circuit: small)
    assert oversize.value.field == "node"
    with pytest.raises(NodeWrongTypeError) as wrong:
        decode_node_file(cbor.encode({"circuit": b"x", "node": {}}), layout_for)
    assert wrong.value.field == "circuit"
    with pytest.raises(NodeWrongLengthError):
        decode_node_file(cbor.encode({"circuit": "", "node": {}}), layout_for)
    with pytest.raises(NodeUnknownFieldError):
        decode_node_file(cbor.encode({"circuit": "c", "node": {}, "x": 0}), layout_for)
    with pytest.raises(NodeMissingFieldError) as missing:
        decode_node_file(cbor.encode({"circuit": "c", "node": {}}), layout_for)
    assert missing.value.field == "node.v"
    with pytest.raises(ValueError):
        encode_node_file("x" * (MAX_CIRCUIT_KEY_BYTES + 1), NODE)


# Rejection of bytes


def test_every_truncation_is_rejected() -> None:
    for end in range(len(BLOB)):
        rejects(BLOB[:end], NodeMalformedCborError, "$")


def test_appended_bytes_are_rejected() -> None:
    for suffix in (b"\x00", b"\xa0", BLOB[:5]):
        rejects(BLOB + suffix, NodeMalformedCborError, "$")


def test_oversize_input_is_rejected_before_parsing() -> None:
    limit = max_encoded_size(LAYOUT)
    rejects(b"\xff" * (limit + 1), NodeOversizeError, "$")
    rejects(BLOB + b"\x00" * (limit + 1 - len(BLOB)), NodeOversizeError, "$")


def test_non_bytes_input_is_rejected() -> None:
    with pytest.raises(NodeWrongTypeError):
        decode_node("text", LAYOUT)  # type: ignore[arg-type]


def test_non_canonical_cbor_is_rejected() -> None:
    value = cbor2.loads(BLOB)
    reversed_keys = cbor2.dumps(dict(reversed(list(value.items()))))
    assert cbor2.loads(reversed_keys) == value
    rejects(reversed_keys, NodeNonCanonicalCborError, "$")
    for canonical, longer in (
        (b"\x61v\x01", b"\x61v\x18\x01"),  # the version as a one-byte argument
        (b"\x61a\x03", b"\x61a\x19\x00\x03"),
        (b"\x62pp\x58\x20", b"\x62pp\x59\x00\x20"),  # a byte string's length in two bytes
    ):
        assert BLOB.count(canonical) == 1
        rejects(BLOB.replace(canonical, longer), NodeNonCanonicalCborError, "$")
    assert BLOB[0] == 0xB0  # a map of 16 entries; the same count in a longer form:
    rejects(b"\xb8\x10" + BLOB[1:], NodeNonCanonicalCborError, "$")


def test_cbor_kinds_outside_the_format_are_rejected() -> None:
    rejects(b"\xf9\x3c\x00", NodeMalformedCborError, "$")  # a float
    rejects(b"\xc1\x00", NodeMalformedCborError, "$")  # a tag
    rejects(b"\xbf\xff", NodeMalformedCborError, "$")  # an indefinite map
    rejects(cbor2.dumps({1: 2}), NodeMalformedCborError, "$")  # a non-text key


# Rejection of fields


@pytest.mark.parametrize(("path", "field"), SCALAR_FIELDS, ids=param_id)
def test_non_canonical_scalar_is_rejected(path: tuple[str, ...], field: object) -> None:
    assert field is FR or field is FQ
    data = get(path)
    name = ".".join(path)
    last = len(data) // 32 - 1
    for bad in (field.modulus, field.modulus + 1, (1 << 256) - 1):
        changed = data[: 32 * last] + bad.to_bytes(32, "little")
        if path in (("U1", "u"), ("U2", "u")):
            expected = name
        elif path[0] in ("za", "zb") or path[-1] == "X":
            expected = f"{name}[{last}]"
        else:
            expected = name
        rejects(mutated(setter(path, changed)), NodeNonCanonicalScalarError, expected)


def test_compact_values_that_have_tags_are_rejected() -> None:
    for value in (0, 1, Q - 1):
        changed = value.to_bytes(32, "little") + get(("w2o",))[32:]
        rejects(mutated(setter(("w2o",), changed)), NodeNonCanonicalScalarError, "w2o")


def off_curve_x(curve: object) -> int:
    """The smallest x with no point of ``curve`` above it (x³ + b a non-square)."""
    p, b = (Q, 3) if curve is G1 else (R, R - 17)
    x = 1
    while pow((x**3 + b) % p, (p - 1) // 2, p) == 1:
        x += 1
    return x


@pytest.mark.parametrize(("path", "curve"), POINT_FIELDS, ids=param_id)
def test_invalid_point_is_rejected(path: tuple[str, ...], curve: object) -> None:
    assert curve is G1 or curve is Grumpkin
    name = ".".join(path)
    base = curve.base_modulus
    encodings = [
        off_curve_x(curve).to_bytes(32, "little"),  # not on the curve
        base.to_bytes(32, "little"),  # x = p
        (base + 1).to_bytes(32, "little"),  # x ≥ p
        bytes(31) + b"\xc0",  # the identity flag with the sign bit
        b"\x01" + bytes(30) + b"\x40",  # the identity flag with x ≠ 0
    ]
    for encoding in encodings:
        rejects(mutated(setter(path, encoding)), NodeInvalidPointError, name)


def test_bad_tag_is_rejected() -> None:
    tags = bytearray(get(("w2t",)))
    for bad in (4, 0xFF):
        changed = bytes(tags[:-1]) + bytes([bad])
        rejects(mutated(setter(("w2t",), changed)), NodeInvalidTagError, "w2t")


def test_tag_count_mismatch_is_rejected() -> None:
    tags = bytearray(get(("w2t",)))
    other = tags.index(TAG_OTHER)
    fewer = tags.copy()
    fewer[other] = 0
    rejects(mutated(setter(("w2t",), bytes(fewer))), NodeTagCountError, "w2t")
    more = tags.copy()
    more[tags.index(0)] = TAG_OTHER
    rejects(mutated(setter(("w2t",), bytes(more))), NodeTagCountError, "w2t")
    extra = get(("w2o",)) + (5).to_bytes(32, "little")
    rejects(mutated(setter(("w2o",), extra)), NodeTagCountError, "w2t")
    rejects(mutated(setter(("w2o",), get(("w2o",))[32:])), NodeTagCountError, "w2t")


@pytest.mark.parametrize("path", BYTES_FIELDS, ids=param_id)
def test_wrong_length_is_rejected(path: tuple[str, ...]) -> None:
    data = get(path)
    for changed in (data[:-1], data[:-32] if len(data) >= 32 else b"", data + bytes(32),
                    data + b"\x00", b""):  # fmt: skip
        if changed == data:
            continue
        rejects(mutated(setter(path, changed)), NodeWrongLengthError, ".".join(path))


def test_wrong_length_of_compact_values_is_rejected() -> None:
    data = get(("w2o",))
    for changed in (data[:-1], data + b"\x00", data[:31]):
        rejects(mutated(setter(("w2o",), changed)), NodeWrongLengthError, "w2o")


def test_layout_decides_every_length() -> None:
    """The same blob under another layout is rejected at the first vector that differs."""
    for layout, field in (
        (NodeLayout(3, 5, 4, 6, 3), "za"),
        (NodeLayout(2, 6, 4, 6, 3), "W1"),
        (NodeLayout(2, 5, 3, 6, 3), "E1"),
        (NodeLayout(2, 5, 4, 7, 3), "W2"),
        (NodeLayout(2, 5, 4, 6, 4), "E2"),
    ):
        with pytest.raises(NodeWrongLengthError) as info:
            decode_node(BLOB, layout)
        assert info.value.field == field


@pytest.mark.parametrize("key", TOP_KEYS)
def test_missing_key_is_rejected(key: str) -> None:
    rejects(mutated(lambda value: value.pop(key)), NodeMissingFieldError, key)


@pytest.mark.parametrize("key", INSTANCE_KEYS)
@pytest.mark.parametrize("instance", ["U1", "U2"])
def test_missing_instance_key_is_rejected(instance: str, key: str) -> None:
    def change(value: dict[str, object]) -> None:
        inner = value[instance]
        assert isinstance(inner, dict)
        inner.pop(key)

    rejects(mutated(change), NodeMissingFieldError, f"{instance}.{key}")


def test_unknown_key_is_rejected() -> None:
    rejects(mutated(setter(("x",), 0)), NodeUnknownFieldError, "x")
    rejects(mutated(setter(("u1",), b"")), NodeUnknownFieldError, "u1")
    rejects(mutated(setter(("U1", "Y"), b"")), NodeUnknownFieldError, "U1.Y")
    rejects(mutated(setter(("U2", "x"), b"")), NodeUnknownFieldError, "U2.x")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("v",), "1"),
        (("a",), "3"),
        (("a",), -1),
        (("b",), b"\x07"),
        (("b",), [7]),
        (("pp",), 5),
        (("ctx",), "ctx"),
        (("za",), [0, 0]),
        (("U1",), b""),
        (("U2",), [b"", b"", b"", b""]),
        (("W1",), {}),
        (("U1", "u"), 1),
        (("U2", "X"), "X"),
        (("u2",), None),
        (("w2t",), [0] * 6),
        (("w2o",), "w2o"),
    ],
    ids=param_id,
)
def test_wrong_type_is_rejected(path: tuple[str, ...], value: object) -> None:
    if value is None:
        # CBOR null is a simple value, outside the format's kinds altogether.
        rejects(mutated(setter(path, value)), NodeMalformedCborError, "$")
        return
    rejects(mutated(setter(path, value)), NodeWrongTypeError, ".".join(path))


def test_non_map_blob_is_rejected() -> None:
    rejects(cbor.encode([1, 2]), NodeWrongTypeError, "$")
    rejects(cbor.encode(b"node"), NodeWrongTypeError, "$")


def test_empty_or_reversed_range_is_rejected() -> None:
    for a, b in ((7, 7), (8, 7), (0, 0), (MAX_STEPS, MAX_STEPS)):
        blob = mutated(lambda value, a=a, b=b: value.update(a=a, b=b))
        rejects(blob, NodeRangeError, "b")


def test_range_beyond_the_largest_job_is_rejected() -> None:
    for a, b in ((0, MAX_STEPS + 1), (MAX_STEPS, MAX_STEPS + 1), (0, (1 << 64) - 1)):
        blob = mutated(lambda value, a=a, b=b: value.update(a=a, b=b))
        rejects(blob, NodeRangeError, "b")
    edge = mutated(lambda value: value.update(a=MAX_STEPS - 1, b=MAX_STEPS))
    assert decode_node(edge, LAYOUT).statement.steps == 1


def test_wrong_version_is_rejected() -> None:
    for version in (0, 2, 1 << 40):
        rejects(mutated(setter(("v",), version)), NodeVersionError, "v")


def test_errors_are_encoding_errors() -> None:
    with pytest.raises(EncodingError):
        decode_node(BLOB[:-1], LAYOUT)
    with pytest.raises(ValueError):
        decode_node(BLOB[:-1], LAYOUT)


# Fuzz


def structural_offsets() -> list[int]:
    """Offsets of BLOB's keys and item heads: where it equals the blob of another node with the
    same lengths (random values coincide only rarely)."""
    other = encode_node(random_node(9, w2=W2_COMPACT))
    assert len(other) == len(BLOB)
    return [i for i, (x, y) in enumerate(zip(BLOB, other, strict=True)) if x == y]


def test_random_byte_flips_decode_or_raise_a_decoding_error() -> None:
    """Half the flips hit keys and heads, half anywhere; each input either decodes to a node
    that re-encodes to exactly the input, or raises a NodeDecodingError (nothing else)."""
    rng = random.Random(5)
    structure = structural_offsets()
    outcomes = {"decoded": 0, "rejected": 0}
    for case in range(2500):
        data = bytearray(BLOB)
        offsets = structure if case % 2 else range(len(data))
        for _ in range(rng.choice([1, 1, 2, 3])):
            data[rng.choice(offsets)] ^= rng.randrange(1, 256)
        try:
            node = decode_node(bytes(data), LAYOUT)
        except NodeDecodingError:
            outcomes["rejected"] += 1
            continue
        assert encode_node(node) == bytes(data)
        outcomes["decoded"] += 1
    # Most bytes are vector elements, where a flip usually leaves a canonical value.
    assert outcomes["rejected"] > 1000 and outcomes["decoded"] > 300


# Node and Statement form checks


def test_statement_checks_its_form() -> None:
    s = NODE.statement
    with pytest.raises(StepRangeError):
        Statement(s.params_digest, s.ctx, 5, 5, s.z_a, s.z_b)
    with pytest.raises(ShapeMismatchError):
        Statement(s.params_digest, s.ctx, 0, 1, s.z_a, s.z_b[:1])
    with pytest.raises(EncodingError):
        Statement(s.params_digest[:31], s.ctx, 0, 1, s.z_a, s.z_b)
    with pytest.raises(EncodingError):
        Statement(s.params_digest, s.ctx, 0, 1, (R, 0), s.z_b)
    with pytest.raises(TypeError):
        Statement(s.params_digest, s.ctx, 0, 1, list(s.z_a), s.z_b)  # type: ignore[arg-type]
    assert s.arity == 2 and s.steps == 4
    decoded = decode_node(BLOB, LAYOUT).statement
    assert decoded == s and hash(decoded) == hash(s) and decoded is not s


def test_node_checks_curves_and_lengths() -> None:
    n = NODE
    swapped = RelaxedInstance(n.U2.comm_W, n.U1.comm_E, n.U1.u, n.U1.X)
    with pytest.raises(FieldMismatchError):
        Node(n.statement, swapped, n.W1, n.U2, n.W2, n.u2_comm_W, n.w2)
    with pytest.raises(FieldMismatchError):
        Node(n.statement, n.U1, n.W1, n.U2, n.W2, G1.generator(), n.w2)
    with pytest.raises(ShapeMismatchError):
        short_X = RelaxedInstance(n.U1.comm_W, n.U1.comm_E, n.U1.u, n.U1.X[:2])
        Node(n.statement, short_X, n.W1, n.U2, n.W2, n.u2_comm_W, n.w2)
    short_w2 = CompactVector.from_dense(FQ, FQ.zeros(LAYOUT.n2w - 1))
    with pytest.raises(ShapeMismatchError):
        Node(n.statement, n.U1, n.W1, n.U2, n.W2, n.u2_comm_W, short_w2)


def test_fresh_secondary_pair() -> None:
    u2 = NODE.u2([5, 6])
    assert u2.u == 1 and u2.comm_E.is_identity() and u2.X == (5, 6)
    assert u2.comm_W == NODE.u2_comm_W
    w2 = NODE.w2_witness()
    assert w2.W is NODE.w2 and not w2.E.any() and len(w2.E) == LAYOUT.n2c


def test_nodes_differ_in_any_part() -> None:
    assert random_node(1, w2=W2_COMPACT) == NODE
    changed_E = RelaxedWitness(NODE.W1.W, FR.add(NODE.W1.E, FR.from_ints([0, 0, 0, 1])))
    assert Node(NODE.statement, NODE.U1, changed_E, NODE.U2, NODE.W2, NODE.u2_comm_W,
                NODE.w2) != NODE  # fmt: skip
    assert random_node(2) != NODE
    assert not np.array_equal(random_node(2).W1.E, NODE.W1.E)


def test_codec_imports_only_the_pure_protocol_modules_it_uses() -> None:
    """crypto may use protocol's canonical CBOR, but must not pull in the network node."""
    code = (
        "import sys, crypto.tree.encoding; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('protocol', 'node')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(["protocol", "protocol.cbor", "protocol.errors",
                                      "protocol.limits"])  # fmt: skip
