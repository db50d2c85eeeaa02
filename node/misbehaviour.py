"""A test-only switch that makes a node lie, so tests can watch honest nodes catch it.

``NOVANODE_TEST_MISBEHAVIOUR`` in a node's environment is a comma-separated list of lies:

* ``tamper-folds``: every node it delivers to a merge partner has one witness element changed
  by one — a blob that still decodes strictly (every scalar canonical) but whose commitments no
  longer match, signed as if it were honest. Its receiver must reject it (SPEC §8.1 step 7),
  publish the signed delivery as evidence and see the position pass to its successor.
* ``tamper-root``: as the root prover, it publishes a root proof with one byte changed; the
  requester must reject it and position 1 must pass to its successor.

Nothing else reads the variable; an operator's node never sets it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from protocol.content import content_hash
from protocol.limits import FIELD_ELEMENT_BYTES, FR_MODULUS
from protocol.messages import FoldDelivery, SignedMessage

if TYPE_CHECKING:
    from node.runtime import Node

ENVIRONMENT_VARIABLE: Final = "NOVANODE_TEST_MISBEHAVIOUR"
_W1_KEY: Final = b"\x62W1"  # the CBOR text string "W1", the primary witness's key in a node
_LENGTH_BYTES: Final = {0x58: 1, 0x59: 2, 0x5A: 4, 0x5B: 8}


@dataclass(frozen=True)
class Misbehaviour:
    """Which lies this node tells (none, unless a test asks for them)."""

    tamper_folds: bool = False
    tamper_root: bool = False

    @classmethod
    def from_environment(cls) -> Misbehaviour:
        lies = set(os.environ.get(ENVIRONMENT_VARIABLE, "").split(","))
        return cls(tamper_folds="tamper-folds" in lies, tamper_root="tamper-root" in lies)

    def tampered_proof(self, proof: bytes) -> bytes:
        """The compressed proof with one bit of a byte in its middle flipped."""
        changed = bytearray(proof)
        changed[len(proof) // 2] ^= 1
        return bytes(changed)

    def tampered(
        self, node: Node, delivery: SignedMessage, blob: bytes
    ) -> tuple[bytes, SignedMessage]:
        """The node blob with one primary witness element changed, and a delivery signed for
        it."""
        body = delivery.body
        assert isinstance(body, FoldDelivery)
        changed = _tamper_witness(blob)
        forged = replace(body, node=content_hash(changed), size=len(changed))
        return changed, node.sign(forged, delivery.expires_ms)


def _tamper_witness(blob: bytes) -> bytes:
    key = blob.index(_W1_KEY)
    head = blob[key + len(_W1_KEY)]
    size = _LENGTH_BYTES[head]
    start = key + len(_W1_KEY) + 1 + size
    data = bytearray(blob)
    for offset in range(start, len(blob) - FIELD_ELEMENT_BYTES, FIELD_ELEMENT_BYTES):
        data[offset] ^= 1
        element = int.from_bytes(data[offset : offset + FIELD_ELEMENT_BYTES], "little")
        if element < FR_MODULUS:
            return bytes(data)
        data[offset] ^= 1
    raise ValueError("no witness element could be changed")
