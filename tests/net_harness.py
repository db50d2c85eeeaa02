"""Real py-libp2p hosts on loopback for the networking tests: no part of libp2p is mocked."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import trio
from nacl.signing import SigningKey

from node.net.gossip import Gossip, open_gossip
from node.net.host import Host, open_host
from protocol.messages import Body, CapacityAnnouncement, SignedMessage
from protocol.signing import sign

LOOPBACK = "/ip4/127.0.0.1/tcp/0"
NOW_MS = 1_800_000_000_000
EXPIRES_MS = NOW_MS + 60_000
TEST_TIMEOUT_S = 30.0


def key(label: str) -> SigningKey:
    """A fixed test key named by a label."""
    return SigningKey(hashlib.sha256(b"novanode net test " + label.encode()).digest())


def fixed_clock() -> int:
    """The time replay protection sees in these tests (messages expire a minute after it)."""
    return NOW_MS


def signed(body: Body, signer: SigningKey, seq: int, expires_ms: int = EXPIRES_MS) -> SignedMessage:
    return sign(body, signer, seq=seq, expires_ms=expires_ms)


def capacity(signer: SigningKey, seq: int) -> SignedMessage:
    return signed(CapacityAnnouncement(1_000_000 + seq, 0, 1), signer, seq)


@dataclass
class Peer:
    key: SigningKey
    host: Host
    gossip: Gossip


@asynccontextmanager
async def open_peers(count: int, label: str = "peer") -> AsyncIterator[list[Peer]]:
    """``count`` hosts with gossip running, each connected to the first one."""
    async with AsyncExitStack() as stack:
        peers = []
        for i in range(count):
            signer = key(f"{label}-{i}")
            host = await stack.enter_async_context(open_host(signer, LOOPBACK))
            gossip = await stack.enter_async_context(open_gossip(host, clock=fixed_clock))
            peers.append(Peer(signer, host, gossip))
        for peer in peers[1:]:
            await peer.host.connect(peers[0].host.listen_addrs()[0])
        yield peers


def run(test: Callable[[], Awaitable[None]]) -> None:
    """Run an async test under trio with a deadline, so a hang fails instead of blocking."""

    async def bounded() -> None:
        with trio.fail_after(TEST_TIMEOUT_S):
            await test()

    trio.run(bounded)
