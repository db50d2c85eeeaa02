"""Proven nodes kept on disk, so that an interrupted job restarts without proving them again.

A store is a directory of node files, each the node's canonical CBOR blob (`crypto.tree.encoding`,
docs/tree-nova.md §12), named by what places the node in a job's tree:

    <pp>/<ctx>/step-<a>-<m>-<b>.node     the step node over [a, b) applying step m
    <pp>/<ctx>/join-<a>-<mid>-<b>.node   the join of [a, mid) and [mid, b)

with pp and ctx in hex. A file is written as ``<name>.tmp`` and renamed, so a killed process
leaves a whole node or none (and at most one temporary file per node, which the next write of
that node replaces).

Trust: the store is the node's own, written by its prover, so a stored node is not verified on
every load: `load` decodes it strictly and requires exactly the statement the job expects at
that place (params digest, ctx, a, b, z_a, z_b), which rejects truncated or garbled files and
files of other parameters, jobs or start states; such a file is logged and the node proven
again. A file damaged in a way that still decodes to the expected statement (a changed witness
value) is caught by verifying the root built on it: folding carries every node's instances into
its parent, so an invalid node makes every node above it invalid. `prune` then verifies each
stored node and removes the invalid ones (the damaged node and those proven on top of it), after
which the job proves them again. `novanode prove --resume` does exactly this.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from crypto.errors import CryptoError, StatementMismatchError
from crypto.tree.encoding import decode_node
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams
from crypto.tree.prover import verify_node
from protocol.tree import JoinNode, StepNode, TreeNode

_log = logging.getLogger(__name__)

_SUFFIX = ".node"
_TEMPORARY = ".tmp"


class NodeStore:
    """The node files under `directory` (created on the first write)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, params_digest: bytes, ctx: bytes, place: TreeNode) -> Path:
        """Where the node at `place` of the job `ctx` under parameters `params_digest` is kept."""
        if isinstance(place, StepNode):
            name = f"step-{place.start}-{place.pivot}-{place.end}"
        elif isinstance(place, JoinNode):
            name = f"join-{place.start}-{place.mid}-{place.end}"
        else:
            raise TypeError(f"a tree node is a StepNode or a JoinNode, not {type(place).__name__}")
        return self._job_directory(params_digest, ctx) / (name + _SUFFIX)

    def load(self, params: PublicParams, expected: Statement, place: TreeNode) -> Node | None:
        """The stored node at `place` if there is one that decodes strictly under `params` and
        states `expected`; None otherwise (a file that does not is logged and left to be
        replaced by the node proven instead)."""
        _check_place(expected, place)
        path = self.path(expected.params_digest, expected.ctx, place)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            node = decode_node(data, params.layout())
        except CryptoError as exc:
            _log.warning("%s is not a readable node (%s); proving it again", path, exc)
            return None
        if node.statement != expected:
            _log.warning("%s holds another node than the job's; proving it again", path)
            return None
        return node

    def save(self, params_digest: bytes, ctx: bytes, place: TreeNode, blob: bytes) -> None:
        """Writes the node blob `blob` (of the node at `place`) through a temporary file and a
        rename."""
        path = self.path(params_digest, ctx, place)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + _TEMPORARY)
        temporary.write_bytes(blob)
        os.replace(temporary, path)

    def prune(self, params: PublicParams, ctx: bytes) -> list[Path]:
        """Verifies every stored node of the job `ctx` under `params` (`verify_node`, as a node
        received from a peer) and removes those that fail; returns their paths."""
        removed = []
        for path in sorted(self._job_directory(params.digest, ctx).glob("*" + _SUFFIX)):
            try:
                verify_node(params, decode_node(path.read_bytes(), params.layout()), ctx=ctx)
            except CryptoError as exc:
                _log.warning("%s is not a valid node (%s); removed", path, exc)
                path.unlink()
                removed.append(path)
        return removed

    def _job_directory(self, params_digest: bytes, ctx: bytes) -> Path:
        return self.directory / params_digest.hex() / ctx.hex()


def _check_place(statement: Statement, place: TreeNode) -> None:
    if (statement.a, statement.b) != (place.start, place.end):
        raise StatementMismatchError(
            f"the statement's range [{statement.a}, {statement.b}) is not the range "
            f"[{place.start}, {place.end}) of the node it is expected of"
        )


__all__ = ["NodeStore"]
