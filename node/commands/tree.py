"""`novanode prove` and `novanode verify`: a whole job proven locally as one tree, and its check.

`prove` proves N steps of a step circuit (a built-in key, or a circom `.r1cs` with its `.wasm` or
a directory of its steps' recorded `.wtns` files) from z0 on P worker processes and writes the
proof file `{"circuit": key, "node": root}`. With `--resume DIR` every proven node is kept in
DIR (`crypto.tree.store`) and the nodes already there are not proven again: the same command,
run again after an interruption, goes on where it stopped and writes the same file. A resumed
root is verified before it is written; if it fails, a stored node was damaged: the invalid ones
are removed from DIR and proven again.
`verify` rebuilds the parameters from the file's circuit key (a circom circuit needs its
`.r1cs` again, not its wasm: checking runs no step), checks the root node and prints its
statement.

Exit codes: 0 proven / valid, 1 an invalid proof or a final state other than --expect-zn, 2 input
that cannot be read or used (named on stderr with the reason).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from crypto.circuit.builtins import builtin
from crypto.circuit.cache import ShapeCache
from crypto.circuit.circom_step import CircomStepCircuit
from crypto.circuit.step import Advice, StepCircuit
from crypto.errors import CryptoError, EncodingError
from crypto.field import FR
from crypto.tree.encoding import decode_node_file, encode_node_file
from crypto.tree.node import Node, NodeLayout
from crypto.tree.params import public_params
from crypto.tree.prover import verify_node
from crypto.tree.scheduler import prove_job
from crypto.tree.store import NodeStore

OK, INVALID, UNUSABLE = 0, 1, 2
LOCAL_CTX = bytes(32)
"""The job context of a local proof."""


class _UnusableInputError(Exception):
    """Input the command cannot use; carries the message for stderr."""


def prove(
    circuit: str,
    *,
    wasm: Path | None,
    z0: str,
    witness_dir: Path | None = None,
    advice_path: Path | None,
    steps: int,
    workers: int,
    out_path: Path,
    cache_dir: Path | None = None,
    resume: Path | None = None,
    err: TextIO | None = None,
) -> int:
    """Proves `steps` steps from z0 and writes the proof file to `out_path` (keeping the
    nodes in, and taking those already proven from, the directory `resume`)."""
    err = err or sys.stderr
    try:
        if witness_dir is None:
            make = _circuit_factory(circuit, wasm)
        else:
            make = _recorded_factory(circuit, witness_dir, advice_path)
        step = make()
        start = _state(z0, step.arity, "--z0")
        advice = _advice(advice_path, steps)
        if workers < 1:
            raise _UnusableInputError("--workers must be at least 1")

        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            print(f"proved {done}/{total} nodes ({elapsed:.1f} s)", file=err, flush=True)

        def run(store: NodeStore | None) -> Node:
            return prove_job(make, LOCAL_CTX, start, advice, workers, cache_dir, progress, store)

        if resume is None:
            root = run(None)
        else:
            root = _resumed(step, cache_dir, NodeStore(resume), start, run, err)
        out_path.write_bytes(encode_node_file(step.key, root))
    except _UnusableInputError as exc:
        print(f"novanode prove: {exc}", file=err)
        return UNUSABLE
    except OSError as exc:
        where = exc.filename or out_path
        print(f"novanode prove: {where}: {exc.strerror or exc}", file=err)
        return UNUSABLE
    except CryptoError as exc:
        print(f"novanode prove: {exc}", file=err)
        return UNUSABLE
    print(f"wrote {out_path}: {steps} steps, z_N = {json.dumps(list(root.statement.z_b))}")
    return OK


def verify(
    path: Path,
    *,
    expect_zn: str | None = None,
    r1cs: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Checks a proof file; prints its statement (exit 0), or the reason it is invalid (1)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        data = _read(path)
        params_by_key: dict[str, Any] = {}

        def layout_for(key: str) -> NodeLayout:
            make = _verifier_factory(key, r1cs)
            params_by_key[key] = public_params(make())
            layout: NodeLayout = params_by_key[key].layout()
            return layout

        try:
            proof = decode_node_file(data, layout_for)
        except EncodingError as exc:
            raise _UnusableInputError(f"{path} is not a readable proof file: {exc}") from exc
        params = params_by_key[proof.circuit]
        expected = None if expect_zn is None else _state(expect_zn, params.arity, "--expect-zn")
    except _UnusableInputError as exc:
        print(f"novanode verify: {exc}", file=err)
        return UNUSABLE
    try:
        statement = verify_node(params, proof.node, ctx=LOCAL_CTX, a=0)
    except CryptoError as exc:
        print(f"novanode verify: invalid proof: {exc}", file=err)
        return INVALID
    print(f"circuit: {proof.circuit}", file=out)
    print(f"params:  {statement.params_digest.hex()}", file=out)
    print(f"steps:   {statement.b}", file=out)
    print(f"z0:      {json.dumps(list(statement.z_a))}", file=out)
    print(f"zN:      {json.dumps(list(statement.z_b))}", file=out)
    if expected is not None and tuple(expected) != statement.z_b:
        print(f"novanode verify: the proof ends in a state other than {expect_zn}", file=err)
        return INVALID
    return OK


def _circuit_factory(circuit: str, wasm: Path | None) -> Callable[[], StepCircuit]:
    """A picklable constructor of the step circuit (worker processes build their own)."""
    if circuit.startswith("builtin:"):
        if wasm is not None:
            raise _UnusableInputError("--wasm goes with a circom .r1cs circuit, not a built-in")
        make: Callable[[], StepCircuit] = functools.partial(builtin, circuit)
    else:
        if wasm is None:
            raise _UnusableInputError(f"{circuit}: a circom circuit needs --wasm PATH.wasm")
        make = functools.partial(CircomStepCircuit.from_files, Path(circuit), wasm)
    try:
        make()
    except OSError as exc:
        raise _UnusableInputError(f"cannot read the circuit: {exc.strerror or exc}") from exc
    except CryptoError as exc:
        raise _UnusableInputError(f"{circuit} is not a usable step circuit: {exc}") from exc
    return make


def _recorded_factory(
    circuit: str, witness_dir: Path, advice_path: Path | None
) -> Callable[[], StepCircuit]:
    """A picklable constructor of a circom circuit whose steps are the `.wtns` files in
    `witness_dir` (their advice is inside them)."""
    if circuit.startswith("builtin:"):
        raise _UnusableInputError("--witness-dir goes with a circom .r1cs circuit, not a built-in")
    if advice_path is not None:
        raise _UnusableInputError(
            "--advice and --witness-dir exclude each other: a recorded "
            "step's advice is in its .wtns file"
        )
    try:
        paths = sorted(witness_dir.glob("*.wtns"))
    except OSError as exc:
        raise _UnusableInputError(f"cannot read {witness_dir}: {exc.strerror or exc}") from exc
    if not paths:
        raise _UnusableInputError(f"{witness_dir} holds no .wtns files")
    make = functools.partial(CircomStepCircuit.from_witnesses, Path(circuit), paths)
    try:
        make()
    except OSError as exc:
        raise _UnusableInputError(f"cannot read the circuit: {exc.strerror or exc}") from exc
    except CryptoError as exc:
        raise _UnusableInputError(f"{witness_dir} does not fit {circuit}: {exc}") from exc
    return make


def _resumed(
    step: StepCircuit,
    cache_dir: Path | None,
    store: NodeStore,
    z0: list[int],
    run: Callable[[NodeStore], Node],
    err: TextIO,
) -> Node:
    """The root proven with `store`, verified since it may rest on stored nodes; if it fails,
    the invalid stored nodes are removed and proven again (a node proven on top of an invalid
    one is invalid too, so those go as well)."""
    root = run(store)
    params = public_params(step, None if cache_dir is None else ShapeCache(cache_dir))
    try:
        verify_node(params, root, ctx=LOCAL_CTX, a=0, z_a=z0)
    except CryptoError as exc:
        removed = store.prune(params, LOCAL_CTX)
        print(
            f"the proof resumed from {store.directory} is invalid ({exc}): "
            f"{len(removed)} damaged nodes removed, proving them again",
            file=err,
        )
        root = run(store)
    return root


def _verifier_factory(key: str, r1cs: Path | None) -> Callable[[], StepCircuit]:
    if key.startswith("builtin:"):
        return _circuit_factory(key, None)
    if r1cs is None:
        raise _UnusableInputError(
            f"the proof is of the circom circuit {key}: give its .r1cs file with --r1cs"
        )
    make = functools.partial(CircomStepCircuit.from_r1cs, r1cs)
    try:
        circuit = make()
    except OSError as exc:
        raise _UnusableInputError(f"cannot read the circuit: {exc.strerror or exc}") from exc
    except CryptoError as exc:
        raise _UnusableInputError(f"{r1cs} is not a usable step circuit: {exc}") from exc
    if circuit.key != key:
        raise _UnusableInputError(f"{r1cs} is not the circuit the proof names ({key})")
    return make


def _state(text: str, arity: int, option: str) -> list[int]:
    """A JSON array of `arity` field elements (integers or decimal strings)."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _UnusableInputError(f"{option} is not JSON: {exc}") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise _UnusableInputError(f"{option} must be a JSON array of {arity} field elements")
    state = []
    for value in values:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < FR.modulus:
            raise _UnusableInputError(f"{option}: {value!r} is not an element of Fr")
        state.append(value)
    return state


def _advice(path: Path | None, steps: int) -> list[Advice]:
    """One input object per step from the JSON array at `path` (none: no advice)."""
    if steps < 1:
        raise _UnusableInputError("--steps must be at least 1")
    if path is None:
        return [None] * steps
    try:
        data = json.loads(_read(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _UnusableInputError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise _UnusableInputError(f"{path} must hold a JSON array of input objects, one per step")
    if len(data) != steps:
        raise _UnusableInputError(f"{path} has {len(data)} input objects for {steps} steps")
    return list(data)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _UnusableInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
