"""A job's proof as the requester keeps it, and its offline check.

The network returns a compressed proof blob (SPEC.md §7.2) whose statement is (params, ctx =
the job id, [0, N), z0, zN). The requester's node has verified it already; `verify_offline` is
the check anyone else runs on the proof file, needing only the step circuit (a circom one's
``.r1cs``, not its wasm) and the statement they expect: a proof that verifies but states
another job, range, start or result is refused just like one that does not verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.circuit.cache import ShapeCache
from crypto.circuit.step import StepCircuit
from crypto.errors import CryptoError
from crypto.snark import compressed
from crypto.snark.encoding import decode_proof_file, proof_file_of_blob
from crypto.tree.node import Statement
from crypto.tree.params import public_params
from node.errors import InvalidProofError


@dataclass(frozen=True)
class Expected:
    """The statement a requester expects: its job, N steps from z0 to the trace's zN."""

    job: bytes
    steps: int
    z0: tuple[int, ...]
    zn: tuple[int, ...]


@dataclass(frozen=True)
class ProofResult:
    """A verified proof of a job: its statement, the proof blob and the circuit's key."""

    job: bytes
    circuit: str
    statement: Statement
    proof: bytes

    def file(self) -> bytes:
        """The proof file `novanode verify` reads: ``{"circuit": key, "proof": …}``."""
        return proof_file_of_blob(self.circuit, self.proof)


def verify_offline(
    proof_file: bytes,
    circuit: StepCircuit,
    expected: Expected,
    *,
    cache_dir: Path | None = None,
) -> Statement:
    """The statement of a proof file after full verification against `circuit`'s parameters
    and the `expected` statement; `InvalidProofError` says what does not hold."""
    cache = None if cache_dir is None else ShapeCache(cache_dir)
    keys = compressed.snark_keys(public_params(circuit, cache), cache)

    def keys_for(key: str) -> compressed.SnarkKeys:
        if key != circuit.key:
            raise InvalidProofError(f"the proof is of circuit {key}, not {circuit.key}")
        return keys

    try:
        statement = compressed.verify(keys, decode_proof_file(proof_file, keys_for).proof)
    except CryptoError as exc:
        raise InvalidProofError(f"the proof does not verify: {exc}") from None
    stated = (statement.ctx, statement.a, statement.b, statement.z_a, statement.z_b)
    wanted = (expected.job, 0, expected.steps, expected.z0, expected.zn)
    for name, got, want in zip(("job", "start", "steps", "z0", "zN"), stated, wanted, strict=True):
        if got != want:
            raise InvalidProofError(
                f"the proof verifies but states {name} {_shown(got)}, not {_shown(want)}"
            )
    return statement


def _shown(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)
