"""Checks before acting on a message: claims, fold deliveries, blobs, cancels, rejections with
portable evidence, and replay protection."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from protocol_samples import EXPIRES_MS, REQUESTER, WORKERS, job_message

from protocol.assignment import Assignment, assignment_of
from protocol.content import check_blob, content_hash, input_index, parse_input_index
from protocol.errors import (
    ContentMismatchError,
    OutOfRangeError,
    OversizeError,
    ReplayError,
    RuleViolationError,
)
from protocol.limits import MAX_TTL_MS
from protocol.messages import (
    Cancel,
    CapacityAnnouncement,
    ClaimAck,
    FoldDelivery,
    Heartbeat,
    MergeResult,
    RejectReason,
    RootProof,
    SignedMessage,
)
from protocol.replay import WINDOW, ReplayGuard
from protocol.rules import (
    check_cancel,
    check_claim,
    check_fold_delivery,
    check_heartbeat,
    check_merge_result,
    check_rejection,
    check_root_proof,
    is_equivocation,
    rejection,
)
from protocol.signing import job_id, sign
from protocol.tree import JoinNode, StepNode, job_tree

KEYS = {bytes(k.verify_key): k for k in WORKERS}


def _setup() -> tuple[SignedMessage, Assignment, dict[int, bytes]]:
    announcement = job_message()
    a = assignment_of(announcement)
    return announcement, a, {p.index: p.peer for p in a.positions}


def _signed_by(peer: bytes, body: object, seq: int = 1) -> SignedMessage:
    return sign(body, KEYS[peer], seq=seq, expires_ms=EXPIRES_MS)  # type: ignore[arg-type]


def test_claim_must_come_from_the_owner_or_hedger_for_a_position_range() -> None:
    _, a, owners = _setup()
    p = a.position(2)
    claim = ClaimAck(a.job, p.start, p.end)
    assert check_claim(_signed_by(p.peer, claim), a, owners) == p
    with pytest.raises(RuleViolationError, match="neither owns nor hedges"):
        check_claim(_signed_by(owners[1], claim), a, owners)
    assert check_claim(_signed_by(owners[1], claim), a, owners, hedgers={2: owners[1]}) == p
    with pytest.raises(RuleViolationError, match="no position"):
        check_claim(_signed_by(p.peer, ClaimAck(a.job, p.start, p.end + 1)), a, owners)
    with pytest.raises(RuleViolationError, match="another job"):
        check_claim(_signed_by(p.peer, ClaimAck(b"x" * 32, p.start, p.end)), a, owners)
    with pytest.raises(RuleViolationError, match="expected a claim"):
        check_claim(_signed_by(p.peer, Heartbeat(a.job, p.start, p.end, 0)), a, owners)


def test_heartbeat_reports_on_a_position_range() -> None:
    _, a, owners = _setup()
    p = a.position(3)
    assert check_heartbeat(_signed_by(p.peer, Heartbeat(a.job, p.start, p.end, 1)), a, owners) == p
    with pytest.raises(RuleViolationError):
        check_heartbeat(_signed_by(owners[1], Heartbeat(a.job, p.start, p.end, 1)), a, owners)


def test_merge_result_and_root_proof_come_from_the_receiver_and_the_root() -> None:
    _, a, owners = _setup()
    m = a.merges[-1]
    n = content_hash(b"n")
    body = MergeResult(a.job, m.start, m.mid, m.end, n, n, n, 1)
    assert check_merge_result(_signed_by(owners[m.receiver], body), a, owners) == m
    with pytest.raises(RuleViolationError):
        check_merge_result(_signed_by(owners[m.sender], body), a, owners)
    shifted = (
        dataclasses.replace(body, mid=m.mid + 1)
        if m.end - m.mid > 1
        else (dataclasses.replace(body, mid=m.mid - 1))
    )
    with pytest.raises(RuleViolationError, match="no such merge"):
        check_merge_result(_signed_by(owners[m.receiver], shifted), a, owners)
    root = RootProof(a.job, n, b"z", b"proof")
    check_root_proof(_signed_by(owners[1], root), a, owners)
    with pytest.raises(RuleViolationError):
        check_root_proof(_signed_by(owners[2], root), a, owners)


def test_fold_delivery_must_match_an_incoming_merge_and_its_sender() -> None:
    _, a, owners = _setup()
    merge = a.merges[0]
    body = FoldDelivery(a.job, merge.mid, merge.end, content_hash(b"node"), 4)
    assert (
        check_fold_delivery(_signed_by(owners[merge.sender], body), a, owners, merge.receiver)
        == merge
    )
    with pytest.raises(RuleViolationError, match="neither owns nor hedges"):
        check_fold_delivery(_signed_by(owners[merge.receiver], body), a, owners, merge.receiver)
    hedged = check_fold_delivery(
        _signed_by(owners[merge.receiver], body),
        a,
        owners,
        merge.receiver,
        hedgers={merge.sender: owners[merge.receiver]},
    )
    assert hedged == merge
    wrong_range = (
        dataclasses.replace(body, end=merge.end - 1)
        if merge.end - merge.mid > 1
        else (dataclasses.replace(body, start=merge.start, end=merge.mid))
    )
    with pytest.raises(RuleViolationError, match="expects no node"):
        check_fold_delivery(
            _signed_by(owners[merge.sender], wrong_range), a, owners, merge.receiver
        )
    with pytest.raises(RuleViolationError, match="expected a fold"):
        check_fold_delivery(
            _signed_by(owners[merge.sender], Heartbeat(a.job, 0, 1, 0)), a, owners, merge.receiver
        )


def test_fold_deliveries_and_merge_results_name_exactly_the_joins() -> None:
    """A join's children are what fold deliveries carry and its range what a merge result
    names; a step node inside a position's range is never delivered or merged by the protocol."""
    _, a, owners = _setup()
    n = content_hash(b"n")
    tree = job_tree(a)
    joins = [(p.position, p.node) for p in tree if isinstance(p.node, JoinNode)]
    assert len(joins) == len(a.positions) - 1
    for receiver, join in joins:
        sender = next(m.sender for m in a.incoming(receiver) if m.mid == join.mid)
        delivery = FoldDelivery(a.job, join.mid, join.end, n, 1)
        merge = check_fold_delivery(_signed_by(owners[sender], delivery), a, owners, receiver)
        assert (merge.start, merge.mid, merge.end) == (join.start, join.mid, join.end)
        result = MergeResult(a.job, join.start, join.mid, join.end, n, n, n, 1)
        assert check_merge_result(_signed_by(owners[receiver], result), a, owners) == merge
    inner = 0
    for placed in tree:
        step = placed.node
        if not isinstance(step, StepNode) or step.left is None:
            continue
        position = a.position(placed.position)
        owner = owners[placed.position]
        if (step.start, step.end) != (position.start, position.end):
            inner += 1
            delivery = FoldDelivery(a.job, step.start, step.end, n, 1)
            for receiver in range(1, len(a.positions) + 1):
                with pytest.raises(RuleViolationError, match="expects no node"):
                    check_fold_delivery(_signed_by(owner, delivery), a, owners, receiver)
        result = MergeResult(a.job, step.start, step.pivot, step.end, n, n, n, 1)
        with pytest.raises(RuleViolationError, match="no such merge"):
            check_merge_result(_signed_by(owner, result), a, owners)
    assert inner > 0


def test_blob_must_match_its_content_address_and_size() -> None:
    blob = b"node bytes"
    check_blob(blob, content_hash(blob), len(blob), "node")
    with pytest.raises(ContentMismatchError):
        check_blob(blob, content_hash(blob), len(blob) + 1, "node")
    with pytest.raises(ContentMismatchError):
        check_blob(blob + b"!", content_hash(blob), len(blob) + 1, "node")


def test_input_index_names_each_step_input() -> None:
    steps = [content_hash(bytes([i])) for i in range(5)]
    index = input_index(steps)
    assert parse_input_index(index, hashlib.sha256(index).digest(), 5) == tuple(steps)
    with pytest.raises(ContentMismatchError):
        parse_input_index(index, hashlib.sha256(index).digest(), 4)
    with pytest.raises(OutOfRangeError):
        input_index([b"short"])
    with pytest.raises(OversizeError):
        parse_input_index(b"\x00" * (32 * (1 << 20) + 32), b"\x00" * 32, 1)


def test_only_the_requester_cancels() -> None:
    announcement = job_message()
    job = job_id(announcement)
    check_cancel(
        sign(Cancel(job, "done"), REQUESTER, seq=9, expires_ms=EXPIRES_MS), announcement, job
    )
    with pytest.raises(RuleViolationError, match="only the requester"):
        check_cancel(
            sign(Cancel(job, ""), WORKERS[0], seq=9, expires_ms=EXPIRES_MS), announcement, job
        )
    with pytest.raises(RuleViolationError):
        check_cancel(
            sign(Cancel(b"y" * 32, ""), REQUESTER, seq=9, expires_ms=EXPIRES_MS), announcement, job
        )


def test_rejection_carries_portable_evidence() -> None:
    _, a, owners = _setup()
    bad = _signed_by(owners[2], FoldDelivery(a.job, 0, 1, b"n" * 32, 1))
    body = rejection(bad, RejectReason.RULE_VIOLATION, "not its range")
    assert body.offender == bad.sender and body.job == a.job
    published = sign(body, WORKERS[0], seq=5, expires_ms=EXPIRES_MS)
    assert check_rejection(published.body) == bad  # type: ignore[arg-type]
    with pytest.raises(RuleViolationError, match="not signed by the accused"):
        check_rejection(dataclasses.replace(body, offender=owners[1]))
    with pytest.raises(RuleViolationError, match="another job"):
        check_rejection(dataclasses.replace(body, job=b"z" * 32))
    with pytest.raises(RuleViolationError, match="not a valid message"):
        check_rejection(dataclasses.replace(body, evidence=body.evidence[:-1] + b"\x00"))
    with pytest.raises(RuleViolationError, match="cannot be the evidence"):
        rejection(published, RejectReason.RULE_VIOLATION, "")
    with pytest.raises(RuleViolationError, match="not about a job"):
        rejection(
            _signed_by(owners[1], CapacityAnnouncement(1, 0, 1)), RejectReason.RULE_VIOLATION, ""
        )


def test_replay_guard_refuses_repeats_expired_and_too_old() -> None:
    guard = ReplayGuard()
    now = EXPIRES_MS - 1000

    def heartbeat(seq: int, key: int = 0, exp: int = EXPIRES_MS) -> SignedMessage:
        return sign(Heartbeat(b"j" * 32, 0, 2, 1), WORKERS[key], seq=seq, expires_ms=exp)

    guard.accept(heartbeat(100), now)
    with pytest.raises(ReplayError, match="already seen"):
        guard.accept(heartbeat(100), now)
    guard.accept(heartbeat(99), now)  # out of order within the window is fine
    guard.accept(heartbeat(100 + WINDOW), now)
    with pytest.raises(ReplayError, match="below the replay window"):
        guard.accept(heartbeat(100), now)
    guard.accept(heartbeat(100, key=1), now)  # windows are per sender
    with pytest.raises(ReplayError, match="expired"):
        guard.accept(heartbeat(5000), EXPIRES_MS + 1)
    with pytest.raises(ReplayError, match="ahead"):
        guard.accept(heartbeat(5001, exp=now + MAX_TTL_MS + 1), now)


def test_replay_guard_bounds_senders_and_forgets_only_expired_ones() -> None:
    guard = ReplayGuard(max_senders=2)
    now = 1_000
    guard.accept(sign(Heartbeat(b"j" * 32, 0, 2, 1), WORKERS[0], seq=1, expires_ms=2_000), now)
    guard.accept(sign(Heartbeat(b"j" * 32, 0, 2, 1), WORKERS[1], seq=1, expires_ms=9_000), now)
    third = sign(Heartbeat(b"j" * 32, 0, 2, 1), WORKERS[2], seq=1, expires_ms=9_000)
    with pytest.raises(ReplayError, match="too many"):
        guard.accept(third, now)
    guard.accept(third, 3_000)  # worker 0's messages have all expired: it can be forgotten
    with pytest.raises(ReplayError, match="already seen"):
        guard.accept(
            sign(Heartbeat(b"j" * 32, 0, 2, 1), WORKERS[1], seq=1, expires_ms=9_000), 3_000
        )


def test_equivocation_is_two_different_commitments_for_one_range() -> None:
    _, a, owners = _setup()
    peer = owners[2]
    fold = FoldDelivery(a.job, 0, 4, content_hash(b"a"), 10)
    first = _signed_by(peer, fold, seq=1)
    assert is_equivocation(first, _signed_by(peer, dataclasses.replace(fold, node=b"b" * 32), 2))
    assert not is_equivocation(first, _signed_by(peer, fold, seq=2))  # same commitment
    assert not is_equivocation(first, _signed_by(peer, dataclasses.replace(fold, end=5), 2))
    assert not is_equivocation(
        first, _signed_by(owners[1], dataclasses.replace(fold, node=b"b" * 32))
    )
    assert not is_equivocation(first, _signed_by(peer, dataclasses.replace(fold, job=b"j" * 32), 2))
    claim = _signed_by(peer, ClaimAck(a.job, 0, 4), 3)
    assert not is_equivocation(claim, _signed_by(peer, ClaimAck(a.job, 0, 5), 4))
    root = RootProof(a.job, b"n" * 32, b"z", b"p")
    assert is_equivocation(
        _signed_by(peer, root, 5), _signed_by(peer, dataclasses.replace(root, result=b"y"), 6)
    )
