"""Signatures cover exactly the domain-separated canonical bytes; identities match libp2p's."""

from __future__ import annotations

import dataclasses

import pytest
from libp2p.crypto.ed25519 import Ed25519PublicKey
from libp2p.peer.id import ID
from protocol_samples import REQUESTER, WORKERS, job_message, sample_messages

from protocol import cbor
from protocol.errors import BadSignatureError, MalformedError, OutOfRangeError, WrongTypeError
from protocol.identity import (
    peer_id,
    peer_id_bytes,
    peer_id_from_bytes,
    public_key_from_peer_id,
    public_key_of,
    signing_key_from_seed,
)
from protocol.messages import Heartbeat, SignedMessage, unsigned_map
from protocol.signing import domain, job_id, sign, signed_bytes, verify


def test_every_sample_verifies() -> None:
    for message in sample_messages():
        verify(message)


def test_signed_bytes_are_domain_then_canonical_unsigned_map() -> None:
    m = sample_messages()[0]
    expected = b"novanode/v1/capacity\x00" + cbor.encode(
        unsigned_map(m.sender, m.seq, m.expires_ms, m.body)
    )
    assert signed_bytes(m) == expected
    assert domain("job") == b"novanode/v1/job\x00"


@pytest.mark.parametrize("field", ["seq", "expires_ms", "sender"])
def test_changing_any_signed_field_breaks_the_signature(field: str) -> None:
    m = sample_messages()[2]
    value = bytes(WORKERS[3].verify_key) if field == "sender" else getattr(m, field) + 1
    with pytest.raises(BadSignatureError):
        verify(dataclasses.replace(m, **{field: value}))


def test_changing_the_body_breaks_the_signature() -> None:
    m = sample_messages()[-1]
    assert isinstance(m.body, Heartbeat)
    with pytest.raises(BadSignatureError):
        verify(dataclasses.replace(m, body=dataclasses.replace(m.body, done=3)))


def test_a_signature_is_not_valid_under_another_type_domain() -> None:
    m = sample_messages()[2]
    forged = REQUESTER.sign(b"novanode/v1/heartbeat\x00" + signed_bytes(m)[len(domain("claim")) :])
    with pytest.raises(BadSignatureError):
        verify(
            SignedMessage(
                bytes(REQUESTER.verify_key), m.seq, m.expires_ms, m.body, forged.signature
            )
        )


def test_signature_by_a_key_that_is_not_a_curve_point_is_rejected() -> None:
    m = sample_messages()[0]
    with pytest.raises(BadSignatureError):
        verify(dataclasses.replace(m, sender=b"\xff" * 32))


def test_job_id_is_the_hash_of_the_announcement_signed_bytes() -> None:
    import hashlib

    m = job_message()
    assert job_id(m) == hashlib.sha256(signed_bytes(m)).digest()
    assert job_id(m) != job_id(sign(m.body, REQUESTER, seq=m.seq + 1, expires_ms=m.expires_ms))
    with pytest.raises(WrongTypeError):
        job_id(sample_messages()[0])


def test_peer_id_matches_py_libp2p() -> None:
    for key in (REQUESTER, *WORKERS):
        public = public_key_of(key)
        expected = ID.from_pubkey(Ed25519PublicKey.from_bytes(public))
        assert peer_id_bytes(public) == expected.to_bytes()
        assert peer_id(public) == expected.to_base58()
        assert peer_id(public).startswith("12D3KooW")
        assert public_key_from_peer_id(peer_id(public)) == public
        assert peer_id_from_bytes(expected.to_bytes()) == expected.to_base58()


def test_bad_peer_ids_and_keys_are_rejected() -> None:
    with pytest.raises(MalformedError):
        public_key_from_peer_id("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N")  # sha256 id
    with pytest.raises(MalformedError):
        public_key_from_peer_id("12D3KooW0OIl")  # not base58
    with pytest.raises(MalformedError):
        public_key_from_peer_id("")
    sha256_id = ID.from_base58("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").to_bytes()
    with pytest.raises(MalformedError):
        peer_id_from_bytes(sha256_id)
    with pytest.raises(MalformedError):
        peer_id_from_bytes(peer_id_bytes(public_key_of(REQUESTER)) + b"\x00")
    with pytest.raises(WrongTypeError):
        peer_id_from_bytes(peer_id(public_key_of(REQUESTER)))  # type: ignore[arg-type]
    with pytest.raises(OutOfRangeError):
        peer_id(b"short")
    with pytest.raises(WrongTypeError):
        signing_key_from_seed(b"short")
    assert public_key_of(signing_key_from_seed(bytes(32))) == bytes(
        signing_key_from_seed(bytes(32)).verify_key
    )
