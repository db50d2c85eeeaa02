"""Write tests/vectors/messages.json: for each message type, fixed keys, the exact signed bytes,
the signature and the canonical wire bytes. Run: python tests/vectors/generate.py

The vectors are checked by tests/test_protocol_vectors.py with plain cbor2 and nacl, so another
implementation of SPEC.md can test itself against the same file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from protocol_samples import EXPIRES_MS, KEY_LABELS, SEQ, sample_bodies, seed  # noqa: E402

from protocol.identity import peer_id  # noqa: E402
from protocol.messages import JobAnnouncement, encode  # noqa: E402
from protocol.signing import job_id, sign, signed_bytes  # noqa: E402

OUTPUT = HERE / "messages.json"


def build_vectors() -> dict[str, object]:
    label_of = {bytes(k.verify_key): label for label, k in KEY_LABELS.items()}
    vectors = []
    for key, body in sample_bodies():
        message = sign(body, key, seq=SEQ, expires_ms=EXPIRES_MS)
        vector: dict[str, object] = {
            "type": body.TYPE,
            "key_seed": seed(label_of[message.sender]).hex(),
            "public_key": message.sender.hex(),
            "peer_id": peer_id(message.sender),
            "seq": SEQ,
            "expires_ms": EXPIRES_MS,
            "signed_bytes": signed_bytes(message).hex(),
            "signature": message.signature.hex(),
            "message": encode(message).hex(),
        }
        if isinstance(body, JobAnnouncement):
            vector["job_id"] = job_id(message).hex()
        vectors.append(vector)
    return {
        "protocol_version": 1,
        "key_seed_rule": "SHA-256(UTF-8 'novanode test key ' || label)",
        "vectors": vectors,
    }


def render() -> str:
    return json.dumps(build_vectors(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT}")
