"""Bit decomposition, packing and range checks.

`to_bits(x, n)` allocates n bits and one packing constraint Σ 2^i·b_i = x. For n below the
field's bit length that sum is < p, so the bits are x's only decomposition. For n equal to it
(254 for both novanode fields) the sum can reach 2^254 > p, and x + p would satisfy the packing
constraint too; the strict decomposition then also enforces Σ 2^i·b_i ≤ p − 1 so the bits are
the canonical ones, which gadgets reading bits as an integer (comparisons, scalar
multiplication) rely on.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.circuit.gadgets.boolean import TRUE, Boolean, and_
from crypto.circuit.lc import ONE, LCLike, LinearCombination, private_var
from crypto.circuit.system import ConstraintSystem, WitnessGenerator
from crypto.errors import UnsupportedParameterError


def to_bits(cs: ConstraintSystem, x: LCLike, n_bits: int, name: str = "bits") -> list[Boolean]:
    """The `n_bits` little-endian bits of x (the canonical ones), constraining x < 2^n_bits.

    Costs n_bits + 1 constraints, plus the canonicity check where n_bits is the field's bit
    length.
    """
    field_bits = cs.modulus.bit_length()
    if not 0 <= n_bits <= field_bits:
        raise UnsupportedParameterError(
            f"cannot decompose into {n_bits} bits: the field's elements have {field_bits}"
        )
    with cs.namespace(name):
        if type(cs) is WitnessGenerator:
            # Witness only: the same bits, appended at once (no call per bit). Subclasses may
            # watch each alloc by name, so they take the general path.
            known = cs.value(x)
            first = cs.extend([known >> i & 1 for i in range(n_bits)])
            bits = [Boolean(private_var(first + i).lc()) for i in range(n_bits)]
            if n_bits == field_bits:
                enforce_at_most(cs, bits, cs.modulus - 1, "canonical")
            return bits
        value = cs.value(x) if cs.computes_values else None
        bits = [
            Boolean.alloc(cs, None if value is None else bool(value >> i & 1), f"bit{i}")
            for i in range(n_bits)
        ]
        cs.enforce(lambda: pack(bits), ONE, x, "pack")
        if n_bits == field_bits:
            enforce_at_most(cs, bits, cs.modulus - 1, "canonical")
    return bits


def pack(bits: Sequence[Boolean]) -> LinearCombination:
    """Σ 2^i·b_i for little-endian bits: linear, so free."""
    terms: dict[int, int] = {}
    for i, bit in enumerate(bits):
        for var, coeff in bit.lc.terms.items():
            terms[var] = terms.get(var, 0) + (coeff << i)
    return LinearCombination(terms)


def enforce_range(cs: ConstraintSystem, x: LCLike, n_bits: int, name: str = "range") -> None:
    """Constrains 0 ≤ x < 2^n_bits (as an integer in [0, p)): n_bits + 1 constraints."""
    field_bits = cs.modulus.bit_length()
    if not 0 <= n_bits < field_bits:
        raise UnsupportedParameterError(
            f"a range check takes 0 to {field_bits - 1} bits, got {n_bits}; every field element "
            f"is below 2^{field_bits}"
        )
    to_bits(cs, x, n_bits, name)


def enforce_at_most(
    cs: ConstraintSystem, bits: Sequence[Boolean], bound: int, name: str = "at_most"
) -> None:
    """Constrains the integer with little-endian `bits` to be ≤ the constant `bound`.

    Scanning from the top, `equal` says the bits read so far equal the bound's. Where the bound
    has a 1, `equal` becomes equal ∧ b_i (one constraint); where it has a run of 0s, equal·Σ b_i
    = 0 forces those bits to 0 while the prefix is equal (one constraint per run: the b_i are
    bits, so their sum is 0 only if each is). The first bit that differs is then one the bound
    has set and the value has not.
    """
    if bound < 0:
        raise UnsupportedParameterError(f"no bit string is at most {bound}")
    if bound >= 1 << len(bits):
        return
    with cs.namespace(name):
        equal = TRUE
        zero_run: list[Boolean] = []
        for i in reversed(range(len(bits))):
            if bound >> i & 1:
                _enforce_zero_run(cs, equal, zero_run, i + 1)
                zero_run = []
                equal = and_(cs, equal, bits[i], f"equal{i}")
            else:
                zero_run.append(bits[i])
        _enforce_zero_run(cs, equal, zero_run, 0)


def _enforce_zero_run(
    cs: ConstraintSystem, equal: Boolean, run: Sequence[Boolean], lowest: int
) -> None:
    if run:
        cs.enforce(
            equal.lc, lambda: LinearCombination.sum(bit.lc for bit in run), 0, f"zeros{lowest}"
        )


__all__ = ["enforce_at_most", "enforce_range", "pack", "to_bits"]
