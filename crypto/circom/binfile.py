"""The iden3 binary container that `.r1cs` and `.wtns` share: magic, version, then typed sections.

The section table is read in full before any section is parsed, because circom writes sections in
any order. Every declared length is checked against the bytes actually present before it is used,
so a corrupt or hostile length can never make a reader read, or allocate for, more than the file
holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crypto.errors import (
    BadMagicError,
    DuplicateSectionError,
    MissingSectionError,
    OversizeSectionError,
    TrailingDataError,
    TruncatedError,
    UnsupportedVersionError,
    WrongPrimeError,
)

BN254_SCALAR_PRIME = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""The only field accepted: circuits are proven over BN254's scalar field `Fr`."""

FIELD_BYTES = 32
"""Bytes of one BN254 scalar field element (circom's `n8`)."""

FILE_HEADER_BYTES = 12  # magic (4), version (u32), number of sections (u32)
SECTION_HEADER_BYTES = 12  # type (u32), size (u64)


@dataclass(frozen=True)
class Section:
    """Where one section's body lies in the file."""

    kind: int
    start: int
    size: int


class Cursor:
    """Reads little-endian values from one section's body, never past its end."""

    def __init__(self, data: bytes, section: Section, what: str) -> None:
        self._data = data
        self._pos = section.start
        self._end = section.start + section.size
        self.what = what

    @property
    def remaining(self) -> int:
        """Bytes of the section not read yet."""
        return self._end - self._pos

    def require(self, n_bytes: int, what: str) -> None:
        """Fail unless `n_bytes` more bytes are present: check this before trusting a count."""
        if n_bytes > self.remaining:
            raise TruncatedError(
                f"{self.what} ends before {what}: needs {n_bytes} more bytes, has {self.remaining}"
            )

    def take(self, n_bytes: int, what: str) -> bytes:
        """The next `n_bytes` bytes, after checking they are present."""
        self.require(n_bytes, what)
        start = self._pos
        self._pos += n_bytes
        return self._data[start : self._pos]

    def uint(self, n_bytes: int, what: str) -> int:
        """Read an unsigned little-endian integer of `n_bytes` bytes."""
        return int.from_bytes(self.take(n_bytes, what), "little")

    def u32(self, what: str) -> int:
        return self.uint(4, what)

    def u64(self, what: str) -> int:
        return self.uint(8, what)

    def prime(self) -> int:
        """Read the `n8` + prime field definition and require the BN254 scalar field."""
        n8 = self.u32("the field size n8")
        if n8 != FIELD_BYTES:
            raise WrongPrimeError(
                f"{self.what}: field elements of {n8} bytes; only the BN254 scalar field "
                f"({FIELD_BYTES} bytes) is supported — compile with `circom --prime bn128`"
            )
        value = self.uint(FIELD_BYTES, "the field prime")
        if value != BN254_SCALAR_PRIME:
            raise WrongPrimeError(
                f"{self.what}: field prime {value} is not the BN254 scalar field prime; "
                "compile with `circom --prime bn128`"
            )
        return value

    def finish(self) -> None:
        """Require that the section's content filled exactly its declared length."""
        if self.remaining:
            raise OversizeSectionError(
                f"{self.what} declares {self.remaining} bytes more than its content uses"
            )


def read_sections(
    data: bytes, magic: bytes, version: int, names: Mapping[int, str]
) -> dict[int, Section]:
    """Check the file header and locate every section whose type is in `names`.

    Sections of other types are skipped (the container allows extension), but their lengths are
    checked like the others'. A known type that occurs twice is rejected: which copy a reader would
    honour is ambiguous.
    """
    label = magic.decode("ascii")
    if len(data) < FILE_HEADER_BYTES:
        if not magic.startswith(data[:4]):
            raise BadMagicError(f"not a .{label} file: it does not start with {magic!r}")
        raise TruncatedError(f".{label} file of {len(data)} bytes ends inside its 12-byte header")
    if data[:4] != magic:
        raise BadMagicError(f"not a .{label} file: starts with {data[:4]!r}, expected {magic!r}")
    found_version = int.from_bytes(data[4:8], "little")
    if found_version != version:
        raise UnsupportedVersionError(
            f".{label} format version {found_version}; this reader implements version {version}"
        )
    n_sections = int.from_bytes(data[8:12], "little")
    room = (len(data) - FILE_HEADER_BYTES) // SECTION_HEADER_BYTES
    if n_sections > room:
        raise TruncatedError(
            f".{label} file declares {n_sections} sections but has room for at most {room}"
        )
    sections: dict[int, Section] = {}
    pos = FILE_HEADER_BYTES
    for index in range(n_sections):
        if len(data) - pos < SECTION_HEADER_BYTES:
            raise TruncatedError(f".{label} file ends inside the header of section {index}")
        kind = int.from_bytes(data[pos : pos + 4], "little")
        size = int.from_bytes(data[pos + 4 : pos + 12], "little")
        pos += SECTION_HEADER_BYTES
        if size > len(data) - pos:
            raise OversizeSectionError(
                f".{label} section {index} (type {kind}) declares {size} bytes but only "
                f"{len(data) - pos} remain in the file: truncated file or corrupt length"
            )
        if kind in names:
            if kind in sections:
                raise DuplicateSectionError(
                    f".{label} file has more than one {names[kind]} section (type {kind})"
                )
            sections[kind] = Section(kind, pos, size)
        pos += size
    if pos != len(data):
        raise TrailingDataError(
            f".{label} file has {len(data) - pos} bytes after its last declared section"
        )
    return sections


def require_section(
    data: bytes, sections: Mapping[int, Section], kind: int, names: Mapping[int, str], label: str
) -> Cursor:
    """A cursor over a section the format requires."""
    section = sections.get(kind)
    if section is None:
        raise MissingSectionError(f".{label} file has no {names[kind]} section (type {kind})")
    return Cursor(data, section, f".{label} {names[kind]} section")
