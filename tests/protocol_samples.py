"""Fixed sample messages and keys shared by the protocol tests, the fuzz seeds and the vectors."""

from __future__ import annotations

import hashlib

from nacl.signing import SigningKey

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
    encode,
)
from protocol.signing import sign


def seed(label: str) -> bytes:
    """A fixed 32-byte Ed25519 seed named by a label (never use such keys outside tests)."""
    return hashlib.sha256(b"novanode test key " + label.encode()).digest()


def key(label: str) -> SigningKey:
    return SigningKey(seed(label))


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


REQUESTER = key("requester")
WORKERS = tuple(key(f"worker-{i}") for i in range(4))
KEY_LABELS = {"requester": REQUESTER} | {f"worker-{i}": k for i, k in enumerate(WORKERS)}
SEQ = 7
EXPIRES_MS = 1_800_000_000_000
START_MS = 1_799_999_000_000


def job_body() -> JobAnnouncement:
    entries = sorted(
        (WorkerEntry(bytes(k.verify_key), 1_000_000 * (i + 1)) for i, k in enumerate(WORKERS)),
        key=lambda w: w.peer,
    )
    return JobAnnouncement(
        nonce=bytes(range(16)),
        circuit=h("circuit"),
        constraints_per_step=20_000,
        steps=10,
        z0=h("z0"),
        inputs=h("inputs"),
        start_ms=START_MS,
        workers=tuple(entries),
    )


def job_message() -> SignedMessage:
    return sign(job_body(), REQUESTER, seq=SEQ, expires_ms=EXPIRES_MS)


def sample_bodies() -> list[tuple[SigningKey, Body]]:
    """One body of every message type with the key that signs it."""
    job = hashlib.sha256(b"a job id").digest()
    worker = WORKERS[0]
    offending = sign(
        FoldDelivery(job, 0, 4, h("bad node"), 1234), WORKERS[1], seq=3, expires_ms=EXPIRES_MS
    )
    return [
        (worker, CapacityAnnouncement(2_500_000, 125, 3)),
        (REQUESTER, job_body()),
        (worker, ClaimAck(job, 0, 4)),
        (worker, FoldDelivery(job, 4, 8, h("node 4-8"), 5_000_000)),
        (worker, MergeResult(job, 0, 4, 8, h("node 0-4"), h("node 4-8"), h("node 0-8"), 9_000_000)),
        (worker, RootProof(job, h("root node"), b"final state z_N", b"\x01" * 300)),
        (
            worker,
            Rejection(
                job,
                bytes(WORKERS[1].verify_key),
                int(RejectReason.INVALID_PROOF),
                encode(offending),
                "node 0-4 fails verification",
            ),
        ),
        (REQUESTER, Cancel(job, "requester no longer needs it")),
        (worker, Heartbeat(job, 0, 4, 2)),
    ]


def sample_messages() -> list[SignedMessage]:
    return [sign(body, k, seq=SEQ, expires_ms=EXPIRES_MS) for k, body in sample_bodies()]
