"""Checks a node applies to well-formed, signed messages before acting on them (SPEC.md §8),
and the portable rejection it publishes when one fails.

These are pure: the caller supplies the job's assignment, the current owners of positions (which
change on reassignment) and the time. Proof verification itself belongs to the proof engine; the
caller runs it on the blob after `check_fold_delivery` and `protocol.content.check_blob` pass.
"""

from __future__ import annotations

from protocol.assignment import Assignment, Merge
from protocol.errors import ProtocolError, RuleViolationError
from protocol.messages import (
    Body,
    Cancel,
    ClaimAck,
    FoldDelivery,
    JobAnnouncement,
    Rejection,
    RejectReason,
    SignedMessage,
    decode,
    encode,
)
from protocol.signing import verify


def _job_of(body: Body) -> bytes:
    job = getattr(body, "job", None)
    if not isinstance(job, bytes):
        raise RuleViolationError("type", f"a {body.TYPE} message is not about a job")
    return job


def _require_job(message: SignedMessage, assignment: Assignment) -> None:
    if _job_of(message.body) != assignment.job:
        raise RuleViolationError("body.job", "message is about another job")


def check_claim(message: SignedMessage, assignment: Assignment, owner: bytes, index: int) -> None:
    """A claim must come from the current owner of position ``index`` and name its range."""
    body = message.body
    if not isinstance(body, ClaimAck):
        raise RuleViolationError("type", f"expected a claim, got {message.type}")
    _require_job(message, assignment)
    position = assignment.position(index)
    if message.sender != owner:
        raise RuleViolationError("from", f"position {index} is not owned by the sender")
    if (body.start, body.end) != (position.start, position.end):
        raise RuleViolationError(
            "body.start", f"position {index} is [{position.start}, {position.end})"
        )


def check_fold_delivery(
    message: SignedMessage, assignment: Assignment, owners: dict[int, bytes], receiver: int
) -> Merge:
    """A fold delivered to position ``receiver`` must be the node one of its merges expects,
    from the current owner of the sending position. Returns that merge."""
    body = message.body
    if not isinstance(body, FoldDelivery):
        raise RuleViolationError("type", f"expected a fold delivery, got {message.type}")
    _require_job(message, assignment)
    for merge in assignment.incoming(receiver):
        if (body.start, body.end) == (merge.mid, merge.end):
            if owners.get(merge.sender) != message.sender:
                raise RuleViolationError(
                    "from", f"position {merge.sender}, not the sender, delivers this node"
                )
            return merge
    raise RuleViolationError(
        "body.start", f"position {receiver} expects no node [{body.start}, {body.end})"
    )


def check_cancel(message: SignedMessage, announcement: SignedMessage, job: bytes) -> None:
    """Only the requester (the announcement's signer) may cancel its job."""
    body = message.body
    if not isinstance(body, Cancel):
        raise RuleViolationError("type", f"expected a cancel, got {message.type}")
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
