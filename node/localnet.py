"""A local network of `novanode start` processes on loopback: for `novanode demo`, the
process-level tests and the network benchmark.

Each node is a real OS process with its own data directory, libp2p host and local API; whoever
runs the network talks to them only as an operator or a requester would: through their printed
addresses, their local HTTP API, signals and their data directories. Every node listens on a
free loopback port and bootstraps from the first one, whose peer exchange connects the rest.
`close` stops them (SIGTERM, then SIGKILL after a grace period) and, for a network opened on a
temporary directory, removes it.
"""

from __future__ import annotations

import json
import math
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from node.errors import LocalNetError
from protocol import identity

START_TIMEOUT_S: Final = 60.0
"""How long a node may take to print its address (it first measures its throughput)."""
STOP_GRACE_S: Final = 20.0
"""How long a node may take to stop after SIGTERM before it is killed."""
API_TIMEOUT_S: Final = 10.0
LOG_TAIL_LINES: Final = 40


def free_port() -> int:
    """A TCP port free on loopback now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalNode:
    """One `novanode start` process: how it was started, and its printed address."""

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

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def launch(self) -> None:
        """Starts the process and waits for its first printed address; `LocalNetError` with its
        log's tail if it prints none."""
        self.spawn()
        self.wait_address()

    def spawn(self) -> None:
        """Starts the process (its address comes later: `wait_address`)."""
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                self.arguments, stdout=subprocess.PIPE, stderr=log, text=True, env=self.env
            )

    def wait_address(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Reads the first address the process prints; `LocalNetError` with its log's tail if
        it prints none within ``timeout_s``."""
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline().strip()
                if line:
                    self.address = line
                    return
            if self.process.poll() is not None:
                break
        code = self.process.poll()
        why = "still running" if code is None else f"exit status {code}"
        raise LocalNetError(
            f"node {self.name} printed no address within {timeout_s:g} s ({why}); "
            f"the end of its log {self.log_path}:\n{self.log_tail()}"
        )

    def api(self, path: str) -> Any:
        """``GET path`` on the node's local API: parsed JSON, or /metrics' text;
        `LocalNetError` with its log's tail if the node does not answer."""
        url = f"http://127.0.0.1:{self.api_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=API_TIMEOUT_S) as response:
                if path == "/metrics":
                    return response.read().decode()
                return json.load(response)
        except OSError as error:
            raise LocalNetError(
                f"node {self.name} did not answer {url} ({error}); "
                f"the end of its log {self.log_path}:\n{self.log_tail()}"
            ) from None

    def metrics(self) -> dict[str, float]:
        """Every series of the node's /metrics (name with its labels) and its value."""
        series: dict[str, float] = {}
        for line in self.api("/metrics").splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                series[key] = float(value)
        return series

    def metric(self, name: str, labels: str = "") -> float:
        """A metric's value from the node's /metrics (0 if absent)."""
        return self.metrics().get(f"{name}{{{labels}}}" if labels else name, 0.0)

    def peer_ids(self) -> set[str]:
        """The peers the node is connected to (its /peers)."""
        return {peer["peer_id"] for peer in self.api("/peers")["peers"]}

    def signal(self, signum: int) -> int:
        """Sends the signal and waits for the process to exit; its exit status."""
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        self._close_pipe()
        return code

    def reap(self) -> None:
        """Waits for the (signalled) process, killing it after `STOP_GRACE_S`."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_records(self) -> list[dict[str, object]]:
        """The node's JSON log records (it runs with ``--log-format json``)."""
        records = []
        for line in self.log_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records


class LocalNet:
    """Node processes with their data directories and logs under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: list[LocalNode] = []

    def start(
        self,
        name: str,
        *,
        bootstrap: Sequence[str] = (),
        capacity: int = 1,
        env: Mapping[str, str] | None = None,
    ) -> LocalNode:
        """Starts one node and waits for its address."""
        node = self._add(name, bootstrap, capacity, env)
        node.launch()
        return node

    def start_many(
        self, count: int, *, capacity: int = 1, together: bool = False
    ) -> list[LocalNode]:
        """``node-0`` … ``node-{count-1}``, each bootstrapping from ``node-0``: one after the
        other, or with ``together`` all but the first at once (a faster start on a machine
        with cores to spare; each measures its speed while the others do)."""
        first = self.start("node-0", capacity=capacity)
        names = [f"node-{i}" for i in range(1, count)]
        if not together:
            return [first] + [
                self.start(name, bootstrap=[first.address], capacity=capacity) for name in names
            ]
        rest = [self._add(name, [first.address], capacity, None) for name in names]
        for node in rest:
            node.spawn()
        rounds = math.ceil(len(rest) / (os.cpu_count() or 1))
        for node in rest:
            node.wait_address(START_TIMEOUT_S * max(1, rounds))
        return [first, *rest]

    def _add(
        self,
        name: str,
        bootstrap: Sequence[str],
        capacity: int,
        env: Mapping[str, str] | None,
    ) -> LocalNode:
        """A node (not started yet) in its own data directory, on a free API port."""
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
        node = LocalNode(
            name,
            data_dir,
            port,
            self.root / f"{name}.log",
            arguments,
            {**os.environ, **(env or {})},
        )
        self.nodes.append(node)
        return node

    def wait_connected(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Waits until every running node is connected to every other one; `LocalNetError`
        naming a node short of peers if they are not within ``timeout_s``."""
        running = [node for node in self.nodes if node.running]
        deadline = time.monotonic() + timeout_s
        ids = {node.peer_id for node in running}
        while True:
            for node in running:
                if not node.running:
                    raise LocalNetError(
                        f"node {node.name} exited; the end of its log {node.log_path}:\n"
                        f"{node.log_tail()}"
                    )
            seen = [(node, len(node.peer_ids() & (ids - {node.peer_id}))) for node in running]
            short = [(node, count) for node, count in seen if count < len(running) - 1]
            if not short:
                return
            if time.monotonic() > deadline:
                node, count = short[0]
                raise LocalNetError(
                    f"node {node.name} sees {count} of the other {len(running) - 1} nodes after "
                    f"{timeout_s:g} s; the end of its log {node.log_path}:\n{node.log_tail()}"
                )
            time.sleep(0.2)

    def restart(self, node: LocalNode) -> None:
        """Starts a stopped node again, bootstrapping from the nodes still running: it listens
        on a new port, so no peer can dial it at the address it knew (and the first node of
        `start_many` has no bootstrap peer of its own to find them again)."""
        node.restarts += 1
        running = [n.address for n in self.nodes if n is not node and n.running]
        if "--bootstrap" in node.arguments:
            del node.arguments[node.arguments.index("--bootstrap") :]
        if running:
            node.arguments += ["--bootstrap", *running]
        node.launch()

    def by_key(self, public_key: bytes) -> LocalNode:
        return next(n for n in self.nodes if n.public_key == public_key)

    def close(self) -> None:
        """Stops every node: SIGTERM to all at once, then each is waited for (and killed after
        `STOP_GRACE_S`)."""
        for node in self.nodes:
            if node.running:
                assert node.process is not None
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            node.reap()


@contextmanager
def open_localnet(root: Path | None = None) -> Iterator[LocalNet]:
    """A network under ``root``, or under a new temporary directory that is removed after;
    its nodes are stopped on exit, whatever the exit (an exception, Ctrl-C)."""
    directory = Path(tempfile.mkdtemp(prefix="novanode-localnet-")) if root is None else root
    net = LocalNet(directory)
    try:
        yield net
    finally:
        try:
            net.close()
        finally:
            if root is None:
                shutil.rmtree(directory, ignore_errors=True)
