"""Specific exception types of the proof engine.

The Rust kernel raises these same classes (it looks them up here by name), so callers catch one
hierarchy whether a check ran in Python or in the kernel.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error the proof engine raises on bad input."""


class EncodingError(CryptoError, ValueError):
    """Bytes that do not decode to a valid value."""


class WrongLengthError(EncodingError):
    """An encoding whose length is not the one its type requires."""


class NonCanonicalEncodingError(EncodingError):
    """An encoding of a value that has another, canonical one (e.g. an integer ≥ the modulus)."""


class NotOnCurveError(EncodingError):
    """A point encoding whose coordinates do not satisfy the curve equation."""


class ShapeMismatchError(CryptoError, ValueError):
    """Vectors or matrices whose lengths or dimensions do not fit together."""


class ZeroInversionError(CryptoError, ZeroDivisionError):
    """An attempt to invert the field element zero."""
