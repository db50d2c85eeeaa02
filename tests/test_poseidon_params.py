"""Poseidon parameter generation: the Grain stream, the counts, the MDS matrix and its checks."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import UnsupportedParameterError
from crypto.poseidon_mds_checks import (
    _charpoly,
    _eigenvector_inside,
    _has_invariant_part,
    _roots,
    is_secure_mds,
)
from crypto.poseidon_params import (
    ALPHA,
    FIELD_MODULI,
    FULL_ROUNDS,
    PARTIAL_ROUNDS,
    GrainLFSR,
    generate,
)

FIELDS = ("Fr", "Fq")


def naive_grain(seed: list[int], count: int) -> list[int]:
    """The Grain self-shrinking generator one bit at a time, as the paper describes it."""
    bits = seed[:]

    def clock() -> int:
        new = bits[62] ^ bits[51] ^ bits[38] ^ bits[23] ^ bits[13] ^ bits[0]
        bits.pop(0)
        bits.append(new)
        return new

    for _ in range(160):
        clock()
    out = []
    while len(out) < count:
        first, second = clock(), clock()
        if first:
            out.append(second)
    return out


@pytest.mark.parametrize("t", [3, 5, 17])
def test_grain_stream_matches_a_bit_by_bit_lfsr(t: int) -> None:
    seed = [0, 1, 0, 0, 0, 0]  # field kind 1 (prime) in 2 bits, S-box kind 0 (x^alpha) in 4
    for value, width in ((254, 12), (t, 12), (8, 10), (PARTIAL_ROUNDS[t], 10)):
        seed += [int(b) for b in format(value, f"0{width}b")]
    seed += [1] * 30
    grain = GrainLFSR.for_instance(254, t, 8, PARTIAL_ROUNDS[t])
    fast = grain.bits(1000) + grain.bits(1) + grain.bits(2047)
    assert [int(b) for b in fast.decode()] == naive_grain(seed, 3048)


def test_grain_refuses_a_malformed_seed() -> None:
    with pytest.raises(ValueError, match="80 characters"):
        GrainLFSR("01" * 39)
    with pytest.raises(ValueError, match="80 characters"):
        GrainLFSR("2" * 80)


@pytest.mark.parametrize("field", FIELDS)
def test_alpha_5_is_a_permutation_and_3_is_not(field: str) -> None:
    p = FIELD_MODULI[field]
    assert ALPHA == 5
    assert math.gcd(5, p - 1) == 1
    assert math.gcd(3, p - 1) == 3  # why the smaller exponent is not an option


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("t", [2, 3, 5, 9])
def test_counts_and_ranges(field: str, t: int) -> None:
    params = generate(field, t)  # type: ignore[arg-type]
    p = FIELD_MODULI[field]
    assert (params.field, params.modulus, params.t, params.alpha) == (field, p, t, 5)
    assert (params.full_rounds, params.partial_rounds) == (FULL_ROUNDS, PARTIAL_ROUNDS[t])
    assert len(params.round_constants) == FULL_ROUNDS + PARTIAL_ROUNDS[t]
    assert all(len(row) == t and all(0 <= c < p for c in row) for row in params.round_constants)
    assert len(params.mds) == t and all(len(row) == t for row in params.mds)
    assert all(0 < m < p for row in params.mds for m in row)
    flat = [c for row in params.round_constants for c in row]
    assert len(set(flat)) == len(flat)


def determinant(matrix: list[list[int]], p: int) -> int:
    """Laplace expansion; fine for the small matrices checked here."""
    if len(matrix) == 1:
        return matrix[0][0] % p
    return (
        sum(
            (-1) ** j
            * matrix[0][j]
            * determinant([row[:j] + row[j + 1 :] for row in matrix[1:]], p)
            for j in range(len(matrix))
        )
        % p
    )


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("t", [3, 5])
def test_matrix_is_mds_every_square_submatrix_is_invertible(field: str, t: int) -> None:
    params = generate(field, t)  # type: ignore[arg-type]
    p = params.modulus
    for size in range(1, t + 1):
        for rows in itertools.combinations(range(t), size):
            for cols in itertools.combinations(range(t), size):
                sub = [[params.mds[r][c] for c in cols] for r in rows]
                assert determinant(sub, p) != 0


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("t", [3, 5])
def test_generated_matrix_passes_the_subspace_trail_checks(field: str, t: int) -> None:
    params = generate(field, t)  # type: ignore[arg-type]
    assert is_secure_mds([list(row) for row in params.mds], params.modulus)


def test_generation_is_cached_and_deterministic() -> None:
    first = generate("Fr", 4)
    assert generate("Fr", 4) is first
    generate.cache_clear()
    again = generate("Fr", 4)
    assert again is not first
    assert (again.round_constants, again.mds) == (first.round_constants, first.mds)


def test_fields_share_constants_but_not_matrices() -> None:
    # The Grain seed encodes the modulus only by its bit length (254 for both), so both fields
    # draw the same bit stream: the same integers as round constants (a draw in [r, q) would be
    # kept for Fq only; none occurs) and the same raw x_i, y_j, reduced and inverted modulo
    # different primes.
    fr, fq = generate("Fr", 3), generate("Fq", 3)
    assert fr.round_constants == fq.round_constants
    assert fr.mds != fq.mds


@pytest.mark.parametrize("t", [1, 18, 0])
def test_widths_without_round_numbers_are_refused(t: int) -> None:
    with pytest.raises(UnsupportedParameterError, match=r"2\.\.17"):
        generate("Fr", t)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(UnsupportedParameterError, match="unknown field"):
        generate("F17", 3)  # type: ignore[arg-type]


# --- the subspace-trail checks against brute force over tiny fields ------------------------------


def brute_force_secure(m: list[list[int]], p: int) -> bool:
    """The three reference tests by enumerating every vector of F_p^t (tiny p and t only)."""
    t = len(m)
    vectors = list(itertools.product(range(p), repeat=t))
    zero = vectors[0]

    def apply(a: list[list[int]], v: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sum(x * y for x, y in zip(row, v, strict=True)) % p for row in a)

    def power(k: int) -> list[list[int]]:
        a = [[int(r == c) for c in range(t)] for r in range(t)]
        for _ in range(k):
            a = [[sum(a[r][k] * m[k][c] for k in range(t)) % p for c in range(t)] for r in range(t)]
        return a

    def spans_everything(generators: list[tuple[int, ...]]) -> bool:
        combos = {
            tuple(sum(c * g[i] for c, g in zip(cs, generators, strict=True)) % p for i in range(t))
            for cs in itertools.product(range(p), repeat=len(generators))
        }
        return len(combos) == p**t

    for i in range(1, t):
        mi = power(i)
        if all(mi[r][c] == (mi[0][0] if r == c else 0) for r in range(t) for c in range(t)):
            return False
        subspace = {v for v in vectors if all(apply(power(k), v)[0] == 0 for k in range(i))}
        for v in subspace - {zero}:
            image = apply(mi, v)
            if any(tuple(lam * x % p for x in v) == image for lam in range(p)):
                return False
        if any({apply(power(j), v) for v in subspace} == subspace for j in range(1, i + 1)):
            return False
    e0 = tuple(int(i == 0) for i in range(t))
    for r in range(1, 4 * t + 1):
        mr = power(r)
        orbit = [e0]
        for _ in range(t - 1):
            orbit.append(apply(mr, orbit[-1]))
        if not spans_everything(orbit):
            return False
    return True


def square_matrices(p: int, t: int) -> st.SearchStrategy[list[list[int]]]:
    return st.lists(st.lists(st.integers(0, p - 1), min_size=t, max_size=t), min_size=t, max_size=t)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([(5, 2), (7, 2), (5, 3)]).flatmap(
        lambda pt: st.tuples(st.just(pt[0]), square_matrices(*pt))
    )
)
def test_checks_agree_with_brute_force_on_tiny_fields(case: tuple[int, list[list[int]]]) -> None:
    p, m = case
    assert is_secure_mds(m, p) == brute_force_secure(m, p)


@settings(max_examples=100, deadline=None)
@given(square_matrices(7, 3), st.lists(st.integers(0, 6), min_size=3, max_size=3))
def test_the_invariant_part_shortcut_never_hides_an_eigenvector(
    a: list[list[int]], constraint: list[int]
) -> None:
    if _eigenvector_inside(a, [constraint], 7):
        assert _has_invariant_part(a, [constraint], 7)


@pytest.mark.parametrize(
    ("matrix", "why"),
    [
        ([[0, 1, 0], [1, 0, 0], [0, 0, 1]], "M^2 is the identity"),
        ([[2, 3, 0], [5, 7, 0], [1, 4, 9]], "e_2 is an eigenvector with x_0 = 0"),
        ([[1, 0, 0], [0, 2, 3], [0, 5, 7]], "e_0 spans an invariant line"),
    ],
)
def test_checks_reject_matrices_with_subspace_trails(matrix: list[list[int]], why: str) -> None:
    assert not is_secure_mds(matrix, FIELD_MODULI["Fr"]), why


def test_roots_and_charpoly_on_a_known_example() -> None:
    p = 101
    # (x - 3)(x - 7)(x^2 - 2): 2 is not a square mod 101, so 3 and 7 are the only roots.
    f = [(-42) % p, 20, 19, (-10) % p, 1]
    assert _roots(f, p) == [3, 7]
    companion = [
        [0, 0, 0, -f[0] % p],
        [1, 0, 0, -f[1] % p],
        [0, 1, 0, -f[2] % p],
        [0, 0, 1, -f[3] % p],
    ]
    assert _charpoly(companion, p) == f
