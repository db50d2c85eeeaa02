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


class CircomFormatError(EncodingError):
    """A circom `.r1cs` or `.wtns` file that does not follow its binary format."""


class BadMagicError(CircomFormatError):
    """A file that does not start with the magic bytes of the expected format."""


class UnsupportedVersionError(CircomFormatError):
    """A format version this reader does not implement."""


class WrongPrimeError(CircomFormatError):
    """A file over a field other than BN254's scalar field, the only one the engine proves over."""


class TruncatedError(CircomFormatError):
    """Data that ends before a structure it declares ends."""


class OversizeSectionError(CircomFormatError):
    """A section whose declared length is longer than the file or than its content."""


class TrailingDataError(CircomFormatError):
    """Bytes after the last declared section."""


class DuplicateSectionError(CircomFormatError):
    """A section type that occurs more than once."""


class MissingSectionError(CircomFormatError):
    """A required section that is absent."""


class WireCountMismatchError(CircomFormatError):
    """Wire or witness counts that disagree with each other or with a section's length."""


class WireIndexError(CircomFormatError):
    """A constraint term naming a wire outside the circuit, or twice in one linear combination."""


class LabelIndexError(CircomFormatError):
    """A wire mapped to a label id outside the circuit's label count."""


class LimitExceededError(CircomFormatError):
    """A count beyond the explicit maximum this reader accepts."""


class CustomGatesError(CircomFormatError):
    """A circuit using PLONK custom gates, which R1CS (and so Nova) cannot express."""


class NonCanonicalValueError(CircomFormatError, NonCanonicalEncodingError):
    """A field element encoded as an integer ≥ the prime."""


class CircomWitnessError(CryptoError):
    """A circom witness that could not be computed, or does not fit its circuit."""


class InputSignalError(CircomWitnessError, ValueError):
    """Circuit inputs that name an unknown signal, have the wrong count or are not integers."""


class WitnessComputationError(CircomWitnessError):
    """circom's witness generator failed: an assert in the circuit, a trap, or a broken module."""


class ConstantWireError(CircomWitnessError, ValueError):
    """A witness whose wire 0 is not 1, the constant every R1CS term refers to."""


class UnsatisfiedWitnessError(CircomWitnessError, ValueError):
    """A witness that fits its circuit but violates one of its constraints: it proves nothing."""


class WitnessFuelExhaustedError(WitnessComputationError):
    """A witness generator that ran out of its fuel (its bound on executed wasm instructions)
    before finishing: a circuit far larger than the bound allows, or one that loops forever."""


class StepCircuitError(CryptoError, ValueError):
    """A circom circuit or step input that does not follow the step-circuit convention."""


class UnsupportedParameterError(CryptoError, ValueError):
    """A parameter choice the engine has no definition for (e.g. a Poseidon width)."""


class InvalidTagError(EncodingError):
    """A compact-vector tag outside TAG_ZERO, TAG_ONE, TAG_MINUS_ONE and TAG_OTHER."""


class LayoutError(CryptoError, TypeError):
    """An array whose dtype or memory layout is not the one required (uint64, C-contiguous)."""


class MalformedMatrixError(CryptoError, ValueError):
    """CSR arrays that do not describe a matrix: offsets out of order, columns out of range."""


class FieldMismatchError(CryptoError, TypeError):
    """Operands that belong to two different fields."""


class CircuitError(CryptoError):
    """A circuit that cannot be synthesised as written."""


class UnassignedValueError(CircuitError, ValueError):
    """A value that was read where none is known (e.g. while only the shape is recorded)."""


class UnsatisfiedConstraintError(CircuitError, ValueError):
    """An assignment that violates a constraint; carries the constraint's index and name."""

    def __init__(self, message: str, *, index: int, name: str) -> None:
        super().__init__(message)
        self.index = index
        self.name = name


class LimbOverflowError(CircuitError, ValueError):
    """Non-native limbs whose integer values could reach the circuit's prime (so that field
    equations between them would no longer be integer equations), or a value too wide for its
    limbs."""


class FoldingError(CryptoError, ValueError):
    """A relaxed R1CS instance, witness or fold that does not hold."""


class UnsatisfiedRelaxedConstraintError(FoldingError, UnsatisfiedConstraintError):
    """A relaxed witness violating A·z ∘ B·z = u·C·z + E; carries the constraint index and name."""


class CommitmentMismatchError(FoldingError):
    """An instance whose commitment (to W or to E) is not the commitment of its witness."""


class FoldMismatchError(FoldingError):
    """A claimed folded instance that differs from the one the verifier recomputes."""


class NotFreshInstanceError(FoldingError):
    """An instance used where a fresh (strict) one is required, with u ≠ 1 or comm_E ≠ identity."""


class StepRangeError(CryptoError, ValueError):
    """A step range [a, b) that is empty or reaches beyond the largest job (``MAX_STEPS``)."""


class NodeDecodingError(EncodingError):
    """A tree-node blob (docs/tree-nova.md §12) that does not decode; ``field`` names the part at
    fault as a dotted path (``"U1.X[2]"``, ``"w2t"``, ``"$"`` for the whole blob)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"node {field}: {message}")
        self.field = field


class NodeOversizeError(NodeDecodingError):
    """A node blob longer than the largest one its parameters allow (checked before parsing)."""


class NodeMalformedCborError(NodeDecodingError):
    """Bytes that are not exactly one well-formed CBOR item of the allowed kinds: truncated input,
    trailing bytes, indefinite lengths, tags, floats, non-text map keys."""


class NodeNonCanonicalCborError(NodeDecodingError, NonCanonicalEncodingError):
    """Valid CBOR that is not the deterministic encoding of its value (unsorted keys, an integer
    or length in a longer form than needed)."""


class NodeUnknownFieldError(NodeDecodingError):
    """A map key the node format does not define."""


class NodeMissingFieldError(NodeDecodingError):
    """A map key the node format requires that is absent."""


class NodeWrongTypeError(NodeDecodingError):
    """A field whose CBOR type is not the one the node format requires."""


class NodeVersionError(NodeDecodingError):
    """A node format version this implementation does not read."""


class NodeWrongLengthError(NodeDecodingError, WrongLengthError):
    """A byte string whose length is not the one the parameters fix for that field."""


class NodeNonCanonicalScalarError(NodeDecodingError, NonCanonicalEncodingError):
    """A 32-byte field element that is not in [0, p) of its field (or, in ``w2o``, a value that
    the compact form stores as a tag)."""


class NodeInvalidPointError(NodeDecodingError):
    """A commitment that is not the strict compressed encoding of a point of its curve."""


class NodeInvalidTagError(NodeDecodingError, InvalidTagError):
    """A compact-witness tag outside TAG_ZERO, TAG_ONE, TAG_MINUS_ONE and TAG_OTHER."""


class NodeTagCountError(NodeDecodingError):
    """A compact witness whose count of TAG_OTHER tags differs from its number of values."""


class NodeRangeError(NodeDecodingError, StepRangeError):
    """A node blob whose step range [a, b) is empty or reaches beyond the largest job."""


class CircuitPackageError(CryptoError, ValueError):
    """A circuit package blob (SPEC.md §9.4) that does not decode; ``field`` names the key at
    fault (``"$"`` for the whole blob)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"circuit package {field}: {message}")
        self.field = field


class CircuitPackageOversizeError(CircuitPackageError):
    """A circuit package longer than the largest one accepted (checked before parsing)."""


class CircuitPackageMalformedError(CircuitPackageError):
    """Bytes that are not exactly one well-formed CBOR map of the kinds the package allows."""


class CircuitPackageNonCanonicalError(CircuitPackageError, NonCanonicalEncodingError):
    """Valid CBOR that is not the deterministic encoding of its value."""


class CircuitPackageFieldError(CircuitPackageError):
    """A package whose keys are not exactly those of one kind: an unknown or missing key, or
    the keys of both kinds."""


class CircuitPackageWrongTypeError(CircuitPackageError):
    """A field whose CBOR type is not the one the package format requires."""


class CircuitPackageVersionError(CircuitPackageError):
    """A package format version this implementation does not read."""


class TreeError(CryptoError, ValueError):
    """A tree node, or a pair of nodes, that cannot be proven over or accepted."""


class ParameterMismatchError(TreeError):
    """A node proven under other public parameters (another step circuit or version)."""


class StatementMismatchError(TreeError):
    """A node whose statement (ctx, range or boundary state) is not the one expected."""


class ChildMismatchError(TreeError):
    """Children that do not continue each other (ranges not adjacent, z not continuous)."""


class SnarkError(CryptoError, ValueError):
    """A compressed proof (or one of its parts) does not verify."""


class EvaluationProofError(SnarkError):
    """A polynomial-commitment opening does not prove the claimed evaluation."""


class SumcheckError(SnarkError):
    """A sum-check round or its final claim is inconsistent."""


class ProofDecodingError(EncodingError):
    """A compressed-proof blob that does not decode; ``field`` names the part at fault as a
    dotted path (``"P.outer"``, ``"U1.X[2]"``, ``"$"`` for the whole blob)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"proof {field}: {message}")
        self.field = field


class ProofOversizeError(ProofDecodingError):
    """A proof blob longer than the largest one its parameters allow (checked before parsing)."""


class ProofMalformedCborError(ProofDecodingError):
    """Bytes that are not exactly one well-formed CBOR item of the allowed kinds."""


class ProofNonCanonicalCborError(ProofDecodingError, NonCanonicalEncodingError):
    """Valid CBOR that is not the deterministic encoding of its value."""


class ProofUnknownFieldError(ProofDecodingError):
    """A map key the proof format does not define."""


class ProofMissingFieldError(ProofDecodingError):
    """A map key the proof format requires that is absent."""


class ProofWrongTypeError(ProofDecodingError):
    """A field whose CBOR type is not the one the proof format requires."""


class ProofVersionError(ProofDecodingError):
    """A proof format version this implementation does not read."""


class ProofWrongLengthError(ProofDecodingError, WrongLengthError):
    """A byte string whose length is not the one the parameters fix for that field."""


class ProofNonCanonicalScalarError(ProofDecodingError, NonCanonicalEncodingError):
    """A 32-byte field element that is not in [0, p) of its field."""


class ProofInvalidPointError(ProofDecodingError):
    """A group element that is not the strict compressed encoding of a point of its curve."""


class ProofRangeError(ProofDecodingError, StepRangeError):
    """A proof whose statement's range is not [0, N) with 1 ≤ N ≤ the largest job."""
