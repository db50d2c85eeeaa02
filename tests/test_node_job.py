"""Jobs proven by swarms of real `novanode start` processes on loopback (no part of libp2p is
mocked): the requester runs in the test process and verifies the root proof offline."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import trio
from job_harness import (
    BUILTIN,
    CIRCOM,
    builtin_job,
    circom_job,
    circom_trace_final_state,
    request,
    verify_offline,
)
from swarm import swarm

from crypto.circuit.package import builtin_package, recorded_package
from node.localnet import LocalNet, LocalNode
from node.misbehaviour import ENVIRONMENT_VARIABLE
from node.requester import JobHandle, prepare_job, prepare_recorded_job


def leaves(nodes: list[LocalNode]) -> float:
    return sum(n.metric("novanode_leaves_proven_total") for n in nodes)


def test_four_nodes_prove_a_builtin_job(tmp_path: Path) -> None:
    prepared = builtin_job(16)
    with swarm(tmp_path) as running:
        nodes = running.start_many(4)
        [(result, report)] = request(tmp_path, nodes[0].address, [prepared], workers=4)
        verify_offline(prepared, result)
        positions = report["positions"]
        assert isinstance(positions, list) and len(positions) == 4
        assert leaves(nodes) == 16, "every step is proven exactly once"
        assert sum(n.metric("novanode_merges_total") for n in nodes) == 3
        assert all(n.metric("novanode_verification_seconds_count") >= 0 for n in nodes)


def test_four_nodes_prove_the_circom_fixture(tmp_path: Path) -> None:
    prepared = circom_job()
    with swarm(tmp_path) as running:
        nodes = running.start_many(4)
        [(result, _)] = request(tmp_path, nodes[0].address, [prepared], workers=4)
        statement = verify_offline(prepared, result)
        assert list(statement.z_b) == circom_trace_final_state()
        assert leaves(nodes) == 16


def test_three_nodes_prove_recorded_circom_witnesses_without_the_wasm(tmp_path: Path) -> None:
    """The requester has the fixture's per-step .wtns files and no generator: each step input
    carries its witness, and the workers prove from those alone."""
    r1cs = (CIRCOM / "poseidon_chain.r1cs").read_bytes()
    witnesses = [(CIRCOM / f"step_{i:03d}.wtns").read_bytes() for i in range(16)]
    z0 = [int(v) for v in json.loads((CIRCOM / "z0.json").read_text())]
    prepared = prepare_recorded_job(recorded_package(r1cs), witnesses, z0)
    with swarm(tmp_path) as running:
        nodes = running.start_many(3)
        [(result, _)] = request(tmp_path, nodes[0].address, [prepared], workers=3)
        statement = verify_offline(prepared, result)
        trace = json.loads((CIRCOM / "trace.json").read_text())
        assert list(statement.z_b) == [int(v) for v in trace["steps"][-1]["step_out"]]
        assert leaves(nodes) == 16


def test_two_concurrent_jobs_on_the_same_nodes_both_complete(tmp_path: Path) -> None:
    first, second = builtin_job(8), prepare_job(builtin_package(BUILTIN), [5], [None] * 6)
    with swarm(tmp_path) as running:
        nodes = running.start_many(3, capacity=2)
        outcomes = request(tmp_path, nodes[0].address, [first, second], workers=3)
        for prepared, (result, _) in zip((first, second), outcomes, strict=True):
            verify_offline(prepared, result)
        assert outcomes[0][0].job != outcomes[1][0].job
        assert leaves(nodes) == 8 + 6


def position_owner(running: LocalNet, handle: JobHandle, index: int) -> LocalNode:
    positions = handle.report()["positions"]
    assert isinstance(positions, list)
    owner = next(p["owner"] for p in positions if p["index"] == index)
    return running.by_key(bytes.fromhex(owner))


async def claimed(handle: JobHandle, index: int) -> None:
    while True:
        positions = handle.report()["positions"]
        assert isinstance(positions, list)
        if any(p["index"] == index and p["claimed"] for p in positions):
            return
        await trio.sleep(0.1)


def test_a_killed_worker_s_subtree_alone_is_redone(tmp_path: Path) -> None:
    prepared = builtin_job(16)
    with swarm(tmp_path) as running:
        nodes = running.start_many(4)
        killed: list[LocalNode] = []

        async def kill_position_two(handle: JobHandle) -> None:
            await claimed(handle, 2)
            victim = position_owner(running, handle, 2)
            await trio.to_thread.run_sync(victim.signal, signal.SIGKILL)
            killed.append(victim)

        [(result, report)] = request(
            tmp_path, nodes[3].address, [prepared], workers=4, during=kill_position_two
        )
        verify_offline(prepared, result)
        (victim,) = killed
        positions = report["positions"]
        assert isinstance(positions, list)
        new_owner = next(p["owner"] for p in positions if p["index"] == 2)
        assert bytes.fromhex(new_owner) != victim.public_key
        survivors = [n for n in nodes if n is not victim]
        # The survivors proved their own 12 steps and the victim's 4, nothing else again.
        assert leaves(survivors) == 16


def test_a_tampered_fold_is_rejected_and_its_subtree_reassigned(tmp_path: Path) -> None:
    prepared = builtin_job(16)
    with swarm(tmp_path) as running:
        honest = running.start_many(2)
        # Two liars among four workers: at least one holds a position other than 1, whose node
        # goes to a merge partner as a tampered fold (a liar at position 1 lies in its root).
        liars = [
            running.start(
                f"liar-{i}",
                bootstrap=[honest[0].address],
                env={ENVIRONMENT_VARIABLE: "tamper-folds,tamper-root"},
            )
            for i in range(2)
        ]
        [(result, report)] = request(tmp_path, honest[0].address, [prepared], workers=4)
        verify_offline(prepared, result)
        lying = {liar.public_key.hex() for liar in liars}
        rejections = report["rejections"]
        assert isinstance(rejections, list)
        assert any(
            r["offender"] in lying and r["reason"] == "INVALID_PROOF" and r["evidence"] == "fold"
            for r in rejections
        )
        positions = report["positions"]
        assert isinstance(positions, list)
        assert all(p["owner"] not in lying for p in positions)
        # The node that judged a tampered fold counted it in its metrics.
        judges = {n.public_key.hex(): n for n in honest}
        for rejection in rejections:
            judge = judges.get(str(rejection["from"]))
            if judge is not None and rejection["offender"] in lying:
                assert judge.metric("novanode_rejections_total", 'reason="invalid_proof"') >= 1
        # Every honest node lowered the liars' scores (gossip ignores them below the graylist).
        for node in honest:
            for liar in liars:
                assert node.metric("novanode_peer_score", f'peer="{liar.peer_id}"') < 0


def finished_nodes(node: LocalNode) -> int:
    with sqlite3.connect(node.data_dir / "jobs.sqlite3") as db:
        (count,) = db.execute("SELECT count(*) FROM nodes WHERE kind = 'step'").fetchone()
    return int(count)


def test_a_node_killed_and_restarted_resumes_without_proving_again(tmp_path: Path) -> None:
    prepared = prepare_job(builtin_package("builtin:cubic?log2=10"), [3], [None] * 24)
    with swarm(tmp_path) as running:
        nodes = running.start_many(2)
        record: dict[str, int] = {}

        async def kill_and_restart(handle: JobHandle) -> None:
            await claimed(handle, 1)
            victim = position_owner(running, handle, 1)
            while await trio.to_thread.run_sync(finished_nodes, victim) < 3:
                await trio.sleep(0.05)
            await trio.to_thread.run_sync(victim.signal, signal.SIGKILL)
            record["kept"] = await trio.to_thread.run_sync(finished_nodes, victim)
            positions = handle.report()["positions"]
            assert isinstance(positions, list)
            start, end = next(p["range"] for p in positions if p["index"] == 1)
            record["range"] = end - start
            await trio.to_thread.run_sync(running.restart, victim)
            record["victim"] = nodes.index(victim)

        [(result, report)] = request(
            tmp_path, nodes[0].address, [prepared], workers=2, during=kill_and_restart
        )
        verify_offline(prepared, result)
        victim = nodes[record["victim"]]
        positions = report["positions"]
        assert isinstance(positions, list)
        assert next(p["owner"] for p in positions if p["index"] == 1) == victim.public_key.hex()
        # After the restart it proved only the steps it had not stored before the kill.
        assert victim.metric("novanode_leaves_proven_total") == record["range"] - record["kept"]
        assert finished_nodes(victim) == record["range"]
