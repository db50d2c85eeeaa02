"""Per-peer rate limits on incoming direct streams (SPEC.md §8.4).

Every blob or fold stream costs the serving node a task, a read deadline and possibly a disk
read of up to a node's size, before anything proves the peer means well: a peer opening streams
as fast as it can would take the node's bandwidth and disk from the jobs it works on. Each
remote peer gets a token bucket: ``burst`` streams at once, refilled at ``rate_per_s``; a stream
beyond that is reset before a byte of it is read (`node.net.streams.set_handler`).

The defaults follow what an honest peer needs. A worker fetches the circuit, the input index and
one input per step of its range, all at the start of its work: bursts of a few hundred blob
streams, then little. Fold streams carry one node per merge, a handful per job: a few a second
is far more than honest traffic and still caps a flood. Root streams answer a restarted
requester that asks each of a job's workers for its root proof every half minute at most: a
few at once and one a second covers a requester with its maximum of jobs on one worker.

Memory is bounded: at most ``max_peers`` buckets are kept, the least recently used forgotten
first (it is the most likely to have refilled; a forgotten peer starts again with a full
bucket, which is all it would have regained by waiting).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

BLOB_RATE_PER_S: Final = 50.0
BLOB_BURST: Final = 512
FOLD_RATE_PER_S: Final = 2.0
FOLD_BURST: Final = 8
ROOT_RATE_PER_S: Final = 1.0
ROOT_BURST: Final = 16
MAX_PEERS: Final = 4096


class PeerRateLimiter:
    """A token bucket per remote peer id."""

    def __init__(self, rate_per_s: float, burst: int, max_peers: int = MAX_PEERS) -> None:
        if not rate_per_s > 0 or burst < 1 or max_peers < 1:
            raise ValueError("rate, burst and max_peers must be positive")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._max_peers = max_peers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, peer: str, now_s: float) -> bool:
        """Take a token from ``peer``'s bucket at time ``now_s``; False if it is empty."""
        stored = self._buckets.pop(peer, None)
        if stored is None:
            tokens = float(self.burst)
        else:
            left, since = stored
            now_s = max(now_s, since)  # a clock stepping back refills nothing, now or later
            tokens = min(float(self.burst), left + (now_s - since) * self.rate_per_s)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[peer] = (tokens, now_s)
        if len(self._buckets) > self._max_peers:
            self._buckets.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        return len(self._buckets)


def blob_limiter() -> PeerRateLimiter:
    """The default limit on blob streams: bursts of `BLOB_BURST`, `BLOB_RATE_PER_S` after."""
    return PeerRateLimiter(BLOB_RATE_PER_S, BLOB_BURST)


def fold_limiter() -> PeerRateLimiter:
    """The default limit on fold streams: bursts of `FOLD_BURST`, `FOLD_RATE_PER_S` after."""
    return PeerRateLimiter(FOLD_RATE_PER_S, FOLD_BURST)


def root_limiter() -> PeerRateLimiter:
    """The default limit on root streams: bursts of `ROOT_BURST`, `ROOT_RATE_PER_S` after."""
    return PeerRateLimiter(ROOT_RATE_PER_S, ROOT_BURST)
