"""End-to-end: proving trees of every small size and rejecting tampered nodes
(docs/tree-nova.md §7, §8.1, §13)."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from tree_samples import step

from crypto.circuit.step import trace
from crypto.errors import (
    ChildMismatchError,
    CommitmentMismatchError,
    ParameterMismatchError,
    StatementMismatchError,
    UnsatisfiedRelaxedConstraintError,
)
from crypto.field import FQ, FR
from crypto.folding.relaxed import Products, RelaxedInstance, RelaxedWitness
from crypto.group import Grumpkin
from crypto.tree.encoding import decode_node, encode_node
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import (
    fresh_secondary,
    prove_join,
    prove_node,
    prove_step,
    verify_node,
)
from crypto.tree.scheduler import prove_range
from protocol.tree import pivot

CTX = bytes(32)
Z0 = (7,)


@functools.cache
def params() -> PublicParams:
    return public_params(step())


@functools.cache
def z_after(n: int) -> tuple[int, ...]:
    return tuple(trace(step(), Z0, [None] * n)[-1])


@functools.cache
def node(a: int, b: int) -> Node:
    """The in-order node over [a, b) of the job from Z0, its subtrees shared between tests
    (`prove_range`'s recursion, memoised)."""
    m = pivot(a, b)
    left = node(a, m) if m > a else None
    right = node(m + 1, b) if m + 1 < b else None
    return prove_step(params(), CTX, m, z_after(m), None, left, right)


def root(n: int) -> Node:
    return node(0, n)


def leaf(m: int) -> Node:
    return node(m, m + 1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_completeness(n: int) -> None:
    statement = verify_node(params(), root(n), ctx=CTX, a=0, b=n, z_a=Z0)
    assert statement.z_b == z_after(n)


def test_a_proven_node_survives_its_encoding() -> None:
    blob = encode_node(root(3))
    decoded = decode_node(blob, params().layout())
    assert decoded == root(3)
    assert verify_node(params(), decoded) == root(3).statement
    print(f"node blob: {len(blob)} bytes")


def test_prove_range_gives_the_same_statement() -> None:
    proven = prove_range(params(), CTX, 0, Z0, [None] * 2)
    assert verify_node(params(), proven) == root(2).statement


def test_join_of_two_ranges_has_the_local_statement() -> None:
    left, right = root(2), leaf(2)
    joined = prove_join(params(), left, right, None)
    statement = verify_node(params(), joined, ctx=CTX, a=0, b=3, z_a=Z0)
    assert statement == root(3).statement


def _tamper_vector(vector: np.ndarray, index: int = 0) -> np.ndarray:  # type: ignore[type-arg]
    out = vector.copy()
    out[index, 0] ^= 1
    return out


def _with(node: Node, **changes: object) -> Node:
    return dataclasses.replace(node, **changes)  # type: ignore[arg-type]


def _relaxed(instance: RelaxedInstance, **changes: object) -> RelaxedInstance:
    return dataclasses.replace(instance, **changes)  # type: ignore[arg-type]


TAMPERINGS = {
    "W1 value": lambda n: _with(n, W1=RelaxedWitness(_tamper_vector(n.W1.dense_W(), 5), n.W1.E)),
    "E1 value": lambda n: _with(n, W1=RelaxedWitness(n.W1.dense_W(), _tamper_vector(n.W1.E, 3))),
    "W2 value": lambda n: _with(n, W2=RelaxedWitness(_tamper_vector(n.W2.dense_W(), 5), n.W2.E)),
    "E2 value": lambda n: _with(n, W2=RelaxedWitness(n.W2.dense_W(), _tamper_vector(n.W2.E, 3))),
    "w2 value": lambda n: _with(
        n, w2=type(n.w2).from_dense(FQ, _tamper_vector(n.w2.to_dense(), 5))
    ),
    "U1.W": lambda n: _with(n, U1=_relaxed(n.U1, comm_W=n.U1.comm_W.double())),
    "U1.E": lambda n: _with(n, U1=_relaxed(n.U1, comm_E=n.U1.comm_E.double())),
    "U2.W": lambda n: _with(n, U2=_relaxed(n.U2, comm_W=n.U2.comm_W.double())),
    "U2.E": lambda n: _with(n, U2=_relaxed(n.U2, comm_E=n.U2.comm_E.double())),
    "u2.W": lambda n: _with(n, u2_comm_W=n.u2_comm_W.double()),
    "U1.u": lambda n: _with(n, U1=_relaxed(n.U1, u=(n.U1.u + 1) % FR.modulus)),
    "U2.u": lambda n: _with(n, U2=_relaxed(n.U2, u=(n.U2.u + 1) % FQ.modulus)),
    "U1.X": lambda n: _with(n, U1=_relaxed(n.U1, X=(n.U1.X[0] + 1, *n.U1.X[1:]))),
    "U2.X": lambda n: _with(n, U2=_relaxed(n.U2, X=(n.U2.X[0], n.U2.X[1] + 1))),
    "z_a": lambda n: _with(n, statement=dataclasses.replace(n.statement, z_a=(8,))),
    "z_b": lambda n: _with(
        n, statement=dataclasses.replace(n.statement, z_b=(n.statement.z_b[0] + 1,))
    ),
    "a": lambda n: _with(n, statement=dataclasses.replace(n.statement, a=1, b=n.statement.b + 1)),
    "b": lambda n: _with(n, statement=dataclasses.replace(n.statement, b=n.statement.b + 1)),
    "ctx": lambda n: _with(n, statement=dataclasses.replace(n.statement, ctx=b"\x01" * 32)),
}


def _same_products(known: Products | None, expected: Products) -> bool:
    return known is not None and all(
        np.array_equal(getattr(known, name), getattr(expected, name)) for name in ("Az", "Bz", "Cz")
    )


def _recomputed_products(node: Node) -> tuple[Products, Products, Products]:
    """A·z, B·z, C·z of the node's pairs U1/W1, U2/W2, u2/w2 by mat-vecs."""
    P, S = params().primary, params().secondary
    return (
        Products.of(P, node.U1, node.W1.dense_W()),
        Products.of(S, node.U2, node.W2.dense_W()),
        Products.of(S, fresh_secondary(params(), node), node.w2.to_dense()),
    )


def test_the_prover_carries_its_running_products() -> None:
    """The products a node gets from its own folds (P1 + r·P2, no mat-vec) are the mat-vecs of
    its running pairs; its fresh u2's are left to whoever folds it."""
    proven = root(3)
    U1, U2, _ = _recomputed_products(proven)
    assert _same_products(proven.products.U1, U1)
    assert _same_products(proven.products.U2, U2)


def test_verification_fills_the_products_that_a_merge_reuses() -> None:
    """Children received as blobs carry no products; verify_node leaves the ones it computed on
    them, and merging them gives the node bytes of merging the prover's own children, as does
    merging unverified decoded children (which the prover multiplies out itself)."""
    expected = encode_node(root(3))
    received = [decode_node(encode_node(c), params().layout()) for c in (leaf(0), leaf(2))]
    for child in received:
        assert (child.products.U1, child.products.U2, child.products.u2) == (None, None, None)
        verify_node(params(), child)
        known = (child.products.U1, child.products.U2, child.products.u2)
        for got, want in zip(known, _recomputed_products(child), strict=True):
            assert _same_products(got, want)
    assert encode_node(prove_step(params(), CTX, 1, z_after(1), None, *received)) == expected
    bare = [decode_node(encode_node(c), params().layout()) for c in (leaf(0), leaf(2))]
    assert encode_node(prove_step(params(), CTX, 1, z_after(1), None, *bare)) == expected


@pytest.mark.parametrize("what", ["E1 value", "u2.W"])
def test_a_node_that_fails_verification_gets_no_products(what: str) -> None:
    """Products are cached only once every check passed (a bad commitment is found after the
    constraints were multiplied out); a node rebuilt from parts starts without them."""
    tampered = TAMPERINGS[what](root(3))
    with pytest.raises((UnsatisfiedRelaxedConstraintError, CommitmentMismatchError)):
        verify_node(params(), tampered)
    assert (tampered.products.U1, tampered.products.U2, tampered.products.u2) == (None,) * 3


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_tampered_node_is_rejected(what: str) -> None:
    """Every component but comm(u2) is bound by a hash or a constraint, so changing it breaks
    satisfiability; comm(u2) alone is caught by the (batched) commitment check."""
    node = TAMPERINGS[what](root(3))
    expected = CommitmentMismatchError if what == "u2.W" else UnsatisfiedRelaxedConstraintError
    with pytest.raises(expected):
        verify_node(params(), node)


def test_expected_statement_is_enforced() -> None:
    node = root(3)
    with pytest.raises(StatementMismatchError):
        verify_node(params(), node, b=4)  # a root for N = 3 does not verify as N = 4
    with pytest.raises(StatementMismatchError):
        verify_node(params(), node, b=2)
    with pytest.raises(StatementMismatchError):
        verify_node(params(), node, ctx=b"\x02" * 32)
    with pytest.raises(StatementMismatchError):
        verify_node(params(), node, z_a=(8,))
    other = dataclasses.replace(params(), digest=bytes(32))  # parameters of another F
    with pytest.raises(ParameterMismatchError):
        verify_node(other, node)


def test_swapped_children_are_refused_and_a_forced_node_is_invalid() -> None:
    left, right = leaf(0), leaf(2)
    with pytest.raises(ChildMismatchError):
        prove_step(params(), CTX, 1, z_after(1), None, right, left)
    forced = prove_node(params(), CTX, 0, Z0, True, None, right, left)
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        verify_node(params(), forced)


def test_child_from_another_job_makes_an_invalid_node() -> None:
    other_ctx = b"\x03" * 32
    stranger = prove_step(params(), other_ctx, 0, Z0, None)
    with pytest.raises(ChildMismatchError):
        prove_step(params(), CTX, 1, z_after(1), None, stranger)
    forced = prove_node(params(), CTX, 0, Z0, True, None, stranger, None)
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        verify_node(params(), forced)


def test_join_that_applies_F_is_invalid() -> None:
    """A join whose witness keeps z' = F(z_m) (a padded step that changes z) is unsatisfiable."""
    left, right = leaf(0), leaf(2)  # a gap of one step that a join would skip
    with pytest.raises(ChildMismatchError):
        prove_join(params(), left, right, None)
    forced = prove_node(params(), CTX, 0, Z0, False, None, left, right)
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        verify_node(params(), forced)


def test_wrong_cross_term_makes_an_invalid_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """A prover that gives P a wrong comm_T for fold A (a leaf child's is the identity: its U2
    is Z2): the node's U2 is then not the fold P verified, and the hash binding U2 to P's
    output fails."""
    from crypto.tree import prover

    real = prover.nifs.fold
    calls = []

    def wrong_cross_term(shape, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(shape, *args, **kwargs)
        if shape is not params().secondary or calls:
            return result
        calls.append(1)
        return dataclasses.replace(result, comm_T=result.comm_T + Grumpkin.generator())

    child = leaf(0)
    monkeypatch.setattr(prover.nifs, "fold", wrong_cross_term)
    node = prove_step(params(), CTX, 1, z_after(1), None, child)
    monkeypatch.undo()
    with pytest.raises(UnsatisfiedRelaxedConstraintError):
        verify_node(params(), node)


def test_statement_type() -> None:
    assert isinstance(root(1).statement, Statement)


def test_child_from_other_parameters_is_refused() -> None:
    child = leaf(0)
    foreign = _with(
        child, statement=dataclasses.replace(child.statement, params_digest=b"\x05" * 32)
    )
    with pytest.raises(ParameterMismatchError):
        prove_step(params(), CTX, 1, z_after(1), None, foreign)
    with pytest.raises(ParameterMismatchError):
        verify_node(params(), foreign)
