"""A requester's session with the network: connect, submit, follow, collect the proof.

`connect` opens a requester node (a node that proves nothing) on a data directory that keeps
its identity key and job database, and dials the bootstrap peers. Requests have deterministic
ids: the id of a request is a hash of the requester's key and the job's content (circuit, z0,
step inputs, N), and it is the nonce of the job's announcement. Submitting the same job again
from the same data directory — after a crash, a restart, a lost terminal — finds the job it
already announced and follows that one (or returns its proof, if it is done) instead of
announcing a second job.

    async with connect(["/ip4/…/tcp/4001/p2p/12D3KooW…"], data_dir=Path("requester")) as client:
        request = await client.submit(builtin_spec("builtin:cubic?log2=10", [3], steps=16))
        async for event in request.events():
            print(event)
        result = await request.result()          # verified; result.file() for `novanode verify`
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import trio

from crypto.circuit.step import StepCircuit
from node.client.events import Event, follow
from node.client.proof import Expected, ProofResult
from node.client.spec import JobSpec, TracedJob, prepare
from node.datadir import open_data_dir
from node.errors import InvalidProofError, KeyFileError
from node.keyfile import generate_key, load_key
from node.requester import (
    WORKER_WAIT_S,
    JobHandle,
    PreparedJob,
    open_requester,
    reopen,
    submit,
)
from node.runtime import Node
from protocol import content, messages
from protocol.lifecycle import JobState
from protocol.limits import NONCE_BYTES
from protocol.messages import JobAnnouncement

DEFAULT_DATA_DIR: Final = Path("~/.novanode/requester")
REQUEST_DOMAIN: Final = b"novanode/request/v1\x00"
RESUMABLE: Final = frozenset(
    {JobState.ANNOUNCED, JobState.PROVING, JobState.COMPRESSING, JobState.COMPLETE}
)
"""Job states worth following again; a cancelled, expired or failed job is announced anew."""


def request_id(requester: bytes, prepared: PreparedJob) -> bytes:
    """The deterministic id of a request: the same requester asking for the same job (circuit,
    z0, step inputs, N) gets the same id, used as its announcement's nonce."""
    digest = hashlib.sha256(REQUEST_DOMAIN)
    digest.update(requester)
    digest.update(content.content_hash(prepared.circuit))
    digest.update(content.content_hash(content.encode_state(prepared.z0)))
    digest.update(content.content_hash(prepared.index))
    digest.update(prepared.steps.to_bytes(8, "big"))
    return digest.digest()[:NONCE_BYTES]


class Request:
    """A submitted job: its ids, its events, and its verified proof."""

    def __init__(
        self, request: bytes, handle: JobHandle, prepared: PreparedJob, circuit: StepCircuit
    ) -> None:
        self.id = request
        self.job = handle.job
        self.circuit = circuit
        self.expected = Expected(handle.job, prepared.steps, prepared.z0, prepared.final_state)
        self._handle = handle

    @property
    def state(self) -> JobState:
        return self._handle.state

    def events(self) -> AsyncIterator[Event]:
        """The job's progress (`node.client.events`), ending with `Finished`."""
        return follow(self._handle.runner)

    def report(self) -> dict[str, object]:
        """A snapshot of the job as the requester's node sees it (JSON-ready)."""
        return self._handle.report()

    async def result(self) -> ProofResult:
        """The proof, once the requester's node has verified it and checked that it ends in
        the trace's final state; `JobFailedError` (with the reason) if the job ended without
        one, `InvalidProofError` if the network proved another final state."""
        outcome = await self._handle.wait()
        if outcome.statement.z_b != self.expected.zn:
            raise InvalidProofError(
                f"job {self.job.hex()}: the network's proof ends in {list(outcome.statement.z_b)}"
                f", the local trace in {list(self.expected.zn)}"
            )
        return ProofResult(self.job, self.circuit.key, outcome.statement, outcome.proof)

    async def cancel(self, reason: str = "") -> None:
        """Withdraws the job from every worker (SPEC.md §5.8)."""
        await self._handle.cancel(reason)


class Client:
    """A connected requester node."""

    def __init__(self, node: Node) -> None:
        self.node = node

    @property
    def peer_id(self) -> str:
        return self.node.host.peer_id

    async def submit(
        self, job: JobSpec | TracedJob, *, workers: int = 1, wait_s: float = WORKER_WAIT_S
    ) -> Request:
        """Traces the job here (unless `prepare` did), then announces it to every eligible
        worker (waiting up to ``wait_s`` for at least ``workers``), or picks up the job this
        request already announced. `JobSpecError` for a job that cannot be served,
        `NoWorkersError` when too few workers are there."""
        traced = job if isinstance(job, TracedJob) else await trio.to_thread.run_sync(prepare, job)
        prepared = traced.prepared
        request = request_id(self.node.public_key, prepared)
        handle = self._announced(request)
        if handle is None:
            handle = await submit(
                self.node, prepared, workers=workers, wait_s=wait_s, nonce=request
            )
        return Request(request, handle, prepared, traced.circuit)

    def _announced(self, request: bytes) -> JobHandle | None:
        """The newest job this node announced for ``request`` that is live or complete."""
        for record in sorted(self.node.jobstore.jobs(), key=lambda r: -r.created_ms):
            announcement = messages.decode(record.announcement)
            body = announcement.body
            if (
                announcement.sender == self.node.public_key
                and isinstance(body, JobAnnouncement)
                and body.nonce == request
                and record.state in RESUMABLE
            ):
                return reopen(self.node, record.id)
        return None


@asynccontextmanager
async def connect(
    bootstrap: Sequence[str],
    *,
    data_dir: Path = DEFAULT_DATA_DIR,
    listen: str = "/ip4/0.0.0.0/tcp/0",
) -> AsyncIterator[Client]:
    """A requester session on ``data_dir`` (created with a new identity key if absent; locked
    while the session runs), dialing the ``bootstrap`` peers' full addresses."""
    with open_data_dir(data_dir) as directory:
        try:
            key = load_key(directory.key_path)
        except KeyFileError:
            if directory.key_path.exists():
                raise
            key = generate_key(directory.key_path)
        try:
            async with open_requester(key, directory, listen=listen, bootstrap=bootstrap) as node:
                yield Client(node)
        except BaseExceptionGroup as group:
            raise _sole(group) from None


def _sole(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one error a group of the node's task groups carries (what the caller raised in the
    session, or what stopped the node), so callers catch `NoWorkersError` and the like as
    such; a group of several stays a group."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        error = pending.pop()
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        elif not isinstance(error, trio.Cancelled):
            leaves.append(error)
    return leaves[0] if len(leaves) == 1 else group
