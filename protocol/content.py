"""Content addresses of circuits, inputs, nodes and results (SPEC.md §9).

Everything large is named by the SHA-256 of its bytes and fetched over a direct stream; a
receiver checks the hash and the announced size before it uses a byte of it. Per-step inputs are
named through an *input index*: the concatenation of the N step-input hashes, whose own hash the
job announcement carries, so a worker fetches the index and then only its own steps' inputs.
"""

from __future__ import annotations

import hashlib

from protocol.errors import ContentMismatchError, OutOfRangeError, OversizeError
from protocol.limits import HASH_BYTES, MAX_STEPS


def content_hash(blob: bytes) -> bytes:
    """The content address of a blob: SHA-256 of its bytes."""
    return hashlib.sha256(blob).digest()


def check_blob(blob: bytes, expected_hash: bytes, expected_size: int, field: str) -> None:
    """Raise unless ``blob`` has exactly the announced size and content address."""
    if len(blob) != expected_size:
        raise ContentMismatchError(field, f"blob has {len(blob)} bytes, {expected_size} announced")
    if content_hash(blob) != expected_hash:
        raise ContentMismatchError(field, "blob does not hash to its announced content address")


def input_index(step_input_hashes: list[bytes] | tuple[bytes, ...]) -> bytes:
    """The input index blob of a job: its step-input hashes concatenated in step order."""
    if not 1 <= len(step_input_hashes) <= MAX_STEPS:
        raise OutOfRangeError("inputs", f"a job has 1 to {MAX_STEPS} steps")
    for i, h in enumerate(step_input_hashes):
        if type(h) is not bytes or len(h) != HASH_BYTES:
            raise OutOfRangeError(f"inputs[{i}]", f"a step-input hash is {HASH_BYTES} bytes")
    return b"".join(step_input_hashes)


def parse_input_index(blob: bytes, expected_hash: bytes, steps: int) -> tuple[bytes, ...]:
    """The step-input hashes in a fetched input index, after checking it against the job."""
    if len(blob) > HASH_BYTES * MAX_STEPS:
        raise OversizeError("inputs", "input index longer than the maximum step count allows")
    check_blob(blob, expected_hash, HASH_BYTES * steps, "inputs")
    return tuple(blob[i : i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES))
