"""The checked-in vectors hold, decoded independently with plain cbor2 and nacl (not protocol/),
and protocol/ produces exactly those bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cbor2
from nacl.signing import SigningKey, VerifyKey
from vectors.generate import OUTPUT, render

from protocol.messages import decode, encode
from protocol.signing import verify

ENVELOPE_KEYS = {"v", "type", "from", "seq", "exp", "body", "sig"}
TYPES = {"capacity", "job", "claim", "fold", "merge", "root", "reject", "cancel", "heartbeat"}


def _vectors() -> list[dict[str, object]]:
    data = json.loads(Path(OUTPUT).read_text())
    assert data["protocol_version"] == 1
    vectors: list[dict[str, object]] = data["vectors"]
    return vectors


def test_vectors_cover_every_message_type() -> None:
    assert {v["type"] for v in _vectors()} == TYPES


def test_vectors_file_is_up_to_date() -> None:
    assert Path(OUTPUT).read_text() == render()


def test_vectors_decode_and_verify_independently() -> None:
    for v in _vectors():
        wire = bytes.fromhex(str(v["message"]))
        value = cbor2.loads(wire)
        assert set(value) == ENVELOPE_KEYS
        assert cbor2.dumps(value, canonical=True) == wire, "wire bytes are canonical"
        assert value["v"] == 1 and value["type"] == v["type"]
        assert value["seq"] == v["seq"] and value["exp"] == v["expires_ms"]
        unsigned = {k: x for k, x in value.items() if k != "sig"}
        signed = b"novanode/v1/" + str(v["type"]).encode() + b"\x00"
        signed += cbor2.dumps(unsigned, canonical=True)
        assert signed.hex() == v["signed_bytes"]
        key = SigningKey(bytes.fromhex(str(v["key_seed"])))
        assert bytes(key.verify_key) == value["from"] == bytes.fromhex(str(v["public_key"]))
        VerifyKey(value["from"]).verify(signed, value["sig"])
        assert key.sign(signed).signature == value["sig"] == bytes.fromhex(str(v["signature"]))
        if v["type"] == "job":
            assert hashlib.sha256(signed).hexdigest() == v["job_id"]


def test_protocol_decodes_and_reencodes_the_vectors() -> None:
    for v in _vectors():
        wire = bytes.fromhex(str(v["message"]))
        message = decode(wire)
        verify(message)
        assert message.type == v["type"]
        assert encode(message) == wire
