"""Checks a node applies to well-formed, signed messages before acting on them (SPEC.md §8),
and the portable rejection it publishes when one fails.

These are pure: the caller supplies the job's assignment, who currently owns each position
(ownership changes on reassignment), who is hedging which position, and nothing else. Proof
verification belongs to the proof engine; the caller runs it on a node blob only after
`check_fold_delivery` and `protocol.content.check_blob` pass.
"""

from __future__ import annotations

from collections.abc import Mapping

from protocol.assignment import Assignment, Merge, Position
from protocol.errors import ProtocolError, RuleViolationError
from protocol.messages import (
    Body,
    Cancel,
    ClaimAck,
    FoldDelivery,
    Heartbeat,
    JobAnnouncement,
    MergeResult,
    Rejection,
    RejectReason,
    RootProof,
    SignedMessage,
    decode,
    encode,
)
from protocol.signing import verify

Owners = Mapping[int, bytes]
"""Position index → the peer that currently owns it (starts as the assignment's peers)."""


def _job_of(body: Body) -> bytes:
    job = getattr(body, "job", None)
    if not isinstance(job, bytes):
        raise RuleViolationError("type", f"a {body.TYPE} message is not about a job")
    return job


def _expect(message: SignedMessage, kind: type[Body], assignment: Assignment) -> None:
    if not isinstance(message.body, kind):
        raise RuleViolationError("type", f"expected a {kind.TYPE} message, got {message.type}")
    if _job_of(message.body) != assignment.job:
        raise RuleViolationError("body.job", "message is about another job")


def _position_of_range(assignment: Assignment, start: int, end: int) -> Position:
    for p in assignment.positions:
        if (p.start, p.end) == (start, end):
            return p
    raise RuleViolationError("body.start", f"no position proves the range [{start}, {end})")


def _require_worker(
    message: SignedMessage, index: int, owners: Owners, hedgers: Owners | None
) -> None:
    allowed = {owners.get(index), (hedgers or {}).get(index)}
    if message.sender not in allowed:
        raise RuleViolationError("from", f"the sender neither owns nor hedges position {index}")


def check_claim(
    message: SignedMessage, assignment: Assignment, owners: Owners, hedgers: Owners | None = None
) -> Position:
    """A claim names a position's exact range and comes from its owner or its hedger."""
    _expect(message, ClaimAck, assignment)
    assert isinstance(message.body, ClaimAck)
    position = _position_of_range(assignment, message.body.start, message.body.end)
    _require_worker(message, position.index, owners, hedgers)
    return position


def check_heartbeat(
    message: SignedMessage, assignment: Assignment, owners: Owners, hedgers: Owners | None = None
) -> Position:
    """A heartbeat reports on a position's exact range, from its owner or its hedger."""
    _expect(message, Heartbeat, assignment)
    assert isinstance(message.body, Heartbeat)
    position = _position_of_range(assignment, message.body.start, message.body.end)
    _require_worker(message, position.index, owners, hedgers)
    return position


def check_fold_delivery(
    message: SignedMessage,
    assignment: Assignment,
    owners: Owners,
    receiver: int,
    hedgers: Owners | None = None,
) -> Merge:
    """A node delivered to position ``receiver`` must be the right child of one of its merges and
    come from the owner (or hedger) of the sending position. Returns that merge."""
    _expect(message, FoldDelivery, assignment)
    body = message.body
    assert isinstance(body, FoldDelivery)
    for merge in assignment.incoming(receiver):
        if (body.start, body.end) == (merge.mid, merge.end):
            _require_worker(message, merge.sender, owners, hedgers)
            return merge
    raise RuleViolationError(
        "body.start", f"position {receiver} expects no node [{body.start}, {body.end})"
    )


def check_merge_result(message: SignedMessage, assignment: Assignment, owners: Owners) -> Merge:
    """A merge result names one of the assignment's merges and comes from its receiver's owner."""
    _expect(message, MergeResult, assignment)
    body = message.body
    assert isinstance(body, MergeResult)
    for merge in assignment.merges:
        if (merge.start, merge.mid, merge.end) == (body.start, body.mid, body.end):
            _require_worker(message, merge.receiver, owners, None)
            return merge
    raise RuleViolationError("body.mid", "the assignment has no such merge")


def check_root_proof(message: SignedMessage, assignment: Assignment, owners: Owners) -> None:
    """Only the owner of position 1, the root position, delivers the root proof."""
    _expect(message, RootProof, assignment)
    _require_worker(message, 1, owners, None)


def check_cancel(message: SignedMessage, announcement: SignedMessage, job: bytes) -> None:
    """Only the requester (the announcement's signer) may cancel its job."""
    body = message.body
    if not isinstance(body, Cancel):
        raise RuleViolationError("type", f"expected a cancel message, got {message.type}")
    if not isinstance(announcement.body, JobAnnouncement) or body.job != job:
        raise RuleViolationError("body.job", "cancel does not name this job")
    if message.sender != announcement.sender:
        raise RuleViolationError("from", "only the requester may cancel a job")


def rejection(offending: SignedMessage, reason: RejectReason, detail: str) -> Rejection:
    """The body of a rejection that carries the offending signed message as evidence."""
    if isinstance(offending.body, Rejection):
        raise RuleViolationError("evidence", "a rejection cannot be the evidence of another")
    return Rejection(
        job=_job_of(offending.body),
        offender=offending.sender,
        reason=int(reason),
        evidence=encode(offending),
        detail=detail,
    )


def check_rejection(body: Rejection) -> SignedMessage:
    """Check that a rejection's evidence is a message signed by the accused about the same job;
    returns the evidence. Whether the accusation holds may need the blob the evidence names."""
    try:
        evidence = decode(body.evidence)
        verify(evidence)
    except ProtocolError as exc:
        raise RuleViolationError(
            "body.evidence", f"evidence is not a valid message: {exc}"
        ) from None
    if isinstance(evidence.body, Rejection):
        raise RuleViolationError("body.evidence", "a rejection cannot be the evidence of another")
    if evidence.sender != body.offender:
        raise RuleViolationError("body.offender", "evidence was not signed by the accused")
    if _job_of(evidence.body) != body.job:
        raise RuleViolationError("body.job", "evidence is about another job")
    return evidence


_COMMITMENTS = (FoldDelivery, MergeResult, RootProof)


def is_equivocation(first: SignedMessage, second: SignedMessage) -> bool:
    """Whether two signed messages commit one sender to two different nodes for the same job and
    range: two fold deliveries, merge results or root proofs that differ (reason 5)."""
    a, b = first.body, second.body
    if first.sender != second.sender or type(a) is not type(b) or a == b:
        return False
    if not isinstance(a, _COMMITMENTS) or _job_of(a) != _job_of(b):
        return False
    if isinstance(a, RootProof):
        return True
    return (getattr(a, "start", None), getattr(a, "end", None)) == (
        getattr(b, "start", None),
        getattr(b, "end", None),
    )
