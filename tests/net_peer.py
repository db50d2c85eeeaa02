"""A node host in its own OS process, for the cross-process tests: it serves one blob.

Usage: ``python tests/net_peer.py SIZE_BYTES``. It prints its full listen address on the first
line of stdout, serves a deterministic blob of SIZE_BYTES for job `JOB` on the blob protocol, and
exits when its stdin closes.
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from net_harness import LOOPBACK, key

from node.net import streams
from node.net.host import open_host

JOB = hashlib.sha256(b"a cross-process job").digest()


def blob_of(size: int) -> bytes:
    """The blob the peer serves: the same bytes in both processes."""
    return random.Random(size).randbytes(size)


async def serve(size: int) -> None:
    blob = blob_of(size)
    address = hashlib.sha256(blob).digest()

    async def lookup(job: bytes, content_hash: bytes) -> bytes | None:
        return blob if (job, content_hash) == (JOB, address) else None

    async with open_host(key("other process"), LOOPBACK) as host:
        streams.serve_blobs(host, lookup)
        print(host.listen_addrs()[0], flush=True)
        stdin = trio.lowlevel.FdStream(sys.stdin.fileno())
        while await stdin.receive_some():
            pass


if __name__ == "__main__":
    trio.run(serve, int(sys.argv[1]))
