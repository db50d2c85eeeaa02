"""Points and point vectors of G1 and Grumpkin against py_ecc and the pure-Python reference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from crypto import group
from crypto.errors import (
    EncodingError,
    NonCanonicalEncodingError,
    NotOnCurveError,
    WrongLengthError,
)
from crypto.reference import curve as ref

CURVES = [(group.G1, ref.BN254_G1), (group.Grumpkin, ref.GRUMPKIN)]
IDS = ["bn254", "grumpkin"]
scalars = st.one_of(
    st.integers(min_value=-(2**300), max_value=2**300),
    st.sampled_from([0, 1, -1, 2, ref.R - 1, ref.R, ref.R + 1, ref.Q - 1, ref.Q, ref.Q + 1]),
)


def py_ecc_point(k: int) -> ref.Point:
    """k·G on BN254 G1 by py_ecc, as an affine int pair (None for the identity)."""
    point = bn.multiply(bn.G1, k % ref.R)
    if bn.is_inf(point):
        return None
    x, y = bn.normalize(point)
    return (int(x), int(y))


def affine(point: group.CurvePoint) -> ref.Point:
    if point.is_identity():
        assert point.x is None and point.y is None
        return None
    assert point.x is not None and point.y is not None
    return (point.x, point.y)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_constants_match_the_reference(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    assert affine(curve.generator()) == model.generator
    assert curve.identity().is_identity()
    assert curve.order == model.order and curve.base_modulus == model.p
    assert (curve.generator() * curve.order).is_identity()
    assert curve.scalar_field == ("Fr" if model is ref.BN254_G1 else "Fq")


@settings(max_examples=60, deadline=None)
@given(a=scalars, b=scalars)
def test_g1_arithmetic_matches_py_ecc(a: int, b: int) -> None:
    g = group.G1.generator()
    assert affine(g * a) == py_ecc_point(a)
    assert affine(a * g) == py_ecc_point(a)
    assert affine(g * a + g * b) == py_ecc_point(a + b)
    assert affine(g * a - g * b) == py_ecc_point(a - b)
    assert affine(-(g * a)) == py_ecc_point(-a)
    assert affine((g * a).double()) == py_ecc_point(2 * a)


@settings(max_examples=40, deadline=None)
@given(a=scalars, b=scalars)
def test_grumpkin_arithmetic_matches_reference(a: int, b: int) -> None:
    c = ref.GRUMPKIN
    g = group.Grumpkin.generator()
    ga, gb = ref.mul(c, c.generator, a), ref.mul(c, c.generator, b)
    assert affine(g * a) == ga
    assert affine(g * a + g * b) == ref.add(c, ga, gb)
    assert affine(g * a - g * b) == ref.add(c, ga, ref.neg(c, gb))
    assert affine((g * a).double()) == ref.add(c, ga, ga)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_group_law_edge_cases(curve: group.Curve[group.CurvePoint], model: ref.Curve) -> None:
    g, o = curve.generator(), curve.identity()
    p = g * 12345
    assert p + (-p) == o and (p - p).is_identity()
    assert p + o == p and o + p == p and -o == o and o.double() == o
    assert p + p == p.double() == p * 2
    assert g * 0 == o and o * 7 == o
    assert g * (curve.order + 5) == g * 5 and g * -1 == -g
    assert g * (curve.order - 1) == -g
    assert p == g * 12345 and p != g and p != o
    assert len({p, g * 12345, g, o, curve.identity()}) == 3
    assert affine(p) == ref.mul(model, model.generator, 12345)


def test_the_curves_do_not_mix() -> None:
    g, h = group.G1.generator(), group.Grumpkin.generator()
    with pytest.raises(TypeError):
        g + h
    with pytest.raises(TypeError):
        g * 1.5  # type: ignore[operator]
    assert g != h


@settings(max_examples=60, deadline=None)
@given(k=scalars)
@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_encoding_round_trips_and_matches_reference(
    curve: group.Curve[group.CurvePoint], model: ref.Curve, k: int
) -> None:
    point = curve.generator() * k
    data = point.to_bytes()
    assert data == ref.encode(model, ref.mul(model, model.generator, k))
    assert curve.point_from_bytes(data) == point
    assert ref.decode(model, data) == affine(point)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_identity_has_one_encoding(curve: group.Curve[group.CurvePoint], model: ref.Curve) -> None:
    encoded = bytes(31) + b"\x40"
    assert curve.identity().to_bytes() == encoded
    assert curve.point_from_bytes(encoded).is_identity()
    with pytest.raises(NonCanonicalEncodingError):
        curve.point_from_bytes(bytes(31) + b"\xc0")  # identity and sign flag
    with pytest.raises(NonCanonicalEncodingError):
        curve.point_from_bytes(b"\x01" + bytes(30) + b"\x40")  # identity with x = 1
    with pytest.raises(NonCanonicalEncodingError):
        curve.point_from_bytes(curve.generator().to_bytes()[:31] + b"\x40")


def _x_without_point(model: ref.Curve) -> int:
    return next(x for x in range(1, 100) if ref.ys_above(model, x) is None)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_malformed_encodings_get_their_specific_error(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    good = curve.generator().to_bytes()
    for length in (0, 1, 31, 33, 64):
        with pytest.raises(WrongLengthError):
            curve.point_from_bytes((good * 3)[:length])
    for x in (model.p, model.p + 1, 2**254 - 1):
        for flag in (0x00, 0x80):
            data = bytearray(x.to_bytes(32, "little"))
            data[31] |= flag
            with pytest.raises(NonCanonicalEncodingError):
                curve.point_from_bytes(bytes(data))
    off = _x_without_point(model).to_bytes(32, "little")
    for flag in (0x00, 0x80):
        with pytest.raises(NotOnCurveError):
            curve.point_from_bytes(off[:31] + bytes([off[31] | flag]))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=32, max_size=32))
@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_random_bytes_decode_like_the_reference(
    curve: group.Curve[group.CurvePoint], model: ref.Curve, data: bytes
) -> None:
    try:
        expected = ref.decode(model, data)
    except EncodingError as err:
        with pytest.raises(type(err)):
            curve.point_from_bytes(data)
        return
    point = curve.point_from_bytes(data)
    assert affine(point) == expected
    assert point.to_bytes() == data


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_point_vectors(curve: group.Curve[group.CurvePoint], model: ref.Curve) -> None:
    g = curve.generator()
    points = [g * k for k in (3, 0, 5, 3, -5)]
    vec = curve.vector(points)
    assert len(vec) == 5
    assert [vec[i] for i in range(5)] == points
    assert vec[-1] == points[-1] and vec[1].is_identity()
    with pytest.raises(IndexError):
        vec[5]
    with pytest.raises(IndexError):
        vec[-6]
    assert list(vec[1:4]) == points[1:4]
    assert list(vec[::-2]) == points[::-2]
    data = vec.to_bytes()
    assert data == b"".join(p.to_bytes() for p in points)
    assert curve.vector_from_bytes(data) == vec
    assert len(curve.vector([])) == 0 and curve.vector_from_bytes(b"").to_bytes() == b""
    assert [affine(p) for p in vec] == [
        ref.mul(model, model.generator, k) for k in (3, 0, 5, 3, -5)
    ]


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_malformed_vector_encodings_name_the_bad_point(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    good = curve.generator().to_bytes()
    with pytest.raises(WrongLengthError):
        curve.vector_from_bytes(good + good[:31])
    off = _x_without_point(model).to_bytes(32, "little")
    with pytest.raises(NotOnCurveError, match="point 2"):
        curve.vector_from_bytes(good + good + off)
    with pytest.raises(NonCanonicalEncodingError, match="point 1"):
        curve.vector_from_bytes(good + model.p.to_bytes(32, "little"))
