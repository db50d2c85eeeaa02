"""A stream transfer between two OS processes, each running its own host."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import trio
from net_harness import LOOPBACK, key, run
from net_peer import JOB, blob_of

from node.net import streams
from node.net.host import open_host
from protocol.limits import MiB

PEER_SCRIPT = Path(__file__).resolve().parent / "net_peer.py"


async def read_line(process: trio.Process) -> str:
    assert process.stdout is not None
    line = b""
    while not line.endswith(b"\n"):
        chunk = await process.stdout.receive_some(1)
        assert chunk, "the peer process exited before printing its address"
        line += chunk
    return line.decode().strip()


def test_a_blob_crosses_between_processes() -> None:
    size = 8 * MiB + 3

    async def scenario() -> None:
        process = await trio.lowlevel.open_process(
            [sys.executable, str(PEER_SCRIPT), str(size)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            address = await read_line(process)
            expected = blob_of(size)
            async with open_host(key("this process"), LOOPBACK) as host:
                peer = await host.connect(address)
                assert address.endswith(peer)
                content = hashlib.sha256(expected).digest()
                assert await streams.fetch_blob(host, peer, JOB, content, 16 * MiB) == expected
        finally:
            assert process.stdin is not None
            await process.stdin.aclose()
            with trio.fail_after(10):
                assert await process.wait() == 0

    run(scenario)
