"""Ed25519 identities and their libp2p peer ids (SPEC.md §4).

A node signs protocol messages with the same Ed25519 key that its libp2p host uses, so the peer id
a message arrives from and the key that signed it can be checked against each other. For an
Ed25519 key, libp2p's peer id is the *identity* multihash of the protobuf-encoded public key:

    0x00 0x24 | 0x08 0x01 0x12 0x20 | 32-byte key

(multihash code 0 = identity, length 36; protobuf field 1 KeyType = 1 Ed25519, field 2 Data of
32 bytes), written as base58btc text ("12D3KooW...").
"""

from __future__ import annotations

from typing import Final

from nacl.signing import SigningKey

from protocol.errors import MalformedError, OutOfRangeError, WrongTypeError
from protocol.limits import PUBLIC_KEY_BYTES

_PEER_ID_PREFIX: Final = bytes([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])
_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ALPHABET_INDEX: Final = {c: i for i, c in enumerate(_ALPHABET)}
_MAX_PEER_ID_CHARS: Final = 64


def signing_key_from_seed(seed: bytes) -> SigningKey:
    """The Ed25519 key of a 32-byte seed (test vectors and persisted node keys use seeds)."""
    if type(seed) is not bytes or len(seed) != 32:
        raise WrongTypeError("seed", "an Ed25519 seed is exactly 32 bytes")
    return SigningKey(seed)


def public_key_of(key: SigningKey) -> bytes:
    """The 32-byte public key that messages carry in their ``from`` field."""
    return bytes(key.verify_key)


def peer_id_bytes(public_key: bytes) -> bytes:
    """The binary libp2p peer id (identity multihash) of an Ed25519 public key."""
    _check_public_key(public_key)
    return _PEER_ID_PREFIX + public_key


def peer_id(public_key: bytes) -> str:
    """The libp2p peer id text (base58btc) of an Ed25519 public key."""
    return _base58_encode(peer_id_bytes(public_key))


def public_key_from_peer_id(text: str) -> bytes:
    """The Ed25519 public key inside a peer id; raises if the peer id is not an Ed25519 one."""
    if type(text) is not str or not 0 < len(text) <= _MAX_PEER_ID_CHARS:
        raise MalformedError("peer_id", "not a peer id string of sensible length")
    raw = _base58_decode(text)
    if len(raw) != len(_PEER_ID_PREFIX) + PUBLIC_KEY_BYTES or not raw.startswith(_PEER_ID_PREFIX):
        raise MalformedError("peer_id", "not the identity multihash of an Ed25519 public key")
    return raw[len(_PEER_ID_PREFIX) :]


def peer_id_from_bytes(raw: bytes) -> str:
    """The text peer id of a binary one, which must be an Ed25519 identity multihash."""
    if type(raw) is not bytes:
        raise WrongTypeError("peer_id", f"expected bytes, got {type(raw).__name__}")
    if len(raw) != len(_PEER_ID_PREFIX) + PUBLIC_KEY_BYTES or not raw.startswith(_PEER_ID_PREFIX):
        raise MalformedError("peer_id", "not the identity multihash of an Ed25519 public key")
    return _base58_encode(raw)


def _check_public_key(public_key: bytes) -> None:
    if type(public_key) is not bytes:
        raise WrongTypeError("public_key", f"expected bytes, got {type(public_key).__name__}")
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise OutOfRangeError("public_key", f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes")


def _base58_encode(raw: bytes) -> str:
    zeros = len(raw) - len(raw.lstrip(b"\x00"))
    number = int.from_bytes(raw, "big")
    digits = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_ALPHABET[digit])
    return "1" * zeros + "".join(reversed(digits))


def _base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        digit = _ALPHABET_INDEX.get(char)
        if digit is None:
            raise MalformedError("peer_id", f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body
