"""Public parameters of a tree (docs/tree-nova.md §9): deterministic, and F changes P and pp
but never S."""

from __future__ import annotations

from pathlib import Path

from tree_samples import step

from crypto.circuit.builtins import builtin
from crypto.circuit.cache import ShapeCache
from crypto.folding.commitment import COMMITMENT_LABEL
from crypto.tree.params import (
    forget_params,
    key_length,
    params_digest,
    public_params,
    record_primary_shape,
    record_secondary_shape,
)


def test_params_are_deterministic() -> None:
    params = public_params(step())
    again = public_params(step())
    assert again.digest == params.digest and again.primary is params.primary
    assert params_digest(params.step_digest, params.arity, params.primary, params.secondary) == (
        params.digest
    )
    assert record_secondary_shape().digest == params.d_S
    assert len(params.primary_key) >= key_length(params.primary)
    assert len(params.secondary_key) >= key_length(params.secondary)


def test_forgotten_params_are_built_again_the_same() -> None:
    circuit = step()
    forget_params(public_params(circuit))  # built for this very circuit object from here on
    params = public_params(circuit)
    assert public_params(circuit) is params
    forget_params(params)
    again = public_params(circuit)
    assert again is not params
    assert again.digest == params.digest


def test_another_step_circuit_changes_P_and_pp_but_not_S() -> None:
    params = public_params(step())
    other = builtin("builtin:cubic?log2=3")
    primary = record_primary_shape(other)
    assert primary.digest != params.d_P
    assert primary.n_constraints == params.primary.n_constraints + 4  # F grew from 4 to 8
    digest = params_digest(b"\x01" * 32, 1, primary, params.secondary)
    assert digest != params.digest


def test_a_cache_directory_receives_both_keys(tmp_path: Path) -> None:
    """Worker processes read the keys' generators from the directory instead of deriving them."""
    params = public_params(step(), ShapeCache(tmp_path))
    cache = ShapeCache(tmp_path)
    for key in (params.primary_key, params.secondary_key):
        stored = cache.generators(key.curve, COMMITMENT_LABEL, len(key))
        assert stored.to_bytes() == key.bases.to_bytes()
    assert len(list((tmp_path / "generators").iterdir())) == 2


def test_parameters_carry_the_step_they_are_asked_for() -> None:
    """Two instances of one shape share the derived parameters, but each gets its own step (a
    circom circuit may take its values from the wasm generator or from recorded witnesses)."""
    first, second = step(), step()
    params = public_params(first)
    other = public_params(second)
    assert (params.step, other.step) == (first, second)
    assert other.digest == params.digest and other.primary_key is params.primary_key
