"""A job's progress as a stream of events, for progress bars and logs.

The requester's node already follows the job's topic (claims, heartbeats, merge results,
rejections, the root proof); `follow` turns what its `JobRunner` has seen into events by
comparing snapshots, so nothing here touches the network and a consumer that falls behind
skips straight to the current state (counts, not a replay of every heartbeat).

The tree has one level of leaves — each position proves its range of steps — and then
``levels`` levels of merges; position 1 compresses the root once the last merge is in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final, TypeAlias

import trio

from node.job import JobRunner
from protocol.assignment import Merge
from protocol.lifecycle import TERMINAL_JOB_STATES, JobState

POLL_S: Final = 0.2
"""How often `follow` compares the runner's view with the last one."""


@dataclass(frozen=True)
class PositionPlan:
    """A position of the assignment: who proves which steps [start, end)."""

    index: int
    worker: bytes
    start: int
    end: int


@dataclass(frozen=True)
class Assigned:
    """The job is announced: its positions, and its merges per level (level 1 first)."""

    job: bytes
    positions: tuple[PositionPlan, ...]
    merges_per_level: tuple[int, ...]


@dataclass(frozen=True)
class Claimed:
    """A position's worker fetched the job's inputs and started proving."""

    position: int
    worker: bytes


@dataclass(frozen=True)
class LeafProgress:
    """Steps proven so far in a position's range (``done == total``: its leaf is done)."""

    position: int
    done: int
    total: int


@dataclass(frozen=True)
class MergeDone:
    """A merge at ``level`` is done (a receiver verified and folded its sender's subtree)."""

    level: int
    receiver: int
    sender: int
    done_at_level: int
    total_at_level: int


@dataclass(frozen=True)
class Reassigned:
    """A position moved to another worker (a timeout, or a judged rejection)."""

    position: int
    worker: bytes


@dataclass(frozen=True)
class Compressing:
    """Every merge is in: position 1 compresses the root into the final proof."""


@dataclass(frozen=True)
class Finished:
    """The job ended: ``state`` is complete (a verified root proof), cancelled, expired or
    failed, with the reason the requester's node recorded."""

    state: JobState
    reason: str


Event: TypeAlias = (
    Assigned | Claimed | LeafProgress | MergeDone | Reassigned | Compressing | Finished
)


@dataclass(frozen=True)
class _Snapshot:
    owners: tuple[bytes, ...]
    claims: frozenset[int]
    done: tuple[int, ...]
    merges: frozenset[tuple[int, int, int]]
    root: bool
    state: JobState


def assigned(runner: JobRunner) -> Assigned:
    """The job's plan as the requester announced it."""
    assignment = runner.progress.assignment
    levels = max((m.level for m in assignment.merges), default=0)
    return Assigned(
        runner.job,
        tuple(PositionPlan(p.index, p.peer, p.start, p.end) for p in assignment.positions),
        tuple(sum(1 for m in assignment.merges if m.level == lv) for lv in range(1, levels + 1)),
    )


async def follow(runner: JobRunner) -> AsyncIterator[Event]:
    """The job's events from now until it ends (`Finished` last); starts with `Assigned` and
    the progress already made."""
    yield assigned(runner)
    before = _snapshot_of_nothing(runner)
    while True:
        now = _snapshot(runner)
        for event in _changes(runner, before, now):
            yield event
        if now.state in TERMINAL_JOB_STATES:
            return
        before = now
        with trio.move_on_after(POLL_S):
            await runner.ended.wait()


def _snapshot(runner: JobRunner) -> _Snapshot:
    progress = runner.progress
    positions = progress.assignment.positions
    return _Snapshot(
        owners=tuple(p.peer for p in positions),
        claims=frozenset(progress.claims),
        done=tuple(_steps_done(runner, p.index, p.end - p.start) for p in positions),
        merges=frozenset(progress.merges),
        root=progress.root is not None,
        state=runner.state,
    )


def _steps_done(runner: JobRunner, index: int, total: int) -> int:
    """Steps proven in position ``index``'s range: its owner's last heartbeat, or all of them
    once a merge shows its range proven (heartbeats stop when a worker's part is delivered)."""
    progress = runner.progress
    if progress.root is not None or runner.state is JobState.COMPLETE:
        return total
    for merge in progress.assignment.merges:
        if index in (merge.sender, merge.receiver) and _span(merge) in progress.merges:
            return total
    return min(runner.done_steps.get(index, 0), total)


def _span(merge: Merge) -> tuple[int, int, int]:
    """How `JobProgress.merges` keys a merge result."""
    return merge.start, merge.mid, merge.end


def _snapshot_of_nothing(runner: JobRunner) -> _Snapshot:
    positions = runner.progress.assignment.positions
    return _Snapshot(
        owners=tuple(p.peer for p in positions),
        claims=frozenset(),
        done=(0,) * len(positions),
        merges=frozenset(),
        root=False,
        state=JobState.ANNOUNCED,
    )


def _changes(runner: JobRunner, before: _Snapshot, now: _Snapshot) -> list[Event]:
    assignment = runner.progress.assignment
    events: list[Event] = []
    for position in assignment.positions:
        i = position.index - 1
        if now.owners[i] != before.owners[i]:
            events.append(Reassigned(position.index, now.owners[i]))
        if position.index in now.claims and position.index not in before.claims:
            events.append(Claimed(position.index, now.owners[i]))
        if now.done[i] != before.done[i]:
            events.append(LeafProgress(position.index, now.done[i], position.end - position.start))
    for merge in sorted(assignment.merges, key=lambda m: (m.level, m.receiver)):
        if _span(merge) in now.merges and _span(merge) not in before.merges:
            at_level = [m for m in assignment.merges if m.level == merge.level]
            done = sum(1 for m in at_level if _span(m) in now.merges)
            events.append(MergeDone(merge.level, merge.receiver, merge.sender, done, len(at_level)))
    if _compressing(runner, now) and not _compressing(runner, before):
        events.append(Compressing())
    if now.state in TERMINAL_JOB_STATES and now.state != before.state:
        events.append(Finished(now.state, runner.ended_why))
    return events


def _compressing(runner: JobRunner, snapshot: _Snapshot) -> bool:
    """Position 1 holds the whole tree's node and the root proof is not out yet."""
    assignment = runner.progress.assignment
    first = assignment.positions[0]
    return (
        len(snapshot.merges) == len(assignment.merges)
        and snapshot.done[0] == first.end - first.start
        and not snapshot.root
        and snapshot.state not in TERMINAL_JOB_STATES
    )
