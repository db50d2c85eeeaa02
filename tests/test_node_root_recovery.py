"""A requester that was down when position 1 published the root proof still gets it (SPEC §6.7,
§9.3 root stream): it asks the workers when it resumes the job, and only a root proof signed by
position 1's owner, of this job, is ever taken from their answers."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
import trio
from job_harness import (
    JOB_TIMEOUT_S,
    LOOPBACK,
    builtin_job,
    circom_job,
    circom_trace_final_state,
    verify_offline,
)
from libp2p.peer.id import ID
from nacl.signing import SigningKey
from swarm import swarm

import node.job
from node.blobstore import BlobKind, BlobStore
from node.datadir import open_data_dir
from node.errors import UnknownJobError
from node.localnet import LocalNode
from node.net import streams
from node.net.gossip import Gossip, open_gossip
from node.net.host import Host, open_host
from node.requester import JobHandle, JobResult, PreparedJob, open_requester, reopen, submit
from node.runtime import Node
from protocol import content, messages, signing, transport
from protocol.lifecycle import JobState
from protocol.messages import Body, CapacityAnnouncement, ClaimAck, RootProof

WAIT_S = 30.0
POLL_S = 0.05
TTL_MS = 600_000
WORKER_CPS = 1_000
"""Equal throughput for both fake workers: one step each, deadlines minutes away."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def seed_blobs(root: Path, prepared: PreparedJob) -> None:
    """Puts the job's blobs in a worker's store before it starts, so the workers prove the job
    without the requester serving anything (it leaves right after the claims)."""
    with open_data_dir(root) as data_dir:
        store = BlobStore(data_dir.blobs_path)
        store.put(BlobKind.CIRCUIT, prepared.circuit)
        store.put(BlobKind.STATE, content.encode_state(prepared.z0))
        store.put(BlobKind.INPUT_INDEX, prepared.index)
        for blob in prepared.inputs:
            store.put(BlobKind.STEP_INPUT, blob)


def job_state(node: LocalNode, job: bytes) -> str | None:
    jobs = node.api("/jobs")
    assert isinstance(jobs, dict)
    return next((str(j["state"]) for j in jobs["jobs"] if j["id"] == job.hex()), None)


async def all_claimed(handle: JobHandle) -> None:
    while True:
        positions = handle.report()["positions"]
        assert isinstance(positions, list)
        if all(p["claimed"] for p in positions):
            return
        await trio.sleep(POLL_S)


def test_a_requester_restarted_after_submitting_gets_its_proof(tmp_path: Path) -> None:
    prepared = circom_job()
    key = SigningKey.generate()
    for i in range(3):
        seed_blobs(tmp_path / f"node-{i}", prepared)
    with swarm(tmp_path) as running:
        nodes = running.start_many(3)
        addresses = [n.address for n in nodes]

        async def submit_and_leave() -> JobHandle:
            with open_data_dir(tmp_path / "requester") as data_dir:
                async with open_requester(
                    key, data_dir, listen=LOOPBACK, bootstrap=addresses
                ) as requester:
                    handle = await submit(requester, prepared, workers=3, wait_s=90)
                    # The claims are the last thing the requester must see: without them its
                    # own view would pass the positions on at their claim deadlines.
                    with trio.fail_after(JOB_TIMEOUT_S):
                        await all_claimed(handle)
                    # The scenario's premise: the node stops before position 1 proved the root.
                    assert handle.report()["root"] is False
                    return handle

        async def completed(job: bytes) -> None:
            with trio.fail_after(JOB_TIMEOUT_S):
                for worker in nodes:
                    while await trio.to_thread.run_sync(job_state, worker, job) != "complete":
                        await trio.sleep(0.2)

        async def come_back(job: bytes, bootstrap: list[str]) -> tuple[JobResult, JobHandle]:
            with open_data_dir(tmp_path / "requester") as data_dir:
                async with open_requester(
                    key, data_dir, listen=LOOPBACK, bootstrap=bootstrap
                ) as requester:
                    handle = reopen(requester, job)
                    with trio.fail_after(JOB_TIMEOUT_S):
                        return await handle.wait(), handle

        first = trio.run(submit_and_leave)
        trio.run(completed, first.job)
        result, handle = trio.run(come_back, first.job, addresses)
        statement = verify_offline(prepared, result)
        assert list(statement.z_b) == circom_trace_final_state()
        assert handle.state is JobState.COMPLETE
        report = handle.report()
        assert report["rejections"] == [], "position 1 was on time: nobody was penalised"
        before, after = first.report()["positions"], report["positions"]
        assert isinstance(before, list) and isinstance(after, list)
        assert [p["owner"] for p in after] == [p["owner"] for p in before]

        # Completed in its database: the result comes back with no peer to ask.
        again, _ = trio.run(come_back, first.job, [])
        assert again == result


@dataclasses.dataclass
class FakeWorkers:
    """Two raw peers listed as a job's workers: they claim their positions and answer root
    requests from a script (`answers`, by signer; nothing when none is set), counting them."""

    keys: list[SigningKey]
    hosts: list[Host]
    gossips: list[Gossip]
    asked: list[int] = dataclasses.field(default_factory=lambda: [0, 0])
    answers: dict[int, list[bytes | None]] = dataclasses.field(default_factory=dict)
    seqs: itertools.count[int] = dataclasses.field(default_factory=lambda: itertools.count(1))

    def index_of(self, public_key: bytes) -> int:
        return next(i for i, k in enumerate(self.keys) if k.verify_key.encode() == public_key)

    def script(self, i: int, answers: list[bytes | None]) -> None:
        self.answers[i], self.asked[i] = answers, 0

    def sign(self, body: Body, i: int) -> bytes:
        ttl = 60_000 if isinstance(body, CapacityAnnouncement) else TTL_MS
        message = signing.sign(body, self.keys[i], seq=next(self.seqs), expires_ms=now_ms() + ttl)
        return messages.encode(message)

    async def connect(self, requester: Node) -> None:
        for host in self.hosts:
            await host.connect(requester.host.listen_addrs()[0])

    async def take(self, requester: Node, prepared: PreparedJob) -> JobHandle:
        """Announces both workers' capacity, has ``requester`` submit the job to them, and
        claims every position."""
        for i, gossip in enumerate(self.gossips):
            await subscribed(gossip, requester.host.peer_id, transport.ANNOUNCE_TOPIC)
            capacity = self.sign(CapacityAnnouncement(WORKER_CPS, 0, 1), i)
            await gossip.pubsub.publish(transport.ANNOUNCE_TOPIC, capacity)
        handle = await submit(requester, prepared, workers=2, wait_s=WAIT_S)
        topic = transport.job_topic(handle.job)
        positions = handle.report()["positions"]
        assert isinstance(positions, list)
        for p in positions:
            i = self.index_of(bytes.fromhex(p["owner"]))
            await subscribed(self.gossips[i], requester.host.peer_id, topic)
            claim = ClaimAck(handle.job, p["range"][0], p["range"][1])
            await self.gossips[i].pubsub.publish(topic, self.sign(claim, i))
        with trio.fail_after(WAIT_S):
            await all_claimed(handle)
        return handle


@asynccontextmanager
async def fake_workers() -> AsyncIterator[FakeWorkers]:
    keys = [SigningKey.generate() for _ in range(2)]
    async with AsyncExitStack() as stack:
        hosts = [await stack.enter_async_context(open_host(k, LOOPBACK)) for k in keys]
        gossips = [await stack.enter_async_context(open_gossip(h)) for h in hosts]
        fakes = FakeWorkers(keys, hosts, gossips)
        for i, host in enumerate(hosts):

            async def lookup(job: bytes, asker: bytes, i: int = i) -> bytes | None:
                fakes.asked[i] += 1
                script = fakes.answers.get(i, [None])
                return script[min(fakes.asked[i], len(script)) - 1]

            streams.serve_root_proofs(host, lookup)
        yield fakes


def owner_of(handle: JobHandle, fakes: FakeWorkers, index: int) -> int:
    positions = handle.report()["positions"]
    assert isinstance(positions, list)
    return fakes.index_of(bytes.fromhex(next(p["owner"] for p in positions if p["index"] == index)))


def test_a_requester_takes_no_forged_root_proof_from_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two fake workers answer the requester's root requests with forgeries: a root proof
    signed by the worker that does not own position 1, bytes that are no message, position 1's
    owner's root proof of another job, and one whose signature is broken. None is taken and
    nobody is rejected; then the owner's signed root proof with a proof that does not verify is
    taken, verified in full and rejected, as if it had come on the job's topic."""
    monkeypatch.setattr(node.job, "ROOT_ASK_S", 0.2)

    async def scenario() -> None:
        with open_data_dir(tmp_path / "requester") as data_dir:
            async with (
                fake_workers() as fakes,
                open_requester(SigningKey.generate(), data_dir, listen=LOOPBACK) as requester,
            ):
                await fakes.connect(requester)
                handle = await fakes.take(requester, builtin_job(2))
                owner = owner_of(handle, fakes, 1)
                other = 1 - owner
                node_hash = hashlib.sha256(b"root node").digest()
                root = RootProof(handle.job, node_hash, bytes(32), b"not a proof")
                broken = messages.decode(fakes.sign(root, owner))
                broken = dataclasses.replace(broken, signature=bytes(64))
                forgeries: list[bytes | None] = [
                    fakes.sign(root, other),
                    b"\xa1\x00garbage",
                    fakes.sign(dataclasses.replace(root, job=bytes(32)), owner),
                    messages.encode(broken),
                ]
                fakes.script(owner, [*forgeries, None])
                with trio.fail_after(WAIT_S):
                    # A round asks the owner first: its 6th request comes after the 4th
                    # forgery's round ended (and one more whose answer was nothing).
                    while fakes.asked[owner] < len(forgeries) + 2:
                        await trio.sleep(POLL_S)
                report = handle.report()
                assert report["root"] is False
                assert report["rejections"] == []
                assert handle.state is not JobState.COMPLETE
                assert invalid_proof_rejections(requester) == 0
                assert not any(
                    data is not None and messages.decode(data).type == "root"
                    for _, data, _ in requester.jobstore.events(handle.job)
                )

                fakes.script(owner, [fakes.sign(root, owner)])
                with trio.fail_after(WAIT_S):
                    while invalid_proof_rejections(requester) < 1:
                        await trio.sleep(POLL_S)
                assert handle.report()["state"] != JobState.COMPLETE.value
                assert reopen(requester, handle.job).job == handle.job
                with pytest.raises(UnknownJobError):
                    reopen(requester, bytes(32))
                await handle.cancel("done")

    trio.run(scenario)


def test_a_restarted_requester_serves_its_blobs_and_asks_for_the_root_at_once(
    tmp_path: Path,
) -> None:
    """A requester that stops right after submitting, before its workers fetched their inputs:
    started again, it serves the job's blobs as before and asks position 1's owner for the root
    proof without waiting for its periodic round (30 s)."""
    prepared = builtin_job(2)
    key = SigningKey.generate()

    async def scenario() -> None:
        async with fake_workers() as fakes:
            with open_data_dir(tmp_path / "requester") as data_dir:
                async with open_requester(key, data_dir, listen=LOOPBACK) as requester:
                    await fakes.connect(requester)
                    handle = await fakes.take(requester, prepared)
            owner = owner_of(handle, fakes, 1)
            fakes.script(owner, [None])
            # Started again, it dials its peers (they still count the old connection as open).
            bootstrap = [host.listen_addrs()[0] for host in fakes.hosts]
            with open_data_dir(tmp_path / "requester") as data_dir:
                async with open_requester(
                    key, data_dir, listen=LOOPBACK, bootstrap=bootstrap
                ) as requester:
                    with trio.fail_after(WAIT_S):
                        while fakes.asked[owner] < 1:
                            await trio.sleep(POLL_S)
                    step = hashlib.sha256(prepared.inputs[1]).digest()
                    served = await streams.fetch_blob(
                        fakes.hosts[owner], requester.host.peer_id, handle.job, step, 1 << 24
                    )
                    assert served == prepared.inputs[1]
                    reopened = reopen(requester, handle.job)
                    assert reopened.report()["root"] is False
                    await reopened.cancel("done")

    trio.run(scenario)


async def subscribed(gossip: Gossip, peer_id: str, topic: str) -> None:
    with trio.fail_after(WAIT_S):
        while ID.from_base58(peer_id) not in gossip.pubsub.peer_topics.get(topic, set()):
            await trio.sleep(POLL_S)


def invalid_proof_rejections(requester: Node) -> float:
    prefix = 'novanode_rejections_total{reason="invalid_proof"} '
    for line in requester.metrics.exposition().decode().splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0
