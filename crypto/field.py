"""Arithmetic in BN254's two prime fields, on vectors (in the kernel) and on single elements.

``FR`` is the scalar field of BN254 (the base field of Grumpkin), ``FQ`` the base field of BN254
(the scalar field of Grumpkin). ``Fr`` and ``Fq`` are their single-element types.

Vector layout, shared by every module and the kernel: a numpy array of dtype ``uint64``, shape
``(n, 4)``, C-contiguous. Row ``i`` holds element ``i`` in canonical form (an integer in
``[0, p)``) as four little-endian 64-bit limbs, so on a little-endian machine ``vec.tobytes()``
is the concatenation of the 32-byte little-endian encodings. Operations return new arrays and
reject non-canonical input (``NonCanonicalEncodingError`` naming the first bad index).

Scalar arguments of vector operations are ``int`` in ``[0, p)`` or an element of the same field;
they cross into the kernel as 32-byte little-endian encodings. Scalar results are ``int``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import ClassVar, Final, Self, TypeAlias

import numpy as np
import numpy.typing as npt

import crypto._kernel as _kernel
from crypto.errors import (
    FieldMismatchError,
    LayoutError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
    WrongLengthError,
    ZeroInversionError,
)

Vector: TypeAlias = npt.NDArray[np.uint64]
"""A field vector: uint64, shape (n, 4), canonical little-endian limbs."""

LIMBS: Final = 4
ELEMENT_BYTES: Final = 32

Binary: TypeAlias = Callable[[Vector, Vector], Vector]


@dataclass(frozen=True)
class _Kernel:
    """The kernel functions of one field, typed (the compiled module has no stubs)."""

    modulus: Callable[[], bytes]
    add: Binary
    sub: Binary
    mul: Binary
    neg: Callable[[Vector], Vector]
    scale: Callable[[Vector, bytes], Vector]
    axpy: Callable[[Vector, bytes, Vector], Vector]
    inner_product: Callable[[Vector, Vector], bytes]
    sum: Callable[[Vector], bytes]
    powers: Callable[[bytes, int], Vector]
    batch_inverse: Callable[[Vector], Vector]
    random: Callable[[int, bytes], Vector]
    from_bytes: Callable[[bytes], Vector]
    to_bytes: Callable[[Vector], bytes]
    check: Callable[[Vector], None]

    @classmethod
    def of(cls, prefix: str) -> _Kernel:
        return cls(**{f.name: getattr(_kernel, f"{prefix}_{f.name}") for f in fields(cls)})


def as_vector(vec: object, name: str = "vector") -> Vector:
    """``vec`` if it has the field-vector dtype and shape (made C-contiguous), else an error.

    Checks layout only; the kernel checks canonicity wherever it reads a vector.
    """
    if not isinstance(vec, np.ndarray):
        raise LayoutError(f"{name} must be a numpy array, got {type(vec).__name__}")
    if vec.dtype != np.uint64:
        raise LayoutError(f"{name} has dtype {vec.dtype}; field vectors are uint64")
    if vec.ndim != 2 or vec.shape[1] != LIMBS:
        raise ShapeMismatchError(f"{name} has shape {vec.shape}; field vectors are (n, {LIMBS})")
    contiguous: Vector = np.ascontiguousarray(vec)
    return contiguous


class PrimeField:
    """One prime field and its vector operations, computed by the kernel.

    Every method taking a vector accepts any array in the vector layout (see the module
    docstring) and returns a new one; inputs are never modified.
    """

    def __init__(self, name: str, modulus: int, kernel_prefix: str) -> None:
        self.name: Final = name
        self.modulus: Final = modulus
        self.kernel_prefix: Final = kernel_prefix
        self._kernel = _Kernel.of(kernel_prefix)
        if int.from_bytes(self._kernel.modulus(), "little") != modulus:
            raise RuntimeError(f"the kernel's {name} modulus differs from {modulus}")

    def __repr__(self) -> str:
        return f"PrimeField({self.name})"

    # Conversions

    def zeros(self, n: int) -> Vector:
        """``n`` zeros."""
        return np.zeros((n, LIMBS), dtype=np.uint64)

    def from_ints(self, values: Iterable[int]) -> Vector:
        """The vector of ``values``, each an int in ``[0, p)`` (no silent reduction)."""
        encoded = bytearray()
        for i, value in enumerate(values):
            if not isinstance(value, int):
                raise TypeError(f"value {i} is a {type(value).__name__}, not an int")
            if not 0 <= value < self.modulus:
                raise NonCanonicalEncodingError(
                    f"value {i} ({value}) is not in [0, p) for the {self.name} modulus p"
                )
            encoded += value.to_bytes(ELEMENT_BYTES, "little")
        return self.from_bytes(bytes(encoded))

    def to_ints(self, vec: Vector) -> list[int]:
        """The elements of ``vec`` as ints."""
        data = self.to_bytes(vec)
        return [
            int.from_bytes(data[at : at + ELEMENT_BYTES], "little")
            for at in range(0, len(data), ELEMENT_BYTES)
        ]

    def from_bytes(self, data: bytes) -> Vector:
        """Decodes concatenated 32-byte little-endian canonical encodings.

        Raises ``WrongLengthError`` unless ``len(data)`` is a multiple of 32 and
        ``NonCanonicalEncodingError`` (naming the index) for a value ≥ p.
        """
        return self._kernel.from_bytes(bytes(data))

    def to_bytes(self, vec: Vector) -> bytes:
        """The concatenated 32-byte little-endian encodings of the elements of ``vec``."""
        return self._kernel.to_bytes(as_vector(vec))

    def check(self, vec: object, name: str = "vector") -> Vector:
        """``vec`` after checking layout and canonicity: the gate for untrusted arrays."""
        checked = as_vector(vec, name)
        self._kernel.check(checked)
        return checked

    def random(self, n: int, seed: int | bytes | None = None) -> Vector:
        """``n`` uniform elements: reproducible from ``seed``, or from OS randomness without one.

        The kernel draws from ChaCha20 keyed with SHA-256 of the field name and the seed (an int
        is encoded as 32 bytes little-endian), by rejection sampling.
        """
        if seed is None:
            key = os.urandom(32)
        else:
            if isinstance(seed, int):
                if not 0 <= seed < 1 << 256:
                    raise ValueError("an int seed must be in [0, 2^256)")
                material = b"int:" + seed.to_bytes(32, "little")
            else:
                material = b"bytes:" + bytes(seed)
            key = hashlib.sha256(
                b"novanode/field/random/" + self.name.encode() + b"/" + material
            ).digest()
        return self._kernel.random(n, key)

    # Elementwise operations

    def add(self, a: Vector, b: Vector) -> Vector:
        """``a + b`` elementwise."""
        return self._kernel.add(as_vector(a, "a"), as_vector(b, "b"))

    def sub(self, a: Vector, b: Vector) -> Vector:
        """``a - b`` elementwise."""
        return self._kernel.sub(as_vector(a, "a"), as_vector(b, "b"))

    def mul(self, a: Vector, b: Vector) -> Vector:
        """``a * b`` elementwise (Hadamard product)."""
        return self._kernel.mul(as_vector(a, "a"), as_vector(b, "b"))

    def neg(self, a: Vector) -> Vector:
        """``-a`` elementwise."""
        return self._kernel.neg(as_vector(a, "a"))

    def scale(self, a: Vector, s: int | FieldElement) -> Vector:
        """``s · a``."""
        return self._kernel.scale(as_vector(a, "a"), self._scalar(s, "s"))

    def axpy(self, a: Vector, s: int | FieldElement, b: Vector) -> Vector:
        """``a + s · b``."""
        return self._kernel.axpy(as_vector(a, "a"), self._scalar(s, "s"), as_vector(b, "b"))

    def batch_inverse(self, a: Vector) -> Vector:
        """``1 / a`` elementwise; ``ZeroInversionError`` names the first zero."""
        return self._kernel.batch_inverse(as_vector(a, "a"))

    # Reductions and generators

    def inner_product(self, a: Vector, b: Vector) -> int:
        """``Σ a_i · b_i``."""
        return _int(self._kernel.inner_product(as_vector(a, "a"), as_vector(b, "b")))

    def sum(self, a: Vector) -> int:
        """``Σ a_i``."""
        return _int(self._kernel.sum(as_vector(a, "a")))

    def powers(self, base: int | FieldElement, n: int) -> Vector:
        """``[1, base, base², …, base^(n-1)]``."""
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        return self._kernel.powers(self._scalar(base, "base"), n)

    def _scalar(self, s: int | FieldElement, name: str) -> bytes:
        """The 32-byte encoding of a scalar argument."""
        if isinstance(s, FieldElement):
            if s.field is not self:
                raise FieldMismatchError(f"{name} is in {s.field.name}, not {self.name}")
            return s.to_bytes()
        if not 0 <= s < self.modulus:
            raise NonCanonicalEncodingError(
                f"scalar {name} ({s}) is not in [0, p) for the {self.name} modulus p; "
                f"use {self.name}(value) to reduce it"
            )
        return s.to_bytes(ELEMENT_BYTES, "little")


def _int(encoding: bytes) -> int:
    return int.from_bytes(encoding, "little")


FR: Final = PrimeField(
    "Fr",
    21888242871839275222246405745257275088548364400416034343698204186575808495617,
    "fr",
)
FQ: Final = PrimeField(
    "Fq",
    21888242871839275222246405745257275088696311157297823662689037894645226208583,
    "fq",
)


class FieldElement:
    """An element of a prime field: an int modulo p with field operators.

    Use the subclasses ``Fr`` and ``Fq``. ``Fr(v)`` is the residue of any int ``v``, so
    ``Fr(-1)`` is ``p - 1``; ``Fr.from_bytes`` instead insists on the canonical encoding.
    Operators accept an element of the same field or an int (taken modulo p); mixing fields
    raises ``FieldMismatchError``.
    """

    __slots__ = ("_value",)
    field: ClassVar[PrimeField]

    def __init__(self, value: int) -> None:
        self._value = value % self.field.modulus

    @property
    def value(self) -> int:
        """The canonical integer in ``[0, p)``."""
        return self._value

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """The element with this 32-byte little-endian canonical encoding."""
        if len(data) != ELEMENT_BYTES:
            raise WrongLengthError(f"an element is {ELEMENT_BYTES} bytes, got {len(data)}")
        value = int.from_bytes(data, "little")
        if value >= cls.field.modulus:
            raise NonCanonicalEncodingError(
                f"{value} is not below the {cls.field.name} modulus; the encoding is not canonical"
            )
        return cls(value)

    def to_bytes(self) -> bytes:
        """The 32-byte little-endian canonical encoding."""
        return self._value.to_bytes(ELEMENT_BYTES, "little")

    def inverse(self) -> Self:
        """``1 / self``; ``ZeroInversionError`` for zero."""
        if self._value == 0:
            raise ZeroInversionError(f"{self!r} has no inverse")
        return type(self)(pow(self._value, -1, self.field.modulus))

    def _other(self, other: object) -> int | None:
        """The int value of an operand, or None when it is not one this type combines with."""
        if isinstance(other, int):
            return other
        if isinstance(other, FieldElement):
            if type(other) is not type(self):
                raise FieldMismatchError(
                    f"cannot combine {type(self).__name__} with {type(other).__name__}"
                )
            return other._value
        return None

    def __add__(self, other: Self | int) -> Self:
        value = self._other(other)
        return NotImplemented if value is None else type(self)(self._value + value)

    __radd__ = __add__

    def __sub__(self, other: Self | int) -> Self:
        value = self._other(other)
        return NotImplemented if value is None else type(self)(self._value - value)

    def __rsub__(self, other: Self | int) -> Self:
        value = self._other(other)
        return NotImplemented if value is None else type(self)(value - self._value)

    def __mul__(self, other: Self | int) -> Self:
        value = self._other(other)
        return NotImplemented if value is None else type(self)(self._value * value)

    __rmul__ = __mul__

    def __truediv__(self, other: Self | int) -> Self:
        value = self._other(other)
        return NotImplemented if value is None else self * type(self)(value).inverse()

    def __rtruediv__(self, other: Self | int) -> Self:
        value = self._other(other)
        return NotImplemented if value is None else type(self)(value) * self.inverse()

    def __pow__(self, exponent: int) -> Self:
        if exponent < 0:
            return self.inverse() ** -exponent
        return type(self)(pow(self._value, exponent, self.field.modulus))

    def __neg__(self) -> Self:
        return type(self)(-self._value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, FieldElement)
        return self._value == other._value

    def __hash__(self) -> int:
        return hash((self.field.name, self._value))

    def __int__(self) -> int:
        return self._value

    def __bool__(self) -> bool:
        return self._value != 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._value})"


class Fr(FieldElement):
    """An element of BN254's scalar field."""

    __slots__ = ()
    field = FR


class Fq(FieldElement):
    """An element of BN254's base field."""

    __slots__ = ()
    field = FQ
