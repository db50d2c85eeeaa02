"""Commitment keys: prefixes, and the fixed-base table a key builds when asked or once it pays."""

from __future__ import annotations

import random

import pytest

from crypto.errors import ShapeMismatchError
from crypto.field import FQ, FR, PrimeField
from crypto.folding import commitment
from crypto.folding.commitment import COMMITMENT_LABEL, CommitmentKey, curve_for
from crypto.witness import CompactVector


def key_of(field: PrimeField, n: int) -> CommitmentKey:
    return CommitmentKey(field, curve_for(field).derive_generators(COMMITMENT_LABEL, n))


def mixed(field: PrimeField, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    p = field.modulus
    return [rng.choice([0, 1, p - 1, rng.getrandbits(50), rng.randrange(p)]) for _ in range(n)]


@pytest.mark.parametrize("field", [FR, FQ], ids=["fr", "fq"])
def test_precomputed_key_commits_like_the_plain_one(field: PrimeField) -> None:
    plain, tabled = key_of(field, 200), key_of(field, 200)
    tabled.precompute()
    tabled.precompute()  # idempotent
    assert plain.table_bytes == 0 < tabled.table_bytes
    for n in (0, 1, 5, 199, 200):
        values = mixed(field, n, n)
        dense = field.from_ints(values)
        assert tabled.commit(dense) == plain.commit(dense)
        compact = CompactVector.from_dense(field, dense)
        assert tabled.commit_compact(compact) == plain.commit(dense)
    with pytest.raises(ShapeMismatchError, match="at least 201 generators"):
        tabled.commit(field.zeros(201))
    with pytest.raises(ShapeMismatchError, match="at least 201 generators"):
        tabled.commit_compact(CompactVector.from_dense(field, field.zeros(201)))


def test_a_key_builds_its_table_once_its_msms_would_have_paid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commitment, "TABLE_MIN_LENGTH", 64)
    monkeypatch.setattr(commitment, "TABLE_AFTER", 2)
    key = key_of(FR, 64)
    vector = FR.from_ints(mixed(FR, 64, 1))
    expected = key.commit(vector)
    key.commit(vector[:32])
    assert key.table_bytes == 0  # 96 of the 128 elements that buy the table
    assert key.commit(vector) == expected
    assert key.table_bytes > 0
    assert key.commit(vector) == expected


def test_short_keys_never_build_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commitment, "TABLE_AFTER", 1)
    key = key_of(FQ, 16)
    for _ in range(3):
        key.commit(FQ.zeros(16))
    assert key.table_bytes == 0
