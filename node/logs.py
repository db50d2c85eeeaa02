"""Structured logs: one record a line, as ``key=value`` pairs or as one JSON object.

A record is an *event* (a short fixed phrase such as ``"api request"``) and fields, so a log is
searched and counted by machine, not parsed from prose. `log_event` writes one; `configure_logging`
sets the ``novanode`` logger's level and format from the config's ``log-level`` and
``log-format`` (`node.config`). Every record carries ``ts`` (UTC, ISO 8601, milliseconds),
``level``, ``logger`` and ``event``, then its fields in the order given.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Final, TextIO

ROOT_LOGGER: Final = "novanode"
_FIELDS: Final = "novanode_fields"


def log_event(
    logger: logging.Logger, level: int, event: str, *, exc_info: bool = False, **fields: object
) -> None:
    """Writes ``event`` with ``fields`` (values JSON-able or shown by `str`) at ``level``; with
    ``exc_info``, the exception being handled goes in an ``error`` field."""
    logger.log(level, event, exc_info=exc_info, extra={_FIELDS: fields})


class _StructuredFormatter(logging.Formatter):
    def pairs(self, record: logging.LogRecord) -> dict[str, object]:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        pairs: dict[str, object] = {
            "ts": stamp.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        pairs.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            pairs["error"] = self.formatException(record.exc_info)
        return pairs


class JsonFormatter(_StructuredFormatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.pairs(record), default=str, ensure_ascii=False)


class KeyValueFormatter(_StructuredFormatter):
    """``key=value`` pairs; a value with spaces, quotes or ``=`` is written as a JSON string."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_value(value)}" for key, value in self.pairs(record).items())


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if not text or any(c in text for c in ' "=\n\t'):
        return json.dumps(text)
    return text


def configure_logging(
    level: str,
    log_format: str,
    stream: TextIO | None = None,
    also: tuple[str, ...] = (),
) -> logging.Logger:
    """The ``novanode`` logger writing to ``stream`` (default stderr) at ``level`` (a config
    ``log-level``) in ``log_format`` (``text`` or ``json``); replaces an earlier configuration.
    The loggers named in ``also`` (modules that log under their own names, such as ``node`` for
    ``node.net.*``) write through the same handler at the same level."""
    formatter = JsonFormatter() if log_format == "json" else KeyValueFormatter()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    for name in (ROOT_LOGGER, *also):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False
    return logging.getLogger(ROOT_LOGGER)
