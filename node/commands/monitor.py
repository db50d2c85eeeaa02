"""`novanode status` and `novanode peers`: a running node's state, read from its local API.

Both ask ``http://127.0.0.1:PORT`` (`node.api`), the port being ``--api-port`` or else the
config's ``api-port`` (`node.config`), and print what they get for a person at a terminal.

Exit codes: 0 success, 2 no node answering on that port, or an unusable configuration (named
on stderr with the fix).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TextIO

from node.api import DEFAULT_HOST
from node.config import load_config
from node.errors import ApiUnreachableError, NodeError

OK, UNUSABLE = 0, 2
TIMEOUT_S: Final = 5.0


def status(
    config_path: Path | None,
    overrides: Mapping[str, object],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Prints the node's id, version, addresses, capacity and uptime."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        report = _get(config_path, overrides, "/status")
    except NodeError as error:
        print(f"novanode status: {error}", file=err)
        return UNUSABLE
    print(f"node      {report['node_id']}", file=out)
    print(f"version   {report['version']}", file=out)
    for index, address in enumerate(report["listen_addrs"]):
        print(f"{'listen' if index == 0 else '':<9} {address}", file=out)
    print(f"capacity  {report['capacity']}", file=out)
    print(f"uptime    {_duration(report['uptime_s'])}", file=out)
    return OK


def peers(
    config_path: Path | None,
    overrides: Mapping[str, object],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Prints one line per connected peer: its id, score and addresses."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        report = _get(config_path, overrides, "/peers")
    except NodeError as error:
        print(f"novanode peers: {error}", file=err)
        return UNUSABLE
    connected = report["peers"]
    print(f"{len(connected)} peer{'' if len(connected) == 1 else 's'}", file=out)
    for peer in connected:
        print(f"{peer['peer_id']}  score {peer['score']:g}  {' '.join(peer['addrs'])}", file=out)
    return OK


def _get(config_path: Path | None, overrides: Mapping[str, object], path: str) -> Any:
    port = load_config(config_path, overrides).api_port
    url = f"http://{DEFAULT_HOST}:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise ApiUnreachableError(
            f"{url} answered {error.code}: is a novanode listening there?"
        ) from None
    except ValueError:
        raise ApiUnreachableError(
            f"{url} answered with something other than JSON: is a novanode listening there?"
        ) from None
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise ApiUnreachableError(
            f"no node is listening on {DEFAULT_HOST}:{port} ({reason}); start one with "
            "`novanode start`, or pass the port it uses with --api-port"
        ) from None


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    clock = f"{hours:02}h {minutes:02}m {secs:02}s"
    return f"{days}d {clock}" if days else clock
