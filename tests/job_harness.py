"""An honest requester in the test process: submits jobs to a swarm of `novanode start`
processes (`swarm.py`) and verifies their root proofs offline, as anyone holding the circuit can."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import trio
from nacl.signing import SigningKey

from crypto.circuit.package import builtin_package, circom_package, load_package
from crypto.snark import compressed
from crypto.snark.encoding import decode_proof
from crypto.tree.node import Statement
from crypto.tree.params import public_params
from node.datadir import open_data_dir
from node.requester import JobHandle, JobResult, PreparedJob, open_requester, prepare_job, submit

BUILTIN = "builtin:cubic?log2=4"
CIRCOM = Path(__file__).resolve().parent / "fixtures" / "circom" / "poseidon_chain"
LOOPBACK = "/ip4/127.0.0.1/tcp/0"
JOB_TIMEOUT_S = 240.0

During = Callable[[JobHandle], Awaitable[None]]


def builtin_job(steps: int) -> PreparedJob:
    return prepare_job(builtin_package(BUILTIN), [3], [None] * steps)


def circom_job() -> PreparedJob:
    """The circom fixture's job: 16 steps of a Poseidon chain (its trace holds the final state)."""
    package = circom_package(
        (CIRCOM / "poseidon_chain.r1cs").read_bytes(), (CIRCOM / "poseidon_chain.wasm").read_bytes()
    )
    z0 = [int(v) for v in json.loads((CIRCOM / "z0.json").read_text())]
    advice = json.loads((CIRCOM / "advice.json").read_text())
    return prepare_job(package, z0, advice)


def circom_trace_final_state() -> list[int]:
    trace = json.loads((CIRCOM / "trace.json").read_text())
    return [int(v) for v in trace["zN"]]


def verify_offline(prepared: PreparedJob, result: JobResult) -> Statement:
    """What anyone holding the circuit can check: the compressed proof and its statement."""
    keys = compressed.snark_keys(public_params(load_package(prepared.circuit)))
    statement = compressed.verify(keys, decode_proof(result.proof, keys))
    assert statement == result.statement
    assert (statement.ctx, statement.a, statement.b) == (result.job, 0, prepared.steps)
    assert statement.z_a == prepared.z0
    assert statement.z_b == prepared.final_state
    return statement


def request(
    root: Path,
    bootstrap: str,
    jobs: list[PreparedJob],
    workers: int,
    during: During | None = None,
) -> list[tuple[JobResult, dict[str, object]]]:
    """Submits the jobs from a requester in this process and waits for their verified results."""
    outcomes: list[tuple[JobResult, dict[str, object]]] = []

    async def scenario() -> None:
        with open_data_dir(root / "requester") as data_dir:
            key = SigningKey.generate()
            async with open_requester(
                key, data_dir, listen=LOOPBACK, bootstrap=[bootstrap]
            ) as node:
                handles = [await submit(node, job, workers=workers, wait_s=90) for job in jobs]
                async with trio.open_nursery() as nursery:
                    if during is not None:
                        nursery.start_soon(during, handles[0])
                    with trio.fail_after(JOB_TIMEOUT_S):
                        for handle in handles:
                            outcomes.append((await handle.wait(), handle.report()))
                    nursery.cancel_scope.cancel()

    trio.run(scenario)
    return outcomes
