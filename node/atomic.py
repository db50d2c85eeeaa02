"""Whole-file writes that a crash cannot tear.

A file is written under a temporary name in its own directory, flushed to disk, then renamed
(or hard-linked, to refuse an existing file) onto its name, and the directory is flushed too: a
process killed at any point, even by SIGKILL or a power cut, leaves either the old file or the
whole new one under the name, never a prefix. What it can leave is a temporary file, which
readers never look at (`is_temporary`) and the owner of the directory removes when it opens it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPORARY_SUFFIX = ".tmp"


def write_file(path: Path, data: bytes, *, mode: int = 0o600, replace: bool = True) -> None:
    """Write ``data`` to ``path`` atomically with permissions ``mode``; with ``replace=False``
    raise `FileExistsError` instead of replacing a file already there."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
            os.unlink(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def sync_directory(directory: Path) -> None:
    """Flush a directory's entries, so a rename or unlink in it survives a crash."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is a temporary file `write_file` left behind when it was killed."""
    return path.name.startswith(".") and path.name.endswith(TEMPORARY_SUFFIX)
