"""`novanode start` as an operator runs it: addresses printed, API up, clean stop on a signal."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from swarm import swarm

from node.commands.start import dialable
from protocol import identity

FULL_ADDRESS = re.compile(r"^/ip4/127\.0\.0\.1/tcp/\d+/p2p/12D3KooW[1-9A-HJ-NP-Za-km-z]+$")


def novanode(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node.cli", *arguments], capture_output=True, text=True, timeout=60
    )


def test_start_prints_its_address_serves_its_api_and_stops_cleanly(tmp_path: Path) -> None:
    with swarm(tmp_path) as running:
        node = running.start("operator")
        assert FULL_ADDRESS.match(node.address), node.address
        status = node.api("/status")
        assert isinstance(status, dict)
        assert status["node_id"] == node.peer_id
        assert status["capacity"] == 1
        assert (node.data_dir / "node.key").is_file()
        printed = novanode("status", "--api-port", str(node.api_port))
        assert printed.returncode == 0 and node.peer_id in printed.stdout
        assert node.signal(signal.SIGTERM) == 0
        events = [record.get("event") for record in node.log_records()]
        assert "measured throughput" in events
        assert "shutting down" in events and events[-1] == "stopped"


def test_a_restarted_node_keeps_its_identity(tmp_path: Path) -> None:
    with swarm(tmp_path) as running:
        node = running.start("operator")
        first = node.peer_id
        assert node.signal(signal.SIGINT) == 0
        running.restart(node)
        assert node.peer_id == first


def test_a_second_node_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    with swarm(tmp_path) as running:
        node = running.start("operator")
        second = novanode("start", "--data-dir", str(node.data_dir), "--api-port", "1")
        assert second.returncode == 2
        assert "in use by process" in second.stderr


def test_a_config_mistake_names_the_key_and_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("capcity = 2\n")
    result = novanode("start", "--config", str(config))
    assert result.returncode == 2
    assert "capcity" in result.stderr and "did you mean 'capacity'" in result.stderr


def test_wildcard_listen_addresses_are_printed_as_dialable_ones() -> None:
    peer = identity.peer_id(bytes(32))
    printed = dialable([f"/ip4/0.0.0.0/tcp/4001/p2p/{peer}"])
    assert f"/ip4/127.0.0.1/tcp/4001/p2p/{peer}" in printed
    assert all("0.0.0.0" not in address for address in printed)
    assert dialable([f"/ip4/10.1.2.3/tcp/4001/p2p/{peer}"]) == [
        f"/ip4/10.1.2.3/tcp/4001/p2p/{peer}"
    ]
