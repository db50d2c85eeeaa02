"""Poseidon gadget: permutation, hash and sponge equal the native ones on both fields."""

from __future__ import annotations

import pytest
from circuit_harness import first_failure, synthesize, tampered
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import ConstraintSystem, LinearCombination, Var, WitnessGenerator
from crypto.circuit.gadgets import poseidon as gadget
from crypto.errors import NonCanonicalEncodingError, UnsupportedParameterError
from crypto.field import FQ, FR
from crypto.poseidon import Sponge, domain_tag, permute, poseidon_hash, poseidon_params
from crypto.poseidon_params import FieldName

FIELDS = {"Fr": FR, "Fq": FQ}
NAMES: list[FieldName] = ["Fr", "Fq"]


def elements(field: FieldName, n: int) -> st.SearchStrategy[list[int]]:
    p = FIELDS[field].modulus
    return st.lists(st.integers(0, p - 1), min_size=n, max_size=n)


def permutation_cost(field: FieldName, t: int) -> int:
    """Three constraints per S-box: R_F full rounds of t, R_P partial rounds of one."""
    params = poseidon_params(field, t)
    return 3 * (params.full_rounds * t + params.partial_rounds)


@settings(max_examples=6, deadline=None)
@given(field=st.sampled_from(NAMES), t=st.sampled_from([2, 3, 5]), data=st.data())
def test_permutation_equals_native(field: FieldName, t: int, data: st.DataObject) -> None:
    state = data.draw(elements(field, t), label="state")

    def circuit(cs: ConstraintSystem) -> list[LinearCombination]:
        return gadget.permute(cs, [cs.alloc(v) for v in state])

    result = synthesize(FIELDS[field], circuit)
    assert [result.generator.value(lc) for lc in result.output] == permute(
        poseidon_params(field, t), state
    )
    assert result.shape.n_constraints == permutation_cost(field, t)


@pytest.mark.parametrize("field", NAMES)
@pytest.mark.parametrize(("t", "cost"), [(3, 243), (5, 300)])
def test_permutation_cost(field: FieldName, t: int, cost: int) -> None:
    assert permutation_cost(field, t) == cost


@settings(max_examples=8, deadline=None)
@given(field=st.sampled_from(NAMES), n=st.sampled_from([1, 2, 4]), data=st.data())
def test_hash_equals_native(field: FieldName, n: int, data: st.DataObject) -> None:
    inputs = data.draw(elements(field, n), label="inputs")

    def circuit(cs: ConstraintSystem) -> LinearCombination:
        return gadget.poseidon_hash(cs, [cs.alloc(v) for v in inputs])

    result = synthesize(FIELDS[field], circuit)
    assert result.generator.value(result.output) == poseidon_hash(field, inputs)
    # The capacity element is the constant 0: its first S-box is computed, not constrained.
    assert result.shape.n_constraints == permutation_cost(field, n + 1) - 3


def test_hash_of_one_and_two_is_circomlibs() -> None:
    """circomlib's Poseidon([1, 2]) (its published test vector)."""
    result = synthesize(FR, lambda cs: gadget.poseidon_hash(cs, [cs.alloc(1), cs.alloc(2)]))
    assert result.generator.value(result.output) == (
        0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A
    )


@pytest.mark.parametrize("field", NAMES)
def test_constant_state_costs_nothing(field: FieldName) -> None:
    state = [3, 1, 4, 1, 5]
    result = synthesize(FIELDS[field], lambda cs: gadget.permute(cs, state))
    assert result.shape.n_constraints == 0
    assert [result.generator.value(lc) for lc in result.output] == permute(
        poseidon_params(field, 5), state
    )


@pytest.mark.parametrize("field", NAMES)
@pytest.mark.parametrize(("round_", "sbox"), [(0, 1), (4, 0), (40, 0), (64, 2)])
def test_wrong_sbox_output_is_rejected(field: FieldName, round_: int, sbox: int) -> None:
    def circuit(cs: ConstraintSystem) -> list[LinearCombination]:
        return gadget.permute(cs, [cs.alloc(v) for v in (1, 2, 3)])

    result = synthesize(FIELDS[field], circuit)
    names = list(result.shape.names)
    target = f"poseidon/round{round_}/sbox{sbox}/x5"
    # Each S-box allocates x², x⁴, x⁵ and makes its three constraints in that order, so the
    # variable x⁵ of the S-box whose last constraint is `target` is private 3 + index.
    x5 = Var(2 * (3 + names.index(target)) + 1)
    stored = result.assignment.private[x5.id >> 1]
    bad = tampered(result.assignment, x5, (stored + 1) % FIELDS[field].modulus)
    assert first_failure(result.shape, bad) == target


Operation = tuple[str, list[int] | int]


def operations(field: FieldName) -> st.SearchStrategy[list[Operation]]:
    p = FIELDS[field].modulus
    absorb = st.tuples(st.just("absorb"), st.lists(st.integers(0, p - 1), max_size=6))
    squeeze = st.tuples(st.just("squeeze"), st.integers(0, 5))
    return st.lists(st.one_of(absorb, squeeze), max_size=4)


@settings(max_examples=10, deadline=None)
@given(field=st.sampled_from(NAMES), t=st.sampled_from([3, 5]), data=st.data())
def test_sponge_equals_native(field: FieldName, t: int, data: st.DataObject) -> None:
    ops = data.draw(operations(field), label="operations")
    tag = domain_tag("novanode/test")
    native = Sponge(field, tag, t)
    expected: list[int] = []
    for kind, arg in ops:
        if kind == "absorb":
            assert isinstance(arg, list)
            native.absorb(arg)
        else:
            assert isinstance(arg, int)
            expected += native.squeeze(arg)
    expected += native.squeeze(2)

    def circuit(cs: ConstraintSystem) -> list[LinearCombination]:
        sponge = gadget.Sponge(cs, tag, t)
        out: list[LinearCombination] = []
        for kind, arg in ops:
            if kind == "absorb":
                assert isinstance(arg, list)
                sponge.absorb(cs.alloc(v) for v in arg)
            else:
                assert isinstance(arg, int)
                out += sponge.squeeze(arg)
        return out + sponge.squeeze(2)

    result = synthesize(FIELDS[field], circuit)
    assert [result.generator.value(lc) for lc in result.output] == expected


def test_sponge_transcript_cost() -> None:
    """Absorbing three variables and squeezing one challenge: one t=5 permutation, in whose
    first round two S-box inputs are constants, the tag and the padding's 1."""

    def circuit(cs: ConstraintSystem) -> list[LinearCombination]:
        sponge = gadget.Sponge(cs, domain_tag("cost"))
        sponge.absorb(cs.alloc(v) for v in range(3))
        return sponge.squeeze(1)

    assert synthesize(FR, circuit).shape.n_constraints == permutation_cost("Fr", 5) - 6


def test_bad_parameters_are_refused() -> None:
    cs = WitnessGenerator(FR)
    with pytest.raises(UnsupportedParameterError):
        gadget.permute(cs, [cs.alloc(1)] * 18)
    with pytest.raises(UnsupportedParameterError):
        gadget.poseidon_hash(cs, [])
    with pytest.raises(NonCanonicalEncodingError):
        gadget.Sponge(cs, FR.modulus)
    with pytest.raises(ValueError, match="squeeze"):
        gadget.Sponge(cs, 0).squeeze(-1)


@settings(max_examples=6, deadline=None)
@given(field=st.sampled_from(NAMES), t=st.sampled_from([3, 5]), data=st.data())
def test_constant_elements_keep_the_witness_of_the_recorded_rounds(
    field: FieldName, t: int, data: st.DataObject
) -> None:
    """Constant state elements fold away in the first rounds; the witness-only pass allocates
    exactly what the recording pass does (`synthesize` compares both assignments)."""
    state = data.draw(elements(field, t), label="state")
    constant = data.draw(st.lists(st.booleans(), min_size=t, max_size=t), label="constant")

    def circuit(cs: ConstraintSystem) -> list[LinearCombination]:
        inputs = [
            LinearCombination.constant(v) if c else cs.alloc(v).lc()
            for v, c in zip(state, constant, strict=True)
        ]
        return gadget.permute(cs, inputs)

    result = synthesize(FIELDS[field], circuit)
    assert [result.generator.value(lc) for lc in result.output] == permute(
        poseidon_params(field, t), state
    )
