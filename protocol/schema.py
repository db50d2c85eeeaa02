"""Field types of the message schemas: one place that checks a value, from the wire or from code.

A message dataclass lists its fields as ``(wire key, attribute, FieldType)``. The same checks run
when a message is decoded and when code constructs one, so an invalid message can be neither
received nor sent. Each check names the field path it failed on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from protocol.errors import (
    MissingFieldError,
    OutOfRangeError,
    OversizeError,
    UnknownFieldError,
    WrongTypeError,
)


class FieldType(ABC):
    """How one field looks on the wire and which values it may hold."""

    @abstractmethod
    def from_wire(self, value: object, path: str) -> object:
        """Check a decoded CBOR value and return it as the dataclass attribute."""

    @abstractmethod
    def check(self, value: object, path: str) -> None:
        """Check an attribute value set by code; raise a ProtocolError naming ``path``."""

    @abstractmethod
    def to_wire(self, value: object) -> object:
        """The CBOR value of a checked attribute."""


@dataclass(frozen=True)
class UInt(FieldType):
    """An unsigned integer in [low, high]."""

    low: int
    high: int

    def from_wire(self, value: object, path: str) -> object:
        self.check(value, path)
        return value

    def check(self, value: object, path: str) -> None:
        if type(value) is not int:
            raise WrongTypeError(path, f"expected an unsigned integer, got {type(value).__name__}")
        if not self.low <= value <= self.high:
            raise OutOfRangeError(path, f"{value} is outside [{self.low}, {self.high}]")

    def to_wire(self, value: object) -> object:
        return value


@dataclass(frozen=True)
class Bytes(FieldType):
    """A byte string of length in [low, high]."""

    low: int
    high: int

    def from_wire(self, value: object, path: str) -> object:
        self.check(value, path)
        return value

    def check(self, value: object, path: str) -> None:
        if type(value) is not bytes:
            raise WrongTypeError(path, f"expected a byte string, got {type(value).__name__}")
        _check_length(len(value), self.low, self.high, path, "bytes")

    def to_wire(self, value: object) -> object:
        return value


@dataclass(frozen=True)
class Text(FieldType):
    """A UTF-8 text string of encoded length in [low, high]."""

    low: int
    high: int

    def from_wire(self, value: object, path: str) -> object:
        self.check(value, path)
        return value

    def check(self, value: object, path: str) -> None:
        if type(value) is not str:
            raise WrongTypeError(path, f"expected a text string, got {type(value).__name__}")
        try:
            length = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise WrongTypeError(path, "text is not encodable as UTF-8") from None
        _check_length(length, self.low, self.high, path, "UTF-8 bytes")

    def to_wire(self, value: object) -> object:
        return value


@dataclass(frozen=True)
class Seq(FieldType):
    """An array of ``item`` values with a count in [low, high], held as a tuple."""

    item: FieldType
    low: int
    high: int

    def from_wire(self, value: object, path: str) -> object:
        if type(value) is not list:
            raise WrongTypeError(path, f"expected an array, got {type(value).__name__}")
        _check_length(len(value), self.low, self.high, path, "items")
        return tuple(self.item.from_wire(v, f"{path}[{i}]") for i, v in enumerate(value))

    def check(self, value: object, path: str) -> None:
        if type(value) is not tuple:
            raise WrongTypeError(path, f"expected a tuple, got {type(value).__name__}")
        _check_length(len(value), self.low, self.high, path, "items")
        for i, v in enumerate(value):
            self.item.check(v, f"{path}[{i}]")

    def to_wire(self, value: object) -> object:
        assert isinstance(value, tuple)
        return [self.item.to_wire(v) for v in value]


@dataclass(frozen=True)
class Nested(FieldType):
    """A map holding a `Record` of the given class."""

    cls: type[Record]

    def from_wire(self, value: object, path: str) -> object:
        return self.cls.from_wire(value, path)

    def check(self, value: object, path: str) -> None:
        if type(value) is not self.cls:
            raise WrongTypeError(path, f"expected {self.cls.__name__}, got {type(value).__name__}")

    def to_wire(self, value: object) -> object:
        assert isinstance(value, Record)
        return value.to_wire()


class Record:
    """Base of frozen dataclasses that map one-to-one onto a CBOR map with text keys.

    Subclasses set FIELDS and may override `check_consistency` for rules across fields.
    """

    FIELDS: ClassVar[tuple[tuple[str, str, FieldType], ...]]

    def __post_init__(self) -> None:
        self.validate("")

    def validate(self, prefix: str) -> None:
        """Check every field, then the rules across fields."""
        for key, attr, ftype in self.FIELDS:
            ftype.check(getattr(self, attr), prefix + key)
        self.check_consistency(prefix)

    def check_consistency(self, prefix: str) -> None:
        """Rules that involve more than one field; none by default."""

    def to_wire(self) -> dict[str, object]:
        """The CBOR map of this record."""
        return {key: ftype.to_wire(getattr(self, attr)) for key, attr, ftype in self.FIELDS}

    @classmethod
    def from_wire(cls, value: object, path: str) -> Self:
        """Build a record from a decoded CBOR map, rejecting unknown and missing keys."""
        if type(value) is not dict:
            raise WrongTypeError(path or "$", f"expected a map, got {type(value).__name__}")
        mapping: Mapping[object, object] = value
        known = {key for key, _, _ in cls.FIELDS}
        for key in mapping:
            if key not in known:
                raise UnknownFieldError(
                    _join(path, str(key)[:64]), "field not defined by the schema"
                )
        kwargs: dict[str, Any] = {}
        for key, attr, ftype in cls.FIELDS:
            if key not in mapping:
                raise MissingFieldError(_join(path, key), "required field is absent")
            kwargs[attr] = ftype.from_wire(mapping[key], _join(path, key))
        record = cls.__new__(cls)
        for attr, v in kwargs.items():
            object.__setattr__(record, attr, v)
        record.check_consistency(_join(path, ""))
        return record


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_length(length: int, low: int, high: int, path: str, unit: str) -> None:
    if length > high:
        raise OversizeError(path, f"{length} {unit} exceed the limit of {high}")
    if length < low:
        raise OutOfRangeError(path, f"{length} {unit} are fewer than the minimum of {low}")
