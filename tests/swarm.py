"""Local swarms of `novanode start` processes on loopback, for the node tests and benchmarks.

The process management is `node.localnet`'s (what `novanode demo` runs on); a swarm lives under
a directory the test owns (its ``tmp_path``), so the nodes' logs and data directories stay there
for inspection after a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from node.localnet import LocalNet, open_localnet


@contextmanager
def swarm(root: Path) -> Iterator[LocalNet]:
    with open_localnet(root) as running:
        yield running
