"""A raw libp2p peer throws malformed, oversize and replayed messages at a real `novanode start`
process (SPEC §4, §8.1, §9.3, §10): the node refuses each one, counts it by reason on /metrics,
stays up, and afterwards still proves a job for an honest requester.

The attacker is a py-libp2p host in the test process with gossipsub running and no topic
validators of its own, so it publishes bytes that `Gossip.publish` would refuse to send, and
opens the node's stream protocols by hand. It also announces a job listing the node and never
serves its circuit: the node must get its slot back when its position passes on at the claim
deadline, not hold it until the job expires.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import cbor2
import trio
from job_harness import builtin_job, request, verify_offline
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.host.exceptions import StreamFailure
from libp2p.network.stream.exceptions import StreamError
from libp2p.peer.id import ID
from nacl.signing import SigningKey
from swarm import swarm

from node.datadir import open_data_dir
from node.localnet import LocalNode
from node.net import discovery
from node.net.gossip import Gossip, open_gossip
from node.net.host import Host, open_host
from node.requester import open_requester, submit
from protocol import cbor, messages, signing, transport
from protocol.assignment import assignment_of
from protocol.limits import MAX_MESSAGE_BYTES, MAX_NODE_BYTES
from protocol.messages import (
    Body,
    Cancel,
    CapacityAnnouncement,
    ClaimAck,
    FoldDelivery,
    Heartbeat,
    JobAnnouncement,
    MergeResult,
    Rejection,
    RejectReason,
    RootProof,
    SignedMessage,
    WorkerEntry,
)
from protocol.schedule import CLAIM_WINDOW_MS

LOOPBACK = "/ip4/127.0.0.1/tcp/0"
ATTACK_TIMEOUT_S = 150.0
WAIT_S = 20.0
"""How long the node may take to react to one message or stream (a hang guard, not a speed
requirement)."""
POLL_S = 0.05
TTL_MS = 600_000
CAPACITY_TTL_MS = 60_000
STEPS = 4
WORKER_CPS = 1_000
"""Equal throughput for the node and the attacker: each gets two of the job's four steps, and at
this rate the attacker's deadline lies minutes away."""
FOLD = transport.FOLD_PROTOCOL
BLOB = transport.BLOB_PROTOCOL
GOSSIP_REFUSED = "novanode_gossip_refused_total"
STREAM_REFUSED = "novanode_stream_refused_total"
REJECTIONS = "novanode_rejections_total"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Attacker:
    """A raw peer connected to the node: signs what it likes and publishes any bytes."""

    key: SigningKey
    host: Host
    gossip: Gossip
    node: LocalNode
    seqs: itertools.count[int]

    @property
    def public_key(self) -> bytes:
        return self.host.public_key

    def sign(
        self,
        body: Body,
        *,
        key: SigningKey | None = None,
        seq: int | None = None,
        expires_ms: int | None = None,
    ) -> SignedMessage:
        # A node accepts capacity announcements that live at most two minutes.
        ttl = CAPACITY_TTL_MS if isinstance(body, CapacityAnnouncement) else TTL_MS
        return signing.sign(
            body,
            key or self.key,
            seq=next(self.seqs) if seq is None else seq,
            expires_ms=now_ms() + ttl if expires_ms is None else expires_ms,
        )

    def signed_wire(self, wire: dict[str, object]) -> bytes:
        """A wire map signed correctly as it stands, whatever its body: the signature is over
        its canonical encoding, so only the schema can refuse it."""
        type_name = wire["type"]
        assert isinstance(type_name, str)
        signature = self.key.sign(signing.domain(type_name) + cbor.encode(wire)).signature
        return cbor.encode({**wire, "sig": signature})

    async def publish(self, topic: str, data: bytes) -> None:
        """Publish raw bytes (signed at the gossipsub level by this host, as strict signing
        requires, so they reach the node's validator)."""
        await self.gossip.pubsub.publish(topic, data)

    async def wait_for_subscription(self, topic: str) -> None:
        """Until the node's subscription to ``topic`` is known here, so a publish reaches it."""
        node = ID.from_base58(self.node.peer_id)
        with trio.fail_after(WAIT_S):
            while node not in self.gossip.pubsub.peer_topics.get(topic, set()):
                await trio.sleep(POLL_S)

    async def open(self, protocol: str) -> INetStream:
        peer = ID.from_base58(self.node.peer_id)
        return await self.host.libp2p.new_stream(peer, [TProtocol(protocol)])


@asynccontextmanager
async def attackers(node: LocalNode, count: int) -> AsyncIterator[list[Attacker]]:
    async with AsyncExitStack() as stack:
        found = []
        for _ in range(count):
            key = SigningKey.generate()
            host = await stack.enter_async_context(open_host(key, LOOPBACK))
            gossip = await stack.enter_async_context(open_gossip(host))
            await host.connect(node.address)
            found.append(Attacker(key, host, gossip, node, itertools.count(1)))
        yield found


async def metric(node: LocalNode, name: str, labels: str) -> float:
    return await trio.to_thread.run_sync(node.metric, name, labels)


async def counted(node: LocalNode, name: str, labels: str, at_least: float) -> None:
    """Until the node's counter ``name{labels}`` reaches ``at_least``."""
    with trio.fail_after(WAIT_S):
        while await metric(node, name, labels) < at_least:
            await trio.sleep(POLL_S)


class Refusals:
    """The refusals expected so far, by metric and labels; `expect` waits until the node has
    counted one more."""

    def __init__(self, node: LocalNode) -> None:
        self.node = node
        self.expected: dict[tuple[str, str], int] = {}

    async def expect(self, name: str, labels: str) -> None:
        self.expected[name, labels] = self.expected.get((name, labels), 0) + 1
        await counted(self.node, name, labels, self.expected[name, labels])

    async def gossip(self, attacker: Attacker, topic: str, data: bytes, reason: str) -> None:
        await attacker.publish(topic, data)
        await self.expect(GOSSIP_REFUSED, f'reason="{reason}"')

    async def stream(self, protocol: str, reason: str) -> None:
        await self.expect(STREAM_REFUSED, f'protocol="{protocol}",reason="{reason}"')


async def answer(stream: INetStream) -> bytes:
    """What the node sends before it ends the stream (py-libp2p reports the node's reset of a
    yamux stream as an end of stream or as an error, so the metrics tell the two apart)."""
    received = bytearray()
    with trio.fail_after(WAIT_S):
        try:
            while chunk := await stream.read(1 << 16):
                received += chunk
        except StreamError:
            pass
    return bytes(received)


def reordered(data: bytes) -> bytes:
    """The same map with its keys in reverse order: valid CBOR, not the canonical encoding."""
    wire = cbor2.loads(data)
    assert isinstance(wire, dict)
    return cbor2.dumps(dict(reversed(list(wire.items()))))


def rewire(message: SignedMessage, **changes: object) -> dict[str, object]:
    """The message's unsigned wire map with some fields replaced."""
    wire = messages.unsigned_map(message.sender, message.seq, message.expires_ms, message.body)
    return {**wire, **changes}


def job_for(attacker: Attacker) -> SignedMessage:
    """A job announced by the attacker listing the node and itself, with the node at position 1
    and the attacker at position 2, whose node [2, 4) goes to the node (a nonce that ranks them
    so is picked)."""
    workers = tuple(
        sorted(
            (
                WorkerEntry(attacker.public_key, WORKER_CPS),
                WorkerEntry(attacker.node.public_key, WORKER_CPS),
            ),
            key=lambda w: w.peer,
        )
    )
    for _ in range(64):
        body = JobAnnouncement(
            os.urandom(16),
            os.urandom(32),
            16,
            STEPS,
            os.urandom(32),
            os.urandom(32),
            now_ms(),
            workers,
        )
        announcement = attacker.sign(body)
        positions = assignment_of(announcement).positions
        if positions[0].peer == attacker.node.public_key:
            assert (positions[1].peer, positions[1].start) == (attacker.public_key, 2)
            return announcement
    raise AssertionError("no nonce ranked the node first")


async def attack_gossip(attacker: Attacker, outsider: Attacker, refusals: Refusals) -> bytes:
    """Every kind of bad gossip on the announce topic and on a job topic; returns the job."""
    announce = transport.ANNOUNCE_TOPIC
    await attacker.wait_for_subscription(announce)
    gossip = refusals.gossip
    capacity = attacker.sign(CapacityAnnouncement(WORKER_CPS, 0, 1))
    valid = messages.encode(capacity)

    await gossip(attacker, announce, os.urandom(200), "decode")
    await gossip(attacker, announce, reordered(valid), "decode")
    await gossip(attacker, announce, attacker.signed_wire(rewire(capacity, v=2)), "decode")
    await gossip(attacker, announce, attacker.signed_wire(rewire(capacity, type="gift")), "decode")
    oversize = cbor.encode({**rewire(capacity), "sig": bytes(MAX_MESSAGE_BYTES)})
    assert MAX_MESSAGE_BYTES < len(oversize) < 1 << 20
    await gossip(attacker, announce, oversize, "decode")
    wrong_signature = messages.encode(
        SignedMessage(capacity.sender, capacity.seq, capacity.expires_ms, capacity.body, bytes(64))
    )
    await gossip(attacker, announce, wrong_signature, "signature")
    borrowed = attacker.sign(CapacityAnnouncement(WORKER_CPS, 0, 1), key=outsider.key)
    await gossip(attacker, announce, messages.encode(borrowed), "source")
    expired = attacker.sign(CapacityAnnouncement(WORKER_CPS, 0, 1), expires_ms=now_ms() - 1_000)
    await gossip(attacker, announce, messages.encode(expired), "replay")

    # A capacity announcement meant to outlive its re-announcements (and hold a replay-table
    # entry for days) is refused.
    lasting = attacker.sign(CapacityAnnouncement(WORKER_CPS, 0, 1), expires_ms=now_ms() + 3_600_000)
    await gossip(attacker, announce, messages.encode(lasting), "rule")

    # A valid message is accepted once; the same bytes again, or its seq re-signed, are replays.
    await attacker.publish(announce, valid)
    await gossip(attacker, announce, valid, "replay")
    resigned = attacker.sign(CapacityAnnouncement(WORKER_CPS, 500, 1), seq=capacity.seq)
    await gossip(attacker, announce, messages.encode(resigned), "replay")

    # Job announcements that fail their consistency checks, signed correctly all the same.
    announcement = job_for(attacker)
    body = announcement.body
    assert isinstance(body, JobAnnouncement)
    for workers in (list(reversed(body.workers)), [body.workers[0]] * 2):
        listed = [w.to_wire() for w in workers]
        wire = rewire(
            announcement, seq=next(attacker.seqs), body={**body.to_wire(), "workers": listed}
        )
        await gossip(attacker, announce, attacker.signed_wire(wire), "decode")

    # The real job: the node joins its topic.
    job = signing.job_id(announcement)
    topic = transport.job_topic(job)
    await attacker.publish(announce, messages.encode(announcement))
    await attacker.wait_for_subscription(topic)
    await outsider.wait_for_subscription(topic)
    claim = attacker.sign(ClaimAck(job, 2, STEPS))
    await attacker.publish(topic, messages.encode(claim))

    await gossip(attacker, topic, os.urandom(64), "decode")
    await gossip(
        attacker, topic, messages.encode(attacker.sign(ClaimAck(os.urandom(32), 2, 4))), "topic"
    )
    on_job_topic = attacker.sign(CapacityAnnouncement(WORKER_CPS, 0, 1))
    await gossip(attacker, topic, messages.encode(on_job_topic), "topic")
    await gossip(attacker, announce, messages.encode(attacker.sign(ClaimAck(job, 2, 4))), "topic")
    stranger = outsider.sign(Heartbeat(job, 2, 4, 1))
    await gossip(outsider, topic, messages.encode(stranger), "rule")
    await gossip(attacker, topic, messages.encode(claim), "replay")

    # Signed by a participant, so forwarded, but against the rules of the node's own position:
    # refused when applied, and the job goes on (the attacker's cancel below still ends it).
    digest = os.urandom(32)
    evidence = messages.encode(claim)
    for body in (
        ClaimAck(job, 0, 2),
        Heartbeat(job, 0, 2, 1),
        MergeResult(job, 0, 2, STEPS, digest, digest, digest, 10),
        RootProof(job, digest, bytes(32), b"proof"),
        Rejection(
            job, attacker.node.public_key, int(RejectReason.INVALID_PROOF), evidence, "forged"
        ),
    ):
        await attacker.publish(topic, messages.encode(attacker.sign(body)))
        await refusals.expect(REJECTIONS, 'reason="rule_violation"')

    # A job the node does not know: it is not subscribed, so the message never reaches it.
    unknown = os.urandom(32)
    await attacker.publish(
        transport.job_topic(unknown), messages.encode(attacker.sign(ClaimAck(unknown, 0, 1)))
    )
    return job


async def attack_folds(attacker: Attacker, job: bytes, refusals: Refusals) -> None:
    """Bad fold streams, one every half second (the fold rate limit refills at two a second)."""

    def delivery(size: int, node: bytes | None = None, start: int = 2) -> SignedMessage:
        return attacker.sign(FoldDelivery(job, start, STEPS, node or os.urandom(32), size))

    def frame(message: SignedMessage) -> bytes:
        return transport.frame_message(messages.encode(message))

    async def send(data: bytes, close: bool = True) -> INetStream:
        await trio.sleep(0.5)
        stream = await attacker.open(FOLD)
        await stream.write(data)
        if close:
            await stream.close()
        return stream

    # A sender that stops mid-blob: the node must give up after its idle timeout, not hang.
    stalled = await send(frame(delivery(1_000)) + transport.blob_header(1_000) + bytes(100), False)

    await send((MAX_MESSAGE_BYTES + 1).to_bytes(4, "big"))
    await refusals.stream(FOLD, "transfer")
    await send((100).to_bytes(4, "big") + bytes(10))
    await refusals.stream(FOLD, "transfer")
    await send((5).to_bytes(4, "big") + b"\xff" * 5)
    await refusals.stream(FOLD, "protocol")
    await send(frame(attacker.sign(ClaimAck(job, 2, STEPS))))
    await refusals.stream(FOLD, "protocol")
    await send(
        frame(attacker.sign(FoldDelivery(job, 2, STEPS, bytes(32), 10), key=SigningKey.generate()))
    )
    await refusals.stream(FOLD, "transfer")
    await send(frame(attacker.sign(FoldDelivery(os.urandom(32), 2, STEPS, bytes(32), 10))))
    await refusals.stream(FOLD, "protocol")
    await send(frame(delivery(10, start=1)))
    await refusals.stream(FOLD, "protocol")
    await send(frame(delivery(1_000)) + transport.blob_header(999) + bytes(999))
    await refusals.stream(FOLD, "transfer")
    # This node never got the attacker's circuit, so only the protocol's 4 GiB bounds the blob.
    await send(frame(delivery(MAX_NODE_BYTES)) + (MAX_NODE_BYTES + 1).to_bytes(8, "big"))
    await refusals.stream(FOLD, "transfer")
    blob = os.urandom(1_000)
    await send(
        frame(delivery(1_000, hashlib.sha256(b"another blob").digest()))
        + transport.blob_header(1_000)
        + blob
    )
    await refusals.stream(FOLD, "protocol")

    assert await answer(stalled) == b"", "the node gives up on a stalled fold stream"
    await refusals.stream(FOLD, "timeout")


async def attack_blobs(attacker: Attacker, job: bytes, refusals: Refusals) -> None:
    short = await attacker.open(BLOB)
    await short.write(bytes(10))
    await short.close()
    await refusals.stream(BLOB, "transfer")
    for request_bytes in (os.urandom(64), job + os.urandom(32)):
        stream = await attacker.open(BLOB)
        await stream.write(request_bytes)
        assert await answer(stream) == b"", "an unknown job or blob is refused (closed)"


async def flood_until_limited(
    attacker: Attacker, protocol: str, request_bytes: bytes, batch: int
) -> None:
    """Streams opened as fast as the attacker can, in batches, until the node's rate limiter
    has reset one unread (a batch outpaces the refill on any machine that can run the test)."""
    limited = f'protocol="{protocol}",reason="rate_limit"'
    while await metric(attacker.node, STREAM_REFUSED, limited) < 1:
        await flood(attacker, protocol, batch, request_bytes)


async def flood(attacker: Attacker, protocol: str, count: int, request_bytes: bytes) -> None:
    """``count`` streams, 32 at a time, each reset once the node has answered: py-libp2p lets
    the opener of a connection's streams hold at most 256 that it has not closed on its side."""

    async def one() -> None:
        try:
            stream = await attacker.open(protocol)
        except StreamFailure:  # reset by the node during protocol negotiation
            return
        try:
            await stream.write(request_bytes)
            await answer(stream)
        except StreamError:  # reset by the node before the request was written
            pass
        finally:
            await stream.reset()

    limit = trio.CapacityLimiter(32)

    async def bounded() -> None:
        async with limit:
            await one()

    async with trio.open_nursery() as nursery:
        for _ in range(count):
            nursery.start_soon(bounded)


async def abuse_peer_exchange(attacker: Attacker) -> None:
    """Peer-exchange streams opened and reset at once, or left unread; a real exchange after."""
    for _ in range(20):
        stream = await attacker.open(transport.PEERS_PROTOCOL)
        await stream.reset()
    for _ in range(5):
        await attacker.open(transport.PEERS_PROTOCOL)  # never read
    listed = await discovery.exchange_peers(attacker.host, attacker.node.peer_id)
    assert all(entry.peer_id != attacker.host.peer_id for entry in listed)


async def attack(node: LocalNode) -> None:
    refusals = Refusals(node)
    async with attackers(node, 2) as (attacker, outsider):
        job = await attack_gossip(attacker, outsider, refusals)
        await attack_folds(attacker, job, refusals)
        await attack_blobs(attacker, job, refusals)
        # Exactly the refusals expected: nothing valid was refused, nothing bad let through,
        # and no check failed with an unexpected error.
        for (name, labels), count in refusals.expected.items():
            assert await metric(node, name, labels) == count, (name, labels)
        assert await metric(node, GOSSIP_REFUSED, 'reason="error"') == 0
        for protocol in (FOLD, BLOB, transport.PEERS_PROTOCOL):
            errors = f'protocol="{protocol}",reason="error"'
            assert await metric(node, STREAM_REFUSED, errors) == 0
        await flood_until_limited(outsider, FOLD, bytes(4), 24)
        await flood_until_limited(outsider, BLOB, bytes(64), 256)
        await abuse_peer_exchange(outsider)
        # The attacker never served its circuit, so the node never claimed its position: at the
        # claim deadline it left it, and with it the node's only slot came back while the job
        # still runs (not when it ends, up to a week later).
        with trio.fail_after(CLAIM_WINDOW_MS / 1000 + WAIT_S):
            while await trio.to_thread.run_sync(free_slots, node) < 1:
                await trio.sleep(POLL_S)
        assert await trio.to_thread.run_sync(job_state, node, job) in ("announced", "proving")
        # The attacker's valid cancel still ends its job.
        cancel = attacker.sign(Cancel(job, "done"))
        await attacker.publish(transport.job_topic(job), messages.encode(cancel))
        with trio.fail_after(WAIT_S):
            while await trio.to_thread.run_sync(job_state, node, job) != "cancelled":
                await trio.sleep(POLL_S)


def free_slots(node: LocalNode) -> int:
    status = node.api("/status")
    assert isinstance(status, dict)
    return int(status["capacity"])


def job_state(node: LocalNode, job: bytes) -> str:
    jobs = node.api("/jobs")
    assert isinstance(jobs, dict)
    return str(next(j["state"] for j in jobs["jobs"] if j["id"] == job.hex()))


def test_a_hostile_peer_never_crashes_a_node(tmp_path: Path) -> None:
    with swarm(tmp_path) as running:
        node = running.start("node", capacity=1)

        async def bounded() -> None:
            with trio.fail_after(ATTACK_TIMEOUT_S):
                await attack(node)

        trio.run(bounded)
        assert node.process is not None and node.process.poll() is None, node.log_tail()
        status = node.api("/status")
        assert isinstance(status, dict) and status["node_id"] == node.peer_id
        prepared = builtin_job(4)
        [(result, _)] = request(tmp_path, node.address, [prepared], workers=1)
        verify_offline(prepared, result)


def test_a_forged_rejection_is_not_reported_to_the_requester(tmp_path: Path) -> None:
    """A listed worker accuses the requester with evidence the requester never signed: the
    requester refuses it and its job report lists no rejection."""

    async def scenario() -> None:
        with open_data_dir(tmp_path / "requester") as data_dir:
            async with (
                open_requester(SigningKey.generate(), data_dir, listen=LOOPBACK) as requester,
                open_host(worker_key := SigningKey.generate(), LOOPBACK) as worker,
                open_gossip(worker) as gossip,
            ):
                await worker.connect(requester.host.listen_addrs()[0])
                host_id = ID.from_base58(requester.host.peer_id)

                async def subscribed(topic: str) -> None:
                    with trio.fail_after(WAIT_S):
                        while host_id not in gossip.pubsub.peer_topics.get(topic, set()):
                            await trio.sleep(POLL_S)

                await subscribed(transport.ANNOUNCE_TOPIC)

                def sign(body: Body) -> bytes:
                    seq = next(seqs)
                    ttl = CAPACITY_TTL_MS if isinstance(body, CapacityAnnouncement) else TTL_MS
                    return messages.encode(
                        signing.sign(body, worker_key, seq=seq, expires_ms=now_ms() + ttl)
                    )

                seqs = itertools.count(1)
                capacity = sign(CapacityAnnouncement(WORKER_CPS, 0, 1))
                await gossip.pubsub.publish(transport.ANNOUNCE_TOPIC, capacity)
                handle = await submit(requester, builtin_job(2), workers=1, wait_s=WAIT_S)
                topic = transport.job_topic(handle.job)
                await subscribed(topic)
                claim = sign(ClaimAck(handle.job, 0, 2))
                forged = Rejection(
                    handle.job, requester.public_key, int(RejectReason.INVALID_PROOF), claim, "lie"
                )
                await gossip.pubsub.publish(topic, sign(forged))
                refused = 'novanode_rejections_total{reason="rule_violation"} 1.0'
                with trio.fail_after(WAIT_S):
                    while refused not in requester.metrics.exposition().decode():
                        await trio.sleep(POLL_S)
                assert handle.report()["rejections"] == []
                await handle.cancel("done")

    trio.run(scenario)
