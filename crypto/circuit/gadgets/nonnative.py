"""Elements of the cycle's other field in-circuit: Fq values in an Fr circuit and back.

Nova's verifier folds the other circuit's instance scalars, u' = u1 + r·u2 and X' = X1 + r·X2,
modulo that circuit's prime m. An element is four little-endian 64-bit limbs — the project's
fixed representation, which the Fiat-Shamir transcript absorbs packed two by two into 128-bit
halves (`nifs_verifier.scalar_halves`) — each range-checked, so its value is an integer below
2^256 standing for its residue mod m. Results of `reduce` are canonical (< m) for an honest
prover; a dishonest one may return another representative of the same residue (below 2^256),
which changes no residue, and `enforce_canonical` excludes it where the encoding itself must be
unique.

Arithmetic builds a `LimbPoly`, an integer Σ c_k·2^(64k) whose coefficients are combinations
with known bounds, all far below the circuit's prime p: so every field equation between them is
an integer equation. `mul` multiplies limb polynomials by checking the product at as many points
as it has coefficients; `reduce` proves x = q·m + remainder by a carry-checked equality of limb
polynomials with a range-checked quotient; `enforce_equal` proves a ≡ b (mod m) the same way.

Constraints: `alloc` 260 (64 bits and a packing per limb); `mul` i + j − 1 for operands of i
and j limbs (7 for two elements, 5 for a 128-bit challenge times an element); `reduce` 730 for
a product of two elements, 531 for a + r·b; `fold` (a + r·b reduced, r of 128 bits) 536;
`enforce_equal` of two elements 12; `enforce_canonical` 264; `select` 4; `add` and
`from_bits` 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crypto.circuit.gadgets._witness import hints
from crypto.circuit.gadgets.bits import enforce_range, pack
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.gadgets.eq import select as select_lc
from crypto.circuit.lc import ONE, LCLike, LinearCombination, Var, as_lc
from crypto.circuit.system import ConstraintSystem, Value
from crypto.errors import (
    LimbOverflowError,
    NonCanonicalEncodingError,
    UnsupportedParameterError,
)
from crypto.field import FQ, FR, PrimeField

LIMB_BITS = 64
N_LIMBS = 4
LIMB_MAX = (1 << LIMB_BITS) - 1


def other_modulus(field: PrimeField) -> int:
    """The prime of the cycle's other field: q in an Fr circuit, r in an Fq circuit."""
    if field.modulus == FR.modulus:
        return FQ.modulus
    if field.modulus == FQ.modulus:
        return FR.modulus
    raise UnsupportedParameterError(f"{field.name} is not a field of the BN254/Grumpkin cycle")


def limbs_of(value: int) -> list[int]:
    """The four little-endian 64-bit limbs of an integer below 2^256: how a constant is held."""
    if not 0 <= value < 1 << (LIMB_BITS * N_LIMBS):
        raise LimbOverflowError(f"{value} does not fit in {N_LIMBS} limbs of 64 bits")
    return [(value >> (LIMB_BITS * k)) & LIMB_MAX for k in range(N_LIMBS)]


@dataclass(frozen=True)
class LimbPoly:
    """The integer Σ coeffs[k]·2^(64k), unreduced; coefficient k holds an integer in
    [0, bounds[k]] (and so is that integer: every bound is below the circuit's prime)."""

    coeffs: tuple[LCLike, ...]
    bounds: tuple[int, ...]

    @property
    def max_value(self) -> int:
        """The largest integer this polynomial can hold."""
        return sum(bound << (LIMB_BITS * k) for k, bound in enumerate(self.bounds))

    def value(self, cs: ConstraintSystem) -> int:
        """The integer held; only where `cs.computes_values`."""
        return sum(cs.value(c) << (LIMB_BITS * k) for k, c in enumerate(self.coeffs))


@dataclass(frozen=True)
class NonNative:
    """An element of the other field as four range-checked 64-bit limbs, little-endian.

    Made by `alloc`, `constant`, `reduce` or `select`: every bound in this module relies on the
    limbs being below 2^64, so limbs from anywhere else must be range-checked first.
    """

    limbs: tuple[LCLike, ...]

    @classmethod
    def constant(cls, value: int) -> NonNative:
        """A fixed element (no variable, no constraint); `value` in [0, 2^256)."""
        return cls(tuple(limbs_of(value)))

    @property
    def poly(self) -> LimbPoly:
        return LimbPoly(self.limbs, (LIMB_MAX,) * N_LIMBS)

    def value(self, cs: ConstraintSystem) -> int:
        """The integer the limbs hold; only where `cs.computes_values`."""
        return self.poly.value(cs)


Operand = NonNative | LimbPoly


def alloc(cs: ConstraintSystem, value: Value = None, name: str = "nonnative") -> NonNative:
    """A new private element holding the integer `value` in [0, 2^256) (260 constraints:
    64 bits and one packing per limb)."""
    with cs.namespace(name):
        return NonNative(tuple(_alloc_limbs(cs, value, LIMB_BITS * N_LIMBS, "limb")))


def select(
    cs: ConstraintSystem,
    bit: Boolean,
    if_true: NonNative,
    if_false: NonNative,
    name: str = "select",
) -> NonNative:
    """`if_true` where `bit` holds, else `if_false`, limb by limb (4 constraints). Each limb is
    one of two range-checked limbs, so stays in range."""
    with cs.namespace(name):
        return NonNative(
            tuple(
                select_lc(cs, bit, t, f, f"limb{k}")
                for k, (t, f) in enumerate(zip(if_true.limbs, if_false.limbs, strict=True))
            )
        )


def from_bits(bits: Sequence[Boolean]) -> LimbPoly:
    """The integer Σ bits[i]·2^i, little-endian, as limbs (free): how a 128-bit challenge
    enters `mul`."""
    chunks = [bits[start : start + LIMB_BITS] for start in range(0, len(bits), LIMB_BITS)]
    return LimbPoly(
        tuple(pack(chunk) for chunk in chunks), tuple((1 << len(chunk)) - 1 for chunk in chunks)
    )


def add(a: Operand, b: Operand) -> LimbPoly:
    """a + b, unreduced (free)."""
    pa, pb = _poly(a), _poly(b)
    n = max(len(pa.coeffs), len(pb.coeffs))
    pairs = [(_coefficient(pa, k), _coefficient(pb, k)) for k in range(n)]
    return LimbPoly(
        tuple(as_lc(x[0]) + y[0] for x, y in pairs), tuple(x[1] + y[1] for x, y in pairs)
    )


def mul(cs: ConstraintSystem, a: Operand, b: Operand, name: str = "mul") -> LimbPoly:
    """a · b, unreduced: one new coefficient and one constraint per product coefficient.

    The product's coefficients c are witnesses; a(t)·b(t) = c(t) at t = 0 … deg makes c and the
    product equal as polynomials over F_p, and as each true coefficient is an integer below p
    (checked from the bounds), each c_k's canonical value is exactly that integer.
    """
    pa, pb = _poly(a), _poly(b)
    bounds = tuple(_convolve(pa.bounds, pb.bounds))
    _check_fits(cs.modulus, max(pa.bounds + pb.bounds + bounds), "a product or operand coefficient")
    n = len(bounds)

    def products() -> tuple[int, ...]:
        return tuple(_convolve([cs.value(c) for c in pa.coeffs], [cs.value(c) for c in pb.coeffs]))

    with cs.namespace(name):
        values = hints(cs, n, products)
        coeffs = tuple(cs.alloc(v, f"c{k}") for k, v in enumerate(values))
        for t in range(n):
            cs.enforce(
                _evaluate(pa.coeffs, t), _evaluate(pb.coeffs, t), _evaluate(coeffs, t), f"at{t}"
            )
    return LimbPoly(coeffs, bounds)


def reduce(cs: ConstraintSystem, x: Operand, name: str = "reduce") -> NonNative:
    """x mod m as four limbs, proven by x − remainder = q·m with the remainder and q
    range-checked and the equality carry-checked limb by limb."""
    px = _poly(x)
    m = other_modulus(cs.field)
    with cs.namespace(name):
        remainder = alloc(cs, lambda: px.value(cs) % m, "remainder")
        difference = _combine(_signed(px), _negated(remainder.poly))
        _enforce_multiple(cs, difference, 0, px.max_value // m, lambda: px.value(cs) // m)
        return remainder


def fold(
    cs: ConstraintSystem, a: NonNative, b: NonNative, r_bits: Sequence[Boolean], name: str = "fold"
) -> NonNative:
    """a + r·b mod m for a challenge r given as little-endian bits: Nova's folding of an
    instance scalar."""
    with cs.namespace(name):
        return reduce(cs, add(a, mul(cs, from_bits(r_bits), b)))


def enforce_equal(cs: ConstraintSystem, a: Operand, b: Operand, name: str = "equal") -> None:
    """a ≡ b (mod m), whatever representatives they hold: a − b = q·m with q range-checked."""
    pa, pb = _poly(a), _poly(b)
    m = other_modulus(cs.field)
    with cs.namespace(name):
        _enforce_multiple(
            cs,
            _combine(_signed(pa), _negated(pb)),
            -pb.max_value // m,
            pa.max_value // m,
            lambda: (pa.value(cs) - pb.value(cs)) // m,
        )


def enforce_canonical(cs: ConstraintSystem, a: NonNative, name: str = "canonical") -> None:
    """a < m, so its limbs are the unique encoding of its residue: a + d = m − 1 with d
    range-checked, hence d ≥ 0."""
    m = other_modulus(cs.field)

    def gap() -> int:
        value = a.value(cs)
        if value >= m:
            raise NonCanonicalEncodingError(f"{value} is not below the modulus {m}")
        return m - 1 - value

    with cs.namespace(name):
        d = alloc(cs, gap, "gap")
        _enforce_zero(cs, _combine(_combine(_signed(a.poly), _signed(d.poly)), _constant(1 - m)))


# A limb polynomial with signed coefficients: (combination, lowest, highest integer value).
_Signed = list[tuple[LinearCombination, int, int]]


def _enforce_multiple(
    cs: ConstraintSystem,
    terms: _Signed,
    q_low: int,
    q_high: int,
    quotient: Callable[[], int],
) -> None:
    """terms = q·m as integers, for q in [q_low, q_high] computed by `quotient` in the witness.

    q − q_low is allocated in range-checked limbs; the constant q_low·m joins the terms.
    """
    m = other_modulus(cs.field)
    n_bits = (q_high - q_low).bit_length()
    shifted = _alloc_limbs(cs, lambda: quotient() - q_low, n_bits, "quotient")
    q_bounds = [(1 << width) - 1 for width in _limb_widths(n_bits)]
    m_limbs = limbs_of(m)
    q_times_m = [
        (LinearCombination.sum(q * limb for q, limb in pairs), 0, high)
        for pairs, high in zip(_pairs(shifted, m_limbs), _convolve(q_bounds, m_limbs), strict=True)
    ]
    _enforce_zero(cs, _combine(terms, _combine(_neg(q_times_m), _constant(-q_low * m))))


def _enforce_zero(cs: ConstraintSystem, terms: _Signed) -> None:
    """Σ terms[k]·2^(64k) = 0 over the integers, carry by carry.

    Coefficients are grouped g at a time into integers G_j below p/8 in absolute value (g = 2
    for products of 64-bit limbs). With carries c_0 = 0 and c_J = 0, each constraint
    G_j + c_j = c_(j+1)·2^(64g) relates integers smaller than p in absolute value (checked),
    so it holds over the integers; summed with weights 2^(64g·j) the carries cancel, leaving
    Σ_j G_j·2^(64g·j) = 0. Each carry is allocated shifted by its least possible value and
    range-checked, so the bound used for the next group holds for any witness.
    """
    p = cs.modulus
    size = 1
    while size < len(terms) and max(_extreme(g) for g in _groups(terms, size + 1)) < p >> 3:
        size += 1
    shift = LIMB_BITS * size
    groups = _groups(terms, size)
    carry, low_in, high_in = LinearCombination(), 0, 0
    with cs.namespace("carries"):
        for j, (group, low, high) in enumerate(groups):
            total, low, high = group + carry, low + low_in, high + high_in
            if j == len(groups) - 1:
                _check_fits(p, max(-low, high), "the last carry equation")
                cs.enforce(total, ONE, 0, f"group{j}")
                return
            carry, low_in, high_in = _alloc_carry(
                cs, total, -(-low >> shift), high >> shift, shift, f"carry{j}"
            )
            _check_fits(
                p, max(high - (low_in << shift), (high_in << shift) - low), "a carry equation"
            )
            cs.enforce(total, ONE, carry * (1 << shift), f"group{j}")


def _alloc_carry(
    cs: ConstraintSystem, total: LinearCombination, low: int, high: int, shift: int, name: str
) -> tuple[LinearCombination, int, int]:
    """The carry total / 2^shift (an integer in [low, high] for an honest witness), allocated as
    carry − low in range-checked bits; returns it with the range any accepted witness has."""
    p = cs.modulus

    def shifted() -> int:
        value = cs.value(total)
        signed = value - p if value > p >> 1 else value
        return (signed >> shift) - low

    width = (high - low).bit_length()
    var = _alloc_range(cs, shifted, width, name)
    return var + low, low, low + (1 << width) - 1


def _groups(terms: _Signed, size: int) -> _Signed:
    """Coefficients merged `size` at a time: G_j = Σ_i terms[size·j + i]·2^(64i)."""
    merged = []
    for start in range(0, len(terms), size):
        members = terms[start : start + size]
        merged.append(
            (
                LinearCombination.sum(
                    c * (1 << (LIMB_BITS * i)) for i, (c, _, _) in enumerate(members)
                ),
                sum(lo << (LIMB_BITS * i) for i, (_, lo, _) in enumerate(members)),
                sum(hi << (LIMB_BITS * i) for i, (_, _, hi) in enumerate(members)),
            )
        )
    return merged


def _extreme(term: tuple[LinearCombination, int, int]) -> int:
    return max(-term[1], term[2])


def _signed(poly: LimbPoly) -> _Signed:
    return [(as_lc(c), 0, bound) for c, bound in zip(poly.coeffs, poly.bounds, strict=True)]


def _neg(terms: _Signed) -> _Signed:
    return [(-c, -high, -low) for c, low, high in terms]


def _negated(poly: LimbPoly) -> _Signed:
    return _neg(_signed(poly))


def _combine(a: _Signed, b: _Signed) -> _Signed:
    """a + b coefficient by coefficient."""
    zero = (LinearCombination(), 0, 0)
    return [
        (x[0] + y[0], x[1] + y[1], x[2] + y[2])
        for x, y in (
            (a[k] if k < len(a) else zero, b[k] if k < len(b) else zero)
            for k in range(max(len(a), len(b)))
        )
    ]


def _constant(value: int) -> _Signed:
    """A constant integer (of either sign) as limbs of its magnitude, signed."""
    sign, magnitude = (-1, -value) if value < 0 else (1, value)
    terms: _Signed = []
    while magnitude:
        limb = sign * (magnitude & LIMB_MAX)
        terms.append((LinearCombination.constant(limb), limb, limb))
        magnitude >>= LIMB_BITS
    return terms


def _poly(x: Operand) -> LimbPoly:
    return x.poly if isinstance(x, NonNative) else x


def _coefficient(poly: LimbPoly, k: int) -> tuple[LCLike, int]:
    """Coefficient k of `poly` with its bound; zero past the end."""
    return (poly.coeffs[k], poly.bounds[k]) if k < len(poly.coeffs) else (0, 0)


def _pairs(a: Sequence[Var], b: Sequence[int]) -> list[list[tuple[Var, int]]]:
    """For each k, the pairs (a_i, b_(k−i)) whose products make coefficient k of a·b."""
    out: list[list[tuple[Var, int]]] = [[] for _ in range(len(a) + len(b) - 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j].append((x, y))
    return out


def _convolve(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """The coefficients of the product of two integer polynomials."""
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def _evaluate(coeffs: Sequence[LCLike], t: int) -> LinearCombination:
    """Σ coeffs[k]·t^k."""
    return LinearCombination.sum(as_lc(c) * t**k for k, c in enumerate(coeffs))


def _check_fits(p: int, bound: int, what: str) -> None:
    """Refuses a construction whose integers could reach p, where field equations would stop
    being integer equations."""
    if bound >= p:
        raise LimbOverflowError(
            f"{what} may reach {bound.bit_length()} bits, beyond the circuit's field; reduce "
            "operands before combining them further"
        )


def _limb_widths(n_bits: int) -> list[int]:
    """64-bit limbs covering n_bits, the last one narrower."""
    full, rest = divmod(n_bits, LIMB_BITS)
    return [LIMB_BITS] * full + ([rest] if rest else [])


def _alloc_limbs(cs: ConstraintSystem, value: Value, n_bits: int, name: str) -> list[Var]:
    """The integer `value` < 2^n_bits as range-checked 64-bit limbs (the top one narrower).

    `value` is computed once, when the first limb's value is needed.
    """
    memo: list[int] = []

    def whole() -> int:
        if not memo:
            v = value() if callable(value) else value
            if v is None or not 0 <= v < 1 << n_bits:
                raise LimbOverflowError(f"{cs.path(name)}: {v} does not fit in {n_bits} bits")
            memo.append(v)
        return memo[0]

    return [
        _alloc_range(cs, None if value is None else _limb_of(whole, k), width, f"{name}{k}")
        for k, width in enumerate(_limb_widths(n_bits))
    ]


def _limb_of(whole: Callable[[], int], k: int) -> Callable[[], int]:
    return lambda: (whole() >> (LIMB_BITS * k)) & LIMB_MAX


def _alloc_range(cs: ConstraintSystem, value: Value, n_bits: int, name: str) -> Var:
    """A new variable constrained to [0, 2^n_bits) (n_bits + 1 constraints)."""
    var = cs.alloc(value, name)
    enforce_range(cs, var, n_bits, name)
    return var
