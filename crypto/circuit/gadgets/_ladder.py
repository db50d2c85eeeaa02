"""The witness of `ecc.scalar_mul`'s ladder, computed natively with four field inversions.

Done step by step in affine coordinates, every doubling and every chord addition costs an
inversion (about 13 µs in Python), two per bit: a third of the gadget's witness time. Here the
powers 2^i·B and the partial sums are computed in Jacobian coordinates (X/Z², Y/Z³), which need
no inversion, and then brought to affine form and their slopes' denominators inverted in
batches, one inversion per batch (Montgomery's trick).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Jacobian = tuple[int, int, int]


@dataclass(frozen=True)
class LadderWitness:
    """Values in the order the ladder allocates them.

    `doublings[i]` = (x², λ, x', y') for the doubling of 2^i·B into 2^(i+1)·B;
    `chords[i]` = (λ, x', y') for the i-th chord addition of the accumulator.
    """

    doublings: list[tuple[int, int, int, int]]
    chords: list[tuple[int, int, int]]


def ladder_witness(
    p: int, base: tuple[int, int], signs: Sequence[int], chord_top: bool
) -> LadderWitness:
    """The witness of acc = s_1·B, acc ← acc + s_i·2^(i−1)·B (i = 2 … m−1), with the powers
    2^(i−1)·B doubled up to 2^(m−1)·B, and, where `chord_top`, acc + 2^(m−1)·B last.

    `signs` = (s_1, …, s_(m−1)), each ±1; B is finite. The ladder's parity argument (see
    `ecc.scalar_mul`) guarantees that no denominator below is zero.
    """
    m = len(signs) + 1
    powers = _to_affine(p, _doubling_chain(p, base, m - 1))  # 2^0·B … 2^(m−1)·B
    inverse_2y = batch_inverse([2 * y for _, y in powers[:-1]], p)
    doublings = []
    for (x, _), inv, (x2, y2) in zip(powers[:-1], inverse_2y, powers[1:], strict=True):
        xx = x * x % p
        doublings.append((xx, 3 * xx * inv % p, x2, y2))

    addends = [
        (x, y if s == 1 else p - y) for (x, y), s in zip(powers[1 : m - 1], signs[1:], strict=True)
    ]
    if chord_top:
        addends.append(powers[m - 1])
    first = (powers[0][0], powers[0][1] if signs[0] == 1 else p - powers[0][1])
    sums = _to_affine(p, _partial_sums(p, first, addends))  # acc before and after each chord
    before, after = sums[:-1], sums[1:]
    inverse_dx = batch_inverse([(q[0] - a[0]) % p for a, q in zip(before, addends, strict=True)], p)
    chords = [
        ((q[1] - a[1]) * inv % p, out[0], out[1])
        for a, q, inv, out in zip(before, addends, inverse_dx, after, strict=True)
    ]
    return LadderWitness(doublings, chords)


def batch_inverse(values: Sequence[int], p: int) -> list[int]:
    """1/v for every (nonzero) v, with one inversion: invert the product, then peel it."""
    prefix = []
    product = 1
    for v in values:
        prefix.append(product)
        product = product * v % p
    inverse = pow(product, -1, p)
    out = [0] * len(values)
    for i in reversed(range(len(values))):
        out[i] = prefix[i] * inverse % p
        inverse = inverse * values[i] % p
    return out


def _doubling_chain(p: int, point: tuple[int, int], n: int) -> list[Jacobian]:
    """point, 2·point, …, 2^n·point in Jacobian coordinates (y² = x³ + b: a = 0)."""
    chain = [(point[0], point[1], 1)]
    for _ in range(n):
        x, y, z = chain[-1]
        xx, yy = x * x % p, y * y % p
        yyyy = yy * yy % p
        d = 2 * ((x + yy) * (x + yy) - xx - yyyy) % p
        e = 3 * xx % p
        x3 = (e * e - 2 * d) % p
        chain.append((x3, (e * (d - x3) - 8 * yyyy) % p, 2 * y * z % p))
    return chain


def _partial_sums(
    p: int, first: tuple[int, int], addends: Sequence[tuple[int, int]]
) -> list[Jacobian]:
    """first, first + addends[0], … in Jacobian coordinates, adding affine points (the chord
    case: the accumulator and the addend never share x)."""
    sums = [(first[0], first[1], 1)]
    for x2, y2 in addends:
        x1, y1, z1 = sums[-1]
        z1z1 = z1 * z1 % p
        h = (x2 * z1z1 - x1) % p
        hh = h * h % p
        i = 4 * hh % p
        j = h * i % p
        r = 2 * (y2 * z1 * z1z1 - y1) % p
        v = x1 * i % p
        x3 = (r * r - j - 2 * v) % p
        y3 = (r * (v - x3) - 2 * y1 * j) % p
        sums.append((x3, y3, ((z1 + h) * (z1 + h) - z1z1 - hh) % p))
    return sums


def _to_affine(p: int, points: Sequence[Jacobian]) -> list[tuple[int, int]]:
    """(X/Z², Y/Z³) for each point, with one inversion for all."""
    inverses = batch_inverse([z for _, _, z in points], p)
    out = []
    for (x, y, _), inv in zip(points, inverses, strict=True):
        inv2 = inv * inv % p
        out.append((x * inv2 % p, y * inv2 * inv % p))
    return out
