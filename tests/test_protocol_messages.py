"""Every message round-trips through its canonical bytes, and every schema violation is rejected
with the specific ProtocolError naming the field, whether decoded or constructed."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_samples import REQUESTER, job_message, sample_messages

from protocol import limits
from protocol.errors import (
    InconsistentFieldsError,
    MissingFieldError,
    NonCanonicalError,
    OutOfRangeError,
    OversizeError,
    ProtocolError,
    UnknownFieldError,
    UnknownMessageTypeError,
    UnsupportedVersionError,
    WrongTypeError,
)
from protocol.messages import (
    BODY_TYPES,
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
    WorkerEntry,
    decode,
    encode,
)
from protocol.signing import sign, verify

hashes = st.binary(min_size=32, max_size=32)
texts = st.text(max_size=40)
steps_ranges = st.tuples(
    st.integers(0, limits.MAX_STEPS - 1), st.integers(1, limits.MAX_STEPS)
).filter(lambda r: r[0] < r[1])
cps = st.integers(1, limits.MAX_CONSTRAINTS_PER_SECOND)


@st.composite
def merges(draw: st.DrawFn) -> MergeResult:
    a, b, c = sorted(draw(st.sets(st.integers(0, limits.MAX_STEPS), min_size=3, max_size=3)))
    return MergeResult(
        draw(hashes),
        a,
        b,
        c,
        draw(hashes),
        draw(hashes),
        draw(hashes),
        draw(st.integers(1, limits.MAX_NODE_BYTES)),
    )


@st.composite
def heartbeats(draw: st.DrawFn) -> Heartbeat:
    start, end = draw(steps_ranges)
    return Heartbeat(draw(hashes), start, end, draw(st.integers(0, end - start)))


workers = st.lists(
    st.builds(WorkerEntry, st.binary(min_size=32, max_size=32), cps),
    min_size=1,
    max_size=8,
    unique_by=lambda w: w.peer,
).map(lambda ws: tuple(sorted(ws, key=lambda w: w.peer)))

BODIES: dict[str, st.SearchStrategy[Any]] = {
    "capacity": st.builds(
        CapacityAnnouncement, cps, st.integers(0, 1000), st.integers(0, limits.MAX_SLOTS)
    ),
    "job": st.builds(
        JobAnnouncement,
        st.binary(min_size=16, max_size=16),
        hashes,
        st.integers(1, limits.MAX_CONSTRAINTS_PER_STEP),
        st.integers(1, limits.MAX_STEPS),
        hashes,
        hashes,
        st.integers(0, limits.MAX_TIME_MS),
        workers,
    ),
    "claim": steps_ranges.flatmap(
        lambda r: st.builds(ClaimAck, hashes, st.just(r[0]), st.just(r[1]))
    ),
    "fold": steps_ranges.flatmap(
        lambda r: st.builds(
            FoldDelivery,
            hashes,
            st.just(r[0]),
            st.just(r[1]),
            hashes,
            st.integers(1, limits.MAX_NODE_BYTES),
        )
    ),
    "merge": merges(),
    "root": st.builds(
        RootProof,
        hashes,
        hashes,
        st.binary(min_size=1, max_size=64),
        st.binary(min_size=1, max_size=256),
    ),
    "reject": st.builds(
        Rejection,
        hashes,
        hashes,
        st.sampled_from([int(r) for r in RejectReason]),
        st.binary(min_size=1, max_size=64),
        texts,
    ),
    "cancel": st.builds(Cancel, hashes, texts),
    "heartbeat": heartbeats(),
}


def test_strategies_cover_every_message_type() -> None:
    assert set(BODIES) == set(BODY_TYPES)


@pytest.mark.parametrize("type_name", sorted(BODIES))
@settings(max_examples=60, deadline=None)
@given(data=st.data(), seq=st.integers(0, limits.MAX_SEQ), exp=st.integers(0, limits.MAX_TIME_MS))
def test_round_trip(type_name: str, data: st.DataObject, seq: int, exp: int) -> None:
    body: Body = data.draw(BODIES[type_name])
    message = sign(body, REQUESTER, seq=seq, expires_ms=exp)
    wire = encode(message)
    decoded = decode(wire)
    assert decoded == message
    verify(decoded)
    assert encode(decoded) == wire


def _wire(message_index: int = 1) -> dict[str, Any]:
    wire: dict[str, Any] = cbor2.loads(encode(sample_messages()[message_index]))
    return wire


def _rejects(wire: dict[str, Any], error: type[ProtocolError], field: str) -> None:
    with pytest.raises(error) as info:
        decode(cbor2.dumps(wire, canonical=True))
    assert info.value.field == field


def test_unknown_envelope_field() -> None:
    wire = _wire()
    wire["extra"] = 1
    _rejects(wire, UnknownFieldError, "extra")


def test_unknown_body_field() -> None:
    wire = _wire()
    wire["body"]["color"] = "red"
    _rejects(wire, UnknownFieldError, "body.color")


def test_unknown_nested_field() -> None:
    wire = _wire()
    wire["body"]["workers"][2]["x"] = 0
    _rejects(wire, UnknownFieldError, "body.workers[2].x")


@pytest.mark.parametrize("key", ["v", "type", "from", "seq", "exp", "body", "sig"])
def test_missing_envelope_field(key: str) -> None:
    wire = _wire()
    del wire[key]
    _rejects(wire, MissingFieldError, key)


def test_missing_body_field() -> None:
    wire = _wire()
    del wire["body"]["steps"]
    _rejects(wire, MissingFieldError, "body.steps")


def test_unsupported_version() -> None:
    wire = _wire()
    wire["v"] = 2
    _rejects(wire, UnsupportedVersionError, "v")


def test_unknown_message_type() -> None:
    wire = _wire()
    wire["type"] = "gossip"
    _rejects(wire, UnknownMessageTypeError, "type")


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (("body", "steps"), "10", WrongTypeError),
        (("body", "steps"), 0, OutOfRangeError),
        (("body", "steps"), limits.MAX_STEPS + 1, OutOfRangeError),
        (("body", "steps"), -1, OutOfRangeError),
        (("body", "nonce"), b"short", OutOfRangeError),
        (("body", "circuit"), b"x" * 33, OversizeError),
        (("body", "workers"), [], OutOfRangeError),
        (("body", "workers"), {}, WrongTypeError),
        (("from",), b"x" * 31, OutOfRangeError),
        (("sig",), "sig", WrongTypeError),
        (("seq",), limits.MAX_SEQ + 1, OutOfRangeError),
        (("body",), [], WrongTypeError),
    ],
)
def test_bad_field_values(path: tuple[str, ...], value: object, error: type[ProtocolError]) -> None:
    wire = _wire()
    target = wire
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _rejects(wire, error, ".".join(path))


def test_workers_must_be_sorted_and_distinct() -> None:
    wire = _wire()
    workers = wire["body"]["workers"]
    workers[0], workers[1] = workers[1], workers[0]
    _rejects(wire, NonCanonicalError, "body.workers[1].peer")
    wire = _wire()
    wire["body"]["workers"][1] = wire["body"]["workers"][0]
    _rejects(wire, InconsistentFieldsError, "body.workers[1].peer")


def test_too_many_workers() -> None:
    wire = _wire()
    wire["body"]["workers"] = [
        {"peer": i.to_bytes(32, "big"), "cps": 1} for i in range(limits.MAX_WORKERS + 1)
    ]
    _rejects(wire, OversizeError, "body.workers")


def test_empty_range_is_inconsistent() -> None:
    wire = _wire(2)  # claim
    wire["body"]["start"] = wire["body"]["end"]
    _rejects(wire, InconsistentFieldsError, "body.end")


def test_oversize_message_is_rejected_before_parsing() -> None:
    with pytest.raises(OversizeError):
        decode(b"\xa7" + b"\x00" * limits.MAX_MESSAGE_BYTES)


def test_constructing_an_invalid_body_raises_the_same_errors() -> None:
    with pytest.raises(OutOfRangeError):
        CapacityAnnouncement(0, 0, 0)
    with pytest.raises(WrongTypeError):
        ClaimAck(b"x" * 32, True, 2)
    with pytest.raises(InconsistentFieldsError):
        Heartbeat(b"x" * 32, 0, 4, 5)
    with pytest.raises(InconsistentFieldsError):
        MergeResult(b"x" * 32, 0, 4, 4, b"l" * 32, b"r" * 32, b"n" * 32, 1)
    with pytest.raises(OversizeError):
        Cancel(b"x" * 32, "é" * 129)
    with pytest.raises(OversizeError):
        RootProof(b"x" * 32, b"n" * 32, b"r", b"p" * (limits.MAX_PROOF_BYTES + 1))


def test_job_message_size_with_max_workers_fits_gossip() -> None:
    body = job_message().body
    assert isinstance(body, JobAnnouncement)
    many = tuple(
        WorkerEntry(i.to_bytes(32, "big"), limits.MAX_CONSTRAINTS_PER_SECOND)
        for i in range(limits.MAX_WORKERS)
    )
    big = JobAnnouncement(
        body.nonce,
        body.circuit,
        body.constraints_per_step,
        body.steps,
        body.z0,
        body.inputs,
        body.start_ms,
        many,
    )
    wire = encode(sign(big, REQUESTER, seq=1, expires_ms=1))
    assert len(wire) < limits.MAX_EVIDENCE_BYTES < limits.MAX_MESSAGE_BYTES < 1024 * 1024
