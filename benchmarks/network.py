"""Network figures between two node hosts on loopback: gossip latency and stream throughput.

Keys (``in_process``: both hosts in one trio run; ``cross_process``: the second host is this
script in ``--peer`` mode, in its own OS process):

* ``gossip_latency_ms_*``: median one-way delivery time of a signed capacity announcement on the
  announce topic, publish call to the receiver's validated delivery (both validators included),
  over ``MESSAGES`` messages sent 20 ms apart; cross-process times use the shared system clock.
* ``stream_mib_s_*``: median throughput of fetching a ``BLOB_MIB`` MiB blob over the blob
  protocol (request, length check, body, SHA-256 check), over ``FETCHES`` fetches.
* ``stream_mib_s_raw_libp2p``: the floor, the same bytes written in one call on a bare
  py-libp2p stream and read with no framing or checks (in one process); the ratio to
  ``stream_mib_s_in_process`` is what the framing and checks cost.

Jobs on local swarms (``N`` = 1, 2, 4 ``novanode start`` processes of capacity 1 on loopback,
each with its own data directory and one prover process; a requester in this process submits
a job of ``JOB_STEPS`` steps of ``builtin:cubic?log2=10`` from z0 = (7,), the circuit and size
of benchmarks/tree.py's ``job_32_*`` rows, and waits for the verified result). The nodes are
warm: a job of 2N steps on the same circuit runs first, so every node's prover process holds
the circuit's parameters and SNARK keys (everyone verifies the root proof) before the measured
one. Keys ``job_<steps>_n<N>_*``:

* ``wall_ms``: ``submit`` to the verified result in the requester (workers' capacity already
  announced); ``root_ms``: ``submit`` to the root proof's arrival, before the requester's check.
* ``startup_s``: starting the N processes one after the other (each measures its throughput
  with a short self-benchmark before it prints its address); ``warmup_ms``: the warm-up job.
* ``positions``: each position's range of steps and its owner (``node-i``).
* per node ``node<i>_*``, from its ``/metrics`` over the measured job: ``sent_kib``,
  ``received_kib`` (blob and fold bodies; gossip is not counted), ``step_s``, ``join_s``,
  ``compress_s`` (proving seconds by kind), ``verify_s`` (verifying received nodes), each the
  wall time its tasks ran in the node's prover process (not their time queued there, but
  stretched when the processes share cores); ``requester_sent_kib``: the circuit and inputs it
  served.
* ``prove_s``, ``verify_s``: those seconds summed over the nodes; ``verify_over_prove``: their
  ratio.
* ``local_P1_ms``, ``local_P2_ms``: the same job by ``crypto.tree.scheduler.prove_job`` on 1 and
  2 provers in one process then compressed (as benchmarks/tree.py times it: warm shape cache,
  the workers' start-up included; SNARK keys derived beforehand); ``n<N>_over_local_P2``: the
  largest swarm's wall time over ``local_P2_ms``, against the target of 1.3 for 4 nodes on two
  cores (``target_1_3x``: PASS or MISS).
* ``prover_threads``: the kernel threads of every prover, nodes and local workers alike
  (``--prover-threads``, default 1: each prover has one core's worth of threads, as
  benchmarks/tree.py's one-core rows; with the kernel's default of one thread per core, four
  nodes' provers on two cores oversubscribe them and lose to thread contention).

Usage: ``python benchmarks/network.py [--quick] [--keep DIR]`` (``--quick``: 20 messages, one
20 MiB fetch, 1 and 2 nodes on an 8-step job; ``--keep``: leave the swarms' data directories
and JSON logs under DIR for a look at where the time went).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import median_ms, report  # noqa: E402
from crypto.circuit.builtins import builtin  # noqa: E402
from crypto.circuit.cache import ShapeCache  # noqa: E402
from crypto.circuit.package import builtin_package  # noqa: E402
from crypto.snark import compressed  # noqa: E402
from crypto.tree.params import public_params  # noqa: E402
from crypto.tree.scheduler import prove_job  # noqa: E402
from node import runtime  # noqa: E402
from node.datadir import open_data_dir  # noqa: E402
from node.localnet import LocalNet, open_localnet  # noqa: E402
from node.net import streams  # noqa: E402
from node.net.gossip import Gossip, open_gossip  # noqa: E402
from node.net.host import Host, open_host  # noqa: E402
from node.requester import JobHandle, PreparedJob, open_requester, prepare_job, submit  # noqa: E402
from protocol.limits import MiB  # noqa: E402
from protocol.messages import CapacityAnnouncement, SignedMessage  # noqa: E402
from protocol.signing import sign  # noqa: E402
from protocol.transport import ANNOUNCE_TOPIC  # noqa: E402

LOOPBACK = "/ip4/127.0.0.1/tcp/0"
JOB = hashlib.sha256(b"network benchmark job").digest()
SPACING_S = 0.02


@dataclass(frozen=True)
class Sizes:
    messages: int
    blob_mib: int
    fetches: int
    swarms: tuple[int, ...]
    job_steps: int
    local_repeats: int


FULL = Sizes(messages=50, blob_mib=32, fetches=3, swarms=(1, 2, 4), job_steps=32, local_repeats=2)
QUICK = Sizes(messages=20, blob_mib=20, fetches=1, swarms=(1, 2), job_steps=8, local_repeats=1)


def node_key(label: str) -> SigningKey:
    return SigningKey(hashlib.sha256(b"novanode network benchmark " + label.encode()).digest())


def blob_of(size: int) -> bytes:
    return hashlib.shake_256(b"network benchmark blob").digest(size)


def announcement(key: SigningKey, seq: int) -> SignedMessage:
    expires_ms = time.time_ns() // 1_000_000 + 600_000
    return sign(CapacityAnnouncement(1_000_000, 0, 1), key, seq=seq, expires_ms=expires_ms)


@dataclass
class Node:
    host: Host
    gossip: Gossip


@asynccontextmanager
async def open_node(label: str, blob: bytes) -> AsyncIterator[Node]:
    """A host with gossip running that serves ``blob`` for `JOB`."""
    content = hashlib.sha256(blob).digest()

    async def lookup(job: bytes, content_hash: bytes) -> bytes | None:
        return blob if (job, content_hash) == (JOB, content) else None

    async with AsyncExitStack() as stack:
        host = await stack.enter_async_context(open_host(node_key(label), LOOPBACK))
        gossip = await stack.enter_async_context(open_gossip(host))
        streams.serve_blobs(host, lookup)
        yield Node(host, gossip)


async def publish_all(publisher: Node, count: int) -> dict[int, int]:
    """Publish ``count`` announcements; returns the wall time in ns at which each was sent."""
    key = node_key("publisher")
    sent = {}
    for seq in range(count):
        message = announcement(key, seq)
        sent[seq] = time.time_ns()
        await publisher.gossip.publish(ANNOUNCE_TOPIC, message)
        await trio.sleep(SPACING_S)
    return sent


async def fetch_mib_s(node: Node, peer: str, blob: bytes, fetches: int) -> float:
    content = hashlib.sha256(blob).digest()
    rates = []
    for _ in range(fetches):
        start = time.perf_counter()
        got = await streams.fetch_blob(node.host, peer, JOB, content, len(blob))
        rates.append(len(got) / MiB / (time.perf_counter() - start))
        assert got == blob
    return statistics.median(rates)


def latencies_ms(sent: dict[int, int], received: dict[int, int]) -> float:
    missing = set(sent) - set(received)
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(sent)} gossip messages never arrived")
    return statistics.median((received[s] - sent[s]) / 1e6 for s in sent)


RAW_PROTOCOL = TProtocol("/novanode-benchmark/raw")


async def raw_mib_s(sender: Node, receiver: Node, size: int, repeats: int) -> float:
    """Throughput of a bare py-libp2p stream: one write, reads of whatever arrives."""
    arrived: list[trio.Event] = []

    async def sink(stream: INetStream) -> None:
        count = 0
        while count < size:
            count += len(await stream.read(size - count))
        arrived[-1].set()

    receiver.host.libp2p.set_stream_handler(RAW_PROTOCOL, sink)
    data = bytes(size)
    rates = []
    for _ in range(repeats):
        arrived.append(trio.Event())
        stream = await sender.host.libp2p.new_stream(
            ID.from_base58(receiver.host.peer_id), [RAW_PROTOCOL]
        )
        start = time.perf_counter()
        await stream.write(data)
        await arrived[-1].wait()
        rates.append(size / MiB / (time.perf_counter() - start))
        await stream.close()
    return statistics.median(rates)


async def in_process(sizes: Sizes) -> tuple[float, float, float]:
    blob = blob_of(sizes.blob_mib * MiB)
    async with open_node("publisher", b"-") as publisher, open_node("peer", blob) as receiver:
        await publisher.host.connect(receiver.host.listen_addrs()[0])
        await publisher.gossip.join(ANNOUNCE_TOPIC)
        channel = await receiver.gossip.join(ANNOUNCE_TOPIC)
        await publisher.gossip.wait_for_mesh(receiver.host.peer_id, ANNOUNCE_TOPIC)
        received: dict[int, int] = {}

        async def collect() -> None:
            async for message in channel:
                received[message.seq] = time.time_ns()
                if len(received) == sizes.messages:
                    return

        async with trio.open_nursery() as nursery:
            nursery.start_soon(collect)
            sent = await publish_all(publisher, sizes.messages)
        rate = await fetch_mib_s(publisher, receiver.host.peer_id, blob, sizes.fetches)
        raw = await raw_mib_s(receiver, publisher, len(blob), sizes.fetches)
    return latencies_ms(sent, received), rate, raw


async def cross_process(sizes: Sizes) -> tuple[float, float]:
    blob = blob_of(sizes.blob_mib * MiB)
    script = [sys.executable, str(Path(__file__).resolve()), "--peer", str(len(blob))]
    process = await trio.lowlevel.open_process(
        script, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    output = b""
    while b"\n" not in output:
        chunk = await process.stdout.receive_some()
        if not chunk:
            raise RuntimeError("the peer process exited before printing its address")
        output += chunk
    address = output.split(b"\n")[0].decode()
    async with open_node("publisher", b"-") as publisher:
        peer = await publisher.host.connect(address)
        await publisher.gossip.join(ANNOUNCE_TOPIC)
        await publisher.gossip.wait_for_mesh(peer, ANNOUNCE_TOPIC)
        sent = await publish_all(publisher, sizes.messages)
        await trio.sleep(0.5)
        rate = await fetch_mib_s(publisher, peer, blob, sizes.fetches)
    await process.stdin.aclose()
    while chunk := await process.stdout.receive_some():
        output += chunk
    await process.wait()
    received = {int(seq): ns for seq, ns in json.loads(output.split(b"\n")[1]).items()}
    return latencies_ms(sent, received), rate


async def serve_as_peer(size: int) -> None:
    """``--peer`` mode: serve the blob, time every announcement, print the times at stdin EOF."""
    received: dict[int, int] = {}
    async with open_node("peer", blob_of(size)) as node:
        channel = await node.gossip.join(ANNOUNCE_TOPIC)
        print(node.host.listen_addrs()[0], flush=True)

        async def collect() -> None:
            async for message in channel:
                received[message.seq] = time.time_ns()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(collect)
            stdin = trio.lowlevel.FdStream(sys.stdin.fileno())
            while await stdin.receive_some():
                pass
            nursery.cancel_scope.cancel()
    print(json.dumps(received), flush=True)


# Jobs on local swarms

JOB_CIRCUIT = "builtin:cubic?log2=10"
JOB_Z0 = (7,)
JOB_TIMEOUT_S = 600.0
ROOT_POLL_S = 0.005
TARGET = 1.3
METRICS = {
    "sent_kib": ("novanode_bytes_sent_total", 1 / 1024),
    "received_kib": ("novanode_bytes_received_total", 1 / 1024),
    "step_s": ('novanode_proving_seconds_sum{kind="step"}', 1.0),
    "join_s": ('novanode_proving_seconds_sum{kind="join"}', 1.0),
    "compress_s": ('novanode_proving_seconds_sum{kind="compress"}', 1.0),
    "verify_s": ("novanode_verification_seconds_sum", 1.0),
}
"""Per-node figures: the series scraped from /metrics and the factor to the figure's unit."""
PROVING = ("step_s", "join_s", "compress_s")


@dataclass
class SwarmRun:
    """One swarm's figures (see the module docstring)."""

    startup_s: float
    warmup_ms: float = 0.0
    root_ms: float = 0.0
    wall_ms: float = 0.0
    positions: str = ""
    nodes: list[dict[str, float]] = field(default_factory=list)
    requester_sent_kib: float = 0.0


def node_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """A node's figures over the time between two scrapes."""
    return {
        name: (after.get(series, 0.0) - before.get(series, 0.0)) * unit
        for name, (series, unit) in METRICS.items()
    }


def bytes_sent(requester: runtime.Node) -> float:
    return requester.metrics.registry.get_sample_value("novanode_bytes_sent_total") or 0.0


def job_of(steps: int) -> PreparedJob:
    return prepare_job(builtin_package(JOB_CIRCUIT), JOB_Z0, [None] * steps)


async def timed_job(
    requester: runtime.Node, prepared: PreparedJob, workers: int
) -> tuple[JobHandle, float, float]:
    """Submits the job once ``workers`` nodes announce a free slot (each previous job released
    its own); returns its handle and the times in ms from ``submit`` to the root proof's arrival
    and to the requester's verified result."""
    while len(requester.eligible_workers(requester.now_ms())) < workers:
        await trio.sleep(0.05)
    start = time.perf_counter()
    handle = await submit(requester, prepared, workers=workers, wait_s=0)
    root_at = math.inf

    async def watch_root() -> None:
        nonlocal root_at
        while not handle.report()["root"]:
            await trio.sleep(ROOT_POLL_S)
        root_at = time.perf_counter()

    with trio.fail_after(JOB_TIMEOUT_S):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch_root)
            result = await handle.wait()
            done = time.perf_counter()
            nursery.cancel_scope.cancel()
    if (result.statement.b, result.statement.z_b) != (prepared.steps, prepared.final_state):
        raise RuntimeError("the verified result is not the job's")
    return handle, (min(root_at, done) - start) * 1e3, (done - start) * 1e3


def positions_of(running: LocalNet, handle: JobHandle) -> str:
    """Each position's range and owner, as ``start-end:i`` for ``node-i``."""
    positions = handle.report()["positions"]
    assert isinstance(positions, list)
    shown = []
    for position in positions:
        start, end = position["range"]
        owner = running.by_key(bytes.fromhex(position["owner"])).name.removeprefix("node-")
        shown.append(f"{start}-{end}:{owner}")
    return " ".join(shown)


async def measure_jobs(running: LocalNet, steps: int, run: SwarmRun) -> None:
    """The warm-up job, then the measured one, from a requester in this process."""
    workers = len(running.nodes)
    with open_data_dir(running.root / "requester") as data_dir:
        async with open_requester(
            SigningKey.generate(), data_dir, listen=LOOPBACK, bootstrap=[running.nodes[0].address]
        ) as requester:
            _, _, run.warmup_ms = await timed_job(requester, job_of(2 * workers), workers)
            before = [await trio.to_thread.run_sync(n.metrics) for n in running.nodes]
            served = bytes_sent(requester)
            handle, run.root_ms, run.wall_ms = await timed_job(requester, job_of(steps), workers)
            after = [await trio.to_thread.run_sync(n.metrics) for n in running.nodes]
            run.requester_sent_kib = (bytes_sent(requester) - served) / 1024
    run.nodes = [node_figures(b, a) for b, a in zip(before, after, strict=True)]
    run.positions = positions_of(running, handle)


def measure_swarm(count: int, steps: int, root: Path) -> SwarmRun:
    """``count`` nodes of capacity 1 started afresh under ``root``, then `measure_jobs`."""
    with open_localnet(root) as running:
        start = time.perf_counter()
        running.start_many(count)
        run = SwarmRun(startup_s=time.perf_counter() - start)
        trio.run(measure_jobs, running, steps, run)
    return run


def swarm_results(prefix: str, run: SwarmRun) -> dict[str, float | int | str]:
    results: dict[str, float | int | str] = {
        f"{prefix}_wall_ms": run.wall_ms,
        f"{prefix}_root_ms": run.root_ms,
        f"{prefix}_startup_s": run.startup_s,
        f"{prefix}_warmup_ms": run.warmup_ms,
        f"{prefix}_positions": run.positions,
        f"{prefix}_requester_sent_kib": run.requester_sent_kib,
    }
    for i, figures in enumerate(run.nodes):
        for name, value in figures.items():
            results[f"{prefix}_node{i}_{name}"] = value
    proving = sum(f[k] for f in run.nodes for k in PROVING)
    verifying = sum(f["verify_s"] for f in run.nodes)
    results[f"{prefix}_prove_s"] = proving
    results[f"{prefix}_verify_s"] = verifying
    results[f"{prefix}_verify_over_prove"] = verifying / proving if proving else 0.0
    return results


def local_ms(steps: int, repeats: int) -> dict[int, float]:
    """`prove_job` on 1 and 2 provers then compression, as benchmarks/tree.py times jobs."""
    make = functools.partial(builtin, JOB_CIRCUIT)
    advice = [None] * steps
    times = {}
    with tempfile.TemporaryDirectory(prefix="novanode-bench-") as shared:
        cache = Path(shared)
        prove_job(make, bytes(32), JOB_Z0, advice[:2], 2, cache)  # records the shapes once
        keys = compressed.snark_keys(public_params(make(), ShapeCache(cache)), ShapeCache(cache))

        def prove_and_compress(workers: int) -> None:
            compressed.prove(keys, prove_job(make, bytes(32), JOB_Z0, advice, workers, cache))

        for workers in (1, 2):
            times[workers] = median_ms(functools.partial(prove_and_compress, workers), repeats, 0)
    return times


def jobs(sizes: Sizes, keep: Path | None) -> dict[str, float | int | str]:
    """Every swarm's figures (each swarm started afresh), then the local reference."""
    steps = sizes.job_steps
    results: dict[str, float | int | str] = {}
    runs = {}
    for count in sizes.swarms:
        root = Path(tempfile.mkdtemp(prefix=f"novanode-swarm-{count}-"))
        try:
            runs[count] = measure_swarm(count, steps, root)
        finally:
            if keep is not None:
                shutil.copytree(root, keep / f"swarm-{count}", dirs_exist_ok=True)
            shutil.rmtree(root, ignore_errors=True)
        results.update(swarm_results(f"job_{steps}_n{count}", runs[count]))
    local = local_ms(steps, sizes.local_repeats)
    results[f"job_{steps}_local_P1_ms"] = local[1]
    results[f"job_{steps}_local_P2_ms"] = local[2]
    largest = max(sizes.swarms)
    ratio = runs[largest].wall_ms / local[2]
    results[f"job_{steps}_n{largest}_over_local_P2"] = ratio
    if largest == 4:
        results["target_1_3x"] = "PASS" if ratio <= TARGET else "MISS"
    return results


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages: how busy the machine was besides this script."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the swarms' directories")
    parser.add_argument("--peer", type=int, metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument(
        "--prover-threads",
        type=int,
        default=1,
        metavar="T",
        help="kernel threads of every prover (nodes, local workers); default 1: one core each",
    )
    args = parser.parse_args()
    # Set before the kernel's thread pool starts; node processes and prover workers inherit it.
    os.environ["RAYON_NUM_THREADS"] = str(args.prover_threads)
    if args.peer is not None:
        trio.run(serve_as_peer, args.peer)
        return
    sizes = QUICK if args.quick else FULL
    load = loadavg()
    latency_in, rate_in, rate_raw = trio.run(in_process, sizes)
    latency_cross, rate_cross = trio.run(cross_process, sizes)
    report(
        "network",
        {
            "gossip_latency_ms_in_process": latency_in,
            "gossip_latency_ms_cross_process": latency_cross,
            "stream_mib_s_in_process": rate_in,
            "stream_mib_s_cross_process": rate_cross,
            "stream_mib_s_raw_libp2p": rate_raw,
            "prover_threads": args.prover_threads,
            "gossip_messages": sizes.messages,
            "blob_mib": sizes.blob_mib,
            "fetches": sizes.fetches,
            **jobs(sizes, args.keep),
            "loadavg_at_start": load,
            "loadavg_at_end": loadavg(),
        },
        notes="hosts and nodes on loopback, TCP + Noise + yamux; medians; the machine's cores"
        " may have been shared with other work (see loadavg_at_start)",
    )


if __name__ == "__main__":
    main()
