"""The node's Ed25519 identity on disk (SPEC.md §4.1).

The file holds the key's 32-byte seed in hex under a one-line header naming the format:

    novanode-ed25519-seed-v1
    <64 hex digits>

Text, so an operator can tell what the file is and a damaged one gets a precise error; the
header, so a file of another format or version is never taken for a seed. The same key signs the
node's messages and is its libp2p host key, so the file *is* the node's identity: it is written
atomically with mode 0600 (`node.atomic`), never replaced without `force`, and refused at load if
other users can read it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nacl.signing import SigningKey

from node.atomic import write_file
from node.datadir import SECRET_MODE
from node.errors import KeyFileError
from protocol import identity

HEADER = "novanode-ed25519-seed-v1"
_SEED_HEX_DIGITS = 64


def encode_key(key: SigningKey) -> bytes:
    """The key file's bytes for ``key``."""
    return f"{HEADER}\n{bytes(key).hex()}\n".encode("ascii")


def generate_key(path: Path, *, force: bool = False) -> SigningKey:
    """A new random identity written to ``path``; an existing key file is kept unless ``force``."""
    key = SigningKey.generate()
    try:
        write_file(path, encode_key(key), mode=SECRET_MODE, replace=force)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already holds a node key ({_describe(path)}); pass --force to replace it "
            "(the node then gets a new peer id, and peers that list the old one lose it)"
        ) from None
    except OSError as error:
        raise KeyFileError(f"cannot write {path}: {error.strerror or error}") from None
    return key


def load_key(path: Path) -> SigningKey:
    """The identity in ``path``, after checking that only its owner can read it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyFileError(
            f"no node key at {path}; create one with `novanode keygen --data-dir {path.parent}`"
        ) from None
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror or error}") from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise KeyFileError(f"{path} is not a file; move it away and run `novanode keygen`")
    with os.fdopen(descriptor, "rb") as file:
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"{path} is readable by other users (mode {mode:o}); anyone who reads it can "
                f"sign as this node: run `chmod 600 {path}`, or `novanode keygen --force` for a "
                "new identity if others may have read it"
            )
        data = file.read(len(HEADER) + _SEED_HEX_DIGITS + 3)
    return _decode(path, data)


def _decode(path: Path, data: bytes) -> SigningKey:
    lines = data.decode("ascii", "replace").split("\n")
    if lines[0] != HEADER:
        raise KeyFileError(
            f"{path} is not a novanode key file (its first line is not {HEADER!r}); restore the "
            "file, or create a new identity with `novanode keygen --force`"
        )
    if len(lines) != 3 or lines[2] != "" or len(lines[1]) != _SEED_HEX_DIGITS:
        raise KeyFileError(
            f"{path} is damaged: after the header it must hold one line of "
            f"{_SEED_HEX_DIGITS} hex digits; restore it, or run `novanode keygen --force`"
        )
    try:
        seed = bytes.fromhex(lines[1])
    except ValueError:
        raise KeyFileError(
            f"{path} is damaged: its seed is not hex; restore it, or run `novanode keygen --force`"
        ) from None
    return identity.signing_key_from_seed(seed)


def _describe(path: Path) -> str:
    try:
        return f"peer id {identity.peer_id(identity.public_key_of(load_key(path)))}"
    except KeyFileError as error:
        return f"unusable: {error}"
