"""`novanode demo` as a newcomer runs it: a local network proves a job, the proof verifies
offline, the summary shows each node's work, and nothing is left behind."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from swarm import swarm

from node.errors import LocalNetError

SUMMARY_ROW = re.compile(
    r"^(node-\d+) +…\S+ +(\d+) +(\d+) +(\d+) +(\d+\.\d\d)( +root)?$", re.MULTILINE
)


def novanode_demo(temp: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The demo with its temporary directories under ``temp``."""
    return subprocess.run(
        [sys.executable, "-m", "node.cli", "demo", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
        timeout=900,
    )


def processes_under(directory: Path) -> list[str]:
    """Command lines of the running processes that name ``directory`` (a node's data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(directory) in command:
            found.append(command)
    return found


def test_demo_proves_verifies_summarises_and_cleans_up(tmp_path: Path) -> None:
    done = novanode_demo(tmp_path, "--nodes", "3", "--steps", "8")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^proof verified: 8 steps of builtin:cubic\?log2=10 ", done.stdout, re.M)
    rows = SUMMARY_ROW.findall(done.stdout)
    assert [row[0] for row in rows] == ["node-0", "node-1", "node-2"], done.stdout
    assert sum(int(row[1]) for row in rows) == 8  # every step proven once
    assert [row[5].strip() for row in rows].count("root") == 1  # one node compressed the root
    size = re.search(r"^proof size +([\d,]+) bytes$", done.stdout, re.M)
    assert size is not None and int(size[1].replace(",", "")) > 1000
    assert re.search(r"^verify time +\d+ ms$", done.stdout, re.M)
    assert list(tmp_path.iterdir()) == []  # the nodes' and requester's directories are gone
    assert processes_under(tmp_path) == []


@pytest.mark.parametrize(
    "stop",
    [
        lambda pid: os.killpg(pid, signal.SIGINT),  # what Ctrl-C at a terminal sends
        lambda pid: os.kill(pid, signal.SIGTERM),  # what `kill` or a service manager sends
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stop_mid_job_stops_the_nodes_and_removes_their_directories(
    tmp_path: Path, stop: Callable[[int], None]
) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "demo", "--nodes", "2", "--steps", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert demo.stdout is not None
    printed = ""
    deadline = time.monotonic() + 300
    while " submitted" not in printed and demo.poll() is None and time.monotonic() < deadline:
        if select.select([demo.stdout], [], [], 1.0)[0]:
            printed += demo.stdout.readline()
    assert " submitted" in printed, printed
    assert processes_under(tmp_path) != []  # the nodes are running
    stop(demo.pid)
    _, errors = demo.communicate(timeout=120)
    assert demo.returncode == 130, errors
    assert "interrupted: the nodes were stopped" in errors
    assert list(tmp_path.iterdir()) == []
    assert processes_under(tmp_path) == []


def test_demo_refuses_unusable_options_before_starting_anything(tmp_path: Path) -> None:
    no_nodes = novanode_demo(tmp_path, "--nodes", "0")
    assert no_nodes.returncode == 2
    assert "--nodes must be 1 to" in no_nodes.stderr
    unknown = novanode_demo(tmp_path, "--circuit", "builtin:nonesuch")
    assert unknown.returncode == 2
    assert "no built-in circuit 'nonesuch'" in unknown.stderr and "builtin:cubic" in unknown.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_node_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    with swarm(tmp_path) as running:
        first = running.start("node-0")
        with pytest.raises(LocalNetError) as failure:
            running.start("node-0")  # the same data directory, locked by the first
        assert "node node-0 printed no address" in str(failure.value)
        assert "in use by process" in str(failure.value)  # the tail of its log
        assert first.running
    assert not first.running
