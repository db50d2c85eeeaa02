"""`novanode circuit-info` and `novanode circuit-check`: inspect and check circom circuits.

Exit codes: 0 success (satisfied), 1 a constraint is not satisfied, 2 a file that cannot be
read, decoded or used (named on stderr with the reason).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from crypto.circom import (
    R1CSFile,
    Witness,
    WitnessCalculator,
    evaluate,
    first_unsatisfied,
    load_r1cs,
    load_wtns,
)
from crypto.circom.binfile import BN254_SCALAR_PRIME
from crypto.errors import CryptoError

OK, UNSATISFIED, UNUSABLE = 0, 1, 2

_FIELD_NAMES = {BN254_SCALAR_PRIME: "BN254 scalar field (Fr)"}


class _UnusableFileError(Exception):
    """A file the command cannot use; carries the message for stderr."""


def circuit_info(r1cs_path: Path, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Prints a circuit's field and counts (to stdout and stderr unless given streams)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        r1cs = _load_r1cs(r1cs_path)
    except _UnusableFileError as exc:
        print(f"novanode circuit-info: {exc}", file=err)
        return UNUSABLE
    rows = [
        ("field", _FIELD_NAMES.get(r1cs.prime, "unknown")),
        ("prime", str(r1cs.prime)),
        ("constraints", str(r1cs.n_constraints)),
        ("wires", str(r1cs.n_wires)),
        ("public inputs", str(r1cs.n_pub_in)),
        ("public outputs", str(r1cs.n_pub_out)),
        ("private inputs", str(r1cs.n_prv_in)),
        ("labels", str(r1cs.n_labels)),
    ]
    for label, value in rows:
        print(f"{label + ':':<16}{value}", file=out)
    return OK


def circuit_check(
    r1cs_path: Path,
    *,
    witness_path: Path | None = None,
    wasm_path: Path | None = None,
    input_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Checks that a witness (a .wtns file, or computed by a .wasm from a JSON input) satisfies
    the circuit; names the first failing constraint."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        r1cs = _load_r1cs(r1cs_path)
        witness = _witness(witness_path, wasm_path, input_path)
        try:
            failing = first_unsatisfied(r1cs, witness)
        except CryptoError as exc:
            raise _UnusableFileError(f"the witness does not fit {r1cs_path}: {exc}") from exc
    except _UnusableFileError as exc:
        print(f"novanode circuit-check: {exc}", file=err)
        return UNUSABLE
    if failing is None:
        print(f"satisfied: all {r1cs.n_constraints} constraints hold", file=out)
        return OK
    print(_describe_failure(r1cs, witness, failing), file=out)
    return UNSATISFIED


def _describe_failure(r1cs: R1CSFile, witness: Witness, index: int) -> str:
    row, z, p = r1cs.constraints[index], witness.values, r1cs.prime
    a, b, c = (evaluate(part, z, p) for part in row)
    return (
        f"not satisfied: constraint {index} (of {r1cs.n_constraints}) fails: "
        f"A·z = {a}, B·z = {b}, (A·z)(B·z) = {a * b % p} but C·z = {c}"
    )


def _load_r1cs(path: Path) -> R1CSFile:
    try:
        return load_r1cs(path)
    except OSError as exc:
        raise _UnusableFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except CryptoError as exc:
        raise _UnusableFileError(f"{path} is not a usable .r1cs file: {exc}") from exc


def _witness(witness_path: Path | None, wasm_path: Path | None, input_path: Path | None) -> Witness:
    if witness_path is not None:
        try:
            return load_wtns(witness_path)
        except OSError as exc:
            raise _UnusableFileError(f"cannot read {witness_path}: {exc.strerror or exc}") from exc
        except CryptoError as exc:
            raise _UnusableFileError(f"{witness_path} is not a usable .wtns file: {exc}") from exc
    if wasm_path is None or input_path is None:
        raise _UnusableFileError(
            "give --witness STEP.wtns, or --wasm PATH.wasm with --input INPUT.json"
        )
    inputs = _read_json(input_path)
    try:
        calculator = WitnessCalculator.from_file(wasm_path)
    except OSError as exc:
        raise _UnusableFileError(f"cannot read {wasm_path}: {exc.strerror or exc}") from exc
    except CryptoError as exc:
        raise _UnusableFileError(f"{wasm_path} is not a usable witness generator: {exc}") from exc
    try:
        return calculator.compute(inputs)
    except CryptoError as exc:
        raise _UnusableFileError(f"no witness from {wasm_path} for {input_path}: {exc}") from exc


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise _UnusableFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _UnusableFileError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _UnusableFileError(f"{path} must hold one JSON object mapping signal names to values")
    return data
