"""The throughput benchmark and the announced capacity (SPEC.md §5.1, §6.6)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crypto.circuit.builtins import builtin
from crypto.circuit.cache import ShapeCache
from crypto.circuit.step import trace
from crypto.tree.params import public_params
from crypto.tree.prover import prove_step
from node.capacity import (
    ANNOUNCE_TTL_MS,
    BENCHMARK_CTX,
    REFERENCE_CIRCUIT,
    REFERENCE_Z0,
    Capacity,
    measure_cps,
)
from protocol import schedule
from protocol.errors import OutOfRangeError
from protocol.limits import MAX_CONSTRAINTS_PER_SECOND, MAX_SLOTS
from protocol.messages import CapacityAnnouncement

JOB_A, JOB_B, JOB_C = (bytes([i]) * 32 for i in range(3))


def test_measured_cps_predicts_a_reference_node_within_a_factor_two(tmp_path: Path) -> None:
    measured = measure_cps(tmp_path, nodes=2)
    assert 1 <= measured.cps <= MAX_CONSTRAINTS_PER_SECOND
    assert measured.seconds_per_node > 0
    # The parameters are on disk now: a restarted node does not record the circuits again.
    assert any((tmp_path / "shapes").iterdir())

    # A node proven afterwards, timed here, against what the schedule's formula predicts from
    # the announced figure: a check that cps is in the unit work_ms divides by, not of speed.
    step = builtin(REFERENCE_CIRCUIT)
    cache = ShapeCache(tmp_path)
    params = public_params(step, cache)
    cost = cache.step_shape(step).n_constraints
    assert cost == 1024
    per_node = cost + schedule.STEP_OVERHEAD_CONSTRAINTS
    assert measured.cps == int(per_node / measured.seconds_per_node)
    z = trace(step, REFERENCE_Z0, [None] * 3)
    began = time.perf_counter()
    prove_step(params, BENCHMARK_CTX, 2, z[2], None)
    actual_ms = (time.perf_counter() - began) * 1000
    predicted_ms = schedule.work_ms(1, cost, measured.cps)
    assert actual_ms / 2 <= predicted_ms <= actual_ms * 2


def test_measure_cps_needs_a_node(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        measure_cps(tmp_path, nodes=0)


def test_slots_are_taken_once_per_job_and_released() -> None:
    capacity = Capacity(slots=2, cps=50_000)
    assert (capacity.free_slots, capacity.load_permille) == (2, 0)
    assert capacity.take(JOB_A)
    assert capacity.take(JOB_A)  # the same job holds one slot
    assert (capacity.free_slots, capacity.load_permille) == (1, 500)
    assert capacity.take(JOB_B)
    assert (capacity.free_slots, capacity.load_permille) == (0, 1000)
    assert not capacity.take(JOB_C)  # no claim while announcing no free slot
    capacity.release(JOB_A)
    capacity.release(JOB_A)  # releasing twice frees nothing more
    assert (capacity.free_slots, capacity.load_permille) == (1, 500)
    assert capacity.take(JOB_C)
    assert capacity.announcement() == CapacityAnnouncement(50_000, 1000, 0)


def test_a_node_without_slots_is_fully_loaded_and_takes_nothing() -> None:
    capacity = Capacity(slots=0, cps=1)
    assert not capacity.take(JOB_A)
    assert capacity.announcement() == CapacityAnnouncement(1, 1000, 0)


def test_load_is_rounded_down_so_a_free_slot_never_shows_full_load() -> None:
    capacity = Capacity(slots=3, cps=10)
    capacity.take(JOB_A)
    capacity.take(JOB_B)
    assert capacity.load_permille == 666
    assert capacity.announcement() == CapacityAnnouncement(10, 666, 1)


@pytest.mark.parametrize(
    ("slots", "cps"), [(-1, 1), (MAX_SLOTS + 1, 1), (1, 0), (1, MAX_CONSTRAINTS_PER_SECOND + 1)]
)
def test_out_of_range_capacity_is_refused(slots: int, cps: int) -> None:
    with pytest.raises(OutOfRangeError):
        Capacity(slots, cps)


def test_reannounce_on_change_or_at_half_the_ttl() -> None:
    capacity = Capacity(slots=2, cps=1000)
    assert capacity.due(0)  # never announced
    capacity.announced(1_000)
    assert not capacity.due(1_000)
    assert not capacity.due(1_000 + ANNOUNCE_TTL_MS // 2 - 1)
    assert capacity.due(1_000 + ANNOUNCE_TTL_MS // 2)

    capacity.announced(100_000)
    capacity.take(JOB_A)
    assert capacity.due(100_001)  # the numbers changed
    capacity.release(JOB_A)
    assert not capacity.due(100_001)  # back to what was announced
    capacity.take(JOB_A)
    capacity.announced(100_002)
    assert not capacity.due(100_003)
