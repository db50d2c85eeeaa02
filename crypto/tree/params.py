"""Public parameters of a tree over one step circuit (docs/tree-nova.md §9).

Everything is a function of F and the curve cycle: P's shape (F embedded), S's shape (a
constant of the protocol version), a commitment key per curve long enough for each shape, and
the digest `pp` naming them all. Two parties that build F identically derive the same `pp`.

    pp = SHA-256("novanode/tree/pp/v1" ‖ 0x00 ‖ d_F ‖ u32_le(n) ‖ d_P ‖ d_S
                 ‖ u64_le(n1) ‖ u64_le(n2))

with d_F the digest of F's own shape, n its arity and n1, n2 the key lengths. The circuits see
d_P and d_S (as witnesses bound by the hash chain), never pp.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, replace
from typing import Final

from crypto.circuit.cache import ShapeCache
from crypto.circuit.shape import R1CSShape
from crypto.circuit.step import StepCircuit
from crypto.circuit.system import ShapeRecorder
from crypto.field import FQ, FR
from crypto.folding.commitment import COMMITMENT_LABEL, CommitmentKey, commitment_key
from crypto.tree.augmented import PrimaryCircuit, SecondaryCircuit
from crypto.tree.node import NodeLayout

PP_LABEL: Final = b"novanode/tree/pp/v1"
SECONDARY_KEY: Final = "novanode/tree/S/v2"
"""The shape-cache key of S (it does not depend on F). The cache trusts a key to name one
shape, so the keys of S and P change with their circuits (v2: scalars absorbed as halves)."""


@dataclass(frozen=True, eq=False)
class PublicParams:
    """The shapes, keys and digest a tree over `step` is proven and verified with."""

    step: StepCircuit
    step_digest: bytes
    primary: R1CSShape
    secondary: R1CSShape
    primary_key: CommitmentKey
    secondary_key: CommitmentKey
    digest: bytes

    @property
    def d_P(self) -> bytes:
        return self.primary.digest

    @property
    def d_S(self) -> bytes:
        return self.secondary.digest

    @property
    def arity(self) -> int:
        return self.step.arity

    def layout(self) -> NodeLayout:
        """The sizes of a node's vectors under these parameters (what decoding checks)."""
        return NodeLayout(
            arity=self.arity,
            n1w=self.primary.n_private,
            n1c=self.primary.n_constraints,
            n2w=self.secondary.n_private,
            n2c=self.secondary.n_constraints,
        )


def record_primary_shape(step: StepCircuit) -> R1CSShape:
    """P's shape with `step` embedded, recorded without inputs."""
    recorder = ShapeRecorder(FR)
    PrimaryCircuit(step).synthesize(recorder, None)
    return R1CSShape.from_recorder(recorder)


def record_secondary_shape() -> R1CSShape:
    """S's shape, recorded without inputs."""
    recorder = ShapeRecorder(FQ)
    SecondaryCircuit().synthesize(recorder, None)
    return R1CSShape.from_recorder(recorder)


def key_length(shape: R1CSShape) -> int:
    """Generators a shape's witnesses need: W has n_private elements, E n_constraints."""
    return max(shape.n_private, shape.n_constraints)


def params_digest(
    step_digest: bytes, arity: int, primary: R1CSShape, secondary: R1CSShape
) -> bytes:
    """pp: SHA-256 over the label, F's digest and arity, both shape digests and key lengths."""
    return hashlib.sha256(
        PP_LABEL
        + b"\x00"
        + step_digest
        + struct.pack("<I", arity)
        + primary.digest
        + secondary.digest
        + struct.pack("<QQ", key_length(primary), key_length(secondary))
    ).digest()


_SHAPES = ShapeCache()
_PARAMS: dict[bytes, PublicParams] = {}


def public_params(step: StepCircuit, cache: ShapeCache | None = None) -> PublicParams:
    """The parameters of `step`, built once per process and step shape (shapes through `cache`,
    by default an in-memory one; give a `ShapeCache(directory)` to keep them, and the commitment
    keys' generators, on disk)."""
    shapes = cache if cache is not None else _SHAPES
    step_digest = shapes.step_shape(step).digest
    known = _PARAMS.get(step_digest)
    # Through `shapes` even when known, so that a given directory receives them.
    primary = shapes.get(
        f"novanode/tree/P/v2/{step_digest.hex()}",
        lambda: known.primary if known is not None else record_primary_shape(step),
    )
    secondary = shapes.get(
        SECONDARY_KEY,
        lambda: known.secondary if known is not None else record_secondary_shape(),
    )
    if known is None:
        known = _PARAMS[step_digest] = PublicParams(
            step=step,
            step_digest=step_digest,
            primary=primary,
            secondary=secondary,
            primary_key=commitment_key(FR, key_length(primary), shapes.generators),
            secondary_key=commitment_key(FQ, key_length(secondary), shapes.generators),
            digest=params_digest(step_digest, step.arity, primary, secondary),
        )
    for key in (known.primary_key, known.secondary_key):
        shapes.keep_generators(key.curve, COMMITMENT_LABEL, key.bases)
    # Same shape, but the step's values may come from elsewhere (circom: the wasm generator or
    # recorded witnesses): the parameters carry the step they were asked for.
    return known if known.step is step else replace(known, step=step)


def forget_params(params: PublicParams) -> None:
    """Drops the parameters of `params`'s step shape from this process's cache, so a process
    serving many circuits in turn holds only those it still references."""
    _PARAMS.pop(params.step_digest, None)


__all__ = [
    "PP_LABEL",
    "PublicParams",
    "forget_params",
    "key_length",
    "params_digest",
    "public_params",
    "record_primary_shape",
    "record_secondary_shape",
]
