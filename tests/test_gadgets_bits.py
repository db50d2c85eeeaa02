"""Bit decomposition, packing, comparison with a constant and range checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from circuit_harness import first_failure, synthesize, tampered
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import ConstraintSystem, Var, WitnessGenerator
from crypto.circuit.gadgets.bits import enforce_at_most, enforce_range, pack, to_bits
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.lc import LCLike
from crypto.errors import UnsatisfiedConstraintError, UnsupportedParameterError
from crypto.field import FQ, FR, PrimeField

FIELDS = {"Fr": FR, "Fq": FQ}
FIELD_BITS = 254


def bits_circuit(x: int, n_bits: int) -> Callable[[ConstraintSystem], tuple[Var, list[Boolean]]]:
    def circuit(cs: ConstraintSystem) -> tuple[Var, list[Boolean]]:
        var = cs.alloc(x, "x")
        return var, to_bits(cs, var, n_bits)

    return circuit


def bit_var(bit: Boolean) -> Var:
    (var_id,) = bit.lc.terms
    return Var(var_id)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_bits_match_native_and_pack_back(field: str, data: st.DataObject) -> None:
    n_bits = data.draw(st.integers(0, FIELD_BITS - 1), label="n_bits")
    x = data.draw(st.integers(0, (1 << n_bits) - 1), label="x")

    def circuit(cs: ConstraintSystem) -> list[Boolean]:
        return to_bits(cs, cs.alloc(x, "x"), n_bits)

    result = synthesize(FIELDS[field], circuit)
    assert result.shape.n_constraints == n_bits + 1
    assert [b.value(result.generator) for b in result.output] == [
        bool(x >> i & 1) for i in range(n_bits)
    ]
    assert result.generator.value(pack(result.output)) == x


@settings(max_examples=30, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_strict_decomposition_of_any_element(field: str, data: st.DataObject) -> None:
    p = FIELDS[field].modulus
    x = data.draw(st.one_of(st.integers(0, p - 1), st.sampled_from([0, 1, p - 1, p - 2, 1 << 253])))

    def circuit(cs: ConstraintSystem) -> list[Boolean]:
        return to_bits(cs, cs.alloc(x, "x"), FIELD_BITS)

    result = synthesize(FIELDS[field], circuit)
    assert [b.value(result.generator) for b in result.output] == [
        bool(x >> i & 1) for i in range(FIELD_BITS)
    ]


def strict_constraint_count(p: int) -> int:
    """Booleanity and packing, then one AND per set bit of p − 1 below the top one and one
    constraint per run of zero bits."""
    bound = format(p - 1, "b")
    zero_runs = len([run for run in bound.split("1") if run])
    return FIELD_BITS + 1 + bound.count("1") - 1 + zero_runs


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_strict_decomposition_cost(field: str) -> None:
    result = synthesize(FIELDS[field], bits_circuit(5, FIELD_BITS))
    assert result.shape.n_constraints == strict_constraint_count(FIELDS[field].modulus)


class ValueOffset(WitnessGenerator):
    """A witness generator that reads `target` as its value plus `offset` (not reduced), so
    gadgets build the witness of a non-canonical value as an honest prover would."""

    def __init__(self, field: PrimeField, target: Var, offset: int) -> None:
        super().__init__(field)
        self.target, self.offset = target, offset

    def value(self, x: LCLike) -> int:
        if isinstance(x, Var) and x.id == self.target.id:
            return super().value(x) + self.offset
        return super().value(x)


@settings(max_examples=20, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_non_canonical_decomposition_is_rejected(field: str, data: st.DataObject) -> None:
    f = FIELDS[field]
    p = f.modulus
    # x + p still has 254 bits: the packing constraint alone would accept its bits.
    x = data.draw(st.one_of(st.integers(0, (1 << FIELD_BITS) - p - 1), st.just(0)))
    honest = synthesize(f, bits_circuit(x, FIELD_BITS))
    cheat = ValueOffset(f, Var(1), p)
    bits_circuit(x, FIELD_BITS)(cheat)
    assignment = cheat.assignment()
    cheat_bits = assignment.private[1 : 1 + FIELD_BITS]
    assert sum(b << i for i, b in enumerate(cheat_bits)) == x + p
    assert first_failure(honest.shape, assignment).startswith("bits/canonical/zeros")


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_non_boolean_bit_is_rejected(field: str) -> None:
    result = synthesize(FIELDS[field], bits_circuit(0b1011, 8))
    _, bits = result.output
    assert first_failure(result.shape, tampered(result.assignment, bit_var(bits[2]), 2)) == (
        "bits/bit2"
    )


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_wrong_decomposition_is_rejected(field: str) -> None:
    result = synthesize(FIELDS[field], bits_circuit(0b1011, 8))
    _, bits = result.output
    flipped = tampered(result.assignment, bit_var(bits[0]), 0)
    assert first_failure(result.shape, flipped) == "bits/pack"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_at_most_accepts_exactly_the_values_up_to_the_bound(data: st.DataObject) -> None:
    n_bits = data.draw(st.integers(1, 24), label="n_bits")
    bound = data.draw(st.integers(0, (1 << n_bits) - 1), label="bound")
    value = data.draw(st.integers(0, (1 << n_bits) - 1), label="value")

    def circuit(cs: ConstraintSystem) -> None:
        bits = [Boolean.alloc(cs, bool(value >> i & 1)) for i in range(n_bits)]
        enforce_at_most(cs, bits, bound)

    if value <= bound:
        synthesize(FR, circuit)
    else:
        with pytest.raises(UnsatisfiedConstraintError) as caught:
            synthesize(FR, circuit)
        assert caught.value.name.startswith("at_most/zeros")


@pytest.mark.parametrize("n_bits", [0, 1, 64, 253])
def test_range_check(n_bits: int) -> None:
    def circuit(x: int) -> Callable[[ConstraintSystem], None]:
        return lambda cs: enforce_range(cs, cs.alloc(x, "x"), n_bits)

    inside = synthesize(FR, circuit((1 << n_bits) - 1))
    assert inside.shape.n_constraints == n_bits + 1
    # 2^n has no n-bit decomposition: the honest prover's bits pack to 0.
    outside = WitnessGenerator(FR)
    circuit(1 << n_bits)(outside)
    assert first_failure(inside.shape, outside.assignment()) == "range/pack"


def test_bit_counts_outside_the_field_are_refused() -> None:
    cs = WitnessGenerator(FR)
    x = cs.alloc(1)
    with pytest.raises(UnsupportedParameterError):
        to_bits(cs, x, FIELD_BITS + 1)
    with pytest.raises(UnsupportedParameterError):
        enforce_range(cs, x, FIELD_BITS)
    with pytest.raises(UnsupportedParameterError):
        enforce_range(cs, x, -1)
