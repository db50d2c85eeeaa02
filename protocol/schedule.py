"""Deadlines derived from announced throughput, and when to hedge a straggler (SPEC.md §6.6).

All times are integer milliseconds since the Unix epoch, passed in by the caller. Work is counted
in proofs of tree nodes (SPEC.md §7): a position proves one step node per step, a receiver one
join per merge. A position is given twice its expected work time plus a fixed network allowance
per hop; at one and a half times its expected work, with no delivery yet, the next standby
starts the same range as a hedge and the first valid node wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from protocol.assignment import Assignment
from protocol.errors import OutOfRangeError

CLAIM_WINDOW_MS: Final = 30_000
NETWORK_ALLOWANCE_MS: Final = 10_000
DEADLINE_FACTOR: Final = (2, 1)
HEDGE_FACTOR: Final = (3, 2)
# Every tree node is one proof of each augmented circuit (SPEC.md §7.1), which costs the step
# circuit's own constraints plus this many: the two augmented circuits' verifier parts, as
# recorded (25,927 in P besides the step circuit, 21,440 in S), rounded up to the next 1,000.
STEP_OVERHEAD_CONSTRAINTS: Final = 48_000
# Cost of one join (its proof plus verifying the received node) and of the final compression,
# in step-node (leaf) proofs, rounded up from the measured ratios (benchmarks/tree.py and
# benchmarks/snark.py, F of 2^10: join + verify ≈ 3.2 leaves, compression ≈ 6.7 leaves).
MERGE_COST_STEPS: Final = 4
COMPRESS_COST_STEPS: Final = 8


@dataclass(frozen=True)
class Deadlines:
    """Per position (index i at [i-1]): when to hedge its range, when the node of its range (the
    root of its step nodes) must be done, and when its final node must reach its receiver; then
    when the root proof is due."""

    claim_by: int
    hedge_at: tuple[int, ...]
    leaf_by: tuple[int, ...]
    deliver_by: tuple[int, ...]
    root_by: int


def work_ms(steps: int, constraints_per_step: int, constraints_per_second: int) -> int:
    """Expected time to prove ``steps`` step nodes at the announced throughput, rounded up; each
    proves the step circuit's constraints and the augmented circuits' overhead."""
    if steps < 0 or constraints_per_step < 1 or constraints_per_second < 1:
        raise OutOfRangeError("work", "steps ≥ 0 and positive costs and throughput are required")
    per_node = constraints_per_step + STEP_OVERHEAD_CONSTRAINTS
    return -(-steps * per_node * 1000 // constraints_per_second)


def _scaled(ms: int, factor: tuple[int, int]) -> int:
    return -(-ms * factor[0] // factor[1])


def range_deadlines(
    begin_ms: int, steps: int, constraints_per_step: int, constraints_per_second: int
) -> tuple[int, int]:
    """(hedge_at, due_by) for proving ``steps`` steps that start at ``begin_ms``; also used when
    a range is reassigned or hedged, from the time of that decision."""
    work = work_ms(steps, constraints_per_step, constraints_per_second)
    return begin_ms + _scaled(work, HEDGE_FACTOR), (
        begin_ms + _scaled(work, DEADLINE_FACTOR) + NETWORK_ALLOWANCE_MS
    )


def deadlines(
    assignment: Assignment,
    constraints_per_step: int,
    start_ms: int,
    restarts: Mapping[int, int] | None = None,
) -> Deadlines:
    """The deadlines of a job whose clock starts at ``start_ms``.

    ``restarts`` maps each reassigned position to the time it passed to its current owner
    (SPEC §6.7): that position's range is due from then at its new owner's throughput, a sender
    to it re-delivers no earlier than one network hop after it, and every merge downstream of it
    moves accordingly. Without restarts these are the deadlines of the freshly announced job.
    """
    restarts = restarts or {}
    claim_by = start_ms + CLAIM_WINDOW_MS
    hedge_at, leaf_by = [], []
    for p in assignment.positions:
        hedge, due = range_deadlines(
            restarts.get(p.index, claim_by),
            p.end - p.start,
            constraints_per_step,
            p.constraints_per_second,
        )
        hedge_at.append(hedge)
        leaf_by.append(due)
    ready = list(leaf_by)
    deliver_by = list(leaf_by)
    for m in assignment.merges:
        receiver = assignment.position(m.receiver)
        merge = work_ms(MERGE_COST_STEPS, constraints_per_step, receiver.constraints_per_second)
        sent = max(ready[m.sender - 1], restarts.get(m.receiver, 0))
        deliver_by[m.sender - 1] = sent + NETWORK_ALLOWANCE_MS
        inputs_ready = max(ready[m.receiver - 1], deliver_by[m.sender - 1])
        ready[m.receiver - 1] = inputs_ready + _scaled(merge, DEADLINE_FACTOR)
    root = assignment.position(1)
    compress = work_ms(COMPRESS_COST_STEPS, constraints_per_step, root.constraints_per_second)
    root_by = ready[0] + _scaled(compress, DEADLINE_FACTOR) + NETWORK_ALLOWANCE_MS
    deliver_by[0] = root_by
    return Deadlines(claim_by, tuple(hedge_at), tuple(leaf_by), tuple(deliver_by), root_by)
