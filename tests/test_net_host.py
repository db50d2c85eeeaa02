"""The node's libp2p host on loopback: identity binding, addresses, dialing, Noise only."""

from __future__ import annotations

import multiaddr
import pytest
import trio
from libp2p import new_host
from libp2p.custom_types import TProtocol
from libp2p.network.exceptions import SwarmDialAllFailedError
from libp2p.peer.peerinfo import info_from_p2p_addr
from libp2p.security.insecure.transport import PLAINTEXT_PROTOCOL_ID, InsecureTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux
from net_harness import LOOPBACK, key, run

from node.net.errors import DialError
from node.net.host import key_pair_of, open_host
from protocol import identity


def test_host_identity_is_the_protocol_key() -> None:
    async def scenario() -> None:
        signer = key("identity")
        async with open_host(signer, LOOPBACK) as host:
            public_key = identity.public_key_of(signer)
            assert host.peer_id == identity.peer_id(public_key)
            assert host.libp2p.get_id().to_bytes() == identity.peer_id_bytes(public_key)
            (address,) = host.listen_addrs()
            assert address.startswith("/ip4/127.0.0.1/tcp/")
            assert address.endswith(f"/p2p/{host.peer_id}")
            assert int(address.split("/")[4]) > 0

    run(scenario)


def test_connect_errors_name_the_address() -> None:
    async def scenario() -> None:
        async with open_host(key("dialer"), LOOPBACK) as host:
            with pytest.raises(DialError, match="not a full peer address"):
                await host.connect("/ip4/127.0.0.1/tcp/4001")
            absent = identity.peer_id(identity.public_key_of(key("absent")))
            with pytest.raises(DialError, match="tcp/9/p2p"):
                await host.connect(f"/ip4/127.0.0.1/tcp/9/p2p/{absent}", timeout_s=2.0)
            with pytest.raises(DialError, match="no bootstrap peer reached"):
                await host.connect_all([f"/ip4/127.0.0.1/tcp/9/p2p/{absent}"], timeout_s=2.0)

    run(scenario)


def test_a_dialer_without_noise_cannot_connect() -> None:
    async def scenario() -> None:
        async with open_host(key("noise only"), LOOPBACK) as host:
            pair = key_pair_of(key("plaintext dialer"))
            plaintext = new_host(
                key_pair=pair,
                sec_opt={TProtocol(PLAINTEXT_PROTOCOL_ID): InsecureTransport(pair)},
                muxer_opt={TProtocol(YAMUX_PROTOCOL_ID): Yamux},
                listen_addrs=[multiaddr.Multiaddr(LOOPBACK)],
            )
            target = info_from_p2p_addr(multiaddr.Multiaddr(host.listen_addrs()[0]))
            async with plaintext.run(listen_addrs=[multiaddr.Multiaddr(LOOPBACK)]):
                with trio.fail_after(10.0), pytest.raises(SwarmDialAllFailedError):
                    await plaintext.connect(target)  # the security negotiation fails
                assert host.connected_peers() == []

    run(scenario)


def test_a_dial_reaches_only_the_peer_id_it_names() -> None:
    async def scenario() -> None:
        async with (
            open_host(key("dialer"), LOOPBACK) as dialer,
            open_host(key("listener"), LOOPBACK) as listener,
        ):
            transport_address = listener.listen_addrs()[0].rsplit("/p2p/", 1)[0]
            impostor = identity.peer_id(identity.public_key_of(key("impostor")))
            with pytest.raises(DialError, match=impostor):  # Noise checks the remote key
                await dialer.connect(f"{transport_address}/p2p/{impostor}", timeout_s=5.0)
            assert dialer.connected_peers() == []
            assert await dialer.connect(listener.listen_addrs()[0]) == listener.peer_id

    run(scenario)
