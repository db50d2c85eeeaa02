"""The local HTTP API served for real on a loopback port, and the commands that read it."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from node import api
from node.api import NodeStatus, PeerInfo, open_api_listeners, serve_api
from node.cli import main
from node.commands import monitor
from node.errors import JobStoreError
from node.jobstore import JobRecord, JobStore
from node.logs import ROOT_LOGGER, configure_logging
from node.metrics import NodeMetrics
from protocol.lifecycle import JobState

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`configure_logging` sets the process's ``novanode`` logger; each test starts afresh."""
    logger = logging.getLogger(ROOT_LOGGER)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    handlers, level, propagate = saved
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


PEER = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"


class FakeNode:
    """A `NodeView` over a real job database and fixed status and peers."""

    def __init__(self, tmp_path: Path) -> None:
        self.store = JobStore(tmp_path / "jobs.sqlite", now_ms=1000)
        self.store.add_job(b"\x01" * 32, b"announcement", positions=2, now_ms=1000)
        self.store.add_job(b"\x02" * 32, b"announcement", positions=1, now_ms=2000)
        self.metrics = NodeMetrics()
        self.metrics.leaves_proven.inc(7)

    def status(self) -> NodeStatus:
        return NodeStatus(PEER, "0.1.0", ("/ip4/127.0.0.1/tcp/4001",), 2, 3725.5)

    def jobs(self) -> Sequence[JobRecord]:
        return self.store.jobs()

    def peers(self) -> Sequence[PeerInfo]:
        return [PeerInfo(PEER, ("/ip4/192.0.2.7/tcp/4001",), 12.5)]


def _with_api(view: FakeNode, client: Callable[[int], Awaitable[T]]) -> T:
    async def run() -> T:
        async with trio.open_nursery() as nursery:
            listeners = await open_api_listeners(0)
            nursery.start_soon(serve_api, view, listeners)
            result = await client(listeners[0].socket.getsockname()[1])
            nursery.cancel_scope.cancel()
        return result

    return trio.run(run)


async def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends ``request`` raw and reads until the server closes: (status, headers, body)."""
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        async with stream:
            await stream.send_all(request)
            data = b""
            while chunk := await stream.receive_some(65536):
                data += chunk
    if not data:
        return 0, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split(" ")[1]), headers, body


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


def test_status_jobs_and_peers_answer_json(tmp_path: Path) -> None:
    node = FakeNode(tmp_path)

    async def client(port: int) -> list[tuple[int, dict[str, str], bytes]]:
        return [await _exchange(port, _get(p)) for p in ("/status", "/jobs", "/peers")]

    (s1, h1, status), (s2, _, jobs), (s3, _, peers) = _with_api(node, client)
    assert (s1, s2, s3) == (200, 200, 200)
    assert h1["content-type"] == "application/json"
    assert json.loads(status) == {
        "node_id": PEER,
        "version": "0.1.0",
        "listen_addrs": ["/ip4/127.0.0.1/tcp/4001"],
        "capacity": 2,
        "uptime_s": 3725.5,
    }
    assert json.loads(jobs) == {
        "jobs": [
            {
                "id": "01" * 32,
                "state": JobState.ANNOUNCED.value,
                "created_ms": 1000,
                "updated_ms": 1000,
            },
            {
                "id": "02" * 32,
                "state": JobState.ANNOUNCED.value,
                "created_ms": 2000,
                "updated_ms": 2000,
            },
        ]
    }
    assert json.loads(peers) == {
        "peers": [{"peer_id": PEER, "addrs": ["/ip4/192.0.2.7/tcp/4001"], "score": 12.5}]
    }


def test_metrics_are_served_in_the_prometheus_text_format(tmp_path: Path) -> None:
    status, headers, body = _with_api(
        FakeNode(tmp_path), lambda port: _exchange(port, _get("/metrics"))
    )
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }
    assert samples["novanode_leaves_proven_total"] == 7


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (_get("/"), 404),
        (_get("/status/extra"), 404),
        (b"POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        (b"GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 413),
        (b"GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10_000, 431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
    ],
)
def test_other_requests_are_refused(tmp_path: Path, request_bytes: bytes, expected: int) -> None:
    status, _, body = _with_api(FakeNode(tmp_path), lambda port: _exchange(port, request_bytes))
    assert status == expected
    assert "error" in json.loads(body)


class BrokenNode(FakeNode):
    def jobs(self) -> Sequence[JobRecord]:
        raise JobStoreError("the job database is not one")


def test_a_failing_view_answers_500_and_the_server_goes_on(tmp_path: Path) -> None:
    lines = io.StringIO()
    configure_logging("info", "json", lines)

    async def client(port: int) -> tuple[int, int]:
        failed, _, _ = await _exchange(port, _get("/jobs"))
        after, _, _ = await _exchange(port, _get("/status"))
        return failed, after

    assert _with_api(BrokenNode(tmp_path), client) == (500, 200)
    failure = next(
        json.loads(line) for line in lines.getvalue().splitlines() if "view failed" in line
    )
    assert failure["level"] == "error"
    assert "the job database is not one" in failure["error"]


def test_a_silent_client_is_dropped_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "REQUEST_TIMEOUT_S", 0.2)
    status, _, _ = _with_api(FakeNode(tmp_path), lambda port: _exchange(port, b""))
    assert status == 0


def test_each_request_is_logged_as_one_json_line(tmp_path: Path) -> None:
    lines = io.StringIO()
    configure_logging("info", "json", lines)
    _with_api(FakeNode(tmp_path), lambda port: _exchange(port, _get("/peers")))
    record = json.loads(lines.getvalue().splitlines()[-1])
    assert record["event"] == "api request"
    assert (record["method"], record["path"], record["status"]) == ("GET", "/peers", 200)
    assert record["level"] == "info"


def test_key_value_logs_quote_values_with_spaces(tmp_path: Path) -> None:
    lines = io.StringIO()
    configure_logging("info", "text", lines)
    _with_api(FakeNode(tmp_path), lambda port: _exchange(port, _get("/nowhere")))
    line = lines.getvalue().splitlines()[-1]
    assert 'event="api request"' in line
    assert "path=/nowhere status=404" in line


def test_status_and_peers_commands_print_the_running_node(tmp_path: Path) -> None:
    async def client(port: int) -> list[tuple[int, str]]:
        results = []
        for command in (monitor.status, monitor.peers):
            out = io.StringIO()
            code = await trio.to_thread.run_sync(
                lambda c=command, o=out: c(None, {"api-port": port}, out=o)
            )
            results.append((code, out.getvalue()))
        return results

    (status_code, status_text), (peers_code, peers_text) = _with_api(FakeNode(tmp_path), client)
    assert status_code == peers_code == 0
    assert f"node      {PEER}" in status_text
    assert "listen    /ip4/127.0.0.1/tcp/4001" in status_text
    assert "uptime    01h 02m 05s" in status_text
    assert peers_text.splitlines() == ["1 peer", f"{PEER}  score 12.5  /ip4/192.0.2.7/tcp/4001"]


def test_commands_exit_2_when_something_else_answers(tmp_path: Path) -> None:
    async def other_server(stream: trio.SocketStream) -> None:
        async with stream:
            await stream.receive_some(4096)
            await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")

    async def run() -> tuple[int, str]:
        async with trio.open_nursery() as nursery:
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            nursery.start_soon(trio.serve_listeners, other_server, listeners)
            port = listeners[0].socket.getsockname()[1]
            err = io.StringIO()
            code = await trio.to_thread.run_sync(
                lambda: monitor.status(None, {"api-port": port}, err=err)
            )
            nursery.cancel_scope.cancel()
        return code, err.getvalue()

    code, err = trio.run(run)
    assert code == 2
    assert "something other than JSON" in err


@pytest.mark.parametrize("command", ["status", "peers"])
def test_commands_exit_2_when_no_node_listens(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main([command, "--api-port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"no node is listening on 127.0.0.1:{port}" in err
    assert "--api-port" in err
