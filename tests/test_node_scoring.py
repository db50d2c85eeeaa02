"""Peer scores: penalties, rewards, decay, the floor and bounded memory (SPEC.md §8.4)."""

from __future__ import annotations

import pytest
from libp2p.peer.id import ID

from node.scoring import (
    FLOOR,
    GRAYLIST_THRESHOLD,
    HALF_LIFE_S,
    PENALTIES,
    REWARD,
    REWARD_CAP,
    PeerScores,
)
from protocol import identity
from protocol.messages import RejectReason

KEYS = [bytes([i + 1]) * 32 for i in range(8)]
PEERS = [identity.peer_id(k) for k in KEYS]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_every_reason_has_a_penalty_and_fraud_is_worst() -> None:
    assert set(PENALTIES) == set(RejectReason)
    assert all(p > 0 for p in PENALTIES.values())
    worst = max(PENALTIES.values())
    assert PENALTIES[RejectReason.INVALID_PROOF] == PENALTIES[RejectReason.EQUIVOCATION] == worst
    assert PENALTIES[RejectReason.MISSED_DEADLINE] == min(PENALTIES.values())
    # One fraud graylists a peer; one missed deadline (a dead machine) does not, nor a reward
    # history: the cap is below one fraud's penalty.
    assert -worst < GRAYLIST_THRESHOLD < -PENALTIES[RejectReason.MISSED_DEADLINE]
    assert REWARD_CAP - worst < GRAYLIST_THRESHOLD


def test_penalties_add_and_decay_by_half_lives() -> None:
    clock = Clock()
    scores = PeerScores(clock)
    assert scores.score(PEERS[0]) == 0.0
    after = scores.penalize(KEYS[0], RejectReason.RULE_VIOLATION, clock.now)
    assert after == -PENALTIES[RejectReason.RULE_VIOLATION]
    scores.penalize(KEYS[0], RejectReason.MISSED_DEADLINE, clock.now)
    expected = -(PENALTIES[RejectReason.RULE_VIOLATION] + PENALTIES[RejectReason.MISSED_DEADLINE])
    assert scores.score(PEERS[0]) == expected
    assert scores.score(ID.from_base58(PEERS[0])) == expected
    assert scores.app_score(ID.from_base58(PEERS[0])) == expected
    clock.now += HALF_LIFE_S
    assert scores.score(PEERS[0]) == pytest.approx(expected / 2)
    clock.now += 2 * HALF_LIFE_S
    assert scores.score(PEERS[0]) == pytest.approx(expected / 8)
    # A penalty applies to the decayed value at its time.
    now = scores.penalize(KEYS[0], RejectReason.INVALID_PROOF, clock.now)
    assert now == pytest.approx(expected / 8 - PENALTIES[RejectReason.INVALID_PROOF])
    assert scores.score(PEERS[1]) == 0.0  # others untouched


def test_scores_stop_at_the_floor() -> None:
    clock = Clock()
    scores = PeerScores(clock)
    for _ in range(50):
        scores.penalize(KEYS[0], RejectReason.EQUIVOCATION, clock.now)
    assert scores.score(PEERS[0]) == FLOOR


def test_rewards_are_capped_and_never_lower_a_score() -> None:
    clock = Clock()
    scores = PeerScores(clock)
    for _ in range(3):
        scores.reward(KEYS[0], clock.now)
    assert scores.score(PEERS[0]) == 3 * REWARD
    for _ in range(100):
        scores.reward(KEYS[0], clock.now)
    assert scores.score(PEERS[0]) == REWARD_CAP
    scores.penalize(KEYS[1], RejectReason.CONTENT_MISMATCH, clock.now)
    scores.reward(KEYS[1], clock.now)
    assert scores.score(PEERS[1]) == REWARD - PENALTIES[RejectReason.CONTENT_MISMATCH]


def test_memory_is_bounded_by_forgetting_the_score_nearest_zero() -> None:
    clock = Clock()
    scores = PeerScores(clock, max_peers=3)
    scores.penalize(KEYS[0], RejectReason.INVALID_PROOF, clock.now)
    scores.penalize(KEYS[1], RejectReason.MISSED_DEADLINE, clock.now)
    scores.penalize(KEYS[2], RejectReason.RULE_VIOLATION, clock.now)
    scores.penalize(KEYS[3], RejectReason.CONTENT_MISMATCH, clock.now)
    assert len(scores) == 3
    assert scores.score(PEERS[1]) == 0.0  # the mildest was forgotten
    assert [p for p, _ in scores.items()] == [PEERS[0], PEERS[3], PEERS[2]]


def test_items_drop_scores_decayed_to_nothing() -> None:
    clock = Clock()
    scores = PeerScores(clock)
    scores.penalize(KEYS[0], RejectReason.MISSED_DEADLINE, clock.now)
    clock.now += HALF_LIFE_S
    scores.penalize(KEYS[1], RejectReason.INVALID_PROOF, clock.now)
    assert scores.items() == [
        (PEERS[1], -PENALTIES[RejectReason.INVALID_PROOF]),
        (PEERS[0], pytest.approx(-PENALTIES[RejectReason.MISSED_DEADLINE] / 2)),
    ]
    clock.now += 20 * HALF_LIFE_S
    assert scores.items() == []
    assert len(scores) == 0
