"""Shapes recorded once: in memory by circuit key, and on disk by shape digest.

Recording a shape runs the circuit's Python once per constraint; a node proving many steps of
one circuit, or restarting, should pay that once. The disk layout under a cache directory is

    keys/<sha256 of the key>   the digest (64 hex characters) of the key's shape
    shapes/<digest>.npz        the shape's CSR arrays, written by numpy without pickling
    generators/<name>-<n>.bin  n commitment-key generators: their compressed encodings, then
                               the SHA-256 of those (name = SHA-256 of the curve and label)

A stored shape is rebuilt through `R1CSShape.from_csr`, which recomputes the digest; a file whose
digest differs from its name (corrupt, truncated, or edited) is discarded and the shape
recorded again. Generators are stored because deriving them (hashing to the curve) costs
seconds per process; decoding them strictly costs about half of that. A generator file that is
not exactly n encodings and their checksum, or holds an invalid point, is discarded and the
generators derived again. The directory should still be the node's own: the cache trusts that
a key's index file names the shape of that key, and that a generator file holds the points its
name says.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from crypto.circuit.shape import R1CSShape
from crypto.circuit.step import StepCircuit
from crypto.circuit.synthesis import DirectShape, record_step_shape
from crypto.errors import CryptoError
from crypto.field import FQ, FR, PrimeField
from crypto.group import Curve, CurvePoint, PointVector

_log = logging.getLogger(__name__)

_DIGEST_HEX = re.compile(r"[0-9a-f]{64}")
_FIELDS: dict[str, PrimeField] = {FR.name: FR, FQ.name: FQ}
_MATRICES = ("A", "B", "C")
_POINT_BYTES = 32
P = TypeVar("P", bound=CurvePoint)
_CHECKSUM_BYTES = 32


class ShapeCache:
    """Shapes by key, kept in memory and, given a `directory`, on disk across runs."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._shapes: dict[str, R1CSShape] = {}

    def get(self, key: str, build: Callable[[], R1CSShape]) -> R1CSShape:
        """The shape of `key`, calling `build` only when neither memory nor disk has it."""
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._load(key)
            if shape is None:
                shape = build()
                self._store(key, shape)
            self._shapes[key] = shape
        return shape

    def step_shape(self, circuit: StepCircuit, field: PrimeField = FR) -> R1CSShape:
        """The shape of `circuit` on its own (see `crypto.circuit.synthesis`), built directly
        where the circuit knows how (`DirectShape`), else recorded."""
        if field is FR and isinstance(circuit, DirectShape):
            return self.get(f"{circuit.key}#{field.name}", circuit.direct_shape)
        return self.get(f"{circuit.key}#{field.name}", lambda: record_step_shape(circuit, field))

    def generators(self, curve: Curve[P], label: bytes, n: int) -> PointVector[P]:
        """`curve.derive_generators(label, n)`, read from the directory where stored there."""
        path = self._generators_path(curve, label, n)
        if path is not None:
            stored = _load_generators(curve, path, n)
            if stored is not None:
                return stored
        return curve.derive_generators(label, n)

    def keep_generators(self, curve: Curve[P], label: bytes, bases: PointVector[P]) -> None:
        """Stores `bases` (the generators of `label`) in the directory, unless already there."""
        path = self._generators_path(curve, label, len(bases))
        if path is None or path.exists():
            return
        encoded = bases.to_bytes()
        checksum = hashlib.sha256(encoded).digest()
        _write_atomically(path, lambda out: out.write(encoded + checksum))

    def _generators_path(self, curve: Curve[P], label: bytes, n: int) -> Path | None:
        if self.directory is None:
            return None
        name = hashlib.sha256(curve.name.encode() + b"\x00" + label).hexdigest()
        return self.directory / "generators" / f"{name}-{n}.bin"

    def _paths(self, key: str) -> tuple[Path, Path] | None:
        if self.directory is None:
            return None
        name = hashlib.sha256(key.encode()).hexdigest()
        return self.directory / "keys" / name, self.directory / "shapes"

    def _load(self, key: str) -> R1CSShape | None:
        paths = self._paths(key)
        if paths is None:
            return None
        index, shapes = paths
        try:
            digest = index.read_text().strip()
        except FileNotFoundError:
            return None
        if not _DIGEST_HEX.fullmatch(digest):
            _log.warning("discarding cache index %s: it does not hold a digest", index)
            return None
        path = shapes / f"{digest}.npz"
        try:
            shape = load_shape(path)
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, CryptoError) as exc:
            _log.warning("discarding cached shape %s: %s", path, exc)
            return None
        if shape.digest.hex() != digest:
            _log.warning("discarding cached shape %s: its content has another digest", path)
            return None
        return shape

    def _store(self, key: str, shape: R1CSShape) -> None:
        paths = self._paths(key)
        if paths is None:
            return
        index, shapes = paths
        digest = shape.digest.hex()
        save_shape(shape, shapes / f"{digest}.npz")
        _write_atomically(index, lambda out: out.write(digest.encode()))


def _load_generators(curve: Curve[P], path: Path, n: int) -> PointVector[P] | None:
    """The generators stored at `path`, or None (the file removed) if it is unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    encoded, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
    problem = None
    if len(data) != n * _POINT_BYTES + _CHECKSUM_BYTES:
        problem = f"it holds {len(data)} bytes, not {n} points and a checksum"
    elif hashlib.sha256(encoded).digest() != checksum:
        problem = "its checksum does not match"
    else:
        try:
            return curve.vector_from_bytes(encoded)
        except CryptoError as exc:
            problem = str(exc)
    _log.warning("discarding cached generators %s: %s", path, problem)
    path.unlink(missing_ok=True)
    return None


def save_shape(shape: R1CSShape, path: Path) -> None:
    """Writes `shape`'s arrays to `path` (numpy's .npz, plain arrays only), atomically."""
    arrays: dict[str, Any] = {
        "field": np.array(shape.field.name),
        "dimensions": np.array(
            [shape.n_constraints, shape.n_public, shape.n_private], dtype=np.uint64
        ),
        "names": np.array(list(shape.names), dtype=np.str_),
    }
    for label, matrix in zip(_MATRICES, (shape.A, shape.B, shape.C), strict=True):
        indptr, indices, data = matrix.to_csr()
        arrays[f"{label}_indptr"] = indptr
        arrays[f"{label}_indices"] = indices
        arrays[f"{label}_data"] = data
    _write_atomically(path, lambda out: np.savez(out, **arrays))


def load_shape(path: Path) -> R1CSShape:
    """The shape `save_shape` wrote; its digest is recomputed from the arrays."""
    with np.load(path, allow_pickle=False) as stored:
        field = _FIELDS[str(stored["field"])]
        n_constraints, n_public, n_private = (int(v) for v in stored["dimensions"])
        matrices = [
            (
                stored[f"{label}_indptr"],
                stored[f"{label}_indices"],
                stored[f"{label}_data"],
            )
            for label in _MATRICES
        ]
        names = [str(name) for name in stored["names"]]
    return R1CSShape.from_csr(field, n_constraints, n_public, n_private, matrices, names)


def _write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Writes through a temporary file then renames it, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
        try:
            write(out)
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.replace(out.name, path)


SHAPES = ShapeCache()
"""The process-wide in-memory cache."""
