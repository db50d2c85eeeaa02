"""Specific exception types of the wire protocol.

Every rejection of untrusted bytes or of an illegal step is a `ProtocolError`, so a node handling
network input catches exactly one hierarchy. Each error names the field at fault (a dotted path
such as ``body.workers[3].peer``) so logs and rejection messages say what to fix.
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base of every error raised on bad protocol input or an illegal protocol step."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class OversizeError(ProtocolError):
    """Input or a field larger than the limit SPEC.md sets for it."""


class MalformedError(ProtocolError):
    """Bytes that are not a single well-formed CBOR item of the allowed kinds."""


class NonCanonicalError(ProtocolError):
    """A valid value in an encoding other than its one canonical (deterministic) encoding."""


class UnsupportedVersionError(ProtocolError):
    """A protocol version this implementation does not speak."""


class UnknownMessageTypeError(ProtocolError):
    """A message type name that the protocol version does not define."""


class UnknownFieldError(ProtocolError):
    """A map key that the schema does not define (extensions need a new version)."""


class MissingFieldError(ProtocolError):
    """A required map key that is absent."""


class WrongTypeError(ProtocolError):
    """A field whose CBOR type is not the one the schema requires."""


class OutOfRangeError(ProtocolError):
    """A field whose value or length is outside the range the schema allows."""


class InconsistentFieldsError(ProtocolError):
    """Fields that are each valid but contradict one another (e.g. start >= end)."""


class BadSignatureError(ProtocolError):
    """A signature that does not verify under the sender's key."""


class ReplayError(ProtocolError):
    """A message already seen, out of sequence, or expired."""


class AssignmentError(ProtocolError):
    """Inputs from which no assignment can be computed, or a reassignment with no candidate."""


class InvalidTransitionError(ProtocolError):
    """An event that the job or task state machine does not allow in the current state."""


class RuleViolationError(ProtocolError):
    """A well-formed, correctly signed message that breaks a protocol rule (sender, range...)."""


class ContentMismatchError(ProtocolError):
    """A blob whose SHA-256 or size differs from the content address that announced it."""
