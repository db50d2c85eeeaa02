"""A job as every peer that follows it sees it: who owns each position now, which positions are
claimed, which peers failed, and when each position is due (SPEC.md §6.6–§8.2).

Pure: the node feeds in the job's messages — decoded, signature- and replay-checked — with the
time each arrived, and asks what is overdue at a given time. Ownership changes only on events
every follower observes alike or can check from signed evidence:

* a position with no claim from its owner by its claim deadline passes to its successor, decided
  by every peer at that deadline (`unclaimed`, `reassign`);
* a rejection passes the accused position to its successor only when it comes from the peer
  entitled to judge that position's work (`judge_of`): the owner of the position that receives
  its node, or the requester for position 1, whose node is the root proof. Rejections from
  anyone else are information (they lower the offender's score) but move nothing, so no peer can
  evict a worker whose node it never had to accept.

Each reassignment restarts that position's deadlines and moves those downstream of it
(`schedule.deadlines` with restarts), so a parent is not blamed for waiting on a replaced child.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol import rules, schedule
from protocol.assignment import Assignment, Merge, Position, assignment_of, replace
from protocol.errors import AssignmentError, ProtocolError, RuleViolationError
from protocol.messages import (
    ClaimAck,
    FoldDelivery,
    Heartbeat,
    JobAnnouncement,
    MergeResult,
    Rejection,
    RootProof,
    SignedMessage,
)
from protocol.schedule import CLAIM_WINDOW_MS
from protocol.signing import job_id


class StandbysExhaustedError(ProtocolError):
    """A position failed and every listed worker has failed too: the job cannot go on."""


@dataclass(frozen=True)
class Reassignment:
    """Position ``index`` passed from ``offender`` to ``successor`` at ``at_ms``."""

    index: int
    offender: bytes
    successor: bytes
    at_ms: int


Commitment = tuple[bytes, str, int, int]
"""(sender, message type, start, end): what one sender may say only once per job (§5.7 reason 5)."""


class JobProgress:
    """The shared view of one job, built from its signed announcement."""

    def __init__(self, announcement: SignedMessage) -> None:
        body = announcement.body
        if not isinstance(body, JobAnnouncement):
            raise RuleViolationError(
                "type", f"expected a job announcement, got {announcement.type}"
            )
        self.announcement = announcement
        self.body: JobAnnouncement = body
        self.job = job_id(announcement)
        self.requester = announcement.sender
        self.assignment: Assignment = assignment_of(announcement)
        self.listed = frozenset(w.peer for w in body.workers)
        self.failed: set[bytes] = set()
        self.restarts: dict[int, int] = {}
        self.claims: dict[int, SignedMessage] = {}
        self.merges: dict[tuple[int, int, int], SignedMessage] = {}
        self.root: SignedMessage | None = None
        self._commitments: dict[Commitment, SignedMessage] = {}
        self.deadlines = schedule.deadlines(
            self.assignment, body.constraints_per_step, body.start_ms
        )

    # Who does what

    @property
    def owners(self) -> dict[int, bytes]:
        """Position index → its current owner."""
        return {p.index: p.peer for p in self.assignment.positions}

    def owner(self, index: int) -> bytes:
        """The current owner of position ``index``."""
        return self.assignment.position(index).peer

    def positions_of(self, peer: bytes) -> tuple[Position, ...]:
        """The positions ``peer`` owns now (more than one after it took over another's)."""
        return tuple(p for p in self.assignment.positions if p.peer == peer)

    def is_participant(self, peer: bytes) -> bool:
        """Whether ``peer`` may speak on this job's topic at all: the requester or a listed
        worker (what a gossip validator can check without knowing the latest reassignments)."""
        return peer == self.requester or peer in self.listed

    def judge_of(self, index: int) -> bytes:
        """Who decides whether position ``index`` delivered valid work in time: the owner of
        the position that receives its node, or the requester for position 1 (the root)."""
        outgoing = self.assignment.outgoing(index)
        return self.requester if outgoing is None else self.owner(outgoing.receiver)

    # Deadlines

    def claim_due(self, index: int) -> int:
        """When position ``index``'s current owner must have claimed it."""
        restart = self.restarts.get(index)
        return self.deadlines.claim_by if restart is None else restart + CLAIM_WINDOW_MS

    def due(self, index: int) -> int:
        """When position ``index``'s node must have reached its receiver (for position 1: when
        the root proof is due)."""
        return self.deadlines.deliver_by[index - 1]

    def unclaimed(self, now_ms: int) -> list[int]:
        """Positions whose claim deadline passed with no claim from their current owner."""
        return [
            p.index
            for p in self.assignment.positions
            if p.index not in self.claims and self.claim_due(p.index) < now_ms
        ]

    # Messages

    def on_claim(self, message: SignedMessage) -> Position:
        """Records a claim from a position's current owner (`rules.check_claim`)."""
        position = rules.check_claim(message, self.assignment, self.owners)
        self.claims[position.index] = message
        return position

    def on_heartbeat(self, message: SignedMessage) -> Position:
        """Checks a heartbeat's sender and range; heartbeats decide nothing (§5.9)."""
        return rules.check_heartbeat(message, self.assignment, self.owners)

    def on_merge(self, message: SignedMessage) -> Merge:
        """Records a merge result from the receiving position's owner."""
        merge = rules.check_merge_result(message, self.assignment, self.owners)
        self.merges[merge.start, merge.mid, merge.end] = message
        return merge

    def on_root(self, message: SignedMessage) -> None:
        """Records a root proof from position 1's owner (its validity is checked by whoever
        verifies it; the requester judges it)."""
        rules.check_root_proof(message, self.assignment, self.owners)
        self.root = message

    def commit(self, message: SignedMessage) -> SignedMessage | None:
        """Remembers a commitment (fold delivery, merge result, root proof); returns the
        earlier, different one from the same sender for the same range if there is one: an
        equivocation (reason 5), else None."""
        body = message.body
        if not isinstance(body, FoldDelivery | MergeResult | RootProof):
            return None
        start, end = (0, 0) if isinstance(body, RootProof) else (body.start, body.end)
        key = (message.sender, message.type, start, end)
        earlier = self._commitments.setdefault(key, message)
        return earlier if rules.is_equivocation(earlier, message) else None

    def accused_position(self, evidence: SignedMessage) -> int | None:
        """The position an offending message speaks for, if it speaks for one."""
        body = evidence.body
        if isinstance(body, ClaimAck | Heartbeat):
            for p in self.assignment.positions:
                if (p.start, p.end) == (body.start, body.end):
                    return p.index
        elif isinstance(body, FoldDelivery):
            for m in self.assignment.merges:
                if (m.mid, m.end) == (body.start, body.end):
                    return m.sender
        elif isinstance(body, MergeResult):
            for m in self.assignment.merges:
                if (m.start, m.mid, m.end) == (body.start, body.mid, body.end):
                    return m.receiver
        elif isinstance(body, RootProof):
            return 1
        return None

    def on_rejection(self, message: SignedMessage, now_ms: int) -> Reassignment | None:
        """Applies a rejection: if its evidence is valid and it comes from the judge of the
        accused position, which the offender still owns, that position passes to its
        successor. Returns the reassignment, or None if the rejection moves nothing."""
        body = message.body
        if not isinstance(body, Rejection):
            raise RuleViolationError("type", f"expected a rejection, got {message.type}")
        evidence = rules.check_rejection(body)
        index = self.accused_position(evidence)
        if index is None or self.owner(index) != body.offender:
            return None
        if message.sender != self.judge_of(index):
            return None
        return self.reassign(index, now_ms)

    def reassign(self, index: int, now_ms: int) -> Reassignment:
        """Passes position ``index`` to its successor (§6.7): the first peer in standby order
        that has not failed in this job; its deadlines restart at ``now_ms``."""
        offender = self.owner(index)
        self.failed.add(offender)
        try:
            successor = self.assignment.next_standby(self.failed)
        except AssignmentError:
            raise StandbysExhaustedError(
                "workers", f"position {index} failed and no listed worker is left to take it"
            ) from None
        self.assignment = replace(self.assignment, index, successor)
        self.restarts[index] = now_ms
        self.claims.pop(index, None)
        if index == 1:
            self.root = None  # the failed owner's root proof, if any, no longer counts
        self.deadlines = schedule.deadlines(
            self.assignment, self.body.constraints_per_step, self.body.start_ms, self.restarts
        )
        return Reassignment(index, offender, successor, now_ms)
