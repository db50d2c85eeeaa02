"""The node's content-addressed blob store (SPEC.md §9.1): circuits, step inputs, input
indexes, states (z0), tree nodes and root proofs, each named by the SHA-256 of its bytes.

    blobs/<kind>/<first two hex digits>/<64 hex digits>

Blobs come from peers and are served to peers, so the store trusts nothing it reads back:

* a write goes through `node.atomic.write_file` (temporary file, fsync, rename), so a process
  killed mid-write leaves the old state or the whole blob, never a prefix under the blob's name;
  temporary files left by a killed writer are removed when the store is opened;
* a read checks the file's size against the kind's limit before reading it and its hash after:
  a file that fails either (a damaged disk, a hand-edited file) is logged, removed and reported
  absent, so the node fetches or proves it again instead of serving it;
* a blob over its kind's limit (SPEC §10) is refused before it is hashed or written.

A store is opened by the process that holds the data directory's lock (`node.datadir`), so no
other writer races its sweep of temporary files.
"""

from __future__ import annotations

import logging
import os
from enum import Enum
from pathlib import Path
from typing import Final

from node.atomic import is_temporary, sync_directory, write_file
from node.datadir import DIRECTORY_MODE
from node.errors import BlobStoreError
from protocol.content import content_hash
from protocol.limits import (
    FIELD_ELEMENT_BYTES,
    HASH_BYTES,
    MAX_CIRCUIT_BYTES,
    MAX_NODE_BYTES,
    MAX_PROOF_BYTES,
    MAX_STATE_ELEMENTS,
    MAX_STEP_INPUT_BYTES,
    MAX_STEPS,
)

_log = logging.getLogger(__name__)


class BlobKind(Enum):
    """What a blob is; each kind has its own directory and size limit."""

    CIRCUIT = "circuit"
    STEP_INPUT = "input"
    INPUT_INDEX = "index"
    STATE = "state"
    NODE = "node"
    PROOF = "proof"


BLOB_LIMITS: Final[dict[BlobKind, int]] = {
    BlobKind.CIRCUIT: MAX_CIRCUIT_BYTES,
    BlobKind.STEP_INPUT: MAX_STEP_INPUT_BYTES,
    BlobKind.INPUT_INDEX: HASH_BYTES * MAX_STEPS,
    BlobKind.STATE: FIELD_ELEMENT_BYTES * MAX_STATE_ELEMENTS,
    BlobKind.NODE: MAX_NODE_BYTES,
    BlobKind.PROOF: MAX_PROOF_BYTES,
}
"""The largest blob of each kind, in bytes (SPEC §10); every blob has at least one byte."""


class BlobStore:
    """The blobs under ``root``; opening it removes temporary files a killed writer left."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for kind in BlobKind:
            (root / kind.value).mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        self._remove_temporaries()

    def put(self, kind: BlobKind, blob: bytes) -> bytes:
        """Stores ``blob`` and returns its hash; storing it again rewrites the file, which
        repairs a damaged copy instead of trusting it."""
        limit = BLOB_LIMITS[kind]
        if not 1 <= len(blob) <= limit:
            raise BlobStoreError(
                f"a {kind.value} blob has 1 to {limit} bytes, this one has {len(blob)}"
            )
        digest = content_hash(blob)
        path = self.path(kind, digest)
        if not path.parent.is_dir():
            path.parent.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
            sync_directory(path.parent.parent)
        write_file(path, blob)
        return digest

    def get(self, kind: BlobKind, digest: bytes) -> bytes | None:
        """The blob with content address ``digest``, or None if the store does not hold it
        intact (a damaged file is logged and removed)."""
        path = self.path(kind, digest)
        try:
            with path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                if not 1 <= size <= BLOB_LIMITS[kind]:
                    self._discard(path, f"its {size} bytes are outside the kind's limit")
                    return None
                blob = file.read()
        except FileNotFoundError:
            return None
        if content_hash(blob) != digest:
            self._discard(path, "its bytes do not hash to its name")
            return None
        return blob

    def __contains__(self, item: tuple[BlobKind, bytes]) -> bool:
        """Whether a file is stored under that kind and hash (`get` still checks it)."""
        kind, digest = item
        return self.path(kind, digest).is_file()

    def hashes(self, kind: BlobKind) -> list[bytes]:
        """The content addresses of the stored blobs of ``kind``, sorted."""
        found = []
        for path in (self.root / kind.value).glob("??/*"):
            if not is_temporary(path) and _is_hash_name(path.name):
                found.append(bytes.fromhex(path.name))
        return sorted(found)

    def delete(self, kind: BlobKind, digest: bytes) -> bool:
        """Removes a blob; False if it was not stored."""
        try:
            self.path(kind, digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def path(self, kind: BlobKind, digest: bytes) -> Path:
        """Where the blob of ``kind`` with content address ``digest`` is kept."""
        if type(digest) is not bytes or len(digest) != HASH_BYTES:
            raise BlobStoreError(f"a content address is {HASH_BYTES} bytes (SHA-256)")
        name = digest.hex()
        return self.root / kind.value / name[:2] / name

    def _discard(self, path: Path, reason: str) -> None:
        _log.warning("removed blob %s: %s; it will be fetched or proven again", path, reason)
        path.unlink(missing_ok=True)

    def _remove_temporaries(self) -> None:
        for path in self.root.glob("*/??/*"):
            if is_temporary(path):
                _log.info("removed %s, left by a write that was interrupted", path)
                path.unlink()


def _is_hash_name(name: str) -> bool:
    return len(name) == 2 * HASH_BYTES and all(c in "0123456789abcdef" for c in name)
