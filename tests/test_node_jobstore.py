"""The job database: states move only by the lifecycle's rules, everything survives a reopen
and a SIGKILLed writer, and no `seq` is ever handed out twice across restarts."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_harness import kill_writer_after
from node_writer import POSITIONS, job_id

from node.errors import JobStoreError
from node.jobstore import SEQ_BLOCK, JobStore
from protocol.errors import InvalidTransitionError
from protocol.lifecycle import JobEvent, JobState, TaskEvent, TaskState
from protocol.tree import JoinNode, StepNode

JOB = bytes(range(32))
ANNOUNCEMENT = b"the job announcement's signed bytes"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore(tmp_path / "jobs.sqlite3", now_ms=0) as store:
        store.add_job(JOB, ANNOUNCEMENT, 3, now_ms=10)
        yield store


def test_a_job_is_recorded_once_with_its_tasks_assigned(store: JobStore) -> None:
    assert not store.add_job(JOB, b"another announcement", 5, now_ms=11)
    record = store.job(JOB)
    assert (record.id, record.announcement, record.state) == (JOB, ANNOUNCEMENT, JobState.ANNOUNCED)
    assert (record.created_ms, record.updated_ms) == (10, 10)
    assert store.tasks(JOB) == dict.fromkeys((1, 2, 3), TaskState.ASSIGNED)
    assert store.jobs() == [record]


@pytest.mark.parametrize("positions", [0, 1025])
def test_a_job_has_1_to_1024_positions(store: JobStore, positions: int) -> None:
    with pytest.raises(JobStoreError, match=f"1 to 1024 positions, not {positions}"):
        store.add_job(bytes(32), ANNOUNCEMENT, positions, now_ms=10)
    assert [record.id for record in store.jobs()] == [JOB]


def test_job_states_follow_the_lifecycle(store: JobStore) -> None:
    assert store.advance_job(JOB, JobEvent.CLAIM_WINDOW_CLOSED, now_ms=20) is JobState.PROVING
    assert store.advance_job(JOB, JobEvent.ROOT_NODE_READY, now_ms=30) is JobState.COMPRESSING
    assert store.advance_job(JOB, JobEvent.ROOT_PROOF_REJECTED, now_ms=40) is JobState.PROVING
    record = store.job(JOB)
    assert (record.state, record.created_ms, record.updated_ms) == (JobState.PROVING, 10, 40)


@pytest.mark.parametrize(
    ("events", "illegal"),
    [
        ((), JobEvent.ROOT_NODE_READY),
        ((JobEvent.CLAIM_WINDOW_CLOSED,), JobEvent.CLAIM_WINDOW_CLOSED),
        ((JobEvent.CANCEL,), JobEvent.EXPIRE),
        ((JobEvent.CLAIM_WINDOW_CLOSED, JobEvent.ROOT_NODE_READY), JobEvent.ROOT_NODE_READY),
    ],
)
def test_an_illegal_job_event_is_refused_and_changes_nothing(
    store: JobStore, events: tuple[JobEvent, ...], illegal: JobEvent
) -> None:
    for event in events:
        store.advance_job(JOB, event, now_ms=20)
    before = store.job(JOB)
    with pytest.raises(InvalidTransitionError, match=f"event {illegal.value!r} is not allowed"):
        store.advance_job(JOB, illegal, now_ms=99)
    assert store.job(JOB) == before


def test_task_states_follow_the_lifecycle_per_position(store: JobStore) -> None:
    assert store.advance_task(JOB, 2, TaskEvent.CLAIM, now_ms=20) is TaskState.CLAIMED
    assert store.advance_task(JOB, 2, TaskEvent.DEADLINE_MISSED, now_ms=30) is TaskState.FAILED
    assert store.advance_task(JOB, 2, TaskEvent.REASSIGN, now_ms=40) is TaskState.ASSIGNED
    with pytest.raises(InvalidTransitionError, match="'verify_ok' is not allowed"):
        store.advance_task(JOB, 1, TaskEvent.VERIFY_OK, now_ms=50)
    assert store.tasks(JOB) == {1: TaskState.ASSIGNED, 2: TaskState.ASSIGNED, 3: TaskState.ASSIGNED}
    for event in (TaskEvent.CLAIM, TaskEvent.DELIVER, TaskEvent.VERIFY_OK):
        store.advance_task(JOB, 3, event, now_ms=60)
    with pytest.raises(InvalidTransitionError):
        store.advance_task(JOB, 3, TaskEvent.REASSIGN, now_ms=70)
    assert store.tasks(JOB)[3] is TaskState.ACCEPTED


def test_unknown_jobs_and_positions_are_named(store: JobStore) -> None:
    with pytest.raises(JobStoreError, match=f"no job {bytes(32).hex()}"):
        store.advance_job(bytes(32), JobEvent.CANCEL, now_ms=1)
    with pytest.raises(JobStoreError, match="has no position 4"):
        store.advance_task(JOB, 4, TaskEvent.CLAIM, now_ms=1)


def test_finished_nodes_are_kept_by_place(store: JobStore) -> None:
    # A step node and a join node over the same range are different places.
    places = [StepNode(0, 0, 1), StepNode(0, 1, 3), JoinNode(0, 1, 3)]
    for i, place in enumerate(places):
        store.record_node(JOB, place, bytes([i]) * 32)
    assert store.finished_nodes(JOB) == {p: bytes([i]) * 32 for i, p in enumerate(places)}
    assert store.finished_nodes(bytes(32)) == {}
    with pytest.raises(sqlite3.IntegrityError):
        store.record_node(bytes(32), StepNode(0, 0, 1), bytes(32))


def test_received_nodes_are_kept_by_range(store: JobStore) -> None:
    store.record_received(JOB, 4, 8, bytes([1]) * 32)
    store.record_received(JOB, 8, 16, bytes([2]) * 32)
    assert store.received_nodes(JOB) == {(4, 8): bytes([1]) * 32, (8, 16): bytes([2]) * 32}
    with pytest.raises(sqlite3.IntegrityError):
        store.record_received(JOB, 8, 8, bytes(32))


def test_a_job_s_history_is_replayed_in_order(tmp_path: Path, store: JobStore) -> None:
    store.add_event(JOB, 30, message=b"a claim")
    store.add_event(JOB, 20, timeout=2)
    store.add_event(JOB, 40, message=b"a rejection")
    expected = [(30, b"a claim", None), (20, None, 2), (40, b"a rejection", None)]
    assert store.events(JOB) == expected
    with pytest.raises(JobStoreError):
        store.add_event(JOB, 50)
    with pytest.raises(JobStoreError):
        store.add_event(JOB, 50, message=b"x", timeout=1)
    store.close()
    with JobStore(tmp_path / "jobs.sqlite3", now_ms=0) as reopened:
        assert reopened.events(JOB) == expected
        assert reopened.events(bytes(32)) == []


def test_everything_survives_a_reopen(tmp_path: Path, store: JobStore) -> None:
    store.advance_job(JOB, JobEvent.CLAIM_WINDOW_CLOSED, now_ms=20)
    store.advance_task(JOB, 1, TaskEvent.CLAIM, now_ms=20)
    store.record_node(JOB, StepNode(0, 0, 1), bytes(32))
    jobs, tasks, nodes = store.jobs(), store.tasks(JOB), store.finished_nodes(JOB)
    store.close()
    with JobStore(tmp_path / "jobs.sqlite3", now_ms=0) as reopened:
        assert (reopened.jobs(), reopened.tasks(JOB)) == (jobs, tasks)
        assert reopened.finished_nodes(JOB) == nodes


def test_seq_is_never_reused_across_restarts_even_when_the_clock_goes_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite3"
    issued: list[int] = []
    for now_ms in (5_000, 0, 4_000, 0):
        with JobStore(path, now_ms=now_ms) as store:
            issued += [store.next_seq() for _ in range(SEQ_BLOCK + 3)]
    assert issued == sorted(set(issued))
    assert issued[0] == 5_000


def test_seq_starts_from_the_clock_when_it_is_ahead(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    with JobStore(path, now_ms=0) as store:
        assert [store.next_seq() for _ in range(3)] == [0, 1, 2]
    with JobStore(path, now_ms=1_700_000_000_000) as store:
        assert store.next_seq() == 1_700_000_000_000


def test_a_sigkilled_writer_leaves_a_consistent_database(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    lines = kill_writer_after("jobs", path, 25)
    committed = [tuple(map(int, line.split())) for line in lines]
    with contextlib.closing(sqlite3.connect(path)) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with JobStore(path, now_ms=0) as store:
        jobs = store.jobs()
        assert len(jobs) >= len(committed)
        for record in jobs:
            assert len(store.tasks(record.id)) == POSITIONS
        for round_, _ in committed:
            job = job_id(round_)
            assert store.job(job).state is JobState.PROVING
            assert store.tasks(job)[1] is TaskState.CLAIMED
            assert store.finished_nodes(job) == {StepNode(0, 0, 1): bytes(32)}
        assert store.next_seq() > max(seq for _, seq in committed)


def test_a_file_that_is_not_a_job_database_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(JobStoreError, match=r"not a usable job database .* move it away"):
        JobStore(path, now_ms=0)


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    JobStore(path, now_ms=0).close()
    with contextlib.closing(sqlite3.connect(path)) as database, database:
        database.execute("UPDATE meta SET value = 2 WHERE key = 'schema'")
    with pytest.raises(JobStoreError, match="schema version 2, this node reads only 1"):
        JobStore(path, now_ms=0)
