"""The in-circuit NIFS verifier against the native one, on both sides of the cycle.

An Fr circuit verifies folds of an Fq shape's instances (Grumpkin commitments, Fq scalars in
limbs) and an Fq circuit folds of an Fr shape's (G1 commitments, Fr scalars). Instances are real:
fresh ones from a random shape's assignments and running ones from native `nifs.prove`.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from circuit_harness import first_failure, synthesize
from folding_samples import Sample, random_sample
from gadget_harness import steered

from crypto.circuit import ConstraintSystem, R1CSShape, ShapeRecorder, Var, WitnessGenerator
from crypto.circuit.gadgets import ecc
from crypto.circuit.gadgets import nonnative as nn
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.gadgets.eq import enforce_equal
from crypto.circuit.gadgets.nifs_verifier import (
    AllocatedRelaxedInstance,
    challenge,
    fold,
    low_bits,
    scalar_halves,
    select,
)
from crypto.circuit.lc import LinearCombination
from crypto.errors import NotFreshInstanceError, ShapeMismatchError
from crypto.field import FQ, FR, PrimeField
from crypto.folding import RelaxedInstance, RelaxedWitness, fold_instances, nifs, prove, transcript
from crypto.folding.transcript import digest_element, instance_elements, point_elements
from crypto.group import CurvePoint

N_PUBLIC = 2


@dataclass(frozen=True)
class Fold:
    """One native fold: its inputs, its proof comm_T, challenge and result."""

    sample: Sample
    U1: RelaxedInstance
    U2: RelaxedInstance
    comm_T: CurvePoint  # noqa: N815
    r: int
    folded: RelaxedInstance

    @property
    def shape(self) -> R1CSShape:
        return self.sample.shape

    @property
    def circuit_field(self) -> PrimeField:
        """The field of the circuit verifying this fold: the commitments' base field."""
        return FQ if self.shape.field is FR else FR


@functools.cache
def native_folds(shape_field: PrimeField) -> dict[str, Fold]:
    """A running + fresh and a running + running fold of a small random shape over
    `shape_field`, both proven natively."""
    sample = random_sample(shape_field, seed=5, n_inputs=N_PUBLIC, n_constraints=6)
    shape = sample.shape
    rng = random.Random(shape_field.name)

    def running() -> tuple[RelaxedInstance, RelaxedWitness]:
        U, W, _ = prove(shape, *sample.fresh(rng), *sample.fresh(rng))
        return U, W

    def folded(
        first: tuple[RelaxedInstance, RelaxedWitness],
        second: tuple[RelaxedInstance, RelaxedWitness],
    ) -> Fold:
        U, _, comm_T = prove(shape, *first, *second)
        r = nifs.challenge(shape, first[0], second[0], comm_T)
        return Fold(sample, first[0], second[0], comm_T, r, U)

    run = running()
    return {"fresh": folded(run, sample.fresh(rng)), "running": folded(run, running())}


DIRECTIONS = [FQ, FR]  # the shape's field; the circuit runs over the other one
KINDS = ["fresh", "running"]


def case_id(shape_field: PrimeField) -> str:
    return f"{'Fr' if shape_field is FQ else 'Fq'}-circuit-folds-{shape_field.name}-instances"


def native_point(point: CurvePoint) -> tuple[int, int]:
    x, y = point_elements(point)
    return x, y


def inputs(
    cs: ConstraintSystem, case: Fold, U1: RelaxedInstance, U2: RelaxedInstance, T: CurvePoint
) -> tuple[Var, AllocatedRelaxedInstance, AllocatedRelaxedInstance, ecc.Point]:
    """The fold's inputs as private variables, U2 fixed as fresh where the case's is."""
    known = cs.computes_values
    digest = cs.alloc(digest_element(case.shape.digest) if known else None, "digest")
    a = AllocatedRelaxedInstance.alloc(cs, U1 if known else None, N_PUBLIC, "U1")
    alloc_second = (
        AllocatedRelaxedInstance.alloc_fresh if case.U2.u == 1 else AllocatedRelaxedInstance.alloc
    )
    b = alloc_second(cs, U2 if known else None, N_PUBLIC, "U2")
    t = ecc.alloc_point(cs, native_point(T) if known else None, "comm_T")
    return digest, a, b, t


def enforce_same(
    cs: ConstraintSystem, a: AllocatedRelaxedInstance, b: AllocatedRelaxedInstance
) -> None:
    """a = b: equal points, congruent scalars."""
    for name, p, q in (("comm_W", a.comm_W, b.comm_W), ("comm_E", a.comm_E, b.comm_E)):
        enforce_equal(cs, p.x, q.x, f"{name}_x")
        enforce_equal(cs, p.y, q.y, f"{name}_y")
    nn.enforce_equal(cs, a.u, b.u, "u")
    for i, (x, y) in enumerate(zip(a.X, b.X, strict=True)):
        nn.enforce_equal(cs, x, y, f"X{i}")


def fold_circuit(
    case: Fold,
    U1: RelaxedInstance | None = None,
    U2: RelaxedInstance | None = None,
    comm_T: CurvePoint | None = None,
    claimed: RelaxedInstance | None = None,
) -> Callable[[ConstraintSystem], AllocatedRelaxedInstance]:
    """The fold of `case` (inputs replaced where given), its result checked against an
    allocated claimed instance (the native fold unless given)."""

    def circuit(cs: ConstraintSystem) -> AllocatedRelaxedInstance:
        digest, a, b, t = inputs(
            cs, case, U1 or case.U1, U2 or case.U2, case.comm_T if comm_T is None else comm_T
        )
        out = fold(cs, digest, a, b, t)
        with cs.namespace("claimed"):
            value = (claimed or case.folded) if cs.computes_values else None
            enforce_same(cs, out, AllocatedRelaxedInstance.alloc(cs, value, N_PUBLIC, "instance"))
        return out

    return circuit


@functools.cache
def fold_shape(shape_field: PrimeField, kind: str) -> R1CSShape:
    case = native_folds(shape_field)[kind]
    return R1CSShape.from_recorder(_recorded(fold_circuit(case), case.circuit_field))


def n_constraints(field: PrimeField, circuit: Callable[[ConstraintSystem], object]) -> int:
    recorder = ShapeRecorder(field)
    circuit(recorder)
    return len(recorder.constraints)


def values(generator: WitnessGenerator, instance: AllocatedRelaxedInstance) -> list[int]:
    return [generator.value(element) for element in instance.hash_elements()]


@pytest.mark.parametrize("circuit_field", [FR, FQ], ids=lambda f: f"{f.name}-circuit")
def test_scalar_halves_pack_the_allocated_limbs(circuit_field: PrimeField) -> None:
    """The halves the circuit absorbs are the native ones for every canonical scalar, at no
    cost; a non-canonical representative (the value plus m, still in four limbs) gives other
    halves, so it cannot pass for the canonical value in a transcript."""
    m = nn.other_modulus(circuit_field)
    cases = [0, 1, 2**128 - 1, 2**128, 2**128 + 1, m - 1, m + 5]

    def circuit(cs: ConstraintSystem) -> list[list[LinearCombination]]:
        return [scalar_halves(nn.alloc(cs, v, f"s{i}")) for i, v in enumerate(cases)]

    synthesis = synthesize(circuit_field, circuit)
    assert synthesis.shape.n_constraints == 260 * len(cases)  # the allocations alone
    halves = [[synthesis.generator.value(h) for h in pair] for pair in synthesis.output]
    assert halves == [[v % 2**128, v // 2**128] for v in cases]
    assert halves[:-1] == [transcript.scalar_halves(v) for v in cases[:-1]]
    assert halves[-1] != transcript.scalar_halves(5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
def test_challenge_equals_native(shape_field: PrimeField, kind: str) -> None:
    case = native_folds(shape_field)[kind]

    def circuit(cs: ConstraintSystem) -> list[Boolean]:
        digest, a, b, t = inputs(cs, case, case.U1, case.U2, case.comm_T)
        return challenge(cs, digest, a, b, t)

    synthesis = synthesize(case.circuit_field, circuit)
    bits = [bit.value(synthesis.generator) for bit in synthesis.output]
    assert sum(int(bit) << i for i, bit in enumerate(bits)) == case.r


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
def test_fold_equals_native(shape_field: PrimeField, kind: str) -> None:
    case = native_folds(shape_field)[kind]
    assert case.folded == fold_instances(case.shape, case.U1, case.U2, case.comm_T)
    synthesis = synthesize(case.circuit_field, fold_circuit(case))
    out = synthesis.output
    assert out.fresh is False
    # The transcript elements of the result: points and the halves of canonical u and X.
    assert values(synthesis.generator, out) == instance_elements(case.shape.field, case.folded)


def test_fresh_instances_fold_with_fewer_constraints() -> None:
    """A fresh U2 skips the scalar multiplication by E2 and the product r·u2."""
    running, fresh = native_folds(FQ)["running"], native_folds(FQ)["fresh"]

    def cost(case: Fold) -> int:
        def inputs_only(cs: ConstraintSystem) -> object:
            return inputs(cs, case, case.U1, case.U2, case.comm_T)

        def with_fold(cs: ConstraintSystem) -> object:
            digest, a, b, t = inputs(cs, case, case.U1, case.U2, case.comm_T)
            return fold(cs, digest, a, b, t)

        return n_constraints(FR, with_fold) - n_constraints(FR, inputs_only)

    assert cost(fresh) < cost(running) - 1037


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
def test_another_cross_term_is_rejected(shape_field: PrimeField, kind: str) -> None:
    case = native_folds(shape_field)[kind]
    shape = fold_shape(shape_field, kind)
    other_T = case.comm_T + case.U1.comm_W
    generator = WitnessGenerator(case.circuit_field)
    fold_circuit(case, comm_T=other_T)(generator)
    assert first_failure(shape, generator.assignment()).startswith("claimed/")


@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
@pytest.mark.parametrize("component", ["comm_W", "comm_E", "u", "X"])
def test_a_tampered_input_instance_is_rejected(shape_field: PrimeField, component: str) -> None:
    case = native_folds(shape_field)["running"]
    shape = fold_shape(shape_field, "running")
    p = case.shape.field.modulus
    U2 = case.U2
    changed = {
        "comm_W": RelaxedInstance(U2.comm_W + U2.comm_E, U2.comm_E, U2.u, U2.X),
        "comm_E": RelaxedInstance(U2.comm_W, U2.comm_E + U2.comm_W, U2.u, U2.X),
        "u": RelaxedInstance(U2.comm_W, U2.comm_E, (U2.u + 1) % p, U2.X),
        "X": RelaxedInstance(U2.comm_W, U2.comm_E, U2.u, ((U2.X[0] + 1) % p, *U2.X[1:])),
    }[component]
    generator = WitnessGenerator(case.circuit_field)
    fold_circuit(case, U2=changed)(generator)
    assert first_failure(shape, generator.assignment()).startswith("claimed/")


@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
@pytest.mark.parametrize("component", ["comm_W", "comm_E", "u", "X"])
def test_a_wrong_claimed_fold_is_rejected(shape_field: PrimeField, component: str) -> None:
    case = native_folds(shape_field)["fresh"]
    shape = fold_shape(shape_field, "fresh")
    F, p = case.folded, case.shape.field.modulus
    wrong = {
        "comm_W": RelaxedInstance(F.comm_W + F.comm_E, F.comm_E, F.u, F.X),
        "comm_E": RelaxedInstance(F.comm_W, F.comm_E + F.comm_W, F.u, F.X),
        "u": RelaxedInstance(F.comm_W, F.comm_E, (F.u + 1) % p, F.X),
        "X": RelaxedInstance(F.comm_W, F.comm_E, F.u, (F.X[0], (F.X[1] + 1) % p)),
    }[component]
    generator = WitnessGenerator(case.circuit_field)
    fold_circuit(case, claimed=wrong)(generator)
    assert first_failure(shape, generator.assignment()).startswith(f"claimed/{component}")


@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
def test_a_wrong_challenge_bit_is_rejected(shape_field: PrimeField) -> None:
    case = native_folds(shape_field)["running"]
    circuit = fold_circuit(case)
    shape = fold_shape(shape_field, "running")
    flipped = {"fold/challenge/low_bits/bit7": 1 - (case.r >> 7 & 1)}
    assignment = steered(case.circuit_field, circuit, flipped)
    assert first_failure(shape, assignment) == "fold/challenge/low_bits/pack"


@pytest.mark.parametrize("field", [FR, FQ], ids=lambda f: f.name)
def test_low_bits_reject_the_element_plus_the_modulus(field: PrimeField) -> None:
    """5 and 5 + p pack to the same element; only the canonical bits are accepted."""
    p = field.modulus

    def circuit(cs: ConstraintSystem) -> list[Boolean]:
        x = cs.alloc(5 if cs.computes_values else None, "x")
        return low_bits(cs, x)

    synthesis = synthesize(field, circuit)
    assert [bit.value(synthesis.generator) for bit in synthesis.output[:4]] == [1, 0, 1, 0]
    lie = {f"low_bits/bit{i}": (5 + p) >> i & 1 for i in range(p.bit_length())}
    assignment = steered(field, circuit, lie)
    assert first_failure(synthesis.shape, assignment).startswith("low_bits/below_modulus/")


@pytest.mark.parametrize("field", [FR, FQ], ids=lambda f: f.name)
def test_low_bits_of_elements_up_to_the_bound(field: PrimeField) -> None:
    """Every element below p_hi·2^128 is split; the sliver [p_hi·2^128, p) (a fraction below
    2^-125 of the field) is where the cheap canonicity check refuses even honest bits."""
    p = field.modulus
    bound = (p >> 128) << 128

    def circuit_for(value: int) -> Callable[[ConstraintSystem], list[Boolean]]:
        def circuit(cs: ConstraintSystem) -> list[Boolean]:
            x = cs.alloc(value if cs.computes_values else None, "x")
            return low_bits(cs, x)

        return circuit

    for value in (0, bound - 1, bound - (1 << 128), random.Random(1).randrange(bound)):
        synthesis = synthesize(field, circuit_for(value))
        low = sum(int(b.value(synthesis.generator)) << i for i, b in enumerate(synthesis.output))
        assert low == value % (1 << 128)
    generator = WitnessGenerator(field)
    circuit_for(p - 1)(generator)
    shape = R1CSShape.from_recorder(_recorded(circuit_for(0), field))
    assert first_failure(shape, generator.assignment()).startswith("low_bits/below_modulus/")


@pytest.mark.parametrize("shape_field", DIRECTIONS, ids=case_id)
def test_select_between_instances(shape_field: PrimeField) -> None:
    folds = native_folds(shape_field)
    running, fresh = folds["running"].U2, folds["fresh"].U2
    field = folds["running"].circuit_field

    for take_running in (True, False):

        def circuit(cs: ConstraintSystem, take: bool = take_running) -> AllocatedRelaxedInstance:
            known = cs.computes_values
            bit = Boolean.alloc(cs, take if known else None, "bit")
            a = AllocatedRelaxedInstance.alloc(cs, running if known else None, N_PUBLIC, "a")
            b = AllocatedRelaxedInstance.alloc_fresh(cs, fresh if known else None, N_PUBLIC, "b")
            return select(cs, bit, a, b)

        synthesis = synthesize(field, circuit)
        assert synthesis.output.fresh is False
        expected = running if take_running else fresh
        assert values(synthesis.generator, synthesis.output) == instance_elements(
            shape_field, expected
        )


def test_fresh_allocation_refuses_a_running_instance() -> None:
    case = native_folds(FQ)["running"]
    with pytest.raises(NotFreshInstanceError):
        AllocatedRelaxedInstance.alloc_fresh(WitnessGenerator(FR), case.U2, N_PUBLIC)
    with pytest.raises(ShapeMismatchError):
        AllocatedRelaxedInstance.alloc(WitnessGenerator(FR), case.U2, N_PUBLIC + 1)


def _recorded(circuit: Callable[[ConstraintSystem], object], field: PrimeField) -> ShapeRecorder:
    recorder = ShapeRecorder(field)
    circuit(recorder)
    return recorder


@pytest.mark.parametrize("circuit_field", [FR, FQ], ids=lambda f: f"{f.name}-circuit")
@pytest.mark.parametrize(("n_public", "costs"), [(1, (1831, 4743, 6062)), (2, (2131, 5579, 6898))])
def test_constraint_counts(
    circuit_field: PrimeField, n_public: int, costs: tuple[int, int, int]
) -> None:
    """The figures of the module docstring; a merge node's three folds (two running + fresh,
    one running + running) must leave room in the 40,000-constraint budget of its circuit."""

    def setup(
        cs: ConstraintSystem, fresh: bool
    ) -> tuple[Var, AllocatedRelaxedInstance, AllocatedRelaxedInstance, ecc.Point]:
        second = AllocatedRelaxedInstance.alloc_fresh if fresh else AllocatedRelaxedInstance.alloc
        return (
            cs.alloc(),
            AllocatedRelaxedInstance.alloc(cs, None, n_public, "U1"),
            second(cs, None, n_public, "U2"),
            ecc.alloc_point(cs, None, "comm_T"),
        )

    def cost(gadget: Callable[..., object], fresh: bool) -> int:
        return n_constraints(
            circuit_field, lambda cs: gadget(cs, *setup(cs, fresh))
        ) - n_constraints(circuit_field, lambda cs: setup(cs, fresh))

    measured = (cost(challenge, True), cost(fold, True), cost(fold, False))
    assert measured == costs
    assert cost(challenge, False) == measured[0]
    assert 2 * measured[1] + measured[2] <= 21_000
