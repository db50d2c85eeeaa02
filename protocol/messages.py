"""The messages of protocol version 1 (SPEC.md §5) as frozen dataclasses, and their wire form.

A message on the wire is a signed envelope (`SignedMessage`) around one body. Bodies are
`Record`s: constructing one with an invalid value raises the same `ProtocolError` that decoding
it would, so code can neither send nor accept a message that breaks the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from protocol import cbor
from protocol.errors import (
    InconsistentFieldsError,
    MissingFieldError,
    NonCanonicalError,
    OversizeError,
    UnknownFieldError,
    UnknownMessageTypeError,
    UnsupportedVersionError,
    WrongTypeError,
)
from protocol.limits import (
    HASH_BYTES,
    MAX_CONSTRAINTS_PER_SECOND,
    MAX_CONSTRAINTS_PER_STEP,
    MAX_EVIDENCE_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_NODE_BYTES,
    MAX_PROOF_BYTES,
    MAX_RESULT_BYTES,
    MAX_SEQ,
    MAX_SLOTS,
    MAX_STEPS,
    MAX_TEXT_BYTES,
    MAX_TIME_MS,
    MAX_WORKERS,
    NONCE_BYTES,
    PERMILLE,
    PROTOCOL_VERSION,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
)
from protocol.schema import Bytes, FieldType, Nested, Record, Seq, Text, UInt

HASH = Bytes(HASH_BYTES, HASH_BYTES)
PEER = Bytes(PUBLIC_KEY_BYTES, PUBLIC_KEY_BYTES)
STEP = UInt(0, MAX_STEPS - 1)
STEP_END = UInt(1, MAX_STEPS)
TIME = UInt(0, MAX_TIME_MS)


class RejectReason(IntEnum):
    """Why a node rejected a peer's message (SPEC.md §8.2)."""

    INVALID_PROOF = 1
    CONTENT_MISMATCH = 2
    RULE_VIOLATION = 3
    MISSED_DEADLINE = 4
    EQUIVOCATION = 5


def _check_range(prefix: str, start: int, end: int) -> None:
    if start >= end:
        raise InconsistentFieldsError(f"{prefix}end", f"range [{start}, {end}) is empty")


class Body(Record):
    """A message body; TYPE is its name on the wire and in the signature domain."""

    TYPE: ClassVar[str]


@dataclass(frozen=True)
class CapacityAnnouncement(Body):
    """What a node can prove right now, measured, so it never claims more than it can do."""

    TYPE: ClassVar[str] = "capacity"
    constraints_per_second: int
    load_permille: int
    free_slots: int

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("cps", "constraints_per_second", UInt(1, MAX_CONSTRAINTS_PER_SECOND)),
        ("load", "load_permille", UInt(0, PERMILLE)),
        ("slots", "free_slots", UInt(0, MAX_SLOTS)),
    )


@dataclass(frozen=True)
class WorkerEntry(Record):
    """One eligible worker the requester saw, with the capacity it announced."""

    peer: bytes
    constraints_per_second: int

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("peer", "peer", PEER),
        ("cps", "constraints_per_second", UInt(1, MAX_CONSTRAINTS_PER_SECOND)),
    )


@dataclass(frozen=True)
class JobAnnouncement(Body):
    """A request to prove ``steps`` steps of a circuit; fixes the whole assignment (SPEC.md §6)."""

    TYPE: ClassVar[str] = "job"
    nonce: bytes
    circuit: bytes
    constraints_per_step: int
    steps: int
    z0: bytes
    inputs: bytes
    start_ms: int
    workers: tuple[WorkerEntry, ...]

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("nonce", "nonce", Bytes(NONCE_BYTES, NONCE_BYTES)),
        ("circuit", "circuit", HASH),
        ("cost", "constraints_per_step", UInt(1, MAX_CONSTRAINTS_PER_STEP)),
        ("steps", "steps", UInt(1, MAX_STEPS)),
        ("z0", "z0", HASH),
        ("inputs", "inputs", HASH),
        ("start", "start_ms", TIME),
        ("workers", "workers", Seq(Nested(WorkerEntry), 1, MAX_WORKERS)),
    )

    def check_consistency(self, prefix: str) -> None:
        for i in range(1, len(self.workers)):
            if self.workers[i - 1].peer == self.workers[i].peer:
                raise InconsistentFieldsError(f"{prefix}workers[{i}].peer", "duplicate worker")
            if self.workers[i - 1].peer > self.workers[i].peer:
                raise NonCanonicalError(
                    f"{prefix}workers[{i}].peer", "workers must be sorted by peer key, ascending"
                )


@dataclass(frozen=True)
class ClaimAck(Body):
    """A worker's commitment to prove the step range [start, end) of a job."""

    TYPE: ClassVar[str] = "claim"
    job: bytes
    start: int
    end: int

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("start", "start", STEP),
        ("end", "end", STEP_END),
    )

    def check_consistency(self, prefix: str) -> None:
        _check_range(prefix, self.start, self.end)


@dataclass(frozen=True)
class FoldDelivery(Body):
    """Hands the node proving [start, end) to its merger; the node blob follows on the stream."""

    TYPE: ClassVar[str] = "fold"
    job: bytes
    start: int
    end: int
    node: bytes
    size: int

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("start", "start", STEP),
        ("end", "end", STEP_END),
        ("node", "node", HASH),
        ("size", "size", UInt(1, MAX_NODE_BYTES)),
    )

    def check_consistency(self, prefix: str) -> None:
        _check_range(prefix, self.start, self.end)


@dataclass(frozen=True)
class MergeResult(Body):
    """Announces that nodes [start, mid) and [mid, end) were verified and merged into ``node``."""

    TYPE: ClassVar[str] = "merge"
    job: bytes
    start: int
    mid: int
    end: int
    left: bytes
    right: bytes
    node: bytes
    size: int

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("start", "start", STEP),
        ("mid", "mid", STEP),
        ("end", "end", STEP_END),
        ("left", "left", HASH),
        ("right", "right", HASH),
        ("node", "node", HASH),
        ("size", "size", UInt(1, MAX_NODE_BYTES)),
    )

    def check_consistency(self, prefix: str) -> None:
        if not self.start < self.mid < self.end:
            raise InconsistentFieldsError(
                f"{prefix}mid", f"need start < mid < end, got {self.start}, {self.mid}, {self.end}"
            )


@dataclass(frozen=True)
class RootProof(Body):
    """The compressed SNARK of the root node and the final state it proves."""

    TYPE: ClassVar[str] = "root"
    job: bytes
    node: bytes
    result: bytes
    proof: bytes

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("node", "node", HASH),
        ("result", "result", Bytes(1, MAX_RESULT_BYTES)),
        ("proof", "proof", Bytes(1, MAX_PROOF_BYTES)),
    )


@dataclass(frozen=True)
class Rejection(Body):
    """A public, portable accusation: ``evidence`` is the offender's own signed message."""

    TYPE: ClassVar[str] = "reject"
    job: bytes
    offender: bytes
    reason: int
    evidence: bytes
    detail: str

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("offender", "offender", PEER),
        ("reason", "reason", UInt(min(RejectReason), max(RejectReason))),
        ("evidence", "evidence", Bytes(1, MAX_EVIDENCE_BYTES)),
        ("detail", "detail", Text(0, MAX_TEXT_BYTES)),
    )


@dataclass(frozen=True)
class Cancel(Body):
    """The requester withdraws a job; only the job's requester may send it."""

    TYPE: ClassVar[str] = "cancel"
    job: bytes
    reason: str

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("reason", "reason", Text(0, MAX_TEXT_BYTES)),
    )


@dataclass(frozen=True)
class Heartbeat(Body):
    """Progress of a worker on its range: ``done`` of its end - start steps are folded."""

    TYPE: ClassVar[str] = "heartbeat"
    job: bytes
    start: int
    end: int
    done: int

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]] = (
        ("job", "job", HASH),
        ("start", "start", STEP),
        ("end", "end", STEP_END),
        ("done", "done", UInt(0, MAX_STEPS)),
    )

    def check_consistency(self, prefix: str) -> None:
        _check_range(prefix, self.start, self.end)
        if self.done > self.end - self.start:
            raise InconsistentFieldsError(f"{prefix}done", "more steps done than in the range")


BODY_TYPES: dict[str, type[Body]] = {
    cls.TYPE: cls
    for cls in (
        CapacityAnnouncement,
        JobAnnouncement,
        ClaimAck,
        FoldDelivery,
        MergeResult,
        RootProof,
        Rejection,
        Cancel,
        Heartbeat,
    )
}

_SEQ = UInt(0, MAX_SEQ)
_SIG = Bytes(SIGNATURE_BYTES, SIGNATURE_BYTES)
_ENVELOPE_KEYS = ("v", "type", "from", "seq", "exp", "body", "sig")


@dataclass(frozen=True)
class SignedMessage:
    """A body with its sender's key, sequence number, expiry and Ed25519 signature."""

    sender: bytes
    seq: int
    expires_ms: int
    body: Body
    signature: bytes

    def __post_init__(self) -> None:
        PEER.check(self.sender, "from")
        _SEQ.check(self.seq, "seq")
        TIME.check(self.expires_ms, "exp")
        if not isinstance(self.body, Body) or type(self.body) not in BODY_TYPES.values():
            raise WrongTypeError("body", f"not a message body: {type(self.body).__name__}")
        _SIG.check(self.signature, "sig")

    @property
    def type(self) -> str:
        """The message type name."""
        return self.body.TYPE


def unsigned_map(sender: bytes, seq: int, expires_ms: int, body: Body) -> dict[str, object]:
    """The envelope map without its signature: what the signature covers."""
    return {
        "v": PROTOCOL_VERSION,
        "type": body.TYPE,
        "from": sender,
        "seq": seq,
        "exp": expires_ms,
        "body": body.to_wire(),
    }


def encode(message: SignedMessage) -> bytes:
    """The canonical wire bytes of a signed message."""
    wire = unsigned_map(message.sender, message.seq, message.expires_ms, message.body)
    wire["sig"] = message.signature
    data = cbor.encode(wire)
    if len(data) > MAX_MESSAGE_BYTES:
        raise OversizeError("$", f"{len(data)} bytes exceed the limit of {MAX_MESSAGE_BYTES}")
    return data


def decode(data: bytes) -> SignedMessage:
    """Parse and validate wire bytes; does NOT check the signature (see `protocol.signing`)."""
    wire = cbor.decode(data, MAX_MESSAGE_BYTES)
    if type(wire) is not dict:
        raise WrongTypeError("$", f"expected a map, got {type(wire).__name__}")
    for key in wire:
        if key not in _ENVELOPE_KEYS:
            raise UnknownFieldError(str(key)[:64], "field not defined by the envelope")
    for key in _ENVELOPE_KEYS:
        if key not in wire:
            raise MissingFieldError(key, "required field is absent")
    version = wire["v"]
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise UnsupportedVersionError(
            "v", f"version {version!r}; this node speaks {PROTOCOL_VERSION}"
        )
    type_name = wire["type"]
    if type(type_name) is not str:
        raise WrongTypeError("type", f"expected a text string, got {type(type_name).__name__}")
    body_type = BODY_TYPES.get(type_name)
    if body_type is None:
        raise UnknownMessageTypeError("type", f"{type_name[:32]!r} is not a message type")
    sender = PEER.from_wire(wire["from"], "from")
    seq = _SEQ.from_wire(wire["seq"], "seq")
    expires_ms = TIME.from_wire(wire["exp"], "exp")
    body = body_type.from_wire(wire["body"], "body")
    signature = _SIG.from_wire(wire["sig"], "sig")
    assert isinstance(sender, bytes) and isinstance(signature, bytes)
    assert isinstance(seq, int) and isinstance(expires_ms, int)
    return SignedMessage(sender, seq, expires_ms, body, signature)
