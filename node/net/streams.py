"""Direct streams: the fold, blob and root protocols of SPEC.md §9.3, framed and bounded.

Everything too large for gossip travels here, so everything here is written for a peer that lies
about lengths, stops mid-frame or never reads:

* A length header is checked against the limit for its kind (`protocol.transport`) before a byte
  of the body is read, so no peer can make a node allocate or wait for more than the limit.
* ``stream.read(n)`` may return fewer than ``n`` bytes; bodies are read in a loop until complete,
  and an end of stream before that is a `TruncatedFrameError`, not a short value.
* Every read and write has an idle timeout and every transfer a whole-transfer deadline, so a
  silent or trickling peer costs a bounded time (`TransferTimeoutError`).
* A fold delivery's signer must be the stream's Noise-authenticated peer (§4.2), and its blob is
  read only after the caller's checks on the message passed (§8.1 steps 1–4 before step 5).
* On any failure the stream is reset, and a handler registered with `set_handler` catches every
  error of one stream, so one bad peer never takes the host down.
* Served protocols are rate-limited per peer (`node.ratelimit`): a stream from a peer over its
  budget is reset before a byte of it is read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID

from node.net.errors import (
    BlobUnavailableError,
    MalformedFrameError,
    OversizeFrameError,
    PeerBindingError,
    StreamTransferError,
    TransferTimeoutError,
    TruncatedFrameError,
)
from node.net.host import Host
from node.ratelimit import PeerRateLimiter, blob_limiter, fold_limiter, root_limiter
from protocol import content, identity, messages, signing, transport
from protocol.errors import (
    ContentMismatchError,
    InconsistentFieldsError,
    MalformedError,
    OversizeError,
    ProtocolError,
    WrongTypeError,
)
from protocol.limits import MAX_MESSAGE_BYTES, MAX_NODE_BYTES
from protocol.messages import FoldDelivery, RootProof, SignedMessage

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Timeouts:
    """How long a peer may stay silent (per read or write) and take for one whole transfer.

    The default transfer deadline allows a 4 GiB node at about 14 MiB/s; a caller that knows the
    size to expect sets a tighter one.
    """

    idle_s: float = 10.0
    transfer_s: float = 300.0


DEFAULT_TIMEOUTS = Timeouts()
ROOT_TIMEOUTS = Timeouts(idle_s=10.0, transfer_s=30.0)
"""A root answer is one message of at most 768 KiB: a peer taking longer is not worth waiting
for while the job's other workers could answer."""

MessageCheck = Callable[[SignedMessage], None]
"""A caller's checks on a verified message before its blob is read (replay, job, sender role);
raises a `ProtocolError` to refuse it."""


async def read_exactly(stream: INetStream, n: int, idle_s: float) -> bytes:
    """Exactly ``n`` bytes from the stream, looping over short reads.

    The buffer grows as bytes arrive rather than being allocated at the announced length, so a
    peer that announces a large blob and sends little costs little memory. Raises
    `TruncatedFrameError` if the stream ends first and `TransferTimeoutError` if the peer sends
    nothing for ``idle_s``.
    """
    parts = bytearray()
    while len(parts) < n:
        with trio.move_on_after(idle_s) as idle:
            try:
                chunk = await stream.read(min(n - len(parts), CHUNK_BYTES))
            except Exception as error:
                raise TruncatedFrameError(
                    f"stream ended after {len(parts)} of {n} bytes ({type(error).__name__})"
                ) from error
        if idle.cancelled_caught:
            raise TransferTimeoutError(f"peer silent for {idle_s:g} s after {len(parts)} of {n}")
        if not chunk:
            raise TruncatedFrameError(f"stream ended after {len(parts)} of {n} bytes")
        parts += chunk
    return bytes(parts)


async def write_all(stream: INetStream, data: bytes, idle_s: float) -> None:
    """Write ``data`` in chunks; a peer that reads nothing for ``idle_s`` is a timeout."""
    view = memoryview(data)
    for offset in range(0, len(data), CHUNK_BYTES):
        with trio.move_on_after(idle_s) as idle:
            try:
                await stream.write(bytes(view[offset : offset + CHUNK_BYTES]))
            except Exception as error:
                raise TruncatedFrameError(
                    f"peer closed the stream after {offset} of {len(data)} bytes"
                    f" ({type(error).__name__})"
                ) from error
        if idle.cancelled_caught:
            raise TransferTimeoutError(f"peer read nothing for {idle_s:g} s at byte {offset}")


async def read_message_frame(
    stream: INetStream, idle_s: float, limit: int = MAX_MESSAGE_BYTES
) -> bytes:
    """A message frame's body: the 4-byte length is checked (1 … ``limit``) before the body."""
    header = await read_exactly(stream, transport.MESSAGE_HEADER_BYTES, idle_s)
    length = _checked(lambda: transport.message_length(header, limit))
    return await read_exactly(stream, length, idle_s)


async def write_message_frame(stream: INetStream, message: bytes, idle_s: float) -> None:
    """Write one message frame (the protocol refuses an empty or oversize message)."""
    await write_all(stream, transport.frame_message(message), idle_s)


async def read_blob(stream: INetStream, expected: int | None, limit: int, idle_s: float) -> bytes:
    """A blob after its 8-byte length, checked against ``expected`` and ``limit`` first."""
    header = await read_exactly(stream, transport.BLOB_HEADER_BYTES, idle_s)
    length = _checked(lambda: transport.blob_length(header, expected, limit))
    return await read_exactly(stream, length, idle_s)


async def write_blob(stream: INetStream, blob: bytes, idle_s: float) -> None:
    """Write a blob after its 8-byte big-endian length."""
    await write_all(stream, transport.blob_header(len(blob)), idle_s)
    await write_all(stream, blob, idle_s)


def remote_peer(stream: INetStream) -> ID:
    """The Noise-authenticated peer at the other end of a stream."""
    return stream.muxed_conn.peer_id


def check_binding(message: SignedMessage, peer: ID) -> None:
    """SPEC §4.2: a message on a direct stream from peer P must be signed by P's key."""
    if identity.peer_id_bytes(message.sender) != peer.to_bytes():
        raise PeerBindingError(
            f"message signed by {identity.peer_id(message.sender)} arrived from {peer}"
        )


async def send_fold(
    host: Host,
    peer: str,
    delivery: SignedMessage,
    blob: bytes,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> None:
    """Deliver a signed fold delivery and its node blob to ``peer`` on a fold stream.

    The blob must be the one the delivery names (size and content address), so a sender cannot
    deliver what it did not sign.
    """
    if not isinstance(delivery.body, FoldDelivery):
        raise TypeError(f"a fold stream carries a fold delivery, not a {delivery.type} message")
    content.check_blob(blob, delivery.body.node, delivery.body.size, "blob")
    frame = messages.encode(delivery)
    stream = await open_stream(host, peer, transport.FOLD_PROTOCOL, timeouts)
    async with resetting_on_failure(stream):
        with transfer_deadline(timeouts):
            await write_message_frame(stream, frame, timeouts.idle_s)
            await write_blob(stream, blob, timeouts.idle_s)
        await stream.close()


async def receive_fold(
    stream: INetStream,
    check: MessageCheck | None = None,
    max_blob_bytes: int = MAX_NODE_BYTES,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> tuple[SignedMessage, bytes]:
    """Read a fold delivery and its blob: §8.1 steps 1–2, the caller's ``check``, then 5–6.

    The message is decoded strictly, its signature verified and bound to the stream's peer, and
    ``check`` run on it before the blob's length is even read; the blob must then have exactly the
    announced size (at most ``max_blob_bytes``) and content address. Raises `ProtocolError` for
    bad message or blob contents and `StreamTransferError` for failures of the transfer.
    """
    async with resetting_on_failure(stream):
        with transfer_deadline(timeouts):
            frame = await read_message_frame(stream, timeouts.idle_s)
            message = messages.decode(frame)
            if not isinstance(message.body, FoldDelivery):
                raise WrongTypeError("type", f"a fold stream carries folds, not {message.type}")
            signing.verify(message)
            check_binding(message, remote_peer(stream))
            if check is not None:
                check(message)
            body = message.body
            blob = await read_blob(stream, body.size, max_blob_bytes, timeouts.idle_s)
        content.check_blob(blob, body.node, body.size, "blob")
        return message, blob


async def fetch_blob(
    host: Host,
    peer: str,
    job: bytes,
    content_hash: bytes,
    limit: int,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> bytes:
    """Fetch the blob with content address ``content_hash`` for ``job`` from ``peer``.

    ``limit`` is the bound for the blob's kind (SPEC §10), checked against the announced length
    before reading; the blob's SHA-256 is checked after. `BlobUnavailableError` if the peer does
    not hold it.
    """
    request = transport.blob_request(job, content_hash)
    stream = await open_stream(host, peer, transport.BLOB_PROTOCOL, timeouts)
    async with resetting_on_failure(stream):
        with transfer_deadline(timeouts):
            await write_all(stream, request, timeouts.idle_s)
            try:
                header = await read_exactly(stream, transport.BLOB_HEADER_BYTES, timeouts.idle_s)
            except TruncatedFrameError:
                raise BlobUnavailableError(f"{peer} does not serve {content_hash.hex()}") from None
            length = _checked(lambda: transport.blob_length(header, None, limit))
            blob = await read_exactly(stream, length, timeouts.idle_s)
        if content.content_hash(blob) != content_hash:
            raise ContentMismatchError("blob", f"blob does not hash to {content_hash.hex()}")
        await stream.close()
        return blob


async def fetch_root_proof(
    host: Host, peer: str, job: bytes, timeouts: Timeouts = ROOT_TIMEOUTS
) -> SignedMessage | None:
    """The signed root proof of ``job`` that ``peer`` recorded, or None if it has none.

    The message is relayed, not the peer's own: it is signed by whoever owned position 1, so
    §4.2's binding to the stream's peer does not apply. Its frame length is checked before the
    body is read, it is decoded strictly and its signature verified here; whether its signer
    owns position 1 and whether the proof holds is for the caller to judge (`node.job`).
    """
    stream = await open_stream(host, peer, transport.ROOT_PROTOCOL, timeouts)
    async with resetting_on_failure(stream):
        with transfer_deadline(timeouts):
            await write_all(stream, transport.root_request(job), timeouts.idle_s)
            frame = await _answer_frame(stream, timeouts.idle_s)
        message = None if frame is None else messages.decode(frame)
        if message is not None:
            if not isinstance(message.body, RootProof):
                raise WrongTypeError("type", f"a root stream carries roots, not {message.type}")
            if message.body.job != job:
                raise InconsistentFieldsError("body.job", "the root proof is of another job")
            signing.verify(message)
        await stream.close()
        return message


async def _answer_frame(stream: INetStream, idle_s: float) -> bytes | None:
    """A message frame's body, or None if the peer closed the stream instead of answering."""
    try:
        header = await read_exactly(stream, transport.MESSAGE_HEADER_BYTES, idle_s)
    except TruncatedFrameError:
        return None
    length = _checked(lambda: transport.message_length(header))
    return await read_exactly(stream, length, idle_s)


RefusalHook = Callable[[str, str], None]
"""Told (protocol, reason) of every served stream refused or failed, reason one of
`REFUSAL_REASONS`, so the node can count them without this module knowing its metrics."""

REFUSAL_REASONS = ("rate_limit", "protocol", "timeout", "transfer", "error")
"""Why a served stream was reset: over the peer's rate limit; bad message or blob contents (a
`ProtocolError`); the peer went silent or took too long; a transfer failure (oversize, malformed
or truncated frame, wrong signer); an unexpected error in the handler."""

BlobLookup = Callable[[bytes, bytes], Awaitable[bytes | None]]
"""(job id, content hash) → the blob if this node serves it for that job, else None."""

RootLookup = Callable[[bytes, bytes], Awaitable[bytes | None]]
"""(job id, asking peer's public key) → the encoded signed root proof this node recorded for
that job, if it answers that peer, else None."""

FoldReceiver = Callable[[SignedMessage, bytes], Awaitable[None]]
"""What the node does with a fold delivery and its blob once they passed `receive_fold`."""


def serve_blobs(
    host: Host,
    lookup: BlobLookup,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    limiter: PeerRateLimiter | None = None,
    on_refused: RefusalHook | None = None,
) -> None:
    """Answer blob requests from ``lookup``; a blob it does not return is refused by closing.

    ``limiter`` bounds each peer's blob streams (None: `node.ratelimit.blob_limiter()`);
    ``on_refused`` is told of each stream reset (see `set_handler`).
    """

    async def handle(stream: INetStream) -> None:
        with transfer_deadline(timeouts):
            request = await read_exactly(stream, transport.BLOB_REQUEST_BYTES, timeouts.idle_s)
            job, content_hash = transport.parse_blob_request(request)
            blob = await lookup(job, content_hash)
            if blob is not None:
                await write_blob(stream, blob, timeouts.idle_s)
        await stream.close()

    set_handler(
        host,
        transport.BLOB_PROTOCOL,
        handle,
        limiter if limiter is not None else blob_limiter(),
        on_refused,
    )


def serve_root_proofs(
    host: Host,
    lookup: RootLookup,
    timeouts: Timeouts = ROOT_TIMEOUTS,
    limiter: PeerRateLimiter | None = None,
    on_refused: RefusalHook | None = None,
) -> None:
    """Answer root requests from ``lookup``; a job it has no answer for is refused by closing.

    ``limiter`` bounds each peer's root streams (None: `node.ratelimit.root_limiter()`);
    ``on_refused`` is told of each stream reset (see `set_handler`).
    """

    async def handle(stream: INetStream) -> None:
        with transfer_deadline(timeouts):
            request = await read_exactly(stream, transport.ROOT_REQUEST_BYTES, timeouts.idle_s)
            job = transport.parse_root_request(request)
            asker = identity.public_key_from_peer_id(remote_peer(stream).to_base58())
            message = await lookup(job, asker)
            if message is not None:
                await write_message_frame(stream, message, timeouts.idle_s)
        await stream.close()

    set_handler(
        host,
        transport.ROOT_PROTOCOL,
        handle,
        limiter if limiter is not None else root_limiter(),
        on_refused,
    )


def serve_folds(
    host: Host,
    receiver: FoldReceiver,
    check: MessageCheck | None = None,
    max_blob_bytes: int = MAX_NODE_BYTES,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    limiter: PeerRateLimiter | None = None,
    on_refused: RefusalHook | None = None,
) -> None:
    """Accept fold deliveries: each one that passes `receive_fold` goes to ``receiver``.

    ``limiter`` bounds each peer's fold streams (None: `node.ratelimit.fold_limiter()`);
    ``on_refused`` is told of each stream reset (see `set_handler`).
    """

    async def handle(stream: INetStream) -> None:
        message, blob = await receive_fold(stream, check, max_blob_bytes, timeouts)
        await stream.close()
        await receiver(message, blob)

    set_handler(
        host,
        transport.FOLD_PROTOCOL,
        handle,
        limiter if limiter is not None else fold_limiter(),
        on_refused,
    )


StreamHandler = Callable[[INetStream], Awaitable[None]]


def set_handler(
    host: Host,
    protocol: str,
    handler: StreamHandler,
    limiter: PeerRateLimiter | None = None,
    on_refused: RefusalHook | None = None,
) -> None:
    """Register ``handler`` for ``protocol`` so that no error of one stream escapes it.

    py-libp2p runs stream handlers in the swarm's own task group: an exception escaping one would
    tear the whole host down. Here every failure is logged with the peer, and the stream reset.
    Given a ``limiter``, a stream from a peer over its budget is reset unread. ``on_refused`` is
    told ``(protocol, reason)`` of every reset stream (`REFUSAL_REASONS`).
    """

    def refused(reason: str) -> None:
        if on_refused is None:
            return
        try:
            on_refused(protocol, reason)
        except Exception:  # counting must never fail the handler
            logger.exception("refusal hook failed")

    async def guarded(stream: INetStream) -> None:
        peer = remote_peer(stream)
        if limiter is not None and not limiter.allow(peer.to_base58(), time.monotonic()):
            logger.info("%s from %s refused: over its rate limit", protocol, peer)
            refused("rate_limit")
            await _reset(stream)
            return
        try:
            await handler(stream)
        except ProtocolError as error:
            logger.info("%s from %s refused: %s", protocol, peer, error)
            refused("protocol")
            await _reset(stream)
        except TransferTimeoutError as error:
            logger.info("%s from %s refused: %s", protocol, peer, error)
            refused("timeout")
            await _reset(stream)
        except StreamTransferError as error:
            logger.info("%s from %s refused: %s", protocol, peer, error)
            refused("transfer")
            await _reset(stream)
        except Exception:
            logger.exception("%s from %s failed", protocol, peer)
            refused("error")
            await _reset(stream)

    host.libp2p.set_stream_handler(TProtocol(protocol), guarded)


async def open_stream(host: Host, peer: str, protocol: str, timeouts: Timeouts) -> INetStream:
    with trio.move_on_after(timeouts.idle_s) as idle:
        try:
            return await host.libp2p.new_stream(ID.from_base58(peer), [TProtocol(protocol)])
        except Exception as error:
            raise StreamTransferError(
                f"no {protocol} stream to {peer}: {type(error).__name__}: {error}"
            ) from error
    assert idle.cancelled_caught
    raise TransferTimeoutError(f"no {protocol} stream to {peer} within {timeouts.idle_s:g} s")


def _checked(read_length: Callable[[], int]) -> int:
    try:
        return read_length()
    except OversizeError as error:
        raise OversizeFrameError(str(error)) from error
    except MalformedError as error:
        raise MalformedFrameError(str(error)) from error


@contextmanager
def transfer_deadline(timeouts: Timeouts) -> Iterator[None]:
    """`trio.fail_after` for a whole transfer, reported as a `TransferTimeoutError`."""
    try:
        with trio.fail_after(timeouts.transfer_s):
            yield
    except trio.TooSlowError:
        raise TransferTimeoutError(f"transfer took longer than {timeouts.transfer_s:g} s") from None


@asynccontextmanager
async def resetting_on_failure(stream: INetStream) -> AsyncIterator[None]:
    """Reset the stream if the block raises, so the peer sees the failure at once."""
    try:
        yield
    except BaseException:
        await _reset(stream)
        raise


async def _reset(stream: INetStream) -> None:
    with trio.CancelScope(shield=True), trio.move_on_after(1.0):
        try:
            await stream.reset()
        except Exception as error:
            logger.debug("reset failed: %s", error)
