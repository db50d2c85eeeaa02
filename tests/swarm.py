"""Local swarms of `novanode start` processes on loopback, for the node tests and benchmarks.

Each node is a real OS process with its own data directory, libp2p host and local API; the
test process talks to them only as an operator or a requester would: through their printed
addresses, their local HTTP API, signals and their data directories.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from protocol import identity

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class NodeProcess:
    """One running `novanode start`."""

    name: str
    data_dir: Path
    api_port: int
    log_path: Path
    arguments: list[str]
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    address: str = ""
    restarts: int = field(default=0)

    @property
    def peer_id(self) -> str:
        return self.address.rsplit("/p2p/", 1)[1]

    @property
    def public_key(self) -> bytes:
        return identity.public_key_from_peer_id(self.peer_id)

    def launch(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            self.arguments, stdout=subprocess.PIPE, stderr=log, text=True, env=self.env
        )
        log.close()
        self.address = self._first_line()

    def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline().strip()
                if line:
                    return line
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"node {self.name} printed no address; log:\n{self.log_tail()}")

    def api(self, path: str) -> object:
        url = f"http://127.0.0.1:{self.api_port}{path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            if path == "/metrics":
                return response.read().decode()
            return json.load(response)

    def metric(self, name: str, labels: str = "") -> float:
        """A metric's value from the node's /metrics (0 if absent)."""
        text = self.api("/metrics")
        assert isinstance(text, str)
        wanted = f"{name}{{{labels}}}" if labels else name
        total = 0.0
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            if key == wanted:
                total += float(value)
        return total

    def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_records(self) -> list[dict[str, object]]:
        records = []
        for line in self.log_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records


class Swarm:
    """Node processes under one directory; `close` stops those still running."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: list[NodeProcess] = []

    def start(
        self,
        name: str,
        *,
        bootstrap: Sequence[str] = (),
        capacity: int = 1,
        env: Mapping[str, str] | None = None,
    ) -> NodeProcess:
        data_dir = self.root / name
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        port = free_port()
        arguments = [
            sys.executable, "-m", "node.cli", "start",
            "--data-dir", str(data_dir),
            "--listen", "/ip4/127.0.0.1/tcp/0",
            "--api-port", str(port),
            "--capacity", str(capacity),
            "--log-format", "json",
        ]  # fmt: skip
        if bootstrap:
            arguments += ["--bootstrap", *bootstrap]
        node = NodeProcess(
            name,
            data_dir,
            port,
            self.root / f"{name}.log",
            arguments,
            {**os.environ, **(env or {})},
        )
        node.launch()
        self.nodes.append(node)
        return node

    def start_many(self, count: int, *, capacity: int = 1) -> list[NodeProcess]:
        first = self.start("node-0", capacity=capacity)
        return [first] + [
            self.start(f"node-{i}", bootstrap=[first.address], capacity=capacity)
            for i in range(1, count)
        ]

    def restart(self, node: NodeProcess) -> None:
        """Starts a stopped node again, bootstrapping from the nodes still running: it listens
        on a new port, so no peer can dial it at the address it knew (and the first node of
        `start_many` has no bootstrap peer of its own to find them again)."""
        node.restarts += 1
        running = [
            n.address
            for n in self.nodes
            if n is not node and n.process is not None and n.process.poll() is None
        ]
        if "--bootstrap" in node.arguments:
            del node.arguments[node.arguments.index("--bootstrap") :]
        if running:
            node.arguments += ["--bootstrap", *running]
        node.launch()

    def by_key(self, public_key: bytes) -> NodeProcess:
        return next(n for n in self.nodes if n.public_key == public_key)

    def close(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
            if node.process.stdout is not None:
                node.process.stdout.close()


@contextmanager
def swarm(root: Path) -> Iterator[Swarm]:
    running = Swarm(root)
    try:
        yield running
    finally:
        running.close()
