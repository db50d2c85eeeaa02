"""Points of the curve whose base field is the circuit's field, in affine form with a flag.

Nova's verifier on one curve of the cycle adds and scales commitments of the other curve, whose
coordinates live in its own field: an Fr circuit handles Grumpkin points (y² = x³ − 17 over Fr),
an Fq circuit BN254 G1 points (y² = x³ + 3 over Fq). A point is (x, y, is_infinity) with the
identity encoded as (0, 0, 1); (0, 0) is on neither curve, so every point has one encoding.

Both groups have odd prime order, so no point but the identity has 2P = O: a finite point has
y ≠ 0. The formulas below rely on that, and on every `Point` satisfying its invariant (on the
curve, and (0, 0) where is_infinity = 1), which each gadget here establishes for its output.

Constraints: `alloc_point` 5, `double` 4, `add` 16, `select` 3, `negate` 0, `scalar_mul` by
m bits 8m + 13 for 2 ≤ m ≤ 253 (1,037 for a 128-bit challenge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from crypto.circuit.gadgets._ladder import LadderWitness, ladder_witness
from crypto.circuit.gadgets._witness import hints
from crypto.circuit.gadgets.boolean import FALSE, TRUE, Boolean, choose
from crypto.circuit.gadgets.eq import is_zero
from crypto.circuit.gadgets.eq import select as select_lc
from crypto.circuit.lc import ONE, LCLike, LinearCombination, Var, as_lc, private_var
from crypto.circuit.system import ConstraintSystem, WitnessGenerator
from crypto.errors import NotOnCurveError, UnsupportedParameterError
from crypto.field import FQ, FR, PrimeField

NativePoint: TypeAlias = tuple[int, int]
"""An affine point as two canonical integers; (0, 0) is the identity."""

PointValue: TypeAlias = NativePoint | Callable[[], NativePoint] | None
"""A point's value: a native point, a callable computing it, or None where none is known."""


@dataclass(frozen=True)
class Curve:
    """y² = x³ + b over `field`, a group of prime order `order` (cofactor 1)."""

    name: str
    field: PrimeField
    b: int
    order: int
    generator: NativePoint

    def is_on_curve(self, point: NativePoint) -> bool:
        """Whether `point` is the identity (0, 0) or a canonical solution of the equation."""
        x, y = point
        p = self.field.modulus
        if point == (0, 0):
            return True
        return 0 <= x < p and 0 <= y < p and (y * y - x * x * x - self.b) % p == 0


GRUMPKIN = Curve(
    "Grumpkin",
    FR,
    FR.modulus - 17,
    FQ.modulus,
    (1, 17631683881184975370165255887551781615748388533673675138860),
)
BN254_G1 = Curve("BN254 G1", FQ, 3, FR.modulus, (1, 2))


def curve_of(field: PrimeField) -> Curve:
    """The curve whose points a circuit over `field` handles natively."""
    for curve in (GRUMPKIN, BN254_G1):
        if curve.field.modulus == field.modulus:
            return curve
    raise UnsupportedParameterError(f"no curve of the cycle has base field {field.name}")


@dataclass(frozen=True)
class Point:
    """A point in-circuit: combinations holding x and y, and the identity flag."""

    x: LCLike
    y: LCLike
    is_infinity: Boolean

    @classmethod
    def constant(cls, curve: Curve, value: NativePoint) -> Point:
        """A fixed point (no variable, no constraint)."""
        if not curve.is_on_curve(value):
            raise NotOnCurveError(f"{value} is not a point of {curve.name}")
        return cls(value[0], value[1], Boolean.of(value == (0, 0)))

    def value(self, cs: ConstraintSystem) -> NativePoint:
        """This point's value; only where `cs.computes_values`."""
        return cs.value(self.x), cs.value(self.y)

    def __neg__(self) -> Point:
        return negate(self)


IDENTITY = Point(0, 0, TRUE)
"""The identity as a constant point."""


def alloc_point(cs: ConstraintSystem, value: PointValue = None, name: str = "point") -> Point:
    """A new private point, constrained to the curve or the identity (5 constraints)."""
    curve = curve_of(cs.field)
    with cs.namespace(name):
        if value is None:
            xv = yv = fv = None
        else:
            xv, yv, fv = hints(cs, 3, lambda: _encode(curve, value))
        x = cs.alloc(xv, "x")
        y = cs.alloc(yv, "y")
        flag = Boolean.alloc(cs, None if fv is None else fv == 1, "is_infinity")
        cs.enforce(flag.lc, x, 0, "identity_x")
        xx = _product(cs, x, x, "x_squared")
        yy = _product(cs, y, y, "y_squared")
        # x³ = y² − b·(1 − flag): the curve equation for a finite point; for the identity x = 0
        # (above) leaves y² = 0, so y = 0 as well.
        cs.enforce(xx, x, lambda: yy - curve.b + curve.b * flag.lc, "on_curve")
        return Point(x, y, flag)


def _encode(curve: Curve, value: NativePoint | Callable[[], NativePoint]) -> tuple[int, int, int]:
    point = value() if callable(value) else value
    if not curve.is_on_curve(point):
        raise NotOnCurveError(f"{point} is not a point of {curve.name}")
    return point[0], point[1], int(point == (0, 0))


def negate(p: Point) -> Point:
    """−P = (x, −y): free, and the identity (0, 0) stays (0, 0)."""
    return Point(p.x, -as_lc(p.y), p.is_infinity)


def select(
    cs: ConstraintSystem, bit: Boolean, if_true: Point, if_false: Point, name: str = "select"
) -> Point:
    """`if_true` where `bit` holds, else `if_false` (3 constraints)."""
    with cs.namespace(name):
        return Point(
            select_lc(cs, bit, if_true.x, if_false.x, "x"),
            select_lc(cs, bit, if_true.y, if_false.y, "y"),
            choose(cs, bit, if_true.is_infinity, if_false.is_infinity, "is_infinity"),
        )


def double(cs: ConstraintSystem, p: Point, name: str = "double") -> Point:
    """2P for any point (4 constraints).

    The tangent slope λ satisfies λ·(2y + is_infinity) = 3x². For a finite point y ≠ 0 (no
    point of order 2), so λ is unique; for the identity x = y = 0, so the constraint reads
    λ·1 = 0, and λ = 0 turns the formulas below into (0, 0): the identity, as 2·O is.
    """
    return _double(cs, p, name, None)


def _double(
    cs: ConstraintSystem, p: Point, name: str, witness: tuple[int, int, int, int] | None
) -> Point:
    """`double`, with its witness (x², λ, x', y') given where the caller computed it."""
    modulus = cs.modulus
    with cs.namespace(name):
        x, y, flag = p.x, p.y, p.is_infinity.lc

        def tangent() -> tuple[int, int, int, int]:
            xv, yv = cs.value(x), cs.value(y)
            xx = xv * xv % modulus
            lam = 3 * xx * pow(2 * yv, -1, modulus) % modulus if yv else 0
            x3 = (lam * lam - 2 * xv) % modulus
            return xx, lam, x3, (lam * (xv - x3) - yv) % modulus

        xx_v, lam_v, x3_v, y3_v = witness or hints(cs, 4, tangent)
        xx = cs.alloc(xx_v, "x_squared")
        cs.enforce(x, x, xx, "x_squared")
        lam = cs.alloc(lam_v, "slope")
        cs.enforce(lam, lambda: 2 * as_lc(y) + flag, lambda: 3 * xx, "slope")
        x3 = cs.alloc(x3_v, "x")
        cs.enforce(lam, lam, lambda: x3 + 2 * as_lc(x), "x")
        y3 = cs.alloc(y3_v, "y")
        cs.enforce(lam, lambda: as_lc(x) - x3, lambda: y3 + y, "y")
        return Point(x3, y3, p.is_infinity)


def add(cs: ConstraintSystem, p: Point, q: Point, name: str = "add") -> Point:
    """P + Q for any two points, the identity and P = ±Q included (16 constraints).

    One slope serves the chord and the tangent: with s = [x1 = x2],
    λ·(x2 − x1 + 2s·y1) = (y2 − y1) + s·(3x1² − (y2 − y1)), which is λ·(x2 − x1) = y2 − y1 when
    s = 0 and λ·2y1 = 3x1² when s = 1 (unique unless P is the identity, where λ is unused).
    The result is then chosen among the four cases, which are exclusive:
    P = O gives Q; Q = O gives P; P = −Q (s = 1 and y1 + y2 = 0) gives O; otherwise the sum
    (x3, y3) from λ. Since the identity is (0, 0), "P or Q is the identity" yields
    (x1 + x2, y1 + y2), and so does P = −Q for y: only x needs the opposite case excluded.
    """
    modulus = cs.modulus
    with cs.namespace(name):
        x1, y1, f1 = as_lc(p.x), as_lc(p.y), p.is_infinity.lc
        x2, y2, f2 = as_lc(q.x), as_lc(q.y), q.is_infinity.lc
        dx, dy = x2 - x1, y2 - y1

        def chord_or_tangent() -> tuple[int, ...]:
            a, b = (cs.value(x1), cs.value(y1)), (cs.value(x2), cs.value(y2))
            lam = _slope(a, b, modulus)
            x3 = (lam * lam - a[0] - b[0]) % modulus
            return lam, x3, (lam * (a[0] - x3) - a[1]) % modulus

        lam_v, x3_v, y3_v = hints(cs, 3, chord_or_tangent)
        same_x = is_zero(cs, dx, "same_x").lc
        opposite_y = is_zero(cs, y1 + y2, "opposite_y").lc
        xx = _product(cs, x1, x1, "x1_squared")
        t1 = _product(cs, same_x, y1, "tangent_denominator")
        t2 = _product(cs, same_x, 3 * xx - dy, "tangent_numerator")
        lam = cs.alloc(lam_v, "slope")
        cs.enforce(lam, dx + 2 * t1, dy + t2, "slope")
        x3 = cs.alloc(x3_v, "x3")
        cs.enforce(lam, lam, x3 + x1 + x2, "x3")
        y3 = cs.alloc(y3_v, "y3")
        cs.enforce(lam, x1 - x3, y3 + y1, "y3")

        both_finite = _product(cs, ONE - f1, ONE - f2, "both_finite")
        cancel = _product(cs, same_x, opposite_y, "cancel")
        # f1·f2 = both_finite − 1 + f1 + f2 for bits, so the identity flag of the result,
        # f1·f2 + both_finite·cancel, costs one product.
        flag = cs.alloc(
            lambda: cs.value(both_finite) * cs.value(cancel) + cs.value(f1) * cs.value(f2),
            "is_infinity",
        )
        cs.enforce(both_finite, cancel, flag - both_finite + 1 - f1 - f2, "is_infinity")
        # generic = both_finite·(1 − cancel): the chord-or-tangent sum is the result.
        generic = 2 * both_finite - flag - 1 + f1 + f2
        gx3 = _product(cs, generic, x3, "generic_x")
        x = cs.alloc(lambda: cs.value(gx3) + (1 - cs.value(both_finite)) * cs.value(x1 + x2), "x")
        cs.enforce(ONE - both_finite, x1 + x2, x - gx3, "x")
        y = cs.alloc(lambda: cs.value(y1 + y2) + cs.value(generic) * cs.value(y3 - y1 - y2), "y")
        cs.enforce(generic, y3 - y1 - y2, y - y1 - y2, "y")
        return Point(x, y, Boolean(flag.lc()))


def scalar_mul(
    cs: ConstraintSystem, p: Point, bits: Sequence[Boolean], name: str = "scalar_mul"
) -> Point:
    """[k]P for k = Σ bits[i]·2^i, little-endian (e.g. a challenge's low bits from `to_bits`).

    Costs 8m + 13 constraints for m bits (2 ≤ m ≤ 253), 8m + 26 for m = 254, 3 for m = 1.

    Signed digits s_i = 2·bits[i] − 1 for i ≥ 1, added least significant first:
    acc ← s_1·B, then acc ← acc + s_i·2^(i−1)·B for i = 2 … m−1, where B is P, or the generator
    when P is the identity (the result is then replaced by the identity). So
    acc = Σ_{i<m} s_i·2^(i−1)·B = (k − bits[0] + 1 − 2^(m−1))·B; adding 2^(m−1)·B and then
    (bits[0] − 1)·B gives [k]B.

    Why the chord-only additions are sound: before digit i (2 ≤ i ≤ m − 1) the accumulator is
    a·B with a = Σ_{j<i} s_j·2^(j−1), odd, with |a| ≤ 2^(i−1) − 1; the addend is ±2^(i−1)·B.
    The chord formula fails only where both share x, i.e. a ≡ ±2^(i−1) (mod order). But
    a ∓ 2^(i−1) is odd, hence nonzero, and below 2^i ≤ 2^(m−1) < order in absolute value, so it
    is no multiple of the order. This holds for every bit vector, so no prover can force it;
    with distinct x the slope constraint λ·(x_b − x_a) = y_b − y_a admits one λ, and the three
    chord constraints determine the sum. The sum is again an odd multiple of B, hence finite.
    Adding 2^(m−1)·B the same way needs 2^m < order (m ≤ 253); at m = 254 that addition uses
    the complete `add`. The last step subtracts B where bits[0] = 0 and meets P + (−P) at k = 0,
    so it is the complete `add`. The doublings are exact: 2^i·B is never the identity, and a
    finite point has y ≠ 0.
    """
    curve = curve_of(cs.field)
    m = len(bits)
    if not 1 <= m <= curve.order.bit_length():
        raise UnsupportedParameterError(
            f"scalar_mul takes 1 to {curve.order.bit_length()} bits, got {m}"
        )
    with cs.namespace(name):
        if m == 1:
            return select(cs, bits[0], p, IDENTITY, "bit0")
        gx, gy = curve.generator
        flag = p.is_infinity.lc
        base = Point(gx * flag + p.x, gy * flag + p.y, FALSE)
        chord_top = (1 << m) < curve.order
        # The ladder's witness in one native pass (four inversions instead of two per bit).
        doublings: Sequence[tuple[int, int, int, int] | None] = [None] * (m - 1)
        chords: Sequence[tuple[int, int, int] | None] = [None] * (m - 1)
        ladder = None
        if cs.computes_values:
            signs = [1 if bit.value(cs) else -1 for bit in bits[1:]]
            ladder = ladder_witness(cs.modulus, base.value(cs), signs, chord_top)
            doublings, chords = ladder.doublings, ladder.chords
        acc = Point(base.x, _product(cs, _sign(bits[1]), base.y, "digit1"), FALSE)
        # Subclasses of the generator may watch each alloc by name: only the plain one appends.
        if type(cs) is WitnessGenerator and ladder is not None:
            acc, power = _ladder_appended(cs, acc, ladder, signs, chord_top)
        else:
            power = base
            for i in range(2, m):
                with cs.namespace(f"digit{i}"):
                    power = _double(cs, power, "double", doublings[i - 2])
                    addend = Point(power.x, _product(cs, _sign(bits[i]), power.y, "sign"), FALSE)
                    acc = _add_chord(cs, acc, addend, "add", chords[i - 2])
            power = _double(cs, power, "top_power", doublings[m - 2])
            if chord_top:
                acc = _add_chord(cs, acc, power, "add_top_power", chords[m - 2])
        if not chord_top:
            acc = add(cs, acc, power, "add_top_power")
        missing = ONE - bits[0].lc
        minus_base = Point(
            _product(cs, missing, base.x, "minus_base_x"),
            -as_lc(_product(cs, missing, base.y, "minus_base_y")),
            bits[0],
        )
        result = add(cs, acc, minus_base, "bit0")
        return select(cs, p.is_infinity, IDENTITY, result, "identity_base")


def _ladder_appended(
    cs: WitnessGenerator,
    acc: Point,
    ladder: LadderWitness,
    signs: Sequence[int],
    chord_top: bool,
) -> tuple[Point, Point]:
    """The ladder's loop and top doubling (with its chord where `chord_top`) in the
    witness-only mode: the values the general path allocates one by one (per digit: the
    doubling's x², λ, x', y', the signed y, the chord's λ, x', y'), appended at once.
    Returns the accumulator and the top power 2^(m−1)·B."""
    p = cs.modulus
    digits = len(ladder.doublings) - 1
    values: list[int] = []
    for (xx, lam, x, y), chord, sign in zip(
        ladder.doublings[:digits], ladder.chords[:digits], signs[1:], strict=True
    ):
        values += (xx, lam, x, y, y if sign == 1 else p - y, *chord)
    values += ladder.doublings[-1]
    if chord_top:
        values += ladder.chords[-1]
    end = cs.extend(values) + len(values)
    if chord_top:
        power = Point(private_var(end - 5).lc(), private_var(end - 4).lc(), FALSE)
        return Point(private_var(end - 2).lc(), private_var(end - 1).lc(), FALSE), power
    power = Point(private_var(end - 2).lc(), private_var(end - 1).lc(), FALSE)
    if digits:  # the last digit's chord precedes the top doubling
        acc = Point(private_var(end - 6).lc(), private_var(end - 5).lc(), FALSE)
    return acc, power


def _add_chord(
    cs: ConstraintSystem, a: Point, b: Point, name: str, witness: tuple[int, int, int] | None
) -> Point:
    """A + B by the chord alone (3 constraints): only for finite points with distinct x,
    which the caller proves; the result is then finite too. `witness` = (λ, x', y') where the
    caller computed it."""
    modulus = cs.modulus
    with cs.namespace(name):

        def chord() -> tuple[int, int, int]:
            (xa, ya), (xb, yb) = a.value(cs), b.value(cs)
            lam = (yb - ya) * pow(xb - xa, -1, modulus) % modulus
            x3 = (lam * lam - xa - xb) % modulus
            return lam, x3, (lam * (xa - x3) - ya) % modulus

        lam_v, x3_v, y3_v = witness or hints(cs, 3, chord)
        lam = cs.alloc(lam_v, "slope")
        cs.enforce(lam, lambda: as_lc(b.x) - a.x, lambda: as_lc(b.y) - a.y, "slope")
        x3 = cs.alloc(x3_v, "x")
        cs.enforce(lam, lam, lambda: x3 + a.x + b.x, "x")
        y3 = cs.alloc(y3_v, "y")
        cs.enforce(lam, lambda: as_lc(a.x) - x3, lambda: y3 + a.y, "y")
        return Point(x3, y3, FALSE)


def _slope(a: NativePoint, b: NativePoint, modulus: int) -> int:
    """The chord slope, or the tangent slope where x coincides; 0 where neither exists."""
    if a[0] != b[0]:
        return (b[1] - a[1]) * pow(b[0] - a[0], -1, modulus) % modulus
    if a[1]:
        return 3 * a[0] * a[0] * pow(2 * a[1], -1, modulus) % modulus
    return 0


def _sign(bit: Boolean) -> LinearCombination:
    """2·bit − 1: the signed digit ±1 of a bit."""
    return 2 * bit.lc - 1


def _product(cs: ConstraintSystem, a: LCLike, b: LCLike, name: str) -> Var:
    """A new variable holding a·b (1 constraint)."""
    out = cs.alloc(lambda: cs.value(a) * cs.value(b), name)
    cs.enforce(a, b, out, name)
    return out
