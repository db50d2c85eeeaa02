"""The requester's side of a job (SPEC.md §2): prepare its blobs, pick its workers, announce it,
serve its circuit and inputs, follow its progress and receive and verify its root proof.

This is the core the client SDK and CLI build on. A requester is a `node.runtime.Node` that
does not prove (it announces no capacity and claims nothing) but verifies: it judges position
1, so a root proof that fails verification, or does not come in time, is rejected and the root
position passes to its successor (§6.7) — the requester gets a valid proof or none.

    async with open_requester(key, data_dir, bootstrap=[...]) as node:
        prepared = prepare_job(builtin_package("builtin:cubic?log2=4"), z0, advice)
        # or, for a circom circuit whose steps' .wtns files were computed beforehand:
        # prepared = prepare_recorded_job(recorded_package(r1cs), [wtns_bytes, ...], z0)
        handle = await submit(node, prepared, workers=4)
        result = await handle.wait()        # verified: result.statement, result.proof
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final

import trio
from nacl.signing import SigningKey

from crypto.circom import carried_advice
from crypto.circuit.package import load_package, step_cost
from crypto.circuit.step import Advice
from crypto.errors import CryptoError
from crypto.tree.node import Statement
from node.blobstore import BlobKind
from node.datadir import DataDir
from node.errors import JobFailedError, JobSpecError, NoWorkersError, RecordedWitnessError
from node.job import JobRunner
from node.runtime import Node, NodeSettings, open_node
from protocol import content, messages, transport
from protocol.assignment import assign
from protocol.content import RecordedStepInput, StepInput
from protocol.errors import ProtocolError
from protocol.lifecycle import JobState
from protocol.limits import MAX_TTL_MS, MAX_WORKERS, NONCE_BYTES
from protocol.messages import (
    Cancel,
    JobAnnouncement,
    Rejection,
    RejectReason,
    RootProof,
    WorkerEntry,
)
from protocol.schedule import deadlines

WORKER_WAIT_S: Final = 30.0
"""How long `submit` waits for enough capacity announcements by default."""
EXPIRY_FACTOR: Final = 4
"""A job expires this many times its root deadline after its start (and at least an hour)."""
MIN_LIFETIME_MS: Final = 3_600_000
MAX_LIFETIME_MS: Final = MAX_TTL_MS - 120_000
"""The longest a job may live: a message's lifetime (SPEC §10), less a margin for clocks."""


@dataclass(frozen=True)
class PreparedJob:
    """Everything a requester serves for a job, computed from one native run of the circuit."""

    circuit: bytes
    cost: int
    z0: tuple[int, ...]
    inputs: tuple[bytes, ...]
    final_state: tuple[int, ...]

    @property
    def steps(self) -> int:
        return len(self.inputs)

    @property
    def index(self) -> bytes:
        """The input index blob: the step inputs' content addresses in step order (§9.2)."""
        return content.input_index([content.content_hash(blob) for blob in self.inputs])


@dataclass(frozen=True)
class JobResult:
    """A job's verified outcome: the root proof's statement and the compressed proof blob
    (SPEC §7.2), which anyone can verify offline with the circuit's parameters."""

    job: bytes
    statement: Statement
    proof: bytes


def prepare_job(package: bytes, z0: Sequence[int], advice: Sequence[Advice]) -> PreparedJob:
    """The blobs of a job proving ``len(advice)`` steps of the packaged circuit from ``z0``:
    each step's input carries the state before it, from this native run (§9.2). A step the
    circuit rejects, or whose input is over the limits, raises `JobSpecError` naming it."""
    circuit = load_package(package)
    states = [tuple(z0)]
    blobs = []
    for m, step_advice in enumerate(advice):
        advice_json = json.dumps(dict(step_advice or {}), separators=(",", ":"), sort_keys=True)
        try:
            step = StepInput(tuple(_element(v) for v in states[-1]), advice_json.encode())
            blobs.append(content.encode_step_input(step))
            states.append(tuple(circuit.native(states[-1], step_advice)))
        except (CryptoError, ProtocolError) as exc:
            raise JobSpecError(f"step {m} cannot be proven: {exc}") from None
    return PreparedJob(package, step_cost(circuit), tuple(z0), tuple(blobs), states[-1])


def prepare_recorded_job(
    package: bytes, witnesses: Sequence[bytes], z0: Sequence[int]
) -> PreparedJob:
    """The blobs of a job proving one step per recorded witness (a `.wtns` file's bytes) of the
    circom circuit packaged alone (``recorded_package(r1cs)``), from ``z0``; no wasm is needed
    or shipped. Each witness is checked
    here as a worker will check it: a witness of this circuit, satisfying its constraints, whose
    step_in is the state the previous step ended in (z0 for the first); `RecordedWitnessError`
    names the first step that is not."""
    if not witnesses:
        raise RecordedWitnessError("a job proves at least one step: no witness was given")
    circuit = load_package(package)
    states = [tuple(z0)]
    blobs = []
    for step, wtns in enumerate(witnesses):
        before = "z0" if step == 0 else f"the state witness {step - 1} ends in"
        try:
            after = tuple(circuit.native(states[-1], carried_advice(wtns)))
            blob = RecordedStepInput(tuple(_element(v) for v in states[-1]), bytes(wtns))
            blobs.append(content.encode_step_input(blob))
        except (CryptoError, ProtocolError) as exc:
            raise RecordedWitnessError(
                f"witness {step} (step {step}, which must start from {before}): {exc}"
            ) from None
        states.append(after)
    return PreparedJob(package, step_cost(circuit), tuple(z0), tuple(blobs), states[-1])


class JobHandle:
    """A submitted job: its id, its progress, and its outcome."""

    def __init__(self, node: Node, runner: JobRunner) -> None:
        self._node = node
        self._runner = runner
        self.job = runner.job

    @property
    def state(self) -> JobState:
        return self._runner.state

    @property
    def runner(self) -> JobRunner:
        """The node's runner of this job (what `node.client.events` follows)."""
        return self._runner

    def report(self) -> dict[str, object]:
        """What the job's topic has shown so far: state, each position's owner, claim and
        reported steps, merges done, whether the root proof arrived."""
        progress = self._runner.progress
        positions = [
            {
                "index": p.index,
                "range": [p.start, p.end],
                "owner": p.peer.hex(),
                "claimed": p.index in progress.claims,
                "done": self._runner.done_steps.get(p.index, 0),
            }
            for p in progress.assignment.positions
        ]
        return {
            "job": self.job.hex(),
            "state": self._runner.state.value,
            "positions": positions,
            "merges": len(progress.merges),
            "merges_total": len(progress.assignment.merges),
            "root": progress.root is not None,
            "rejections": [
                {
                    "from": r.sender.hex(),
                    "offender": r.body.offender.hex(),
                    "reason": RejectReason(r.body.reason).name,
                    "evidence": messages.decode(r.body.evidence).type,
                    "detail": r.body.detail,
                }
                for r in self._runner.rejections
                if isinstance(r.body, Rejection)
            ],
        }

    async def wait(self) -> JobResult:
        """The verified result; `JobFailedError` if the job was cancelled, expired or failed."""
        await self._runner.ended.wait()
        statement = self._runner.result
        root = self._runner.progress.root
        if statement is None or root is None:
            raise JobFailedError(
                f"job {self.job.hex()} ended {self._runner.state.value}: {self._runner.ended_why}"
            )
        assert isinstance(root.body, RootProof)
        return JobResult(self.job, statement, root.body.proof)

    async def cancel(self, reason: str = "") -> None:
        """Withdraws the job; every worker stops (§5.8)."""
        message = self._node.sign(
            Cancel(self.job, reason), self._runner.progress.announcement.expires_ms
        )
        await self._node.publish(self._runner.topic, message)


async def submit(
    node: Node,
    prepared: PreparedJob,
    *,
    workers: int = 1,
    wait_s: float = WORKER_WAIT_S,
    nonce: bytes | None = None,
) -> JobHandle:
    """Announces a job to at least ``workers`` eligible workers (all those seen, up to 1,024),
    waiting up to ``wait_s`` for their capacity announcements; `NoWorkersError` if too few,
    `JobSpecError` if the job is too large for them to finish within a job's lifetime.
    ``nonce`` (16 bytes) is the request's id; a random one by default."""
    with trio.move_on_after(wait_s):
        while len(node.eligible_workers(node.now_ms())) < workers:
            await trio.sleep(0.2)
    eligible = node.eligible_workers(node.now_ms())
    if len(eligible) < workers:
        raise NoWorkersError(
            f"{len(eligible)} eligible workers announced capacity within {wait_s:g} s, "
            f"{workers} needed; are the nodes connected (--bootstrap) and free?"
        )
    entries = tuple(
        sorted(
            (WorkerEntry(peer, body.constraints_per_second) for peer, body in eligible),
            key=lambda w: w.peer,
        )
    )[:MAX_WORKERS]
    store = node.blobs
    circuit = store.put(BlobKind.CIRCUIT, prepared.circuit)
    z0 = store.put(BlobKind.STATE, content.encode_state(prepared.z0))
    index = store.put(BlobKind.INPUT_INDEX, prepared.index)
    servable = {circuit: BlobKind.CIRCUIT, z0: BlobKind.STATE, index: BlobKind.INPUT_INDEX}
    for blob in prepared.inputs:
        servable[store.put(BlobKind.STEP_INPUT, blob)] = BlobKind.STEP_INPUT
    start = node.now_ms()
    body = JobAnnouncement(
        nonce or os.urandom(NONCE_BYTES),
        circuit,
        prepared.cost,
        prepared.steps,
        z0,
        index,
        start,
        entries,
    )
    expires = start + _lifetime_ms(body)
    announcement = node.sign(body, expires)
    runner = await node.open_job(announcement)
    runner.inputs.servable.update(servable)
    await node.publish(transport.ANNOUNCE_TOPIC, announcement)
    return JobHandle(node, runner)


def reopen(node: Node, job: bytes) -> JobHandle:
    """The handle of a job this node announced and still runs (restored at its start)."""
    runner = node.runners.get(job)
    if runner is None:
        raise JobFailedError(f"job {job.hex()} is not running on this node")
    return JobHandle(node, runner)


def _lifetime_ms(body: JobAnnouncement) -> int:
    """How long the job stays open: a multiple of its root deadline under a provisional
    assignment (the real one depends on the job id, which depends on the expiry).
    `JobSpecError` if even that deadline lies beyond the longest life a job may have: at the
    workers' announced speed the job could never finish."""
    provisional = assign(bytes(32), body.steps, body.workers)
    root_by = deadlines(provisional, body.constraints_per_step, body.start_ms).root_by
    needed = root_by - body.start_ms
    if needed > MAX_LIFETIME_MS:
        raise JobSpecError(
            f"{body.steps} steps of {body.constraints_per_step} constraints would take "
            f"{needed / 3_600_000:.0f} h on the {len(body.workers)} workers available "
            f"(their announced speed), longer than a job may live "
            f"({MAX_LIFETIME_MS / 3_600_000:.0f} h): split it into shorter jobs"
        )
    return min(max(EXPIRY_FACTOR * needed, MIN_LIFETIME_MS), MAX_LIFETIME_MS)


def _element(value: int) -> bytes:
    return value.to_bytes(32, "little")


@asynccontextmanager
async def open_requester(
    key: SigningKey,
    data_dir: DataDir,
    *,
    listen: str = "/ip4/0.0.0.0/tcp/0",
    bootstrap: Sequence[str] = (),
) -> AsyncIterator[Node]:
    """A node that requests jobs and proves none (one worker process verifies root proofs)."""
    settings = NodeSettings(key, data_dir, listen=listen, bootstrap=tuple(bootstrap), cps=None)
    async with open_node(settings) as node:
        yield node
