"""A job's blobs as one node fetches and keeps them (SPEC.md §9): the circuit package, the
initial state, the input index and the inputs of the steps this node needs.

Each blob is taken from the node's blob store if it is there (after a restart, say), else
fetched by its content address from the requester, or failing that from another listed worker,
and stored before it is used; `fetch` retries until it gets it (the job's end cancels it). Every
blob this node holds for the job is also one it serves to the job's other peers (`servable`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import trio

from crypto.circom import carried_advice
from crypto.circuit.step import Advice
from node.blobstore import BlobKind
from node.net.errors import NetError
from node.proving import CircuitRef, retrying
from protocol import content
from protocol.content import AnyStepInput, RecordedStepInput
from protocol.errors import InconsistentFieldsError, ProtocolError, RuleViolationError
from protocol.limits import FIELD_ELEMENT_BYTES, MAX_STATE_ELEMENTS
from protocol.progress import JobProgress

if TYPE_CHECKING:
    from node.runtime import Node

logger = logging.getLogger("novanode.job")

FETCH_RETRY_S: Final = 2.0
"""Pause between rounds of fetching a blob that no peer served."""
PARALLEL_FETCHES: Final = 8
"""Step inputs fetched at once."""


class JobInputs:
    """The blobs of one job that this node holds or will fetch."""

    def __init__(self, node: Node, progress: JobProgress) -> None:
        self._node = node
        self._progress = progress
        self.circuit: CircuitRef | None = None
        self.z0: tuple[int, ...] | None = None
        self.index: tuple[bytes, ...] | None = None
        self.max_node_bytes: int | None = None
        self.steps: dict[int, AnyStepInput] = {}
        self.servable: dict[bytes, BlobKind] = {}
        self._lock = trio.Lock()

    async def prepare(self) -> None:
        """The circuit package, initial state and input index, fetched once; and, on a node
        that proves, the largest node blob the circuit allows (what a delivery is bounded by)."""
        async with self._lock:
            body = self._progress.body
            if self.circuit is None:
                await self.fetch(BlobKind.CIRCUIT, body.circuit)
                path = self._node.blobs.path(BlobKind.CIRCUIT, body.circuit)
                self.circuit = CircuitRef(body.circuit, path)
            if self.z0 is None:
                data = await self.fetch(BlobKind.STATE, body.z0)
                arity = len(data) // FIELD_ELEMENT_BYTES
                if not 1 <= arity <= MAX_STATE_ELEMENTS:
                    raise RuleViolationError("z0", "the initial state has no valid arity")
                self.z0 = content.decode_state(data, arity, field="z0")
            if self.index is None:
                data = await self.fetch(BlobKind.INPUT_INDEX, body.inputs)
                self.index = content.parse_input_index(data, body.inputs, body.steps)
            if self.max_node_bytes is None and self._node.proves:
                circuit = self.circuit
                self.max_node_bytes = await retrying(
                    lambda: self._node.proving.max_node_bytes(circuit)
                )

    def circuit_ref(self) -> CircuitRef:
        """The circuit, once `prepare` fetched it."""
        assert self.circuit is not None, "prepare() first"
        return self.circuit

    async def fetch_steps(self, steps: Iterable[int]) -> None:
        """The inputs of ``steps`` (after `prepare`), each checked against the index; step 0's
        must start from the announced z0 (§9.4)."""
        index, z0 = self.index, self.z0
        assert index is not None and z0 is not None, "prepare() first"
        limiter = trio.CapacityLimiter(PARALLEL_FETCHES)

        async def one(step: int) -> None:
            async with limiter:
                data = await self.fetch(BlobKind.STEP_INPUT, index[step])
                step_input = content.decode_step_input(data, len(z0))
                if step == 0 and state(step_input) != z0:
                    raise InconsistentFieldsError("inputs[0].z", "step 0 does not start at z0")
                self.steps[step] = step_input

        async with trio.open_nursery() as nursery:
            for step in sorted({s for s in steps if s not in self.steps}):
                nursery.start_soon(one, step)

    async def fetch(self, kind: BlobKind, digest: bytes) -> bytes:
        """The blob from the store, or fetched from the requester (then any other worker)
        and stored; retried until the job ends."""
        stored = self._node.blobs.get(kind, digest)
        if stored is None:
            me = self._node.public_key
            others = sorted(self._progress.listed - {me})
            peers = [p for p in (self._progress.requester, *others) if p != me]
            while stored is None:
                for peer in peers:
                    try:
                        stored = await self._node.fetch_blob(peer, self._progress.job, digest, kind)
                        break
                    except (NetError, ProtocolError) as error:
                        logger.debug("fetch of %s from %s: %s", digest.hex(), peer.hex(), error)
                else:
                    await trio.sleep(FETCH_RETRY_S)
            self._node.blobs.put(kind, stored)
        self.servable[digest] = kind
        return stored


def state(step: AnyStepInput) -> tuple[int, ...]:
    """The state before a step, as field elements."""
    return tuple(int.from_bytes(element, "little") for element in step.z)


def advice(step: AnyStepInput) -> Advice:
    """What the step circuit proves the step from: its advice object (checked to be a JSON
    object when the input was decoded), or a recorded step's witness, which the circuit bounds
    and checks in the proving worker (a circuit refuses the kind it does not take)."""
    if isinstance(step, RecordedStepInput):
        return carried_advice(step.witness)
    value = json.loads(step.advice.decode("utf-8"))
    assert isinstance(value, dict)
    return value
