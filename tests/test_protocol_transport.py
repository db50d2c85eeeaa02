"""Channels and stream framing: every message type has one channel, gossip carries only bounded
messages, and stream headers are checked against limits before any payload is read."""

from __future__ import annotations

import pytest

from protocol.errors import MalformedError, OutOfRangeError, OversizeError
from protocol.limits import MAX_MESSAGE_BYTES, MAX_NODE_BYTES
from protocol.messages import BODY_TYPES
from protocol.transport import (
    CHANNEL_OF,
    Channel,
    blob_header,
    blob_length,
    blob_request,
    frame_message,
    job_topic,
    message_length,
    parse_blob_request,
    parse_root_request,
    root_request,
)


def test_every_message_type_has_a_channel_and_blobs_never_gossip() -> None:
    assert set(CHANNEL_OF) == set(BODY_TYPES)
    assert CHANNEL_OF["fold"] is Channel.FOLD_STREAM
    assert MAX_MESSAGE_BYTES < 1024 * 1024  # gossipsub's silent-drop threshold


def test_job_topic_names_the_job() -> None:
    assert job_topic(b"\xab" * 32) == "novanode/1/job/" + "ab" * 32
    with pytest.raises(OutOfRangeError):
        job_topic(b"\xab")


def test_message_frames() -> None:
    framed = frame_message(b"\xa1")
    assert framed == b"\x00\x00\x00\x01\xa1"
    assert message_length(framed[:4]) == 1
    with pytest.raises(OversizeError):
        message_length((MAX_MESSAGE_BYTES + 1).to_bytes(4, "big"))
    with pytest.raises(MalformedError):
        message_length(b"\x00\x00\x00\x00")
    assert message_length((256).to_bytes(4, "big"), limit=256) == 256
    with pytest.raises(OversizeError):
        message_length((257).to_bytes(4, "big"), limit=256)
    with pytest.raises(MalformedError):
        message_length(b"\x00\x01")
    with pytest.raises(OversizeError):
        frame_message(b"")


def test_blob_requests_and_headers() -> None:
    job, content = b"j" * 32, b"c" * 32
    assert parse_blob_request(blob_request(job, content)) == (job, content)
    with pytest.raises(MalformedError):
        parse_blob_request(job)
    header = blob_header(1000)
    assert blob_length(header, 1000, MAX_NODE_BYTES) == 1000
    assert blob_length(header, None, 1000) == 1000
    with pytest.raises(MalformedError):
        blob_length(header, 999, MAX_NODE_BYTES)
    with pytest.raises(OversizeError):
        blob_length(header, None, 999)
    with pytest.raises(MalformedError):
        blob_length(b"\x00" * 8, None, 999)
    with pytest.raises(OutOfRangeError):
        blob_header(0)


def test_root_requests_name_one_job() -> None:
    job = b"j" * 32
    assert parse_root_request(root_request(job)) == job
    with pytest.raises(OutOfRangeError):
        root_request(b"j" * 31)
    with pytest.raises(MalformedError):
        parse_root_request(job + b"x")
