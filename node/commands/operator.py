"""`novanode keygen` and `novanode config-check`: an operator's set-up before `novanode start`.

`keygen` creates the data directory if needed (`node.datadir`, locked while it works, so it
cannot replace the key of a running node) and writes a new identity to it (`node.keyfile`);
it prints the peer id on stdout. `config-check` reads the configuration `start` would use (the
file, then the command-line overrides, `node.config`), prints it as a config file, and says
whether the data directory holds a usable key.

Exit codes: 0 success, 2 a configuration, directory or key that cannot be used (named on stderr
with the fix).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from node.config import format_config, load_config
from node.datadir import DEFAULT_DATA_DIR, DataDir, open_data_dir
from node.errors import NodeError
from node.keyfile import generate_key, load_key
from protocol import identity

OK, UNUSABLE = 0, 2


def keygen(
    data_dir: Path | None,
    *,
    force: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Writes a new node key into ``data_dir`` (default ~/.novanode) and prints its peer id."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        with open_data_dir(data_dir or DEFAULT_DATA_DIR) as directory:
            key = generate_key(directory.key_path, force=force)
    except NodeError as error:
        print(f"novanode keygen: {error}", file=err)
        return UNUSABLE
    print(f"wrote {directory.key_path}", file=err)
    print(identity.peer_id(identity.public_key_of(key)), file=out)
    return OK


def config_check(
    config_path: Path | None,
    overrides: Mapping[str, object],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Prints the effective configuration and the peer id of the data directory's key."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        config = load_config(config_path, overrides)
        key_path = DataDir(config.data_dir.expanduser()).key_path
        if key_path.exists():
            key_note = f"# peer id {identity.peer_id(identity.public_key_of(load_key(key_path)))}"
        else:
            key_note = f"# no node key yet: `novanode keygen --data-dir {config.data_dir}`"
    except NodeError as error:
        print(f"novanode config-check: {error}", file=err)
        return UNUSABLE
    print(format_config(config) + key_note, file=out)
    return OK
