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

Usage: ``python benchmarks/network.py [--quick]`` (``--quick``: 20 messages, one 20 MiB fetch).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import report
from node.net import streams
from node.net.gossip import Gossip, open_gossip
from node.net.host import Host, open_host
from protocol.limits import MiB
from protocol.messages import CapacityAnnouncement, SignedMessage
from protocol.signing import sign
from protocol.transport import ANNOUNCE_TOPIC

LOOPBACK = "/ip4/127.0.0.1/tcp/0"
JOB = hashlib.sha256(b"network benchmark job").digest()
SPACING_S = 0.02


@dataclass(frozen=True)
class Sizes:
    messages: int
    blob_mib: int
    fetches: int


FULL = Sizes(messages=50, blob_mib=32, fetches=3)
QUICK = Sizes(messages=20, blob_mib=20, fetches=1)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--peer", type=int, metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer is not None:
        trio.run(serve_as_peer, args.peer)
        return
    sizes = QUICK if args.quick else FULL
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
            "gossip_messages": sizes.messages,
            "blob_mib": sizes.blob_mib,
            "fetches": sizes.fetches,
        },
        notes="two hosts on loopback, TCP + Noise + yamux; medians; the machine's 2 cores were"
        " shared with other work",
    )


if __name__ == "__main__":
    main()
