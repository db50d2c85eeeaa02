"""Sum-check over multilinear tables: the prover's rounds in the kernel, the verifier's in ints.

A sum-check proves ``claim = Σ_{x ∈ {0,1}^k} g(x)`` for a polynomial ``g`` of multilinear tables.
Round ``j`` sends the univariate ``g_j(X)`` (the sum with the first free variable set to X), the
verifier draws ``r_j`` and continues with ``g_j(r_j)``; the last value is checked by evaluating
``g`` at ``r`` directly (the caller's job). Variables go in the ``crypto.snark.multilinear``
order: round ``j`` binds the top bit of what is left.

A round message is ``g_j`` by its values at ``0, 2, 3, …, degree``: the value at 1 is left out
because the verifier recomputes it as ``claim − g_j(0)`` (so each message is ``degree`` field
elements, and a false message shows up in the final check, not in its own round). The message
is absorbed as one transcript message under the sum-check's label, then ``r_j`` squeezed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import crypto._kernel as _kernel
from crypto.errors import SumcheckError
from crypto.field import PrimeField, Vector, as_vector
from crypto.snark.transcript import SnarkTranscript

RoundMessage = tuple[int, ...]
"""A round polynomial's values at 0, 2, 3, …, degree."""


@dataclass(frozen=True)
class _Kernel:
    """The kernel's sum-check functions of one field, typed."""

    bind_top: Callable[[Vector, bytes], Vector]
    outer_round: Callable[[Vector, Vector, Vector, Vector], Vector]
    product_round: Callable[[Vector, Vector], Vector]

    @classmethod
    @functools.cache
    def of(cls, field: PrimeField) -> _Kernel:
        prefix = field.kernel_prefix
        return cls(**{f.name: getattr(_kernel, f"{prefix}_{f.name}") for f in fields(cls)})


def bind_top(field: PrimeField, table: Vector, r: int) -> Vector:
    """The table with its first variable bound to ``r``: ``lo + r·(hi − lo)``, half as long."""
    return _Kernel.of(field).bind_top(as_vector(table, "table"), _scalar(field, r))


def outer_round(field: PrimeField, eq: Vector, a: Vector, b: Vector, c: Vector) -> RoundMessage:
    """Values at 0, 2, 3 of ``X ↦ Σ eq·(a·b − c)`` with the first variable set to X."""
    values = _Kernel.of(field).outer_round(
        as_vector(eq, "eq"), as_vector(a, "a"), as_vector(b, "b"), as_vector(c, "c")
    )
    return tuple(field.to_ints(values))


def product_round(field: PrimeField, a: Vector, b: Vector) -> RoundMessage:
    """Values at 0, 2 of ``X ↦ Σ a·b`` with the first variable set to X."""
    values = _Kernel.of(field).product_round(as_vector(a, "a"), as_vector(b, "b"))
    return tuple(field.to_ints(values))


RoundFunction = Callable[[Sequence[Vector]], RoundMessage]
"""The message of one round from the current tables."""


def prove(
    field: PrimeField,
    transcript: SnarkTranscript,
    label: bytes,
    tables: Sequence[Vector],
    round_message: RoundFunction,
) -> tuple[tuple[RoundMessage, ...], list[int], list[int]]:
    """Runs every round over ``tables`` (one power-of-two length; 1 means no rounds).

    Returns the messages, the challenges ``r`` and each table's value at ``r``.
    """
    kernel = _Kernel.of(field)
    current = [as_vector(t, "table") for t in tables]
    messages: list[RoundMessage] = []
    challenges: list[int] = []
    while len(current[0]) > 1:
        message = round_message(current)
        transcript.absorb_scalars(label, field, message)
        r = transcript.challenge(label, field)
        encoded = _scalar(field, r)
        current = [kernel.bind_top(t, encoded) for t in current]
        messages.append(message)
        challenges.append(r)
    return tuple(messages), challenges, [field.to_ints(t)[0] for t in current]


def verify(
    field: PrimeField,
    transcript: SnarkTranscript,
    label: bytes,
    claim: int,
    messages: Sequence[Sequence[int]],
    n_rounds: int,
    degree: int,
) -> tuple[int, list[int]]:
    """Replays the rounds of a sum-check of ``claim`` in ``n_rounds`` variables.

    Returns the final claim (what ``g(r)`` must be) and ``r``. Raises ``SumcheckError`` for a
    wrong number of rounds, a message of the wrong length or with a value outside ``[0, p)``.
    """
    name = label.decode()
    if len(messages) != n_rounds:
        raise SumcheckError(f"the {name} sum-check has {len(messages)} rounds; it needs {n_rounds}")
    p = field.modulus
    challenges: list[int] = []
    for j, message in enumerate(messages):
        if len(message) != degree:
            raise SumcheckError(
                f"round {j} of the {name} sum-check has {len(message)} values; a round "
                f"polynomial of degree {degree} is sent as {degree} (its values at 0, 2, …)"
            )
        if not all(isinstance(v, int) and 0 <= v < p for v in message):
            raise SumcheckError(f"round {j} of the {name} sum-check has a value outside [0, p)")
        transcript.absorb_scalars(label, field, message)
        r = transcript.challenge(label, field)
        at_zero = message[0]
        values = [at_zero, (claim - at_zero) % p, *message[1:]]
        claim = interpolate(p, values, r)
        challenges.append(r)
    return claim, challenges


def interpolate(p: int, values: Sequence[int], x: int) -> int:
    """The polynomial with ``values`` at 0, 1, …, d, evaluated at ``x`` (Lagrange, mod p)."""
    d = len(values) - 1
    total = 0
    for i, v in enumerate(values):
        numerator, denominator = 1, 1
        for j in range(d + 1):
            if j != i:
                numerator = numerator * (x - j) % p
                denominator = denominator * (i - j) % p
        total += v * numerator * pow(denominator, -1, p)
    return total % p


def eq_at(p: int, a: Sequence[int], b: Sequence[int]) -> int:
    """``eq(a, b) = Π (a_j·b_j + (1 − a_j)(1 − b_j))``: 1 on equal Boolean points, else 0."""
    out = 1
    for a_j, b_j in zip(a, b, strict=True):
        out = out * (a_j * b_j + (1 - a_j) * (1 - b_j)) % p
    return out


def _scalar(field: PrimeField, r: int) -> bytes:
    """``r`` as the kernel takes a scalar; it rejects a value outside ``[0, p)`` of ``field``."""
    return field.from_ints([r]).tobytes()
