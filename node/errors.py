"""Specific exception types of the node's disk state, configuration and proving service.

Each names the file or key at fault and says what to do, because the reader is an operator at a
terminal: `novanode` prints the message and exits, it never shows a traceback for these.
"""

from __future__ import annotations


class NodeError(Exception):
    """Base of every failure of the node's data directory, key, stores, configuration or
    proving service."""


class DataDirError(NodeError):
    """A data directory that cannot be created, has unsafe permissions or is not one."""


class DataDirLockedError(DataDirError):
    """Another running process holds the data directory's lock."""


class KeyFileError(NodeError):
    """A node key file that is missing, unreadable, malformed or readable by others."""


class BlobStoreError(NodeError):
    """A blob that cannot be stored: of an unknown kind or over its kind's size limit."""


class JobStoreError(NodeError):
    """A job database that is not one, or a job or task it does not hold."""


class ConfigError(NodeError):
    """A configuration file or value that cannot be used; names where (the file and key, or the
    command-line option) and the fix."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


class ApiUnreachableError(NodeError):
    """No node's local API answered where a command looked for it."""


class ProvingError(NodeError):
    """The proving service could not run a task: a worker process died (the pool is rebuilt,
    so the next task runs), or the service was closed."""


class CircuitUnusableError(NodeError):
    """A circuit package file that cannot serve: unreadable, over the size limit, not the blob
    its content address names, or not a package that loads."""


class ProvingInputError(NodeError):
    """Inputs a prover cannot prove from: advice the step circuit rejects, children that do not
    adjoin, or a node or root blob that does not decode under the circuit."""


class InvalidNodeError(NodeError):
    """A received node blob that does not decode under its circuit or does not verify against
    the expected statement; the message is the check that failed."""


class InvalidProofError(NodeError):
    """A compressed proof that does not decode under its circuit or does not verify."""


class JobSpecError(NodeError):
    """A proving request that can never be served as given: unreadable or oversized circuit,
    a z0 or input that does not fit it, a step the circuit rejects; the message names which."""


class RecordedWitnessError(JobSpecError):
    """A recorded step witness a requester cannot submit: not a witness of the circuit, not
    satisfying it, or not starting where the previous step ended; names the step."""


class NoWorkersError(NodeError):
    """Too few eligible workers announced capacity for a job to be submitted."""


class JobFailedError(NodeError):
    """A job ended without a valid root proof: cancelled, expired, or out of standbys."""


class UnknownJobError(NodeError):
    """A job id this node's job database does not hold as one it requested."""


class LocalNetError(NodeError):
    """A local network's node that did not start, exited, or did not connect to the others;
    the message ends with the tail of its log."""
