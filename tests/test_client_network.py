"""The SDK and `novanode submit` against a real 3-node network of `novanode start` processes:
the proofs they return verify offline and end where the local trace ends; progress arrives as
events; a requester that reconnects with its data directory follows the job it announced."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import trio
from swarm import swarm

from crypto.circuit.builtins import builtin
from crypto.circuit.package import load_package
from node.client import (
    Assigned,
    Compressing,
    Event,
    Finished,
    LeafProgress,
    MergeDone,
    ProofResult,
    Request,
    builtin_spec,
    circom_spec,
    connect,
    load_advice,
    parse_state,
    verify_offline,
)
from node.errors import NoWorkersError
from node.localnet import LocalNode
from protocol.lifecycle import JobState

BUILTIN = "builtin:cubic?log2=4"
CIRCOM = Path(__file__).resolve().parent / "fixtures" / "circom" / "poseidon_chain"
LOOPBACK = "/ip4/127.0.0.1/tcp/0"
JOB_TIMEOUT_S = 240.0
T = TypeVar("T")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LocalNode]]:
    with swarm(tmp_path_factory.mktemp("network")) as running:
        yield running.start_many(3)


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        with trio.fail_after(JOB_TIMEOUT_S):
            return await scenario()

    return trio.run(bounded)


async def prove(
    request: Request,
) -> tuple[ProofResult, list[Event]]:
    events: list[Event] = []

    async def record() -> None:
        async for event in request.events():
            events.append(event)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(record)
        result = await request.result()
    return result, events


def test_the_sdk_proves_a_builtin_job_and_reports_each_level(
    network: list[LocalNode], tmp_path: Path
) -> None:
    spec = builtin_spec(BUILTIN, [3], steps=8)

    async def scenario() -> tuple[Request, ProofResult, list[Event]]:
        async with connect([network[0].address], data_dir=tmp_path, listen=LOOPBACK) as client:
            request = await client.submit(spec, workers=3, wait_s=90)
            return (request, *await prove(request))

    request, result, events = run(scenario)
    statement = verify_offline(result.file(), builtin(BUILTIN), request.expected)
    assert statement.z_b == request.expected.zn and statement.ctx == request.job

    plan = events[0]
    assert isinstance(plan, Assigned) and len(plan.positions) == 3
    assert sum(p.end - p.start for p in plan.positions) == 8
    assert plan.merges_per_level == (1, 1)  # three positions: 1←2, then 1←3
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.state is JobState.COMPLETE
    for position in plan.positions:
        progress = [
            e for e in events if isinstance(e, LeafProgress) and e.position == position.index
        ]
        assert progress[-1].done == progress[-1].total == position.end - position.start
    merged = [e for e in events if isinstance(e, MergeDone)]
    assert sorted(e.level for e in merged) == [1, 2]
    assert sum(isinstance(e, Compressing) for e in events) <= 1


def test_the_sdk_proves_the_circom_fixture(network: list[LocalNode], tmp_path: Path) -> None:
    z0 = parse_state((CIRCOM / "z0.json").read_text())
    spec = circom_spec(
        CIRCOM / "poseidon_chain.r1cs",
        CIRCOM / "poseidon_chain.wasm",
        z0,
        steps=16,
        advice=load_advice(CIRCOM / "advice.json", 16),
    )

    async def scenario() -> tuple[Request, ProofResult]:
        async with connect([network[0].address], data_dir=tmp_path, listen=LOOPBACK) as client:
            request = await client.submit(spec, workers=3, wait_s=90)
            return request, await request.result()

    request, result = run(scenario)
    circuit = load_package(spec.package)
    statement = verify_offline(result.file(), circuit, request.expected)
    trace = json.loads((CIRCOM / "trace.json").read_text())
    assert list(statement.z_b) == [int(v) for v in trace["zN"]]


def test_a_requester_that_reconnects_follows_the_job_it_announced(
    network: list[LocalNode], tmp_path: Path
) -> None:
    """The requester leaves once every position is proving (its worker holds its inputs), the
    workers finish the job while it is away, and it comes back with the same data directory:
    submitting the same job again finds the job it announced instead of announcing another,
    and gets the root proof it missed from the workers."""
    spec = builtin_spec(BUILTIN, [7], steps=12)

    async def leave_once_proving() -> bytes:
        async with connect([network[0].address], data_dir=tmp_path, listen=LOOPBACK) as client:
            request = await client.submit(spec, workers=3, wait_s=90)
            started: set[int] = set()
            async for event in request.events():
                if isinstance(event, Assigned):
                    positions = {p.index for p in event.positions}
                elif isinstance(event, LeafProgress) and event.done > 0:
                    started.add(event.position)  # it fetched every input of its range first
                if started == positions or isinstance(event, Finished):
                    break
            return request.job

    async def come_back() -> tuple[Request, ProofResult]:
        async with connect([network[0].address], data_dir=tmp_path, listen=LOOPBACK) as client:
            request = await client.submit(spec, workers=3, wait_s=90)
            return request, await request.result()

    job = run(leave_once_proving)
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while any(_job_state(node, job) != "complete" for node in network):
        assert time.monotonic() < deadline, "the workers did not finish the job"
        time.sleep(0.5)
    request, result = run(come_back)
    assert request.job == job
    verify_offline(result.file(), builtin(BUILTIN), request.expected)


def test_novanode_submit_writes_a_proof_that_novanode_verify_accepts(
    network: list[LocalNode], tmp_path: Path
) -> None:
    proof = tmp_path / "proof.cbor"
    submitted = _cli(
        "submit", "--bootstrap", network[0].address, "--circuit", BUILTIN, "--z0", "[5]",
        "--steps", "6", "--workers", "3", "--out", str(proof), "--data-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.split("job ", 1)[1].split()[0]
    checked = _cli("verify", str(proof), "--expect-job", job)
    assert checked.returncode == 0, checked.stderr
    assert f"job:     {job}" in checked.stdout


def test_a_job_nobody_can_serve_fails_at_once_with_the_reason(tmp_path: Path) -> None:
    async def alone() -> None:
        async with connect([], data_dir=tmp_path, listen=LOOPBACK) as client:
            await client.submit(builtin_spec(BUILTIN, [3], steps=2), wait_s=1)

    with pytest.raises(NoWorkersError, match="0 eligible workers"):
        run(alone)


def test_novanode_submit_names_unusable_input(tmp_path: Path) -> None:
    refused = _cli(
        "submit", "--bootstrap", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWx", "--circuit", BUILTIN,
        "--z0", "[1, 2]", "--steps", "2", "--out", str(tmp_path / "p"),
        "--data-dir", str(tmp_path / "r"),
    )  # fmt: skip
    assert refused.returncode == 2
    assert "arity 1" in refused.stderr


def _job_state(node: LocalNode, job: bytes) -> str | None:
    """The job's state on a worker, from its local API."""
    jobs = node.api("/jobs")
    assert isinstance(jobs, dict)
    return next((str(j["state"]) for j in jobs["jobs"] if j["id"] == job.hex()), None)


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
        check=False,
    )
