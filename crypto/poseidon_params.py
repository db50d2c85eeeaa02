"""Poseidon parameters (round constants and MDS matrix) by the reference Grain procedure.

Poseidon's security argument assumes constants nobody chose, so the paper fixes how they are
drawn: a Grain self-shrinking LFSR seeded with the instance (field kind, S-box kind, field size,
width, round numbers) produces every constant. Generating them here, rather than pasting tables,
keeps them auditable and gives both novanode fields (Fr and Fq) the same derivation; on Fr with
t = 3 the result is circomlib's ``Poseidon(2)``, which the tests check against its outputs.

The procedure (Grassi et al., "Poseidon: A New Hash Function for Zero-Knowledge Proof Systems",
reference script ``generate_parameters_grain.sage``):

1. Seed: the 80 bits ``field (2) | sbox (4) | n (12) | t (12) | R_F (10) | R_P (10) | 1 * 30``,
   each field written most significant bit first, with field = 1 (prime field), sbox = 0
   (x^alpha) and n = the bit length of p. State bit b_k is the k-th seed bit.
2. LFSR: b_{k+80} = b_{k+62} ^ b_{k+51} ^ b_{k+38} ^ b_{k+23} ^ b_{k+13} ^ b_k. The first 160
   new bits are discarded.
3. Self-shrinking: new bits are taken in pairs (a, b); b is output when a = 1, the pair is
   dropped otherwise.
4. A field element is n output bits read as an integer, first bit most significant. Round
   constants are drawn one after the other, (R_F + R_P) * t of them in round order, redrawing a
   value >= p (rejection sampling, so they are uniform).
5. MDS: 2t more values, reduced mod p (no rejection), give x_0..x_{t-1} then y_0..y_{t-1}; all 2t
   are redrawn while any two are equal or some x_i + y_j = 0; M[i][j] = 1 / (x_i + y_j) is
   a Cauchy matrix, hence MDS. It is kept only if it passes the subspace-trail checks of
   ``crypto.poseidon_mds_checks``; otherwise a new one is drawn from the same stream.

The linear layer is the reference's column-vector product new = M · s, i.e.
new[i] = sum_j M[i][j] * s[j] with M[i][j] = 1 / (x_i + y_j). A Cauchy matrix is not symmetric,
so the transpose would be another permutation; this orientation is the one that reproduces
circomlib (checked on its outputs). ``PoseidonParams.mds`` is M itself.

The seed names the modulus only by its bit length, and r and q both have 254 bits, so Fr and Fq
read the same bit stream: their round constants are the same integers (unless a draw falls in
[r, q), kept for Fq only, which has probability about 2^-127 per draw) and their matrices come
from the same raw draws reduced and inverted modulo different primes. Constants only need to be
free of structure, not distinct across fields, so this is what the reference procedure gives and
it is kept.

Round numbers: alpha = 5 is the smallest exponent with gcd(alpha, p - 1) = 1 for both fields, so
x^5 is a permutation. For a 254-bit prime, alpha = 5 and 128-bit security the paper's round
calculation (with its security margin) gives R_F = 8 and the R_P of ``PARTIAL_ROUNDS``; these are
the numbers circomlib uses, and they apply to Fq as to Fr since both moduli have 254 bits.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Literal

from crypto.errors import UnsupportedParameterError
from crypto.poseidon_mds_checks import is_secure_mds

FieldName = Literal["Fr", "Fq"]

FIELD_MODULI: dict[str, int] = {
    "Fr": 21888242871839275222246405745257275088548364400416034343698204186575808495617,
    "Fq": 21888242871839275222246405745257275088696311157297823662689037894645226208583,
}

ALPHA = 5
FULL_ROUNDS = 8
# t -> R_P for 128-bit security, 254-bit prime, alpha = 5.
PARTIAL_ROUNDS: dict[int, int] = dict(
    zip(range(2, 18), (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68), strict=True)
)

_FIELD_KIND_PRIME = 1
_SBOX_KIND_POWER = 0
_DISCARDED_BITS = 160
# The tap distance 80 - 62 = 18 lets one step compute 18 new LFSR bits at once.
_STEP_BITS = 18
_STEP_MASK = (1 << _STEP_BITS) - 1
_KEEP_IF_ONE = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True, eq=False)
class PoseidonParams:
    """One Poseidon instance: field, width, round numbers, S-box exponent, constants, matrix.

    Compared and hashed by identity (``generate`` returns one object per (field, t)), so using a
    parameter set as a cache key costs nothing.

    ``round_constants[r]`` is the t-vector added at the start of round r (R_F / 2 full rounds,
    then R_P partial rounds, then R_F / 2 full rounds); ``mds[i]`` is row i of the matrix applied
    as new[i] = sum_j mds[i][j] * s[j].
    """

    field: FieldName
    modulus: int
    t: int
    full_rounds: int
    partial_rounds: int
    alpha: int
    round_constants: tuple[tuple[int, ...], ...]
    mds: tuple[tuple[int, ...], ...]


class GrainLFSR:
    """The Grain self-shrinking generator of the Poseidon reference, as a stream of bits."""

    def __init__(self, seed: str) -> None:
        if len(seed) != 80 or set(seed) - {"0", "1"}:
            raise ValueError("the Grain seed is 80 characters '0'/'1'")
        # Bit k of the integer holds b_k, so the taps are shifts.
        self._state = int(seed[::-1], 2)
        self._raw = b""
        self._out = b""
        self._take_raw(_DISCARDED_BITS)

    @classmethod
    def for_instance(cls, n: int, t: int, full_rounds: int, partial_rounds: int) -> GrainLFSR:
        """The generator seeded for a prime-field, x^alpha instance of the given sizes."""
        seed = (
            f"{_FIELD_KIND_PRIME:02b}{_SBOX_KIND_POWER:04b}{n:012b}{t:012b}"
            f"{full_rounds:010b}{partial_rounds:010b}" + "1" * 30
        )
        return cls(seed)

    def _take_raw(self, count: int) -> bytes:
        """The next `count` LFSR bits (b'0'/b'1'), computed 18 at a time."""
        state, chunks, have = self._state, [self._raw], len(self._raw)
        while have < count:
            new = (state >> 62) ^ (state >> 51) ^ (state >> 38) ^ (state >> 23) ^ (state >> 13)
            new = (new ^ state) & _STEP_MASK
            state = (state >> _STEP_BITS) | (new << (80 - _STEP_BITS))
            chunks.append(format(new, f"0{_STEP_BITS}b")[::-1].encode())
            have += _STEP_BITS
        self._state = state
        raw = b"".join(chunks)
        self._raw = raw[count:]
        return raw[:count]

    def bits(self, count: int) -> bytes:
        """The next `count` output bits as b'0'/b'1' characters."""
        while len(self._out) < count:
            raw = self._take_raw(2 * max(count - len(self._out), 256))
            # Self-shrinking: keep the second bit of each pair whose first bit is 1.
            keep = raw[0::2].translate(_KEEP_IF_ONE)
            self._out += bytes(itertools.compress(raw[1::2], keep))
        taken, self._out = self._out[:count], self._out[count:]
        return taken

    def integer(self, n: int) -> int:
        """The next n output bits as an integer, first bit most significant."""
        return int(self.bits(n), 2)


def _round_constants(grain: GrainLFSR, p: int, count: int) -> list[int]:
    n = p.bit_length()
    constants: list[int] = []
    while len(constants) < count:
        value = grain.integer(n)
        if value < p:
            constants.append(value)
    return constants


def _cauchy_matrix(grain: GrainLFSR, p: int, t: int) -> list[list[int]]:
    n = p.bit_length()
    while True:
        values = [grain.integer(n) % p for _ in range(2 * t)]
        while len(set(values)) != 2 * t:
            values = [grain.integer(n) % p for _ in range(2 * t)]
        xs, ys = values[:t], values[t:]
        if all((x + y) % p for x in xs for y in ys):
            return [[pow(x + y, -1, p) for y in ys] for x in xs]


@functools.cache
def generate(field: FieldName, t: int) -> PoseidonParams:
    """Poseidon parameters for `field` ("Fr" or "Fq") and width `t` (2..17), by Grain."""
    if field not in FIELD_MODULI:
        raise UnsupportedParameterError(
            f"unknown field {field!r}; expected one of {sorted(FIELD_MODULI)}"
        )
    if t not in PARTIAL_ROUNDS:
        raise UnsupportedParameterError(f"no round numbers for width t={t}; supported: 2..17")
    p = FIELD_MODULI[field]
    partial_rounds = PARTIAL_ROUNDS[t]
    grain = GrainLFSR.for_instance(p.bit_length(), t, FULL_ROUNDS, partial_rounds)
    flat = _round_constants(grain, p, (FULL_ROUNDS + partial_rounds) * t)
    matrix = _cauchy_matrix(grain, p, t)
    while not is_secure_mds(matrix, p):
        matrix = _cauchy_matrix(grain, p, t)
    return PoseidonParams(
        field=field,
        modulus=p,
        t=t,
        full_rounds=FULL_ROUNDS,
        partial_rounds=partial_rounds,
        alpha=ALPHA,
        round_constants=tuple(tuple(flat[r * t : (r + 1) * t]) for r in range(len(flat) // t)),
        mds=tuple(tuple(row) for row in matrix),
    )
