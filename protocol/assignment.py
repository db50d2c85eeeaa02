"""Deterministic assignment of a job's steps to workers, and the merge routing (SPEC.md §6).

Every peer computes the same assignment from the signed job announcement alone:

1. rank the listed workers by SHA-256("novanode/v1/rank" 0x00 || job id || peer key), ascending;
2. split the N steps by capacity with the largest-remainder method (each worker's share is the
   floor or the ceiling of N·c_i/C, leftover steps go to the largest remainders, ties to the
   better rank), so every share is within one step of proportional;
3. workers with a share of zero are standbys; the others, in rank order, are positions 1..A and
   prove contiguous step ranges in that order;
4. merges pair positions level by level: at level l the positions 1, 1+2^(l-1), 1+2·2^(l-1), ...
   take part and the 2k-th of them sends its node to the (2k-1)-th, which merges; an unpaired
   last one waits for the next level. Position 1 ends with [0, N) and makes the root proof.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from protocol.errors import AssignmentError
from protocol.limits import MAX_STEPS, MAX_WORKERS, PROTOCOL_VERSION
from protocol.messages import JobAnnouncement, SignedMessage, WorkerEntry
from protocol.signing import job_id

_RANK_DOMAIN = f"novanode/v{PROTOCOL_VERSION}/rank".encode("ascii") + b"\x00"


@dataclass(frozen=True)
class Position:
    """A worker's place in the job: a 1-based index and the step range [start, end) it proves."""

    index: int
    peer: bytes
    constraints_per_second: int
    start: int
    end: int


@dataclass(frozen=True)
class Merge:
    """At ``level``, position ``sender`` sends its node [mid, end) to ``receiver``, which holds
    [start, mid) and builds from them the join node [start, end) (`protocol.tree.JoinNode`)."""

    level: int
    receiver: int
    sender: int
    start: int
    mid: int
    end: int


@dataclass(frozen=True)
class Assignment:
    """Who proves what and who merges with whom, for one job."""

    job: bytes
    steps: int
    positions: tuple[Position, ...]
    standbys: tuple[WorkerEntry, ...]
    merges: tuple[Merge, ...]

    def position(self, index: int) -> Position:
        """The position with a 1-based index."""
        if not 1 <= index <= len(self.positions):
            raise AssignmentError("index", f"no position {index} among {len(self.positions)}")
        return self.positions[index - 1]

    def standby_order(self) -> tuple[bytes, ...]:
        """Who takes over a failed or straggling position: standbys, then positions, by rank."""
        return tuple(w.peer for w in self.standbys) + tuple(p.peer for p in self.positions)

    def next_standby(self, excluded: Iterable[bytes]) -> bytes:
        """The first peer in standby order not in ``excluded`` (failed peers, the current owner)."""
        skip = set(excluded)
        for peer in self.standby_order():
            if peer not in skip:
                return peer
        raise AssignmentError("workers", "every listed worker is excluded; the job cannot go on")

    def outgoing(self, index: int) -> Merge | None:
        """The merge to which position ``index`` sends its node, or None for the root position."""
        return next((m for m in self.merges if m.sender == index), None)

    def incoming(self, index: int) -> tuple[Merge, ...]:
        """The merges position ``index`` performs, in level order."""
        return tuple(m for m in self.merges if m.receiver == index)


def rank_key(job: bytes, peer: bytes) -> bytes:
    """The sort key of a worker for a job; unpredictable before the job id is fixed."""
    return hashlib.sha256(_RANK_DOMAIN + job + peer).digest()


def rank(job: bytes, workers: Iterable[WorkerEntry]) -> tuple[WorkerEntry, ...]:
    """Workers in rank order for a job, whatever order they are given in."""
    ordered = sorted(workers, key=lambda w: rank_key(job, w.peer))
    for a, b in itertools.pairwise(ordered):
        if a.peer == b.peer:
            raise AssignmentError("workers", "a worker is listed twice")
    return tuple(ordered)


def apportion(steps: int, capacities: tuple[int, ...]) -> tuple[int, ...]:
    """Largest-remainder split of ``steps`` in proportion to ``capacities``; ties go to the
    earlier (better-ranked) worker."""
    if not 1 <= steps <= MAX_STEPS:
        raise AssignmentError("steps", f"{steps} is outside [1, {MAX_STEPS}]")
    if not 1 <= len(capacities) <= MAX_WORKERS or min(capacities) < 1:
        raise AssignmentError("workers", f"need 1 to {MAX_WORKERS} workers of positive capacity")
    total = sum(capacities)
    shares = [steps * c // total for c in capacities]
    remainders = [steps * c % total for c in capacities]
    leftover = steps - sum(shares)
    by_remainder = sorted(range(len(capacities)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return tuple(shares)


def merge_plan(count: int, bounds: tuple[int, ...]) -> tuple[Merge, ...]:
    """The merges of ``count`` positions whose ranges are [bounds[i], bounds[i+1]), in order."""
    merges = []
    level, group = 1, 1
    while group < count:
        for receiver in range(1, count + 1, 2 * group):
            sender = receiver + group
            if sender > count:
                continue
            last = min(sender + group - 1, count)
            merges.append(
                Merge(
                    level, receiver, sender, bounds[receiver - 1], bounds[sender - 1], bounds[last]
                )
            )
        level, group = level + 1, 2 * group
    return tuple(merges)


def assign(job: bytes, steps: int, workers: Iterable[WorkerEntry]) -> Assignment:
    """The assignment of a job with id ``job`` over ``steps`` steps to the listed workers."""
    ranked = rank(job, workers)
    shares = apportion(steps, tuple(w.constraints_per_second for w in ranked))
    active = [(w, s) for w, s in zip(ranked, shares, strict=True) if s > 0]
    standbys = tuple(w for w, s in zip(ranked, shares, strict=True) if s == 0)
    bounds = [0]
    for _, share in active:
        bounds.append(bounds[-1] + share)
    positions = tuple(
        Position(i + 1, w.peer, w.constraints_per_second, bounds[i], bounds[i + 1])
        for i, (w, _) in enumerate(active)
    )
    return Assignment(job, steps, positions, standbys, merge_plan(len(positions), tuple(bounds)))


def assignment_of(announcement: SignedMessage) -> Assignment:
    """The assignment fixed by a signed job announcement."""
    body = announcement.body
    if not isinstance(body, JobAnnouncement):
        raise AssignmentError("type", f"expected a job announcement, got {announcement.type}")
    return assign(job_id(announcement), body.steps, body.workers)


def replace(assignment: Assignment, index: int, peer: bytes) -> Assignment:
    """The assignment after listed worker ``peer`` takes over position ``index``: its range and
    its merges. Only that position changes owner; every other range, merge and node stays.
    """
    old = assignment.position(index)
    listed = {w.peer: w.constraints_per_second for w in assignment.standbys}
    listed.update({p.peer: p.constraints_per_second for p in assignment.positions})
    if peer not in listed:
        raise AssignmentError("peer", "only a worker listed in the job can take over a position")
    new = Position(old.index, peer, listed[peer], old.start, old.end)
    positions = tuple(new if p.index == index else p for p in assignment.positions)
    return Assignment(
        assignment.job, assignment.steps, positions, assignment.standbys, assignment.merges
    )
