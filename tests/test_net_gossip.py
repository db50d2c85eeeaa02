"""Gossip between real hosts on loopback: mesh, delivery, and the validators of SPEC §8.1 1–3."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

import pytest
import trio
from net_harness import EXPIRES_MS, NOW_MS, Peer, capacity, key, open_peers, run, signed

from node.net.errors import GossipError
from node.net.gossip import Gossip, check_topic
from protocol import cbor, messages
from protocol.errors import RuleViolationError
from protocol.limits import MAX_MESSAGE_BYTES
from protocol.messages import CapacityAnnouncement, ClaimAck, SignedMessage, unsigned_map
from protocol.transport import ANNOUNCE_TOPIC, job_topic

JOB = hashlib.sha256(b"a job").digest()


async def receive_all(channel: trio.MemoryReceiveChannel[SignedMessage]) -> list[SignedMessage]:
    received = []
    while True:
        try:
            received.append(channel.receive_nowait())
        except trio.WouldBlock:
            return received


async def wait_until(condition: Callable[[], bool]) -> None:
    with trio.fail_after(5):
        while not condition():
            await trio.sleep(0.01)


async def wait_for_full_mesh(peers: list[Peer], topic: str) -> None:
    for peer in peers[1:]:
        await peers[0].gossip.wait_for_mesh(peer.host.peer_id, topic)
        await peer.gossip.wait_for_mesh(peers[0].host.peer_id, topic)


def test_two_hosts_connect_and_deliver_both_ways() -> None:
    async def scenario() -> None:
        async with open_peers(2) as peers:
            assert peers[1].host.connected_peers() == [peers[0].host.peer_id]
            channels = [await p.gossip.join(ANNOUNCE_TOPIC) for p in peers]
            await wait_for_full_mesh(peers, ANNOUNCE_TOPIC)
            for seq, (sender, receiver) in enumerate([(0, 1), (1, 0)]):
                message = capacity(peers[sender].key, seq)
                await peers[sender].gossip.publish(ANNOUNCE_TOPIC, message)
                assert await channels[receiver].receive() == message
                assert await channels[sender].receive() == message

    run(scenario)


def test_three_hosts_relay_through_the_mesh() -> None:
    async def scenario() -> None:
        async with open_peers(3) as peers:
            # Hosts 1 and 2 know only host 0: host 2 hears host 1 through host 0's forwarding.
            assert peers[2].host.peer_id not in peers[1].host.connected_peers()
            channels = [await p.gossip.join(ANNOUNCE_TOPIC) for p in peers]
            await wait_for_full_mesh(peers, ANNOUNCE_TOPIC)
            sent = [capacity(peers[1].key, seq) for seq in range(20)]
            for message in sent:
                await peers[1].gossip.publish(ANNOUNCE_TOPIC, message)
            for channel in channels:
                got = [await channel.receive() for _ in sent]
                assert sorted(m.seq for m in got) == list(range(20))
                assert set(got) == set(sent)

    run(scenario)


def test_validators_reject_bad_messages_and_forward_none_of_them() -> None:
    async def scenario() -> None:
        async with open_peers(2) as peers, open_peers(1, "attacker") as (attacker,):
            await attacker.host.connect(peers[0].host.listen_addrs()[0])
            channels = [await p.gossip.join(ANNOUNCE_TOPIC) for p in peers]
            # A raw subscription: no validator on the attacker's side stops what it publishes.
            await attacker.gossip.pubsub.subscribe(ANNOUNCE_TOPIC)
            await wait_for_full_mesh([peers[0], peers[1], attacker], ANNOUNCE_TOPIC)

            good = capacity(attacker.key, 1)
            bad_sig = replace(good, seq=2)  # the signature covers seq
            other_signer = capacity(key("someone else"), 3)  # gossip source is not the signer
            expired = signed(CapacityAnnouncement(5, 0, 1), attacker.key, 4, NOW_MS - 1)
            wire = unsigned_map(good.sender, 5, EXPIRES_MS, good.body) | {"sig": good.signature}
            bad_version = cbor.encode(wire | {"v": 2})
            wrong_topic = signed(ClaimAck(JOB, 0, 4), attacker.key, 6)
            oversize = b"\xa0" * (MAX_MESSAGE_BYTES + 1)
            attacks = [
                b"\xff not cbor",
                messages.encode(good)[:-1],
                bad_version,
                messages.encode(bad_sig),
                messages.encode(other_signer),
                messages.encode(expired),
                messages.encode(wrong_topic),
                oversize,
                messages.encode(good),
                messages.encode(good),  # a replay: same envelope, new gossip message
            ]
            for data in attacks:
                await attacker.gossip.pubsub.publish(ANNOUNCE_TOPIC, data)
            await wait_until(lambda: peers[0].gossip.rejected == len(attacks) - 1)
            honest = capacity(peers[1].key, 1)
            await peers[1].gossip.publish(ANNOUNCE_TOPIC, honest)

            for channel in channels:  # the order of the two depends on the forwarding path
                assert {await channel.receive() for _ in range(2)} == {good, honest}
            await trio.sleep(0.2)
            assert await receive_all(channels[0]) == []
            assert await receive_all(channels[1]) == []
            assert peers[1].gossip.rejected == 0  # host 0 forwarded nothing that it rejected

    run(scenario)


def test_step_four_check_and_job_topics() -> None:
    async def scenario() -> None:
        async with open_peers(2) as peers:
            topic = job_topic(JOB)
            refused: list[SignedMessage] = []

            def only_range_zero(message: SignedMessage) -> None:
                body = message.body
                if isinstance(body, ClaimAck) and body.start != 0:
                    refused.append(message)
                    raise RuleViolationError("body.start", "not a position of this job")

            channel = await peers[0].gossip.join(topic, only_range_zero)
            await peers[1].gossip.join(topic)
            await wait_for_full_mesh(peers, topic)
            wrong = signed(ClaimAck(JOB, 4, 8), peers[1].key, 1)
            right = signed(ClaimAck(JOB, 0, 4), peers[1].key, 2)
            await peers[1].gossip.publish(topic, wrong)
            await peers[1].gossip.publish(topic, right)
            assert await channel.receive() == right
            assert refused == [wrong]
            assert peers[0].gossip.rejected == 1

    run(scenario)


def test_publish_refuses_what_gossip_cannot_carry() -> None:
    async def scenario() -> None:
        async with open_peers(1) as (peer,):
            gossip: Gossip = peer.gossip
            with pytest.raises(GossipError, match="own messages"):
                await gossip.publish(ANNOUNCE_TOPIC, capacity(key("someone else"), 1))
            with pytest.raises(GossipError, match="not announced"):
                await gossip.publish(ANNOUNCE_TOPIC, signed(ClaimAck(JOB, 0, 1), peer.key, 1))
            other_job = job_topic(hashlib.sha256(b"another job").digest())
            with pytest.raises(GossipError, match="another job"):
                await gossip.publish(other_job, signed(ClaimAck(JOB, 0, 1), peer.key, 1))
            await gossip.join(ANNOUNCE_TOPIC)
            with pytest.raises(GossipError, match="already joined"):
                await gossip.join(ANNOUNCE_TOPIC)

    run(scenario)


def test_check_topic_matches_types_to_channels() -> None:
    check_topic(ANNOUNCE_TOPIC, capacity(key("a"), 1))
    check_topic(job_topic(JOB), signed(ClaimAck(JOB, 0, 1), key("a"), 1))
    with pytest.raises(RuleViolationError):
        check_topic(job_topic(JOB), capacity(key("a"), 1))
