"""Pure-Python BN254 G1 and Grumpkin, from the math: the independent check of the kernel's groups.

Slow and obviously correct: affine short-Weierstrass formulas on Python ints, a point is an
``(x, y)`` tuple and the identity is ``None``. Covers what the kernel must agree with: the group
law, scalar multiplication, the strict compressed encoding, a naive MSM and hash-to-curve
(``crypto.group`` documents both formats). Never used on a hot path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from crypto.errors import NonCanonicalEncodingError, NotOnCurveError, WrongLengthError

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

Point = tuple[int, int] | None
"""An affine point, ``None`` for the identity."""


@dataclass(frozen=True)
class Curve:
    """``y² = x³ + b`` over F_p with a prime number ``order`` of points (cofactor 1)."""

    name: str
    p: int
    order: int
    b: int
    generator: tuple[int, int]


BN254_G1 = Curve("BN254-G1", p=Q, order=R, b=3, generator=(1, 2))
GRUMPKIN = Curve(
    "Grumpkin",
    p=R,
    order=Q,
    b=R - 17,
    generator=(1, 17631683881184975370165255887551781615748388533673675138860),
)

ENCODED_LEN = 32
Y_IS_LARGER = 0x80
IDENTITY = 0x40
GENERATORS_TAG = b"novanode/generators/v1"


def is_on_curve(curve: Curve, point: Point) -> bool:
    if point is None:
        return True
    x, y = point
    return 0 <= x < curve.p and 0 <= y < curve.p and (y * y - x**3 - curve.b) % curve.p == 0


def neg(curve: Curve, point: Point) -> Point:
    if point is None:
        return None
    x, y = point
    return (x, -y % curve.p)


def add(curve: Curve, a: Point, b: Point) -> Point:
    """The chord-and-tangent sum (a = 0 for both curves)."""
    if a is None:
        return b
    if b is None:
        return a
    p = curve.p
    (x1, y1), (x2, y2) = a, b
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None
        slope = 3 * x1 * x1 * pow(2 * y1, -1, p) % p
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
    x3 = (slope * slope - x1 - x2) % p
    return (x3, (slope * (x1 - x3) - y1) % p)


def mul(curve: Curve, point: Point, k: int) -> Point:
    """``k·point`` by double-and-add on ``k mod order``."""
    k %= curve.order
    result: Point = None
    addend = point
    while k:
        if k & 1:
            result = add(curve, result, addend)
        addend = add(curve, addend, addend)
        k >>= 1
    return result


def msm(curve: Curve, points: Sequence[Point], scalars: Sequence[int]) -> Point:
    """``Σ scalars[i]·points[i]`` one term at a time."""
    if len(points) != len(scalars):
        raise ValueError(f"{len(points)} points but {len(scalars)} scalars")
    total: Point = None
    for point, k in zip(points, scalars, strict=True):
        total = add(curve, total, mul(curve, point, k))
    return total


def sqrt(a: int, p: int) -> int | None:
    """A square root of ``a`` mod the odd prime ``p`` (Tonelli–Shanks), ``None`` if none exists."""
    a %= p
    if a == 0:
        return 0
    if pow(a, (p - 1) // 2, p) != 1:
        return None
    s, t = 0, p - 1
    while t % 2 == 0:
        s, t = s + 1, t // 2
    z = next(z for z in range(2, p) if pow(z, (p - 1) // 2, p) == p - 1)
    m, c, root, u = s, pow(z, t, p), pow(a, (t + 1) // 2, p), pow(a, t, p)
    while u != 1:
        i, u2 = 0, u
        while u2 != 1:
            i, u2 = i + 1, u2 * u2 % p
        step = pow(c, 1 << (m - i - 1), p)
        m, c = i, step * step % p
        root, u = root * step % p, u * c % p
    return root


def ys_above(curve: Curve, x: int) -> tuple[int, int] | None:
    """The two y with (x, y) on the curve, smaller first; ``None`` when there are none."""
    root = sqrt(x**3 + curve.b, curve.p)
    if root is None:
        return None
    other = -root % curve.p
    return (min(root, other), max(root, other))


def encode(curve: Curve, point: Point) -> bytes:
    """32 bytes: x little-endian; last byte bit 7 = "y is the larger root", bit 6 = identity."""
    if point is None:
        return bytes(ENCODED_LEN - 1) + bytes([IDENTITY])
    x, y = point
    flags = Y_IS_LARGER if y > curve.p - y else 0
    data = bytearray(x.to_bytes(ENCODED_LEN, "little"))
    data[-1] |= flags
    return bytes(data)


def decode(curve: Curve, data: bytes) -> Point:
    """The point ``data`` encodes, rejecting everything ``encode`` never outputs."""
    if len(data) != ENCODED_LEN:
        raise WrongLengthError(f"a {curve.name} point is {ENCODED_LEN} bytes, got {len(data)}")
    flags = data[-1] & (Y_IS_LARGER | IDENTITY)
    x = int.from_bytes(data, "little") & ~((Y_IS_LARGER | IDENTITY) << 8 * (ENCODED_LEN - 1))
    if flags & IDENTITY:
        if flags & Y_IS_LARGER or x != 0:
            raise NonCanonicalEncodingError(f"malformed {curve.name} identity encoding")
        return None
    if x >= curve.p:
        raise NonCanonicalEncodingError(f"{curve.name} x-coordinate is not below the modulus")
    ys = ys_above(curve, x)
    if ys is None:
        raise NotOnCurveError(f"no {curve.name} point has this x-coordinate")
    return (x, ys[1] if flags & Y_IS_LARGER else ys[0])


def derive_generator(curve: Curve, label: bytes, index: int) -> tuple[int, int]:
    """Generator ``index`` of the key ``label``: try-and-increment on SHA-512, smaller root."""
    name = curve.name.encode()
    prefix = (
        GENERATORS_TAG
        + bytes([len(name)])
        + name
        + len(label).to_bytes(8, "little")
        + label
        + index.to_bytes(8, "little")
    )
    counter = 0
    while True:
        digest = hashlib.sha512(prefix + counter.to_bytes(4, "little")).digest()
        x = int.from_bytes(digest, "little") % curve.p
        ys = ys_above(curve, x)
        if ys is not None:
            return (x, ys[0])
        counter += 1


def derive_generators(curve: Curve, label: bytes, n: int) -> list[tuple[int, int]]:
    """The first ``n`` generators of the key ``label``."""
    return [derive_generator(curve, label, i) for i in range(n)]
