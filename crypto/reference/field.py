"""Field-vector operations on lists of ints modulo ``p``, straight from the definitions."""

from __future__ import annotations

from collections.abc import Sequence

ELEMENT_BYTES = 32


def _same_length(a: Sequence[int], b: Sequence[int]) -> None:
    if len(a) != len(b):
        raise ValueError(f"lengths differ: {len(a)} and {len(b)}")


def add(p: int, a: Sequence[int], b: Sequence[int]) -> list[int]:
    _same_length(a, b)
    return [(x + y) % p for x, y in zip(a, b, strict=True)]


def sub(p: int, a: Sequence[int], b: Sequence[int]) -> list[int]:
    _same_length(a, b)
    return [(x - y) % p for x, y in zip(a, b, strict=True)]


def mul(p: int, a: Sequence[int], b: Sequence[int]) -> list[int]:
    _same_length(a, b)
    return [x * y % p for x, y in zip(a, b, strict=True)]


def neg(p: int, a: Sequence[int]) -> list[int]:
    return [-x % p for x in a]


def scale(p: int, a: Sequence[int], s: int) -> list[int]:
    return [s * x % p for x in a]


def axpy(p: int, a: Sequence[int], s: int, b: Sequence[int]) -> list[int]:
    _same_length(a, b)
    return [(x + s * y) % p for x, y in zip(a, b, strict=True)]


def inner_product(p: int, a: Sequence[int], b: Sequence[int]) -> int:
    _same_length(a, b)
    return sum(x * y for x, y in zip(a, b, strict=True)) % p


def vector_sum(p: int, a: Sequence[int]) -> int:
    return sum(a) % p


def powers(p: int, base: int, n: int) -> list[int]:
    return [pow(base, i, p) for i in range(n)]


def inverse(p: int, x: int) -> int:
    """``x^(p-2)``: the inverse by Fermat's little theorem."""
    if x % p == 0:
        raise ZeroDivisionError("zero has no inverse")
    return pow(x, p - 2, p)


def batch_inverse(p: int, a: Sequence[int]) -> list[int]:
    return [inverse(p, x) for x in a]


def to_bytes(a: Sequence[int]) -> bytes:
    return b"".join(x.to_bytes(ELEMENT_BYTES, "little") for x in a)


def from_bytes(p: int, data: bytes) -> list[int]:
    if len(data) % ELEMENT_BYTES:
        raise ValueError("length is not a multiple of 32")
    values = [
        int.from_bytes(data[at : at + ELEMENT_BYTES], "little")
        for at in range(0, len(data), ELEMENT_BYTES)
    ]
    if any(v >= p for v in values):
        raise ValueError("a value is not below the modulus")
    return values
