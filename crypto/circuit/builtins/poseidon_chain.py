"""The Poseidon hash chain: z' = (Poseidon(z[0], advice), z[1] + 1).

The same step as the circom fixture ``poseidon_chain`` (circomlib's ``Poseidon(2)`` of the
previous hash and the step's advice, plus a step counter), so a trace computed by one is a
trace of the other. Its advice is one field element per step, in circom's input format:
``{"advice": value}`` with value an integer or a decimal or 0x-hex string (negative values are
reduced mod p, as circom does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from crypto.circuit.gadgets.eq import materialize
from crypto.circuit.gadgets.poseidon import field_name, poseidon_hash
from crypto.circuit.lc import Var
from crypto.circuit.step import Advice
from crypto.circuit.system import ConstraintSystem
from crypto.errors import FieldMismatchError, StepCircuitError
from crypto.field import FR, PrimeField
from crypto.poseidon import poseidon_hash as native_poseidon_hash

KEY: Final = "builtin:poseidon_chain"

_DECIMAL = re.compile(r"-?[0-9]{1,100}")
_HEX = re.compile(r"-?0[xX][0-9a-fA-F]{1,100}")


class PoseidonChain:
    """The hash-chain step circuit over `field` (Fr, like the circom fixture, by default)."""

    def __init__(self, field: PrimeField = FR) -> None:
        self.field = field
        self._field_name = field_name(field)

    @property
    def arity(self) -> int:
        return 2

    @property
    def key(self) -> str:
        return KEY if self.field is FR else f"{KEY}?field={self.field.name}"

    def synthesize(self, cs: ConstraintSystem, z: Sequence[Var], advice: Advice) -> list[Var]:
        """242 constraints: the hash (240) and one each to hold the two outputs in variables."""
        if cs.modulus != self.field.modulus:
            raise FieldMismatchError(
                f"{self.key} is defined over {self.field.name}, the circuit is over {cs.field.name}"
            )
        self._check_arity(z)
        value = cs.alloc(lambda: advice_value(advice, self.field.modulus), "advice")
        digest = poseidon_hash(cs, [z[0], value])
        return [materialize(cs, digest, "hash"), materialize(cs, z[1] + 1, "counter")]

    def native(self, z: Sequence[int], advice: Advice) -> list[int]:
        """z' computed directly (one native Poseidon permutation)."""
        self._check_arity(z)
        p = self.field.modulus
        if any(not 0 <= v < p for v in z):
            raise StepCircuitError("z holds a value that is not a canonical field element")
        digest = native_poseidon_hash(self._field_name, [z[0], advice_value(advice, p)])
        return [digest, (z[1] + 1) % p]

    def _check_arity(self, z: Sequence[object]) -> None:
        if len(z) != self.arity:
            raise StepCircuitError(f"z has {len(z)} elements; {self.key} takes {self.arity}")


def advice_value(advice: Advice, modulus: int) -> int:
    """The step's advice element from ``{"advice": value}``, reduced mod `modulus`."""
    if advice is None or set(advice) != {"advice"}:
        keys = "none" if advice is None else sorted(advice)
        raise StepCircuitError(f'{KEY} takes advice {{"advice": value}}, got keys {keys}')
    value = advice["advice"]
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        if _DECIMAL.fullmatch(value):
            return int(value, 10) % modulus
        if _HEX.fullmatch(value):
            return int(value, 16) % modulus
    elif isinstance(value, int) and not isinstance(value, bool):
        return value % modulus
    raise StepCircuitError(f"advice {value!r} is not an integer or a decimal or 0x-hex string")


__all__ = ["KEY", "PoseidonChain", "advice_value"]
