"""`novanode start`'s configuration: a TOML file whose keys are the command's long options,
each of which the command line overrides.

    listen = "/ip4/0.0.0.0/tcp/4001"      # where the host listens (TCP; port 0: any free port)
    bootstrap = ["/ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…"]   # peers to dial at start
    data-dir = "~/.novanode"               # key, job database, blobs (`node.datadir`)
    capacity = 2                           # tasks proven at once: the free slots it announces
    api-port = 8740                        # the local HTTP API, on 127.0.0.1
    log-level = "info"                     # debug, info, warning or error
    log-format = "text"                    # text (key=value) or json: one log record a line

Every key is optional. A file is read whole and checked before the node does anything: an
unknown key (a typo would otherwise silently keep a default), a value of the wrong type or out
of range, or an address that is not a usable multiaddr raises `ConfigError` naming the file and
key (or the option) and what to write instead. `format_config` writes the effective
configuration back as a file of this format.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

import multiaddr

from node.datadir import DEFAULT_DATA_DIR
from node.errors import ConfigError
from protocol import identity
from protocol.errors import ProtocolError
from protocol.limits import MAX_SLOTS

LOG_LEVELS: Final = ("debug", "info", "warning", "error")
LOG_FORMATS: Final = ("text", "json")
_IP_PROTOCOLS: Final = ("ip4", "ip6")
_HOST_PROTOCOLS: Final = ("ip4", "ip6", "dns", "dns4", "dns6")


@dataclass(frozen=True)
class NodeConfig:
    """The effective configuration of a node; the defaults are those of a file with no keys."""

    listen: str = "/ip4/0.0.0.0/tcp/4001"
    bootstrap: tuple[str, ...] = ()
    data_dir: Path = DEFAULT_DATA_DIR
    capacity: int = 1
    api_port: int = 8740
    log_level: str = "info"
    log_format: str = "text"


def load_config(path: Path | None, overrides: Mapping[str, object] | None = None) -> NodeConfig:
    """The configuration of the file at ``path`` (none: the defaults) with ``overrides`` (keys as
    in the file; a value of None is no override) applied on top."""
    values: dict[str, object] = {}
    if path is not None:
        for key, value in _read_table(path).items():
            parse = _PARSERS.get(key)
            if parse is None:
                raise ConfigError(f"{path}: key {key!r}", _unknown_key_hint(key))
            values[key] = parse(value, f"{path}: key {key!r}")
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _PARSERS[key](value, f"--{key}")
    # Each value was checked by its key's parser, which returns the field's type.
    checked: dict[str, Any] = {key.replace("-", "_"): value for key, value in values.items()}
    return NodeConfig(**checked)


def format_config(config: NodeConfig) -> str:
    """``config`` as the TOML file that `load_config` reads back to the same configuration."""
    lines = []
    for field in fields(config):
        value = getattr(config, field.name)
        if isinstance(value, tuple):
            text = "[" + ", ".join(json.dumps(item) for item in value) + "]"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = json.dumps(str(value))
        lines.append(f"{field.name.replace('_', '-')} = {text}")
    return "\n".join(lines) + "\n"


def _read_table(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        reason = error.strerror or error
        raise ConfigError(str(path), f"cannot read the config file: {reason}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), f"not valid TOML ({error}); fix the syntax there") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "not valid TOML: a config file is UTF-8 text") from None


def _unknown_key_hint(key: str) -> str:
    close = difflib.get_close_matches(key, _PARSERS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key; {hint}the keys are {', '.join(_PARSERS)}"


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(where, f"expected a string in quotes, got {_describe(value)}")
    return value


def _integer(value: object, where: str, low: int, high: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(where, f"expected an integer ({what}), got {_describe(value)}")
    if not low <= value <= high:
        raise ConfigError(where, f"{value} is out of range: {what} is {low} to {high}")
    return value


def _multiaddr(text: str, where: str, example: str) -> list[tuple[str, str]]:
    try:
        address = multiaddr.Multiaddr(text)
        return [(p.name, str(address.value_for_protocol(p.code))) for p in address.protocols()]
    except Exception as error:
        raise ConfigError(
            where, f"{text!r} is not a multiaddr ({error}); write e.g. {example}"
        ) from None


def _listen(value: object, where: str) -> str:
    text = _string(value, where)
    example = '"/ip4/0.0.0.0/tcp/4001"'
    parts = _multiaddr(text, where, example)
    if len(parts) != 2 or parts[0][0] not in _IP_PROTOCOLS or parts[1][0] != "tcp":
        raise ConfigError(
            where,
            f"{text!r} is not a listen address: the node listens on an IP address and a TCP "
            f"port and nothing else (its peer id comes from its key), e.g. {example}",
        )
    return text


def _bootstrap(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ConfigError(where, f"expected a list of peer addresses, got {_describe(value)}")
    return tuple(_peer_address(item, f"{where}[{i}]") for i, item in enumerate(value))


def _peer_address(value: object, where: str) -> str:
    text = _string(value, where)
    example = '"/ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…" (what that node prints when it starts)'
    parts = _multiaddr(text, where, example)
    names = [name for name, _ in parts]
    if len(parts) != 3 or names[0] not in _HOST_PROTOCOLS or names[1:] != ["tcp", "p2p"]:
        raise ConfigError(
            where,
            f"{text!r} is not a full peer address: it needs a host, a TCP port and the "
            f"peer id, e.g. {example}",
        )
    try:
        identity.public_key_from_peer_id(parts[2][1])
    except ProtocolError:
        raise ConfigError(
            where,
            f"the peer id in {text!r} is not a novanode peer id (an Ed25519 key, "
            "starting 12D3KooW); copy the address the node printed",
        ) from None
    return text


def _data_dir(value: object, where: str) -> Path:
    text = str(value) if isinstance(value, Path) else _string(value, where)
    if not text:
        raise ConfigError(where, 'empty path; name a directory, e.g. "~/.novanode"')
    return Path(text)


def _capacity(value: object, where: str) -> int:
    return _integer(value, where, 1, MAX_SLOTS, "the number of tasks proven at once")


def _api_port(value: object, where: str) -> int:
    return _integer(value, where, 1, 65535, "a TCP port")


def _log_level(value: object, where: str) -> str:
    text = _string(value, where)
    if text.lower() not in LOG_LEVELS:
        raise ConfigError(where, f"{text!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return text.lower()


def _log_format(value: object, where: str) -> str:
    text = _string(value, where)
    if text.lower() not in LOG_FORMATS:
        raise ConfigError(where, f"{text!r} is not a log format; use text or json")
    return text.lower()


def _describe(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names |= {list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__) + f" ({value!r})"


_PARSERS: Final[dict[str, Callable[[object, str], object]]] = {
    "listen": _listen,
    "bootstrap": _bootstrap,
    "data-dir": _data_dir,
    "capacity": _capacity,
    "api-port": _api_port,
    "log-level": _log_level,
    "log-format": _log_format,
}
