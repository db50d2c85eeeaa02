"""The proving service: proofs and checks in real worker processes, awaited from trio, with
failures reported by kind (an invalid node or proof, an unusable circuit, a dead worker)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import cbor2
import pytest
import trio
import trio.testing

from crypto.circuit.package import builtin_package
from crypto.tree.node import Statement
from node.errors import (
    CircuitUnusableError,
    InvalidNodeError,
    InvalidProofError,
    ProvingError,
    ProvingInputError,
)
from node.proving import CircuitRef, ProvingService, open_proving
from protocol.limits import FR_MODULUS

CTX = bytes(range(32))
Z0 = (3,)
T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        with trio.fail_after(120):  # a hang fails the test instead of stalling the suite
            return await make()

    return trio.run(main)


def store(directory: Path, blob: bytes) -> CircuitRef:
    digest = hashlib.sha256(blob).digest()
    path = directory / digest.hex()
    path.write_bytes(blob)
    return CircuitRef(digest, path)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proving")


@pytest.fixture(scope="module")
def circuit(directory: Path) -> CircuitRef:
    return store(directory, builtin_package("builtin:cubic?log2=4"))


@pytest.fixture(scope="module")
def service(directory: Path) -> Iterator[ProvingService]:
    proving = ProvingService(2, directory / "cache")
    yield proving
    proving.close()


@pytest.fixture(scope="module")
def trace(service: ProvingService, circuit: CircuitRef) -> list[tuple[int, ...]]:
    async def states() -> list[tuple[int, ...]]:
        z1 = await service.native(circuit, Z0, None)
        return [Z0, z1, await service.native(circuit, z1, None)]

    return run(states)


@pytest.fixture(scope="module")
def nodes(
    service: ProvingService, circuit: CircuitRef, trace: list[tuple[int, ...]]
) -> dict[str, bytes]:
    """Two leaves, proven at once on the two workers, and their join; the trio loop keeps
    running meanwhile (`ticks` counts its iterations)."""

    async def prove() -> dict[str, bytes]:
        blobs: dict[str, bytes] = {}
        ticks = 0

        async def leaf(m: int) -> None:
            blobs[f"leaf{m}"] = await service.prove_step(
                circuit, CTX, m, trace[m], None, None, None
            )

        async with trio.open_nursery() as nursery:
            nursery.start_soon(leaf, 0)
            nursery.start_soon(leaf, 1)
            while len(blobs) < 2:
                ticks += 1
                await trio.sleep(0.01)
        blobs["join"] = await service.prove_join(circuit, blobs["leaf0"], blobs["leaf1"], None)
        blobs["ticks"] = ticks.to_bytes(8, "little")
        return blobs

    return run(prove)


def test_native_steps_follow_the_circuit(trace: list[tuple[int, ...]]) -> None:
    x = Z0[0]
    for z in trace[1:]:
        for _ in range(8):  # 2^log2 constraints, two an iteration
            x = (x**3 + x + 5) % FR_MODULUS
        assert z == (x,)


def test_the_loop_runs_while_workers_prove(nodes: dict[str, bytes]) -> None:
    assert int.from_bytes(nodes["ticks"], "little") > 0


def test_proven_nodes_verify_with_their_statements(
    service: ProvingService,
    circuit: CircuitRef,
    nodes: dict[str, bytes],
    trace: list[tuple[int, ...]],
) -> None:
    async def check() -> tuple[Statement, Statement]:
        leaf = await service.verify_node(circuit, nodes["leaf1"], ctx=CTX, a=1, b=2, z_a=trace[1])
        join = await service.verify_node(circuit, nodes["join"], ctx=CTX, a=0, b=2, z_a=Z0)
        return leaf, join

    leaf, join = run(check)
    assert (leaf.a, leaf.b, leaf.z_a, leaf.z_b) == (1, 2, trace[1], trace[2])
    assert (join.ctx, join.a, join.b, join.z_a, join.z_b) == (CTX, 0, 2, Z0, trace[2])


def _tampered(blob: bytes, key: str, change: Callable[[bytes], bytes]) -> bytes:
    value = cbor2.loads(blob)
    value[key] = change(value[key])
    return cbor2.dumps(value, canonical=True)


def _flip_canonically(vector: bytes) -> bytes:
    """The vector with one element's lowest bit flipped, where the result stays below r."""
    for i in range(0, len(vector), 32):
        element = int.from_bytes(vector[i : i + 32], "little") ^ 1
        if element < FR_MODULUS:
            return vector[:i] + element.to_bytes(32, "little") + vector[i + 32 :]
    raise AssertionError("no element can be flipped")


def test_tampered_nodes_are_invalid(
    service: ProvingService, circuit: CircuitRef, nodes: dict[str, bytes]
) -> None:
    join = nodes["join"]
    other_zb = (12345).to_bytes(32, "little")
    cases = {
        "witness": _tampered(join, "W1", _flip_canonically),
        "zb": _tampered(join, "zb", lambda _: other_zb),
        "truncated": join[:-1],
    }

    async def check(blob: bytes) -> str:
        with pytest.raises(InvalidNodeError) as raised:
            await service.verify_node(circuit, blob, ctx=CTX, a=0, b=2, z_a=Z0)
        return str(raised.value)

    assert "constraint" in run(lambda: check(cases["witness"]))
    run(lambda: check(cases["zb"]))
    assert "node $" in run(lambda: check(cases["truncated"]))


def test_a_node_for_another_statement_is_invalid(
    service: ProvingService, circuit: CircuitRef, nodes: dict[str, bytes]
) -> None:
    async def check() -> None:
        for expected in (
            {"ctx": bytes(32), "a": 0, "b": 2, "z_a": Z0},
            {"ctx": CTX, "a": 1, "b": 2, "z_a": Z0},
            {"ctx": CTX, "a": 0, "b": 2, "z_a": (4,)},
        ):
            with pytest.raises(InvalidNodeError, match="expected"):
                await service.verify_node(circuit, nodes["join"], **expected)  # type: ignore[arg-type]

    run(check)


def test_compress_and_verify_the_proof(
    service: ProvingService,
    circuit: CircuitRef,
    nodes: dict[str, bytes],
    trace: list[tuple[int, ...]],
) -> None:
    async def check() -> tuple[Statement, bytes]:
        proof, proven = await service.compress(circuit, nodes["join"])
        statement = await service.verify_proof(circuit, proof)
        assert proven == statement
        return statement, proof

    statement, proof = run(check)
    assert (statement.ctx, statement.a, statement.b, statement.z_a, statement.z_b) == (
        CTX,
        0,
        2,
        Z0,
        trace[2],
    )
    claims_other_result = _tampered(proof, "zb", lambda _: (7).to_bytes(32, "little"))

    async def reject(blob: bytes) -> None:
        with pytest.raises(InvalidProofError):
            await service.verify_proof(circuit, blob)

    run(lambda: reject(claims_other_result))
    run(lambda: reject(proof + b"\x00"))
    run(lambda: reject(nodes["join"]))


def test_unusable_circuits_are_refused(
    service: ProvingService, circuit: CircuitRef, directory: Path
) -> None:
    wrong_hash = CircuitRef(hashlib.sha256(b"another").digest(), circuit.path)
    missing = CircuitRef(hashlib.sha256(b"absent").digest(), directory / "absent")
    unknown = store(directory, cbor2.dumps({"builtin": "builtin:nope", "v": 1}, canonical=True))

    async def check(ref: CircuitRef, match: str) -> None:
        with pytest.raises(CircuitUnusableError, match=match):
            await service.native(ref, Z0, None)

    run(lambda: check(wrong_hash, "does not hash to"))
    run(lambda: check(missing, "absent"))
    run(lambda: check(unknown, "does not load"))


def test_inputs_that_cannot_be_proven(
    service: ProvingService, circuit: CircuitRef, nodes: dict[str, bytes]
) -> None:
    async def check() -> None:
        with pytest.raises(ProvingInputError, match="takes no advice"):
            await service.native(circuit, Z0, {"x": 1})
        with pytest.raises(ProvingInputError, match="left node"):
            await service.prove_step(circuit, CTX, 1, Z0, None, b"\x00", None)
        with pytest.raises(ProvingInputError):  # leaf 1 does not end where step 0 starts
            await service.prove_step(circuit, CTX, 0, Z0, None, None, nodes["leaf0"])

    run(check)


def test_a_cancelled_caller_leaves_the_service_usable(
    service: ProvingService, circuit: CircuitRef, trace: list[tuple[int, ...]]
) -> None:
    async def cancel_waiting_callers() -> None:
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:
                for m in range(4):  # more than the workers: some wait in the queue
                    nursery.start_soon(service.prove_step, circuit, CTX, m, Z0, None, None, None)
                await trio.testing.wait_all_tasks_blocked()
                scope.cancel()
        assert scope.cancelled_caught
        assert await service.native(circuit, trace[1], None) == trace[2]

    run(cancel_waiting_callers)


def _workers() -> list[int]:
    """This process's children that are multiprocessing workers (spawned interpreters)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def test_a_killed_worker_fails_its_task_and_the_pool_recovers(
    service: ProvingService, circuit: CircuitRef, trace: list[tuple[int, ...]]
) -> None:
    async def kill_mid_task() -> None:
        async with trio.open_nursery() as nursery:

            async def prove() -> None:
                with pytest.raises(ProvingError, match="died"):
                    await service.prove_step(circuit, CTX, 0, Z0, None, None, None)

            nursery.start_soon(prove)
            await trio.testing.wait_all_tasks_blocked()  # the task is with the pool
            workers = _workers()
            assert workers
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
        assert await service.native(circuit, Z0, None) == trace[1]

    run(kill_mid_task)


def test_close_stops_a_running_task(directory: Path, circuit: CircuitRef) -> None:
    async def close_mid_task() -> None:
        async with open_proving(1, directory / "cache") as proving:
            async with trio.open_nursery() as nursery:

                async def prove() -> None:
                    with pytest.raises(ProvingError, match="closed"):
                        await proving.prove_step(circuit, CTX, 0, Z0, None, None, None)

                nursery.start_soon(prove)
                await trio.testing.wait_all_tasks_blocked()
                proving.close()
            with pytest.raises(ProvingError, match="closed"):
                await proving.native(circuit, Z0, None)

    run(close_mid_task)


def test_each_completed_task_is_reported_with_the_seconds_it_ran(
    directory: Path, circuit: CircuitRef
) -> None:
    observed: list[tuple[str, float]] = []

    def observe(task: str, seconds: float) -> None:
        observed.append((task, seconds))

    async def tasks() -> None:
        async with open_proving(1, directory / "cache", observe) as proving:
            z1 = await proving.native(circuit, Z0, None)
            # Two proofs queued at once on one worker: each reports its own run.
            async with trio.open_nursery() as nursery:
                for m, z in ((0, Z0), (1, z1)):
                    nursery.start_soon(proving.prove_step, circuit, CTX, m, z, None, None, None)
            with pytest.raises(InvalidNodeError):
                await proving.verify_node(circuit, b"\x00", ctx=CTX, a=0, b=1, z_a=Z0)

    run(tasks)
    assert [task for task, _ in observed] == ["native", "prove_step", "prove_step"]
    assert all(seconds > 0 for _, seconds in observed)


_ORPHAN_SCRIPT = """
import sys, trio
from pathlib import Path
from node.proving import CircuitRef, ProvingService

async def main():
    service = ProvingService(1, Path(sys.argv[1]))
    await service.native(CircuitRef(bytes.fromhex(sys.argv[2]), Path(sys.argv[3])), [3], None)
    print("ready", flush=True)
    await trio.sleep_forever()

if __name__ == "__main__":
    trio.run(main)
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie waiting to be reaped has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_exit_when_their_node_is_killed(directory: Path, circuit: CircuitRef) -> None:
    script = directory / "orphan.py"
    script.write_text(_ORPHAN_SCRIPT)
    node = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(directory / "cache"),
            circuit.hash.hex(),
            str(circuit.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert node.stdout is not None and node.stdout.readline().strip() == "ready"
    workers = _children(node.pid)
    assert workers, "the service started no worker process"
    node.send_signal(signal.SIGKILL)
    node.wait()
    node.stdout.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if _running(w)]
    for worker in alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, "worker processes outlived the node that started them"
