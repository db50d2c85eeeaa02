"""Peer exchange between real hosts on loopback: lists, strict decoding, discovery (SPEC §9.3)."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from net_harness import LOOPBACK, key, run

from node.net import discovery, streams
from node.net.discovery import PeerAddress, exchange_peers, run_discovery, serve_peers
from node.net.errors import OversizeFrameError, TransferTimeoutError, TruncatedFrameError
from node.net.host import Host, open_host
from node.net.streams import Timeouts
from protocol import cbor, identity
from protocol.errors import (
    InconsistentFieldsError,
    MalformedError,
    MissingFieldError,
    NonCanonicalError,
    OutOfRangeError,
    OversizeError,
    ProtocolError,
    RuleViolationError,
    UnknownFieldError,
    WrongTypeError,
)
from protocol.limits import MAX_PEER_LIST_BYTES, MAX_PEERS_LISTED, MiB

WILDCARD = "/ip4/0.0.0.0/tcp/0"
QUICK = Timeouts(idle_s=0.5, transfer_s=2.0)
JOB = hashlib.sha256(b"discovery job").digest()
BLOB = b"a blob every peer serves"


def transport_addr(host: Host) -> str:
    """The loopback address a test host is dialed at (a wildcard listener included)."""
    port = host.listen_addrs()[0].split("/")[4]
    return f"/ip4/127.0.0.1/tcp/{port}"


def full_addr(host: Host) -> str:
    return f"{transport_addr(host)}/p2p/{host.peer_id}"


def entry(label: str, addrs: list[str] | None = None) -> dict[str, object]:
    peer = identity.peer_id_bytes(identity.public_key_of(key(label)))
    return {"id": peer, "addrs": ["/ip4/10.0.0.1/tcp/4001"] if addrs is None else addrs}


@asynccontextmanager
async def hosts(labels: list[str], listen: list[str] | None = None) -> AsyncIterator[list[Host]]:
    async with AsyncExitStack() as stack:
        opened = []
        for i, label in enumerate(labels):
            address = LOOPBACK if listen is None else listen[i]
            opened.append(await stack.enter_async_context(open_host(key(label), address)))
        yield opened


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition; the test's deadline fails it if it never holds."""
    while not condition():
        await trio.sleep(0.05)


def serve_raw(host: Host, answers: list[bytes | None]) -> list[int]:
    """A hostile peers server: each stream gets the next answer's raw bytes (None: silence).

    Returns the list of the answers given so far, by index, which grows as peers ask."""
    cycle = itertools.cycle(enumerate(answers))
    given: list[int] = []

    async def handle(stream: INetStream) -> None:
        index, answer = next(cycle)
        given.append(index)
        if answer is None:
            await trio.sleep_forever()
        else:
            await stream.write(answer)
            await stream.close()

    host.libp2p.set_stream_handler(TProtocol(discovery.PEERS_PROTOCOL), handle)
    return given


def framed(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


def test_peer_lists_round_trip_and_refuse_bad_contents() -> None:
    good = cbor.encode([entry("x"), entry("y", ["/dns4/node.example/tcp/4001", "/ip6/::1/tcp/9"])])
    [x, y] = discovery.decode_peer_list(good)
    assert x == PeerAddress(identity.peer_id(identity.public_key_of(key("x"))), (x.addrs[0],))
    assert x.full() == [f"/ip4/10.0.0.1/tcp/4001/p2p/{x.peer_id}"]
    assert y.addrs == ("/dns4/node.example/tcp/4001", "/ip6/::1/tcp/9")
    assert discovery.encode_peer_list([x, y]) == good
    assert discovery.decode_peer_list(cbor.encode([])) == []

    sha256_id = ID.from_base58("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").to_bytes()
    cases: list[tuple[object, type[ProtocolError], str]] = [
        ({"id": b""}, WrongTypeError, "peers"),
        ([entry(str(i)) for i in range(MAX_PEERS_LISTED + 1)], OversizeError, "peers"),
        ([[b"id"]], WrongTypeError, "peers[0]"),
        ([{**entry("x"), "port": 1}], UnknownFieldError, "peers[0].port"),
        ([{"id": entry("x")["id"]}], MissingFieldError, "peers[0].addrs"),
        ([{**entry("x"), "id": "12D3KooW"}], WrongTypeError, "peers[0].id"),
        ([{**entry("x"), "id": sha256_id}], MalformedError, "peers[0].id"),
        ([entry("x"), entry("x")], InconsistentFieldsError, "peers[1].id"),
        ([entry("x", [])], OutOfRangeError, "peers[0].addrs"),
        ([entry("x", [f"/ip4/10.0.0.{i}/tcp/1" for i in range(9)])], OversizeError, "peers[0]"),
        ([entry("x", [b"/ip4/10.0.0.1/tcp/1"])], WrongTypeError, "peers[0].addrs[0]"),  # type: ignore[list-item]
        ([entry("x", ["/dns4/" + "a" * 250 + "/tcp/1"])], OversizeError, "peers[0].addrs[0]"),
        ([entry("x", ["not an address"])], MalformedError, "peers[0].addrs[0]"),
        ([entry("x", ["/ip4/10.0.0.1/udp/1"])], MalformedError, "peers[0].addrs[0]"),
        ([entry("x", ["/ip4/10.0.0.1/tcp/1/p2p/" + "12D3KooW"])], MalformedError, "addrs[0]"),
        ([entry("x", ["/ip4/10.0.0.1/tcp/01"])], MalformedError, "peers[0].addrs[0]"),
        ([entry("x", ["/ip4/0.0.0.0/tcp/1"])], OutOfRangeError, "peers[0].addrs[0]"),
        ([entry("x", ["/ip4/10.0.0.1/tcp/0"])], OutOfRangeError, "peers[0].addrs[0]"),
    ]
    for value, error, field in cases:
        with pytest.raises(error) as caught:
            discovery.decode_peer_list(cbor.encode(value))
        assert field in str(caught.value), (value, caught.value)
    with pytest.raises(NonCanonicalError):
        discovery.decode_peer_list(b"\x98\x00")  # an empty array with a one-byte length
    with pytest.raises(OversizeError):
        discovery.decode_peer_list(bytes(MAX_PEER_LIST_BYTES + 1))


def test_servers_list_dialable_tcp_addresses_only() -> None:
    peer = identity.peer_id(identity.public_key_of(key("x")))
    known = [
        f"/ip4/0.0.0.0/tcp/4001/p2p/{peer}",
        "/ip4/192.0.2.7/tcp/4001",  # the wildcard above, rewritten: listed once
        "/ip6/::/tcp/4002",  # wildcard of the other family than the connection's
        "/ip4/127.0.0.1/tcp/4003",
        "/ip4/192.0.2.7/udp/4004/quic-v1",
        "/dns4/node.example/tcp/4005",
        "/ip4/192.0.2.8/tcp/0",
    ]
    seen_from = ipaddress.ip_address("192.0.2.7")
    remote = ("/ip4/192.0.2.7/tcp/4001", "/dns4/node.example/tcp/4005")
    assert discovery.advertised_addrs(known, seen_from, False) == remote
    local = ("/ip4/192.0.2.7/tcp/4001", "/ip4/127.0.0.1/tcp/4003", remote[1])
    assert discovery.advertised_addrs(known, seen_from, True) == local
    assert discovery.advertised_addrs(known, ipaddress.ip_address("::1"), True) == (
        "/ip4/192.0.2.7/tcp/4001",
        "/ip6/::1/tcp/4002",
        "/ip4/127.0.0.1/tcp/4003",
        remote[1],
    )
    assert discovery.advertised_addrs(known[:1], None, True) == ()
    many = [f"/ip4/192.0.2.{i}/tcp/1" for i in range(1, 20)]
    assert discovery.advertised_addrs(many, None, False) == tuple(many[:8])


def test_exchange_lists_the_other_peers_at_their_listen_addresses() -> None:
    async def scenario() -> None:
        # The hub and one spoke listen on the wildcard address: they must be listed at the IP
        # their connection is seen from, with their listen port.
        labels = ["hub", "spoke-0", "spoke-1", "spoke-2"]
        async with hosts(labels, [WILDCARD, LOOPBACK, WILDCARD, LOOPBACK]) as group:
            hub, spokes = group[0], group[1:]
            serve_peers(hub)
            for spoke in spokes:
                await spoke.connect(full_addr(hub))
            expected = {s.peer_id: PeerAddress(s.peer_id, (transport_addr(s),)) for s in spokes}
            asker = spokes[0]

            async def answer() -> dict[str, PeerAddress]:
                return {p.peer_id: p for p in await exchange_peers(asker, hub.peer_id)}

            while len(listed := await answer()) < 2:  # until identify has run on the hub
                await trio.sleep(0.05)
            del expected[asker.peer_id]
            assert listed == expected

    run(scenario)


def test_hostile_answers_are_refused_with_specific_errors() -> None:
    async def scenario() -> None:
        async with hosts(["asker", "liar"]) as (asker, liar):
            await asker.connect(full_addr(liar))
            me = identity.peer_id_bytes(asker.public_key)
            cases: list[tuple[bytes | None, type[Exception]]] = [
                ((MAX_PEER_LIST_BYTES + 1).to_bytes(4, "big"), OversizeFrameError),
                (framed(b"\x98\x00"), NonCanonicalError),
                (framed(cbor.encode([entry(str(i)) for i in range(65)])), OversizeError),
                (framed(cbor.encode([{**entry("x"), "id": b"\x00" * 38}])), MalformedError),
                (framed(cbor.encode([entry("x", ["/ip4/10.0.0.1/tcp/1/tcp/2"])])), MalformedError),
                (framed(cbor.encode([{**entry("x"), "id": me}])), RuleViolationError),
                (framed(cbor.encode([entry("x")]))[:-3], TruncatedFrameError),
                (b"", TruncatedFrameError),
                (None, TransferTimeoutError),
            ]
            given = serve_raw(liar, [answer for answer, _ in cases])
            for index, (_, error) in enumerate(cases):
                with pytest.raises(error):
                    await exchange_peers(asker, liar.peer_id, QUICK)
                assert given == list(range(index + 1))
            assert asker.connected_peers() == [liar.peer_id]

    run(scenario)


def test_four_hosts_in_a_chain_all_connect_and_open_streams() -> None:
    async def scenario() -> None:
        labels = [f"chain-{i}" for i in range(4)]
        async with hosts(labels, [LOOPBACK, WILDCARD, LOOPBACK, WILDCARD]) as group:

            async def lookup(job: bytes, content_hash: bytes) -> bytes | None:
                return BLOB if (job, content_hash) == (JOB, hashlib.sha256(BLOB).digest()) else None

            async with trio.open_nursery() as nursery:
                for i, host in enumerate(group):
                    serve_peers(host)
                    streams.serve_blobs(host, lookup, QUICK)
                    bootstrap = [full_addr(group[i - 1])] if i else []
                    nursery.start_soon(_discover, host, bootstrap)
                await until(lambda: all(len(h.connected_peers()) == 3 for h in group))
                for a, b in itertools.permutations(group, 2):
                    content = hashlib.sha256(BLOB).digest()
                    blob = await streams.fetch_blob(a, b.peer_id, JOB, content, MiB, QUICK)
                    assert blob == BLOB
                nursery.cancel_scope.cancel()

    run(scenario)


def test_discovery_skips_a_lying_peer_and_still_connects_the_honest_ones() -> None:
    async def scenario() -> None:
        labels = ["honest-hub", "liar", "honest-0", "honest-1", "honest-2"]
        async with hosts(labels) as group:
            hub, liar, honest = group[0], group[1], group[2:]
            me = [identity.peer_id_bytes(h.public_key) for h in honest]
            given = serve_raw(
                liar,
                [
                    (1 << 31).to_bytes(4, "big"),
                    framed(b"\x98\x00"),
                    framed(cbor.encode([entry(str(i)) for i in range(65)])),
                    framed(cbor.encode([{**entry("x"), "id": bytes(38)}])),
                    framed(cbor.encode([entry("x", ["/ip4/10.0.0.1/udp/1"])])),
                    framed(cbor.encode([{**entry("x"), "id": me[0]}])),
                    b"",
                    None,
                ],
            )
            await liar.connect(full_addr(hub))
            async with trio.open_nursery() as nursery:
                serve_peers(hub)
                nursery.start_soon(_discover, hub, [])
                for host in honest:
                    serve_peers(host)
                    nursery.start_soon(_discover, host, [full_addr(liar), full_addr(hub)])
                everyone = {h.peer_id for h in group}

                def all_connected() -> bool:
                    return all(set(h.connected_peers()) == everyone - {h.peer_id} for h in honest)

                await until(all_connected)
                # Every kind of garbage has been answered, twice over, and the rounds went on.
                await until(lambda: len(given) >= 16)
                assert all_connected()
                nursery.cancel_scope.cancel()

    run(scenario)


def test_discovery_stops_at_its_connection_budget_and_never_dials_itself() -> None:
    async def scenario() -> None:
        labels = [f"budget-{i}" for i in range(5)]
        async with hosts(labels) as group:
            hub, newcomer, others = group[0], group[1], group[2:]
            serve_peers(hub)
            for host in others:
                await host.connect(full_addr(hub))
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_discover, newcomer, [full_addr(hub), full_addr(newcomer)], 3)
                await until(lambda: len(newcomer.connected_peers()) >= 3)
                await trio.sleep(0.5)
                assert len(newcomer.connected_peers()) == 3
                assert newcomer.peer_id not in newcomer.connected_peers()
                nursery.cancel_scope.cancel()

    run(scenario)


async def _discover(host: Host, bootstrap: list[str], max_connections: int = 64) -> None:
    await run_discovery(host, bootstrap, interval_s=0.1, max_connections=max_connections)


def test_discovery_redials_a_lost_bootstrap_peer() -> None:
    async def scenario() -> None:
        async with hosts(["rejoiner", "bootstrap"]) as (rejoiner, bootstrap):
            serve_peers(bootstrap)
            async with trio.open_nursery() as nursery:
                bootstrap_addrs = ["/ip4/not-an-address", full_addr(bootstrap)]
                nursery.start_soon(_discover, rejoiner, bootstrap_addrs)
                await until(lambda: rejoiner.connected_peers() == [bootstrap.peer_id])
                connection = rejoiner.libp2p.get_network().get_connections()[0]
                await rejoiner.libp2p.disconnect(ID.from_base58(bootstrap.peer_id))
                await until(lambda: rejoiner.connected_peers() == [bootstrap.peer_id])
                assert rejoiner.libp2p.get_network().get_connections()[0] is not connection
                nursery.cancel_scope.cancel()

    run(scenario)
