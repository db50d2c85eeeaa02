"""In-circuit points of Grumpkin (Fr circuits) and BN254 G1 (Fq circuits) against native math."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import pytest
from gadget_harness import (
    IDENTITY,
    add,
    alloc_bits,
    free_bits,
    mul,
    n_private,
    neg,
    on_curve,
    reference_curve,
    tampered,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import bn128

from crypto.circuit import (
    Assignment,
    ConstraintSystem,
    R1CSShape,
    SatisfactionChecker,
    ShapeRecorder,
    WitnessGenerator,
)
from crypto.circuit.gadgets import ecc
from crypto.circuit.gadgets._ladder import batch_inverse
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.lc import as_lc
from crypto.errors import NotOnCurveError, UnsupportedParameterError
from crypto.field import FQ, PrimeField

CURVES = [ecc.GRUMPKIN, ecc.BN254_G1]
BOTH = pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
FEW = settings(max_examples=15, deadline=None)
scalars = st.integers(min_value=1, max_value=2**128)


def point(curve: ecc.Curve, k: int) -> tuple[int, int]:
    return mul(curve, k, curve.generator)


@dataclass
class Run:
    """A gadget synthesised twice: its shape, and an honest witness with the output's value."""

    shape: R1CSShape
    assignment: Assignment
    output: tuple[int, int]
    out_vars: tuple[int, ...]
    first_gadget_var: int


def run(field: PrimeField, circuit: Callable[[ConstraintSystem], tuple[int, ecc.Point]]) -> Run:
    """Records the shape (reading no value), computes the witness, checks satisfaction."""
    recorder = ShapeRecorder(field)
    circuit(recorder)
    shape = R1CSShape.from_recorder(recorder)
    generator = WitnessGenerator(field)
    mark, out = circuit(generator)
    assignment = generator.assignment()
    assert shape.first_unsatisfied(assignment) is None
    checker = SatisfactionChecker(field)
    circuit(checker)
    assert checker.n_constraints == shape.n_constraints
    return Run(shape, assignment, out.value(generator), _indices(out), mark)


def _indices(point: ecc.Point) -> tuple[int, ...]:
    """The private indices of an allocated point's x, y and flag."""
    terms = [as_lc(point.x).terms, as_lc(point.y).terms, point.is_infinity.lc.terms]
    assert all(len(t) == 1 for t in terms)
    return tuple(next(iter(t)) >> 1 for t in terms)


def assert_every_gadget_variable_bound(field: PrimeField, result: Run, sample: int = 0) -> None:
    """Changing any one variable the gadget allocated breaks some constraint."""
    indices = range(result.first_gadget_var, len(result.assignment.private))
    chosen = list(indices)[:: max(1, len(indices) // sample)] if sample else list(indices)
    for index in chosen:
        value = result.assignment.private[index] + 1
        bad = tampered(result.assignment, {index: value}, field.modulus)
        assert result.shape.first_unsatisfied(bad) is not None, f"variable {index} is free"


def binary(cs: ConstraintSystem, gadget: Callable[..., ecc.Point], a: Any, b: Any) -> Any:
    p, q = ecc.alloc_point(cs, lambda: a), ecc.alloc_point(cs, lambda: b)
    return n_private(cs), gadget(cs, p, q)


# --- constants and the native reference -------------------------------------------------------


@BOTH
def test_curves_are_the_reference_ones(curve: ecc.Curve) -> None:
    """Same equation, order and generator as `crypto.reference.curve`'s; (order − 1)·G = −G,
    so the order kills the generator."""
    model = reference_curve(curve)
    assert (model.b, model.order, model.generator) == (curve.b, curve.order, curve.generator)
    assert curve.is_on_curve(curve.generator) and on_curve(curve, curve.generator)
    g = curve.generator
    assert add(curve, mul(curve, curve.order - 1, g), g) == IDENTITY
    assert ecc.curve_of(curve.field) is curve


def test_reference_agrees_with_py_ecc_on_bn254() -> None:
    g1 = ecc.BN254_G1
    for k in (1, 2, 3, 12345, 2**128 + 7):
        expected = bn128.multiply(bn128.G1, k)
        assert mul(g1, k, g1.generator) == (int(expected[0]), int(expected[1]))
    a, b = bn128.multiply(bn128.G1, 5), bn128.multiply(bn128.G1, 9)
    native = add(g1, point(g1, 5), point(g1, 9))
    total = bn128.add(a, b)
    assert native == (int(total[0]), int(total[1]))


def test_no_curve_point_has_x_zero_so_the_identity_encoding_is_unique() -> None:
    for curve in CURVES:
        p = curve.field.modulus
        assert pow(curve.b, (p - 1) // 2, p) == p - 1  # b is not a square: no (0, y)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(UnsupportedParameterError):
        ecc.curve_of(SimpleNamespace(name="toy", modulus=101))  # type: ignore[arg-type]


def test_constant_points_are_checked() -> None:
    assert ecc.Point.constant(ecc.GRUMPKIN, (0, 0)).is_infinity.constant is True
    with pytest.raises(NotOnCurveError):
        ecc.Point.constant(ecc.GRUMPKIN, (1, 2))


# --- allocation ----------------------------------------------------------------------------------


@BOTH
@FEW
@given(k=st.integers(min_value=0, max_value=2**128))
def test_alloc_point_holds_curve_points_and_the_identity(curve: ecc.Curve, k: int) -> None:
    value = point(curve, k)
    result = run(curve.field, lambda cs: (0, ecc.alloc_point(cs, lambda: value)))
    assert result.output == value
    assert result.shape.n_constraints == 5


@BOTH
def test_alloc_point_refuses_an_off_curve_value(curve: ecc.Curve) -> None:
    with pytest.raises(NotOnCurveError):
        ecc.alloc_point(WitnessGenerator(curve.field), (1, 1))


@BOTH
@pytest.mark.parametrize(
    "change",
    ["off_curve", "flag_on_finite", "coords_on_identity", "y_on_identity", "flag_two"],
)
def test_tampered_point_allocation_is_rejected(curve: ecc.Curve, change: str) -> None:
    p = curve.field.modulus
    finite = change in ("off_curve", "flag_on_finite", "flag_two")
    value = point(curve, 7) if finite else IDENTITY
    result = run(curve.field, lambda cs: (0, ecc.alloc_point(cs, lambda: value)))
    x, y, flag = result.out_vars
    private = list(result.assignment.private)
    if change == "off_curve":
        private[x] = (private[x] + 1) % p
    elif change == "flag_on_finite":
        private[flag] = 1
    elif change == "coords_on_identity":
        private[x], private[y] = 4, 8  # y² = x³: what the curve check alone allows the identity
    elif change == "y_on_identity":
        private[y] = 1
    else:
        private[flag] = 2
    # Derived squares follow the tampered coordinates, so only the point's checks can fail.
    private[3], private[4] = private[x] ** 2 % p, private[y] ** 2 % p
    bad = replace(result.assignment, private=private)
    assert result.shape.first_unsatisfied(bad) is not None


# --- addition ------------------------------------------------------------------------------------


@BOTH
@FEW
@given(a=scalars, b=scalars)
def test_add_matches_native(curve: ecc.Curve, a: int, b: int) -> None:
    pa, pb = point(curve, a), point(curve, b)
    result = run(curve.field, lambda cs: binary(cs, ecc.add, pa, pb))
    assert result.output == add(curve, pa, pb)


def special_pairs(curve: ecc.Curve) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    a, b = point(curve, 3), point(curve, 11)
    return [
        ("P+O", a, IDENTITY),
        ("O+P", IDENTITY, a),
        ("O+O", IDENTITY, IDENTITY),
        ("P+P", a, a),
        ("P+-P", a, neg(curve, a)),
        ("-P+P", neg(curve, a), a),
        ("P+Q", a, b),
    ]


@BOTH
@pytest.mark.parametrize("case", range(7))
def test_add_exceptional_cases(curve: ecc.Curve, case: int) -> None:
    _, a, b = special_pairs(curve)[case]
    result = run(curve.field, lambda cs: binary(cs, ecc.add, a, b))
    assert result.output == add(curve, a, b)
    assert result.shape.n_constraints == 10 + 16


@BOTH
@pytest.mark.parametrize("case", range(7))
def test_add_rejects_a_wrong_result(curve: ecc.Curve, case: int) -> None:
    _, a, b = special_pairs(curve)[case]
    result = run(curve.field, lambda cs: binary(cs, ecc.add, a, b))
    for index in result.out_vars:
        for delta in (1, -1):
            value = result.assignment.private[index] + delta
            bad = tampered(result.assignment, {index: value}, curve.field.modulus)
            assert result.shape.first_unsatisfied(bad) is not None


@BOTH
def test_add_of_distinct_points_binds_every_variable(curve: ecc.Curve) -> None:
    a, b = point(curve, 5), point(curve, 17)
    assert_every_gadget_variable_bound(
        curve.field, run(curve.field, lambda cs: binary(cs, ecc.add, a, b))
    )


@BOTH
def test_add_with_a_constant_point(curve: ecc.Curve) -> None:
    a, g = point(curve, 21), curve.generator
    result = run(
        curve.field,
        lambda cs: (0, ecc.add(cs, ecc.alloc_point(cs, lambda: a), ecc.Point.constant(curve, g))),
    )
    assert result.output == add(curve, a, g)


# --- doubling, negation, selection ---------------------------------------------------------------


@BOTH
@FEW
@given(k=st.integers(min_value=0, max_value=2**128))
def test_double_matches_native(curve: ecc.Curve, k: int) -> None:
    value = point(curve, k)
    result = run(curve.field, lambda cs: (5, ecc.double(cs, ecc.alloc_point(cs, lambda: value))))
    assert result.output == add(curve, value, value)
    assert result.shape.n_constraints == 5 + 4


@BOTH
@pytest.mark.parametrize("k", [0, 9])
def test_double_binds_every_variable(curve: ecc.Curve, k: int) -> None:
    value = point(curve, k)
    result = run(curve.field, lambda cs: (5, ecc.double(cs, ecc.alloc_point(cs, lambda: value))))
    assert_every_gadget_variable_bound(curve.field, result)


@BOTH
@pytest.mark.parametrize("slope", [1, 5])
def test_double_of_the_identity_cannot_be_steered(curve: ecc.Curve, slope: int) -> None:
    """2·O: the tangent constraint leaves no slope but 0, so no other consistent witness."""
    p = curve.field.modulus
    result = run(curve.field, lambda cs: (5, ecc.double(cs, ecc.alloc_point(cs, lambda: IDENTITY))))
    private = list(result.assignment.private)
    x3 = slope * slope % p
    private[5:9] = [0, slope, x3, (slope * -x3) % p]  # x², λ, x3, y3 after the input point
    bad = replace(result.assignment, private=private)
    assert result.shape.first_unsatisfied(bad) is not None


@BOTH
def test_add_of_identities_ignores_its_free_slope(curve: ecc.Curve) -> None:
    """O + O leaves the slope free (λ·0 = 0) but the result does not depend on it."""
    p = curve.field.modulus
    result = run(curve.field, lambda cs: binary(cs, ecc.add, IDENTITY, IDENTITY))
    private = list(result.assignment.private)
    lam, x3 = 7, 49
    private[17:20] = [lam, x3, (lam * -x3) % p]  # λ, x3, y3 after the inputs and the tests
    other = replace(result.assignment, private=private)
    assert result.shape.first_unsatisfied(other) is None
    x, y, flag = result.out_vars
    for index, value in ((x, x3), (y, (lam * -x3) % p), (flag, 0)):
        steered = list(private)
        steered[index] = value
        bad = replace(result.assignment, private=steered)
        assert result.shape.first_unsatisfied(bad) is not None


@BOTH
@pytest.mark.parametrize("k", [0, 4])
def test_negate(curve: ecc.Curve, k: int) -> None:
    value = point(curve, k)
    result = run(curve.field, lambda cs: (5, -ecc.alloc_point(cs, lambda: value)))
    assert result.output == neg(curve, value)
    assert result.shape.n_constraints == 5


@BOTH
@pytest.mark.parametrize("bit", [0, 1])
@pytest.mark.parametrize("pair", [(3, 8), (0, 8), (3, 0)])
def test_select(curve: ecc.Curve, bit: int, pair: tuple[int, int]) -> None:
    a, b = (point(curve, k) for k in pair)

    def circuit(cs: ConstraintSystem) -> tuple[int, ecc.Point]:
        p, q = ecc.alloc_point(cs, lambda: a), ecc.alloc_point(cs, lambda: b)
        choice = alloc_bits(cs, bit, 1)[0]
        return n_private(cs), ecc.select(cs, choice, p, q)

    result = run(curve.field, circuit)
    assert result.output == (a if bit else b)
    assert result.shape.n_constraints == 10 + 1 + 3
    assert_every_gadget_variable_bound(curve.field, result)


# --- scalar multiplication ------------------------------------------------------------------------


def scalar_mul_circuit(
    value: tuple[int, int], k: int, width: int
) -> Callable[[ConstraintSystem], tuple[int, ecc.Point]]:
    def circuit(cs: ConstraintSystem) -> tuple[int, ecc.Point]:
        p = ecc.alloc_point(cs, lambda: value)
        bits = alloc_bits(cs, k, width)
        return n_private(cs), ecc.scalar_mul(cs, p, bits)

    return circuit


@BOTH
@FEW
@given(k=st.integers(min_value=0, max_value=2**128 - 1), base=scalars)
def test_scalar_mul_by_random_128_bit_scalars(curve: ecc.Curve, k: int, base: int) -> None:
    value = point(curve, base)
    result = run(curve.field, scalar_mul_circuit(value, k, 128))
    assert result.output == mul(curve, k, value)


@BOTH
@pytest.mark.parametrize("k", [0, 1, 2, 3, 2**127, 2**128 - 1, 2**128 - 2])
@pytest.mark.parametrize("base", [0, 1, 6])
def test_scalar_mul_edge_scalars_and_identity_base(curve: ecc.Curve, k: int, base: int) -> None:
    value = point(curve, base)
    result = run(curve.field, scalar_mul_circuit(value, k, 128))
    assert result.output == mul(curve, k, value)


@BOTH
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_scalar_mul_at_the_group_order(curve: ecc.Curve, offset: int) -> None:
    """Full-width scalars (254 bits) wrap around the group order: n·P = O, (n ± 1)·P = ±P."""
    value = point(curve, 5)
    width = curve.order.bit_length()
    result = run(curve.field, scalar_mul_circuit(value, curve.order + offset, width))
    assert result.output == mul(curve, curve.order + offset, value)
    assert result.shape.n_constraints == 5 + width + 8 * width + 26


@BOTH
@pytest.mark.parametrize("width", [1, 2, 3, 5])
def test_scalar_mul_every_short_scalar(curve: ecc.Curve, width: int) -> None:
    """Exhaustive over small widths: every bit pattern, leading zeros included, is complete and
    correct, i.e. no chord addition inside the ladder ever meets equal x-coordinates."""
    value = point(curve, 13)
    for k in range(1 << width):
        result = run(curve.field, scalar_mul_circuit(value, k, width))
        assert result.output == mul(curve, k, value)


@BOTH
@pytest.mark.parametrize("k", [0, 5, 2**64 + 3])
def test_scalar_mul_with_constant_point_or_constant_bits(curve: ecc.Curve, k: int) -> None:
    value = point(curve, 9)

    def constant_point(cs: ConstraintSystem) -> tuple[int, ecc.Point]:
        bits = alloc_bits(cs, k, 72)
        return 0, ecc.scalar_mul(cs, ecc.Point.constant(curve, value), bits)

    def constant_bits(cs: ConstraintSystem) -> tuple[int, ecc.Point]:
        bits = [Boolean.of(bool(k >> i & 1)) for i in range(72)]
        return 0, ecc.scalar_mul(cs, ecc.alloc_point(cs, lambda: value), bits)

    for circuit in (constant_point, constant_bits):
        assert run(curve.field, circuit).output == mul(curve, k, value)


def test_batch_inverse() -> None:
    p = FQ.modulus
    values = [1, 2, p - 1, 12345678901234567890]
    assert batch_inverse(values, p) == [pow(v, -1, p) for v in values]


@BOTH
def test_scalar_mul_binds_every_variable(curve: ecc.Curve) -> None:
    value = point(curve, 77)
    k = 0x9F3A_5C2E_1B7D_4480_0C61_E5B9_27AF_3D0B
    result = run(curve.field, scalar_mul_circuit(value, k, 128))
    assert_every_gadget_variable_bound(curve.field, result, sample=120)


@BOTH
def test_scalar_mul_rejects_a_wrong_result(curve: ecc.Curve) -> None:
    value = point(curve, 77)
    result = run(curve.field, scalar_mul_circuit(value, 12345, 128))
    for index in result.out_vars:
        value = result.assignment.private[index] + 1
        bad = tampered(result.assignment, {index: value}, curve.field.modulus)
        assert result.shape.first_unsatisfied(bad) is not None


@BOTH
def test_scalar_mul_constraint_counts(curve: ecc.Curve) -> None:
    def count(width: int) -> int:
        recorder = ShapeRecorder(curve.field)
        p = ecc.alloc_point(recorder)
        bits = free_bits(recorder, width)
        before = len(recorder.constraints)
        ecc.scalar_mul(recorder, p, bits)
        return len(recorder.constraints) - before

    assert count(128) == 1037
    assert count(1) == 3
    assert all(count(m) == 8 * m + 13 for m in (2, 3, 64, 253))


@BOTH
@pytest.mark.parametrize("width", [0, 255])
def test_scalar_mul_refuses_unsupported_widths(curve: ecc.Curve, width: int) -> None:
    recorder = ShapeRecorder(curve.field)
    p = ecc.alloc_point(recorder)
    with pytest.raises(UnsupportedParameterError):
        ecc.scalar_mul(recorder, p, free_bits(recorder, width))


@BOTH
def test_shape_recording_never_reads_values(curve: ecc.Curve) -> None:
    def unreadable() -> tuple[int, int]:
        raise AssertionError("a value was read while recording the shape")

    recorder = ShapeRecorder(curve.field)
    p, q = ecc.alloc_point(recorder, unreadable), ecc.alloc_point(recorder, unreadable)
    bits = [Boolean.alloc(recorder, lambda: bool(1 // 0)) for _ in range(16)]
    s = ecc.add(recorder, p, q)
    d = ecc.double(recorder, s)
    ecc.select(recorder, bits[0], d, -s)
    ecc.scalar_mul(recorder, d, bits)
    assert len(recorder.constraints) == 5 + 5 + 16 + 16 + 4 + 3 + 8 * 16 + 13
