"""The Poseidon reference's security checks on an MDS matrix (infinitely long subspace trails).

A Cauchy matrix is MDS, but in a partial round only one S-box is active: a subspace of states
that keeps that S-box's input linear round after round (a subspace trail) would let an attacker
skip the partial rounds. The reference generator (``generate_parameters_grain.sage``, after
Grassi, Rechberger and Schofnegger, "Proving Resistance Against Infinitely Long Subspace
Trails") rejects a matrix M on three tests, reproduced here with s = 1 active S-box (on state
element 0):

1. For i = 1 .. t-1 let S_i = {x : (M^k x)_0 = 0 for k = 0 .. i-1}, the states whose S-box input
   stays inactive for i rounds. M fails if M^i is a multiple of the identity, if some
   eigenvector of M^i with eigenvalue in F_p lies in S_i, or if M^j S_i = S_i for a j in 1..i.
2. M fails unless e_0 is a cyclic vector of M: e_0, M e_0, ..., M^{t-1} e_0 span F_p^t.
3. The same for M^r, r = 2 .. 4t.

Everything is exact arithmetic mod p on Python ints; matrices are lists of rows.
"""

from __future__ import annotations

from operator import mul

Matrix = list[list[int]]
Poly = list[int]  # coefficients, constant term first, no trailing zeros


def is_secure_mds(matrix: Matrix, p: int) -> bool:
    """Whether `matrix` over F_p passes the reference's three subspace-trail tests."""
    return _no_invariant_trails(matrix, p) and _e0_cyclic_for_powers(matrix, p)


# --- the tests -----------------------------------------------------------------------------------


def _no_invariant_trails(m: Matrix, p: int) -> bool:
    t = len(m)
    power = _identity(t)
    constraints: Matrix = []  # row 0 of M^0 .. M^(i-1): the equations of S_i
    for i in range(1, t):
        constraints.append(power[0][:])
        power = _mat_mul(power, m, p)  # M^i
        if all(power[r][c] == (power[0][0] if r == c else 0) for r in range(t) for c in range(t)):
            return False
        if _has_invariant_part(power, constraints, p) and _eigenvector_inside(
            power, constraints, p
        ):
            return False
        subspace = _nullspace(constraints, p)
        for _ in range(i):  # M^j S_i for j = 1 .. i
            subspace = [_mat_vec(m, v, p) for v in subspace]
            if _inside(subspace, constraints, p):
                return False
    return True


def _has_invariant_part(a: Matrix, constraints: Matrix, p: int) -> bool:
    """Whether {x : a^k x satisfies `constraints` for all k >= 0} is not {0}.

    Every eigenvector of `a` inside the constrained subspace lies in that set, so when it is {0}
    (the usual case) the costly eigenvalue search can be skipped.
    """
    t = len(a)
    rows = [row[:] for row in constraints]
    rank = _rank(rows, p)
    layer = rows
    while rank < t:
        layer = [_vec_mat(row, a, p) for row in layer]
        grown = _rank(rows + layer, p)
        if grown == rank:
            return True
        rows, rank = rows + layer, grown
    return False


def _eigenvector_inside(a: Matrix, constraints: Matrix, p: int) -> bool:
    """Whether some eigenvector of `a` with eigenvalue in F_p satisfies `constraints`."""
    for eigenvalue in _roots(_charpoly(a, p), p):
        shifted = [
            [(v - eigenvalue) % p if r == c else v for c, v in enumerate(row)]
            for r, row in enumerate(a)
        ]
        if _nullspace(shifted + constraints, p):
            return True
    return False


def _inside(vectors: Matrix, constraints: Matrix, p: int) -> bool:
    return all(sum(map(mul, row, v)) % p == 0 for v in vectors for row in constraints)


def _e0_cyclic_for_powers(m: Matrix, p: int) -> bool:
    t = len(m)
    orbit = [[1] + [0] * (t - 1)]  # M^k e_0
    for _ in range(4 * t * (t - 1)):
        orbit.append(_mat_vec(m, orbit[-1], p))
    return all(_rank([orbit[r * k] for k in range(t)], p) == t for r in range(1, 4 * t + 1))


# --- linear algebra mod p ------------------------------------------------------------------------


def _identity(t: int) -> Matrix:
    return [[int(r == c) for c in range(t)] for r in range(t)]


def _mat_mul(a: Matrix, b: Matrix, p: int) -> Matrix:
    columns = list(zip(*b, strict=True))
    return [[sum(map(mul, row, col)) % p for col in columns] for row in a]


def _mat_vec(m: Matrix, v: list[int], p: int) -> list[int]:
    return [sum(map(mul, row, v)) % p for row in m]


def _vec_mat(v: list[int], m: Matrix, p: int) -> list[int]:
    return [sum(map(mul, v, col)) % p for col in zip(*m, strict=True)]


def _echelon(rows: Matrix, p: int) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form of `rows` and its pivot columns."""
    work = [row[:] for row in rows]
    pivots: list[int] = []
    width = len(work[0]) if work else 0
    r = 0
    for c in range(width):
        pivot = next((k for k in range(r, len(work)) if work[k][c]), None)
        if pivot is None:
            continue
        work[r], work[pivot] = work[pivot], work[r]
        inverse = pow(work[r][c], -1, p)
        work[r] = [x * inverse % p for x in work[r]]
        for k in range(len(work)):
            if k != r and work[k][c]:
                factor = work[k][c]
                work[k] = [(x - factor * y) % p for x, y in zip(work[k], work[r], strict=True)]
        pivots.append(c)
        r += 1
    return work[:r], pivots


def _rank(rows: Matrix, p: int) -> int:
    """Rank by forward elimination only (cheaper than the reduced form)."""
    work = [row[:] for row in rows]
    rank = 0
    for c in range(len(work[0]) if work else 0):
        pivot = next((k for k in range(rank, len(work)) if work[k][c]), None)
        if pivot is None:
            continue
        work[rank], work[pivot] = work[pivot], work[rank]
        top = work[rank]
        inverse = pow(top[c], -1, p)
        for k in range(rank + 1, len(work)):
            if work[k][c]:
                factor = work[k][c] * inverse % p
                work[k] = [(x - factor * y) % p for x, y in zip(work[k], top, strict=True)]
        rank += 1
    return rank


def _nullspace(rows: Matrix, p: int) -> Matrix:
    """A basis of {x : row . x = 0 for every row}."""
    width = len(rows[0])
    reduced, pivots = _echelon(rows, p)
    basis = []
    for free in (c for c in range(width) if c not in pivots):
        v = [0] * width
        v[free] = 1
        for row, c in zip(reduced, pivots, strict=True):
            v[c] = -row[free] % p
        basis.append(v)
    return basis


def _charpoly(m: Matrix, p: int) -> Poly:
    """det(xI - m) by the Faddeev-LeVerrier recurrence (p > t, so dividing by k is fine)."""
    t = len(m)
    coefficients = [0] * t + [1]
    mk = _identity(t)
    for k in range(1, t + 1):
        product = _mat_mul(m, mk, p)
        c = -sum(product[i][i] for i in range(t)) * pow(k, -1, p) % p
        coefficients[t - k] = c
        mk = [
            [(v + c) % p if r == col else v for col, v in enumerate(row)]
            for r, row in enumerate(product)
        ]
    return coefficients


# --- polynomials mod p ---------------------------------------------------------------------------


def _trim(a: Poly) -> Poly:
    while a and a[-1] == 0:
        a.pop()
    return a


def _poly_mod(a: Poly, b: Poly, p: int) -> Poly:
    a = a[:]
    lead_inverse = pow(b[-1], -1, p)
    while len(_trim(a)) >= len(b):
        factor = a[-1] * lead_inverse % p
        shift = len(a) - len(b)
        for k, coefficient in enumerate(b):
            a[shift + k] = (a[shift + k] - factor * coefficient) % p
    return a


def _poly_mul_mod(a: Poly, b: Poly, modulus: Poly, p: int) -> Poly:
    product = [0] * (len(a) + len(b) - 1) if a and b else []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            product[i + j] += x * y
    return _poly_mod([c % p for c in product], modulus, p)


def _poly_pow_mod(base: Poly, exponent: int, modulus: Poly, p: int) -> Poly:
    result: Poly = [1]
    for bit in bin(exponent)[2:]:
        result = _poly_mul_mod(result, result, modulus, p)
        if bit == "1":
            result = _poly_mul_mod(result, base, modulus, p)
    return result


def _poly_sub(a: Poly, b: Poly, p: int) -> Poly:
    size = max(len(a), len(b))
    a, b = a + [0] * (size - len(a)), b + [0] * (size - len(b))
    return _trim([(x - y) % p for x, y in zip(a, b, strict=True)])


def _poly_gcd(a: Poly, b: Poly, p: int) -> Poly:
    a, b = _trim(a[:]), _trim(b[:])
    while b:
        a, b = b, _poly_mod(a, b, p)
    inverse = pow(a[-1], -1, p)
    return [c * inverse % p for c in a]


def _roots(f: Poly, p: int) -> list[int]:
    """The distinct roots of f in F_p."""
    x = [0, 1]
    split = _poly_gcd(f, _poly_sub(_poly_pow_mod(x, p, f, p), x, p), p)
    return sorted(_split_roots(split, p))


def _split_roots(g: Poly, p: int) -> list[int]:
    """Roots of a monic g that is a product of distinct linear factors (Cantor-Zassenhaus)."""
    if len(g) == 1:
        return []
    if len(g) == 2:
        return [-g[0] % p]
    shift = 1
    while True:
        half = _poly_pow_mod([shift, 1], (p - 1) // 2, g, p)
        factor = _poly_gcd(g, _poly_sub(half, [1], p), p)
        if 1 < len(factor) < len(g):
            rest = _poly_divide_exact(g, factor, p)
            return _split_roots(factor, p) + _split_roots(rest, p)
        shift += 1


def _poly_divide_exact(a: Poly, b: Poly, p: int) -> Poly:
    a = a[:]
    quotient = [0] * (len(a) - len(b) + 1)
    lead_inverse = pow(b[-1], -1, p)
    while len(_trim(a)) >= len(b):
        shift = len(a) - len(b)
        factor = a[-1] * lead_inverse % p
        quotient[shift] = factor
        for k, coefficient in enumerate(b):
            a[shift + k] = (a[shift + k] - factor * coefficient) % p
    return quotient
