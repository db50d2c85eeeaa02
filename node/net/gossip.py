"""Gossip: the announce topic and the per-job topics over GossipSub (SPEC.md §4.2, §8.1, §9.3).

Choices, each against a py-libp2p 0.8 default:

* Heartbeat every second (the default is 120 s): the mesh forms and repairs at go-libp2p's pace.
* Spam limit of `GossipConfig.messages_per_topic_per_second` per forwarding peer and topic (the
  default is 10): a peer relays everyone's claims and heartbeats, and the default would drop a
  job's start-up burst, our own publishes included, with nothing but a log line.
* Strict signing (the gossipsub message is signed by its source's host key) and a topic
  validator on every joined topic running §8.1 steps 1–3, plus the caller's step 4: strict
  decoding (size, canonical CBOR, schema, version), the message type belonging to the topic (and
  a job topic's messages naming that job), the Ed25519 signature, the binding of the signer to
  the gossip source's peer id (§4.2), then replay protection (§4.3). A message failing any of
  them is neither delivered nor forwarded. Validators are synchronous (Ed25519 costs ~50 µs):
  py-libp2p times async ones out at 5 s, and a synchronous one runs without a checkpoint between
  the seen-message check and the replay guard, so one message is never judged twice at once.
* The validation-result cache is off (TTL 0): a cached "valid" outlives the 120 s seen-message
  cache, and would let the same gossip message be delivered again without meeting the replay
  guard.
* Every message published is first encoded by `protocol.messages`, which refuses anything over
  768 KiB: gossipsub drops an RPC over 1 MiB without an error.
* A publish waits (at most `GossipConfig.outbound_wait_s`) until every peer's outbound queue
  is at most half full: py-libp2p drops RPCs beyond 32 queued for a peer, and a loop of
  publishes that never yields would fill it. (Relayed bursts can still overflow the queue of a
  slow peer: a py-libp2p limit that only its own back-pressure would remove.)
* Each joined topic has its own task moving messages out of py-libp2p's 32-message subscription
  queue (which drops on overflow) into a larger channel, so a slow consumer does not lose
  messages to a short burst.
* The Pubsub and GossipSub services run, and `open_gossip` waits until they are ready, before it
  returns: while a Pubsub object exists but does not run, ``host.connect`` hangs forever.
* Peer scoring (SPEC §8.4), given `GossipConfig.score` (`node.scoring.PeerScores.app_score`):
  py-libp2p's score is then that application score alone (its weight 1, every other term's 0:
  time in mesh, deliveries, invalid messages, behaviour penalties and IP colocation, which would
  otherwise count every loopback or NAT-shared peer against each other), with the thresholds of
  `node.scoring`. py-libp2p 0.8.1 applies them unevenly, so the graylist is enforced here too:

  - graylist: py-libp2p sends a graylisted peer none of the messages it publishes or forwards
    and answers its GRAFT with PRUNE, but still accepts the messages the peer forwards (and
    still sends it IHAVE gossip); so the topic validator here ignores every message forwarded
    by a peer whose score is below `GRAYLIST_THRESHOLD` (counted in ``Gossip.ignored``). A copy
    of the same message from another forwarder is still accepted.
  - accept-PX: enforced by py-libp2p (the full score is compared).
  - publish and gossip thresholds: py-libp2p compares them, for a one-topic message (all of
    ours), with the topic score plus behaviour penalties only, leaving the application score
    out; so they do not act on our scores in 0.8.1. They are set all the same (below 0, so
    the neutral terms pass) for when py-libp2p compares the full score. Mesh pruning and
    opportunistic grafting rank peers by the full score, so low scorers leave meshes first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import PROTOCOL_ID, PROTOCOL_ID_V11, PROTOCOL_ID_V12, GossipSub
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.pubsub.score import ScoreParams
from libp2p.tools.anyio_service import background_trio_service

from node.net.errors import GossipError
from node.net.host import Host
from node.scoring import (
    ACCEPT_PX_THRESHOLD,
    GOSSIP_THRESHOLD,
    GRAYLIST_THRESHOLD,
    PUBLISH_THRESHOLD,
)
from protocol import identity, messages, signing, transport
from protocol.errors import ProtocolError, RuleViolationError
from protocol.messages import SignedMessage
from protocol.replay import ReplayGuard
from protocol.transport import Channel

logger = logging.getLogger(__name__)

MessageCheck = Callable[[SignedMessage], None]
"""The caller's §8.1 step 4 for a topic (job known, sender's role); raises `ProtocolError`."""

ScoreFunction = Callable[[ID], float]
"""A peer's application score (`node.scoring.PeerScores.app_score`); gossipsub's whole score."""

Clock = Callable[[], int]
"""Milliseconds since the Unix epoch: the time replay protection judges expiry by."""

RefusalHook = Callable[[str], None]
"""Told the class (one of `REFUSAL_REASONS`) of every gossip message the validators refuse, so
the node can count them without this module knowing its metrics."""

REFUSAL_REASONS = ("graylist", "decode", "topic", "signature", "source", "replay", "rule", "error")
"""Why a validator refused a message, by the first check of §8.1 it failed: forwarded by a
graylisted peer; not a valid encoded message (size, CBOR, schema, version, type); a type or job
that does not belong on the topic; a bad signature; signed by a key other than the gossip
source's; replayed or expired; the caller's step 4 (job, sender's role, a job announcement's
consistency); an unexpected error in a check."""


def wall_clock_ms() -> int:
    """The system clock in milliseconds, as message expiries are written."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class GossipConfig:
    """GossipSub parameters: go-libp2p's mesh degrees, a 1 s heartbeat and room for bursts."""

    heartbeat_s: int = 1
    degree: int = 6
    degree_low: int = 4
    degree_high: int = 12
    messages_per_topic_per_second: float = 500.0
    delivery_buffer: int = 1024
    outbound_wait_s: float = 1.0
    score: ScoreFunction | None = None
    """Peer scores to enforce (see the module docstring); None leaves scoring off."""
    on_refused: RefusalHook | None = None
    """Told the reason of each refused message (`REFUSAL_REASONS`); None: only counted here."""


OUTBOUND_HIGH_WATER = 16
OUTBOUND_POLL_S = 0.001


class Gossip:
    """Joined topics, validated delivery and checked publishing; made by `open_gossip`.

    ``replay`` is the node's replay guard: sequence numbers are per sender across every message
    type (SPEC §4.3), so the checks of direct-stream messages should use this same guard.
    ``rejected`` counts the gossip messages the validators refused, ``ignored`` those dropped
    unread because the peer forwarding them is graylisted; `GossipConfig.on_refused` is told
    the reason of each of both.
    """

    def __init__(
        self,
        host: Host,
        pubsub: Pubsub,
        router: GossipSub,
        nursery: trio.Nursery,
        config: GossipConfig,
        clock: Clock,
    ) -> None:
        self._host = host
        self.pubsub = pubsub
        self.router = router
        self._nursery = nursery
        self._config = config
        self._clock = clock
        self.replay = ReplayGuard()
        self.rejected = 0
        self.ignored = 0

    async def join(
        self, topic: str, check: MessageCheck | None = None
    ) -> trio.MemoryReceiveChannel[SignedMessage]:
        """Subscribe to ``topic``; returns a channel of its messages that passed validation.

        ``check`` is the caller's step 4 of §8.1 for this topic, run after the signature and
        replay checks and before the replay guard records the message.
        """
        if topic in self.pubsub.topic_ids:
            raise GossipError(f"already joined {topic}")
        validate = self._validator(topic, check)
        self.pubsub.set_topic_validator(topic, validate, False)
        subscription = await self.pubsub.subscribe(topic)
        send, receive = trio.open_memory_channel[SignedMessage](self._config.delivery_buffer)

        async def drain() -> None:
            async with send:
                async for raw in subscription:
                    # Validated on arrival: decoding again cannot fail, the signature is checked.
                    message = messages.decode(raw.data)
                    try:
                        send.send_nowait(message)
                    except trio.WouldBlock:
                        logger.warning("%s: consumer too slow, message dropped", topic)
                    except trio.BrokenResourceError:
                        return

        self._nursery.start_soon(drain)
        return receive

    async def leave(self, topic: str) -> None:
        """Unsubscribe from ``topic``; its channel ends."""
        await self.pubsub.unsubscribe(topic)
        self.pubsub.remove_topic_validator(topic)

    async def publish(self, topic: str, message: SignedMessage) -> None:
        """Publish a message signed by this node on ``topic``.

        Refuses (`GossipError`) a message from another key (gossip binds the signer to the
        source, §4.2, so every peer would reject it) or for another topic; `messages.encode`
        refuses one over the message limit (`OversizeError`) rather than let gossipsub drop it.
        """
        if message.sender != self._host.public_key:
            raise GossipError("gossip carries only this node's own messages (SPEC §4.2)")
        try:
            check_topic(topic, message)
        except ProtocolError as error:
            raise GossipError(str(error)) from error
        data = messages.encode(message)
        await self._wait_for_outbound_room()
        await self.pubsub.publish(topic, data)

    async def _wait_for_outbound_room(self) -> None:
        # py-libp2p drops an RPC when a peer's 32-slot outbound queue is full, and its sending
        # task runs only when the publisher yields: a tight loop of publishes would lose messages.
        with trio.move_on_after(self._config.outbound_wait_s):
            while any(len(q) >= OUTBOUND_HIGH_WATER for q in self.pubsub.peer_queues.values()):
                await trio.sleep(OUTBOUND_POLL_S)

    def mesh_peers(self, topic: str) -> list[str]:
        """Peer ids in this node's mesh for ``topic``."""
        return [peer.to_base58() for peer in self.router.mesh.get(topic, ())]

    async def wait_for_mesh(self, peer: str, topic: str, timeout_s: float = 5.0) -> None:
        """Wait until ``peer`` is in this node's mesh for ``topic`` (`trio.TooSlowError` if not)."""
        await self.pubsub.wait_for_mesh(ID.from_base58(peer), topic, timeout=timeout_s)

    def _validator(
        self, topic: str, check: MessageCheck | None
    ) -> Callable[[ID, rpc_pb2.Message], bool]:
        score = self._config.score

        def validate(forwarder: ID, raw: rpc_pb2.Message) -> bool:
            if score is not None and score(forwarder) < GRAYLIST_THRESHOLD:
                self.ignored += 1
                self._count("graylist")
                logger.debug("%s: message forwarded by graylisted %s ignored", topic, forwarder)
                return False
            stage = "decode"
            try:
                message = messages.decode(raw.data)
                stage = "topic"
                check_topic(topic, message)
                stage = "signature"
                signing.verify(message)
                stage = "source"
                if identity.peer_id_bytes(message.sender) != raw.from_id:
                    raise RuleViolationError("from", "signer is not the gossip message's source")
                stage = "replay"
                now = self._clock()
                self.replay.check(message, now)
                stage = "rule"
                if check is not None:
                    check(message)
                self.replay.accept(message, now)
            except ProtocolError as error:
                self._refuse(topic, forwarder, stage, str(error))
                return False
            except Exception as error:  # a validator that raises would stop the pubsub service
                self._refuse(topic, forwarder, "error", f"{type(error).__name__}: {error}")
                return False
            return True

        return validate

    def _refuse(self, topic: str, forwarder: ID, reason: str, detail: str) -> None:
        self.rejected += 1
        self._count(reason)
        logger.info(
            "%s: message forwarded by %s refused (%s): %s", topic, forwarder, reason, detail
        )

    def _count(self, reason: str) -> None:
        hook = self._config.on_refused
        if hook is None:
            return
        try:
            hook(reason)
        except Exception:  # counting must never turn a refusal into a validator crash
            logger.exception("refusal hook failed")


def check_topic(topic: str, message: SignedMessage) -> None:
    """The message's type travels on ``topic`` (SPEC §9.3); a job topic's messages name its job."""
    channel = transport.CHANNEL_OF[message.type]
    if topic == transport.ANNOUNCE_TOPIC:
        if channel is not Channel.ANNOUNCE_TOPIC:
            raise RuleViolationError("type", f"a {message.type} message is not announced")
        return
    job = getattr(message.body, "job", None)
    if channel is not Channel.JOB_TOPIC or not isinstance(job, bytes):
        raise RuleViolationError("type", f"a {message.type} message does not go on a job topic")
    if transport.job_topic(job) != topic:
        raise RuleViolationError("body.job", f"message about another job on {topic}")


def score_params(score: ScoreFunction) -> ScoreParams:
    """py-libp2p score parameters under which ``score`` is the whole score (see the module
    docstring): the application term at weight 1, every other term at weight 0."""
    return ScoreParams(
        p6_appl_slack_weight=1.0,
        p6_appl_slack_decay=1.0,  # decay is the application's own (node.scoring)
        p7_ip_colocation_weight=0.0,
        publish_threshold=PUBLISH_THRESHOLD,
        gossip_threshold=GOSSIP_THRESHOLD,
        graylist_threshold=GRAYLIST_THRESHOLD,
        accept_px_threshold=ACCEPT_PX_THRESHOLD,
        app_specific_score_fn=score,
    )


@asynccontextmanager
async def open_gossip(
    host: Host, config: GossipConfig | None = None, clock: Clock = wall_clock_ms
) -> AsyncIterator[Gossip]:
    """Run GossipSub on ``host`` for the block's duration; ready before it returns.

    Open it before the host connects to any peer (see the module docstring).
    """
    config = config or GossipConfig()
    router = GossipSub(
        score_params=score_params(config.score) if config.score is not None else None,
        protocols=[PROTOCOL_ID_V12, PROTOCOL_ID_V11, PROTOCOL_ID],
        degree=config.degree,
        degree_low=config.degree_low,
        degree_high=config.degree_high,
        heartbeat_interval=config.heartbeat_s,
        max_messages_per_topic_per_second=config.messages_per_topic_per_second,
    )
    pubsub = Pubsub(host.libp2p, router, strict_signing=True, validation_cache_ttl=0)
    async with background_trio_service(pubsub), background_trio_service(router):
        await pubsub.wait_until_ready()
        async with trio.open_nursery() as nursery:
            yield Gossip(host, pubsub, router, nursery, config, clock)
            nursery.cancel_scope.cancel()
