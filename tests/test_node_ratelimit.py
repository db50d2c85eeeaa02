"""Per-peer token buckets (SPEC.md §8.4): burst, refill, independence and bounded memory."""

from __future__ import annotations

import pytest

from node.ratelimit import BLOB_BURST, FOLD_BURST, PeerRateLimiter, blob_limiter, fold_limiter


def test_a_burst_then_the_refill_rate() -> None:
    limiter = PeerRateLimiter(rate_per_s=2.0, burst=3)
    assert [limiter.allow("a", 10.0) for _ in range(4)] == [True, True, True, False]
    assert not limiter.allow("a", 10.4)  # 0.8 of a token
    assert limiter.allow("a", 10.5)  # the first whole token since the burst
    assert not limiter.allow("a", 10.5)
    # A refused request costs nothing: after 1.5 s three tokens are back, never more than burst.
    assert [limiter.allow("a", 100.0) for _ in range(4)] == [True, True, True, False]


def test_peers_have_their_own_buckets() -> None:
    limiter = PeerRateLimiter(rate_per_s=1.0, burst=1)
    assert limiter.allow("a", 0.0)
    assert not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)


def test_a_clock_going_backwards_adds_nothing() -> None:
    limiter = PeerRateLimiter(rate_per_s=1.0, burst=1)
    assert limiter.allow("a", 5.0)
    assert not limiter.allow("a", 1.0)
    assert not limiter.allow("a", 5.5)
    assert limiter.allow("a", 6.0)


def test_memory_is_bounded_by_forgetting_the_least_recently_seen_peer() -> None:
    limiter = PeerRateLimiter(rate_per_s=0.001, burst=1, max_peers=2)
    assert limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)
    assert not limiter.allow("a", 0.0)  # a is now the most recent
    assert limiter.allow("c", 0.0)  # b is forgotten
    assert len(limiter) == 2
    assert not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)  # starts again with a full bucket


@pytest.mark.parametrize(("rate", "burst", "peers"), [(0.0, 1, 1), (1.0, 0, 1), (1.0, 1, 0)])
def test_non_positive_parameters_are_refused(rate: float, burst: int, peers: int) -> None:
    with pytest.raises(ValueError):
        PeerRateLimiter(rate, burst, peers)


def test_defaults_allow_a_workers_fetches_and_a_few_folds() -> None:
    blobs, folds = blob_limiter(), fold_limiter()
    assert all(blobs.allow("worker", 0.0) for _ in range(BLOB_BURST))
    assert not blobs.allow("worker", 0.0)
    assert BLOB_BURST >= 256
    assert all(folds.allow("sender", 0.0) for _ in range(FOLD_BURST))
    assert not folds.allow("sender", 0.0)
