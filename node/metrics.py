"""The node's Prometheus metrics, in a registry of its own.

Each `NodeMetrics` owns a `CollectorRegistry` rather than registering in prometheus-client's
process-wide default, so two nodes (or two tests) in one process never share or collide on a
metric. The job engine updates the attributes; the local API (`node.api`) serves `exposition()`
at ``GET /metrics``. The names, as scraped:

=====================================  =========  ========  =======================================
name                                   type       labels    what
=====================================  =========  ========  =======================================
novanode_jobs                          gauge      state     jobs in the job database, by state
novanode_leaves_proven_total           counter              step nodes (leaves) this node proved
novanode_merges_total                  counter              join nodes this node folded
novanode_rejections_total              counter    reason    messages or proofs refused, by reason
novanode_bytes_sent_total              counter              bytes written to peers
novanode_bytes_received_total          counter              bytes read from peers
novanode_proving_seconds               histogram  kind      time to prove one node (step or join) or
                                                            compress a root (compress)
novanode_verification_seconds          histogram            time to verify one received node
novanode_peer_score                    gauge      peer      the gossip score of each known peer
novanode_gossip_refused_total          counter    reason    gossip messages the validators refused
novanode_stream_refused_total          counter    protocol  served streams reset, by protocol and
                                                  reason    reason
=====================================  =========  ========  =======================================

The two histograms count the time a task ran in its prover process (`observe_task`), not the
time it waited there for a free one. The refusal reasons are those of
`node.net.gossip.REFUSAL_REASONS` (graylist, decode, topic, signature, source, replay, rule,
error) and `node.net.streams.REFUSAL_REASONS` (rate_limit, protocol, timeout, transfer, error):
what a hostile or broken peer has been sending.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

PROVING_BUCKETS: Final = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Proving one node takes from a fraction of a second (small steps) to minutes (large joins)."""
VERIFICATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Verifying a received node costs a small fraction of proving it."""
_PROVING_KINDS: Final = {"prove_step": "step", "prove_join": "join", "compress": "compress"}
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text format's media type, which `exposition` writes."""


class NodeMetrics:
    """One node's metrics; see the module's table for their names."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.jobs = Gauge(
            "novanode_jobs", "Jobs in the job database by state", ["state"], registry=self.registry
        )
        self.leaves_proven = Counter(
            "novanode_leaves_proven", "Step nodes proven by this node", registry=self.registry
        )
        self.merges = Counter(
            "novanode_merges", "Join nodes folded by this node", registry=self.registry
        )
        self.rejections = Counter(
            "novanode_rejections",
            "Messages or proofs refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.bytes_sent = Counter(
            "novanode_bytes_sent", "Bytes written to peers", registry=self.registry
        )
        self.bytes_received = Counter(
            "novanode_bytes_received", "Bytes read from peers", registry=self.registry
        )
        self.proving_seconds = Histogram(
            "novanode_proving_seconds",
            "Seconds to prove one node or compress a root, by kind (step, join or compress)",
            ["kind"],
            buckets=PROVING_BUCKETS,
            registry=self.registry,
        )
        self.verification_seconds = Histogram(
            "novanode_verification_seconds",
            "Seconds to verify one received node",
            buckets=VERIFICATION_BUCKETS,
            registry=self.registry,
        )
        self.peer_score = Gauge(
            "novanode_peer_score",
            "Gossip score of each known peer",
            ["peer"],
            registry=self.registry,
        )
        self.gossip_refused = Counter(
            "novanode_gossip_refused",
            "Gossip messages refused by the topic validators, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.stream_refused = Counter(
            "novanode_stream_refused",
            "Served streams reset, by protocol and reason",
            ["protocol", "reason"],
            registry=self.registry,
        )

    def observe_task(self, task: str, seconds: float) -> None:
        """Record a completed `node.proving.ProvingService` task (its `Observer`): proofs and
        compressions in ``proving_seconds``, received nodes' checks in
        ``verification_seconds``; other tasks are not node work and are not recorded."""
        kind = _PROVING_KINDS.get(task)
        if kind is not None:
            self.proving_seconds.labels(kind=kind).observe(seconds)
        elif task == "verify_node":
            self.verification_seconds.observe(seconds)

    def count_gossip_refusal(self, reason: str) -> None:
        """`node.net.gossip.RefusalHook`: one more gossip message refused for ``reason``."""
        self.gossip_refused.labels(reason=reason).inc()

    def count_stream_refusal(self, protocol: str, reason: str) -> None:
        """`node.net.streams.RefusalHook`: one more ``protocol`` stream reset for ``reason``."""
        self.stream_refused.labels(protocol=protocol, reason=reason).inc()

    def set_peer_scores(self, scores: Iterable[tuple[str, float]]) -> None:
        """Replace the peer-score gauge with ``scores`` (`node.scoring.PeerScores.items()`), so a
        forgotten peer's series disappears rather than keeping its last value."""
        self.peer_score.clear()
        for peer, score in scores:
            self.peer_score.labels(peer=peer).set(score)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format (`CONTENT_TYPE`)."""
        return generate_latest(self.registry)
