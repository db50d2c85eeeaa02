"""Where each message travels and how bytes are framed on direct streams (SPEC.md §9).

Gossipsub silently drops anything over 1 MiB, so gossip carries only signed messages (bounded
by `MAX_MESSAGE_BYTES`); every blob travels on a direct stream, after a length header the
receiver checks against the limit for that kind of blob before reading a byte of it.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from protocol.errors import MalformedError, OutOfRangeError, OversizeError
from protocol.limits import HASH_BYTES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION


class Channel(Enum):
    ANNOUNCE_TOPIC = "announce topic"
    JOB_TOPIC = "job topic"
    FOLD_STREAM = "fold stream"


ANNOUNCE_TOPIC: Final = f"novanode/{PROTOCOL_VERSION}/announce"
FOLD_PROTOCOL: Final = f"/novanode/{PROTOCOL_VERSION}/fold"
BLOB_PROTOCOL: Final = f"/novanode/{PROTOCOL_VERSION}/blob"
PEERS_PROTOCOL: Final = f"/novanode/{PROTOCOL_VERSION}/peers"
ROOT_PROTOCOL: Final = f"/novanode/{PROTOCOL_VERSION}/root"

CHANNEL_OF: Final[dict[str, Channel]] = {
    "capacity": Channel.ANNOUNCE_TOPIC,
    "job": Channel.ANNOUNCE_TOPIC,
    "claim": Channel.JOB_TOPIC,
    "merge": Channel.JOB_TOPIC,
    "root": Channel.JOB_TOPIC,
    "reject": Channel.JOB_TOPIC,
    "cancel": Channel.JOB_TOPIC,
    "heartbeat": Channel.JOB_TOPIC,
    "fold": Channel.FOLD_STREAM,
}

MESSAGE_HEADER_BYTES: Final = 4
BLOB_HEADER_BYTES: Final = 8
BLOB_REQUEST_BYTES: Final = 2 * HASH_BYTES
ROOT_REQUEST_BYTES: Final = HASH_BYTES


def job_topic(job: bytes) -> str:
    """The gossip topic of one job: claims, merges, root proof, rejections, cancel, heartbeats."""
    _check_hash(job, "job")
    return f"novanode/{PROTOCOL_VERSION}/job/{job.hex()}"


def frame_message(message: bytes) -> bytes:
    """A signed message on a stream: 4-byte big-endian length, then the message bytes."""
    if not 0 < len(message) <= MAX_MESSAGE_BYTES:
        raise OversizeError("frame", f"a message frame holds 1 to {MAX_MESSAGE_BYTES} bytes")
    return len(message).to_bytes(MESSAGE_HEADER_BYTES, "big") + message


def message_length(header: bytes, limit: int = MAX_MESSAGE_BYTES) -> int:
    """The length a message frame header announces, checked (1 … ``limit``) before the body is
    read; a stream that carries smaller messages than signed ones passes its own limit."""
    if len(header) != MESSAGE_HEADER_BYTES:
        raise MalformedError("frame", f"a message frame header is {MESSAGE_HEADER_BYTES} bytes")
    length = int.from_bytes(header, "big")
    if length == 0:
        raise MalformedError("frame", "empty message frame")
    if length > limit:
        raise OversizeError("frame", f"{length} bytes exceed the limit of {limit}")
    return length


def blob_request(job: bytes, content: bytes) -> bytes:
    """What a peer writes on a blob stream: the job id, then the content hash it wants."""
    _check_hash(job, "job")
    _check_hash(content, "content")
    return job + content


def parse_blob_request(data: bytes) -> tuple[bytes, bytes]:
    """(job id, content hash) of a blob request."""
    if len(data) != BLOB_REQUEST_BYTES:
        raise MalformedError("blob_request", f"a blob request is {BLOB_REQUEST_BYTES} bytes")
    return data[:HASH_BYTES], data[HASH_BYTES:]


def root_request(job: bytes) -> bytes:
    """What a peer writes on a root stream: the id of the job whose root proof it wants."""
    _check_hash(job, "job")
    return job


def parse_root_request(data: bytes) -> bytes:
    """The job id of a root request."""
    if len(data) != ROOT_REQUEST_BYTES:
        raise MalformedError("root_request", f"a root request is {ROOT_REQUEST_BYTES} bytes")
    return data


def blob_header(size: int) -> bytes:
    """The 8-byte big-endian length that precedes a blob on a stream."""
    if not 0 < size < 1 << (8 * BLOB_HEADER_BYTES):
        raise OutOfRangeError("size", "a blob has at least one byte")
    return size.to_bytes(BLOB_HEADER_BYTES, "big")


def blob_length(header: bytes, expected: int | None, limit: int) -> int:
    """The announced blob length, checked against the size its message promised (if any) and the
    limit for its kind, before any of the blob is read."""
    if len(header) != BLOB_HEADER_BYTES:
        raise MalformedError("blob", f"a blob header is {BLOB_HEADER_BYTES} bytes")
    length = int.from_bytes(header, "big")
    if length == 0:
        raise MalformedError("blob", "empty blob")
    if length > limit:
        raise OversizeError("blob", f"{length} bytes exceed the limit of {limit}")
    if expected is not None and length != expected:
        raise MalformedError("blob", f"{length} bytes where the message announced {expected}")
    return length


def _check_hash(value: bytes, field: str) -> None:
    if type(value) is not bytes or len(value) != HASH_BYTES:
        raise OutOfRangeError(field, f"a hash is {HASH_BYTES} bytes")
