"""The node's local HTTP API: what an operator's tools (`novanode status`, `novanode peers`,
Prometheus) read from a running node.

    GET /status    {"node_id", "version", "listen_addrs", "capacity", "uptime_s"}
    GET /jobs      {"jobs": [{"id", "state", "created_ms", "updated_ms"}, …]}, oldest first
    GET /peers     {"peers": [{"peer_id", "addrs", "score"}, …]}
    GET /metrics   the node's metrics in the Prometheus text format (`node.metrics`)

Every other path answers 404, another method 405. The server reads from a `NodeView`, a
read-only interface the job engine implements, so the API cannot change the node's state.

It listens on 127.0.0.1 unless told otherwise: it has no authentication, so it must not be
reachable from the network. Each connection serves one request and closes; a request's head is
at most `MAX_REQUEST_BYTES` (larger: 431), a request with a body is refused (413), and a client
gets `REQUEST_TIMEOUT_S` for the whole exchange, so a slow or hostile client holds a connection
for a bounded time, and at most `MAX_CONNECTIONS` are served at once. A view that raises
answers 500 and is logged; the server goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final, Protocol

import h11
import trio

from node.jobstore import JobRecord
from node.logs import ROOT_LOGGER, log_event
from node.metrics import CONTENT_TYPE, NodeMetrics

DEFAULT_HOST: Final = "127.0.0.1"
MAX_REQUEST_BYTES: Final = 8 * 1024
REQUEST_TIMEOUT_S: Final = 10.0
MAX_CONNECTIONS: Final = 16
_RECEIVE_BYTES: Final = 4096
_JSON: Final = "application/json"


@dataclass(frozen=True)
class NodeStatus:
    """What ``GET /status`` reports."""

    node_id: str
    version: str
    listen_addrs: tuple[str, ...]
    capacity: int
    uptime_s: float


@dataclass(frozen=True)
class PeerInfo:
    """A connected peer as ``GET /peers`` reports it."""

    peer_id: str
    addrs: tuple[str, ...]
    score: float


class NodeView(Protocol):
    """The read-only face of a running node that the API serves."""

    def status(self) -> NodeStatus: ...

    def jobs(self) -> Sequence[JobRecord]: ...

    def peers(self) -> Sequence[PeerInfo]: ...

    @property
    def metrics(self) -> NodeMetrics: ...


async def open_api_listeners(port: int, host: str = DEFAULT_HOST) -> Sequence[trio.SocketListener]:
    """Listens on ``host``:``port`` (port 0: any free port, read from the listener's socket)."""
    return await trio.open_tcp_listeners(port, host=host)


async def serve_api(view: NodeView, listeners: Sequence[trio.SocketListener]) -> None:
    """Serves the API on ``listeners`` (`open_api_listeners`) until cancelled."""
    limiter = trio.CapacityLimiter(MAX_CONNECTIONS)
    logger = logging.getLogger(f"{ROOT_LOGGER}.api")
    handler = partial(_serve_connection, view, limiter, logger)
    await trio.serve_listeners(handler, list(listeners))


async def _serve_connection(
    view: NodeView, limiter: trio.CapacityLimiter, logger: logging.Logger, stream: trio.SocketStream
) -> None:
    async with limiter, stream:
        started = time.monotonic()
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_REQUEST_BYTES)
        with trio.move_on_after(REQUEST_TIMEOUT_S) as scope:
            method, target, status = "-", "-", 0
            try:
                request = await _receive_request(connection, stream)
                method, target = request.method.decode(), request.target.decode("ascii", "replace")
                status, content_type, body = _respond(view, request)
            except h11.RemoteProtocolError as error:
                status, content_type, body = error.error_status_hint, _JSON, _error(str(error))
            except trio.BrokenResourceError:
                return
            except Exception:
                # A failing view (a database error, say) costs its request, not the server.
                log_event(logger, logging.ERROR, "api view failed", exc_info=True, path=target)
                status, content_type, body = 500, _JSON, _error("the node failed to answer")
            if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                await _send(connection, stream, status, content_type, body)
        log_event(
            logger,
            logging.INFO if not scope.cancelled_caught else logging.WARNING,
            "api request" if not scope.cancelled_caught else "api request timed out",
            method=method,
            path=target,
            status=status,
            ms=round((time.monotonic() - started) * 1000, 1),
        )


async def _receive_request(connection: h11.Connection, stream: trio.SocketStream) -> h11.Request:
    while True:
        event = connection.next_event()
        if isinstance(event, h11.Request):
            return event
        if event is h11.NEED_DATA:
            data = await stream.receive_some(_RECEIVE_BYTES)
            connection.receive_data(data)
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            raise h11.RemoteProtocolError("connection closed before a full request", 400)


def _respond(view: NodeView, request: h11.Request) -> tuple[int, str, bytes]:
    headers = dict(request.headers)
    if headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers:
        return 413, _JSON, _error("this API takes no request bodies")
    path = request.target.split(b"?", 1)[0].decode("ascii", "replace")
    route = _ROUTES.get(path)
    if route is None:
        return 404, _JSON, _error(f"no such path {path!r}; try {', '.join(_ROUTES)}")
    if request.method != b"GET":
        return 405, _JSON, _error(f"{path} answers GET only")
    content_type, body = route(view)
    return 200, content_type, body


def _json(value: dict[str, object]) -> tuple[str, bytes]:
    return _JSON, json.dumps(value, separators=(",", ":")).encode()


def _status(view: NodeView) -> tuple[str, bytes]:
    status = view.status()
    return _json(
        {
            "node_id": status.node_id,
            "version": status.version,
            "listen_addrs": list(status.listen_addrs),
            "capacity": status.capacity,
            "uptime_s": round(status.uptime_s, 3),
        }
    )


def _jobs(view: NodeView) -> tuple[str, bytes]:
    jobs = [
        {
            "id": job.id.hex(),
            "state": job.state.value,
            "created_ms": job.created_ms,
            "updated_ms": job.updated_ms,
        }
        for job in view.jobs()
    ]
    return _json({"jobs": jobs})


def _peers(view: NodeView) -> tuple[str, bytes]:
    peers = [
        {"peer_id": peer.peer_id, "addrs": list(peer.addrs), "score": peer.score}
        for peer in view.peers()
    ]
    return _json({"peers": peers})


def _metrics(view: NodeView) -> tuple[str, bytes]:
    return CONTENT_TYPE, view.metrics.exposition()


_ROUTES: Final = {"/status": _status, "/jobs": _jobs, "/peers": _peers, "/metrics": _metrics}


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


async def _send(
    connection: h11.Connection,
    stream: trio.SocketStream,
    status: int,
    content_type: str,
    body: bytes,
) -> None:
    headers = [
        ("content-type", content_type),
        ("content-length", str(len(body))),
        ("connection", "close"),
    ]
    data = connection.send(h11.Response(status_code=status, headers=headers))
    data += connection.send(h11.Data(data=body)) or b""
    data += connection.send(h11.EndOfMessage()) or b""
    try:
        await stream.send_all(data or b"")
    except trio.BrokenResourceError:
        return
