"""Sum-check: the kernel's rounds, binding and sparse MLE evaluation against direct definitions
in ints, and the prover/verifier pair on a product of two tables."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from crypto.errors import NonCanonicalEncodingError, ShapeMismatchError, SumcheckError
from crypto.field import FQ, FR, PrimeField
from crypto.reference.sparse import csr_matvec
from crypto.snark import sumcheck
from crypto.snark.multilinear import eq_table, evaluate
from crypto.snark.transcript import SnarkTranscript
from crypto.sparse import SparseMatrix

FIELDS = [FR, FQ]


def _values(field: PrimeField, rng: random.Random, n: int) -> list[int]:
    return [rng.randrange(field.modulus) for _ in range(n)]


def _line(p: int, v: list[int], i: int, x: int) -> int:
    """The table's value at (x, bits of i) for a first variable x."""
    lo, hi = v[i], v[i + len(v) // 2]
    return (lo + x * (hi - lo)) % p


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("n", [2, 8, 4096])
def test_rounds_and_binding_match_the_definition(field, n):
    rng = random.Random(n)
    p = field.modulus
    eq, a, b, c = (_values(field, rng, n) for _ in range(4))
    vectors = [field.from_ints(v) for v in (eq, a, b, c)]
    h = n // 2
    outer = tuple(
        sum(
            _line(p, eq, i, x) * (_line(p, a, i, x) * _line(p, b, i, x) - _line(p, c, i, x))
            for i in range(h)
        )
        % p
        for x in (0, 2, 3)
    )
    assert sumcheck.outer_round(field, *vectors) == outer
    product = tuple(
        sum(_line(p, a, i, x) * _line(p, b, i, x) for i in range(h)) % p for x in (0, 2)
    )
    assert sumcheck.product_round(field, vectors[1], vectors[2]) == product
    r = rng.randrange(p)
    bound = field.to_ints(sumcheck.bind_top(field, vectors[1], r))
    assert bound == [_line(p, a, i, r) for i in range(h)]


@pytest.mark.parametrize("field", FIELDS)
def test_bilinear_is_the_sparse_mle(field):
    rng = random.Random(5)
    p = field.modulus
    rows, cols = 6, 9
    entries = [
        (i, j, rng.choice([1, p - 1, rng.randrange(1, p)]))
        for i in range(rows)
        for j in sorted(rng.sample(range(cols), rng.randint(0, 4)))
    ]
    matrix = SparseMatrix.from_entries(field, rows, cols, entries)
    x, y = _values(field, rng, rows), _values(field, rng, cols)
    indptr, indices, data = matrix.to_csr()
    my = csr_matvec(p, list(map(int, indptr)), list(map(int, indices)), field.to_ints(data), y)
    expected = sum(xi * v for xi, v in zip(x, my, strict=True)) % p
    assert matrix.bilinear(field.from_ints(x), field.from_ints(y)) == expected
    # At equality tables it is the MLE of the zero-padded matrix at the two points.
    rx, ry = _values(field, rng, 3), _values(field, rng, 4)
    dense = [[0] * 16 for _ in range(8)]
    for i, j, v in entries:
        dense[i][j] = (dense[i][j] + v) % p
    flat = field.from_ints([v for row in dense for v in row])
    eq_x, eq_y = eq_table(field, rx)[:rows], eq_table(field, ry)[:cols]
    assert matrix.bilinear(eq_x, eq_y) == evaluate(field, flat, rx + ry)
    with pytest.raises(ShapeMismatchError):
        matrix.bilinear(field.from_ints(y), field.from_ints(x))


def test_kernel_rejects_bad_tables():
    a, b = FR.random(4, 1), FR.random(8, 2)
    with pytest.raises(ShapeMismatchError):
        sumcheck.product_round(FR, a, b)
    with pytest.raises(ShapeMismatchError):
        sumcheck.outer_round(FR, a, a, a, FR.random(3, 3))
    with pytest.raises(ShapeMismatchError):
        sumcheck.bind_top(FR, FR.random(1, 4), 1)
    bad = a.copy()
    bad[2] = np.frombuffer(FR.modulus.to_bytes(32, "little"), dtype=np.uint64)
    with pytest.raises(NonCanonicalEncodingError):
        sumcheck.product_round(FR, a, bad)
    with pytest.raises(NonCanonicalEncodingError):
        sumcheck.bind_top(FR, a, FR.modulus)


def test_interpolate_and_eq_at():
    p = FR.modulus
    poly = [3, 1, 4, 1]  # coefficients of degree 3

    def at(x: int) -> int:
        return sum(c * x**k for k, c in enumerate(poly)) % p

    assert sumcheck.interpolate(p, [at(x) for x in range(4)], 12345) == at(12345)
    for a, b in itertools.product(itertools.product((0, 1), repeat=2), repeat=2):
        assert sumcheck.eq_at(p, a, b) == int(a == b)


def _product_proof(field: PrimeField, k: int):
    rng = random.Random(k)
    a, b = field.random(1 << k, rng.randbytes(8)), field.random(1 << k, rng.randbytes(8))
    claim = field.inner_product(a, b)
    messages, r, finals = sumcheck.prove(
        field,
        SnarkTranscript(b"test"),
        b"product",
        [a, b],
        lambda t: sumcheck.product_round(field, *t),
    )
    return a, b, claim, messages, r, finals


@pytest.mark.parametrize("field", FIELDS)
def test_prover_and_verifier_agree(field):
    a, b, claim, messages, r, finals = _product_proof(field, 5)
    assert finals == [evaluate(field, a, r), evaluate(field, b, r)]
    final, r_verifier = sumcheck.verify(
        field, SnarkTranscript(b"test"), b"product", claim, messages, 5, 2
    )
    assert r_verifier == r
    assert final == finals[0] * finals[1] % field.modulus


def test_verifier_final_value_exposes_any_altered_message():
    field, p = FR, FR.modulus
    _, _, claim, messages, _, finals = _product_proof(field, 4)
    honest = finals[0] * finals[1] % p
    for j, k in itertools.product(range(4), range(2)):
        altered = [list(m) for m in messages]
        altered[j][k] = (altered[j][k] + 1) % p
        final, _ = sumcheck.verify(
            field, SnarkTranscript(b"test"), b"product", claim, altered, 4, 2
        )
        assert final != honest
    final, _ = sumcheck.verify(
        field, SnarkTranscript(b"test"), b"product", claim + 1, messages, 4, 2
    )
    assert final != honest


def test_verifier_rejects_malformed_messages():
    field, p = FR, FR.modulus
    _, _, claim, messages, _, _ = _product_proof(field, 3)

    def check(rounds, n_rounds=3):
        sumcheck.verify(field, SnarkTranscript(b"test"), b"product", claim, rounds, n_rounds, 2)

    with pytest.raises(SumcheckError, match="rounds"):
        check(messages[:-1])
    with pytest.raises(SumcheckError, match="rounds"):
        check(messages, 4)
    with pytest.raises(SumcheckError, match="values"):
        check([*messages[:-1], (*messages[-1], 0)])
    with pytest.raises(SumcheckError, match=r"\[0, p\)"):
        check([*messages[:-1], (messages[-1][0], p)])
