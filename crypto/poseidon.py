"""Poseidon over Fr and Fq: the permutation (Rust kernel), circomlib's hash, and a duplex sponge.

Parameters come from ``crypto.poseidon_params``: the Poseidon paper's Grain LFSR procedure,
seeded with the instance (prime field, x^5, 254-bit modulus, width t, R_F = 8, R_P from the
128-bit security table), gives the round constants by rejection sampling and a Cauchy MDS
matrix that passes the reference's subspace-trail checks. Nothing is pasted from elsewhere, so
Fr and Fq get the same derivation; on Fr it reproduces circomlib's Poseidon, which lets circuits
written with circomlib and this engine hash alike. Each parameter set is converted once into a
kernel object holding constants and matrix in Montgomery form, so a call pays only for its
state.

Sponge (for Fiat-Shamir transcripts), with t = width and rate r = t - 1:

* State s = (tag, 0, ..., 0): the capacity element s[0] holds the domain-separation tag (a
  field element; ``domain_tag(label)`` derives one from a label), the rate is s[1..t-1].
* ``absorb`` only queues elements. The first ``squeeze`` after absorbing (or after creation)
  closes the absorb phase: the queued elements x_1..x_n (n >= 0) are padded with one element 1
  and then zeros to a multiple of r (10* padding, so distinct sequences stay distinct even with
  trailing zeros); each block of r is added into s[1..t-1] and followed by one permutation.
* Squeezing then outputs s[1], ..., s[t-1] in order and permutes again whenever the rate is
  used up; squeeze(a) then squeeze(b) gives the same elements as squeeze(a + b).
* Any ``absorb`` call, even of no elements, opens a new phase: outputs not yet squeezed are
  dropped, and the next squeeze pads and adds the new elements onto the current state (whose
  rate already served as output) exactly as above, so every challenge depends on the tag and
  on the whole sequence of phases before it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

import crypto._kernel as _kernel
from crypto.errors import (
    NonCanonicalEncodingError,
    ShapeMismatchError,
    UnsupportedParameterError,
)
from crypto.field import FQ, FR, PrimeField
from crypto.poseidon_params import PARTIAL_ROUNDS, FieldName, PoseidonParams, generate

__all__ = [
    "FieldName",
    "PoseidonParams",
    "Sponge",
    "domain_tag",
    "permute",
    "permute_many",
    "poseidon_hash",
    "poseidon_params",
]

_FIELDS: dict[str, PrimeField] = {"Fr": FR, "Fq": FQ}
_KERNEL_CLASSES = {"Fr": _kernel.FrPoseidon, "Fq": _kernel.FqPoseidon}


def poseidon_params(field: FieldName, t: int) -> PoseidonParams:
    """The Poseidon parameters for `field` ("Fr" or "Fq") and width `t` (2..17), cached."""
    return generate(field, t)


def permute(params: PoseidonParams, state: Sequence[int]) -> list[int]:
    """The Poseidon permutation of `state` (t canonical integers)."""
    if len(state) != params.t:
        raise ShapeMismatchError(f"Poseidon state has {len(state)} elements, expected t={params.t}")
    out = _kernel_for(params).permute(_to_vector(state, params))
    return _from_vector(out, params)


def sbox_powers(params: PoseidonParams, state: Sequence[int]) -> list[int]:
    """x², x⁴, x⁵ of every S-box input of the permutation of `state`, in round order (t S-boxes
    per full round, one per partial round): the values a circuit computing the permutation
    holds in its witness, computed in one native pass."""
    if len(state) != params.t:
        raise ShapeMismatchError(f"Poseidon state has {len(state)} elements, expected t={params.t}")
    return _from_vector(_kernel_for(params).sbox_powers(_to_vector(state, params)), params)


def permute_many(params: PoseidonParams, states: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The permutation of each of m states given as a uint64 array of shape (m, t, 4).

    Rows are canonical little-endian limbs as in a field vector; the states are permuted in
    parallel and returned in the same layout.
    """
    if states.dtype != np.uint64:
        raise TypeError(f"Poseidon states must be a uint64 array, got dtype {states.dtype}")
    if states.ndim != 3 or states.shape[1:] != (params.t, 4):
        raise ShapeMismatchError(
            f"Poseidon states must have shape (m, {params.t}, 4), got {states.shape}"
        )
    result: NDArray[np.uint64] = _kernel_for(params).permute_many(np.ascontiguousarray(states))
    return result


def poseidon_hash(field: FieldName, inputs: Sequence[int]) -> int:
    """circomlib's ``Poseidon(n)``: permute [0, inputs...] with t = n + 1, output element 0."""
    t = len(inputs) + 1
    if t not in PARTIAL_ROUNDS:
        raise UnsupportedParameterError(
            f"Poseidon hashes 1 to {max(PARTIAL_ROUNDS) - 1} inputs, got {len(inputs)}"
        )
    return permute(poseidon_params(field, t), [0, *inputs])[0]


def domain_tag(label: str) -> int:
    """A sponge tag for `label`: the first 31 bytes of SHA-256(label, UTF-8), big-endian.

    31 bytes (248 bits) are below both moduli, so the tag is the same integer in Fr and Fq.
    """
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:31], "big")


class Sponge:
    """A duplex Poseidon sponge with a domain-separation tag in its capacity element.

    The padding and domain rule are in this module's docstring.
    """

    def __init__(self, field: FieldName, tag: int, t: int = 5) -> None:
        self._params = poseidon_params(field, t)
        _check_canonical([tag], self._params.modulus)
        self._rate = t - 1
        self._state = [tag] + [0] * self._rate
        self._queued: list[int] = []
        self._absorbing = True
        self._ready: list[int] = []

    def absorb(self, elements: Iterable[int]) -> None:
        """Queue canonical field elements for the next squeeze."""
        elements = list(elements)
        _check_canonical(elements, self._params.modulus)
        self._queued.extend(elements)
        self._absorbing = True
        self._ready = []

    def squeeze(self, count: int = 1) -> list[int]:
        """`count` field elements derived from the tag and everything absorbed so far."""
        if count < 0:
            raise ValueError(f"cannot squeeze {count} elements")
        if self._absorbing:
            self._mix_queued()
        out: list[int] = []
        while len(out) < count:
            if not self._ready:
                self._permute()
            take = min(count - len(out), len(self._ready))
            out += self._ready[:take]
            self._ready = self._ready[take:]
        return out

    def _mix_queued(self) -> None:
        p, rate = self._params.modulus, self._rate
        padded = [*self._queued, 1]
        padded += [0] * (-len(padded) % rate)
        for start in range(0, len(padded), rate):
            block = padded[start : start + rate]
            self._state[1:] = [(s + x) % p for s, x in zip(self._state[1:], block, strict=True)]
            self._permute()
        self._queued = []
        self._absorbing = False

    def _permute(self) -> None:
        self._state = permute(self._params, self._state)
        self._ready = self._state[1:]


@functools.cache
def _kernel_for(params: PoseidonParams) -> _kernel.FrPoseidon | _kernel.FqPoseidon:
    constants = [c for round_constants in params.round_constants for c in round_constants]
    entries = [m for row in params.mds for m in row]
    return _KERNEL_CLASSES[params.field](
        params.t,
        params.full_rounds,
        params.partial_rounds,
        params.alpha,
        _to_vector(constants, params),
        _to_vector(entries, params),
    )


def _check_canonical(values: Sequence[int], modulus: int) -> None:
    for i, value in enumerate(values):
        if not 0 <= value < modulus:
            raise NonCanonicalEncodingError(
                f"element {i} is not a canonical field element (an integer in [0, p))"
            )


def _to_vector(values: Sequence[int], params: PoseidonParams) -> NDArray[np.uint64]:
    """Canonical integers as a field vector of the parameters' field."""
    return _FIELDS[params.field].from_ints(values)


def _from_vector(vector: NDArray[np.uint64], params: PoseidonParams) -> list[int]:
    return _FIELDS[params.field].to_ints(vector)
