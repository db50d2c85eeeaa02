"""Direct streams between real hosts on loopback: framing, limits, timeouts, binding (SPEC §9.3)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.host.exceptions import StreamFailure
from libp2p.network.stream.exceptions import StreamReset
from libp2p.peer.id import ID
from net_harness import LOOPBACK, key, run, signed

from node.net import streams
from node.net.errors import (
    BlobUnavailableError,
    OversizeFrameError,
    PeerBindingError,
    StreamTransferError,
    TransferTimeoutError,
    TruncatedFrameError,
)
from node.net.host import Host, open_host
from node.net.streams import Timeouts
from node.ratelimit import PeerRateLimiter
from protocol import messages, transport
from protocol.errors import (
    BadSignatureError,
    ContentMismatchError,
    InconsistentFieldsError,
    ProtocolError,
    RuleViolationError,
    WrongTypeError,
)
from protocol.limits import MAX_MESSAGE_BYTES, MiB
from protocol.messages import FoldDelivery, RootProof, SignedMessage

JOB = hashlib.sha256(b"a job").digest()
QUICK = Timeouts(idle_s=0.5, transfer_s=5.0)

Outcome = tuple[SignedMessage, bytes] | Exception


def fold(signer_label: str, blob: bytes, seq: int = 1) -> SignedMessage:
    body = FoldDelivery(JOB, 4, 8, hashlib.sha256(blob).digest(), len(blob))
    return signed(body, key(signer_label), seq)


@asynccontextmanager
async def two_hosts() -> AsyncIterator[tuple[Host, Host]]:
    async with AsyncExitStack() as stack:
        sender = await stack.enter_async_context(open_host(key("sender"), LOOPBACK))
        receiver = await stack.enter_async_context(open_host(key("receiver"), LOOPBACK))
        await sender.connect(receiver.listen_addrs()[0])
        yield sender, receiver


def record_folds(
    host: Host,
    timeouts: Timeouts = QUICK,
    check: streams.MessageCheck | None = None,
    max_blob_bytes: int = 64 * MiB,
) -> trio.MemoryReceiveChannel[Outcome]:
    """Serve the fold protocol through `set_handler`, reporting each stream's outcome."""
    send, receive = trio.open_memory_channel[Outcome](100)

    async def handle(stream: INetStream) -> None:
        try:
            outcome = await streams.receive_fold(stream, check, max_blob_bytes, timeouts)
        except Exception as error:
            send.send_nowait(error)
            raise
        send.send_nowait(outcome)

    streams.set_handler(host, transport.FOLD_PROTOCOL, handle)
    return receive


async def raw_stream(sender: Host, receiver: Host, protocol: str) -> INetStream:
    return await sender.libp2p.new_stream(ID.from_base58(receiver.peer_id), [TProtocol(protocol)])


async def expect(outcomes: trio.MemoryReceiveChannel[Outcome], kind: type[Exception]) -> str:
    outcome = await outcomes.receive()
    assert isinstance(outcome, kind), outcome
    return str(outcome)


def test_a_20_mib_fold_arrives_intact() -> None:
    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            send, delivered = trio.open_memory_channel[tuple[SignedMessage, bytes]](1)

            async def accept(message: SignedMessage, blob: bytes) -> None:
                await send.send((message, blob))

            streams.serve_folds(receiver, accept, max_blob_bytes=32 * MiB, timeouts=QUICK)
            blob = os.urandom(20 * MiB)
            delivery = fold("sender", blob)
            await streams.send_fold(sender, receiver.peer_id, delivery, blob)
            assert await delivered.receive() == (delivery, blob)

    run(scenario)


def test_fetch_blob_checks_length_limit_and_hash() -> None:
    async def scenario() -> None:
        async with two_hosts() as (client, server):
            blob = os.urandom(3 * MiB + 5)
            address = hashlib.sha256(blob).digest()
            served = {(JOB, address): blob, (JOB, bytes(32)): blob}

            async def lookup(job: bytes, content_hash: bytes) -> bytes | None:
                return served.get((job, content_hash))

            streams.serve_blobs(server, lookup, QUICK)
            peer = server.peer_id
            assert await streams.fetch_blob(client, peer, JOB, address, 4 * MiB, QUICK) == blob
            with pytest.raises(OversizeFrameError):
                await streams.fetch_blob(client, peer, JOB, address, 3 * MiB, QUICK)
            with pytest.raises(BlobUnavailableError):
                await streams.fetch_blob(client, peer, bytes(32), address, 4 * MiB, QUICK)
            with pytest.raises(ContentMismatchError):
                await streams.fetch_blob(client, peer, JOB, bytes(32), 4 * MiB, QUICK)

    run(scenario)


def test_fetch_root_proof_takes_only_a_signed_root_proof_of_the_job() -> None:
    """The client of the root protocol: nothing when the server has nothing; a signed root
    proof of the job asked for, relayed by a server that did not sign it; and a refusal of
    bytes that are no message, another type, another job's root or a broken signature."""

    async def scenario() -> None:
        async with two_hosts() as (client, server):
            root = RootProof(JOB, bytes(32), bytes(32), b"proof")
            relayed = signed(root, key("position 1"), 7)
            other_root = dataclasses.replace(root, job=b"b" * 32)
            broken = dataclasses.replace(
                signed(other_root, key("position 1"), 8), signature=bytes(64)
            )
            answers = {
                JOB: messages.encode(relayed),
                b"g" * 32: b"\xa1\x00garbage",
                b"f" * 32: messages.encode(fold("position 1", b"node")),
                b"o" * 32: messages.encode(relayed),  # another job's root proof
                b"b" * 32: messages.encode(broken),
            }
            asked: list[bytes] = []

            async def lookup(job: bytes, asker: bytes) -> bytes | None:
                asked.append(asker)
                return answers.get(job)

            streams.serve_root_proofs(server, lookup, QUICK)
            peer = server.peer_id
            assert await streams.fetch_root_proof(client, peer, JOB, QUICK) == relayed
            assert asked == [client.public_key]
            assert await streams.fetch_root_proof(client, peer, bytes(32), QUICK) is None
            with pytest.raises(ProtocolError):
                await streams.fetch_root_proof(client, peer, b"g" * 32, QUICK)
            with pytest.raises(WrongTypeError):
                await streams.fetch_root_proof(client, peer, b"f" * 32, QUICK)
            with pytest.raises(InconsistentFieldsError):
                await streams.fetch_root_proof(client, peer, b"o" * 32, QUICK)
            with pytest.raises(BadSignatureError):
                await streams.fetch_root_proof(client, peer, b"b" * 32, QUICK)

    run(scenario)


def test_oversize_lengths_are_refused_before_any_body_is_read() -> None:
    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            patient = Timeouts(idle_s=20.0, transfer_s=20.0)
            outcomes = record_folds(receiver, patient, max_blob_bytes=1 * MiB)
            # A message frame announcing one byte over the limit, and no body at all.
            stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
            await stream.write((MAX_MESSAGE_BYTES + 1).to_bytes(4, "big"))
            assert "exceed the limit" in await expect(outcomes, OversizeFrameError)
            # A valid delivery promising a 2 MiB node to a receiver that takes 1 MiB: its blob
            # header is refused without reading the blob (none is sent).
            blob = os.urandom(2 * MiB)
            stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
            await stream.write(transport.frame_message(messages.encode(fold("sender", blob))))
            await stream.write(transport.blob_header(len(blob)))
            await expect(outcomes, OversizeFrameError)

    run(scenario)


def test_a_peer_that_stops_mid_frame_times_out() -> None:
    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            outcomes = record_folds(receiver, Timeouts(idle_s=0.3, transfer_s=1.0))
            stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
            await stream.write((100).to_bytes(4, "big") + bytes(10))
            assert "silent" in await expect(outcomes, TransferTimeoutError)
            # A trickle that is never silent for the idle timeout still meets the deadline.
            stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
            await stream.write((100).to_bytes(4, "big"))
            with pytest.raises(StreamReset), trio.fail_after(5.0):  # reset by the receiver
                while True:
                    await stream.write(b"\xa0")
                    await trio.sleep(0.1)
            assert "longer than" in await expect(outcomes, TransferTimeoutError)

    run(scenario)


def test_a_peer_that_closes_mid_frame_is_truncated() -> None:
    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            outcomes = record_folds(receiver)
            stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
            await stream.write((100).to_bytes(4, "big") + bytes(10))
            await stream.close()
            assert "after 10 of 100" in await expect(outcomes, TruncatedFrameError)

    run(scenario)


def test_bad_deliveries_are_refused_and_the_host_keeps_serving() -> None:
    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            checked: list[SignedMessage] = []

            def refuse_seq_two(message: SignedMessage) -> None:
                checked.append(message)
                if message.seq == 2:
                    raise RuleViolationError("from", "not the sender of this merge")

            outcomes = record_folds(receiver, check=refuse_seq_two)
            blob = os.urandom(4096)

            async def send_raw(message: SignedMessage, payload: bytes) -> None:
                stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
                frame = transport.frame_message(messages.encode(message))
                await stream.write(frame + transport.blob_header(len(payload)) + payload)

            # Signed by a key other than the stream's peer (SPEC §4.2).
            await send_raw(fold("someone else", blob), blob)
            await expect(outcomes, PeerBindingError)
            # Refused by the caller's checks: the blob is never read.
            await send_raw(fold("sender", blob, seq=2), blob)
            await expect(outcomes, RuleViolationError)
            # A blob other than the one the delivery names.
            await send_raw(fold("sender", blob, seq=3), os.urandom(len(blob)))
            await expect(outcomes, ContentMismatchError)
            # Another message type on the fold stream.
            stream = await raw_stream(sender, receiver, transport.FOLD_PROTOCOL)
            capacity = signed(messages.CapacityAnnouncement(5, 0, 1), key("sender"), 4)
            await stream.write(transport.frame_message(messages.encode(capacity)))
            await expect(outcomes, WrongTypeError)
            # A handler that fails unexpectedly is contained too.
            streams.set_handler(receiver, BOOM_PROTOCOL, explode)
            with pytest.raises((StreamFailure, StreamReset)):  # reset during or after opening
                await read_until_reset(await raw_stream(sender, receiver, BOOM_PROTOCOL))
            # The host still serves good deliveries.
            delivery = fold("sender", blob, seq=5)
            await streams.send_fold(sender, receiver.peer_id, delivery, blob)
            assert await outcomes.receive() == (delivery, blob)
            assert [m.seq for m in checked] == [2, 3, 5]

    run(scenario)


BOOM_PROTOCOL = "/novanode-test/1/boom"


async def explode(stream: INetStream) -> None:
    raise RuntimeError("a bug in a handler")


async def read_until_reset(stream: INetStream) -> None:
    with trio.fail_after(5.0):
        while await stream.read(1):
            pass


def test_send_fold_refuses_a_blob_its_delivery_does_not_name() -> None:
    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            blob = os.urandom(64)
            with pytest.raises(ContentMismatchError):
                await streams.send_fold(sender, receiver.peer_id, fold("sender", blob), blob[1:])

    run(scenario)


def test_a_peer_over_its_rate_limit_is_refused_while_another_is_served() -> None:
    async def scenario() -> None:
        async with two_hosts() as (client, server), open_host(key("other"), LOOPBACK) as other:
            await other.connect(server.listen_addrs()[0])
            blob = b"a step input"
            address = hashlib.sha256(blob).digest()

            async def lookup(job: bytes, content_hash: bytes) -> bytes | None:
                return blob if (job, content_hash) == (JOB, address) else None

            # Almost no refill: each peer has exactly its burst of three streams.
            streams.serve_blobs(server, lookup, QUICK, PeerRateLimiter(0.001, 3))
            peer = server.peer_id
            for _ in range(3):
                assert await streams.fetch_blob(client, peer, JOB, address, 1024, QUICK) == blob
            with pytest.raises(StreamTransferError):
                await streams.fetch_blob(client, peer, JOB, address, 1024, QUICK)
            assert await streams.fetch_blob(other, peer, JOB, address, 1024, QUICK) == blob
            with pytest.raises(StreamTransferError):
                await streams.fetch_blob(client, peer, JOB, address, 1024, QUICK)

    run(scenario)


def test_folds_over_the_limit_are_reset_unread_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net.streams")

    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records if "over its rate limit" in r.getMessage()]

    async def wait_until(condition: Callable[[], bool]) -> None:
        with trio.fail_after(5):
            while not condition():
                await trio.sleep(0.01)

    async def scenario() -> None:
        async with two_hosts() as (sender, receiver):
            delivered: list[int] = []

            async def accept(message: SignedMessage, blob: bytes) -> None:
                delivered.append(message.seq)

            limiter = PeerRateLimiter(0.001, 1)
            streams.serve_folds(receiver, accept, timeouts=QUICK, limiter=limiter)
            blob = b"a node"
            await streams.send_fold(sender, receiver.peer_id, fold("sender", blob, 1), blob)
            await wait_until(lambda: delivered == [1])
            for seq in range(2, 5):
                # The sender may or may not see the reset, depending on when it arrives.
                with contextlib.suppress(StreamTransferError):
                    await streams.send_fold(
                        sender, receiver.peer_id, fold("sender", blob, seq), blob
                    )
            await wait_until(lambda: len(refusals()) == 3)
            assert delivered == [1]
            assert all(sender.peer_id in line for line in refusals())

    run(scenario)
