"""The node's job database: job and task states, finished nodes and its own `seq`, in SQLite.

A node killed at any instant and restarted must resume its jobs without proving again what it
had finished, and without signing two messages with one `seq` (SPEC.md §4.3). So:

* every change is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) in a write-ahead log with
  ``synchronous=FULL``: a SIGKILL or a power cut leaves the database as of the last commit, never
  half of one; a job and its positions' tasks are inserted together;
* states change only through `protocol.lifecycle`'s transitions, read and written in the same
  transaction, so an event the state machine does not allow raises `InvalidTransitionError` and
  changes nothing;
* a finished node is recorded by its place in the job's tree and its content address in the
  blob store (`node.blobstore`), after the blob is stored: a recorded node always has its blob;
* the node's own next `seq` is *reserved before use*: `next_seq` hands out numbers below a
  persisted high-water mark and commits a new mark, `SEQ_BLOCK` higher, before it hands out the
  first number above the old one. A restart resumes from the persisted mark (or from the current
  time in milliseconds, if that is higher), skipping what was reserved but unused, so no number
  is ever issued twice, whatever the clock does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from node.errors import JobStoreError
from protocol.lifecycle import (
    JobEvent,
    JobState,
    TaskEvent,
    TaskState,
    job_transition,
    task_transition,
)
from protocol.limits import HASH_BYTES, MAX_SEQ, MAX_WORKERS
from protocol.tree import JoinNode, StepNode, TreeNode

SCHEMA_VERSION: Final = 1
SEQ_BLOCK: Final = 1024
"""How many sequence numbers one committed reservation covers (one fsync per block)."""


def _one_of(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS jobs (
    id BLOB PRIMARY KEY CHECK (length(id) = {HASH_BYTES}),
    announcement BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ({_one_of([s.value for s in JobState])})),
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS tasks (
    job BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    state TEXT NOT NULL CHECK (state IN ({_one_of([s.value for s in TaskState])})),
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (job, position)
) STRICT;
CREATE TABLE IF NOT EXISTS nodes (
    job BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('step', 'join')),
    start INTEGER NOT NULL,
    split INTEGER NOT NULL,
    end INTEGER NOT NULL,
    blob BLOB NOT NULL CHECK (length(blob) = {HASH_BYTES}),
    PRIMARY KEY (job, kind, start, split, end),
    CHECK (start <= split AND split <= end AND start < end)
) STRICT;
CREATE TABLE IF NOT EXISTS received (
    job BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    blob BLOB NOT NULL CHECK (length(blob) = {HASH_BYTES}),
    PRIMARY KEY (job, start, end),
    CHECK (start < end)
) STRICT;
CREATE TABLE IF NOT EXISTS events (
    job BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    message BLOB,
    timeout INTEGER CHECK (timeout >= 1),
    PRIMARY KEY (job, n),
    CHECK ((message IS NULL) != (timeout IS NULL))
) STRICT
"""


@dataclass(frozen=True)
class JobRecord:
    """A job as the database holds it."""

    id: bytes
    announcement: bytes
    state: JobState
    created_ms: int
    updated_ms: int


class JobStore:
    """The job database at ``path`` (created if absent); ``now_ms`` seeds the `seq` counter."""

    def __init__(self, path: Path, now_ms: int) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise JobStoreError(f"cannot open the job database {path}: {error}") from None
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    self._db.execute(statement)
                self._check_version()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise JobStoreError(
                f"{path} is not a usable job database ({error}); move it away to start afresh "
                "(the node then forgets its jobs)"
            ) from None
        reserved = self._meta("seq_reserved")
        self._next_seq = self._seq_limit = max(reserved or 0, now_ms)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Jobs and tasks

    def add_job(self, job_id: bytes, announcement: bytes, positions: int, now_ms: int) -> bool:
        """Records an announced job and its positions' tasks, all ``assigned``; False (and no
        change) if the job is already recorded."""
        if not 1 <= positions <= MAX_WORKERS:
            raise JobStoreError(f"a job has 1 to {MAX_WORKERS} positions, not {positions}")
        with self._transaction():
            inserted = self._db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (job_id, announcement, JobState.ANNOUNCED.value, now_ms, now_ms),
            ).rowcount
            if inserted:
                assigned = TaskState.ASSIGNED.value
                self._db.executemany(
                    "INSERT INTO tasks VALUES (?, ?, ?, ?)",
                    [(job_id, p, assigned, now_ms) for p in range(1, positions + 1)],
                )
        return bool(inserted)

    def job(self, job_id: bytes) -> JobRecord:
        """The recorded job ``job_id``; `JobStoreError` if there is none."""
        row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobStoreError(f"no job {job_id.hex()} in the database")
        return JobRecord(row[0], row[1], JobState(row[2]), row[3], row[4])

    def jobs(self) -> list[JobRecord]:
        """Every recorded job, oldest first."""
        rows = self._db.execute("SELECT * FROM jobs ORDER BY created_ms, id").fetchall()
        return [JobRecord(r[0], r[1], JobState(r[2]), r[3], r[4]) for r in rows]

    def advance_job(self, job_id: bytes, event: JobEvent, now_ms: int) -> JobState:
        """Applies ``event`` to the job's state (`protocol.lifecycle`) and returns the new one."""
        with self._transaction():
            state = job_transition(self.job(job_id).state, event)
            self._db.execute(
                "UPDATE jobs SET state = ?, updated_ms = ? WHERE id = ?",
                (state.value, now_ms, job_id),
            )
        return state

    def tasks(self, job_id: bytes) -> dict[int, TaskState]:
        """The state of each position's task of the job."""
        rows = self._db.execute(
            "SELECT position, state FROM tasks WHERE job = ? ORDER BY position", (job_id,)
        )
        return {position: TaskState(state) for position, state in rows}

    def advance_task(
        self, job_id: bytes, position: int, event: TaskEvent, now_ms: int
    ) -> TaskState:
        """Applies ``event`` to a position's task state and returns the new one."""
        with self._transaction():
            row = self._db.execute(
                "SELECT state FROM tasks WHERE job = ? AND position = ?", (job_id, position)
            ).fetchone()
            if row is None:
                raise JobStoreError(f"job {job_id.hex()} has no position {position}")
            state = task_transition(TaskState(row[0]), event)
            self._db.execute(
                "UPDATE tasks SET state = ?, updated_ms = ? WHERE job = ? AND position = ?",
                (state.value, now_ms, job_id, position),
            )
        return state

    # Finished nodes

    def record_node(self, job_id: bytes, place: TreeNode, blob_hash: bytes) -> None:
        """Records that the node at ``place`` of the job is finished and stored as ``blob_hash``
        (store the blob first)."""
        kind, split = _place_columns(place)
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, kind, place.start, split, place.end, blob_hash),
            )

    def finished_nodes(self, job_id: bytes) -> dict[TreeNode, bytes]:
        """The job's finished nodes and their blobs' content addresses."""
        rows = self._db.execute(
            "SELECT kind, start, split, end, blob FROM nodes WHERE job = ?", (job_id,)
        )
        return {_place(kind, start, split, end): blob for kind, start, split, end, blob in rows}

    def record_received(self, job_id: bytes, start: int, end: int, blob_hash: bytes) -> None:
        """Records that another position's node [start, end) was received and verified, and is
        stored as ``blob_hash`` (store the blob first): a restart does not wait for it again."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO received VALUES (?, ?, ?, ?)",
                (job_id, start, end, blob_hash),
            )

    def received_nodes(self, job_id: bytes) -> dict[tuple[int, int], bytes]:
        """The received, verified nodes of the job by range, and their content addresses."""
        rows = self._db.execute("SELECT start, end, blob FROM received WHERE job = ?", (job_id,))
        return {(start, end): blob for start, end, blob in rows}

    # The job's history, replayed after a restart

    def add_event(
        self, job_id: bytes, at_ms: int, *, message: bytes | None = None, timeout: int | None = None
    ) -> None:
        """Appends what changed the job's shared view (`protocol.progress`): an accepted signed
        message, or the claim timeout of position ``timeout`` decided locally."""
        if (message is None) == (timeout is None):
            raise JobStoreError("an event is either a message or a claim timeout")
        with self._transaction():
            (count,) = self._db.execute(
                "SELECT count(*) FROM events WHERE job = ?", (job_id,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                (job_id, count, at_ms, message, timeout),
            )

    def events(self, job_id: bytes) -> list[tuple[int, bytes | None, int | None]]:
        """The job's events in the order they happened: (time, message, timed-out position)."""
        rows = self._db.execute(
            "SELECT at_ms, message, timeout FROM events WHERE job = ? ORDER BY n", (job_id,)
        )
        return [(at_ms, message, timeout) for at_ms, message, timeout in rows]

    # Our own sequence numbers

    def next_seq(self) -> int:
        """A `seq` this node has never used, even before a crash."""
        if self._next_seq == self._seq_limit:
            limit = self._seq_limit + SEQ_BLOCK
            if limit > MAX_SEQ + 1:
                raise JobStoreError("this node's sequence numbers are exhausted; run keygen")
            with self._transaction():
                self._set_meta("seq_reserved", limit)
            self._seq_limit = limit
        seq = self._next_seq
        self._next_seq += 1
        return seq

    # Helpers

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _check_version(self) -> None:
        version = self._meta("schema")
        if version is None:
            self._set_meta("schema", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version}, this node reads only 1")

    def _meta(self, key: str) -> int | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _set_meta(self, key: str, value: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _place_columns(place: TreeNode) -> tuple[str, int]:
    if isinstance(place, StepNode):
        return "step", place.pivot
    if isinstance(place, JoinNode):
        return "join", place.mid
    raise TypeError(f"a tree node is a StepNode or a JoinNode, not {type(place).__name__}")


def _place(kind: str, start: int, split: int, end: int) -> TreeNode:
    return StepNode(start, split, end) if kind == "step" else JoinNode(start, split, end)
