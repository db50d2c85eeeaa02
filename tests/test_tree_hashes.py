"""The tree's state hashes: native h1/h2 against their in-circuit versions (tree-nova §4)."""

from __future__ import annotations

import random

import pytest
from circuit_harness import synthesize
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circuit import ConstraintSystem
from crypto.circuit.gadgets import nonnative as nn
from crypto.circuit.gadgets.bits import pack
from crypto.circuit.gadgets.nifs_verifier import AllocatedRelaxedInstance
from crypto.circuit.lc import LinearCombination
from crypto.errors import FieldMismatchError, NonCanonicalEncodingError
from crypto.field import FQ, FR, PrimeField
from crypto.folding.commitment import curve_for
from crypto.folding.relaxed import RelaxedInstance
from crypto.folding.transcript import digest_element
from crypto.poseidon import Sponge, domain_tag
from crypto.tree.hashes import HASH_BITS, h1, h1_bits, h2, h2_bits


def random_instance(rng: random.Random, field: PrimeField, n_public: int) -> RelaxedInstance:
    """A relaxed instance of a `field` shape with random commitments (one may be the identity)."""
    curve = curve_for(field)
    g = curve.generator()
    comm_E = curve.identity() if rng.random() < 0.3 else rng.randrange(1, 1 << 64) * g
    return RelaxedInstance(
        rng.randrange(1, 1 << 64) * g,
        comm_E,
        rng.randrange(field.modulus),
        tuple(rng.randrange(field.modulus) for _ in range(n_public)),
    )


def circuit_h1(
    d_S: bytes, ctx: bytes, a: int, b: int, z_a: list[int], z_b: list[int], U2: RelaxedInstance
) -> tuple[int, int]:
    """The in-circuit h1 (value, constraints), every input a private variable."""

    def circuit(cs: ConstraintSystem) -> LinearCombination:
        def var(v: int) -> LinearCombination:
            return cs.alloc(v).lc()

        U = AllocatedRelaxedInstance.alloc(cs, U2, len(U2.X))
        bits = h1_bits(
            cs,
            var(digest_element(d_S)),
            var(digest_element(ctx)),
            var(a),
            var(b),
            [var(v) for v in z_a],
            [var(v) for v in z_b],
            U,
        )
        assert len(bits) == HASH_BITS
        return pack(bits)

    run = synthesize(FR, circuit)
    return run.generator.value(run.output), run.shape.n_constraints


def circuit_h2(d_P: bytes, U1: RelaxedInstance) -> int:
    def circuit(cs: ConstraintSystem) -> LinearCombination:
        U = AllocatedRelaxedInstance.alloc(cs, U1, len(U1.X))
        return pack(h2_bits(cs, cs.alloc(digest_element(d_P)), U))

    run = synthesize(FQ, circuit)
    return run.generator.value(run.output)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 3))
def test_h1_native_equals_circuit(seed: int, n: int) -> None:
    rng = random.Random(seed)
    args = (
        rng.randbytes(32),
        rng.randbytes(32),
        rng.randrange(1 << 20),
        rng.randrange(1 << 20),
        [rng.randrange(FR.modulus) for _ in range(n)],
        [rng.randrange(FR.modulus) for _ in range(n)],
        random_instance(rng, FQ, 2),
    )
    native = h1(*args)
    assert native < 1 << HASH_BITS
    value, _ = circuit_h1(*args)
    assert value == native


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_h2_native_equals_circuit(seed: int) -> None:
    rng = random.Random(seed)
    d_P, U1 = rng.randbytes(32), random_instance(rng, FR, 3)
    native = h2(d_P, U1)
    assert native < 1 << HASH_BITS
    assert circuit_h2(d_P, U1) == native


def documented_instance(U: RelaxedInstance) -> list[int]:
    """SPEC §14.6's instance encoding, recomputed: coordinates ((0, 0) for the identity), then
    each scalar as bytes 0..15 and 16..31 of its 32-byte little-endian encoding."""
    elements = []
    for point in (U.comm_W, U.comm_E):
        elements += [point.x or 0, point.y or 0]
    for scalar in (U.u, *U.X):
        encoding = scalar.to_bytes(32, "little")
        elements += [
            int.from_bytes(encoding[:16], "little"),
            int.from_bytes(encoding[16:], "little"),
        ]
    return elements


def test_hashes_follow_the_documented_encoding() -> None:
    rng = random.Random(7)
    d_S, ctx, d_P = rng.randbytes(32), rng.randbytes(32), rng.randbytes(32)
    z_a = [rng.randrange(FR.modulus) for _ in range(2)]
    z_b = [rng.randrange(FR.modulus) for _ in range(2)]
    U2, U1 = random_instance(rng, FQ, 2), random_instance(rng, FR, 3)

    def low_248(digest: bytes) -> int:
        return int.from_bytes(digest[:31], "little")

    sponge = Sponge("Fr", domain_tag("novanode/tree/h1/v1"))
    sponge.absorb([low_248(d_S), low_248(ctx), 3, 9, *z_a, *z_b, *documented_instance(U2)])
    assert h1(d_S, ctx, 3, 9, z_a, z_b, U2) == sponge.squeeze(1)[0] % 2**250
    sponge = Sponge("Fq", domain_tag("novanode/tree/h2/v1"))
    sponge.absorb([low_248(d_P), *documented_instance(U1)])
    assert h2(d_P, U1) == sponge.squeeze(1)[0] % 2**250


def test_every_input_changes_h1() -> None:
    rng = random.Random(1)
    d_S, ctx, z_a, z_b = rng.randbytes(32), bytes(32), [5], [7]
    U2 = random_instance(rng, FQ, 2)
    base = h1(d_S, ctx, 0, 1, z_a, z_b, U2)
    variants = [
        h1(bytes([d_S[0] ^ 1]) + d_S[1:], ctx, 0, 1, z_a, z_b, U2),
        h1(d_S, b"\x01" + ctx[1:], 0, 1, z_a, z_b, U2),
        h1(d_S, ctx, 1, 1, z_a, z_b, U2),
        h1(d_S, ctx, 0, 2, z_a, z_b, U2),
        h1(d_S, ctx, 0, 1, [6], z_b, U2),
        h1(d_S, ctx, 0, 1, z_a, [8], U2),
        h1(
            d_S,
            ctx,
            0,
            1,
            z_a,
            z_b,
            RelaxedInstance(U2.comm_W, U2.comm_E, U2.u, (U2.X[1], U2.X[0])),
        ),
    ]
    assert base not in variants and len(set(variants)) == len(variants)


def test_every_input_changes_h2() -> None:
    rng = random.Random(2)
    d_P, U1 = rng.randbytes(32), random_instance(rng, FR, 3)
    other = RelaxedInstance(U1.comm_W, U1.comm_E, (U1.u + 1) % FR.modulus, U1.X)
    assert len({h2(d_P, U1), h2(bytes(32), U1), h2(d_P, other)}) == 3


def test_h1_rejects_non_field_state() -> None:
    U2 = random_instance(random.Random(3), FQ, 2)
    with pytest.raises(NonCanonicalEncodingError):
        h1(bytes(32), bytes(32), 0, 1, [FR.modulus], [0], U2)


def test_hashes_refuse_the_wrong_circuit_field() -> None:
    U1 = random_instance(random.Random(4), FR, 3)

    def circuit(cs: ConstraintSystem) -> None:
        h2_bits(cs, 0, AllocatedRelaxedInstance.alloc(cs, U1, 3))

    with pytest.raises(FieldMismatchError):
        synthesize(FR, circuit)


def test_h1_constraint_count() -> None:
    """Arity 1, X of 2: 16 elements, 5 permutations (§10), plus the 254-bit decomposition."""
    rng = random.Random(5)
    _, n_constraints = circuit_h1(bytes(32), bytes(32), 0, 1, [1], [2], random_instance(rng, FQ, 2))
    allocs = 6 + 10 + 3 * 260  # six plain variables, then the instance
    assert n_constraints - allocs < 2_000


def test_nonnative_limbs_of_a_hash_are_canonical_in_both_fields() -> None:
    value = h2(bytes(32), random_instance(random.Random(6), FR, 3))
    assert value < FR.modulus and value < FQ.modulus
    assert nn.limbs_of(value)[3] < 1 << (HASH_BITS - 192)
