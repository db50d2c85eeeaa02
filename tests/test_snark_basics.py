"""The SNARK's transcript and multilinear helpers, against direct definitions on small inputs."""

from __future__ import annotations

import itertools
import random

import pytest

from crypto.errors import NonCanonicalEncodingError, ShapeMismatchError
from crypto.field import FQ, FR
from crypto.group import G1
from crypto.snark.multilinear import bind_top, eq_table, evaluate, padded
from crypto.snark.transcript import SnarkTranscript


def _eq(r: list[int], bits: tuple[int, ...], p: int) -> int:
    out = 1
    for r_j, b in zip(r, bits, strict=True):
        out = out * (r_j if b else 1 - r_j) % p
    return out


@pytest.mark.parametrize("field", [FR, FQ])
@pytest.mark.parametrize("k", [0, 1, 3])
def test_eq_table_and_evaluate_match_the_definition(field, k):
    rng = random.Random(k)
    p = field.modulus
    r = [rng.randrange(p) for _ in range(k)]
    table = field.to_ints(eq_table(field, r))
    points = list(itertools.product((0, 1), repeat=k))  # first variable = most significant bit
    assert table == [_eq(r, bits, p) for bits in points]
    v = [rng.randrange(p) for _ in range(1 << k)]
    expected = sum(vi * _eq(r, bits, p) for vi, bits in zip(v, points, strict=True)) % p
    assert evaluate(field, field.from_ints(v), r) == expected


def test_bind_top_then_evaluate_is_evaluate():
    rng = random.Random(7)
    p = FR.modulus
    v = FR.from_ints([rng.randrange(p) for _ in range(8)])
    r = [rng.randrange(p) for _ in range(3)]
    assert evaluate(FR, bind_top(FR, v, r[0]), r[1:]) == evaluate(FR, v, r)
    # Boolean points read the table: first variable is the top bit.
    assert evaluate(FR, v, [1, 0, 1]) == FR.to_ints(v)[5]


def test_shape_errors():
    with pytest.raises(ShapeMismatchError):
        evaluate(FR, FR.zeros(3), [1, 2])
    with pytest.raises(ShapeMismatchError):
        bind_top(FR, FR.zeros(3), 1)
    with pytest.raises(ShapeMismatchError):
        padded(FR, FR.zeros(3), 6)
    assert len(padded(FR, FR.zeros(3), 8)) == 8


def test_transcript_is_deterministic_and_binds_every_message():
    def run(label: bytes, message: bytes, scalar: int) -> list[int]:
        t = SnarkTranscript(b"test")
        t.absorb_bytes(label, message)
        t.absorb_scalar(b"s", FR, scalar)
        t.absorb_point(b"P", G1.generator())
        return [t.challenge(b"c", FR), t.challenge(b"c", FQ)]

    base = run(b"m", b"hello", 5)
    assert base == run(b"m", b"hello", 5)
    assert all(0 <= c < FQ.modulus for c in base)
    assert base[0] != base[1] % FR.modulus
    for other in (run(b"n", b"hello", 5), run(b"m", b"hellp", 5), run(b"m", b"hello", 6)):
        assert other[0] != base[0]
    # Label and data boundaries are unambiguous.
    t1, t2 = SnarkTranscript(b"x"), SnarkTranscript(b"x")
    t1.absorb_bytes(b"ab", b"c")
    t2.absorb_bytes(b"a", b"bc")
    assert t1.challenge(b"c", FR) != t2.challenge(b"c", FR)
    with pytest.raises(NonCanonicalEncodingError):
        SnarkTranscript(b"x").absorb_scalar(b"s", FR, FR.modulus)
