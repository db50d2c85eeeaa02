"""The node's metrics: own registry per node, documented names, parseable text format."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from node.metrics import NodeMetrics


def _samples(metrics: NodeMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_updates_appear_in_the_exposition_under_their_documented_names() -> None:
    metrics = NodeMetrics()
    metrics.jobs.labels(state="proving").set(3)
    metrics.leaves_proven.inc(5)
    metrics.merges.inc(2)
    metrics.rejections.labels(reason="bad-signature").inc()
    metrics.bytes_sent.inc(1000)
    metrics.bytes_received.inc(2500)
    metrics.proving_seconds.labels(kind="step").observe(0.3)
    metrics.verification_seconds.observe(0.02)
    metrics.peer_score.labels(peer="12D3KooWpeer").set(-1.5)
    samples = _samples(metrics)
    assert samples[("novanode_jobs", (("state", "proving"),))] == 3
    assert samples[("novanode_leaves_proven_total", ())] == 5
    assert samples[("novanode_merges_total", ())] == 2
    assert samples[("novanode_rejections_total", (("reason", "bad-signature"),))] == 1
    assert samples[("novanode_bytes_sent_total", ())] == 1000
    assert samples[("novanode_bytes_received_total", ())] == 2500
    assert samples[("novanode_proving_seconds_count", (("kind", "step"),))] == 1
    assert samples[("novanode_proving_seconds_bucket", (("kind", "step"), ("le", "0.25")))] == 0
    assert samples[("novanode_proving_seconds_bucket", (("kind", "step"), ("le", "0.5")))] == 1
    assert samples[("novanode_verification_seconds_sum", ())] == 0.02
    assert samples[("novanode_peer_score", (("peer", "12D3KooWpeer"),))] == -1.5


def test_proving_service_tasks_are_recorded_by_kind_and_others_ignored() -> None:
    metrics = NodeMetrics()
    for task, seconds in [
        ("prove_step", 0.3),
        ("prove_step", 0.2),
        ("prove_join", 0.7),
        ("compress", 2.0),
        ("verify_node", 0.05),
        ("verify_proof", 9.0),
        ("native", 9.0),
    ]:
        metrics.observe_task(task, seconds)
    samples = _samples(metrics)
    assert samples[("novanode_proving_seconds_count", (("kind", "step"),))] == 2
    assert samples[("novanode_proving_seconds_sum", (("kind", "step"),))] == 0.5
    assert samples[("novanode_proving_seconds_sum", (("kind", "join"),))] == 0.7
    assert samples[("novanode_proving_seconds_sum", (("kind", "compress"),))] == 2.0
    assert samples[("novanode_verification_seconds_count", ())] == 1
    assert samples[("novanode_verification_seconds_sum", ())] == 0.05
    kinds = {
        dict(labels)["kind"] for name, labels in samples if name == "novanode_proving_seconds_count"
    }
    assert kinds == {"step", "join", "compress"}


def test_two_nodes_in_one_process_keep_separate_metrics() -> None:
    first, second = NodeMetrics(), NodeMetrics()
    first.merges.inc(4)
    assert _samples(first)[("novanode_merges_total", ())] == 4
    assert _samples(second)[("novanode_merges_total", ())] == 0
    assert REGISTRY.get_sample_value("novanode_merges_total") is None


def test_peer_scores_are_replaced_as_a_whole() -> None:
    metrics = NodeMetrics()
    metrics.set_peer_scores([("12D3KooWa", -400.0), ("12D3KooWb", 3.0)])
    metrics.set_peer_scores([("12D3KooWb", 2.5)])
    scores = {k: v for k, v in _samples(metrics).items() if k[0] == "novanode_peer_score"}
    assert scores == {("novanode_peer_score", (("peer", "12D3KooWb"),)): 2.5}
