"""The node's libp2p host: its Ed25519 identity, TCP, Noise and yamux (SPEC.md §4.1–§4.2).

* The host key is the node's protocol key (`protocol.identity`), so the peer id a stream comes
  from is ``identity.peer_id`` of the key that signs the node's messages, and a receiver can bind
  one to the other (§4.2).
* Noise is the only security protocol offered: py-libp2p's defaults also offer plaintext and
  SECIO, and a dialer that picked either would talk to us unauthenticated or over a broken cipher.
* yamux is the only muxer: it has flow control (a writer waits for the reader's window, which is
  the back-pressure of large blobs) and is 3–4 times faster than mplex in py-libp2p.
* ``max_connections_per_peer=1``: with py-libp2p's default of 3 every connect waits ~250 ms for
  extra connections that the node never uses.
* The host runs inside the caller's trio nursery, as an async context manager: leaving the block
  closes every connection and listener, whatever happened inside it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost
from libp2p.crypto.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.network.config import ConnectionConfig
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo, info_from_p2p_addr
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID
from libp2p.stream_muxer.yamux.yamux import Yamux
from nacl.signing import SigningKey

from node.net.errors import DialError
from protocol import identity

logger = logging.getLogger(__name__)

DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/0"
CONNECT_TIMEOUT_S = 10.0


class Host:
    """A running libp2p host bound to the node's key; made by `open_host`."""

    def __init__(self, key: SigningKey, libp2p_host: IHost) -> None:
        self._key = key
        self.libp2p = libp2p_host

    @property
    def public_key(self) -> bytes:
        """The node's Ed25519 public key (the ``from`` of its messages)."""
        return identity.public_key_of(self._key)

    @property
    def peer_id(self) -> str:
        """The node's peer id text, ``12D3KooW…``: ``identity.peer_id`` of its key."""
        return identity.peer_id(self.public_key)

    def listen_addrs(self) -> list[str]:
        """Full addresses ``/ip4/…/tcp/…/p2p/<peer id>``: what other operators bootstrap from."""
        return [str(addr) for addr in self.libp2p.get_addrs()]

    def connected_peers(self) -> list[str]:
        """Peer ids of the peers this host holds a connection to."""
        return [peer.to_base58() for peer in self.libp2p.get_connected_peers()]

    async def connect(self, address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str:
        """Connect to a peer at a full address (with ``/p2p/<peer id>``); returns its peer id.

        Raises `DialError` naming the address if it does not parse or the peer is not reached,
        Noise-authenticated and muxed within ``timeout_s``.
        """
        info = parse_peer_address(address)
        await self._dial(info, address, timeout_s)
        return info.peer_id.to_base58()

    async def connect_peer(
        self, peer_id: str, addrs: Sequence[str], timeout_s: float = CONNECT_TIMEOUT_S
    ) -> None:
        """Connect to ``peer_id`` at any of its transport addresses (``/ip4/…/tcp/…``).

        All of them go to libp2p in one dial: after a dial fails, libp2p refuses to dial that
        peer again for a minute, so trying them one by one would only ever try the first.
        Raises `DialError` as `connect` does.
        """
        try:
            info = PeerInfo(ID.from_base58(peer_id), [multiaddr.Multiaddr(a) for a in addrs])
        except Exception as error:
            raise DialError(f"{peer_id} at {list(addrs)}: not a peer address ({error})") from None
        await self._dial(info, f"{peer_id} at {', '.join(addrs)}", timeout_s)

    async def _dial(self, info: PeerInfo, label: str, timeout_s: float) -> None:
        try:
            with trio.fail_after(timeout_s):
                await self.libp2p.connect(info)
        except trio.TooSlowError:
            raise DialError(f"{label}: no connection within {timeout_s:g} s") from None
        except Exception as error:
            raise DialError(f"{label}: {type(error).__name__}: {error}") from error

    async def connect_all(
        self, addresses: Sequence[str], timeout_s: float = CONNECT_TIMEOUT_S
    ) -> list[str]:
        """Dial every bootstrap address concurrently; returns the peer ids reached.

        Raises `DialError` only if none was reached (a node with one live bootstrap peer joins
        the network); the unreachable ones are logged.
        """
        reached: list[str] = []
        failures: list[str] = []

        async def dial(address: str) -> None:
            try:
                reached.append(await self.connect(address, timeout_s))
            except DialError as error:
                logger.warning("bootstrap peer not reached: %s", error)
                failures.append(str(error))

        async with trio.open_nursery() as nursery:
            for address in addresses:
                nursery.start_soon(dial, address)
        if addresses and not reached:
            raise DialError("no bootstrap peer reached: " + "; ".join(failures))
        return reached


def parse_peer_address(address: str) -> PeerInfo:
    """A peer's id and dial address from ``/ip4/…/tcp/…/p2p/<peer id>``; `DialError` if not."""
    try:
        info = info_from_p2p_addr(multiaddr.Multiaddr(address))
    except Exception as error:
        raise DialError(
            f"{address!r} is not a full peer address such as /ip4/1.2.3.4/tcp/4001/p2p/12D3KooW…"
            f" ({error})"
        ) from None
    return info


def key_pair_of(key: SigningKey) -> KeyPair:
    """The node's key as a libp2p key pair (the same Ed25519 key, not a derived one)."""
    return KeyPair(Ed25519PrivateKey(key), Ed25519PublicKey(key.verify_key))


def peer_id_of(key: SigningKey) -> ID:
    """libp2p's peer id of the node's key (equal to ``identity.peer_id`` of its public key)."""
    return ID.from_pubkey(key_pair_of(key).public_key)


def build_host(key: SigningKey, listen: str = DEFAULT_LISTEN) -> IHost:
    """A libp2p host on TCP with Noise only and yamux only, not yet running."""
    key_pair = key_pair_of(key)
    noise = NoiseTransport(key_pair, noise_privkey=new_x25519_key_pair().private_key)
    return new_host(
        key_pair=key_pair,
        sec_opt={NOISE_PROTOCOL_ID: noise},
        muxer_opt={TProtocol(YAMUX_PROTOCOL_ID): Yamux},
        listen_addrs=[multiaddr.Multiaddr(listen)],
        connection_config=ConnectionConfig(
            max_connections_per_peer=1, dial_timeout=CONNECT_TIMEOUT_S
        ),
    )


@asynccontextmanager
async def open_host(key: SigningKey, listen: str = DEFAULT_LISTEN) -> AsyncIterator[Host]:
    """Run a host listening on ``listen`` (port 0 picks a free port) for the block's duration.

    Open the gossip (`node.net.gossip.open_gossip`) before connecting to any peer: pubsub only
    learns of connections made after it started.
    """
    try:
        address = multiaddr.Multiaddr(listen)
    except Exception as error:
        example = "/ip4/0.0.0.0/tcp/4001"
        raise DialError(f"{listen!r} is not a listen address such as {example}") from error
    libp2p_host = build_host(key, str(address))
    async with libp2p_host.run(listen_addrs=[address]):
        yield Host(key, libp2p_host)
