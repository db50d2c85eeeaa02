"""Arithmetic modulo the cycle's other prime in 64-bit limbs, against Python integers."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from gadget_harness import alloc_bits, free_bits, honest_value, steered
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import (
    Assignment,
    ConstraintSystem,
    R1CSShape,
    SatisfactionChecker,
    ShapeRecorder,
    WitnessGenerator,
)
from crypto.circuit.gadgets import nonnative as nn
from crypto.circuit.gadgets.boolean import Boolean
from crypto.errors import (
    LimbOverflowError,
    NonCanonicalEncodingError,
    UnsupportedParameterError,
)
from crypto.field import FQ, FR, PrimeField

FIELDS = pytest.mark.parametrize("field", [FR, FQ], ids=lambda f: f.name)
FEW = settings(max_examples=20, deadline=None)
TOP = 1 << 256
elements = st.integers(min_value=0, max_value=TOP - 1)
challenges = st.integers(min_value=0, max_value=(1 << 128) - 1)

Circuit = Callable[[ConstraintSystem], nn.NonNative | None]


def shape_of(field: PrimeField, circuit: Circuit) -> R1CSShape:
    recorder = ShapeRecorder(field)
    circuit(recorder)
    return R1CSShape.from_recorder(recorder)


def witness(field: PrimeField, circuit: Circuit) -> tuple[Assignment, int | None]:
    generator = WitnessGenerator(field)
    out = circuit(generator)
    return generator.assignment(), None if out is None else out.value(generator)


def satisfied(field: PrimeField, circuit: Circuit) -> int | None:
    """The output's value after checking the witness against the recorded shape, both ways."""
    shape = shape_of(field, circuit)
    assignment, value = witness(field, circuit)
    assert shape.first_unsatisfied(assignment) is None
    checker = SatisfactionChecker(field)
    circuit(checker)
    assert checker.n_constraints == shape.n_constraints
    return value


def product(a: int, b: int) -> Circuit:
    def circuit(cs: ConstraintSystem) -> nn.NonNative:
        x, y = nn.alloc(cs, a, "a"), nn.alloc(cs, b, "b")
        return nn.reduce(cs, nn.mul(cs, x, y))

    return circuit


def folding(a: int, b: int, r: int) -> Circuit:
    def circuit(cs: ConstraintSystem) -> nn.NonNative:
        x, y = nn.alloc(cs, a, "a"), nn.alloc(cs, b, "b")
        return nn.fold(cs, x, y, alloc_bits(cs, r, 128))

    return circuit


def equality(a: int, b: int) -> Circuit:
    def circuit(cs: ConstraintSystem) -> None:
        nn.enforce_equal(cs, nn.alloc(cs, a, "a"), nn.alloc(cs, b, "b"))

    return circuit


def canonical(a: int) -> Circuit:
    def circuit(cs: ConstraintSystem) -> None:
        nn.enforce_canonical(cs, nn.alloc(cs, a, "a"))

    return circuit


def test_other_modulus() -> None:
    assert nn.other_modulus(FR) == FQ.modulus
    assert nn.other_modulus(FQ) == FR.modulus
    with pytest.raises(UnsupportedParameterError):
        nn.other_modulus(SimpleNamespace(name="toy", modulus=101))  # type: ignore[arg-type]


# --- allocation ----------------------------------------------------------------------------------


@FIELDS
@FEW
@given(value=elements)
def test_alloc_holds_four_little_endian_limbs(field: PrimeField, value: int) -> None:
    generator = WitnessGenerator(field)
    element = nn.alloc(generator, value)
    limbs = [generator.value(limb) for limb in element.limbs]
    assert limbs == [(value >> (64 * k)) % (1 << 64) for k in range(4)] == nn.limbs_of(value)
    assert element.value(generator) == value
    assert shape_of(field, lambda cs: nn.alloc(cs, value)).n_constraints == 260


@FIELDS
@pytest.mark.parametrize("value", [-1, TOP])
def test_alloc_refuses_values_beyond_four_limbs(field: PrimeField, value: int) -> None:
    with pytest.raises(LimbOverflowError):
        nn.alloc(WitnessGenerator(field), value)
    with pytest.raises(LimbOverflowError):
        nn.NonNative.constant(value)
    with pytest.raises(LimbOverflowError):
        nn.limbs_of(value)


@FIELDS
@pytest.mark.parametrize("limb", range(4))
def test_an_out_of_range_limb_is_rejected(field: PrimeField, limb: int) -> None:
    circuit: Circuit = lambda cs: nn.alloc(cs, 12345 << 64, "a")  # noqa: E731
    shape = shape_of(field, circuit)
    # A limb of 2^64 cannot be written in its 64 bits; a bit of 2 is not a bit.
    wide = steered(field, circuit, {f"a/limb{limb}": (1 << 64) + 7})
    assert shape.first_unsatisfied(wide) is not None
    two = steered(field, circuit, {f"a/limb{limb}/bit5": 2})
    assert shape.first_unsatisfied(two) is not None


# --- products, sums, reduction -------------------------------------------------------------------


@FIELDS
@FEW
@given(a=elements, b=elements)
def test_mul_then_reduce_matches_native(field: PrimeField, a: int, b: int) -> None:
    m = nn.other_modulus(field)
    assert satisfied(field, product(a, b)) == a * b % m


@FIELDS
@pytest.mark.parametrize(
    "a, b", [(0, 0), (1, 1), (-1, -1), (TOP - 1, TOP - 1), (-1, 2), (1 << 200, 1 << 100)]
)
def test_mul_then_reduce_edges(field: PrimeField, a: int, b: int) -> None:
    m = nn.other_modulus(field)
    a, b = a % m if a < 0 else a, b % m if b < 0 else b
    assert satisfied(field, product(a, b)) == a * b % m


@FIELDS
@FEW
@given(a=elements, b=elements)
def test_add_then_reduce_matches_native(field: PrimeField, a: int, b: int) -> None:
    def circuit(cs: ConstraintSystem) -> nn.NonNative:
        return nn.reduce(cs, nn.add(nn.alloc(cs, a, "a"), nn.alloc(cs, b, "b")))

    assert satisfied(field, circuit) == (a + b) % nn.other_modulus(field)


@FIELDS
@FEW
@given(a=elements, b=elements, r=challenges)
def test_fold_matches_native(field: PrimeField, a: int, b: int, r: int) -> None:
    """Nova's u' = u1 + r·u2 (mod the other prime) for a 128-bit challenge given as bits."""
    assert satisfied(field, folding(a, b, r)) == (a + r * b) % nn.other_modulus(field)


@FIELDS
@pytest.mark.parametrize("r", [0, 1, (1 << 128) - 1])
@pytest.mark.parametrize("which", ["zero", "top", "max"])
def test_fold_edges(field: PrimeField, r: int, which: str) -> None:
    m = nn.other_modulus(field)
    a, b = {"zero": (0, 0), "top": (m - 1, m - 1), "max": (TOP - 1, TOP - 1)}[which]
    assert satisfied(field, folding(a, b, r)) == (a + r * b) % m


@FIELDS
@pytest.mark.parametrize("r", [0, 12345, (1 << 128) - 1])
def test_fold_with_constant_operand_and_short_challenge(field: PrimeField, r: int) -> None:
    m = nn.other_modulus(field)

    def circuit(cs: ConstraintSystem) -> nn.NonNative:
        b = nn.alloc(cs, m - 5, "b")
        return nn.fold(cs, nn.NonNative.constant(7), b, alloc_bits(cs, r, r.bit_length() or 1))

    assert satisfied(field, circuit) == (7 + r * (m - 5)) % m


@FIELDS
def test_chained_products_that_could_wrap_the_field_are_refused(field: PrimeField) -> None:
    recorder = ShapeRecorder(field)
    a = nn.alloc(recorder)
    square = nn.mul(recorder, a, a)
    with pytest.raises(LimbOverflowError):
        nn.mul(recorder, square, square)
    nn.mul(recorder, nn.reduce(recorder, square), a)  # reducing first is the way


# --- soundness: tampered witnesses ---------------------------------------------------------------


@FIELDS
@pytest.mark.parametrize(
    "target", ["remainder/limb0", "remainder/limb3", "quotient0", "quotient4", "carries/carry0"]
)
@pytest.mark.parametrize("delta", [1, -1])
def test_reduce_rejects_a_wrong_quotient_remainder_or_carry(
    field: PrimeField, target: str, delta: int
) -> None:
    """A prover changes one range-checked value and computes every other value honestly from
    it (bits, carries): the carry-checked equality must object."""
    circuit = product(0x1234_5678_9ABC_DEF0 << 130, (1 << 255) + 99)
    shape = shape_of(field, circuit)
    path = f"reduce/{target}"
    lie = steered(field, circuit, {path: honest_value(field, circuit, path) + delta})
    assert shape.first_unsatisfied(lie) is not None


@FIELDS
def test_reduce_rejects_a_wrong_product_coefficient(field: PrimeField) -> None:
    circuit = product(3 << 70, 5 << 190)
    shape = shape_of(field, circuit)
    for k in range(7):
        path = f"mul/c{k}"
        lie = steered(field, circuit, {path: honest_value(field, circuit, path) + 1})
        assert shape.first_unsatisfied(lie) is not None


@FIELDS
def test_reduce_rejects_carries_that_only_hold_modulo_the_field(field: PrimeField) -> None:
    """The attack the carry range checks stop: remainder + p has the same value modulo the
    circuit's prime p (but not modulo m), and carries computed by division in F_p satisfy every
    group equation; only their ranges expose them."""
    p, m = field.modulus, nn.other_modulus(field)
    a, b = (1 << 255) + 12345, (1 << 254) + 999
    circuit = product(a, b)
    rem, q = a * b % m, a * b // m
    lie_rem = rem + p
    assert lie_rem < TOP and lie_rem % m != rem
    honest, lying = _groups(a, b, q, m, rem), _groups(a, b, q, m, lie_rem)
    overrides = {f"reduce/remainder/limb{k}": limb for k, limb in enumerate(_limbs(lie_rem))}
    w_inverse = pow(1 << 128, -1, p)
    honest_carry = lying_carry = 0
    for j in range(len(honest) - 1):
        path = f"reduce/carries/carry{j}"
        honest_carry = (honest[j] + honest_carry) >> 128
        low = honest_carry - honest_value(field, circuit, path)  # the carry's allocation offset
        lying_carry = (lying[j] + lying_carry) * w_inverse % p
        overrides[path] = (lying_carry - low) % p
    assert (lying[-1] + lying_carry) % p == 0  # so every group equation holds in F_p
    lie = steered(field, circuit, overrides)
    assert shape_of(field, circuit).first_unsatisfied(lie) is not None


def _limbs(value: int, n: int = 4) -> list[int]:
    return [(value >> (64 * k)) % (1 << 64) for k in range(n)]


def _convolve(a: list[int], b: list[int]) -> list[int]:
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def _groups(a: int, b: int, q: int, m: int, rem: int) -> list[int]:
    """a·b − q·m − rem as limb polynomials, coefficients paired into 128-bit groups as the
    carry check of `reduce` pairs them (a product has 7 coefficients, q·m with q < 2^259 has 8)."""
    terms = [_convolve(_limbs(a), _limbs(b)), _convolve(_limbs(q, 5), _limbs(m)), _limbs(rem)]
    coeffs = [
        sum(sign * (t[k] if k < len(t) else 0) for sign, t in zip((1, -1, -1), terms, strict=True))
        for k in range(8)
    ]
    return [coeffs[i] + (coeffs[i + 1] << 64) for i in range(0, 8, 2)]


@FIELDS
def test_reduce_admits_only_representatives_of_the_residue(field: PrimeField) -> None:
    """remainder + m with quotient − 1 holds the same residue: `reduce` accepts it (so a
    dishonest prover can only pick another encoding), `enforce_canonical` does not."""
    m = nn.other_modulus(field)
    a, b = 5, m // 3  # a·b = q·m + rem with q = 1 and rem + m < 2^256
    rem = a * b % m
    assert a * b // m == 1 and rem + m < TOP

    other = product(a, b)

    def checked(cs: ConstraintSystem) -> nn.NonNative:
        out = product(a, b)(cs)
        nn.enforce_canonical(cs, out)
        return out

    lie = {f"reduce/remainder/limb{k}": ((rem + m) >> (64 * k)) % (1 << 64) for k in range(4)}
    lie["reduce/quotient0"] = 0
    assert shape_of(field, other).first_unsatisfied(steered(field, other, lie)) is None
    wrapped = (m - 1 - (rem + m)) % TOP
    gap = {f"canonical/gap/limb{k}": (wrapped >> (64 * k)) % (1 << 64) for k in range(4)}
    caught = steered(field, checked, lie | gap)
    assert shape_of(field, checked).first_unsatisfied(caught) is not None
    lie["reduce/remainder/limb0"] += 1
    assert shape_of(field, other).first_unsatisfied(steered(field, other, lie)) is not None


# --- equality and canonical form -----------------------------------------------------------------


@FIELDS
@FEW
@given(a=st.integers(min_value=0, max_value=(1 << 253) - 1), k=st.integers(0, 1))
def test_enforce_equal_accepts_any_representatives(field: PrimeField, a: int, k: int) -> None:
    m = nn.other_modulus(field)
    b = a % m + k * m
    satisfied(field, equality(a, b))
    satisfied(field, equality(b, a))


@FIELDS
@pytest.mark.parametrize("delta", [1, -1, 1 << 64, 1 << 200])
def test_enforce_equal_rejects_different_residues(field: PrimeField, delta: int) -> None:
    a = (1 << 250) + 12345
    circuit = equality(a, a + delta)
    shape = shape_of(field, circuit)
    assignment, _ = witness(field, circuit)
    assert shape.first_unsatisfied(assignment) is not None


@FIELDS
def test_enforce_equal_of_a_product_and_its_reduction(field: PrimeField) -> None:
    m = nn.other_modulus(field)
    a, b = m - 2, (1 << 255) + 3

    def circuit(cs: ConstraintSystem) -> None:
        x, y = nn.alloc(cs, a, "a"), nn.alloc(cs, b, "b")
        nn.enforce_equal(cs, nn.mul(cs, y, x), nn.alloc(cs, a * b % m, "c"))

    satisfied(field, circuit)


@FIELDS
@pytest.mark.parametrize("offset", [1, 2, 1 << 64])
def test_enforce_canonical_accepts_values_below_the_modulus(field: PrimeField, offset: int) -> None:
    m = nn.other_modulus(field)
    satisfied(field, canonical(m - offset))
    satisfied(field, canonical(0))


@FIELDS
@pytest.mark.parametrize("offset", [0, 1, 1 << 64])
def test_enforce_canonical_rejects_the_modulus_and_above(field: PrimeField, offset: int) -> None:
    """An honest prover is told; a dishonest one finds no gap d ≥ 0 with a + d = m − 1, and
    the 2^256-wrapped gap it might try breaks the limb equation."""
    m = nn.other_modulus(field)
    value = m + offset
    with pytest.raises(NonCanonicalEncodingError):
        witness(field, canonical(value))
    wrapped = (m - 1 - value) % TOP
    lie = {f"canonical/gap/limb{k}": (wrapped >> (64 * k)) % (1 << 64) for k in range(4)}
    circuit = canonical(value)
    assert shape_of(field, circuit).first_unsatisfied(steered(field, circuit, lie)) is not None


@FIELDS
@pytest.mark.parametrize("bit", [0, 1])
def test_select(field: PrimeField, bit: int) -> None:
    a, b = (1 << 255) + 3, 42

    def circuit(cs: ConstraintSystem) -> nn.NonNative:
        x, y = nn.alloc(cs, a, "a"), nn.alloc(cs, b, "b")
        return nn.select(cs, alloc_bits(cs, bit, 1)[0], x, y)

    assert satisfied(field, circuit) == (a if bit else b)
    other = a if not bit else b
    lie = {f"select/limb{k}": (other >> (64 * k)) % (1 << 64) for k in range(4)}
    assert shape_of(field, circuit).first_unsatisfied(steered(field, circuit, lie)) is not None


# --- counts and shape recording ------------------------------------------------------------------


@FIELDS
def test_constraint_counts(field: PrimeField) -> None:
    def count(build: Callable[[ConstraintSystem, nn.NonNative, nn.NonNative], object]) -> int:
        recorder = ShapeRecorder(field)
        a, b = nn.alloc(recorder), nn.alloc(recorder)
        before = len(recorder.constraints)
        build(recorder, a, b)
        return len(recorder.constraints) - before

    assert count(lambda cs, a, b: nn.mul(cs, a, b)) == 7
    assert count(lambda cs, a, b: nn.reduce(cs, nn.mul(cs, a, b))) == 737
    assert count(lambda cs, a, b: nn.fold(cs, a, b, free_bits(cs, 128))) == 536
    assert count(lambda cs, a, b: nn.enforce_equal(cs, a, b)) == 12
    assert count(lambda cs, a, b: nn.enforce_canonical(cs, a)) == 264
    assert count(lambda cs, a, b: nn.select(cs, free_bits(cs, 1)[0], a, b)) == 4
    assert count(lambda cs, a, b: nn.add(a, b)) == 0
    challenge = nn.from_bits(free_bits(ShapeRecorder(field), 128))
    assert count(lambda cs, a, b: nn.mul(cs, challenge, b)) == 5


@FIELDS
def test_shape_recording_never_reads_values(field: PrimeField) -> None:
    def unreadable() -> int:
        raise AssertionError("a value was read while recording the shape")

    recorder = ShapeRecorder(field)
    a, b = nn.alloc(recorder, unreadable), nn.alloc(recorder, unreadable)
    bits = [Boolean.alloc(recorder, lambda: bool(unreadable())) for _ in range(128)]
    folded = nn.fold(recorder, a, b, bits)
    nn.enforce_equal(recorder, nn.reduce(recorder, nn.mul(recorder, folded, b)), a)
    nn.enforce_canonical(recorder, folded)
    assert len(recorder.constraints) > 0
