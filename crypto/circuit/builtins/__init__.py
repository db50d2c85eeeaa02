"""Built-in step circuits, named by keys such as ``builtin:cubic?log2=16``.

A key is ``builtin:<name>`` followed, where the circuit takes parameters, by ``?`` and
``parameter=value`` pairs joined by ``&`` (integer values); `builtin(key)` constructs the circuit
and `circuit.key` gives the same key back: only canonical keys are accepted, so one circuit has
one name across the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import import_module
from typing import cast

from crypto.circuit.step import StepCircuit
from crypto.errors import UnsupportedParameterError

PREFIX = "builtin:"
_INTEGER = re.compile(r"[0-9]{1,9}")

BUILTINS: dict[str, str] = {
    "cubic": "crypto.circuit.builtins.cubic:Cubic",
    "minroot": "crypto.circuit.builtins.minroot:MinRoot",
    "poseidon_chain": "crypto.circuit.builtins.poseidon_chain:PoseidonChain",
}
"""Name → ``module:constructor``, imported on first use so a lookup loads only its circuit.
The key's parameters are passed to the constructor as keyword arguments."""


def builtin(key: str) -> StepCircuit:
    """The built-in step circuit `key` names (e.g. ``builtin:minroot?iterations=10``)."""
    if not key.startswith(PREFIX):
        raise UnsupportedParameterError(f"{key!r} is not a built-in circuit key ({PREFIX}...)")
    name, _, query = key[len(PREFIX) :].partition("?")
    target = BUILTINS.get(name)
    if target is None:
        known = ", ".join(PREFIX + n for n in sorted(BUILTINS))
        raise UnsupportedParameterError(f"no built-in circuit {name!r}; known: {known}")
    parameters: dict[str, int] = {}
    for pair in query.split("&") if query else ():
        parameter, sep, value = pair.partition("=")
        if not sep or not parameter or not _INTEGER.fullmatch(value) or parameter in parameters:
            raise UnsupportedParameterError(
                f"{key!r}: parameters are distinct name=integer pairs joined by '&'"
            )
        parameters[parameter] = int(value)
    module, _, attribute = target.partition(":")
    constructor = cast(Callable[..., StepCircuit], getattr(import_module(module), attribute))
    try:
        circuit = constructor(**parameters)
    except TypeError as exc:
        raise UnsupportedParameterError(f"{key!r}: wrong parameters for {name}: {exc}") from None
    if circuit.key != key:
        raise UnsupportedParameterError(
            f"{key!r} is not the canonical key of the circuit it names; use {circuit.key!r}"
        )
    return circuit


__all__ = ["BUILTINS", "PREFIX", "builtin"]
