"""Replay protection: expiry and per-sender sequence numbers (SPEC.md §4.3).

Gossip does not preserve order, so instead of demanding strictly increasing sequence numbers a
receiver keeps, per sender, the highest number seen and which of the last `WINDOW` numbers below
it were seen: a message is new if its number is above the window's floor and unseen. Expiry
bounds how long any message can be replayed; a sender whose messages have all expired can be
forgotten safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from protocol.errors import ReplayError
from protocol.limits import MAX_TTL_MS
from protocol.messages import SignedMessage

WINDOW: Final = 1024
MAX_TRACKED_SENDERS: Final = 65536


@dataclass
class _SenderWindow:
    highest: int
    seen: set[int]
    latest_expiry_ms: int


@dataclass
class ReplayGuard:
    """What one node remembers to refuse replays; pure state, the caller passes the time."""

    max_senders: int = MAX_TRACKED_SENDERS
    _senders: dict[bytes, _SenderWindow] = field(default_factory=dict)

    def check(self, message: SignedMessage, now_ms: int) -> None:
        """Raise `ReplayError` if the message is expired, too long-lived, or already seen."""
        if message.expires_ms < now_ms:
            raise ReplayError("exp", f"expired at {message.expires_ms}, now is {now_ms}")
        if message.expires_ms - now_ms > MAX_TTL_MS:
            raise ReplayError("exp", f"expiry more than {MAX_TTL_MS} ms ahead")
        window = self._senders.get(message.sender)
        if window is None:
            if len(self._senders) >= self.max_senders and not self._has_expired(now_ms):
                raise ReplayError("from", "too many live senders tracked; try again later")
            return
        if message.seq <= window.highest - WINDOW:
            raise ReplayError("seq", f"{message.seq} is below the replay window of this sender")
        if message.seq in window.seen:
            raise ReplayError("seq", f"{message.seq} was already seen from this sender")

    def accept(self, message: SignedMessage, now_ms: int) -> None:
        """Check the message and, if new, remember it."""
        self.check(message, now_ms)
        if message.sender not in self._senders and len(self._senders) >= self.max_senders:
            self._forget_expired(now_ms)
        window = self._senders.setdefault(
            message.sender, _SenderWindow(message.seq, set(), message.expires_ms)
        )
        window.seen.add(message.seq)
        window.latest_expiry_ms = max(window.latest_expiry_ms, message.expires_ms)
        if message.seq > window.highest:
            window.highest = message.seq
            floor = window.highest - WINDOW
            window.seen = {s for s in window.seen if s > floor}

    def _has_expired(self, now_ms: int) -> bool:
        return any(w.latest_expiry_ms < now_ms for w in self._senders.values())

    def _forget_expired(self, now_ms: int) -> None:
        for sender in [s for s, w in self._senders.items() if w.latest_expiry_ms < now_ms]:
            del self._senders[sender]
