"""The compressed-proof blob: canonical CBOR, decoded strictly against the SNARK keys.

Every length is fixed by the keys (F's arity, each shape's padded sizes), never read from the
blob, and the whole blob is bounded by ``max_encoded_size`` before parsing; scalars must be
canonical in their field and points strict encodings on their curve (``crypto.strict_cbor``).
Failures raise ``ProofDecodingError`` subclasses naming the field. ``P`` is the Spartan proof
of U1 over Fr (its points on BN254 G1), ``S`` that of the folded U2 over Fq (on Grumpkin).

The proof file wraps a proof with the key of its step circuit, ``{"circuit": tstr,
"proof": proof}``, as the node file wraps a root node (``crypto.tree.encoding``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from crypto.errors import (
    ProofInvalidPointError,
    ProofMalformedCborError,
    ProofMissingFieldError,
    ProofNonCanonicalCborError,
    ProofNonCanonicalScalarError,
    ProofOversizeError,
    ProofRangeError,
    ProofUnknownFieldError,
    ProofVersionError,
    ProofWrongLengthError,
    ProofWrongTypeError,
)
from crypto.field import ELEMENT_BYTES, FQ, FR, PrimeField
from crypto.snark.compressed import CompressedProof, SnarkKeys
from crypto.snark.ipa import EvaluationProof
from crypto.snark.spartan import SpartanKey, SpartanProof
from crypto.strict_cbor import (
    MAX_CIRCUIT_KEY_BYTES,
    DecodingErrors,
    StrictReader,
    encode_circuit_file,
    head_bytes,
    instance_bytes,
    instance_map,
    join,
    kind,
    scalars_bytes,
    string_bytes,
)
from crypto.tree.node import DIGEST_BYTES, PRIMARY_PUBLIC, SECONDARY_PUBLIC, Statement
from protocol import cbor
from protocol.errors import ProtocolError
from protocol.limits import MAX_PROOF_BYTES, MAX_STEPS

VERSION: Final = 1
"""The compressed-proof format version, the value of ``"v"``."""

OUTER_DEGREE: Final = 3
"""Values per outer sum-check round: g(0), g(2), g(3)."""
QUADRATIC_DEGREE: Final = 2
"""Values per inner and batching round: g(0), g(2)."""

_PROOF_KEYS: Final = ("v", "pp", "ctx", "a", "b", "za", "zb", "U1", "U2", "u2", "T", "P", "S")
_SPARTAN_KEYS: Final = ("outer", "claims", "inner", "w", "batch", "open", "L", "R", "a")

_READ = StrictReader(
    DecodingErrors(
        oversize=ProofOversizeError,
        malformed_cbor=ProofMalformedCborError,
        non_canonical_cbor=ProofNonCanonicalCborError,
        unknown_field=ProofUnknownFieldError,
        missing_field=ProofMissingFieldError,
        wrong_type=ProofWrongTypeError,
        wrong_length=ProofWrongLengthError,
        non_canonical_scalar=ProofNonCanonicalScalarError,
        invalid_point=ProofInvalidPointError,
    )
)


@dataclass(frozen=True, eq=False)
class ProofFile:
    """A compressed proof and the key of the step circuit it proves."""

    circuit: str
    proof: CompressedProof


# Encoding


def encode_proof(proof: CompressedProof) -> bytes:
    """The canonical CBOR blob of ``proof``."""
    return cbor.encode(_proof_map(proof))


def encode_proof_file(circuit: str, proof: CompressedProof) -> bytes:
    """The canonical CBOR of ``{"circuit": circuit, "proof": proof}``."""
    return encode_circuit_file(circuit, "proof", _proof_map(proof))


def proof_file_of_blob(circuit: str, blob: bytes) -> bytes:
    """The proof file of a proof blob as a network job returns it (SPEC.md §7.2): the same map,
    wrapped with its circuit key. Nothing is checked here; verifying the file does that."""
    try:
        value = cbor.decode(blob, MAX_PROOF_BYTES)
    except ProtocolError as exc:
        raise ProofMalformedCborError("$", f"not canonical CBOR: {exc}") from None
    if not isinstance(value, dict):
        raise ProofWrongTypeError("$", f"a map is required, not {kind(value)}")
    return encode_circuit_file(circuit, "proof", value)


def _proof_map(proof: CompressedProof) -> dict[str, object]:
    s = proof.statement
    return {
        "v": VERSION,
        "pp": s.params_digest,
        "ctx": s.ctx,
        "a": s.a,
        "b": s.b,
        "za": scalars_bytes(s.z_a),
        "zb": scalars_bytes(s.z_b),
        "U1": instance_map(proof.U1),
        "U2": instance_map(proof.U2),
        "u2": proof.u2_comm_W.to_bytes(),
        "T": proof.comm_T.to_bytes(),
        "P": _spartan_map(proof.primary),
        "S": _spartan_map(proof.secondary),
    }


def _spartan_map(proof: SpartanProof[EvaluationProof]) -> dict[str, object]:
    opening = proof.opening
    return {
        "outer": _rounds_bytes(proof.outer_rounds),
        "claims": scalars_bytes((proof.az, proof.bz, proof.cz, proof.e_rx)),
        "inner": _rounds_bytes(proof.inner_rounds),
        "w": scalars_bytes((proof.w_ry,)),
        "batch": _rounds_bytes(proof.batch_rounds),
        "open": scalars_bytes((proof.w_rz, proof.e_rz)),
        "L": b"".join(p.to_bytes() for p in opening.L),
        "R": b"".join(p.to_bytes() for p in opening.R),
        "a": scalars_bytes((opening.a,)),
    }


def _rounds_bytes(rounds: tuple[tuple[int, ...], ...]) -> bytes:
    return b"".join(scalars_bytes(tuple(r)) for r in rounds)


# Sizes


def _scalars(n: int) -> int:
    return string_bytes(ELEMENT_BYTES * n)


def _spartan_bytes(key: SpartanKey) -> int:
    s, t, m = key.log_rows, key.log_witness, key.log_opening
    keys = sum(string_bytes(len(k)) for k in _SPARTAN_KEYS)
    return (
        head_bytes(len(_SPARTAN_KEYS))
        + keys
        + _scalars(OUTER_DEGREE * s)
        + _scalars(4)
        + _scalars(QUADRATIC_DEGREE * (t + 1))
        + _scalars(1)
        + _scalars(QUADRATIC_DEGREE * m)
        + _scalars(2)
        + 2 * _scalars(m)
        + _scalars(1)
    )


def encoded_size(keys: SnarkKeys, *, b: int) -> int:
    """The exact length of the blob of a proof under ``keys`` over [0, b)."""
    return (
        head_bytes(len(_PROOF_KEYS))
        + sum(string_bytes(len(k)) for k in _PROOF_KEYS)
        + head_bytes(VERSION)
        + 2 * string_bytes(DIGEST_BYTES)
        + head_bytes(0)
        + head_bytes(b)
        + 2 * _scalars(keys.params.arity)
        + instance_bytes(PRIMARY_PUBLIC)
        + instance_bytes(SECONDARY_PUBLIC)
        + 2 * _scalars(1)
        + _spartan_bytes(keys.primary)
        + _spartan_bytes(keys.secondary)
    )


def max_encoded_size(keys: SnarkKeys) -> int:
    """The longest proof blob under ``keys``: the bound checked before parsing."""
    return encoded_size(keys, b=MAX_STEPS)


# Decoding


def decode_proof(data: bytes, keys: SnarkKeys) -> CompressedProof:
    """The proof encoded by ``data`` under ``keys``; raises a ``ProofDecodingError`` subclass
    naming the field at fault."""
    limit = min(max_encoded_size(keys), MAX_PROOF_BYTES)
    return _proof_from_value(_READ.parse(data, limit), keys, "")


def decode_proof_file(
    data: bytes,
    keys_for: Callable[[str], SnarkKeys],
    max_bytes: int = MAX_PROOF_BYTES + MAX_CIRCUIT_KEY_BYTES + 64,
) -> ProofFile:
    """The proof file encoded by ``data``: ``keys_for`` maps its circuit key to the SNARK keys
    of that circuit (building them if needed). ``max_bytes`` bounds the input before parsing."""
    keys: dict[str, SnarkKeys] = {}

    def max_inner(circuit: str) -> int:
        keys[circuit] = keys_for(circuit)
        return max_encoded_size(keys[circuit])

    circuit, value = _READ.circuit_file(data, "proof", max_bytes, max_inner)
    return ProofFile(circuit, _proof_from_value(value, keys[circuit], "proof"))


def _proof_from_value(value: object, keys: SnarkKeys, path: str) -> CompressedProof:
    fields = _READ.fields(value, _PROOF_KEYS, path)
    version = _READ.uint(fields, "v", path)
    if version != VERSION:
        raise ProofVersionError(join(path, "v"), f"version {version} is not {VERSION}")
    a = _READ.uint(fields, "a", path)
    b = _READ.uint(fields, "b", path)
    if a != 0 or not 0 < b <= MAX_STEPS:
        raise ProofRangeError(
            join(path, "b"), f"a root proves [0, N) with 1 ≤ N ≤ {MAX_STEPS}, not [{a}, {b})"
        )
    arity = keys.params.arity
    statement = Statement(
        params_digest=_READ.byte_string(fields, "pp", DIGEST_BYTES, path),
        ctx=_READ.byte_string(fields, "ctx", DIGEST_BYTES, path),
        a=a,
        b=b,
        z_a=_READ.scalars_at(fields, "za", arity, FR, path),
        z_b=_READ.scalars_at(fields, "zb", arity, FR, path),
    )
    return CompressedProof(
        statement=statement,
        U1=_READ.instance(fields["U1"], FR, PRIMARY_PUBLIC, join(path, "U1")),
        U2=_READ.instance(fields["U2"], FQ, SECONDARY_PUBLIC, join(path, "U2")),
        u2_comm_W=_READ.point_at(fields, "u2", FQ, path),
        comm_T=_READ.point_at(fields, "T", FQ, path),
        primary=_spartan(fields["P"], keys.primary, join(path, "P")),
        secondary=_spartan(fields["S"], keys.secondary, join(path, "S")),
    )


def _spartan(value: object, key: SpartanKey, path: str) -> SpartanProof[EvaluationProof]:
    fields = _READ.fields(value, _SPARTAN_KEYS, path)
    field = key.field
    s, t, m = key.log_rows, key.log_witness, key.log_opening
    az, bz, cz, e_rx = _READ.scalars_at(fields, "claims", 4, field, path)
    w_rz, e_rz = _READ.scalars_at(fields, "open", 2, field, path)
    return SpartanProof(
        outer_rounds=_rounds(fields, "outer", s, OUTER_DEGREE, field, path),
        az=az,
        bz=bz,
        cz=cz,
        e_rx=e_rx,
        inner_rounds=_rounds(fields, "inner", t + 1, QUADRATIC_DEGREE, field, path),
        w_ry=_READ.scalar_at(fields, "w", field, path),
        batch_rounds=_rounds(fields, "batch", m, QUADRATIC_DEGREE, field, path),
        w_rz=w_rz,
        e_rz=e_rz,
        opening=EvaluationProof(
            L=_READ.points_at(fields, "L", m, field, path),
            R=_READ.points_at(fields, "R", m, field, path),
            a=_READ.scalar_at(fields, "a", field, path),
        ),
    )


def _rounds(
    fields: Mapping[str, object], key: str, rounds: int, width: int, field: PrimeField, path: str
) -> tuple[tuple[int, ...], ...]:
    values = _READ.scalars_at(fields, key, rounds * width, field, path)
    return tuple(values[i : i + width] for i in range(0, len(values), width))
