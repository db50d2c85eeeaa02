"""The job and task state machines: the listed transitions work, every other pair raises."""

from __future__ import annotations

import itertools

import pytest

from protocol.errors import InvalidTransitionError
from protocol.lifecycle import (
    JOB_TRANSITIONS,
    TASK_TRANSITIONS,
    TERMINAL_JOB_STATES,
    JobEvent,
    JobState,
    TaskEvent,
    TaskState,
    job_transition,
    task_transition,
)


def test_every_job_state_event_pair_is_allowed_or_rejected() -> None:
    allowed = 0
    for state, event in itertools.product(JobState, JobEvent):
        if (state, event) in JOB_TRANSITIONS:
            assert job_transition(state, event) == JOB_TRANSITIONS[state, event]
            allowed += 1
        else:
            with pytest.raises(InvalidTransitionError):
                job_transition(state, event)
    assert allowed == len(JOB_TRANSITIONS) == 13


def test_every_task_state_event_pair_is_allowed_or_rejected() -> None:
    allowed = 0
    for state, event in itertools.product(TaskState, TaskEvent):
        if (state, event) in TASK_TRANSITIONS:
            assert task_transition(state, event) == TASK_TRANSITIONS[state, event]
            allowed += 1
        else:
            with pytest.raises(InvalidTransitionError):
                task_transition(state, event)
    assert allowed == len(TASK_TRANSITIONS) == 10


def test_terminal_job_states_have_no_way_out() -> None:
    for state in TERMINAL_JOB_STATES:
        for event in JobEvent:
            with pytest.raises(InvalidTransitionError):
                job_transition(state, event)
    assert {s for s, _ in JOB_TRANSITIONS} == set(JobState) - TERMINAL_JOB_STATES


def test_a_job_from_announcement_to_root_proof() -> None:
    state = JobState.ANNOUNCED
    for event in (
        JobEvent.CLAIM_WINDOW_CLOSED,
        JobEvent.ROOT_NODE_READY,
        JobEvent.ROOT_PROOF_REJECTED,
        JobEvent.ROOT_NODE_READY,
        JobEvent.ROOT_PROOF_VERIFIED,
    ):
        state = job_transition(state, event)
    assert state is JobState.COMPLETE


def test_a_straggling_task_is_hedged_fails_and_is_reassigned() -> None:
    state = TaskState.ASSIGNED
    for event in (
        TaskEvent.CLAIM,
        TaskEvent.HEDGE_DUE,
        TaskEvent.DELIVER,
        TaskEvent.VERIFY_FAIL,
        TaskEvent.REASSIGN,
        TaskEvent.CLAIM,
        TaskEvent.DELIVER,
        TaskEvent.VERIFY_OK,
    ):
        state = task_transition(state, event)
    assert state is TaskState.ACCEPTED
    with pytest.raises(
        InvalidTransitionError, match="'deliver' is not allowed in state 'accepted'"
    ):
        task_transition(state, TaskEvent.DELIVER)
