"""A process that writes to a node's stores until a test SIGKILLs it.

    python node_writer.py MODE PATH

It prints one line on stdout after each write has returned (so the test knows what was
committed before the kill):

* ``blobs DIR``: stores step-input blobs of 2 MiB in a loop; prints each content address;
* ``blob-held-before-fsync DIR``, ``blob-held-before-rename DIR``: stores one blob but stops
  for good once its bytes are written, before their fsync or before the rename, after printing
  ``held``;
* ``jobs DB``: per round records a job with 4 positions, moves it and a task on, records a
  finished node and draws 100 sequence numbers; prints the round and the last number.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

from node import atomic
from node.blobstore import BlobKind, BlobStore
from node.jobstore import JobStore
from protocol.lifecycle import JobEvent, TaskEvent
from protocol.tree import StepNode

POSITIONS = 4
SEQS_PER_ROUND = 100


def job_id(round_: int) -> bytes:
    return round_.to_bytes(32, "big")


def blob(round_: int) -> bytes:
    return round_.to_bytes(8, "big") + os.urandom(2 << 20)


def write_blobs(directory: Path) -> None:
    store = BlobStore(directory)
    for round_ in range(1_000_000):
        print(store.put(BlobKind.STEP_INPUT, blob(round_)).hex(), flush=True)


def hold_a_blob(directory: Path, before: str) -> None:
    """Stores one blob, stopping for good at the blob file's fsync or at its rename."""
    store = BlobStore(directory)
    fsync, replace = os.fsync, os.replace

    def hold() -> None:
        print("held", flush=True)
        time.sleep(600)

    def held_fsync(descriptor: int) -> None:
        if before == "fsync" and stat.S_ISREG(os.fstat(descriptor).st_mode):
            hold()
        fsync(descriptor)

    def held_replace(source: str, target: Path) -> None:
        if before == "rename":
            hold()
        replace(source, target)

    atomic.os.fsync = held_fsync
    atomic.os.replace = held_replace
    store.put(BlobKind.STEP_INPUT, blob(0))


def write_jobs(path: Path) -> None:
    store = JobStore(path, now_ms=0)
    for round_ in range(1_000_000):
        job = job_id(round_)
        store.add_job(job, b"announcement %d" % round_, POSITIONS, now_ms=round_)
        store.advance_job(job, JobEvent.CLAIM_WINDOW_CLOSED, now_ms=round_)
        store.advance_task(job, 1, TaskEvent.CLAIM, now_ms=round_)
        store.record_node(job, StepNode(0, 0, 1), bytes(32))
        seq = [store.next_seq() for _ in range(SEQS_PER_ROUND)][-1]
        print(round_, seq, flush=True)


if __name__ == "__main__":
    mode, target = sys.argv[1], Path(sys.argv[2])
    if mode.startswith("blob-held-before-"):
        hold_a_blob(target, mode.removeprefix("blob-held-before-"))
    else:
        {"blobs": write_blobs, "jobs": write_jobs}[mode](target)
