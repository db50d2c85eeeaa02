"""Compact witnesses from their definition: tags 0/1/2/3 for 0, 1, p − 1 and anything else."""

from __future__ import annotations

from collections.abc import Sequence

TAG_ZERO, TAG_ONE, TAG_MINUS_ONE, TAG_OTHER = 0, 1, 2, 3


def compact(p: int, values: Sequence[int]) -> tuple[list[int], list[int]]:
    """``(tags, others)`` for canonical ``values``."""
    named = {0: TAG_ZERO, 1: TAG_ONE, p - 1: TAG_MINUS_ONE}
    tags = [named.get(v, TAG_OTHER) for v in values]
    others = [v for v, tag in zip(values, tags, strict=True) if tag == TAG_OTHER]
    return tags, others


def expand(p: int, tags: Sequence[int], others: Sequence[int]) -> list[int]:
    """The values that ``(tags, others)`` stand for."""
    rest = iter(others)
    fixed = {TAG_ZERO: 0, TAG_ONE: 1, TAG_MINUS_ONE: p - 1}
    return [fixed[tag] if tag != TAG_OTHER else next(rest) for tag in tags]
