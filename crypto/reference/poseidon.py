"""The Poseidon permutation in plain Python integers, straight from its definition.

Slow and obviously correct: it shares only the parameter generator with the kernel, so a test
that the two agree checks the kernel's arithmetic, round structure and matrix handling.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.errors import NonCanonicalEncodingError, ShapeMismatchError
from crypto.poseidon_params import PoseidonParams


def permute(params: PoseidonParams, state: Sequence[int]) -> list[int]:
    """Poseidon permutation of `state` (t canonical integers) under `params`.

    Rounds: R_F / 2 full, R_P partial, R_F / 2 full. Each adds its round constants, raises every
    element (full round) or element 0 only (partial round) to the power alpha, then multiplies
    by the MDS matrix: new[i] = sum_j mds[i][j] * s[j].
    """
    p, t = params.modulus, params.t
    if len(state) != t:
        raise ShapeMismatchError(f"state has {len(state)} elements, expected t={t}")
    if any(not 0 <= x < p for x in state):
        raise NonCanonicalEncodingError("state elements must be canonical integers in [0, p)")
    half = params.full_rounds // 2
    full = set(range(half)) | set(range(half + params.partial_rounds, len(params.round_constants)))
    s = list(state)
    for r, constants in enumerate(params.round_constants):
        s = [(x + c) % p for x, c in zip(s, constants, strict=True)]
        if r in full:
            s = [pow(x, params.alpha, p) for x in s]
        else:
            s[0] = pow(s[0], params.alpha, p)
        s = [sum(m * x for m, x in zip(row, s, strict=True)) % p for row in params.mds]
    return s
