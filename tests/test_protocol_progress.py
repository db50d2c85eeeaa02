"""The shared view of a job (`protocol.progress`): ownership, claims, deadlines, rejections."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey
from protocol_samples import EXPIRES_MS, REQUESTER, START_MS, h, key

from protocol import rules, schedule
from protocol.errors import BadSignatureError, RuleViolationError
from protocol.messages import (
    ClaimAck,
    FoldDelivery,
    JobAnnouncement,
    MergeResult,
    RejectReason,
    RootProof,
    SignedMessage,
    WorkerEntry,
)
from protocol.progress import JobProgress, StandbysExhaustedError
from protocol.signing import sign

KEYS = {bytes(k.verify_key): k for k in (key(f"progress-{i}") for i in range(6))}


def announce(steps: int, workers: int) -> JobProgress:
    peers = sorted(KEYS)[:workers]
    body = JobAnnouncement(
        nonce=bytes(16),
        circuit=h("circuit"),
        constraints_per_step=10_000,
        steps=steps,
        z0=h("z0"),
        inputs=h("inputs"),
        start_ms=START_MS,
        workers=tuple(WorkerEntry(p, 1_000_000) for p in peers),
    )
    return JobProgress(sign(body, REQUESTER, seq=1, expires_ms=EXPIRES_MS))


_seq = iter(range(100, 10_000))


def said(signer: bytes | SigningKey, body: object) -> SignedMessage:
    signing_key = signer if isinstance(signer, SigningKey) else KEYS[signer]
    return sign(body, signing_key, seq=next(_seq), expires_ms=EXPIRES_MS)  # type: ignore[arg-type]


def claim(progress: JobProgress, index: int, by: bytes | None = None) -> SignedMessage:
    p = progress.assignment.position(index)
    return said(by or p.peer, ClaimAck(progress.job, p.start, p.end))


def reject(
    progress: JobProgress, judge: bytes | SigningKey, evidence: SignedMessage
) -> SignedMessage:
    return said(judge, rules.rejection(evidence, RejectReason.MISSED_DEADLINE, "late"))


def test_a_fresh_job_has_the_announced_owners_and_deadlines() -> None:
    progress = announce(steps=8, workers=4)
    assert progress.owners == {p.index: p.peer for p in progress.assignment.positions}
    assert progress.deadlines == schedule.deadlines(progress.assignment, 10_000, START_MS)
    assert progress.claim_due(1) == START_MS + schedule.CLAIM_WINDOW_MS
    assert progress.due(1) == progress.deadlines.root_by


def test_claims_are_recorded_from_owners_only() -> None:
    progress = announce(steps=8, workers=4)
    progress.on_claim(claim(progress, 2))
    assert set(progress.claims) == {2}
    with pytest.raises(RuleViolationError):
        progress.on_claim(claim(progress, 3, by=progress.owner(2)))


def test_unclaimed_positions_are_those_past_their_claim_deadline() -> None:
    progress = announce(steps=8, workers=4)
    progress.on_claim(claim(progress, 1))
    due = progress.claim_due(2)
    assert progress.unclaimed(due) == []
    assert progress.unclaimed(due + 1) == [2, 3, 4]


def test_a_reassigned_position_goes_to_the_first_standby_and_its_deadlines_restart() -> None:
    progress = announce(steps=2, workers=4)  # two positions, two standbys
    assert len(progress.assignment.positions) == 2
    before = progress.deadlines
    standby = progress.assignment.standbys[0].peer
    offender = progress.owner(2)
    later = START_MS + 120_000
    moved = progress.reassign(2, later)
    assert (moved.index, moved.offender, moved.successor) == (2, offender, standby)
    assert progress.owner(2) == standby and offender in progress.failed
    assert progress.claim_due(2) == later + schedule.CLAIM_WINDOW_MS
    assert progress.deadlines.leaf_by[1] > later > before.leaf_by[1]
    # The receiver of position 2 (position 1) waits for it, so the root moves too.
    assert progress.deadlines.root_by > before.root_by
    assert progress.deadlines.leaf_by[0] == before.leaf_by[0]


def test_a_rejection_from_the_judge_reassigns_and_one_from_anyone_else_does_not() -> None:
    progress = announce(steps=8, workers=4)
    late = claim(progress, 2)
    progress.on_claim(late)
    judge = progress.judge_of(2)
    assert judge == progress.owner(1)
    bystander = progress.owner(3)
    assert progress.on_rejection(reject(progress, bystander, late), START_MS) is None
    assert progress.on_rejection(reject(progress, REQUESTER, late), START_MS) is None
    moved = progress.on_rejection(reject(progress, judge, late), START_MS)
    assert moved is not None and moved.index == 2
    # The same accusation again is stale: the offender no longer owns the position.
    assert progress.on_rejection(reject(progress, judge, late), START_MS) is None


def test_the_requester_judges_position_one_by_its_root_proof() -> None:
    progress = announce(steps=8, workers=4)
    root = said(progress.owner(1), RootProof(progress.job, h("root"), b"\x01", b"\x02"))
    progress.on_root(root)
    rejection = said(REQUESTER, rules.rejection(root, RejectReason.INVALID_PROOF, "bad"))
    moved = progress.on_rejection(rejection, START_MS)
    assert moved is not None and moved.index == 1


def test_a_rejection_with_forged_evidence_is_refused() -> None:
    progress = announce(steps=8, workers=4)
    forged = claim(progress, 2, by=bytes(key("progress-5").verify_key))
    body = rules.rejection(forged, RejectReason.MISSED_DEADLINE, "late")
    body = type(body)(body.job, progress.owner(2), body.reason, body.evidence, body.detail)
    with pytest.raises(RuleViolationError):
        progress.on_rejection(said(progress.judge_of(2), body), START_MS)
    tampered = said(progress.owner(2), ClaimAck(progress.job, 0, 1))
    data = bytearray(rules.rejection(tampered, RejectReason.MISSED_DEADLINE, "").evidence)
    data[-1] ^= 1
    with pytest.raises((RuleViolationError, BadSignatureError)):
        progress.on_rejection(
            said(
                progress.judge_of(2),
                type(body)(progress.job, progress.owner(2), 4, bytes(data), ""),
            ),
            START_MS,
        )


def test_running_out_of_standbys_fails_the_job() -> None:
    progress = announce(steps=2, workers=2)
    progress.reassign(2, START_MS)  # to position 1's owner, the only one left
    with pytest.raises(StandbysExhaustedError):
        progress.reassign(2, START_MS)


def test_equivocation_is_two_different_commitments_for_one_range() -> None:
    progress = announce(steps=8, workers=4)
    merge = progress.assignment.merges[0]
    sender = progress.owner(merge.sender)
    first = said(sender, FoldDelivery(progress.job, merge.mid, merge.end, h("a"), 10))
    again = said(sender, FoldDelivery(progress.job, merge.mid, merge.end, h("a"), 10))
    other = said(sender, FoldDelivery(progress.job, merge.mid, merge.end, h("b"), 10))
    assert progress.commit(first) is None
    assert progress.commit(again) is None
    assert progress.commit(other) == first


def test_accused_positions_follow_the_evidence() -> None:
    progress = announce(steps=8, workers=4)
    merge = next(m for m in progress.assignment.merges if m.level == 2)
    job = progress.job
    fold = said(progress.owner(merge.sender), FoldDelivery(job, merge.mid, merge.end, h("n"), 1))
    result = said(
        progress.owner(merge.receiver),
        MergeResult(job, merge.start, merge.mid, merge.end, h("l"), h("r"), h("n"), 1),
    )
    assert progress.accused_position(fold) == merge.sender
    assert progress.accused_position(result) == merge.receiver
    assert progress.accused_position(claim(progress, 3)) == 3
