"""What a node announces it can do: measured throughput and free job slots (SPEC.md §5.1).

A requester sizes every position's range, and every peer computes every deadline, from the
throughput a worker announced (§6.6): ``work(s, c) = ⌈s · (cost + 48 000) · 1000 / c⌉``. So the
figure must be *measured*, in the unit that formula divides by: constraints of one tree node
(the step circuit's plus the augmented circuits' 48,000) per second. `measure_cps` proves a few
step nodes of a fixed reference circuit and divides that node's constraints by the median time
of one proof; then `work_ms` of one node of the reference circuit is the measured time, and of
any other circuit the time the same prover would take if proving cost is linear in constraints.

`Capacity` holds the announced numbers and the slots behind them: a node reserves a slot before
it claims a position (it MUST NOT claim one while announcing no free slot) and re-announces when
its numbers change or its last announcement is half-way to expiry, so a requester always finds
an unexpired announcement of every live node.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from crypto.circuit.builtins import builtin
from crypto.circuit.cache import ShapeCache
from crypto.circuit.step import StepCircuit, trace
from crypto.tree.params import public_params
from crypto.tree.prover import prove_step
from protocol import schedule
from protocol.errors import OutOfRangeError
from protocol.limits import MAX_CONSTRAINTS_PER_SECOND, MAX_SLOTS, PERMILLE
from protocol.messages import CapacityAnnouncement

REFERENCE_CIRCUIT: Final = "builtin:cubic?log2=10"
"""The circuit every node measures: the size (F of 2^10 constraints) at which the schedule's
per-node overhead and join and compression costs were calibrated (`benchmarks/tree.py`), so the
announced figure and the deadline constants describe the same proofs; small enough that a node
proof takes well under a second, and built in, so every node measures the same F."""
REFERENCE_Z0: Final = (7,)
BENCHMARK_CTX: Final = hashlib.sha256(b"novanode/capacity/benchmark").digest()
"""The job context the benchmark proves under: no job's, so its nodes are useless elsewhere."""

ANNOUNCE_TTL_MS: Final = 60_000
"""A capacity announcement's lifetime (``exp - now``): a requester lists only live nodes, and a
node that stopped re-announcing drops out of new jobs within a minute."""


@dataclass(frozen=True)
class Throughput:
    """A measured throughput: constraints per second, from the median seconds of one node."""

    cps: int
    seconds_per_node: float


def measure_cps(cache_dir: Path, *, nodes: int = 2) -> Throughput:
    """Prove ``nodes`` step nodes of `REFERENCE_CIRCUIT` and derive the throughput to announce.

    The parameters come through ``ShapeCache(cache_dir)``, so a restarted node measures without
    recording the circuits again; only the proofs are timed. ``cps`` is ⌊(cost + 48 000) /
    median seconds⌋, clamped to the protocol's range 1 … 2^40.
    """
    if nodes < 1:
        raise ValueError(f"the benchmark proves at least one node, not {nodes}")
    step = builtin(REFERENCE_CIRCUIT)
    cache = ShapeCache(cache_dir)
    params = public_params(step, cache)
    cost = _step_cost(step, cache)
    states = trace(step, REFERENCE_Z0, [None] * nodes)
    seconds = []
    for m in range(nodes):
        began = time.perf_counter()
        prove_step(params, BENCHMARK_CTX, m, states[m], None)
        seconds.append(time.perf_counter() - began)
    per_node = statistics.median(seconds)
    constraints = cost + schedule.STEP_OVERHEAD_CONSTRAINTS
    cps = int(constraints / per_node) if per_node > 0 else MAX_CONSTRAINTS_PER_SECOND
    return Throughput(min(max(cps, 1), MAX_CONSTRAINTS_PER_SECOND), per_node)


def _step_cost(step: StepCircuit, cache: ShapeCache) -> int:
    """F's own constraint count, from its recorded shape (cached with the parameters)."""
    return cache.step_shape(step).n_constraints


class Capacity:
    """The node's job slots and measured throughput, and when to announce them again.

    A job holds at most one slot: `take` of a job already holding one succeeds without taking
    another, and `release` of a job holding none does nothing, so the engine may call both on
    every claim and every end of a job.
    """

    def __init__(self, slots: int, cps: int) -> None:
        if not 0 <= slots <= MAX_SLOTS:
            raise OutOfRangeError("slots", f"a node offers 0 … {MAX_SLOTS} slots, not {slots}")
        if not 1 <= cps <= MAX_CONSTRAINTS_PER_SECOND:
            raise OutOfRangeError("cps", f"throughput is 1 … 2^40 constraints/s, not {cps}")
        self.slots = slots
        self.cps = cps
        self._jobs: set[bytes] = set()
        self._last: tuple[CapacityAnnouncement, int] | None = None

    def take(self, job: bytes) -> bool:
        """Reserve a slot for ``job``; False when none is free (then the node MUST NOT claim)."""
        if job in self._jobs:
            return True
        if self.free_slots == 0:
            return False
        self._jobs.add(job)
        return True

    def release(self, job: bytes) -> None:
        """Free ``job``'s slot (the job ended, failed, or was handed to a successor)."""
        self._jobs.discard(job)

    @property
    def free_slots(self) -> int:
        return self.slots - len(self._jobs)

    @property
    def load_permille(self) -> int:
        """Busy slots per thousand; a node with no slots at all is fully loaded."""
        if self.slots == 0:
            return PERMILLE
        return len(self._jobs) * PERMILLE // self.slots

    def announcement(self) -> CapacityAnnouncement:
        """The body to sign and publish now (with ``exp = now + ANNOUNCE_TTL_MS``)."""
        return CapacityAnnouncement(self.cps, self.load_permille, self.free_slots)

    def due(self, now_ms: int) -> bool:
        """Whether to announce now: never announced, numbers changed since the last
        announcement, or the last one is half-way (or more) to its expiry."""
        if self._last is None:
            return True
        body, at_ms = self._last
        return body != self.announcement() or now_ms - at_ms >= ANNOUNCE_TTL_MS // 2

    def announced(self, now_ms: int) -> None:
        """Record that the current `announcement()` was published at ``now_ms``."""
        self._last = (self.announcement(), now_ms)
