"""Affine arithmetic on short Weierstrass curves y² = x³ + b from the textbook formulas: the
native reference the circuit tests compare against. Points are (x, y); (0, 0) is the identity
(on neither curve of the cycle), as in `crypto.circuit.gadgets.ecc`. Slow and plain on purpose.
"""

from __future__ import annotations

IDENTITY = (0, 0)


def on_curve(p: int, b: int, point: tuple[int, int]) -> bool:
    x, y = point
    return point == IDENTITY or (y * y - x**3 - b) % p == 0


def add(p: int, a: tuple[int, int], c: tuple[int, int]) -> tuple[int, int]:
    """a + c on y² = x³ + b over F_p (b does not enter the group law)."""
    if a == IDENTITY:
        return c
    if c == IDENTITY:
        return a
    (x1, y1), (x2, y2) = a, c
    if x1 == x2 and (y1 + y2) % p == 0:
        return IDENTITY
    if x1 == x2:
        slope = 3 * x1 * x1 * pow(2 * y1, p - 2, p) % p
    else:
        slope = (y2 - y1) * pow(x2 - x1, p - 2, p) % p
    x3 = (slope * slope - x1 - x2) % p
    return x3, (slope * (x1 - x3) - y1) % p


def neg(p: int, a: tuple[int, int]) -> tuple[int, int]:
    return a if a == IDENTITY else (a[0], (-a[1]) % p)


def mul(p: int, k: int, a: tuple[int, int]) -> tuple[int, int]:
    """[k]a by double-and-add from the most significant bit (k ≥ 0)."""
    result = IDENTITY
    for bit in bin(k)[2:]:
        result = add(p, result, result)
        if bit == "1":
            result = add(p, result, a)
    return result
