"""The exact bytes a signature covers, and signing and verification with Ed25519 (SPEC.md §3.3).

The signed bytes are domain-separated by protocol version and message type, so a signature over
one message can never be replayed as another kind of message or under another version:

    "novanode/v<version>/<type>" 0x00 || canonical CBOR of the envelope map without "sig"
"""

from __future__ import annotations

import hashlib

from nacl.exceptions import BadSignatureError as NaclBadSignatureError
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.signing import SigningKey, VerifyKey

from protocol import cbor
from protocol.errors import BadSignatureError, WrongTypeError
from protocol.limits import PROTOCOL_VERSION
from protocol.messages import Body, JobAnnouncement, SignedMessage, unsigned_map


def domain(type_name: str) -> bytes:
    """The domain-separation prefix for a message type under this protocol version."""
    return f"novanode/v{PROTOCOL_VERSION}/{type_name}".encode("ascii") + b"\x00"


def signing_input(sender: bytes, seq: int, expires_ms: int, body: Body) -> bytes:
    """The bytes an Ed25519 signature of this message covers."""
    return domain(body.TYPE) + cbor.encode(unsigned_map(sender, seq, expires_ms, body))


def signed_bytes(message: SignedMessage) -> bytes:
    """The bytes the signature of ``message`` covers."""
    return signing_input(message.sender, message.seq, message.expires_ms, message.body)


def sign(body: Body, key: SigningKey, *, seq: int, expires_ms: int) -> SignedMessage:
    """Sign a body as the holder of ``key``."""
    sender = bytes(key.verify_key)
    signature = key.sign(signing_input(sender, seq, expires_ms, body)).signature
    return SignedMessage(sender, seq, expires_ms, body, signature)


def verify(message: SignedMessage) -> None:
    """Raise `BadSignatureError` unless the message's signature verifies under its sender."""
    try:
        VerifyKey(message.sender).verify(signed_bytes(message), message.signature)
    except (NaclBadSignatureError, NaclCryptoError, ValueError, TypeError):
        raise BadSignatureError("sig", "signature does not verify under the sender's key") from None


def job_id(message: SignedMessage) -> bytes:
    """The id of a job: SHA-256 of the signed bytes of its announcement (SPEC.md §6.1)."""
    if not isinstance(message.body, JobAnnouncement):
        raise WrongTypeError("type", f"a job id comes from a job announcement, not {message.type}")
    return hashlib.sha256(signed_bytes(message)).digest()
