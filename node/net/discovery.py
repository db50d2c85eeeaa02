"""Peer exchange: how a node learns the addresses of the peers it opens direct streams to (§9.3).

Gossip reaches every node through the mesh, but a fold delivery or a blob fetch goes on a
direct stream, and py-libp2p opens a stream only to a peer whose address it knows: in practice
one it is connected to. A node joins through one or a few bootstrap peers, so it must learn the
others' addresses. `run_discovery` asks each connected peer for the peers it is connected to
(`/novanode/1/peers`) and dials those it is not connected to, up to a connection budget.

What a server lists, and why (measured with py-libp2p 0.8.1 on loopback):

* A host listening on ``/ip4/0.0.0.0/tcp/P`` reports ``/ip4/0.0.0.0/tcp/P`` in
  ``get_addrs()``: py-libp2p does not expand the wildcard into interface addresses. Identify
  sends that list, so the peerstore holds a connected peer's *listen* addresses (the right port,
  unlike an inbound connection's ephemeral remote port), wildcard included. The server lists
  those, with a wildcard host replaced by the IP it sees the peer's connection come from — the
  address the peer is reachable at from the server, with the port it listens on. A wildcard
  address itself is never listed: dialing ``/ip4/0.0.0.0/tcp/P`` reaches port P of the *dialing*
  machine (it works on loopback, which is why tests must not rely on it).
* A loopback address is useful only to a node on the same machine: it is listed only to an
  asker that itself connected over loopback.
* Identify runs in the background after a connection opens, on both sides; a peer whose listen
  addresses are not known yet is left out of this answer and appears in a later one.
* py-libp2p's own auto-connector redials only peerstore peers with public addresses, and learns
  no new peers: it does not replace this exchange.

What a client accepts: the frame's length is checked against 64 KiB before its body is read,
the body is decoded strictly (exact keys and types, bounded counts, each address a canonical
``/ip4|ip6|dns|dns4|dns6/…/tcp/…`` multiaddr of at most 256 bytes, no wildcard host or port 0,
each peer id an Ed25519 identity multihash listed once, neither the asker nor the server). A bad
frame is a `StreamTransferError`, bad contents a `ProtocolError` naming the field; either way
`run_discovery` logs the peer and goes on with the others.

A listed peer is dialed with the peer id the list names, and Noise checks that id during the
handshake: a lying server can waste a bounded number of dials, but cannot make a node take one
peer for another. py-libp2p itself refuses to redial a peer whose every address failed for 60 s,
which bounds the dials a dead or invented peer costs.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import multiaddr
import trio
from libp2p.abc import INetStream
from libp2p.peer.id import ID
from libp2p.peer.peerstore import PeerStoreError

from node.net import streams
from node.net.errors import DialError, NetError
from node.net.host import Host, parse_peer_address
from node.net.streams import Timeouts
from protocol import cbor, identity, transport
from protocol.errors import (
    InconsistentFieldsError,
    MalformedError,
    MissingFieldError,
    OutOfRangeError,
    OversizeError,
    ProtocolError,
    RuleViolationError,
    UnknownFieldError,
    WrongTypeError,
)
from protocol.limits import (
    MAX_ADDR_BYTES,
    MAX_ADDRS_PER_PEER,
    MAX_PEER_LIST_BYTES,
    MAX_PEERS_LISTED,
)

logger = logging.getLogger(__name__)

PEERS_PROTOCOL: Final = transport.PEERS_PROTOCOL
EXCHANGE_TIMEOUTS: Final = Timeouts(idle_s=5.0, transfer_s=10.0)
DIAL_TIMEOUT_S: Final = 5.0
MAX_CONCURRENT_DIALS: Final = 8

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_HOST_PROTOCOLS: Final = frozenset({"ip4", "ip6", "dns", "dns4", "dns6"})
_ENTRY_KEYS: Final = frozenset({"id", "addrs"})


@dataclass(frozen=True)
class PeerAddress:
    """A peer id and the TCP addresses (without ``/p2p``) it can be dialed at."""

    peer_id: str
    addrs: tuple[str, ...]

    def full(self) -> list[str]:
        """Full addresses ``/…/tcp/…/p2p/<peer id>``, as `Host.connect` takes them."""
        return [f"{addr}/p2p/{self.peer_id}" for addr in self.addrs]


def encode_peer_list(peers: Sequence[PeerAddress]) -> bytes:
    """The canonical CBOR array a server answers with (the entries must already be valid)."""
    return cbor.encode(
        [
            {"id": ID.from_base58(peer.peer_id).to_bytes(), "addrs": list(peer.addrs)}
            for peer in peers
        ]
    )


def decode_peer_list(data: bytes) -> list[PeerAddress]:
    """Strictly decode a peer list; raises a `ProtocolError` naming the offending field."""
    value = cbor.decode(data, MAX_PEER_LIST_BYTES)
    if type(value) is not list:
        raise WrongTypeError("peers", f"a peer list is an array, not {type(value).__name__}")
    if len(value) > MAX_PEERS_LISTED:
        raise OversizeError("peers", f"{len(value)} entries exceed the limit of {MAX_PEERS_LISTED}")
    peers: list[PeerAddress] = []
    seen: set[str] = set()
    for i, entry in enumerate(value):
        peer = _decode_entry(entry, f"peers[{i}]")
        if peer.peer_id in seen:
            raise InconsistentFieldsError(f"peers[{i}].id", f"{peer.peer_id} listed twice")
        seen.add(peer.peer_id)
        peers.append(peer)
    return peers


def check_address(text: object, field: str) -> str:
    """A dialable transport address: ``/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>``, canonical."""
    if type(text) is not str:
        raise WrongTypeError(field, f"an address is a text string, not {type(text).__name__}")
    if len(text.encode()) > MAX_ADDR_BYTES:
        raise OversizeError(field, f"an address is at most {MAX_ADDR_BYTES} bytes")
    try:
        address = multiaddr.Multiaddr(text)
        names = [protocol.name for protocol in address.protocols()]
    except Exception as error:
        raise MalformedError(field, f"{text!r} is not a multiaddr ({error})") from None
    if len(names) != 2 or names[0] not in _HOST_PROTOCOLS or names[1] != "tcp":
        raise MalformedError(field, f"{text!r} is not /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>")
    if str(address) != text:
        raise MalformedError(field, f"{text!r} is not written canonically ({address})")
    host = address.value_for_protocol(names[0])
    if names[0] in ("ip4", "ip6") and ipaddress.ip_address(host).is_unspecified:
        raise OutOfRangeError(field, f"{text!r} names no host (a wildcard address)")
    if int(address.value_for_protocol("tcp")) == 0:
        raise OutOfRangeError(field, f"{text!r} has port 0")
    return text


def _decode_entry(entry: object, path: str) -> PeerAddress:
    if type(entry) is not dict:
        raise WrongTypeError(path, f"a peer entry is a map, not {type(entry).__name__}")
    for key in entry:
        if key not in _ENTRY_KEYS:
            raise UnknownFieldError(f"{path}.{key}", "a peer entry has only id and addrs")
    missing = sorted(_ENTRY_KEYS - entry.keys())
    if missing:
        raise MissingFieldError(f"{path}.{missing[0]}", "a peer entry has both id and addrs")
    raw_id, addrs = entry["id"], entry["addrs"]
    if type(raw_id) is not bytes:
        raise WrongTypeError(f"{path}.id", "a peer id is a byte string")
    try:
        peer_id = identity.peer_id_from_bytes(raw_id)
    except ProtocolError:
        raise MalformedError(f"{path}.id", "not an Ed25519 identity multihash") from None
    if type(addrs) is not list:
        raise WrongTypeError(f"{path}.addrs", "addresses are an array")
    if not addrs:
        raise OutOfRangeError(f"{path}.addrs", "a listed peer has at least one address")
    if len(addrs) > MAX_ADDRS_PER_PEER:
        raise OversizeError(f"{path}.addrs", f"at most {MAX_ADDRS_PER_PEER} addresses per peer")
    checked = tuple(check_address(addr, f"{path}.addrs[{j}]") for j, addr in enumerate(addrs))
    return PeerAddress(peer_id, checked)


def listed_peers(host: Host, asker: str) -> list[PeerAddress]:
    """What this host tells ``asker``: its other connected peers at their listen addresses."""
    local_asker = _connected_over_loopback(host, asker)
    listed: list[PeerAddress] = []
    for peer in host.libp2p.get_connected_peers():
        text = peer.to_base58()
        if text in (asker, host.peer_id):
            continue
        addrs = _dialable_addrs(host, peer, local_asker)
        if addrs:
            listed.append(PeerAddress(text, addrs))
        if len(listed) == MAX_PEERS_LISTED:
            break
    return listed


def serve_peers(
    host: Host,
    timeouts: Timeouts = EXCHANGE_TIMEOUTS,
    on_refused: streams.RefusalHook | None = None,
) -> None:
    """Answer `PEERS_PROTOCOL` streams with `listed_peers` for the asking peer; ``on_refused``
    is told of each stream that failed (see `streams.set_handler`)."""

    async def handle(stream: INetStream) -> None:
        asker = streams.remote_peer(stream).to_base58()
        peers = listed_peers(host, asker)
        answer = encode_peer_list(peers)
        while len(answer) > MAX_PEER_LIST_BYTES:  # only with very long addresses
            peers.pop()
            answer = encode_peer_list(peers)
        with streams.transfer_deadline(timeouts):
            await streams.write_message_frame(stream, answer, timeouts.idle_s)
        await stream.close()

    streams.set_handler(host, PEERS_PROTOCOL, handle, on_refused=on_refused)


async def exchange_peers(
    host: Host, peer: str, timeouts: Timeouts = EXCHANGE_TIMEOUTS
) -> list[PeerAddress]:
    """Ask ``peer`` for the peers it is connected to.

    Raises a `StreamTransferError` if the answer's frame is oversize, truncated or late, and a
    `ProtocolError` naming the field if its contents are not a valid peer list, list this host
    or list ``peer`` itself.
    """
    stream = await streams.open_stream(host, peer, PEERS_PROTOCOL, timeouts)
    async with streams.resetting_on_failure(stream):
        with streams.transfer_deadline(timeouts):
            frame = await streams.read_message_frame(stream, timeouts.idle_s, MAX_PEER_LIST_BYTES)
        peers = decode_peer_list(frame)
        for i, entry in enumerate(peers):
            if entry.peer_id in (host.peer_id, peer):
                whom = "the asking node" if entry.peer_id == host.peer_id else "the server itself"
                raise RuleViolationError(f"peers[{i}].id", f"a peer list must not name {whom}")
        await stream.close()
    return peers


async def run_discovery(
    host: Host,
    bootstrap: Sequence[str] = (),
    *,
    interval_s: float = 5.0,
    max_connections: int = 64,
) -> None:
    """Keep this host connected to the network until cancelled; never raises on a peer's fault.

    Every ``interval_s``: dial the ``bootstrap`` addresses whose peer is not connected, ask every
    connected peer for its peers (concurrently, each bounded by `EXCHANGE_TIMEOUTS`), and dial
    the peers learned that this host is not connected to, while it holds fewer than
    ``max_connections``. Failures are logged and the round goes on.
    """
    targets: dict[str, str] = {}
    for address in bootstrap:
        try:
            targets[address] = parse_peer_address(address).peer_id.to_base58()
        except DialError as error:
            logger.warning("bootstrap address ignored: %s", error)
    while True:
        await _round(host, targets, max_connections)
        await trio.sleep(interval_s)


async def _round(host: Host, bootstrap: dict[str, str], max_connections: int) -> None:
    """One round of `run_discovery`. Each answer's new peers are dialed as soon as it arrives,
    so a peer that answers slowly (or never) delays no other peer's answer."""
    await _dial_bootstrap(host, bootstrap)
    dialing: set[str] = set()
    limiter = trio.CapacityLimiter(MAX_CONCURRENT_DIALS)

    async def dial(entry: PeerAddress) -> None:
        try:
            async with limiter:
                await host.connect_peer(entry.peer_id, entry.addrs, DIAL_TIMEOUT_S)
        except DialError as error:
            logger.info("learned peer not reached: %s", error)
        finally:
            dialing.discard(entry.peer_id)

    async def ask(peer: str, nursery: trio.Nursery) -> None:
        try:
            learned = await exchange_peers(host, peer)
        except (NetError, ProtocolError) as error:
            logger.info("peer list from %s refused: %s", peer, error)
            return
        connected = set(host.connected_peers())
        for entry in learned:
            if len(connected) + len(dialing) >= max_connections:
                return
            if entry.peer_id in connected or entry.peer_id in dialing:
                continue
            dialing.add(entry.peer_id)
            nursery.start_soon(dial, entry)

    async with trio.open_nursery() as nursery:
        for peer in host.connected_peers():
            nursery.start_soon(ask, peer, nursery)


async def _dial_bootstrap(host: Host, bootstrap: dict[str, str]) -> None:
    """Dial each bootstrap address (address → peer id) whose peer is not connected."""
    connected = set(host.connected_peers())

    async def dial(address: str) -> None:
        try:
            await host.connect(address, DIAL_TIMEOUT_S)
        except DialError as error:
            logger.warning("bootstrap peer not reached: %s", error)

    async with trio.open_nursery() as nursery:
        for address, peer in bootstrap.items():
            if peer not in connected and peer != host.peer_id:
                nursery.start_soon(dial, address)


def _dialable_addrs(host: Host, peer: ID, local_asker: bool) -> tuple[str, ...]:
    try:
        known = host.libp2p.get_peerstore().addrs(peer)
    except PeerStoreError:  # not identified yet
        return ()
    return advertised_addrs([str(addr) for addr in known], _remote_ip(host, peer), local_asker)


def advertised_addrs(
    known: Sequence[str], seen_from: IPAddress | None, to_local_asker: bool
) -> tuple[str, ...]:
    """A peer's known addresses as a server lists them (at most `MAX_ADDRS_PER_PEER`).

    ``/p2p`` suffixes are dropped, anything but a TCP address skipped, a wildcard host replaced
    by ``seen_from`` (the IP of the server's connection to that peer; skipped without one of the
    same family), loopback addresses kept only ``to_local_asker``, and duplicates dropped.
    """
    listed: list[str] = []
    for address in known:
        text = address.split("/p2p/", 1)[0]
        try:
            check_address(text, "addr")
        except OutOfRangeError:
            text = _with_host(text, seen_from)
        except ProtocolError:
            continue
        if not text or text in listed or (_is_loopback(text) and not to_local_asker):
            continue
        listed.append(text)
        if len(listed) == MAX_ADDRS_PER_PEER:
            break
    return tuple(listed)


def _with_host(text: str, ip: IPAddress | None) -> str:
    """A wildcard listen address rewritten to ``ip``, or "" if that does not make it dialable."""
    if ip is None:
        return ""
    parts = text.split("/")  # ["", "ip4", "0.0.0.0", "tcp", port]
    if parts[1] != f"ip{ip.version}":
        return ""
    rewritten = f"/ip{ip.version}/{ip}/tcp/{parts[4]}"
    try:
        return check_address(rewritten, "addr")
    except ProtocolError:
        return ""


def _remote_ip(host: Host, peer: ID) -> IPAddress | None:
    """The IP this host's connection to ``peer`` comes from or goes to."""
    for connection in host.libp2p.get_network().get_connections(peer):
        for address in connection.get_transport_addresses():
            for name in ("ip4", "ip6"):
                try:
                    return ipaddress.ip_address(address.value_for_protocol(name))
                except Exception:
                    continue
    return None


def _connected_over_loopback(host: Host, peer: str) -> bool:
    ip = _remote_ip(host, ID.from_base58(peer))
    return ip is not None and ip.is_loopback


def _is_loopback(text: str) -> bool:
    parts = text.split("/")
    return parts[1] in ("ip4", "ip6") and ipaddress.ip_address(parts[2]).is_loopback
