"""The blob store: content-addressed, bounded per kind, never serving a damaged or half-written
blob — including after its writer was SIGKILLed mid-write or between fsync and rename."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from node_harness import kill_writer_after

from node.atomic import is_temporary
from node.blobstore import BLOB_LIMITS, BlobKind, BlobStore
from node.errors import BlobStoreError
from protocol.content import content_hash
from protocol.limits import MAX_PROOF_BYTES

BLOB = b"a circuit, or any blob"


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_blob_is_stored_under_its_hash_and_read_back(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(BlobKind.CIRCUIT, BLOB)
    assert digest == content_hash(BLOB)
    assert store.get(BlobKind.CIRCUIT, digest) == BLOB
    assert (BlobKind.CIRCUIT, digest) in store
    assert store.path(BlobKind.CIRCUIT, digest) == tmp_path / "circuit" / digest.hex()[:2] / (
        digest.hex()
    )
    assert store.put(BlobKind.CIRCUIT, BLOB) == digest
    assert _files(tmp_path) == [store.path(BlobKind.CIRCUIT, digest)]


def test_kinds_are_separate_and_listed_and_deleted(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    proofs = sorted(store.put(BlobKind.PROOF, bytes([i]) * 10) for i in range(3))
    node = store.put(BlobKind.NODE, BLOB)
    assert store.hashes(BlobKind.PROOF) == proofs
    assert store.hashes(BlobKind.NODE) == [node]
    assert store.hashes(BlobKind.CIRCUIT) == []
    assert store.get(BlobKind.CIRCUIT, node) is None
    assert store.delete(BlobKind.PROOF, proofs[1])
    assert not store.delete(BlobKind.PROOF, proofs[1])
    assert store.hashes(BlobKind.PROOF) == [proofs[0], proofs[2]]
    assert store.get(BlobKind.PROOF, proofs[1]) is None


def test_a_blob_outside_its_kinds_size_limit_is_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    assert BLOB_LIMITS[BlobKind.PROOF] == MAX_PROOF_BYTES
    assert store.put(BlobKind.PROOF, bytes(MAX_PROOF_BYTES)) == content_hash(bytes(MAX_PROOF_BYTES))
    with pytest.raises(BlobStoreError, match=f"1 to {MAX_PROOF_BYTES} bytes"):
        store.put(BlobKind.PROOF, bytes(MAX_PROOF_BYTES + 1))
    with pytest.raises(BlobStoreError, match="this one has 0"):
        store.put(BlobKind.NODE, b"")
    assert store.hashes(BlobKind.PROOF) == [content_hash(bytes(MAX_PROOF_BYTES))]


def test_a_content_address_is_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(BlobStoreError, match="32 bytes"):
        BlobStore(tmp_path).get(BlobKind.NODE, b"\x00" * 31)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],
        lambda data: data + b"!",
        lambda data: bytes([data[0] ^ 1]) + data[1:],
        lambda data: b"",
    ],
    ids=["truncated", "extended", "flipped", "emptied"],
)
def test_a_damaged_blob_is_reported_removed_and_not_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: Callable[[bytes], bytes]
) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(BlobKind.STEP_INPUT, BLOB)
    path = store.path(BlobKind.STEP_INPUT, digest)
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="node.blobstore"):
        assert store.get(BlobKind.STEP_INPUT, digest) is None
    assert f"removed blob {path}" in caplog.text
    assert not path.exists()
    assert store.hashes(BlobKind.STEP_INPUT) == []
    assert store.put(BlobKind.STEP_INPUT, BLOB) == digest
    assert store.get(BlobKind.STEP_INPUT, digest) == BLOB


def test_a_file_over_its_kinds_limit_is_removed_unread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = BlobStore(tmp_path)
    oversize = bytes(MAX_PROOF_BYTES + 1)
    digest = content_hash(oversize)
    path = store.path(BlobKind.PROOF, digest)
    path.parent.mkdir()
    path.write_bytes(oversize)
    with caplog.at_level(logging.WARNING, logger="node.blobstore"):
        assert store.get(BlobKind.PROOF, digest) is None
    assert "outside the kind's limit" in caplog.text
    assert not path.exists()


def test_a_leftover_temporary_file_is_never_listed_and_is_swept_on_open(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = content_hash(BLOB)
    final = store.path(BlobKind.NODE, digest)
    final.parent.mkdir()
    leftover = final.with_name(f".{final.name}.x1y2z3.tmp")
    leftover.write_bytes(BLOB[:5])
    assert is_temporary(leftover)
    assert store.hashes(BlobKind.NODE) == []
    assert store.get(BlobKind.NODE, digest) is None
    BlobStore(tmp_path)
    assert not leftover.exists()


@pytest.mark.parametrize("moment", ["fsync", "rename"])
def test_a_writer_killed_between_write_and_rename_leaves_no_blob(
    tmp_path: Path, moment: str
) -> None:
    assert kill_writer_after(f"blob-held-before-{moment}", tmp_path, 1) == ["held"]
    temporaries = [p for p in _files(tmp_path) if is_temporary(p)]
    assert len(temporaries) == 1
    assert temporaries[0].stat().st_size == (2 << 20) + 8
    store = BlobStore(tmp_path)
    assert store.hashes(BlobKind.STEP_INPUT) == []
    assert _files(tmp_path) == []


def test_a_writer_killed_wherever_it_is_leaves_only_whole_blobs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    committed = [bytes.fromhex(line) for line in kill_writer_after("blobs", tmp_path, 3)]
    with caplog.at_level(logging.WARNING, logger="node.blobstore"):
        store = BlobStore(tmp_path)
        stored = store.hashes(BlobKind.STEP_INPUT)
        assert set(committed) <= set(stored)
        for digest in stored:
            blob = store.get(BlobKind.STEP_INPUT, digest)
            assert blob is not None
            assert content_hash(blob) == digest
    assert caplog.text == ""
    assert not [p for p in _files(tmp_path) if is_temporary(p)]


def test_storing_a_blob_again_repairs_a_damaged_copy(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(BlobKind.NODE, BLOB)
    store.path(BlobKind.NODE, digest).write_bytes(b"garbage")
    assert store.put(BlobKind.NODE, BLOB) == digest
    assert store.path(BlobKind.NODE, digest).read_bytes() == BLOB
