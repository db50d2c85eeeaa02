"""The CompressedSNARK of a root node (docs/tree-nova.md §8.3): what requesters verify offline.

A root node ν over [0, N) is valid when W1 satisfies U1 on P, W2 satisfies U2 on S and w2
strictly satisfies the fresh instance u2 whose public inputs are ν's hashes
[h₁(d_S, ctx, 0, N, z₀, z_N, U2), h₂(d_P, U1)]. The compressed proof replaces the witnesses by
two Spartan proofs:

1. fold u2 into U2 natively, U2' = fold(U2, u2) on S's shape (the NIFS of ``crypto.folding``,
   proof comm_T);
2. prove U1 satisfiable on P and U2' satisfiable on S with Spartan (``crypto.snark.spartan``),
   each ending in one IPA opening (``crypto.snark.ipa``) on its curve.

The proof carries the statement, U1, U2, comm_W(u2), comm_T and the two Spartan proofs. The
verifier recomputes u2's public inputs from the statement and (U1, U2), so the statement is
bound exactly as in the node; recomputes U2'; and checks both Spartan proofs. Both run in one
SHA-256 transcript that first absorbs the keys' digest and the statement, so a proof verifies
under one set of parameters and one statement only.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Final

from crypto.circuit.cache import ShapeCache
from crypto.errors import ParameterMismatchError, StatementMismatchError
from crypto.folding import nifs
from crypto.folding.commitment import COMMITMENT_LABEL, CommitmentKey, commitment_key
from crypto.folding.relaxed import RelaxedInstance
from crypto.group import CurvePoint
from crypto.snark import ipa, spartan
from crypto.snark.ipa import EvaluationProof
from crypto.snark.spartan import SpartanKey, SpartanProof
from crypto.snark.transcript import SnarkTranscript
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams
from crypto.tree.prover import fresh_secondary, node_hashes

SNARK_LABEL: Final = b"novanode/compressed/v1"
"""The transcript label, and the domain of the keys' digest."""


@dataclass(frozen=True, eq=False)
class SnarkKeys:
    """What proving and verifying a compressed proof needs beyond the tree's parameters: a
    Spartan key per shape and commitment keys long enough for Spartan's padded vectors."""

    params: PublicParams
    primary: SpartanKey
    secondary: SpartanKey
    primary_key: CommitmentKey
    secondary_key: CommitmentKey
    digest: bytes


@dataclass(frozen=True, eq=False)
class CompressedProof:
    """The statement of a root and the proof that a valid root with that statement exists."""

    statement: Statement
    U1: RelaxedInstance
    U2: RelaxedInstance
    u2_comm_W: CurvePoint  # noqa: N815 — the paper's comm_W, as in RelaxedInstance
    comm_T: CurvePoint  # noqa: N815
    primary: SpartanProof[EvaluationProof]
    secondary: SpartanProof[EvaluationProof]


_KEYS: dict[bytes, SnarkKeys] = {}
_KEYS_LOCK = threading.Lock()


def snark_keys(params: PublicParams, cache: ShapeCache | None = None) -> SnarkKeys:
    """The keys of ``params``, derived once per process (their generators through ``cache``,
    kept on disk when it has a directory)."""
    with _KEYS_LOCK:
        keys = _KEYS.get(params.digest)
        if keys is None:
            keys = _KEYS[params.digest] = _derive_keys(params, cache)
        return keys


def forget_keys(params: PublicParams) -> None:
    """Drops the keys of ``params`` from this process's cache (see ``forget_params``)."""
    with _KEYS_LOCK:
        _KEYS.pop(params.digest, None)


def _derive_keys(params: PublicParams, cache: ShapeCache | None) -> SnarkKeys:
    primary = SpartanKey.of(params.primary)
    secondary = SpartanKey.of(params.secondary)
    generators = cache.generators if cache is not None else None
    ck1 = commitment_key(params.primary.field, primary.opening_length, generators)
    ck2 = commitment_key(params.secondary.field, secondary.opening_length, generators)
    if cache is not None:
        for key in (ck1, ck2):
            cache.keep_generators(key.curve, COMMITMENT_LABEL, key.bases)
    digest = hashlib.sha256(
        SNARK_LABEL + b"\x00" + params.digest + primary.digest + secondary.digest
    ).digest()
    return SnarkKeys(params, primary, secondary, ck1, ck2, digest)


def prove(keys: SnarkKeys, root: Node) -> CompressedProof:
    """The compressed proof of ``root`` (which the caller has proven or verified: an invalid
    root gives a proof that does not verify)."""
    params = keys.params
    u2 = fresh_secondary(params, root)
    U2_folded, W2_folded, comm_T = nifs.prove(
        params.secondary, root.U2, root.W2, u2, root.w2_witness(), params.secondary_key
    )
    transcript = _transcript(keys, root.statement, root.U1, root.U2, root.u2_comm_W, comm_T)
    primary = spartan.prove(keys.primary, keys.primary_key, root.U1, root.W1, transcript, ipa)
    secondary = spartan.prove(
        keys.secondary, keys.secondary_key, U2_folded, W2_folded, transcript, ipa
    )
    return CompressedProof(
        root.statement, root.U1, root.U2, root.u2_comm_W, comm_T, primary, secondary
    )


def verify(keys: SnarkKeys, proof: CompressedProof) -> Statement:
    """Checks ``proof`` and returns its statement; raises the specific error of the first
    check that fails (``ParameterMismatchError`` for other parameters, the NIFS errors for a
    malformed fold, ``SnarkError`` subclasses for the Spartan proofs)."""
    params = keys.params
    s = proof.statement
    if s.params_digest != params.digest:
        raise ParameterMismatchError(
            "the proof was made under other public parameters (another step circuit or version)"
        )
    if len(s.z_a) != params.arity:
        raise StatementMismatchError(
            f"the proof's states have {len(s.z_a)} elements; F's arity is {params.arity}"
        )
    u2 = RelaxedInstance.fresh(
        params.secondary.field, proof.u2_comm_W, node_hashes(params, s, proof.U1, proof.U2)
    )
    U2_folded = nifs.fold_instances(params.secondary, proof.U2, u2, proof.comm_T)
    transcript = _transcript(keys, s, proof.U1, proof.U2, proof.u2_comm_W, proof.comm_T)
    spartan.verify(keys.primary, keys.primary_key, proof.U1, proof.primary, transcript, ipa)
    spartan.verify(keys.secondary, keys.secondary_key, U2_folded, proof.secondary, transcript, ipa)
    return s


def _transcript(
    keys: SnarkKeys,
    statement: Statement,
    U1: RelaxedInstance,
    U2: RelaxedInstance,
    u2_comm_W: CurvePoint,
    comm_T: CurvePoint,
) -> SnarkTranscript:
    """The transcript both Spartan proofs run in, bound to the keys, statement and fold."""
    params = keys.params
    transcript = SnarkTranscript(SNARK_LABEL)
    transcript.absorb_bytes(b"keys", keys.digest)
    transcript.absorb_bytes(b"ctx", statement.ctx)
    transcript.absorb_scalars(b"range", params.primary.field, (statement.a, statement.b))
    transcript.absorb_scalars(b"z_a", params.primary.field, statement.z_a)
    transcript.absorb_scalars(b"z_b", params.primary.field, statement.z_b)
    for label, point in ((b"u2.comm_W", u2_comm_W), (b"comm_T", comm_T)):
        transcript.absorb_point(label, point)
    for label, field, instance in (
        (b"U1", params.primary.field, U1),
        (b"U2", params.secondary.field, U2),
    ):
        transcript.absorb_points(label, (instance.comm_W, instance.comm_E))
        transcript.absorb_scalars(label, field, (instance.u, *instance.X))
    return transcript


__all__ = [
    "SNARK_LABEL",
    "CompressedProof",
    "SnarkKeys",
    "forget_keys",
    "prove",
    "snark_keys",
    "verify",
]
