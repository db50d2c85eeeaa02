"""The job and task state machines (SPEC.md §8): every allowed transition is listed, any other
event raises `InvalidTransitionError`.

A *job* goes from announcement to a delivered root proof, or ends cancelled, expired or failed.
A *task* is one position's work (its range and its merges): claimed, possibly hedged, delivered,
verified, or failed and reassigned to the next standby.
"""

from __future__ import annotations

from enum import Enum
from typing import Final, TypeVar

from protocol.errors import InvalidTransitionError


class JobState(Enum):
    ANNOUNCED = "announced"
    PROVING = "proving"
    COMPRESSING = "compressing"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


class JobEvent(Enum):
    CLAIM_WINDOW_CLOSED = "claim_window_closed"
    ROOT_NODE_READY = "root_node_ready"
    ROOT_PROOF_VERIFIED = "root_proof_verified"
    ROOT_PROOF_REJECTED = "root_proof_rejected"
    CANCEL = "cancel"
    EXPIRE = "expire"
    STANDBYS_EXHAUSTED = "standbys_exhausted"


class TaskState(Enum):
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    HEDGED = "hedged"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    FAILED = "failed"


class TaskEvent(Enum):
    CLAIM = "claim"
    CLAIM_TIMEOUT = "claim_timeout"
    HEDGE_DUE = "hedge_due"
    DELIVER = "deliver"
    VERIFY_OK = "verify_ok"
    VERIFY_FAIL = "verify_fail"
    DEADLINE_MISSED = "deadline_missed"
    REASSIGN = "reassign"


_J, _E = JobState, JobEvent
JOB_TRANSITIONS: Final[dict[tuple[JobState, JobEvent], JobState]] = {
    (_J.ANNOUNCED, _E.CLAIM_WINDOW_CLOSED): _J.PROVING,
    (_J.ANNOUNCED, _E.CANCEL): _J.CANCELLED,
    (_J.ANNOUNCED, _E.EXPIRE): _J.EXPIRED,
    (_J.ANNOUNCED, _E.STANDBYS_EXHAUSTED): _J.FAILED,
    (_J.PROVING, _E.ROOT_NODE_READY): _J.COMPRESSING,
    (_J.PROVING, _E.CANCEL): _J.CANCELLED,
    (_J.PROVING, _E.EXPIRE): _J.EXPIRED,
    (_J.PROVING, _E.STANDBYS_EXHAUSTED): _J.FAILED,
    (_J.COMPRESSING, _E.ROOT_PROOF_VERIFIED): _J.COMPLETE,
    # A bad root proof sends the root position back to work under a new owner.
    (_J.COMPRESSING, _E.ROOT_PROOF_REJECTED): _J.PROVING,
    (_J.COMPRESSING, _E.CANCEL): _J.CANCELLED,
    (_J.COMPRESSING, _E.EXPIRE): _J.EXPIRED,
    (_J.COMPRESSING, _E.STANDBYS_EXHAUSTED): _J.FAILED,
}

_T, _V = TaskState, TaskEvent
TASK_TRANSITIONS: Final[dict[tuple[TaskState, TaskEvent], TaskState]] = {
    (_T.ASSIGNED, _V.CLAIM): _T.CLAIMED,
    (_T.ASSIGNED, _V.CLAIM_TIMEOUT): _T.FAILED,
    (_T.CLAIMED, _V.HEDGE_DUE): _T.HEDGED,
    (_T.CLAIMED, _V.DELIVER): _T.DELIVERED,
    (_T.CLAIMED, _V.DEADLINE_MISSED): _T.FAILED,
    (_T.HEDGED, _V.DELIVER): _T.DELIVERED,
    (_T.HEDGED, _V.DEADLINE_MISSED): _T.FAILED,
    (_T.DELIVERED, _V.VERIFY_OK): _T.ACCEPTED,
    (_T.DELIVERED, _V.VERIFY_FAIL): _T.FAILED,
    (_T.FAILED, _V.REASSIGN): _T.ASSIGNED,
}

TERMINAL_JOB_STATES: Final = frozenset(
    {JobState.COMPLETE, JobState.CANCELLED, JobState.EXPIRED, JobState.FAILED}
)

S = TypeVar("S", JobState, TaskState)
E = TypeVar("E", JobEvent, TaskEvent)


def _step(table: dict[tuple[S, E], S], state: S, event: E) -> S:
    target = table.get((state, event))
    if target is None:
        raise InvalidTransitionError(
            "state", f"event {event.value!r} is not allowed in state {state.value!r}"
        )
    return target


def job_transition(state: JobState, event: JobEvent) -> JobState:
    """The job state after ``event``; raises for an event the state does not allow."""
    return _step(JOB_TRANSITIONS, state, event)


def task_transition(state: TaskState, event: TaskEvent) -> TaskState:
    """The task state after ``event``; raises for an event the state does not allow."""
    return _step(TASK_TRANSITIONS, state, event)
