"""`novanode start`: run an operator's node until SIGINT or SIGTERM.

It reads the configuration (`node.config`: a TOML file and the command line's overrides),
opens and locks the data directory, loads the node's key (creating one on first start, as
`novanode keygen` would), measures the node's throughput with a short self-benchmark
(`node.capacity.measure_cps`), and runs the node (`node.runtime`) with its local HTTP API. As
soon as it listens it prints its full addresses, one per line, ``/ip4/…/tcp/…/p2p/<peer id>``:
what other operators pass as ``--bootstrap``.

SIGINT or SIGTERM stops it cleanly: the job runners are cancelled, and since every finished node
was stored (blob store, then job database) before it was used, the node's work is checkpointed
at node granularity: a restart resumes its jobs, losing at most the nodes being proven.

Exit codes: 0 after a clean shutdown, 2 for an unusable configuration, data directory or key
(named on stderr with the fix).
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import multiaddr
import trio

from node.api import open_api_listeners, serve_api
from node.capacity import measure_cps
from node.config import NodeConfig, load_config
from node.datadir import DataDir, open_data_dir
from node.errors import NodeError
from node.keyfile import generate_key, load_key
from node.logs import configure_logging, log_event
from node.misbehaviour import Misbehaviour
from node.net.errors import NetError
from node.runtime import NodeSettings, open_node

OK, UNUSABLE = 0, 2
logger = logging.getLogger("novanode.start")
MODULE_LOGGERS = ("node", "crypto")
"""Modules that log under their own names (refused streams and gossip in ``node.net``, damaged
blobs, circom's log): their records go to the node's log too."""


def start(
    config_path: Path | None,
    overrides: Mapping[str, object],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Runs the node until a signal stops it; see the module docstring."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        config = load_config(config_path, overrides)
        configure_logging(config.log_level, config.log_format, err, also=MODULE_LOGGERS)
        with open_data_dir(config.data_dir) as data_dir:
            key_path = data_dir.key_path
            if key_path.exists():
                key = load_key(key_path)
            else:
                key = generate_key(key_path)
                log_event(logger, logging.INFO, "created the node key", path=str(key_path))
            throughput = measure_cps(data_dir.root / "cache")
            log_event(
                logger,
                logging.INFO,
                "measured throughput",
                cps=throughput.cps,
                seconds_per_node=round(throughput.seconds_per_node, 3),
            )
            settings = NodeSettings(
                key,
                data_dir,
                listen=config.listen,
                bootstrap=config.bootstrap,
                slots=config.capacity,
                cps=throughput.cps,
                misbehaviour=Misbehaviour.from_environment(),
            )
            trio.run(_serve, settings, config, data_dir, out)
    except (NodeError, NetError) as error:
        print(f"novanode start: {error}", file=err)
        return UNUSABLE
    return OK


async def _serve(
    settings: NodeSettings, config: NodeConfig, data_dir: DataDir, out: TextIO
) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_node(settings) as node, trio.open_nursery() as nursery:
            listeners = await open_api_listeners(config.api_port)
            nursery.start_soon(serve_api, node, listeners)
            for address in dialable(node.host.listen_addrs()):
                print(address, file=out, flush=True)
            port = listeners[0].socket.getsockname()[1]
            log_event(
                logger,
                logging.INFO,
                "node started",
                peer_id=node.host.peer_id,
                api=f"http://127.0.0.1:{port}",
                data_dir=str(data_dir.root),
            )
            async for received in signals:
                log_event(
                    logger,
                    logging.INFO,
                    "shutting down",
                    signal=signal.Signals(received).name,
                    jobs=len(node.runners),
                )
                break
            nursery.cancel_scope.cancel()
    log_event(logger, logging.INFO, "stopped")


def dialable(addresses: list[str]) -> list[str]:
    """The node's full addresses with a wildcard listen address (0.0.0.0, ::) replaced by this
    machine's own addresses, which another machine can dial."""
    found: list[str] = []
    for text in addresses:
        address = multiaddr.Multiaddr(text)
        protocols = [p.name for p in address.protocols()]
        host = address.value_for_protocol(protocols[0])
        if host not in ("0.0.0.0", "::"):
            found.append(text)
            continue
        rest = text.split(f"/{host}", 1)[1]
        for local in _local_addresses(protocols[0]):
            found.append(f"/{protocols[0]}/{local}{rest}")
    return list(dict.fromkeys(found))


def _local_addresses(family: str) -> list[str]:
    kind = socket.AF_INET if family == "ip4" else socket.AF_INET6
    addresses = {"127.0.0.1"} if family == "ip4" else {"::1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, kind):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(addresses, key=lambda a: (ipaddress.ip_address(a).is_loopback, a))
