"""Poseidon in a circuit: the permutation, circomlib's hash and the transcript sponge.

Parameters, round structure and outputs are those of the native `crypto.poseidon` for the
circuit's field (Fr or Fq), so a hash or Fiat-Shamir challenge computed natively can be
recomputed in a circuit. Costs: an S-box x^5 is three constraints (x², x⁴, x⁵); adding round
constants and the MDS layer are linear, so free. An S-box whose input is a constant (the zero
capacity of a hash, a sponge's tag) is computed natively and costs nothing, so a t-wide
permutation costs 3·(R_F·t + R_P) constraints less 3 per constant S-box input.

In the witness-only mode the partial rounds' linear combinations, which grow by a term per
round, are not built: the gadget tracks the state's values instead, and only builds the
combinations it returns.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence

from crypto.circuit.lc import ONE, LCLike, LinearCombination, as_lc, private_var
from crypto.circuit.system import ConstraintSystem, WitnessGenerator
from crypto.errors import NonCanonicalEncodingError, UnsupportedParameterError
from crypto.field import PrimeField
from crypto.poseidon import poseidon_params, sbox_powers
from crypto.poseidon_params import FIELD_MODULI, PARTIAL_ROUNDS, FieldName, PoseidonParams


def permute(
    cs: ConstraintSystem, state: Sequence[LCLike], name: str = "poseidon"
) -> list[LinearCombination]:
    """The Poseidon permutation of `state` (width t = len(state)) over the circuit's field."""
    return _permute(cs, _params(cs, len(state)), state, name)


def poseidon_hash(
    cs: ConstraintSystem, inputs: Sequence[LCLike], name: str = "poseidon_hash"
) -> LinearCombination:
    """circomlib's ``Poseidon(n)``: permute [0, inputs...] with t = n + 1, output element 0."""
    t = len(inputs) + 1
    if t not in PARTIAL_ROUNDS:
        raise UnsupportedParameterError(
            f"Poseidon hashes 1 to {max(PARTIAL_ROUNDS) - 1} inputs, got {len(inputs)}"
        )
    return _permute(cs, _params(cs, t), [0, *inputs], name)[0]


class Sponge:
    """The duplex sponge of `crypto.poseidon.Sponge`, in a circuit.

    It follows the native padding and phase rule step for step (see `crypto.poseidon`), so
    for the same tag, width and absorbed values it squeezes the same field elements.
    """

    def __init__(self, cs: ConstraintSystem, tag: int, t: int = 5, name: str = "sponge") -> None:
        self._cs = cs
        self._params = _params(cs, t)
        if not 0 <= tag < cs.modulus:
            raise NonCanonicalEncodingError("the sponge tag is not a canonical field element")
        self._name = name
        self._rate = t - 1
        self._state = [LinearCombination.constant(tag)] + [LinearCombination()] * self._rate
        self._queued: list[LinearCombination] = []
        self._absorbing = True
        self._ready: list[LinearCombination] = []
        self._permutations = 0

    def absorb(self, elements: Iterable[LCLike]) -> None:
        """Queue elements for the next squeeze (opens a new absorb phase)."""
        self._queued.extend(as_lc(x) for x in elements)
        self._absorbing = True
        self._ready = []

    def squeeze(self, count: int = 1) -> list[LinearCombination]:
        """`count` elements derived from the tag and everything absorbed so far."""
        if count < 0:
            raise ValueError(f"cannot squeeze {count} elements")
        if self._absorbing:
            self._mix_queued()
        out: list[LinearCombination] = []
        while len(out) < count:
            if not self._ready:
                self._permute()
            take = min(count - len(out), len(self._ready))
            out += self._ready[:take]
            self._ready = self._ready[take:]
        return out

    def _mix_queued(self) -> None:
        rate = self._rate
        padded = [*self._queued, LinearCombination.constant(1)]
        padded += [LinearCombination()] * (-len(padded) % rate)
        for start in range(0, len(padded), rate):
            block = padded[start : start + rate]
            self._state[1:] = [s + x for s, x in zip(self._state[1:], block, strict=True)]
            self._permute()
        self._queued = []
        self._absorbing = False

    def _permute(self) -> None:
        name = f"{self._name}/permutation{self._permutations}"
        self._state = _permute(self._cs, self._params, self._state, name)
        self._permutations += 1
        self._ready = self._state[1:]


def field_name(field: PrimeField) -> FieldName:
    """The name ("Fr" or "Fq") under which `crypto.poseidon` knows `field`."""
    if field.modulus == FIELD_MODULI["Fr"]:
        return "Fr"
    if field.modulus == FIELD_MODULI["Fq"]:
        return "Fq"
    raise UnsupportedParameterError(f"no Poseidon parameters for the field {field.name}")


def _params(cs: ConstraintSystem, t: int) -> PoseidonParams:
    params = poseidon_params(field_name(cs.field), t)
    if params.alpha != 5:
        raise UnsupportedParameterError(f"the Poseidon gadget computes x^5, not x^{params.alpha}")
    return params


def _permute(
    cs: ConstraintSystem, params: PoseidonParams, state: Sequence[LCLike], name: str
) -> list[LinearCombination]:
    """The rounds, tracking each element's constant (where it is one) and value (where computed).

    Combinations are tracked only where constraints are recorded; the witness-only mode builds
    just the output, from the last (full) round's S-box outputs.
    """
    if type(cs) is WitnessGenerator:  # subclasses may watch each alloc by name
        return _permute_witness(cs, params, state)
    p, t = params.modulus, params.t
    record = cs.records_constraints
    lcs = [as_lc(x) for x in state]
    constants = [_constant_of(lc, p) for lc in lcs]
    values = [cs.value(lc) for lc in lcs] if cs.computes_values else None
    half = params.full_rounds // 2
    partial = range(half, half + params.partial_rounds)
    outputs: list[LinearCombination] = []
    with cs.namespace(name):
        for r, round_constants in enumerate(params.round_constants):
            constants = [
                None if c is None else (c + k) % p
                for c, k in zip(constants, round_constants, strict=True)
            ]
            if values is not None:
                values = [(v + k) % p for v, k in zip(values, round_constants, strict=True)]
            if record:
                lcs = [lc + k for lc, k in zip(lcs, round_constants, strict=True)]
            outputs = []
            for i in range(1) if r in partial else range(t):
                with cs.namespace(f"round{r}/sbox{i}"):
                    value = None if values is None else values[i]
                    out, constants[i], value = _sbox(
                        cs, lcs[i] if record else None, constants[i], value, p
                    )
                if values is not None and value is not None:
                    values[i] = value
                if record:
                    lcs[i] = out
                outputs.append(out)
            constants = _mix_constants(params, constants)
            if values is not None:
                values = [_dot(row, values, p) for row in params.mds]
            if record:
                lcs = _mix(params, lcs)
    return lcs if record else _mix(params, outputs)


def _permute_witness(
    cs: WitnessGenerator, params: PoseidonParams, state: Sequence[LCLike]
) -> list[LinearCombination]:
    """`_permute` where only values are computed: the same S-box values (x², x⁴, x⁵ per
    non-constant S-box, in round order), computed by the kernel in one pass and appended at
    once (Poseidon is a third of a tree node's witness time).

    Only the first round can have constant S-box inputs: the MDS layer mixes any variable into
    every element, so after it either all inputs are constant (no allocation at all) or none.
    """
    p, t = params.modulus, params.t
    lcs = [as_lc(x) for x in state]
    constant = [_constant_of(lc, p) is not None for lc in lcs]
    powers = sbox_powers(params, [cs.value(lc) for lc in lcs])
    last_round = powers[-3 * t :]
    if all(constant):
        return _mix(params, [LinearCombination.constant(last_round[3 * i + 2]) for i in range(t)])
    first_round = [
        power for i in range(t) if not constant[i] for power in powers[3 * i : 3 * i + 3]
    ]
    first = cs.extend(first_round + powers[3 * t :])
    end = first + len(first_round) + len(powers) - 3 * t
    outputs = [private_var(end - 3 * (t - i) + 2).lc() for i in range(t)]
    return _mix(params, outputs)


def _sbox(
    cs: ConstraintSystem,
    x: LinearCombination | None,
    constant: int | None,
    value: int | None,
    p: int,
) -> tuple[LinearCombination, int | None, int | None]:
    """x^5 as x² = x·x, x⁴ = x²·x², x⁵ = x⁴·x; folded where x is a constant.

    Returns the output's combination, constant and value. `x` is None where no constraint is
    recorded.
    """
    if constant is not None:
        power = pow(constant, 5, p)
        return LinearCombination.constant(power), power, power
    v2 = v4 = v5 = None
    if value is not None:
        v2 = value * value % p
        v4 = v2 * v2 % p
        v5 = v4 * value % p
    x2 = cs.alloc(v2, "x2")
    x4 = cs.alloc(v4, "x4")
    x5 = cs.alloc(v5, "x5")
    if x is not None:
        cs.enforce(x, x, x2, "x2")
        cs.enforce(x2, x2, x4, "x4")
        cs.enforce(x4, x, x5, "x5")
    return x5.lc(), None, v5


def _mix(params: PoseidonParams, lcs: Sequence[LinearCombination]) -> list[LinearCombination]:
    """The MDS layer on combinations, coefficients reduced so they stay below p."""
    p = params.modulus
    mixed = []
    for row in params.mds:
        terms: dict[int, int] = {}
        for m, lc in zip(row, lcs, strict=True):
            for var, coeff in lc.terms.items():
                terms[var] = terms.get(var, 0) + m * coeff
        mixed.append(LinearCombination({var: c % p for var, c in terms.items() if c % p}))
    return mixed


def _mix_constants(params: PoseidonParams, constants: list[int | None]) -> list[int | None]:
    """The MDS layer on known constants: an output is constant only if every input is (the
    Cauchy matrix has no zero entry)."""
    known = [c for c in constants if c is not None]
    if len(known) < len(constants):
        return [None] * len(constants)
    return [_dot(row, known, params.modulus) for row in params.mds]


def _dot(row: Sequence[int], values: Sequence[int], p: int) -> int:
    total: int = sum(map(operator.mul, row, values))
    return total % p


def _constant_of(lc: LinearCombination, p: int) -> int | None:
    """The value of a combination of the constant one alone; None if it has a variable."""
    if any(var != ONE.id for var in lc.terms):
        return None
    return lc.terms.get(ONE.id, 0) % p


__all__ = ["Sponge", "field_name", "permute", "poseidon_hash"]
