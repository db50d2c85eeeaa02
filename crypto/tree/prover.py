"""Proving and verifying tree nodes (docs/tree-nova.md §7.1, §8.1).

A node (`crypto.tree.node.Node`) carries its statement (pp, ctx, a, b, z_a, z_b), the primary
running pair (U1, W1), the secondary running pair (U2, W2) and the fresh secondary instance's
commitment and witness (comm_W(u2), w2). The fresh instance's public inputs are not carried:
they are the node's two hashes [h1(node), h2(node)], which the receiver recomputes, so the
binding of the statement to the running instances is checked as part of u2's satisfiability.

Proving a node (children optional):
1. fold each present child's secondary pair (U2, u2) natively, then the two results (an absent
   side is the zero instance): U2(node);
2. run P (F and the verification of those three folds) for its witness, committed as u1;
3. fold the children's U1 (zero where absent), then u1: U1(node);
4. run S (the verification of those two folds) for its witness, committed as u2.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from crypto.circuit.shape import R1CSShape
from crypto.circuit.step import Advice
from crypto.circuit.synthesis import compact_from_ints
from crypto.circuit.system import WitnessGenerator
from crypto.errors import (
    ChildMismatchError,
    CommitmentMismatchError,
    ParameterMismatchError,
    StatementMismatchError,
)
from crypto.field import FQ, FR, PrimeField, Vector
from crypto.folding import nifs
from crypto.folding.commitment import CommitmentKey
from crypto.folding.relaxed import (
    Products,
    RelaxedInstance,
    RelaxedWitness,
    check_commitments,
    check_constraints,
    fresh,
)
from crypto.group import CurvePoint
from crypto.tree.augmented import (
    PRIMARY_PUBLIC,
    SECONDARY_PUBLIC,
    PrimaryChild,
    PrimaryCircuit,
    PrimaryInputs,
    SecondaryCircuit,
    SecondaryInputs,
    zero_instance,
)
from crypto.tree.hashes import h1, h2
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams


def node_hashes(
    params: PublicParams, statement: Statement, U1: RelaxedInstance, U2: RelaxedInstance
) -> tuple[int, int]:
    """[h1(node), h2(node)]: the public inputs of the node's fresh secondary instance."""
    s = statement
    return h1(params.d_S, s.ctx, s.a, s.b, s.z_a, s.z_b, U2), h2(params.d_P, U1)


def fresh_secondary(params: PublicParams, node: Node) -> RelaxedInstance:
    """The node's fresh secondary instance u2, its public inputs recomputed."""
    return node.u2(node_hashes(params, node.statement, node.U1, node.U2))


def prove_step(
    params: PublicParams,
    ctx: bytes,
    m: int,
    z_m: Sequence[int],
    advice: Advice,
    left: Node | None = None,
    right: Node | None = None,
) -> Node:
    """A step node: F applied to z_m at step m, after `left` (over [a, m), ending in z_m) and
    before `right` (over [m + 1, b), starting from F(z_m)); either child may be absent."""
    z_m = tuple(z_m)
    z_next = tuple(params.step.native(z_m, advice))
    if left is not None:
        _check_link(params, ctx, left, m, z_m, "left child ends")
    if right is not None:
        _check_link(params, ctx, right, m + 1, z_next, "right child starts", start=True)
    a, z_a = (left.statement.a, left.statement.z_a) if left is not None else (m, z_m)
    return prove_node(params, ctx, a, z_a, True, advice, left, right)


def prove_join(params: PublicParams, left: Node, right: Node, advice_m: Advice) -> Node:
    """A join node over `left` ++ `right`, applying no step; `advice_m` is the advice of the
    right child's first step (F runs on it and its output is discarded)."""
    ctx = left.statement.ctx
    _check_link(
        params, ctx, right, left.statement.b, left.statement.z_b, "right child starts", start=True
    )
    return prove_node(
        params, ctx, left.statement.a, left.statement.z_a, False, advice_m, left, right
    )


def prove_node(
    params: PublicParams,
    ctx: bytes,
    a: int,
    z_a: Sequence[int],
    step: bool,
    advice: Advice,
    left: Node | None,
    right: Node | None,
) -> Node:
    """The four stages of the module docstring, without checking that the children adjoin
    (`prove_step`/`prove_join` do): a node over children that do not is simply invalid."""
    P, S = params.primary, params.secondary
    z_a = tuple(z_a)
    with ThreadPoolExecutor(max_workers=1) as background:
        # Step 3's first fold, U1(L) + U1(R), needs nothing this node computes: its cross term
        # and MSM run in the kernel (which releases the GIL) while P is synthesised, on the
        # core that the single-threaded synthesis leaves idle.
        children_fold = background.submit(_children_primary_fold, params, left, right)
        # 1. Secondary folds.
        G_L, G_R = (_secondary_fold(params, c) for c in (left, right))
        fold_LR = nifs.fold(
            S,
            G_L.instance,
            G_L.witness,
            G_L.products,
            G_R.instance,
            G_R.witness,
            G_R.products,
            params.secondary_key,
        )
        # 2. P's witness and the fresh u1.
        primary_children = [
            None if c is None else _primary_child(params, c, G.comm_T)
            for c, G in zip((left, right), (G_L, G_R), strict=True)
        ]
        generator = WitnessGenerator(FR)
        PrimaryCircuit(params.step).synthesize(
            generator,
            PrimaryInputs(
                params.d_S,
                ctx,
                a,
                z_a,
                step,
                primary_children[0],
                primary_children[1],
                fold_LR.comm_T,
                advice,
            ),
        )
        assignment = generator.assignment()
        u1, w1 = fresh(
            P, assignment.public, compact_from_ints(FR, assignment.private), params.primary_key
        )
        # 3. Primary folds.
        fold_a = children_fold.result()
    fold_b = nifs.fold(
        P,
        fold_a.instance,
        fold_a.witness,
        fold_a.products,
        u1,
        w1,
        Products.of(P, u1, w1.dense_W()),
        params.primary_key,
    )
    # 4. S's witness and the fresh u2.
    generator = WitnessGenerator(FQ)
    SecondaryCircuit().synthesize(
        generator,
        SecondaryInputs(
            params.d_P,
            None if left is None else left.U1,
            None if right is None else right.U1,
            u1,
            fold_a.comm_T,
            fold_b.comm_T,
        ),
    )
    assignment = generator.assignment()
    w2 = compact_from_ints(FQ, assignment.private)
    u2, _ = fresh(S, assignment.public, w2, params.secondary_key)
    b, z_b = _end(params, a, z_a, step, advice, left, right)
    statement = Statement(params.digest, ctx, a, b, z_a, z_b)
    node = Node(
        statement,
        fold_b.instance,
        fold_b.witness,
        fold_LR.instance,
        fold_LR.witness,
        u2.comm_W,
        w2,
    )
    node.products.U1 = fold_b.products
    node.products.U2 = fold_LR.products
    return node


def verify_node(
    params: PublicParams,
    node: Node,
    ctx: bytes | None = None,
    a: int | None = None,
    b: int | None = None,
    z_a: Sequence[int] | None = None,
) -> Statement:
    """The full check a node runs before using a received one (§8.1): the statement is the
    expected one (where given), W1 satisfies U1 on P, W2 satisfies U2 on S and w2 strictly
    satisfies the fresh instance whose public inputs are the node's hashes. Returns the
    statement; raises the specific error of the first check that fails."""
    s = node.statement
    if s.params_digest != params.digest:
        raise ParameterMismatchError(
            "the node was proven under other public parameters (another step circuit or version)"
        )
    for name, expected, got in (("ctx", ctx, s.ctx), ("a", a, s.a), ("b", b, s.b)):
        if expected is not None and expected != got:
            raise StatementMismatchError(f"the node's {name} is {got!r}, expected {expected!r}")
    if z_a is not None and tuple(z_a) != s.z_a:
        raise StatementMismatchError(
            f"the node starts from z = {list(s.z_a)}, expected {list(z_a)}"
        )
    if len(s.z_a) != params.arity:
        raise StatementMismatchError(
            f"the node's states have {len(s.z_a)} elements; F's arity is {params.arity}"
        )
    u2 = fresh_secondary(params, node)
    w2 = node.w2_witness()
    checks = [
        (params.primary, node.U1, node.W1, params.primary_key),
        (params.secondary, node.U2, node.W2, params.secondary_key),
        (params.secondary, u2, w2, params.secondary_key),
    ]
    gamma = int.from_bytes(os.urandom(16), "little")
    with ThreadPoolExecutor(max_workers=1) as background:
        # The batched commitment MSMs run while the constraints are checked; their results are
        # read only once every constraint held (on malformed input they may fail, unread:
        # the constraint check raises its own, specific error first).
        primary = background.submit(
            _batch_commitments, params.primary_key, [(node.U1, node.W1)], gamma
        )
        secondary = background.submit(
            _batch_commitments, params.secondary_key, [(node.U2, node.W2), (u2, w2)], gamma
        )
        products = [
            check_constraints(shape, instance, witness) for shape, instance, witness, _ in checks
        ]
        commitments_ok = primary.result() and secondary.result()
    if not commitments_ok:
        for shape, instance, witness, key in checks:
            check_commitments(shape, instance, witness, key)
        raise CommitmentMismatchError("a commitment does not match its witness")
    node.products.U1, node.products.U2, node.products.u2 = products
    return s


def _batch_commitments(
    key: CommitmentKey, pairs: Sequence[tuple[RelaxedInstance, RelaxedWitness]], gamma: int
) -> bool:
    """Whether Σ γ^(2i)·(W_i + γ·E_i) commits to Σ γ^(2i)·(comm_W_i + γ·comm_E_i): one MSM for
    all the commitments of a curve (the keys are prefixes of one key). If any commitment
    differs, the two sides agree for few γ: at most 2·len(pairs) of the 2^128."""
    field = key.field
    p = field.modulus
    n = max(max(len(w.W), len(w.E)) for _, w in pairs)
    total = field.zeros(n)
    expected = key.curve.identity()
    weight = 1
    for instance, witness in pairs:
        total = field.axpy(total, weight, _padded(field, witness.dense_W(), n))
        total = field.axpy(total, weight * gamma % p, _padded(field, witness.E, n))
        expected = expected + weight * instance.comm_W + (weight * gamma % p) * instance.comm_E
        weight = weight * gamma * gamma % p
    return key.commit(total) == expected


def _padded(field: PrimeField, vector: Vector, n: int) -> Vector:
    return np.concatenate([vector, field.zeros(n - len(vector))]) if len(vector) < n else vector


def _check_link(
    params: PublicParams,
    ctx: bytes,
    child: Node,
    index: int,
    z: tuple[int, ...],
    what: str,
    start: bool = False,
) -> None:
    s = child.statement
    if s.params_digest != params.digest:
        raise ParameterMismatchError("a child was proven under other public parameters")
    if s.ctx != ctx:
        raise ChildMismatchError("a child belongs to another job (ctx differs)")
    got = (s.a, s.z_a) if start else (s.b, s.z_b)
    if got != (index, z):
        raise ChildMismatchError(
            f"the {what} at step {got[0]} with z = {list(got[1])}; the node needs step {index} "
            f"with z = {list(z)}"
        )


def _secondary_fold(params: PublicParams, child: Node | None) -> nifs.Fold:
    """G = U2 + u2 of a present child (with its cross term), or Z2 with a zero witness."""
    S = params.secondary
    if child is None:
        zero = zero_instance(FQ, SECONDARY_PUBLIC)
        return nifs.Fold(zero, _zero_witness(S), zero.comm_W, Products.zeros(S))
    u2 = fresh_secondary(params, child)
    w2 = child.w2_witness()
    known = child.products
    if known.U2 is None:
        known.U2 = Products.of(S, child.U2, child.W2.dense_W())
    if known.u2 is None:
        known.u2 = Products.of(S, u2, w2.dense_W())
    return nifs.fold(S, child.U2, child.W2, known.U2, u2, w2, known.u2, params.secondary_key)


def _children_primary_fold(
    params: PublicParams, left: Node | None, right: Node | None
) -> nifs.Fold:
    """U1(L) + U1(R), either side Z1 where that child is absent."""
    V_L, WV_L, PV_L = _running_or_zero(params, left)
    V_R, WV_R, PV_R = _running_or_zero(params, right)
    return nifs.fold(params.primary, V_L, WV_L, PV_L, V_R, WV_R, PV_R, params.primary_key)


def _primary_child(params: PublicParams, child: Node, comm_T: CurvePoint) -> PrimaryChild:
    s = child.statement
    return PrimaryChild(s.a, s.b, s.z_a, s.z_b, child.U2, fresh_secondary(params, child), comm_T)


def _running_or_zero(
    params: PublicParams, child: Node | None
) -> tuple[RelaxedInstance, RelaxedWitness, Products]:
    """A present child's primary running pair with its products, or Z1 with a zero witness."""
    P = params.primary
    if child is None:
        return zero_instance(FR, PRIMARY_PUBLIC), _zero_witness(P), Products.zeros(P)
    known = child.products
    if known.U1 is None:
        known.U1 = Products.of(P, child.U1, child.W1.dense_W())
    return child.U1, child.W1, known.U1


def _zero_witness(shape: R1CSShape) -> RelaxedWitness:
    return RelaxedWitness(
        shape.field.zeros(shape.n_private), shape.field.zeros(shape.n_constraints)
    )


def _end(
    params: PublicParams,
    a: int,
    z_a: tuple[int, ...],
    step: bool,
    advice: Advice,
    left: Node | None,
    right: Node | None,
) -> tuple[int, tuple[int, ...]]:
    """(b, z_b) as P computes them: through the left child, the pivot step, the right child."""
    if right is not None:
        return right.statement.b, right.statement.z_b
    m, z_m = (left.statement.b, left.statement.z_b) if left is not None else (a, z_a)
    if not step:
        return m, z_m
    return m + 1, tuple(params.step.native(z_m, advice))


__all__ = [
    "fresh_secondary",
    "node_hashes",
    "prove_join",
    "prove_node",
    "prove_step",
    "verify_node",
]
