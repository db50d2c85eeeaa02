"""NIFS: repeated folds of both kinds stay satisfiable; every tampering is caught; the transcript
binds to everything it absorbs and follows the documented encoding."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import (
    CommitmentMismatchError,
    FieldMismatchError,
    FoldMismatchError,
    NonCanonicalEncodingError,
    UnsatisfiedRelaxedConstraintError,
    WrongLengthError,
)
from crypto.field import FQ, FR, PrimeField, Vector
from crypto.folding.commitment import curve_for
from crypto.folding.nifs import (
    Products,
    challenge,
    cross_term,
    fold,
    fold_instances,
    prove,
    verify,
)
from crypto.folding.relaxed import (
    RelaxedInstance,
    RelaxedWitness,
    check,
    check_constraints,
    key_for,
)
from crypto.folding.transcript import (
    NIFS_LABEL,
    digest_element,
    instance_elements,
    nifs_transcript,
    point_elements,
    scalar_halves,
    transcript_field,
)
from crypto.group import G1, Grumpkin
from crypto.poseidon import Sponge, domain_tag
from crypto.reference.sparse import csr_matvec
from tests.folding_samples import Sample, builtin_sample, random_sample, recorded_sample

SAMPLES = {
    "cubic": lambda: builtin_sample("builtin:cubic?log2=4"),
    "cubic-Fq": lambda: recorded_sample("builtin:cubic?log2=4", FQ),
    "minroot": lambda: builtin_sample("builtin:minroot?iterations=3"),
    "random-Fr": lambda: random_sample(FR, 11, 3, 30),
    "random-Fq": lambda: random_sample(FQ, 12, 2, 30),
}


@pytest.fixture(params=sorted(SAMPLES), scope="module")
def sample(request: pytest.FixtureRequest) -> Sample:
    built: Sample = SAMPLES[request.param]()
    return built


def bump(field: PrimeField, vec: Vector, index: int) -> Vector:
    values = field.to_ints(vec)
    values[index] = (values[index] + 1) % field.modulus
    return field.from_ints(values)


def folded_pair(
    sample: Sample, seed: int
) -> tuple[RelaxedInstance, RelaxedWitness, RelaxedInstance, RelaxedWitness]:
    """Two running instances (each already the fold of two fresh ones), both satisfied."""
    rng = random.Random(seed)
    running = []
    for _ in range(2):
        U1, W1 = sample.fresh(rng)
        U2, W2 = sample.fresh(rng)
        U, W, _ = prove(sample.shape, U1, W1, U2, W2)
        running.append((U, W))
    (U1, W1), (U2, W2) = running
    return U1, W1, U2, W2


# Completeness


def test_repeated_folds_of_both_kinds_stay_satisfied(sample: Sample) -> None:
    shape, rng = sample.shape, random.Random(20)
    U, W = sample.fresh(rng)
    for _ in range(3):  # running + fresh, as sequential Nova
        U2, W2 = sample.fresh(rng)
        folded, witness, comm_T = prove(shape, U, W, U2, W2)
        verify(shape, U, U2, comm_T, folded)
        check(shape, folded, witness)
        U, W = folded, witness
    other, other_witness = sample.fresh(rng)
    for _ in range(2):
        other_fresh, other_fresh_witness = sample.fresh(rng)
        other, other_witness, _ = prove(
            shape, other, other_witness, other_fresh, other_fresh_witness
        )
    for _ in range(2):  # running + running, as a merge of two subtrees (and with itself)
        folded, witness, comm_T = prove(shape, U, W, other, other_witness)
        verify(shape, U, other, comm_T, folded)
        check(shape, folded, witness)
        assert folded.u != 1 and not folded.comm_E.is_identity()
        U, W, other, other_witness = folded, witness, U, W


def test_two_fresh_instances_fold(sample: Sample) -> None:
    rng = random.Random(21)
    U1, W1 = sample.fresh(rng)
    U2, W2 = sample.fresh(rng)
    folded, witness, comm_T = prove(sample.shape, U1, W1, U2, W2)
    verify(sample.shape, U1, U2, comm_T, folded)
    check(sample.shape, folded, witness)
    assert folded == fold_instances(sample.shape, U1, U2, comm_T)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), n_constraints=st.integers(1, 24), fq=st.booleans())
def test_random_shapes_fold_and_stay_satisfied(seed: int, n_constraints: int, fq: bool) -> None:
    sample = random_sample(FQ if fq else FR, seed, 1 + seed % 3, n_constraints)
    U1, W1, U2, W2 = folded_pair(sample, seed)
    folded, witness, comm_T = prove(sample.shape, U1, W1, U2, W2)
    verify(sample.shape, U1, U2, comm_T, folded)
    check(sample.shape, folded, witness)


def same_products(left: Products, right: Products) -> bool:
    return all(
        np.array_equal(getattr(left, name), getattr(right, name)) for name in ("Az", "Bz", "Cz")
    )


def products_of(sample: Sample, U: RelaxedInstance, W: RelaxedWitness) -> Products:
    return Products.of(sample.shape, U, W.dense_W())


def test_fold_carries_the_products_of_the_folded_pair(sample: Sample) -> None:
    """A·z, B·z, C·z are linear in z: the fold's P1 + r·P2 are the mat-vecs of the folded pair,
    and folds fed carried products give exactly what `prove` (which recomputes them) gives."""
    shape, rng = sample.shape, random.Random(30)
    U1, W1, U2, W2 = folded_pair(sample, 31)
    merged = fold(shape, U1, W1, products_of(sample, U1, W1), U2, W2, products_of(sample, U2, W2))
    assert (merged.instance, merged.comm_T) == prove(shape, U1, W1, U2, W2)[::2]
    assert same_products(merged.products, products_of(sample, merged.instance, merged.witness))
    U, W, carried = merged.instance, merged.witness, merged.products
    for _ in range(2):  # running + fresh, the running side's products carried
        U3, W3 = sample.fresh(rng)
        step = fold(shape, U, W, carried, U3, W3, products_of(sample, U3, W3))
        expected, witness, comm_T = prove(shape, U, W, U3, W3)
        assert (step.instance, step.comm_T) == (expected, comm_T)
        assert np.array_equal(step.witness.E, witness.E)
        check(shape, step.instance, step.witness)
        U, W, carried = step.instance, step.witness, step.products
    assert same_products(carried, products_of(sample, U, W))


def test_zero_products_and_the_checks_products(sample: Sample) -> None:
    """`Products.zeros` are the zero instance's; `check_constraints` returns the pair's."""
    shape = sample.shape
    curve = curve_for(shape.field)
    zero = RelaxedInstance(curve.identity(), curve.identity(), 0, (0,) * shape.n_public)
    zero_witness = RelaxedWitness(
        shape.field.zeros(shape.n_private), shape.field.zeros(shape.n_constraints)
    )
    assert same_products(Products.zeros(shape), products_of(sample, zero, zero_witness))
    U, W = sample.fresh(random.Random(32))
    assert same_products(check_constraints(shape, U, W), products_of(sample, U, W))


def test_wrong_products_give_an_unsatisfied_fold(sample: Sample) -> None:
    """Products are trusted like witnesses: a wrong one yields a folded pair that fails the
    check, never one that passes."""
    shape = sample.shape
    U1, W1, U2, W2 = folded_pair(sample, 33)
    P1 = products_of(sample, U1, W1)
    wrong = dataclasses.replace(P1, Cz=bump(shape.field, P1.Cz, 0))
    result = fold(shape, U1, W1, wrong, U2, W2, products_of(sample, U2, W2))
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        check(shape, result.instance, result.witness)


def test_cross_term_is_the_error_of_the_sum() -> None:
    """With r = 1 the relation gives A(z1+z2)∘B(z1+z2) − (u1+u2)C(z1+z2) = E1 + T + E2."""
    sample = random_sample(FQ, 13, 2, 20)
    shape, field = sample.shape, FQ
    U1, W1, U2, W2 = folded_pair(sample, 22)
    P1 = Products.of(shape, U1, W1.dense_W())
    P2 = Products.of(shape, U2, W2.dense_W())
    T = cross_term(shape, U1, P1, U2, P2)
    Az, Bz, Cz = (field.add(a, b) for a, b in ((P1.Az, P2.Az), (P1.Bz, P2.Bz), (P1.Cz, P2.Cz)))
    error = field.sub(field.mul(Az, Bz), field.scale(Cz, (U1.u + U2.u) % field.modulus))
    assert np.array_equal(error, field.add(field.add(W1.E, T), W2.E))


@pytest.mark.parametrize("field", [FR, FQ], ids=lambda f: f.name)
def test_cross_term_matches_a_pure_python_reference(field: PrimeField) -> None:
    sample = random_sample(field, 23, 2, 16)
    shape, p = sample.shape, field.modulus
    U1, W1, U2, W2 = folded_pair(sample, 24)

    def products(U: RelaxedInstance, W: RelaxedWitness) -> list[list[int]]:
        z = [U.u, *U.X, *field.to_ints(W.dense_W())]
        result = []
        for matrix in (shape.A, shape.B, shape.C):
            indptr, indices, data = matrix.to_csr()
            result.append(csr_matvec(p, indptr.tolist(), indices.tolist(), field.to_ints(data), z))
        return result

    (a1, b1, c1), (a2, b2, c2) = products(U1, W1), products(U2, W2)
    expected = [
        (a1[i] * b2[i] + a2[i] * b1[i] - U1.u * c2[i] - U2.u * c1[i]) % p
        for i in range(shape.n_constraints)
    ]
    T = honest_cross_term(sample, U1, W1, U2, W2)
    assert field.to_ints(T) == expected


# Soundness: each tampering, separately


def fold_with_cross_term(
    sample: Sample,
    U1: RelaxedInstance,
    W1: RelaxedWitness,
    U2: RelaxedInstance,
    W2: RelaxedWitness,
    T: Vector,
) -> tuple[RelaxedInstance, RelaxedWitness]:
    """A prover's fold that commits to and uses the given cross term."""
    shape, field = sample.shape, sample.shape.field
    comm_T = key_for(shape).commit(T)
    r = challenge(shape, U1, U2, comm_T)
    folded = fold_instances(shape, U1, U2, comm_T)
    E = field.axpy(field.axpy(W1.E, r, T), r * r % field.modulus, W2.E)
    return folded, RelaxedWitness(field.axpy(W1.dense_W(), r, W2.dense_W()), E)


def honest_cross_term(
    sample: Sample,
    U1: RelaxedInstance,
    W1: RelaxedWitness,
    U2: RelaxedInstance,
    W2: RelaxedWitness,
) -> Vector:
    shape = sample.shape
    return cross_term(
        shape,
        U1,
        Products.of(shape, U1, W1.dense_W()),
        U2,
        Products.of(shape, U2, W2.dense_W()),
    )


def test_the_helper_fold_matches_prove(sample: Sample) -> None:
    U1, W1, U2, W2 = folded_pair(sample, 30)
    T = honest_cross_term(sample, U1, W1, U2, W2)
    folded, witness = fold_with_cross_term(sample, U1, W1, U2, W2, T)
    expected, expected_witness, _ = prove(sample.shape, U1, W1, U2, W2)
    assert folded == expected
    assert np.array_equal(witness.E, expected_witness.E)
    check(sample.shape, folded, witness)


def test_a_wrong_cross_term_breaks_satisfiability(sample: Sample) -> None:
    U1, W1, U2, W2 = folded_pair(sample, 31)
    T = honest_cross_term(sample, U1, W1, U2, W2)
    k = sample.shape.n_constraints // 2
    folded, witness = fold_with_cross_term(sample, U1, W1, U2, W2, bump(sample.shape.field, T, k))
    with pytest.raises(UnsatisfiedRelaxedConstraintError) as raised:
        check(sample.shape, folded, witness)
    assert raised.value.index == k and raised.value.name == sample.shape.name_of(k)


def test_a_cross_term_other_than_the_committed_one_is_caught(sample: Sample) -> None:
    U1, W1, U2, W2 = folded_pair(sample, 32)
    shape, field = sample.shape, sample.shape.field
    T = honest_cross_term(sample, U1, W1, U2, W2)
    k = shape.n_constraints - 1
    comm_T = key_for(shape).commit(T)
    r = challenge(shape, U1, U2, comm_T)
    folded = fold_instances(shape, U1, U2, comm_T)
    # E built from T' while comm_E follows comm_T: constraint k fails; were E re-balanced so
    # every constraint held, comm_E would not match it.
    T_wrong = bump(field, T, k)
    E = field.axpy(field.axpy(W1.E, r, T_wrong), r * r % field.modulus, W2.E)
    W = field.axpy(W1.dense_W(), r, W2.dense_W())
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        check(shape, folded, RelaxedWitness(W, E))


def test_tampered_folded_witness_is_unsatisfied(sample: Sample) -> None:
    U1, W1, U2, W2 = folded_pair(sample, 33)
    folded, witness, _ = prove(sample.shape, U1, W1, U2, W2)
    field = sample.shape.field
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        check(sample.shape, folded, RelaxedWitness(bump(field, witness.dense_W(), 0), witness.E))
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        check(sample.shape, folded, RelaxedWitness(witness.W, bump(field, witness.E, 0)))


def test_folding_an_unsatisfied_input_is_unsatisfied(sample: Sample) -> None:
    rng = random.Random(34)
    U1, W1 = sample.fresh(rng)
    U2, W2 = sample.fresh(rng)
    p = sample.shape.field.modulus
    bad_X = dataclasses.replace(U2, X=((U2.X[0] + 1) % p, *U2.X[1:]))
    folded, witness, _ = prove(sample.shape, U1, W1, bad_X, W2)
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        check(sample.shape, folded, witness)
    bad_u = dataclasses.replace(U2, u=2)
    folded, witness, _ = prove(sample.shape, U1, W1, bad_u, W2)
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        check(sample.shape, folded, witness)


def test_folded_commitment_to_the_wrong_witness_is_caught() -> None:
    sample = random_sample(FR, 14, 2, 20)
    rng = random.Random(35)
    U1, W1 = sample.fresh(rng)
    U2, W2 = sample.fresh(rng)
    # A fresh instance whose comm_W belongs to another witness: the fold inherits the mismatch.
    U3, _ = sample.fresh(rng)
    lying = dataclasses.replace(U2, comm_W=U3.comm_W)
    folded, witness, _ = prove(sample.shape, U1, W1, lying, W2)
    with pytest.raises(CommitmentMismatchError, match="comm_W"):
        check(sample.shape, folded, witness)


@pytest.mark.parametrize("component", ["comm_W", "comm_E", "u", "X"])
def test_verify_rejects_a_claimed_instance_that_differs(sample: Sample, component: str) -> None:
    U1, W1, U2, W2 = folded_pair(sample, 36)
    folded, witness, comm_T = prove(sample.shape, U1, W1, U2, W2)
    p = sample.shape.field.modulus
    g = curve_for(sample.shape.field).generator()
    changed: dict[str, Any] = {
        "comm_W": folded.comm_W + g,
        "comm_E": folded.comm_E + g,
        "u": (folded.u + 1) % p,
        "X": (*folded.X[:-1], (folded.X[-1] + 1) % p),
    }
    claimed = dataclasses.replace(folded, **{component: changed[component]})
    with pytest.raises(FoldMismatchError, match=component):
        verify(sample.shape, U1, U2, comm_T, claimed)
    # The witness does not satisfy the tampered instance either.
    with pytest.raises((UnsatisfiedRelaxedConstraintError, CommitmentMismatchError)):
        check(sample.shape, claimed, witness)


def test_verify_rejects_a_different_comm_T_or_input(sample: Sample) -> None:
    U1, W1, U2, W2 = folded_pair(sample, 37)
    folded, _, comm_T = prove(sample.shape, U1, W1, U2, W2)
    g = curve_for(sample.shape.field).generator()
    p = sample.shape.field.modulus
    with pytest.raises(FoldMismatchError):
        verify(sample.shape, U1, U2, comm_T + g, folded)
    with pytest.raises(FoldMismatchError):
        verify(sample.shape, dataclasses.replace(U1, u=(U1.u + 1) % p), U2, comm_T, folded)
    with pytest.raises(FoldMismatchError):
        verify(sample.shape, U2, U1, comm_T, folded)


def test_verify_rejects_malformed_input() -> None:
    sample = random_sample(FR, 15, 2, 10)
    U1, W1, U2, W2 = folded_pair(sample, 38)
    folded, _, comm_T = prove(sample.shape, U1, W1, U2, W2)
    with pytest.raises(FieldMismatchError, match="comm_T"):
        verify(sample.shape, U1, U2, Grumpkin.generator(), folded)
    with pytest.raises(NonCanonicalEncodingError):
        verify(sample.shape, dataclasses.replace(U1, u=FR.modulus), U2, comm_T, folded)


# Transcript


def test_transcript_runs_over_the_commitment_base_field() -> None:
    assert transcript_field(FR) is FQ and transcript_field(FQ) is FR
    assert curve_for(FR).base_modulus == FQ.modulus
    assert curve_for(FQ).base_modulus == FR.modulus


def test_challenge_follows_the_documented_encoding(sample: Sample) -> None:
    U1, _, _, _ = folded_pair(sample, 40)
    U2, _ = sample.fresh(random.Random(40))  # comm_E = identity: absorbed as (0, 0)
    comm_T = curve_for(sample.shape.field).generator() * 7
    elements = [int.from_bytes(sample.shape.digest[:31], "little")]
    for U in (U1, U2):
        for point in (U.comm_W, U.comm_E):
            elements += [point.x or 0, point.y or 0]  # None for the identity
        for scalar in (U.u, *U.X):  # bytes 0..15 and 16..31 of the 32-byte encoding
            encoding = scalar.to_bytes(32, "little")
            elements += [
                int.from_bytes(encoding[:16], "little"),
                int.from_bytes(encoding[16:], "little"),
            ]
    elements += [comm_T.x or 0, comm_T.y or 0]
    sponge = Sponge("Fq" if sample.shape.field is FR else "Fr", domain_tag(NIFS_LABEL))
    sponge.absorb(elements)
    (element,) = sponge.squeeze(1)
    assert challenge(sample.shape, U1, U2, comm_T) == element % 2**128


def test_challenge_is_deterministic_and_128_bits() -> None:
    sample = random_sample(FQ, 16, 2, 10)
    U1, _, U2, _ = folded_pair(sample, 41)
    comm_T = Grumpkin.generator()
    r = challenge(sample.shape, U1, U2, comm_T)
    assert r == challenge(sample.shape, U1, U2, comm_T)
    assert 0 <= r < 2**128


def test_challenge_binds_digest_instances_and_comm_T() -> None:
    sample = random_sample(FR, 17, 2, 12)
    other_shape = random_sample(FR, 18, 2, 12).shape
    assert other_shape.digest != sample.shape.digest
    assert (other_shape.n_public, other_shape.n_private) == (
        sample.shape.n_public,
        sample.shape.n_private,
    )
    U1, _, U2, _ = folded_pair(sample, 42)
    comm_T = G1.generator()
    g, p = G1.generator(), FR.modulus
    r = challenge(sample.shape, U1, U2, comm_T)
    variants = [
        challenge(other_shape, U1, U2, comm_T),
        challenge(sample.shape, U2, U1, comm_T),
        challenge(sample.shape, dataclasses.replace(U1, u=(U1.u + 1) % p), U2, comm_T),
        challenge(sample.shape, U1, dataclasses.replace(U2, X=(U2.X[0], 5)), comm_T),
        challenge(sample.shape, dataclasses.replace(U1, comm_W=U1.comm_W + g), U2, comm_T),
        challenge(sample.shape, U1, dataclasses.replace(U2, comm_E=U2.comm_E + g), comm_T),
        challenge(sample.shape, U1, U2, comm_T + g),
    ]
    assert len({r, *variants}) == len(variants) + 1


@pytest.mark.parametrize(
    ("value", "halves"),
    [
        (0, [0, 0]),
        (1, [1, 0]),
        (2**128 - 1, [2**128 - 1, 0]),
        (2**128, [0, 1]),
        (2**128 + 1, [1, 1]),
        (
            FR.modulus - 1,
            [0x2833E84879B9709143E1F593F0000000, 0x30644E72E131A029B85045B68181585D],
        ),
        (
            FQ.modulus - 1,
            [0x97816A916871CA8D3C208C16D87CFD46, 0x30644E72E131A029B85045B68181585D],
        ),
    ],
)
def test_scalar_halves(value: int, halves: list[int]) -> None:
    assert scalar_halves(value) == halves
    assert halves[0] + 2**128 * halves[1] == value


def test_encoding_helpers() -> None:
    assert point_elements(G1.identity()) == [0, 0]
    assert point_elements(G1.generator()) == [1, 2]
    assert digest_element(bytes(range(32))) == int.from_bytes(bytes(range(31)), "little")
    with pytest.raises(WrongLengthError):
        digest_element(b"\x00" * 31)
    with pytest.raises(NonCanonicalEncodingError):
        scalar_halves(2**254)
    with pytest.raises(NonCanonicalEncodingError):
        scalar_halves(-1)
    sample = random_sample(FQ, 19, 1, 3)
    transcript = nifs_transcript(sample.shape)
    with pytest.raises(NonCanonicalEncodingError):
        transcript.absorb_scalar(FQ.modulus)
    U, _ = sample.fresh(random.Random(43))
    elements = instance_elements(FQ, U)
    assert len(elements) == 4 + 2 * (1 + len(U.X))
    assert elements[2:6] == [0, 0, 1, 0]  # comm_E = identity, u = 1
    assert elements[6:8] == scalar_halves(U.X[0])
    with pytest.raises(NonCanonicalEncodingError, match="X"):
        instance_elements(FQ, dataclasses.replace(U, X=(FQ.modulus,)))
