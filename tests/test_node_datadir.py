"""The data directory: created private, refused when open to others, and locked so that two
processes never share one — with the holder's pid named, and no stale lock after a SIGKILL."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from node.datadir import open_data_dir
from node.errors import DataDirError, DataDirLockedError

HOLD = """
import sys, time
from pathlib import Path
from node.datadir import open_data_dir
with open_data_dir(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_new_directory_is_private_with_its_parents(tmp_path: Path) -> None:
    root = tmp_path / "a" / "node"
    with open_data_dir(root) as data_dir:
        assert data_dir.root == root
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert data_dir.lock_path.read_text() == f"{os.getpid()}\n"
        assert stat.S_IMODE(data_dir.lock_path.stat().st_mode) == 0o600


def test_a_directory_open_to_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    root = tmp_path / "node"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    with pytest.raises(DataDirError, match=f"chmod 700 {root}"), open_data_dir(root):
        pass


def test_a_file_is_not_a_data_directory(tmp_path: Path) -> None:
    (tmp_path / "node").write_text("")
    with pytest.raises(DataDirError, match="not a directory"), open_data_dir(tmp_path / "node"):
        pass


def test_a_second_user_in_this_process_is_refused_and_the_lock_is_released(
    tmp_path: Path,
) -> None:
    locked = pytest.raises(DataDirLockedError, match=f"in use by process {os.getpid()}")
    with open_data_dir(tmp_path / "node"), locked, open_data_dir(tmp_path / "node"):
        pass
    with open_data_dir(tmp_path / "node"):
        pass


def _holder(root: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "locked\n"
    return process


def test_another_process_holding_the_directory_is_named_and_its_death_frees_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "node"
    process = _holder(root)
    try:
        locked = pytest.raises(DataDirLockedError, match=f"process {process.pid}; stop that node")
        with locked, open_data_dir(root):
            pass
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
    with open_data_dir(root) as data_dir:
        assert data_dir.lock_path.read_text() == f"{os.getpid()}\n"
