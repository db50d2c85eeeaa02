"""Local swarms of `novanode start` processes on loopback, for the node tests and benchmarks.

The process management is `node.localnet`'s (what `novanode demo` runs on); a swarm lives under
a directory the test owns (its ``tmp_path``), so the nodes' logs and data directories stay there
for inspection after a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from node.localnet import LocalNet, LocalNode, free_port, open_localnet

NodeProcess = LocalNode
Swarm = LocalNet

__all__ = ["NodeProcess", "Swarm", "free_port", "swarm"]


@contextmanager
def swarm(root: Path) -> Iterator[Swarm]:
    with open_localnet(root) as running:
        yield running
