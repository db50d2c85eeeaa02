"""`novanode submit`: ask the network for a proof and write it where `novanode verify` reads it.

The command traces the job locally (which catches inputs that can never be proven before any
worker sees them), connects to the bootstrap peers as a requester, announces the job, shows
its progress per tree level, and writes the verified proof file. Its data directory keeps the
requester's key and job database, so running the same command again after an interruption
follows the job already announced (or writes its proof at once, if it finished meanwhile).

Exit codes: 0 proof written, 1 the network did not deliver (no workers, the job failed, a
proof of another result), 2 input that cannot be read or used (named on stderr).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import trio

from node.client import (
    JobSpec,
    TracedJob,
    builtin_spec,
    circom_spec,
    connect,
    load_advice,
    parse_state,
    prepare,
    recorded_spec,
)
from node.commands.progress_view import show_progress
from node.errors import (
    DataDirError,
    InvalidProofError,
    JobFailedError,
    JobSpecError,
    KeyFileError,
    NoWorkersError,
)

OK, UNDELIVERED, UNUSABLE = 0, 1, 2


@dataclass(frozen=True)
class SubmitOptions:
    """The command line of `novanode submit`."""

    bootstrap: list[str]
    circuit: str
    wasm: Path | None
    witness_dir: Path | None
    z0: str
    advice: Path | None
    steps: int
    out: Path
    workers: int
    data_dir: Path
    wait_s: float


def describe(options: SubmitOptions) -> JobSpec:
    """The job the options describe; `JobSpecError` names what does not fit."""
    z0 = parse_state(options.z0)
    if options.witness_dir is not None:
        return _recorded(options, options.witness_dir, z0)
    advice = None if options.advice is None else load_advice(options.advice, options.steps)
    if options.circuit.startswith("builtin:"):
        if options.wasm is not None:
            raise JobSpecError("--wasm goes with a circom .r1cs circuit, not a built-in")
        return builtin_spec(options.circuit, z0, steps=options.steps, advice=advice)
    if options.wasm is None:
        raise JobSpecError(f"{options.circuit}: a circom circuit needs --wasm PATH.wasm")
    return circom_spec(Path(options.circuit), options.wasm, z0, steps=options.steps, advice=advice)


def _recorded(options: SubmitOptions, directory: Path, z0: tuple[int, ...]) -> JobSpec:
    """A circom job from the `.wtns` files of ``--witness-dir``, in name order."""
    if options.circuit.startswith("builtin:") or options.wasm is not None:
        raise JobSpecError("--witness-dir goes with a circom .r1cs circuit and no --wasm")
    if options.advice is not None:
        raise JobSpecError(
            "--advice and --witness-dir exclude each other: a recorded step's "
            "inputs are in its .wtns file"
        )
    try:
        paths = sorted(directory.glob("*.wtns"))
    except OSError as exc:
        raise JobSpecError(f"cannot read {directory}: {exc.strerror or exc}") from None
    if len(paths) != options.steps:
        raise JobSpecError(f"{directory} holds {len(paths)} .wtns files for {options.steps} steps")
    return recorded_spec(Path(options.circuit), paths, z0)


def submit(options: SubmitOptions, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Runs the command; see the module's docstring for its exit codes."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        traced = prepare(describe(options))  # refuses what cannot be proven before connecting
        return trio.run(_request, options, traced, out)
    except (JobSpecError, DataDirError, KeyFileError) as exc:
        print(f"novanode submit: {exc}", file=err)
        return UNUSABLE
    except (NoWorkersError, JobFailedError, InvalidProofError) as exc:
        print(f"novanode submit: {exc}", file=err)
        return UNDELIVERED
    except OSError as exc:
        print(f"novanode submit: {exc.filename or ''}: {exc.strerror or exc}", file=err)
        return UNUSABLE


async def _request(options: SubmitOptions, traced: TracedJob, out: TextIO) -> int:
    async with connect(options.bootstrap, data_dir=options.data_dir) as client:
        request = await client.submit(traced, workers=options.workers, wait_s=options.wait_s)
        steps = traced.spec.steps
        print(f"job {request.job.hex()} ({steps} steps)", file=out, flush=True)
        await show_progress(request)
        result = await request.result()
    options.out.write_bytes(result.file())
    zn = json.dumps([str(v) for v in result.statement.z_b])
    print(f"wrote {options.out}: {len(result.proof)}-byte proof, zN = {zn}", file=out)
    print(f"check it: novanode verify {options.out} --expect-job {request.job.hex()}", file=out)
    return OK
