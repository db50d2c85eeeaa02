"""The node's data directory: where its key, job database, blobs and config live.

    <data dir>/            0700: it holds the node's secret key
        node.key           0600: the Ed25519 identity (`node.keyfile`)
        jobs.sqlite3       job and task states, finished nodes, our own `seq` (`node.jobstore`)
        blobs/             content-addressed blobs by kind (`node.blobstore`)
        config.toml        optional; `novanode start --config` may name another file
        lock               the pid of the process using the directory

One directory serves one running node: two nodes sharing a key and a database would reuse each
other's sequence numbers and overwrite each other's job states. A process holds an exclusive
`flock` on ``lock`` while it uses the directory; the kernel releases it when the process dies,
however it dies, so a stale lock file never blocks a restart, and a second process is refused
with the pid of the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from node.errors import DataDirError, DataDirLockedError

DEFAULT_DATA_DIR = Path("~/.novanode")
DIRECTORY_MODE = 0o700
SECRET_MODE = 0o600


class DataDir:
    """The paths of one data directory; `open_data_dir` creates and locks it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def key_path(self) -> Path:
        return self.root / "node.key"

    @property
    def jobs_path(self) -> Path:
        return self.root / "jobs.sqlite3"

    @property
    def blobs_path(self) -> Path:
        return self.root / "blobs"

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def lock_path(self) -> Path:
        return self.root / "lock"


@contextmanager
def open_data_dir(root: Path) -> Iterator[DataDir]:
    """The data directory at ``root``, created 0700 if absent and locked for this process until
    the block ends; `DataDirLockedError` names the process that holds it."""
    root = root.expanduser()
    _create(root)
    data_dir = DataDir(root)
    descriptor = os.open(data_dir.lock_path, os.O_RDWR | os.O_CREAT, SECRET_MODE)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise DataDirLockedError(
                f"data directory {root} is in use by process {holder}; stop that node first, "
                "or give this one another --data-dir"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield data_dir
    finally:
        os.close(descriptor)


def _create(root: Path) -> None:
    try:
        with contextlib.suppress(FileExistsError):
            root.mkdir(mode=DIRECTORY_MODE, parents=True)
        status = root.stat()
    except OSError as error:
        raise DataDirError(
            f"cannot create data directory {root}: {error.strerror or error}"
        ) from None
    if not stat.S_ISDIR(status.st_mode):
        raise DataDirError(f"data directory {root} exists and is not a directory")
    if status.st_mode & 0o077:
        raise DataDirError(
            f"data directory {root} is open to other users (mode {stat.S_IMODE(status.st_mode):o})"
            f"; it holds the node's secret key: run `chmod 700 {root}`"
        )
