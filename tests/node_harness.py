"""Runs `node_writer.py` in its own process and kills it with SIGKILL after some lines."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

WRITER = Path(__file__).resolve().parent / "node_writer.py"


def kill_writer_after(mode: str, target: Path, lines: int) -> list[str]:
    """Starts the writer, reads ``lines`` lines, SIGKILLs it mid-way through its next write and
    returns the lines read (what it reported committed)."""
    process = subprocess.Popen(
        [sys.executable, str(WRITER), mode, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        read = []
        for _ in range(lines):
            line = process.stdout.readline()
            assert line, f"the writer exited early with {process.wait()}"
            read.append(line.strip())
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return read
