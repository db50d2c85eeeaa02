"""A running node: its host, gossip, streams, stores and proving service, and its jobs.

`open_node` wires the parts together for the duration of a block (everything is closed when it
ends, whatever happened inside it):

* the libp2p host with Noise and yamux, GossipSub with the node's peer scores, the fold, blob,
  root and peer-exchange stream protocols, and discovery from the bootstrap peers (`node.net`);
* the announce topic: capacity announcements are kept (a requester picks workers from them),
  a job announcement that lists this node (or that it made) starts a `node.job.JobRunner` on
  the job's own topic;
* this node's capacity announcements (SPEC §5.1), re-published when its numbers change and
  before the previous one expires, if it proves at all;
* the job database and blob store of the data directory: jobs that had not ended when the node
  stopped are restored and resumed at start, and the root proof each job recorded is served
  to the job's participants, after the job ended too (a requester that was down catches up).

The requester's side (`node.requester`) and `novanode start` (`node.commands.start`) both run
on a `Node`; a requester that does not prove announces no capacity and claims nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version
from typing import Final

import trio
from nacl.signing import SigningKey

from node.api import NodeStatus, PeerInfo
from node.blobstore import BLOB_LIMITS, BlobKind, BlobStore
from node.capacity import ANNOUNCE_TTL_MS, Capacity
from node.datadir import DataDir
from node.errors import JobStoreError
from node.job import JobRunner
from node.jobstore import JobRecord, JobStore
from node.logs import log_event
from node.metrics import NodeMetrics
from node.misbehaviour import Misbehaviour
from node.net import discovery, streams
from node.net.gossip import Gossip, GossipConfig, open_gossip, wall_clock_ms
from node.net.host import Host, open_host
from node.proving import ProvingService
from node.scoring import PeerScores
from protocol import identity, messages, transport
from protocol.errors import ProtocolError, RuleViolationError
from protocol.lifecycle import TERMINAL_JOB_STATES, JobEvent
from protocol.limits import MAX_TTL_MS
from protocol.messages import Body, CapacityAnnouncement, JobAnnouncement, SignedMessage
from protocol.progress import JobProgress
from protocol.signing import sign

logger = logging.getLogger("novanode.node")

CAPACITY_CHECK_S: Final = 0.5
"""How often the node checks whether its capacity announcement is due."""
MAX_LIVE_JOBS: Final = 64
"""Jobs a node follows at once; announcements beyond it are ignored until some end."""
MAX_JOBS_PER_REQUESTER: Final = 8
"""Live jobs a node follows from one requester."""
MAX_CAPACITY_TTL_MS: Final = 2 * ANNOUNCE_TTL_MS
"""The longest-lived capacity announcement a node accepts."""
SCORE_REFRESH_S: Final = 5.0
"""How often the peer-score gauge is brought up to date."""
NEWCOMER_DELAY_MS: Final = 1_500
"""How long after a new peer connects the node re-announces: time for the newcomer's
subscription to the announce topic to arrive and the gossip mesh to take it in."""
JOB_MESSAGE_TTL_MARGIN_MS: Final = 60_000
"""Own messages expire no later than the job (and never more than 7 days ahead, minus this)."""


@dataclass(frozen=True)
class NodeSettings:
    """What a node is started with (`novanode start` reads them from its config)."""

    key: SigningKey
    data_dir: DataDir
    listen: str = "/ip4/0.0.0.0/tcp/4001"
    bootstrap: tuple[str, ...] = ()
    slots: int = 1
    cps: int | None = None
    """Measured throughput (`node.capacity.measure_cps`); None for a node that does not prove."""
    discovery_interval_s: float = 5.0
    misbehaviour: Misbehaviour = field(default_factory=Misbehaviour)


class Node:
    """A running node; made by `open_node`. Implements the local API's `NodeView`."""

    def __init__(
        self,
        settings: NodeSettings,
        host: Host,
        gossip: Gossip,
        jobstore: JobStore,
        blobs: BlobStore,
        proving: ProvingService,
        metrics: NodeMetrics,
        scores: PeerScores,
        nursery: trio.Nursery,
    ) -> None:
        self.settings = settings
        self.key = settings.key
        self.public_key = identity.public_key_of(settings.key)
        self.host = host
        self.gossip = gossip
        self.jobstore = jobstore
        self.blobs = blobs
        self.proving = proving
        self._metrics = metrics
        self.scores = scores
        self.misbehaviour = settings.misbehaviour
        self.proves = settings.cps is not None
        self.capacity = Capacity(settings.slots if self.proves else 0, settings.cps or 1)
        self.runners: dict[bytes, JobRunner] = {}
        self.capacities: dict[bytes, tuple[SignedMessage, int]] = {}
        self._nursery = nursery
        self._started = time.monotonic()
        self._version = version("novanode")

    # NodeView (the local API)

    @property
    def metrics(self) -> NodeMetrics:
        return self._metrics

    def status(self) -> NodeStatus:
        return NodeStatus(
            node_id=self.host.peer_id,
            version=self._version,
            listen_addrs=tuple(self.host.listen_addrs()),
            capacity=self.capacity.free_slots,
            uptime_s=time.monotonic() - self._started,
        )

    def jobs(self) -> Sequence[JobRecord]:
        return self.jobstore.jobs()

    def peers(self) -> Sequence[PeerInfo]:
        peerstore = self.host.libp2p.get_peerstore()
        found = []
        for peer in self.host.libp2p.get_connected_peers():
            addrs = (
                tuple(str(a) for a in peerstore.addrs(peer)) if peer in peerstore.peer_ids() else ()
            )
            found.append(PeerInfo(peer.to_base58(), addrs, self.scores.score(peer.to_base58())))
        return found

    # Services for job runners

    def now_ms(self) -> int:
        return wall_clock_ms()

    def sign(self, body: Body, expires_ms: int) -> SignedMessage:
        """A message from this node with a never-reused `seq` (SPEC §4.3), expiring at
        ``expires_ms`` or 7 days from now, whichever is sooner."""
        latest = self.now_ms() + MAX_TTL_MS - JOB_MESSAGE_TTL_MARGIN_MS
        return sign(
            body, self.key, seq=self.jobstore.next_seq(), expires_ms=min(expires_ms, latest)
        )

    async def publish(self, topic: str, message: SignedMessage) -> None:
        await self.gossip.publish(topic, message)

    async def send_fold(self, peer: bytes, delivery: SignedMessage, blob: bytes) -> None:
        await streams.send_fold(self.host, identity.peer_id(peer), delivery, blob)

    async def fetch_blob(self, peer: bytes, job: bytes, digest: bytes, kind: BlobKind) -> bytes:
        blob = await streams.fetch_blob(
            self.host, identity.peer_id(peer), job, digest, BLOB_LIMITS[kind]
        )
        self.metrics.bytes_received.inc(len(blob))
        return blob

    async def fetch_root_proof(self, peer: bytes, job: bytes) -> SignedMessage | None:
        return await streams.fetch_root_proof(self.host, identity.peer_id(peer), job)

    def refresh_job_metrics(self) -> None:
        counts: dict[str, int] = {}
        for record in self.jobstore.jobs():
            counts[record.state.value] = counts.get(record.state.value, 0) + 1
        for state, count in counts.items():
            self.metrics.jobs.labels(state=state).set(count)

    # Jobs

    async def open_job(self, announcement: SignedMessage) -> JobRunner:
        """Starts this node's part in an announced job (recorded in the job database first)."""
        progress = JobProgress(announcement)
        existing = self.runners.get(progress.job)
        if existing is not None:
            return existing
        self.jobstore.add_job(
            progress.job,
            messages.encode(announcement),
            len(progress.assignment.positions),
            self.now_ms(),
        )
        runner = JobRunner(self, progress)
        runner.restore()
        await self._start(runner)
        return runner

    async def _start(self, runner: JobRunner) -> None:
        self.runners[runner.job] = runner
        channel = await self.gossip.join(runner.topic, runner.check_gossip)
        log_event(
            logger,
            logging.INFO,
            "job joined",
            job=runner.job.hex()[:16],
            steps=runner.progress.body.steps,
            positions=[p.index for p in runner.progress.positions_of(self.public_key)],
        )
        self.refresh_job_metrics()

        async def run() -> None:
            try:
                await runner.run(channel)
            except Exception:
                # A bug in one job's handling costs that job on this node, not the node.
                logger.exception("job %s stopped by an unexpected error", runner.job.hex())
            finally:
                del self.runners[runner.job]
                with trio.CancelScope(shield=True):
                    try:
                        await self.gossip.leave(runner.topic)
                    except Exception as error:  # leaving is best effort on shutdown
                        logger.debug("leaving %s: %s", runner.topic, error)

        self._nursery.start_soon(run)

    async def _restore_jobs(self) -> None:
        now = self.now_ms()
        for record in self.jobstore.jobs():
            if record.state in TERMINAL_JOB_STATES:
                continue
            announcement = messages.decode(record.announcement)
            if announcement.expires_ms < now:
                self.jobstore.advance_job(record.id, JobEvent.EXPIRE, now)
                continue
            runner = JobRunner(self, JobProgress(announcement), resumed=True)
            runner.restore()
            log_event(
                logger,
                logging.INFO,
                "job resumed",
                job=record.id.hex()[:16],
                nodes=len(runner.own),
                received=len(runner.received),
            )
            await self._start(runner)

    # Announce topic

    def _check_announce(self, message: SignedMessage) -> None:
        if isinstance(message.body, JobAnnouncement):
            JobProgress(message)  # the assignment must be computable
        elif message.expires_ms - self.now_ms() > MAX_CAPACITY_TTL_MS:
            # Capacity is re-announced every half minute: one that lives for days would let a
            # peer relaying many throwaway keys hold the replay table full (SPEC §4.3, §5.1).
            raise RuleViolationError("exp", "a capacity announcement lives at most 2 minutes")

    async def _consume_announcements(
        self, channel: trio.MemoryReceiveChannel[SignedMessage]
    ) -> None:
        async for message in channel:
            body = message.body
            if isinstance(body, CapacityAnnouncement):
                self.capacities[message.sender] = (message, self.now_ms())
            elif isinstance(body, JobAnnouncement):
                listed = any(w.peer == self.public_key for w in body.workers)
                if message.sender != self.public_key and (not listed or self._too_many(message)):
                    continue
                try:
                    await self.open_job(message)
                except ProtocolError as error:
                    logger.warning("job announcement refused: %s", error)

    def _too_many(self, announcement: SignedMessage) -> bool:
        """Whether taking part in one more job would exceed what this node follows at once, in
        all (`MAX_LIVE_JOBS`) or from this requester (`MAX_JOBS_PER_REQUESTER`): each job costs
        a topic subscription, a runner and database rows, so announcements alone must not make
        them grow without bound."""
        live = list(self.runners.values())
        mine = sum(r.progress.requester == announcement.sender for r in live)
        if len(live) < MAX_LIVE_JOBS and mine < MAX_JOBS_PER_REQUESTER:
            return False
        log_event(
            logger,
            logging.WARNING,
            "job announcement ignored: too many live jobs",
            requester=announcement.sender.hex()[:16],
            live=len(live),
            theirs=mine,
        )
        return True

    async def _announce_capacity(self) -> None:
        """Publishes the capacity announcement when it is due (`Capacity.due`), and again
        shortly after a new peer connects: a newcomer (a requester, say) has missed the earlier
        ones, and would otherwise wait up to half their lifetime to see this node."""
        known: set[str] = set()
        newcomer_at: int | None = None
        while True:
            now = self.now_ms()
            peers = set(self.host.connected_peers())
            if peers - known:
                newcomer_at = now + NEWCOMER_DELAY_MS
            known = peers
            if self.capacity.due(now) or (newcomer_at is not None and now >= newcomer_at):
                message = self.sign(self.capacity.announcement(), now + ANNOUNCE_TTL_MS)
                await self.publish(transport.ANNOUNCE_TOPIC, message)
                self.capacity.announced(now)
                newcomer_at = None
            await trio.sleep(CAPACITY_CHECK_S)

    async def _refresh_scores(self) -> None:
        """Keeps the peer-score gauge current (scores decay with time, not only on events)."""
        while True:
            self.metrics.set_peer_scores(self.scores.items())
            await trio.sleep(SCORE_REFRESH_S)

    def eligible_workers(self, now_ms: int) -> list[tuple[bytes, CapacityAnnouncement]]:
        """Peers whose latest capacity announcement is live and offers a free slot at a load
        under 100% (SPEC §2 step 2), by public key."""
        found = []
        for peer, (message, _) in self.capacities.items():
            body = message.body
            assert isinstance(body, CapacityAnnouncement)
            if message.expires_ms >= now_ms and body.free_slots >= 1 and body.load_permille < 1000:
                found.append((peer, body))
        return sorted(found)

    # Streams

    async def _lookup_blob(self, job: bytes, digest: bytes) -> bytes | None:
        runner = self.runners.get(job)
        kind = None if runner is None else runner.inputs.servable.get(digest)
        if kind is None:
            return None
        blob = self.blobs.get(kind, digest)
        if blob is not None:
            self.metrics.bytes_sent.inc(len(blob))
        return blob

    async def _lookup_root(self, job: bytes, asker: bytes) -> bytes | None:
        """The latest root proof recorded for ``job``, live or ended, if ``asker`` is the job's
        requester or one of its listed workers (SPEC §9.3)."""
        try:
            record = self.jobstore.job(job)
        except JobStoreError:
            return None
        announcement = messages.decode(record.announcement)
        body = announcement.body
        assert isinstance(body, JobAnnouncement)
        if asker != announcement.sender and all(w.peer != asker for w in body.workers):
            return None
        for _, data, _ in reversed(self.jobstore.events(job)):
            if data is not None and messages.decode(data).type == "root":
                self.metrics.bytes_sent.inc(len(data))
                return data
        return None

    def _check_fold(self, message: SignedMessage) -> None:
        job = getattr(message.body, "job", None)
        runner = None if job is None else self.runners.get(job)
        if runner is None:
            raise RuleViolationError("body.job", "unknown or finished job")
        now = self.now_ms()
        self.gossip.replay.check(message, now)
        runner.check_fold(message)
        self.gossip.replay.accept(message, now)

    async def _on_fold(self, message: SignedMessage, blob: bytes) -> None:
        job = getattr(message.body, "job", b"")
        runner = self.runners.get(job)
        if runner is not None:
            await runner.on_fold(message, blob)


@asynccontextmanager
async def open_node(settings: NodeSettings) -> AsyncIterator[Node]:
    """Runs a node for the block's duration (see the module docstring)."""
    data_dir = settings.data_dir
    now = wall_clock_ms()
    async with AsyncExitStack() as stack:
        jobstore = stack.enter_context(JobStore(data_dir.jobs_path, now))
        blobs = BlobStore(data_dir.blobs_path)
        cache_dir = data_dir.root / "cache"
        metrics = NodeMetrics()
        proving = ProvingService(max(1, settings.slots), cache_dir, metrics.observe_task)
        stack.callback(proving.close)
        scores = PeerScores(clock=time.time)  # the job engine passes wall-clock times
        host = await stack.enter_async_context(open_host(settings.key, settings.listen))
        gossip = await stack.enter_async_context(
            open_gossip(
                host,
                GossipConfig(score=scores.app_score, on_refused=metrics.count_gossip_refusal),
            )
        )
        nursery = await stack.enter_async_context(trio.open_nursery())
        node = Node(settings, host, gossip, jobstore, blobs, proving, metrics, scores, nursery)
        refused = metrics.count_stream_refusal
        streams.serve_blobs(host, node._lookup_blob, on_refused=refused)
        streams.serve_folds(host, node._on_fold, node._check_fold, on_refused=refused)
        streams.serve_root_proofs(host, node._lookup_root, on_refused=refused)
        discovery.serve_peers(host, on_refused=refused)
        announcements = await gossip.join(transport.ANNOUNCE_TOPIC, node._check_announce)
        nursery.start_soon(node._consume_announcements, announcements)
        nursery.start_soon(
            partial(
                discovery.run_discovery,
                host,
                settings.bootstrap,
                interval_s=settings.discovery_interval_s,
            )
        )
        nursery.start_soon(node._refresh_scores)
        if node.proves:
            nursery.start_soon(node._announce_capacity)
        await node._restore_jobs()
        node.refresh_job_metrics()
        try:
            yield node
        finally:
            nursery.cancel_scope.cancel()
