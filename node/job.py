"""One job as this node takes part in it — as a worker, as its requester, or both (SPEC.md §2).

A `JobRunner` holds the job's shared view (`protocol.progress.JobProgress`) and acts on it:

* **Worker.** For each position this node owns (from the assignment, or taken over from a failed
  peer) it fetches the circuit, z0 and the input index by content address (§9,
  `node.job_inputs`), claims the range (or leaves it, freeing its slot, if they were not served
  by the claim deadline), fetches its steps' inputs, proves the range's step nodes bottom-up in the
  proving service's worker processes, joins each node it receives, publishes a merge result
  per join, and delivers its final node to its receiver (§6.5) until that receiver's merge
  result acknowledges it; the owner of position 1 compresses the root and publishes the root
  proof.
* **Receiver.** A delivered node is verified in full (§8.1 steps 5–7) before it is kept; one that
  fails is rejected with the signed delivery as evidence, which passes the sender's position to
  its successor (§8.2). A receiver whose sender misses its deadline rejects it with its claim.
* **Requester.** It serves the job's blobs, verifies the root proof and rejects a late or invalid
  one (it judges position 1).
* **Everyone.** Positions left unclaimed at their claim deadline pass to their successors; the
  job ends complete (a valid root proof), cancelled, expired or failed (no standby left).

Every finished node and received node is stored (blob store, then job database) before it is
used, and every message that changed the shared view is appended to the job's history, so a
node killed at any moment resumes from what it had: `JobRunner.restore` replays the history, and
the position work skips every node already stored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import trio

from crypto.errors import CryptoError
from node.blobstore import BlobKind
from node.errors import InvalidNodeError, InvalidProofError, NodeError
from node.job_inputs import JobInputs, advice, state
from node.logs import log_event
from node.net.errors import NetError
from node.proving import retrying
from protocol import content, messages, rules, transport
from protocol.assignment import Merge, Position
from protocol.errors import OversizeError, ProtocolError, RuleViolationError
from protocol.lifecycle import TERMINAL_JOB_STATES, JobEvent, JobState
from protocol.messages import (
    Body,
    Cancel,
    ClaimAck,
    FoldDelivery,
    Heartbeat,
    MergeResult,
    Rejection,
    RejectReason,
    RootProof,
    SignedMessage,
)
from protocol.progress import JobProgress, Reassignment, StandbysExhaustedError
from protocol.tree import JoinNode, StepNode, TreeNode, local_nodes

if TYPE_CHECKING:
    from crypto.tree.node import Statement
    from node.runtime import Node

logger = logging.getLogger("novanode.job")

HEARTBEAT_S = 10.0
"""How often a worker reports its progress on a range (SPEC §5.9)."""
WATCH_S = 0.5
"""How often deadlines are checked."""
REDELIVER_S = 15.0
"""How long a sender waits for its receiver's merge result before delivering again."""
WORKER_ROOT_CHECK_DELAY_S = 2.0
"""How long a worker waits before checking a root proof itself (see `_check_root`)."""
MAX_REPORTED_REJECTIONS = 256
"""Rejections kept for the job's report: enough for any honest job, bounded for a hostile one."""
CLAIM_REPEATS_S = (0.0, 3.0, 7.0)
"""When a claim is published, and repeated, after the position's work starts."""

_ADVANCE_TO: dict[JobState, tuple[JobEvent, ...]] = {
    JobState.PROVING: (JobEvent.CLAIM_WINDOW_CLOSED,),
    JobState.COMPRESSING: (JobEvent.CLAIM_WINDOW_CLOSED, JobEvent.ROOT_NODE_READY),
    JobState.COMPLETE: (
        JobEvent.CLAIM_WINDOW_CLOSED,
        JobEvent.ROOT_NODE_READY,
        JobEvent.ROOT_PROOF_VERIFIED,
    ),
}


class JobRunner:
    """This node's part in one job; `run` it in the node's nursery until the job ends."""

    def __init__(self, node: Node, progress: JobProgress) -> None:
        self.node = node
        self.progress = progress
        self.job = progress.job
        self.topic = transport.job_topic(self.job)
        self.me = node.public_key
        self.is_requester = progress.requester == self.me
        self.state = JobState.ANNOUNCED
        self.inputs = JobInputs(node, progress)
        self.own: dict[TreeNode, bytes] = {}
        self.received: dict[tuple[int, int], bytes] = {}
        self.done_steps: dict[int, int] = {}
        self.rejections: list[SignedMessage] = []
        self.result: Statement | None = None
        self.ended = trio.Event()
        self.ended_why = ""
        self._changed = trio.Event()
        self._work: dict[int, trio.CancelScope] = {}
        self._judged: set[tuple[int, bytes]] = set()
        self._slot = False
        self._nursery: trio.Nursery | None = None

    # Construction from the database

    def restore(self) -> None:
        """Replays the job's recorded history and reloads its finished and received nodes."""
        store = self.node.jobstore
        self.state = store.job(self.job).state
        for at_ms, data, timeout in store.events(self.job):
            if timeout is not None:
                self.progress.reassign(timeout, at_ms)
                continue
            assert data is not None
            message = messages.decode(data)
            try:
                self._apply(message, at_ms, live=False)
            except ProtocolError as error:
                logger.warning(
                    "job %s: recorded event no longer applies: %s", self.job.hex(), error
                )
        self.own = store.finished_nodes(self.job)
        self.received = store.received_nodes(self.job)
        for digest in [*self.own.values(), *self.received.values()]:
            self.inputs.servable[digest] = BlobKind.NODE

    # Life cycle

    async def run(self, topic: trio.MemoryReceiveChannel[SignedMessage]) -> None:
        """Takes part in the job until it ends (or the node stops)."""
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._consume, topic)
                nursery.start_soon(self._watch)
                if self.is_requester and self.progress.root is not None and self.result is None:
                    nursery.start_soon(self._check_root, self.progress.root)
                self._start_owned()
                await self.ended.wait()
                nursery.cancel_scope.cancel()
        finally:
            self._release_slot()
            self.ended.set()  # also when an error stopped it: nobody waits on a dead runner

    def check_gossip(self, message: SignedMessage) -> None:
        """§8.1 step 4 as far as a gossip validator can judge it: the job is live and the sender
        is its requester or one of its listed workers. Roles that depend on reassignments are
        checked when the message is applied."""
        if self.state in TERMINAL_JOB_STATES:
            raise RuleViolationError("body.job", "the job has ended")
        if not self.progress.is_participant(message.sender):
            raise RuleViolationError("from", "the sender is neither the requester nor a worker")

    def finish(self, state: JobState, why: str) -> None:
        """Ends the job in ``state`` (terminal), records it and stops all its work."""
        if self.state in TERMINAL_JOB_STATES:
            return
        self._advance(state)
        self.ended_why = why
        self._log("job ended", state=state.value, why=why)
        self.ended.set()
        self._notify()

    # Applying messages

    async def _consume(self, topic: trio.MemoryReceiveChannel[SignedMessage]) -> None:
        async for message in topic:
            try:
                self._apply(message, self.node.now_ms(), live=True)
            except ProtocolError as error:
                self.node.metrics.rejections.labels(reason="rule_violation").inc()
                self._log(
                    "job message refused",
                    type=message.type,
                    sender=message.sender.hex()[:16],
                    error=str(error),
                )

    def _apply(self, message: SignedMessage, at_ms: int, *, live: bool) -> None:
        """Applies one job-topic message to the shared view; ``live`` messages also trigger
        this node's reactions (replayed ones only rebuild the view). Only a message that
        changed the view joins the job's recorded history, so repeated claims or rejections
        that move nothing cannot grow the database."""
        body = message.body
        progress = self.progress
        changed = True
        if isinstance(body, Heartbeat):
            position = progress.on_heartbeat(message)
            self.done_steps[position.index] = body.done
            return
        if isinstance(body, ClaimAck):
            index = progress.accused_position(message)  # the position whose range it names
            known = None if index is None else progress.claims.get(index)
            progress.on_claim(message)
            changed = known is None or known.sender != message.sender
        elif isinstance(body, MergeResult):
            earlier = progress.commit(message)
            if earlier is not None and live:
                self._spawn(self._reject, message, RejectReason.EQUIVOCATION, "two merge results")
                return
            known = progress.merges.get((body.start, body.mid, body.end))
            changed = known is None or (known.sender, known.body) != (message.sender, body)
            progress.on_merge(message)
        elif isinstance(body, RootProof):
            known = progress.root
            changed = known is None or (known.sender, known.body) != (message.sender, body)
            progress.on_root(message)
            if live and changed:
                self._spawn(self._check_root, message)
        elif isinstance(body, Rejection):
            changed = self._apply_rejection(message, at_ms, live=live)
        elif isinstance(body, Cancel):
            rules.check_cancel(message, progress.announcement, self.job)
            if live:
                self.node.jobstore.add_event(self.job, at_ms, message=messages.encode(message))
                self.finish(JobState.CANCELLED, body.reason or "cancelled by the requester")
            return
        if live and changed:
            self.node.jobstore.add_event(self.job, at_ms, message=messages.encode(message))
        self._notify()

    def _apply_rejection(self, message: SignedMessage, at_ms: int, *, live: bool) -> bool:
        """Applies a rejection; True if it passed a position to its successor (or left none)."""
        body = message.body
        assert isinstance(body, Rejection)
        try:
            moved = self.progress.on_rejection(message, at_ms)
        except StandbysExhaustedError as error:
            self._report(message)
            if live:
                self.finish(JobState.FAILED, str(error))
            return True
        # Kept only once its evidence checked: a forged accusation is neither reported nor held.
        self._report(message)
        if live and moved is not None:
            # Only a judge's rejection costs score: anyone can quote a worker's signed claim, so
            # a rejection from a peer that had no node of the offender's to judge proves nothing.
            self.node.scores.penalize(body.offender, RejectReason(body.reason), at_ms / 1000)
            self._log(
                "rejection",
                logging.WARNING,
                offender=body.offender.hex()[:16],
                reason=RejectReason(body.reason).name,
                detail=body.detail,
                reassigned=moved is not None,
            )
        if moved is not None:
            self._after_reassignment(moved, live=live)
        return moved is not None

    def _report(self, rejection: SignedMessage) -> None:
        """Keeps a checked rejection for the job's report, at most `MAX_REPORTED_REJECTIONS`."""
        if len(self.rejections) < MAX_REPORTED_REJECTIONS:
            self.rejections.append(rejection)

    def _after_reassignment(self, moved: Reassignment, *, live: bool) -> None:
        self._log("position reassigned", position=moved.index, successor=moved.successor.hex()[:16])
        if moved.offender == self.me:
            scope = self._work.pop(moved.index, None)
            if scope is not None:
                scope.cancel()
            if not self.progress.positions_of(self.me):
                # Nothing left to prove here: holding the slot until the job ends would let a
                # requester that never serves its blobs lock it until its announcement expires.
                self._release_slot()
        if live and moved.successor == self.me:
            self._start_owned()
        self._notify()

    # Deadlines

    async def _watch(self) -> None:
        while True:
            now = self.node.now_ms()
            try:
                self._check_deadlines(now)
            except StandbysExhaustedError as error:
                self.finish(JobState.FAILED, str(error))
            await trio.sleep(WATCH_S)

    def _check_deadlines(self, now: int) -> None:
        progress = self.progress
        if now > self.progress.announcement.expires_ms:
            self.finish(JobState.EXPIRED, "the announcement expired")
            return
        if self.state is JobState.ANNOUNCED and now > progress.deadlines.claim_by:
            self._advance(JobState.PROVING)
        for index in progress.unclaimed(now):
            moved = progress.reassign(index, progress.claim_due(index))
            self.node.jobstore.add_event(self.job, moved.at_ms, timeout=index)
            self._after_reassignment(moved, live=True)
        for index in self._judged_positions():
            if self._delivered(index) or now <= progress.due(index):
                continue
            offender = progress.owner(index)
            claim = progress.claims.get(index)
            if claim is None or (index, offender) in self._judged:
                continue
            self._judged.add((index, offender))
            self._spawn(self._reject, claim, RejectReason.MISSED_DEADLINE, "deadline missed")

    def _judged_positions(self) -> list[int]:
        """The positions whose work this node judges (`JobProgress.judge_of`)."""
        progress = self.progress
        return [
            p.index
            for p in progress.assignment.positions
            if p.peer != self.me and progress.judge_of(p.index) == self.me
        ]

    def _delivered(self, index: int) -> bool:
        if index == 1:
            return self.progress.root is not None
        merge = self.progress.assignment.outgoing(index)
        assert merge is not None
        return (merge.mid, merge.end) in self.received

    # Position work

    def _start_owned(self) -> None:
        if self.state in TERMINAL_JOB_STATES or self._nursery is None:
            return
        if not self.node.proves:
            return
        for position in self.progress.positions_of(self.me):
            if position.index not in self._work:
                scope = trio.CancelScope()
                self._work[position.index] = scope
                self._nursery.start_soon(self._work_on, position.index, scope)

    async def _work_on(self, index: int, scope: trio.CancelScope) -> None:
        with scope:
            if not self._take_slot():
                self._log("no free slot: position not claimed", logging.WARNING, position=index)
                return
            try:
                await self._prove_position(index)
            except (NodeError, NetError, ProtocolError, CryptoError) as error:
                self._log(
                    "position work failed",
                    logging.ERROR,
                    position=index,
                    error=f"{type(error).__name__}: {error}",
                )
            finally:
                # Work that ended (failed, or left before its claim) frees the job's slot
                # once this node works on no other position of it.
                if self._work.get(index) is scope:
                    del self._work[index]
                if not self._work:
                    self._release_slot()

    async def _prove_position(self, index: int) -> None:
        position = self.progress.assignment.position(index)
        self._log("position started", position=index, start=position.start, end=position.end)
        # The circuit, z0 and input index come first: a node claims only work it can start, and
        # a requester that does not serve them cannot hold this node's slot past the deadline.
        claim = self.progress.claims.get(index)
        if claim is not None and claim.sender == self.me:  # claimed before a restart
            await self.inputs.prepare()
        else:
            remaining_s = (self.progress.claim_due(index) - self.node.now_ms()) / 1000
            with trio.move_on_after(max(remaining_s, 0.0)) as fetching:
                await self.inputs.prepare()
            if fetching.cancelled_caught:
                self._log(
                    "position left: the circuit was not served by the claim deadline",
                    position=index,
                )
                return
            self._spawn(self._claim, position)
        merges = self.progress.assignment.incoming(index)
        await self.inputs.fetch_steps(
            [*range(position.start, position.end), *(m.mid for m in merges)]
        )
        started = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._heartbeats, position)
            current = await self._prove_range(position)
            nursery.cancel_scope.cancel()
        self._log("range proven", position=index, s=round(trio.current_time() - started, 3))
        for merge in merges:
            current = await self._join(merge, current)
        outgoing = self.progress.assignment.outgoing(index)
        if outgoing is None:
            await self._compress(current)
        else:
            self._release_slot()
            await self._deliver(outgoing, current)

    async def _claim(self, position: Position) -> None:
        """Claims the position, then twice more a few seconds apart: a peer that joined the
        job's topic a moment after this node did may have missed the first (claims are
        idempotent, so a repeated one changes nothing for those that saw it)."""
        for pause in CLAIM_REPEATS_S:
            await trio.sleep(pause)
            if self.progress.owner(position.index) != self.me:
                return
            await self._publish(ClaimAck(self.job, position.start, position.end))

    async def _prove_range(self, position: Position) -> bytes:
        """The node of the position's whole range: its step nodes proven children first, those
        stored already (before a restart) skipped along with everything below them."""
        nodes = local_nodes(position.start, position.end)
        by_range = {(n.start, n.end): n for n in nodes}
        top = by_range[position.start, position.end]
        needed: list[StepNode] = []
        wanted = [top]
        while wanted:
            node = wanted.pop()
            if node in self.own:
                continue
            needed.append(node)
            wanted.extend(by_range[child] for child in node.children)
        self.done_steps[position.index] = len(nodes) - len(needed)
        circuit = self.inputs.circuit_ref()

        async def prove(node: StepNode) -> None:
            children = [by_range[c] for c in node.children]
            await self._wait_until(lambda: all(c in self.own for c in children))
            left = self._node_blob(self.own[by_range[node.left]]) if node.left else None
            right = self._node_blob(self.own[by_range[node.right]]) if node.right else None
            step = self.inputs.steps[node.pivot]
            blob = await self.node.proving.prove_step(
                circuit, self.job, node.pivot, state(step), advice(step), left, right
            )
            self.node.metrics.leaves_proven.inc()
            self._keep(node, blob)
            self.done_steps[position.index] += 1

        async with trio.open_nursery() as nursery:
            for node in reversed(needed):
                nursery.start_soon(prove, node)
        return self.own[top]

    async def _join(self, merge: Merge, left: bytes) -> bytes:
        """The join node of ``merge`` from this position's node and the received one."""
        place = JoinNode(merge.start, merge.mid, merge.end)
        await self._wait_until(lambda: (merge.mid, merge.end) in self.received)
        right = self.received[merge.mid, merge.end]
        if place not in self.own:
            started = trio.current_time()
            blob = await self.node.proving.prove_join(
                self.inputs.circuit_ref(),
                self._node_blob(left),
                self._node_blob(right),
                advice(self.inputs.steps[merge.mid]),
            )
            self.node.metrics.merges.inc()
            self._keep(place, blob)
            self._log(
                "joined",
                start=merge.start,
                mid=merge.mid,
                end=merge.end,
                s=round(trio.current_time() - started, 3),
            )
        node = self.own[place]
        published = self.progress.merges.get((merge.start, merge.mid, merge.end))
        if published is None or published.sender != self.me:
            size = self.node.blobs.path(BlobKind.NODE, node).stat().st_size
            await self._publish(
                MergeResult(self.job, merge.start, merge.mid, merge.end, left, right, node, size)
            )
        return node

    def _keep(self, place: TreeNode, blob: bytes) -> None:
        digest = self.node.blobs.put(BlobKind.NODE, blob)
        self.node.jobstore.record_node(self.job, place, digest)
        self.own[place] = digest
        self.inputs.servable[digest] = BlobKind.NODE
        self._notify()

    async def _heartbeats(self, position: Position) -> None:
        while True:
            await trio.sleep(HEARTBEAT_S)
            done = min(self.done_steps.get(position.index, 0), position.end - position.start)
            await self._publish(Heartbeat(self.job, position.start, position.end, done))

    # Delivery

    async def _deliver(self, merge: Merge, node: bytes) -> None:
        """Delivers this position's node to the receiver's owner until its merge result (the
        acknowledgement) appears, and again whenever the receiving position passes to a new
        owner (§6.7): a sender keeps its node until the job ends."""
        blob = self._node_blob(node)
        delivery = self.node.sign(
            FoldDelivery(self.job, merge.mid, merge.end, node, len(blob)),
            self.progress.announcement.expires_ms,
        )
        if self.node.misbehaviour.tamper_folds:
            blob, delivery = self.node.misbehaviour.tampered(self.node, delivery, blob)
        while True:
            receiver = self.progress.owner(merge.receiver)
            acknowledged = self._acknowledged(merge)
            if not acknowledged and receiver == self.me:
                self._accept(merge.mid, merge.end, node)
            elif not acknowledged:
                try:
                    await self.node.send_fold(receiver, delivery, blob)
                    self.node.metrics.bytes_sent.inc(len(blob))
                    self._log(
                        "node delivered",
                        start=merge.mid,
                        end=merge.end,
                        to=receiver.hex()[:16],
                        bytes=len(blob),
                    )
                except NetError as error:
                    self._log(
                        "delivery failed; will retry", to=receiver.hex()[:16], error=str(error)
                    )
            with trio.move_on_after(math.inf if acknowledged else REDELIVER_S):
                await self._wait_until(
                    partial(self._delivery_changed, merge, receiver, acknowledged)
                )

    def _delivery_changed(self, merge: Merge, receiver: bytes, acknowledged: bool) -> bool:
        """Whether the receiving position changed owner or the acknowledgement came or went."""
        return (
            self.progress.owner(merge.receiver) != receiver
            or self._acknowledged(merge) != acknowledged
        )

    def _acknowledged(self, merge: Merge) -> bool:
        result = self.progress.merges.get((merge.start, merge.mid, merge.end))
        return result is not None and result.sender == self.progress.owner(merge.receiver)

    def check_fold(self, message: SignedMessage) -> None:
        """§8.1 step 4 for a fold delivery, before its blob is read: the job is live, the
        announced size is within the circuit's largest node, and the node is the right child of
        a merge of a position this node owns, from its sender. (Before this node has the
        circuit's parameters, the protocol's 4 GiB bounds the blob.)"""
        if self.state in TERMINAL_JOB_STATES:
            raise RuleViolationError("body.job", "the job has ended")
        body = message.body
        assert isinstance(body, FoldDelivery)
        largest = self.inputs.max_node_bytes
        if largest is not None and body.size > largest:
            raise OversizeError("body.size", f"{body.size} bytes; this circuit's nodes: {largest}")
        for position in self.progress.positions_of(self.me):
            try:
                rules.check_fold_delivery(
                    message, self.progress.assignment, self.progress.owners, position.index
                )
                return
            except RuleViolationError:
                continue
        raise RuleViolationError("body.start", "this node expects no such node for the job")

    async def on_fold(self, message: SignedMessage, blob: bytes) -> None:
        """A delivered node that passed §8.1 steps 1–6: verified (step 7), then kept; rejected
        with the delivery as evidence if it fails."""
        body = message.body
        assert isinstance(body, FoldDelivery)
        span = (body.start, body.end)
        self.node.metrics.bytes_received.inc(len(blob))
        if self.received.get(span) == body.node:
            await self._acknowledge_again(span)
            return
        earlier = self.progress.commit(message)
        if earlier is not None:
            await self._reject(message, RejectReason.EQUIVOCATION, "two different nodes")
            return
        if span in self.received:
            return
        await self.inputs.prepare()
        await self.inputs.fetch_steps([body.start])
        started = trio.current_time()
        z_a = state(self.inputs.steps[body.start])
        try:
            await retrying(
                lambda: self.node.proving.verify_node(
                    self.inputs.circuit_ref(), blob, ctx=self.job, a=body.start, b=body.end, z_a=z_a
                )
            )
        except InvalidNodeError as error:
            await self._reject(message, RejectReason.INVALID_PROOF, str(error)[:200])
            return
        digest = self.node.blobs.put(BlobKind.NODE, blob)
        self._accept(body.start, body.end, digest)
        self.node.scores.reward(message.sender, self.node.now_ms() / 1000)
        self._log(
            "node received",
            start=body.start,
            end=body.end,
            bytes=len(blob),
            verify_s=round(trio.current_time() - started, 3),
        )

    async def _acknowledge_again(self, span: tuple[int, int]) -> None:
        """A node delivered again: its sender missed the merge result that acknowledged it, so
        it is published again (a new message, the same body)."""
        for position in self.progress.positions_of(self.me):
            for merge in self.progress.assignment.incoming(position.index):
                result = self.progress.merges.get((merge.start, merge.mid, merge.end))
                if (
                    (merge.mid, merge.end) == span
                    and result is not None
                    and result.sender == self.me
                ):
                    await self._publish(result.body)

    def _accept(self, start: int, end: int, digest: bytes) -> None:
        if (start, end) in self.received:
            return
        self.node.jobstore.record_received(self.job, start, end, digest)
        self.received[start, end] = digest
        self.inputs.servable[digest] = BlobKind.NODE
        self._notify()

    # The root

    async def _compress(self, root: bytes) -> None:
        """Position 1: compress the root node and publish the root proof (§5.6)."""
        self._advance(JobState.COMPRESSING)
        circuit = self.inputs.circuit_ref()
        started = trio.current_time()
        proof, statement = await self.node.proving.compress(circuit, self._node_blob(root))
        if self.node.misbehaviour.tamper_root:
            proof = self.node.misbehaviour.tampered_proof(proof)
        self.inputs.servable[self.node.blobs.put(BlobKind.PROOF, proof)] = BlobKind.PROOF
        result = content.encode_state(statement.z_b)
        await self._publish(RootProof(self.job, root, result, proof))
        self._log(
            "root proof published", bytes=len(proof), s=round(trio.current_time() - started, 3)
        )

    async def _check_root(self, message: SignedMessage) -> None:
        """Verifies a root proof against the job's statement; the requester rejects a bad one
        (which sends position 1 to its successor), everyone else just does not end the job."""
        body = message.body
        assert isinstance(body, RootProof)
        if not self.is_requester:
            # A worker's check only decides when it stops keeping its nodes; the requester's
            # decides the job, so on a shared machine the requester's goes first.
            await trio.sleep(WORKER_ROOT_CHECK_DELAY_S)
        await self.inputs.prepare()
        try:
            statement = await retrying(
                lambda: self.node.proving.verify_proof(self.inputs.circuit_ref(), body.proof)
            )
            expected = (self.job, 0, self.progress.body.steps, self.inputs.z0)
            got = (statement.ctx, statement.a, statement.b, statement.z_a)
            if got != expected:
                raise InvalidProofError("the proof states another job, range or initial state")
            if content.encode_state(statement.z_b) != body.result:
                raise InvalidProofError("the proof's final state is not the announced result")
        except InvalidProofError as error:
            if self.is_requester:
                await self._reject(message, RejectReason.INVALID_PROOF, str(error)[:200])
            return
        self.result = statement
        self.finish(JobState.COMPLETE, "root proof verified")

    # Helpers

    def _log(self, event: str, level: int = logging.INFO, **fields: Any) -> None:
        """One structured log event about this job (`node.logs.log_event`)."""
        log_event(logger, level, event, job=self.job.hex()[:16], **fields)

    def _node_blob(self, digest: bytes) -> bytes:
        blob = self.node.blobs.get(BlobKind.NODE, digest)
        if blob is None:
            raise NodeError(f"node {digest.hex()} is missing from the blob store")
        return blob

    async def _publish(self, body: Body) -> None:
        message = self.node.sign(body, self.progress.announcement.expires_ms)
        await self.node.publish(self.topic, message)

    async def _reject(self, offending: SignedMessage, reason: RejectReason, detail: str) -> None:
        self.node.metrics.rejections.labels(reason=reason.name.lower()).inc()
        await self._publish(rules.rejection(offending, reason, detail))

    def _advance(self, target: JobState) -> None:
        """Moves the recorded job state forward to ``target`` through the lifecycle's events."""
        store = self.node.jobstore
        events = _ADVANCE_TO.get(target, ())
        if target in TERMINAL_JOB_STATES and target is not JobState.COMPLETE:
            events = {
                JobState.CANCELLED: (JobEvent.CANCEL,),
                JobState.EXPIRED: (JobEvent.EXPIRE,),
                JobState.FAILED: (JobEvent.STANDBYS_EXHAUSTED,),
            }[target]
        for event in events:
            try:
                self.state = store.advance_job(self.job, event, self.node.now_ms())
            except ProtocolError:
                continue
        self.node.refresh_job_metrics()

    def _take_slot(self) -> bool:
        if not self._slot:
            self._slot = self.node.capacity.take(self.job)
        return self._slot

    def _release_slot(self) -> None:
        if self._slot:
            self.node.capacity.release(self.job)
            self._slot = False

    def _spawn(self, function: Callable[..., Awaitable[object]], *args: object) -> None:
        if self._nursery is not None:
            self._nursery.start_soon(function, *args)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def _wait_until(self, condition: Callable[[], bool]) -> None:
        while not condition():
            await self._changed.wait()
