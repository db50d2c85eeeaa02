"""Strict reading of the project's CBOR blobs (tree nodes, compressed proofs) from hostile input.

Each blob format fixes every length from its parameters, so a reader takes nothing on trust:
the input is bounded before parsing, must be the deterministic encoding of its value
(``protocol.cbor``), maps must have exactly the format's keys, byte strings exactly the lengths
the caller expects, scalars must be canonical and points strict encodings on their curve. A
failure raises the format's own error type (``DecodingErrors``) with the dotted path of the
field at fault, so a node and a proof report failures in their own terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from crypto.errors import EncodingError, NonCanonicalEncodingError
from crypto.field import ELEMENT_BYTES, PrimeField, Vector
from crypto.folding.commitment import curve_for
from crypto.folding.relaxed import RelaxedInstance
from crypto.group import CurvePoint
from protocol import cbor
from protocol.errors import NonCanonicalError, OversizeError, ProtocolError

ROOT: Final = "$"
"""The field name of errors about the blob as a whole."""

MAX_CIRCUIT_KEY_BYTES: Final = 4096
"""Longest step-circuit key (``builtin:NAME`` or a path) a proof file may name."""

INSTANCE_KEYS: Final = ("W", "E", "u", "X")
"""The keys of a relaxed instance's map: comm_W, comm_E (points), u, X (scalars)."""

ErrorType = Callable[[str, str], Exception]
"""An error class taking (field path, message)."""


@dataclass(frozen=True)
class DecodingErrors:
    """The error type a blob format raises for each kind of failure."""

    oversize: ErrorType
    malformed_cbor: ErrorType
    non_canonical_cbor: ErrorType
    unknown_field: ErrorType
    missing_field: ErrorType
    wrong_type: ErrorType
    wrong_length: ErrorType
    non_canonical_scalar: ErrorType
    invalid_point: ErrorType


class StrictReader:
    """The checks of the module docstring, raising one format's errors."""

    def __init__(self, errors: DecodingErrors) -> None:
        self.errors = errors

    def parse(self, data: object, max_bytes: int) -> object:
        """One canonical CBOR item of at most ``max_bytes`` bytes."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise self.errors.wrong_type(ROOT, f"expected bytes, got {type(data).__name__}")
        try:
            return cbor.decode(bytes(data), max_bytes)
        except OversizeError as exc:
            raise self.errors.oversize(ROOT, _reason(exc)) from None
        except NonCanonicalError as exc:
            raise self.errors.non_canonical_cbor(ROOT, _reason(exc)) from None
        except ProtocolError as exc:
            raise self.errors.malformed_cbor(ROOT, _reason(exc)) from None

    def fields(self, value: object, keys: tuple[str, ...], path: str) -> Mapping[str, object]:
        """``value`` as a map with exactly ``keys``."""
        if not isinstance(value, dict):
            raise self.errors.wrong_type(path or ROOT, f"must be a map, got {kind(value)}")
        for key in value:
            if key not in keys:
                raise self.errors.unknown_field(
                    join(path, str(key)), "is not a field of this format"
                )
        for key in keys:
            if key not in value:
                raise self.errors.missing_field(join(path, key), "is required")
        return value

    def uint(self, fields: Mapping[str, object], key: str, path: str) -> int:
        value = fields[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.errors.wrong_type(
                join(path, key), f"must be an unsigned integer, got {value!r}"
            )
        return value

    def text(self, fields: Mapping[str, object], key: str, max_bytes: int, path: str) -> str:
        value = fields[key]
        if not isinstance(value, str):
            raise self.errors.wrong_type(
                join(path, key), f"must be a text string, got {kind(value)}"
            )
        if not 0 < len(value.encode()) <= max_bytes:
            raise self.errors.wrong_length(join(path, key), f"must be 1 to {max_bytes} bytes")
        return value

    def byte_string(self, fields: Mapping[str, object], key: str, length: int, path: str) -> bytes:
        """The byte string at ``key``, of exactly ``length`` bytes."""
        value = fields[key]
        if not isinstance(value, bytes):
            raise self.errors.wrong_type(
                join(path, key), f"must be a byte string, got {kind(value)}"
            )
        if len(value) != length:
            raise self.errors.wrong_length(
                join(path, key), f"has {len(value)} bytes; the parameters fix {length}"
            )
        return value

    def scalar(self, data: bytes, field: PrimeField, path: str) -> int:
        value = int.from_bytes(data, "little")
        if value >= field.modulus:
            raise self.errors.non_canonical_scalar(path, f"is not below the {field.name} modulus")
        return value

    def scalars(self, data: bytes, field: PrimeField, path: str) -> tuple[int, ...]:
        """Concatenated 32-byte elements; an error names the index."""
        return tuple(
            self.scalar(data[i : i + ELEMENT_BYTES], field, f"{path}[{i // ELEMENT_BYTES}]")
            for i in range(0, len(data), ELEMENT_BYTES)
        )

    def vector(
        self, fields: Mapping[str, object], key: str, n: int, field: PrimeField, path: str
    ) -> Vector:
        """The field vector of ``n`` elements at ``key``."""
        data = self.byte_string(fields, key, ELEMENT_BYTES * n, path)
        return self.field_vector(data, field, join(path, key))

    def field_vector(self, data: bytes, field: PrimeField, path: str) -> Vector:
        try:
            return field.from_bytes(data)
        except NonCanonicalEncodingError as exc:
            raise self.errors.non_canonical_scalar(path, str(exc)) from None

    def point(self, data: bytes, field: PrimeField, path: str) -> CurvePoint:
        """The point of the curve whose scalars are ``field``."""
        curve = curve_for(field)
        try:
            return curve.point_from_bytes(data)
        except EncodingError as exc:
            raise self.errors.invalid_point(path, f"not a {curve.name} point: {exc}") from None

    def points(self, data: bytes, field: PrimeField, path: str) -> tuple[CurvePoint, ...]:
        """Concatenated 32-byte points; an error names the index."""
        return tuple(
            self.point(data[i : i + ELEMENT_BYTES], field, f"{path}[{i // ELEMENT_BYTES}]")
            for i in range(0, len(data), ELEMENT_BYTES)
        )

    def scalar_at(
        self, fields: Mapping[str, object], key: str, field: PrimeField, path: str
    ) -> int:
        """The one canonical element of ``field`` at ``key``."""
        data = self.byte_string(fields, key, ELEMENT_BYTES, path)
        return self.scalar(data, field, join(path, key))

    def scalars_at(
        self, fields: Mapping[str, object], key: str, n: int, field: PrimeField, path: str
    ) -> tuple[int, ...]:
        """The ``n`` canonical elements of ``field`` at ``key``."""
        data = self.byte_string(fields, key, ELEMENT_BYTES * n, path)
        return self.scalars(data, field, join(path, key))

    def point_at(
        self, fields: Mapping[str, object], key: str, field: PrimeField, path: str
    ) -> CurvePoint:
        """The point at ``key``, on the curve whose scalars are ``field``."""
        data = self.byte_string(fields, key, ELEMENT_BYTES, path)
        return self.point(data, field, join(path, key))

    def points_at(
        self, fields: Mapping[str, object], key: str, n: int, field: PrimeField, path: str
    ) -> tuple[CurvePoint, ...]:
        """The ``n`` points at ``key``."""
        data = self.byte_string(fields, key, ELEMENT_BYTES * n, path)
        return self.points(data, field, join(path, key))

    def circuit_file(
        self, data: bytes, kind: str, max_bytes: int, max_inner: Callable[[str], int]
    ) -> tuple[str, object]:
        """The circuit key and the still undecoded ``kind`` value of a proof file (see
        ``encode_circuit_file``): the input is bounded by ``max_bytes`` before parsing, and the
        inner value by ``max_inner(circuit)`` once the key says which parameters apply."""
        fields = self.fields(self.parse(data, max_bytes), ("circuit", kind), "")
        circuit = self.text(fields, "circuit", MAX_CIRCUIT_KEY_BYTES, "")
        limit = max_inner(circuit)
        wrapper = len(cbor.encode({"circuit": circuit})) + len(cbor.encode(kind))
        if len(data) - wrapper > limit:
            raise self.errors.oversize(kind, f"longer than the {limit} bytes its parameters allow")
        return circuit, fields[kind]

    def instance(
        self, value: object, field: PrimeField, n_public: int, path: str
    ) -> RelaxedInstance:
        """A relaxed instance of a ``field`` shape with ``n_public`` public inputs."""
        fields = self.fields(value, INSTANCE_KEYS, path)
        return RelaxedInstance(
            comm_W=self.point_at(fields, "W", field, path),
            comm_E=self.point_at(fields, "E", field, path),
            u=self.scalar_at(fields, "u", field, path),
            X=self.scalars_at(fields, "X", n_public, field, path),
        )


def encode_circuit_file(circuit: str, kind: str, value: dict[str, object]) -> bytes:
    """A local proof file, ``{"circuit": circuit, kind: value}``: the blob with the key of its
    step circuit, so that an offline verifier can rebuild the parameters first."""
    if not isinstance(circuit, str) or not 0 < len(circuit.encode()) <= MAX_CIRCUIT_KEY_BYTES:
        raise ValueError(f"a circuit key is a text of 1 to {MAX_CIRCUIT_KEY_BYTES} bytes")
    return cbor.encode({"circuit": circuit, kind: value})


def instance_map(instance: RelaxedInstance) -> dict[str, object]:
    """The CBOR map of a relaxed instance (read back by ``StrictReader.instance``)."""
    return {
        "W": instance.comm_W.to_bytes(),
        "E": instance.comm_E.to_bytes(),
        "u": scalars_bytes((instance.u,)),
        "X": scalars_bytes(instance.X),
    }


def instance_bytes(n_public: int) -> int:
    """The encoded length of ``instance_map`` for ``n_public`` public inputs."""
    keys = sum(string_bytes(len(k)) for k in INSTANCE_KEYS)
    scalars = 3 * string_bytes(ELEMENT_BYTES) + string_bytes(ELEMENT_BYTES * n_public)
    return head_bytes(len(INSTANCE_KEYS)) + keys + scalars


def _reason(exc: ProtocolError) -> str:
    """The protocol error's message without its own field prefix."""
    return str(exc).removeprefix(f"{exc.field}: ")


def join(path: str, key: str) -> str:
    """The dotted path of ``key`` inside ``path``."""
    return f"{path}.{key}" if path else key


def kind(value: object) -> str:
    """A value's type name, for messages."""
    return type(value).__name__


def scalars_bytes(values: tuple[int, ...]) -> bytes:
    """Canonical ints as concatenated 32-byte little-endian elements."""
    return b"".join(v.to_bytes(ELEMENT_BYTES, "little") for v in values)


def head_bytes(argument: int) -> int:
    """Length of a CBOR item head carrying ``argument`` (an integer, or a string's length)."""
    if argument < 24:
        return 1
    if argument < 1 << 8:
        return 2
    if argument < 1 << 16:
        return 3
    return 5 if argument < 1 << 32 else 9


def string_bytes(length: int) -> int:
    """Length of a CBOR byte or text string of ``length`` bytes."""
    return head_bytes(length) + length
