"""Deterministic assignment: the same job gives the same assignment whatever the input order;
shares are within one step of capacity-proportional; every step has exactly one owner, every
merge exactly one receiver (the tree over these is tested in test_protocol_tree.py)."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_samples import job_message

from protocol import limits
from protocol.assignment import (
    Assignment,
    apportion,
    assign,
    assignment_of,
    merge_plan,
    rank,
    rank_key,
    replace,
)
from protocol.errors import AssignmentError
from protocol.messages import WorkerEntry
from protocol.schedule import (
    CLAIM_WINDOW_MS,
    COMPRESS_COST_STEPS,
    MERGE_COST_STEPS,
    STEP_OVERHEAD_CONSTRAINTS,
    deadlines,
    range_deadlines,
    work_ms,
)

JOB = hashlib.sha256(b"job").digest()


def _workers(count: int, rng: random.Random, max_cps: int = 10**6) -> list[WorkerEntry]:
    return [WorkerEntry(rng.randbytes(32), rng.randint(1, max_cps)) for _ in range(count)]


def _check_partition_and_routing(a: Assignment, workers: list[WorkerEntry]) -> None:
    n = a.steps
    # Every step has exactly one owner: the ranges tile [0, N) in position order.
    assert [p.index for p in a.positions] == list(range(1, len(a.positions) + 1))
    assert a.positions[0].start == 0 and a.positions[-1].end == n
    for p, q in zip(a.positions, a.positions[1:], strict=False):
        assert p.start < p.end == q.start
    # Balance: each listed worker's share is within one step of N·c/C.
    total = sum(w.constraints_per_second for w in workers)
    share = {p.peer: p.end - p.start for p in a.positions}
    assert len(share) + len(a.standbys) == len(workers)
    for w in workers:
        assert abs(share.get(w.peer, 0) * total - n * w.constraints_per_second) < total
    # Every merge has exactly one receiver and joins two adjacent held nodes; every position but
    # the root sends exactly once; the root ends holding [0, N).
    held = {p.index: (p.start, p.end) for p in a.positions}
    senders = [m.sender for m in a.merges]
    assert sorted(senders) == list(range(2, len(a.positions) + 1))
    for m in a.merges:
        assert held[m.receiver] == (m.start, m.mid) and held.pop(m.sender) == (m.mid, m.end)
        held[m.receiver] = (m.start, m.end)
    assert held == {1: (0, n)}


def test_every_n_up_to_1000_and_every_worker_count_up_to_64() -> None:
    rng = random.Random(1)
    for n in range(1, 1001):
        for w in range(1, 65):
            workers = _workers(w, rng)
            _check_partition_and_routing(assign(JOB, n, workers), workers)


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, limits.MAX_STEPS),
    caps=st.lists(st.integers(1, limits.MAX_CONSTRAINTS_PER_SECOND), min_size=1, max_size=64),
    order_seed=st.integers(0, 2**32),
)
def test_determinism_independent_of_order(n: int, caps: list[int], order_seed: int) -> None:
    rng = random.Random(order_seed)
    workers = [WorkerEntry(rng.randbytes(32), c) for c in caps]
    shuffled = list(workers)
    rng.shuffle(shuffled)
    a = assign(JOB, n, workers)
    assert a == assign(JOB, n, shuffled) == assign(JOB, n, tuple(reversed(workers)))
    _check_partition_and_routing(a, workers)


def test_equal_capacities_split_evenly_and_ties_go_by_rank() -> None:
    assert apportion(10, (1, 1, 1)) == (4, 3, 3)
    assert apportion(2, (5, 5, 5, 5)) == (1, 1, 0, 0)
    assert apportion(7, (1, 2, 4)) == (1, 2, 4)


def test_workers_beyond_the_steps_become_standbys_in_rank_order() -> None:
    rng = random.Random(2)
    workers = _workers(10, rng, max_cps=1)
    a = assign(JOB, 3, workers)
    ranked = rank(JOB, workers)
    assert [p.peer for p in a.positions] == [w.peer for w in ranked[:3]]
    assert a.standbys == ranked[3:]
    assert a.standby_order() == tuple(w.peer for w in ranked[3:] + ranked[:3])


def test_ranking_depends_on_the_job() -> None:
    workers = _workers(16, random.Random(3))
    other = hashlib.sha256(b"other job").digest()
    assert rank(JOB, workers) != rank(other, workers)
    assert (
        rank_key(JOB, workers[0].peer)
        == hashlib.sha256(b"novanode/v1/rank\x00" + JOB + workers[0].peer).digest()
    )


def test_merge_routing_pairs_2k_with_2k_minus_1() -> None:
    bounds = tuple(range(0, 60, 10))  # five positions of 10 steps
    plan = [(m.level, m.receiver, m.sender) for m in merge_plan(5, bounds)]
    assert plan == [(1, 1, 2), (1, 3, 4), (2, 1, 3), (3, 1, 5)]


def test_assignment_of_the_signed_announcement() -> None:
    message = job_message()
    a = assignment_of(message)
    assert a == assignment_of(message)
    assert a.steps == 10 and len(a.positions) == 4


def test_duplicate_workers_and_bad_inputs_are_rejected() -> None:
    w = WorkerEntry(b"a" * 32, 1)
    with pytest.raises(AssignmentError):
        assign(JOB, 4, [w, w])
    with pytest.raises(AssignmentError):
        assign(JOB, 0, [w])
    with pytest.raises(AssignmentError):
        assign(JOB, 4, [])


def test_replacement_takes_over_only_the_failed_position() -> None:
    rng = random.Random(4)
    workers = _workers(6, rng, max_cps=1)
    a = assign(JOB, 4, workers)
    failed = a.position(3).peer
    successor = a.next_standby({failed})
    assert successor == a.standbys[0].peer
    b = replace(a, 3, successor)
    assert b.position(3).peer == successor
    assert (b.position(3).start, b.position(3).end) == (a.position(3).start, a.position(3).end)
    assert [p for p in b.positions if p.index != 3] == [p for p in a.positions if p.index != 3]
    assert b.merges == a.merges
    with pytest.raises(AssignmentError):
        replace(a, 3, b"z" * 32)
    with pytest.raises(AssignmentError):
        a.next_standby(w.peer for w in workers)


def test_outgoing_and_incoming_merges() -> None:
    a = assign(JOB, 8, _workers(4, random.Random(5), max_cps=1))
    assert a.outgoing(1) is None
    assert [m.sender for m in a.incoming(1)] == [2, 3]
    outgoing = a.outgoing(4)
    assert outgoing is not None and outgoing.receiver == 3


def test_deadlines_follow_throughput_and_the_merge_order() -> None:
    a = assign(JOB, 100, _workers(5, random.Random(6)))
    d = deadlines(a, 10_000, 1_000)
    assert d.claim_by == 1_000 + CLAIM_WINDOW_MS
    for p in a.positions:
        work = work_ms(p.end - p.start, 10_000, p.constraints_per_second)
        assert d.claim_by < d.hedge_at[p.index - 1] <= d.claim_by + 2 * work
        assert d.hedge_at[p.index - 1] < d.leaf_by[p.index - 1] <= d.deliver_by[p.index - 1]
    for m in a.merges:
        assert d.deliver_by[m.sender - 1] < d.deliver_by[m.receiver - 1]
    assert d.root_by == d.deliver_by[0] == max(d.deliver_by)
    # 10 step nodes of 1,000 + 48,000 constraints at 1,000 constraints/s: 490 s of work.
    assert range_deadlines(0, 10, 1000, 1000) == (735_000, 990_000)


def test_a_join_costs_merge_cost_step_proofs_at_the_receiver() -> None:
    """Two positions of one step each: position 2 delivers to 1, which proves one join."""
    a = assign(JOB, 2, _workers(2, random.Random(7), max_cps=1))
    cps = [p.constraints_per_second for p in a.positions]
    d = deadlines(a, 4_000, 0)
    per_node = (4_000 + STEP_OVERHEAD_CONSTRAINTS) * 1000 // cps[0]
    assert d.leaf_by == (CLAIM_WINDOW_MS + 2 * per_node + 10_000,) * 2
    assert d.deliver_by[1] == d.leaf_by[1] + 10_000
    ready = d.deliver_by[1] + 2 * MERGE_COST_STEPS * per_node
    assert d.root_by == ready + 2 * COMPRESS_COST_STEPS * per_node + 10_000
