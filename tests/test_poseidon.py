"""Poseidon: circomlib outputs, kernel against the pure-Python reference, batch, errors, sponge."""

from __future__ import annotations

import json
from pathlib import Path

import crypto._kernel as kernel
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import (
    NonCanonicalEncodingError,
    ShapeMismatchError,
    UnsupportedParameterError,
)
from crypto.poseidon import (
    Sponge,
    domain_tag,
    permute,
    permute_many,
    poseidon_hash,
    poseidon_params,
    sbox_powers,
)
from crypto.poseidon_params import FIELD_MODULI, FieldName, PoseidonParams
from crypto.reference.poseidon import permute as reference_permute

TRACE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain" / "trace.json"
FIELDS: tuple[FieldName, FieldName] = ("Fr", "Fq")


def chain_steps() -> list[tuple[int, int, int]]:
    """(step_in[0], advice, step_out[0]) of every step of the circom Poseidon(2) chain."""
    steps = json.loads(TRACE.read_text())["steps"]
    return [(int(s["step_in"][0]), int(s["advice"][0]), int(s["step_out"][0])) for s in steps]


def to_states(states: list[list[int]]) -> np.ndarray:
    raw = b"".join(x.to_bytes(32, "little") for state in states for x in state)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(len(states), -1, 4)


def from_states(array: np.ndarray) -> list[list[int]]:
    raw = array.astype("<u8").tobytes()
    flat = [int.from_bytes(raw[k : k + 32], "little") for k in range(0, len(raw), 32)]
    t = array.shape[1]
    return [flat[i : i + t] for i in range(0, len(flat), t)]


# --- circomlib ---------------------------------------------------------------------------------


def test_the_trace_has_all_sixteen_steps() -> None:
    assert len(chain_steps()) == 16


@pytest.mark.parametrize(("previous", "advice", "expected"), chain_steps())
def test_kernel_reproduces_circomlib_poseidon2(previous: int, advice: int, expected: int) -> None:
    assert poseidon_hash("Fr", [previous, advice]) == expected


@pytest.mark.parametrize(("previous", "advice", "expected"), chain_steps())
def test_reference_reproduces_circomlib_poseidon2(
    previous: int, advice: int, expected: int
) -> None:
    assert reference_permute(poseidon_params("Fr", 3), [0, previous, advice])[0] == expected


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # circomlibjs's own test vectors for poseidon([1, 2]) and poseidon([1, 2, 3, 4]).
        ([1, 2], 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A),
        ([1, 2, 3, 4], 0x299C867DB6C1FDD79DCEFA40E4510B9837E60EBB1CE0663DBAA525DF65250465),
    ],
)
def test_circomlib_published_vectors(inputs: list[int], expected: int) -> None:
    assert poseidon_hash("Fr", inputs) == expected


# --- kernel against reference ------------------------------------------------------------------


def states_of(field: FieldName, t: int) -> st.SearchStrategy[list[int]]:
    p = FIELD_MODULI[field]
    element = st.one_of(st.integers(0, p - 1), st.sampled_from([0, 1, 2, p - 1, p - 2]))
    return st.lists(element, min_size=t, max_size=t)


cases = st.sampled_from([(f, t) for f in FIELDS for t in (3, 5)]).flatmap(
    lambda ft: st.tuples(st.just(ft), states_of(*ft))
)


@settings(max_examples=60, deadline=None)
@given(cases)
def test_kernel_equals_reference(case: tuple[tuple[FieldName, int], list[int]]) -> None:
    (field, t), state = case
    params = poseidon_params(field, t)
    assert permute(params, state) == reference_permute(params, state)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("t", [2, 4, 9, 17])
def test_kernel_equals_reference_at_other_widths(field: FieldName, t: int) -> None:
    params = poseidon_params(field, t)
    state = [(7**k + 3) % params.modulus for k in range(t)]
    assert permute(params, state) == reference_permute(params, state)


def reference_sbox_powers(params: PoseidonParams, state: list[int]) -> list[int]:
    """x², x⁴, x⁵ of each S-box input, the rounds written out as `crypto.reference.poseidon`
    does (whose output the final state is checked against)."""
    p, t = params.modulus, params.t
    half = params.full_rounds // 2
    powers: list[int] = []
    s = list(state)
    for r, constants in enumerate(params.round_constants):
        s = [(x + c) % p for x, c in zip(s, constants, strict=True)]
        full = r < half or r >= half + params.partial_rounds
        for i in range(t if full else 1):
            x2 = s[i] * s[i] % p
            x4 = x2 * x2 % p
            powers += [x2, x4, x4 * s[i] % p]
            s[i] = x4 * s[i] % p
        s = [sum(m * x for m, x in zip(row, s, strict=True)) % p for row in params.mds]
    assert s == reference_permute(params, state)
    return powers


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("t", [2, 3, 5])
def test_sbox_powers_are_the_plain_rounds(field: FieldName, t: int) -> None:
    """The kernel's fast form feeds every S-box the plain definition's input."""
    params = poseidon_params(field, t)
    state = [(11**k + 5) % params.modulus for k in range(t)]
    powers = sbox_powers(params, state)
    assert len(powers) == 3 * (params.full_rounds * t + params.partial_rounds)
    assert powers == reference_sbox_powers(params, state)
    with pytest.raises(ShapeMismatchError, match=f"expected t={t}"):
        sbox_powers(params, [1] * (t + 1))


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("t", [3, 5])
def test_batch_equals_one_by_one(field: FieldName, t: int) -> None:
    params = poseidon_params(field, t)
    p = params.modulus
    states = [[(31337 * (i + 1) ** (k + 2) + k) % p for k in range(t)] for i in range(33)]
    states[0] = [p - 1] * t
    batched = from_states(permute_many(params, to_states(states)))
    assert batched == [permute(params, state) for state in states]


def test_batch_of_another_dtype_is_refused() -> None:
    states = np.zeros((2, 3, 4), dtype=np.int64)
    with pytest.raises(TypeError, match="uint64"):
        permute_many(poseidon_params("Fr", 3), states)


def test_batch_of_no_states() -> None:
    params = poseidon_params("Fr", 3)
    out = permute_many(params, np.zeros((0, 3, 4), dtype=np.uint64))
    assert out.shape == (0, 3, 4)


# --- malformed input -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 4, 0])
def test_state_of_the_wrong_width_is_refused(size: int) -> None:
    with pytest.raises(ShapeMismatchError, match="expected t=3"):
        permute(poseidon_params("Fr", 3), [1] * size)


@pytest.mark.parametrize("shape", [(2, 4, 4), (2, 3, 3), (3, 4), (2, 3, 4, 1)])
def test_batch_of_the_wrong_shape_is_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ShapeMismatchError, match=r"\(m, 3, 4\)"):
        permute_many(poseidon_params("Fr", 3), np.zeros(shape, dtype=np.uint64))


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", ["p", "p+1", "-1"])
def test_non_canonical_state_is_refused(field: FieldName, bad: str) -> None:
    p = FIELD_MODULI[field]
    value = {"p": p, "p+1": p + 1, "-1": -1}[bad]
    with pytest.raises(NonCanonicalEncodingError, match="value 1"):
        permute(poseidon_params(field, 3), [0, value, 0])


@pytest.mark.parametrize("field", FIELDS)
def test_non_canonical_batch_is_refused_by_the_kernel(field: FieldName) -> None:
    params = poseidon_params(field, 3)
    states = np.zeros((4, 3, 4), dtype=np.uint64)
    limbs = np.frombuffer(params.modulus.to_bytes(32, "little"), dtype="<u8")
    states[2, 1] = limbs  # exactly p: the smallest non-canonical value
    with pytest.raises(NonCanonicalEncodingError, match="element 7"):
        permute_many(params, states)


def test_kernel_class_checks_its_parameters() -> None:
    params = poseidon_params("Fr", 3)
    raw = to_states([[c for row in params.round_constants for c in row]])[0]
    mds = to_states([[m for row in params.mds for m in row]])[0]
    kernel.FrPoseidon(3, 8, 57, 5, raw, mds)  # the valid set builds
    with pytest.raises(ShapeMismatchError, match="round constants"):
        kernel.FrPoseidon(3, 8, 56, 5, raw, mds)
    with pytest.raises(ShapeMismatchError, match="MDS matrix"):
        kernel.FrPoseidon(3, 8, 57, 5, raw, mds[:8])
    with pytest.raises(UnsupportedParameterError, match="x\\^5 only"):
        kernel.FrPoseidon(3, 8, 57, 3, raw, mds)
    bad = raw.copy()
    bad[5] = np.frombuffer(params.modulus.to_bytes(32, "little"), dtype="<u8")
    with pytest.raises(NonCanonicalEncodingError, match="round constants: element 5"):
        kernel.FrPoseidon(3, 8, 57, 5, bad, mds)
    with pytest.raises(ShapeMismatchError, match=r"shape \(3, 4\)"):
        kernel.FrPoseidon(3, 8, 57, 5, raw, mds).permute(np.zeros((2, 4), dtype=np.uint64))


@pytest.mark.parametrize("count", [0, 17])
def test_hash_of_an_unsupported_number_of_inputs_is_refused(count: int) -> None:
    with pytest.raises(UnsupportedParameterError, match="1 to 16 inputs"):
        poseidon_hash("Fr", [1] * count)


def test_reference_refuses_bad_states() -> None:
    params = poseidon_params("Fq", 3)
    with pytest.raises(ShapeMismatchError, match="expected t=3"):
        reference_permute(params, [1, 2])
    with pytest.raises(NonCanonicalEncodingError, match="canonical"):
        reference_permute(params, [1, 2, params.modulus])


# --- sponge --------------------------------------------------------------------------------------


def sponge_by_the_rule(
    field: FieldName, tag: int, t: int, absorbed: list[int], count: int
) -> list[int]:
    """One absorb phase then `count` outputs, following the documented rule with the reference."""
    params = poseidon_params(field, t)
    p, rate = params.modulus, t - 1
    state = [tag] + [0] * rate
    padded = [*absorbed, 1] + [0] * (-(len(absorbed) + 1) % rate)
    for start in range(0, len(padded), rate):
        block = padded[start : start + rate]
        state = [state[0]] + [(s + x) % p for s, x in zip(state[1:], block, strict=True)]
        state = reference_permute(params, state)
    out = state[1:]
    while len(out) < count:
        state = reference_permute(params, state)
        out += state[1:]
    return out[:count]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(
    ("t", "absorbed", "count"), [(5, [], 1), (5, [1, 2, 3], 6), (3, [9] * 4, 3)]
)
def test_sponge_follows_its_documented_rule(
    field: FieldName, t: int, absorbed: list[int], count: int
) -> None:
    tag = domain_tag("novanode/test")
    sponge = Sponge(field, tag, t=t)
    sponge.absorb(absorbed)
    assert sponge.squeeze(count) == sponge_by_the_rule(field, tag, t, absorbed, count)


def test_sponge_is_deterministic_and_squeezes_a_stream() -> None:
    a, b = Sponge("Fr", 7), Sponge("Fr", 7)
    a.absorb([1, 2, 3])
    b.absorb([1, 2])
    b.absorb([3])
    assert a.squeeze(5) == b.squeeze(2) + b.squeeze(3)


def test_different_tags_give_different_outputs() -> None:
    outputs = set()
    for label in ("novanode/fold", "novanode/commit", "novanode/fold "):
        sponge = Sponge("Fr", domain_tag(label))
        sponge.absorb([42])
        outputs.add(sponge.squeeze()[0])
    assert len(outputs) == 3


def test_padding_separates_trailing_zeros() -> None:
    outputs = set()
    for absorbed in ([5], [5, 0], [5, 0, 0, 0], [5, 0, 0, 0, 0], []):
        sponge = Sponge("Fq", 1)
        sponge.absorb(absorbed)
        outputs.add(sponge.squeeze()[0])
    assert len(outputs) == 5


def test_absorbing_after_a_squeeze_changes_later_challenges() -> None:
    a, b = Sponge("Fr", 3), Sponge("Fr", 3)
    a.absorb([1])
    b.absorb([1])
    assert a.squeeze() == b.squeeze()
    a.absorb([2])
    b.absorb([3])
    assert a.squeeze() != b.squeeze()


def test_sponge_refuses_non_canonical_input() -> None:
    p = FIELD_MODULI["Fr"]
    with pytest.raises(NonCanonicalEncodingError):
        Sponge("Fr", p)
    sponge = Sponge("Fr", 0)
    with pytest.raises(NonCanonicalEncodingError, match="element 1"):
        sponge.absorb([1, p])
    with pytest.raises(ValueError, match="cannot squeeze -1"):
        sponge.squeeze(-1)


def test_domain_tag_is_canonical_in_both_fields() -> None:
    tag = domain_tag("novanode/transcript")
    assert 0 <= tag < 2**248 < min(FIELD_MODULI.values())
    assert tag != domain_tag("novanode/transcript2")


def test_an_empty_absorb_still_opens_a_phase() -> None:
    a, b = Sponge("Fr", 3), Sponge("Fr", 3)
    a.absorb([4])
    b.absorb([4])
    a.squeeze()
    b.squeeze()
    b.absorb([])
    assert a.squeeze() != b.squeeze()
