"""Peer scores enforced on gossip between real hosts on loopback (SPEC.md §8.4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import trio
from libp2p.peer.id import ID
from net_harness import LOOPBACK, Peer, capacity, fixed_clock, key, run

from node.net.gossip import GossipConfig, open_gossip
from node.net.host import open_host
from node.scoring import GRAYLIST_THRESHOLD, HALF_LIFE_S, PeerScores
from protocol.messages import RejectReason, SignedMessage
from protocol.transport import ANNOUNCE_TOPIC


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def star(scores: PeerScores) -> AsyncIterator[list[Peer]]:
    """A judge scoring with ``scores``, and two peers (the offender, an honest one) connected
    to it and not to each other."""
    async with AsyncExitStack() as stack:
        peers = []
        for i, config in enumerate([GossipConfig(score=scores.app_score), None, None]):
            signer = key(f"scored-{i}")
            host = await stack.enter_async_context(open_host(signer, LOOPBACK))
            gossip = await stack.enter_async_context(open_gossip(host, config, fixed_clock))
            peers.append(Peer(signer, host, gossip))
        for peer in peers[1:]:
            await peer.host.connect(peers[0].host.listen_addrs()[0])
        yield peers


async def wait_until(condition: Callable[[], bool]) -> None:
    with trio.fail_after(5):
        while not condition():
            await trio.sleep(0.01)


def pending(channel: trio.MemoryReceiveChannel[SignedMessage]) -> list[SignedMessage]:
    received = []
    while True:
        try:
            received.append(channel.receive_nowait())
        except trio.WouldBlock:
            return received


def test_a_graylisted_peer_is_ignored_until_its_score_decays() -> None:
    async def scenario() -> None:
        clock = Clock()
        scores = PeerScores(clock)
        async with star(scores) as (judge, offender, honest):
            channels = [await p.gossip.join(ANNOUNCE_TOPIC) for p in (judge, offender, honest)]
            for peer in (offender, honest):
                await judge.gossip.wait_for_mesh(peer.host.peer_id, ANNOUNCE_TOPIC)
                await peer.gossip.wait_for_mesh(judge.host.peer_id, ANNOUNCE_TOPIC)
            first = capacity(offender.key, 0)
            await offender.gossip.publish(ANNOUNCE_TOPIC, first)
            assert await channels[0].receive() == first
            assert await channels[2].receive() == first  # relayed by the judge

            scores.penalize(offender.host.public_key, RejectReason.INVALID_PROOF, clock.now)
            assert scores.score(offender.host.peer_id) < GRAYLIST_THRESHOLD
            # py-libp2p's own score is the application score alone: the other terms are neutral.
            scorer = judge.gossip.router.scorer
            assert scorer is not None
            offender_id = ID.from_base58(offender.host.peer_id)
            honest_id = ID.from_base58(honest.host.peer_id)
            assert scorer.score(offender_id, [ANNOUNCE_TOPIC]) == scores.score(offender_id)
            assert scorer.is_graylisted(offender_id, [ANNOUNCE_TOPIC])
            assert not scorer.is_graylisted(honest_id, [ANNOUNCE_TOPIC])
            assert scorer.score(honest_id, [ANNOUNCE_TOPIC]) == 0.0

            ignored = capacity(offender.key, 1)
            await offender.gossip.publish(ANNOUNCE_TOPIC, ignored)
            await wait_until(lambda: judge.gossip.ignored == 1)
            delivered = capacity(honest.key, 0)
            await honest.gossip.publish(ANNOUNCE_TOPIC, delivered)
            assert await channels[0].receive() == delivered
            # The judge neither delivered nor forwarded the graylisted peer's message.
            assert pending(channels[0]) == []
            assert await channels[2].receive() == delivered
            assert pending(channels[2]) == []
            assert judge.gossip.rejected == 0

            # Three half-lives later the score is above the graylist threshold again.
            clock.now += 3 * HALF_LIFE_S
            assert scores.score(offender.host.peer_id) > GRAYLIST_THRESHOLD
            later = capacity(offender.key, 2)
            await offender.gossip.publish(ANNOUNCE_TOPIC, later)
            assert await channels[0].receive() == later
            assert await channels[2].receive() == later
            assert judge.gossip.ignored == 1

            # While graylisted, the offender was sent nothing by the judge (py-libp2p's own gate):
            # the judge's messages to it travel in order on one stream, so once the honest peer's
            # next message arrives, the one sent during the graylist would have come before it.
            after = capacity(honest.key, 1)
            await honest.gossip.publish(ANNOUNCE_TOPIC, after)
            seen = [await channels[1].receive()]
            while seen[-1] != after:
                seen.append(await channels[1].receive())
            assert delivered not in seen
            assert seen == [first, ignored, later, after]

    run(scenario)


def test_without_a_score_function_nothing_is_ignored() -> None:
    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            host = await stack.enter_async_context(open_host(key("unscored"), LOOPBACK))
            gossip = await stack.enter_async_context(open_gossip(host, None, fixed_clock))
            scorer = gossip.router.scorer
            assert scorer is not None
            assert scorer.params.app_specific_score_fn is None
            assert scorer.params.graylist_threshold == float("-inf")

    run(scenario)
