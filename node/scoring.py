"""Peer scores: what a node remembers of each peer's faults, fed to gossipsub (SPEC.md §8.4).

A rejection (§5.7) lowers the offender's score by a penalty that grows with how surely the fault
was deliberate: a node that fails verification, or sends two different results for one range,
cannot have done so by accident, while a missed deadline is usually a slow or dead machine. A
validly delivered node raises the score a little, up to a small cap, so that a long honest
history cannot bank enough credit to survive a later fraud. Scores decay toward 0 with a
half-life, so a peer's past faults stop counting after a while (a restarted or repaired machine
is usable again), and never fall below a floor, so one burst of rejections is forgotten in
bounded time.

The score is gossipsub's *application-specific* score (`app_score`); `node.net.gossip` sets the
other score terms to weight 0, so this is the whole score, and compares it with the thresholds
below: one invalid proof or one equivocation puts a peer under `GRAYLIST_THRESHOLD` for 23
minutes, one content mismatch (possibly a corrupt disk) for 3; it takes four rule violations, or
seventeen missed deadlines, in quick succession.

Memory is bounded: at most ``max_peers`` peers are remembered; beyond that the one whose score
is nearest 0 is forgotten (forgetting it changes the least), and scores that decayed to almost
nothing are dropped when listed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from libp2p.peer.id import ID

from protocol import identity
from protocol.messages import RejectReason

PENALTIES: Final[Mapping[RejectReason, float]] = MappingProxyType(
    {
        RejectReason.INVALID_PROOF: 400.0,
        RejectReason.EQUIVOCATION: 400.0,
        RejectReason.CONTENT_MISMATCH: 100.0,
        RejectReason.RULE_VIOLATION: 25.0,
        RejectReason.MISSED_DEADLINE: 5.0,
    }
)
"""Score lost per rejection, by reason (SPEC §5.7)."""
REWARD: Final = 1.0
"""Score gained per node a peer validly delivered."""
REWARD_CAP: Final = 10.0
"""Rewards never raise a score above this: less than one penalty for fraud."""
FLOOR: Final = -1000.0
"""The lowest score (three frauds); from it, a score decays above `GRAYLIST_THRESHOLD` in 37 min."""
HALF_LIFE_S: Final = 600.0
"""Scores halve every 10 minutes."""
FORGET_BELOW: Final = 0.01
"""A score whose magnitude decayed below this is dropped: it no longer affects anything."""

GOSSIP_THRESHOLD: Final = -20.0
"""Below it a peer should be sent no gossip (IHAVE); not applied by py-libp2p 0.8.1 to this
score (see `node.net.gossip`)."""
PUBLISH_THRESHOLD: Final = -50.0
"""Below it a peer should be sent none of our messages; not applied by py-libp2p 0.8.1 to this
score, whose graylist does it instead."""
GRAYLIST_THRESHOLD: Final = -80.0
"""Below it every message a peer forwards is ignored, it is sent no message, and its GRAFTs
are answered by PRUNE."""
ACCEPT_PX_THRESHOLD: Final = 0.0
"""Peer exchange is accepted only from peers with no net fault."""

MAX_PEERS: Final = 4096


class PeerScores:
    """Decaying scores by peer id, penalised for rejections and rewarded for valid work.

    ``clock`` gives the seconds `score` and `items` judge decay by (monotonic by default); the
    mutating calls take the time explicitly, as the job engine knows it.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_peers: int = MAX_PEERS
    ) -> None:
        if max_peers < 1:
            raise ValueError(f"max_peers must be positive, not {max_peers}")
        self._clock = clock
        self._max_peers = max_peers
        self._scores: dict[str, tuple[float, float]] = {}

    def penalize(self, public_key: bytes, reason: RejectReason, now_s: float) -> float:
        """Lower the score of the peer with ``public_key`` for a rejection; returns the score."""
        peer = identity.peer_id(public_key)
        return self._set(peer, max(self._at(peer, now_s) - PENALTIES[reason], FLOOR), now_s)

    def reward(self, public_key: bytes, now_s: float) -> float:
        """Raise the score of the peer with ``public_key`` for a validly delivered node, never
        above `REWARD_CAP`; returns the score."""
        peer = identity.peer_id(public_key)
        current = self._at(peer, now_s)
        return self._set(peer, max(current, min(current + REWARD, REWARD_CAP)), now_s)

    def score(self, peer: str | ID) -> float:
        """The peer's score now (0 for a peer never scored or forgotten)."""
        text = peer if isinstance(peer, str) else peer.to_base58()
        return self._at(text, self._clock())

    def app_score(self, peer: ID) -> float:
        """`score`, in the form gossipsub's ``app_specific_score_fn`` calls."""
        return self.score(peer)

    def items(self) -> list[tuple[str, float]]:
        """(peer id, score now) of every remembered peer, lowest score first."""
        now = self._clock()
        current = {peer: self._at(peer, now) for peer in self._scores}
        for peer, value in current.items():
            if abs(value) < FORGET_BELOW:
                del self._scores[peer]
        return sorted(
            ((p, v) for p, v in current.items() if p in self._scores), key=lambda pv: pv[1]
        )

    def __len__(self) -> int:
        return len(self._scores)

    def _at(self, peer: str, now_s: float) -> float:
        stored = self._scores.get(peer)
        if stored is None:
            return 0.0
        value, since = stored
        return value * math.pow(0.5, max(now_s - since, 0.0) / HALF_LIFE_S)

    def _set(self, peer: str, value: float, now_s: float) -> float:
        self._scores[peer] = (value, now_s)
        if len(self._scores) > self._max_peers:
            nearest = min(
                (p for p in self._scores if p != peer), key=lambda p: abs(self._at(p, now_s))
            )
            del self._scores[nearest]
        return value
