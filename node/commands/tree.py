"""`novanode prove`, `verify` and `inspect`: a whole job proven locally as one tree, its check.

`prove` proves N steps of a step circuit (a built-in key, or a circom `.r1cs` with its `.wasm` or
a directory of its steps' recorded `.wtns` files) from z0 on P provers, compresses the root and
writes the proof file `{"circuit": key, "proof": compressed}` (SPEC §7.2); with `--uncompressed`
it writes the root node itself, `{"circuit": key, "node": root}` (§7.1). With `--resume DIR`
every proven node is kept in DIR (`crypto.tree.store`) and the nodes already there are not
proven again: the same command, run again after an interruption, goes on where it stopped and
writes the same file. A resumed root is verified before it is used; if it fails, a stored node
was damaged: the invalid ones are removed from DIR and proven again.
`verify` rebuilds the parameters from the file's circuit key (a circom circuit needs its
`.r1cs` again, not its wasm: checking runs no step), checks the compressed proof or the root
node, whichever the file holds, and prints its statement. `inspect` prints a file's kind,
statement and sizes without checking anything.

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
from crypto.snark import compressed
from crypto.snark.encoding import decode_proof_file, encode_proof_file
from crypto.tree.encoding import decode_node_file, encode_node_file
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import verify_node
from crypto.tree.scheduler import prove_job
from crypto.tree.store import NodeStore
from node.client.spec import parse_state
from node.errors import JobSpecError
from protocol import cbor
from protocol.errors import ProtocolError
from protocol.limits import MAX_NODE_BYTES

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
    uncompressed: bool = False,
    err: TextIO | None = None,
) -> int:
    """Proves `steps` steps from z0 and writes the proof file to `out_path`: the compressed
    proof, or the root node with `uncompressed` (keeping the nodes in, and taking those already
    proven from, the directory `resume`)."""
    err = err or sys.stderr
    try:
        if witness_dir is None:
            make, step = _circuit_factory(circuit, wasm)
        else:
            make, step = _recorded_factory(circuit, witness_dir, advice_path)
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
        if uncompressed:
            out_path.write_bytes(encode_node_file(step.key, root))
        else:
            out_path.write_bytes(_compress(step, cache_dir, root, err))
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
    expect_job: str | None = None,
    r1cs: Path | None = None,
    cache_dir: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Checks a proof file; prints its statement (exit 0), or the reason it is invalid (1). A
    compressed proof is of a local job (ctx zero) or of a network job (ctx its job id, which
    `expect_job` pins); a root node file is always local.
    With `cache_dir` the parameters (shapes, generators) are read from or kept in a
    `ShapeCache` there, so a second verification skips deriving them."""
    out, err = out or sys.stdout, err or sys.stderr
    cache = None if cache_dir is None else ShapeCache(cache_dir)
    try:
        data = _read(path)
        kind, _ = _peek(path, data)
        params_by_key: dict[str, PublicParams] = {}

        def params_for(key: str) -> PublicParams:
            params_by_key[key] = public_params(_verifier_circuit(key, r1cs), cache)
            return params_by_key[key]

        try:
            if kind == "node":
                node_file = decode_node_file(data, lambda key: params_for(key).layout())
                circuit = node_file.circuit
            else:
                proof_file = decode_proof_file(
                    data, lambda key: compressed.snark_keys(params_for(key), cache)
                )
                circuit = proof_file.circuit
        except EncodingError as exc:
            raise _UnusableInputError(f"{path} is not a readable proof file: {exc}") from exc
        params = params_by_key[circuit]
        expected = None if expect_zn is None else _state(expect_zn, params.arity, "--expect-zn")
    except _UnusableInputError as exc:
        print(f"novanode verify: {exc}", file=err)
        return UNUSABLE
    try:
        if kind == "node":
            statement = verify_node(params, node_file.node, ctx=LOCAL_CTX, a=0)
        else:
            statement = compressed.verify(compressed.snark_keys(params, cache), proof_file.proof)
    except CryptoError as exc:
        print(f"novanode verify: invalid proof: {exc}", file=err)
        return INVALID
    _print_statement(kind, circuit, statement, str(statement.b), out)
    if expected is not None and tuple(expected) != statement.z_b:
        print(f"novanode verify: the proof ends in a state other than {expect_zn}", file=err)
        return INVALID
    if expect_job is not None and expect_job.lower() != statement.ctx.hex():
        print(
            f"novanode verify: the proof is of job {statement.ctx.hex()}, not {expect_job}",
            file=err,
        )
        return INVALID
    return OK


def inspect(path: Path, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Prints what a proof file holds — kind, circuit, statement, sizes — without verifying it
    (no circuit files needed); exit 2 when it is not a proof file."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        data = _read(path)
        kind, value = _peek(path, data)
        inner = value[kind]
        if not isinstance(inner, dict):
            raise _UnusableInputError(f"{path}: its {kind!r} is not a map")
        statement = Statement(
            params_digest=_field_bytes(inner, "pp"),
            ctx=_field_bytes(inner, "ctx"),
            a=_field_uint(inner, "a"),
            b=_field_uint(inner, "b"),
            z_a=_field_scalars(inner, "za"),
            z_b=_field_scalars(inner, "zb"),
        )
    except (_UnusableInputError, CryptoError) as exc:
        print(f"novanode inspect: {exc}", file=err)
        return UNUSABLE
    steps = f"{statement.b - statement.a} ([{statement.a}, {statement.b}))"
    _print_statement(kind, str(value["circuit"]), statement, steps, out)
    print(f"bytes:   {len(data)}", file=out)
    for name in sorted(inner):
        print(f"  {name:<7}{len(cbor.encode(inner[name])):>10}", file=out)
    return OK


def _print_statement(
    kind: str, circuit: str, statement: Statement, steps: str, out: TextIO
) -> None:
    """The lines `verify` and `inspect` share: what the file is and what it states."""
    print(f"circuit: {circuit}", file=out)
    print(f"kind:    {'root node' if kind == 'node' else 'compressed proof'}", file=out)
    print(f"params:  {statement.params_digest.hex()}", file=out)
    job = "local" if statement.ctx == LOCAL_CTX else statement.ctx.hex()
    print(f"job:     {job}", file=out)
    print(f"steps:   {steps}", file=out)
    print(f"z0:      {json.dumps(list(statement.z_a))}", file=out)
    print(f"zN:      {json.dumps(list(statement.z_b))}", file=out)


def _peek(path: Path, data: bytes) -> tuple[str, dict[str, Any]]:
    """The kind of proof file `data` is ("node" or "proof") and its CBOR map, bounded by the
    largest node file before parsing; the contents are checked by the decoders, not here."""
    try:
        value = cbor.decode(data, MAX_NODE_BYTES)
    except ProtocolError as exc:
        raise _UnusableInputError(f"{path} is not a proof file: {exc}") from exc
    if not isinstance(value, dict) or not isinstance(value.get("circuit"), str):
        raise _UnusableInputError(f"{path} is not a proof file (no circuit key)")
    kinds = [kind for kind in ("node", "proof") if kind in value]
    if len(kinds) != 1 or len(value) != 2:
        raise _UnusableInputError(
            f"{path} is not a proof file: it must hold exactly one of a root node or a proof"
        )
    return kinds[0], value


def _field_bytes(value: dict[str, Any], key: str) -> bytes:
    item = value.get(key)
    if not isinstance(item, bytes):
        raise _UnusableInputError(f"the file's {key!r} is not a byte string")
    return item


def _field_uint(value: dict[str, Any], key: str) -> int:
    item = value.get(key)
    if isinstance(item, bool) or not isinstance(item, int) or item < 0:
        raise _UnusableInputError(f"the file's {key!r} is not an unsigned integer")
    return item


def _field_scalars(value: dict[str, Any], key: str) -> tuple[int, ...]:
    data = _field_bytes(value, key)
    if len(data) % 32:
        raise _UnusableInputError(f"the file's {key!r} is not a whole number of field elements")
    return tuple(FR.to_ints(FR.from_bytes(data)))


def _compress(step: StepCircuit, cache_dir: Path | None, root: Node, err: TextIO) -> bytes:
    """The proof file of `root`'s compressed proof, its time on `err`."""
    started = time.monotonic()
    cache = None if cache_dir is None else ShapeCache(cache_dir)
    keys = compressed.snark_keys(public_params(step, cache), cache)
    data = encode_proof_file(step.key, compressed.prove(keys, root))
    elapsed = time.monotonic() - started
    print(f"compressed the root ({len(data)} bytes, {elapsed:.1f} s)", file=err, flush=True)
    return data


def _circuit_factory(
    circuit: str, wasm: Path | None
) -> tuple[Callable[[], StepCircuit], StepCircuit]:
    """A picklable constructor of the step circuit (worker processes build their own) and the
    circuit it builds, built once here."""
    if circuit.startswith("builtin:"):
        if wasm is not None:
            raise _UnusableInputError("--wasm goes with a circom .r1cs circuit, not a built-in")
        make: Callable[[], StepCircuit] = functools.partial(builtin, circuit)
    else:
        if wasm is None:
            raise _UnusableInputError(f"{circuit}: a circom circuit needs --wasm PATH.wasm")
        make = functools.partial(CircomStepCircuit.from_files, Path(circuit), wasm)
    return make, _built(make, f"{circuit} is not a usable step circuit")


def _recorded_factory(
    circuit: str, witness_dir: Path, advice_path: Path | None
) -> tuple[Callable[[], StepCircuit], StepCircuit]:
    """As `_circuit_factory`, for a circom circuit whose steps are the `.wtns` files in
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
    return make, _built(make, f"{witness_dir} does not fit {circuit}")


def _built(make: Callable[[], StepCircuit], unusable: str) -> StepCircuit:
    """The circuit `make` builds; files it cannot read or use are unusable input."""
    try:
        return make()
    except OSError as exc:
        raise _UnusableInputError(f"cannot read the circuit: {exc.strerror or exc}") from exc
    except CryptoError as exc:
        raise _UnusableInputError(f"{unusable}: {exc}") from exc


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


def _verifier_circuit(key: str, r1cs: Path | None) -> StepCircuit:
    """The step circuit a proof names, for verifying: a circom one from its `.r1cs` alone."""
    if key.startswith("builtin:"):
        return _circuit_factory(key, None)[1]
    if r1cs is None:
        raise _UnusableInputError(
            f"the proof is of the circom circuit {key}: give its .r1cs file with --r1cs"
        )
    circuit = _built(
        functools.partial(CircomStepCircuit.from_r1cs, r1cs), f"{r1cs} is not a usable step circuit"
    )
    if circuit.key != key:
        raise _UnusableInputError(f"{r1cs} is not the circuit the proof names ({key})")
    return circuit


def _state(text: str, arity: int, option: str) -> list[int]:
    """A JSON array of `arity` field elements (integers or decimal strings)."""
    try:
        state = parse_state(text, option)
    except JobSpecError as exc:
        raise _UnusableInputError(str(exc)) from exc
    if len(state) != arity:
        raise _UnusableInputError(f"{option} must be a JSON array of {arity} field elements")
    return list(state)


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
