"""Proving and verification in worker processes, awaited from the node's trio loop.

A node proof takes from a fraction of a second to minutes of CPU, and the node must keep
answering gossip (heartbeats, validators) meanwhile, so every proof, verification, compression
and native step runs in one of `workers` worker processes (spawned, not forked: the kernel's thread
pool does not survive a fork). More tasks than workers wait, in trio, for a free one.

Each worker has a pipe of its own and no other channel, so a worker that dies — killed, out of
memory — shows as the end of its pipe at once, even halfway through sending a result; a shared
result queue (`concurrent.futures`' process pool) can instead wait forever for the rest of a
message from a dead worker, stalling every caller and the interpreter's exit.

A circuit reaches a worker as a `CircuitRef`: the package file in the node's blob store and the
content address it must have. Each worker reads and checks it (size, SHA-256) before
`load_package`, and keeps, per content address, the circuit, its public parameters (shapes and
generators read through the node's on-disk `ShapeCache`) and, once a proof is compressed or
checked, its SNARK keys, for the last few circuits it served. Node blobs cross the process
boundary as their canonical bytes, never as pickled objects from the network.

Each task's own duration is measured in its worker, so the time it waited
for a free worker (a node's range starts all its ready leaves at once) is not counted as
proving: the service reports it to its ``observe`` callback, which the node's metrics record.

Failures keep their meaning across the boundary: a received node or proof that does not decode
or verify raises `InvalidNodeError` / `InvalidProofError` (evidence against its sender), a
circuit that cannot be used `CircuitUnusableError`, inputs that cannot be proven from
`ProvingInputError`, and a worker that died `ProvingError`, after which a fresh worker takes
its place so the node keeps running. Workers raise only these node errors (plain messages,
which pickle), never the crypto errors themselves.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, TypeVar, cast

import trio

from crypto.circuit.cache import ShapeCache
from crypto.circuit.package import load_package
from crypto.circuit.step import Advice
from crypto.errors import CryptoError
from crypto.snark.compressed import SnarkKeys, forget_keys, snark_keys
from crypto.snark.compressed import prove as compress_root
from crypto.snark.compressed import verify as verify_compressed
from crypto.snark.encoding import decode_proof, encode_proof
from crypto.tree import prover
from crypto.tree.encoding import decode_node, encode_node, max_encoded_size
from crypto.tree.node import Node, Statement
from crypto.tree.params import PublicParams, forget_params, public_params
from node.errors import (
    CircuitUnusableError,
    InvalidNodeError,
    InvalidProofError,
    NodeError,
    ProvingError,
    ProvingInputError,
)
from protocol.limits import MAX_CIRCUIT_BYTES

CIRCUITS_PER_WORKER: Final = 4
PROVING_ATTEMPTS: Final = 3
"""How often `retrying` tries a call while the service itself fails."""
RETRY_PAUSE_S: Final = 1.0
PARENT_CHECK_S: Final = 1.0
"""How often a worker checks that the node that started it still runs."""
_log = logging.getLogger("novanode.proving")
"""Circuits a worker keeps loaded (with their parameters); the least recently used goes first."""

T = TypeVar("T")

Observer = Callable[[str, float], None]
"""Told each completed task's name (the service method's: ``prove_step``, ``verify_node`` …)
and the seconds it ran in its worker, queueing excluded."""


@dataclass(frozen=True)
class CircuitRef:
    """A circuit package in the node's blob store: its content address and its file."""

    hash: bytes
    path: Path


class ProvingService:
    """Proving and verification on `workers` processes, each awaited without blocking trio."""

    def __init__(self, workers: int, cache_dir: Path, observe: Observer | None = None) -> None:
        if workers < 1:
            raise ValueError(f"the proving service needs at least one worker, not {workers}")
        self._cache_dir = Path(cache_dir)
        self._observe = observe
        self._closed = False
        self._workers = [_Worker(self._cache_dir) for _ in range(workers)]
        self._idle = list(self._workers)
        self._free = trio.Semaphore(workers)

    async def prove_step(
        self,
        circuit: CircuitRef,
        ctx: bytes,
        m: int,
        z_m: Sequence[int],
        advice: Advice,
        left: bytes | None,
        right: bytes | None,
    ) -> bytes:
        """The blob of the step node applying F at step m to z_m between the children `left`
        (over [a, m)) and `right` (over [m + 1, b)), either absent."""
        return await self._run(_prove_step, circuit, ctx, m, tuple(z_m), advice, left, right)

    async def prove_join(
        self, circuit: CircuitRef, left: bytes, right: bytes, advice_m: Advice
    ) -> bytes:
        """The blob of the join node over `left` ++ `right`; `advice_m` is the advice of the
        right child's first step."""
        return await self._run(_prove_join, circuit, left, right, advice_m)

    async def verify_node(
        self,
        circuit: CircuitRef,
        blob: bytes,
        *,
        ctx: bytes,
        a: int,
        b: int,
        z_a: Sequence[int],
    ) -> Statement:
        """The statement of a received node blob, after strict decoding and full verification
        against the expected ctx, range and starting state (SPEC.md §7.1); `InvalidNodeError`
        says which check failed."""
        return await self._run(_verify_node, circuit, blob, ctx, a, b, tuple(z_a))

    async def compress(self, circuit: CircuitRef, root: bytes) -> tuple[bytes, Statement]:
        """The compressed-proof blob (SPEC.md §7.2) of a root node blob, and the statement it
        proves (the root's), so the root prover need not verify its own proof to learn z_N."""
        return await self._run(_compress, circuit, root)

    async def verify_proof(self, circuit: CircuitRef, proof: bytes) -> Statement:
        """The statement of a compressed-proof blob, after strict decoding and verification;
        the caller checks it is the job's (ctx, N, z0, result)."""
        return await self._run(_verify_proof, circuit, proof)

    async def max_node_bytes(self, circuit: CircuitRef) -> int:
        """The largest node blob the circuit's parameters allow (SPEC.md §7.1): what a receiver
        bounds a delivered node by before reading it, rather than by the 4 GiB of §10."""
        return await self._run(_max_node_bytes, circuit)

    async def native(
        self, circuit: CircuitRef, z: Sequence[int], advice: Advice
    ) -> tuple[int, ...]:
        """One step computed natively (no proof): the requester's trace."""
        return await self._run(_native, circuit, tuple(z), advice)

    def close(self) -> None:
        """Stops the workers now, a running task included; awaiting callers get
        `ProvingError`."""
        self._closed = True
        for worker in self._workers:
            worker.stop()

    async def _run(self, task: Callable[..., T], *args: Any) -> T:
        """`task(*args)` in a free worker, awaited from trio. Cancelling a caller that waits
        for a worker just stops its wait; cancelling one whose task runs stops that worker
        (a fresh one takes its place), so no core proves on for nobody."""
        if self._closed:
            raise ProvingError("the proving service is closed")
        async with self._free:
            worker = self._idle.pop()
            if not worker.alive():  # died while idle: nothing of a caller's was lost
                worker = self._respawn(worker)
            try:
                # mypy 2.4 loses trio's keyword-only parameters after *args: Unpack[Ts].
                reply = await trio.to_thread.run_sync(  # type: ignore[call-arg]
                    partial(worker.call, task, args), abandon_on_cancel=True
                )
            except trio.Cancelled:
                worker = self._respawn(worker)
                raise
            except _WorkerDiedError:
                if self._closed:
                    raise ProvingError("the proving service was closed") from None
                worker = self._respawn(worker)
                raise ProvingError(
                    "a proving worker process died (killed, out of memory, or failed to "
                    "start); a new one takes its place"
                ) from None
            finally:
                self._idle.append(worker)
        ok, payload = reply
        if not ok:
            raise payload
        result, seconds = payload
        if self._observe is not None:
            self._observe(task.__name__.removeprefix("_"), seconds)
        return cast(T, result)

    def _respawn(self, worker: _Worker) -> _Worker:
        """A new worker in place of `worker`, which is stopped (if it still runs)."""
        worker.stop()
        self._workers.remove(worker)
        if self._closed:
            return worker
        fresh = _Worker(self._cache_dir)
        self._workers.append(fresh)
        return fresh


class _WorkerDiedError(Exception):
    """The worker's pipe ended: the process is gone."""


class _Worker:
    """One spawned worker process and the parent's end of its private pipe."""

    def __init__(self, cache_dir: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, cache_dir), name="novanode-prover", daemon=True
        )
        self._process.start()
        child.close()  # only the worker holds its end: its death ends the pipe

    def call(self, task: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
        """Runs in a thread: sends the task and blocks for the worker's reply."""
        try:
            self._conn.send((task, args))
            reply: tuple[bool, Any] = self._conn.recv()
        except (EOFError, OSError):
            raise _WorkerDiedError from None
        return reply

    def alive(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        """Kills the process and reaps it; a thread blocked in `call` sees the pipe end. The
        pipe itself closes with the last reference to this worker, never under that thread."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)


@asynccontextmanager
async def open_proving(
    workers: int, cache_dir: Path, observe: Observer | None = None
) -> AsyncIterator[ProvingService]:
    """A proving service whose workers stop when the block is left."""
    service = ProvingService(workers, cache_dir, observe)
    try:
        yield service
    finally:
        service.close()


# Worker side: module-level functions, so that they pickle by name.


@dataclass
class _Loaded:
    """A circuit as a worker keeps it: its parameters, and its SNARK keys once needed."""

    params: PublicParams
    keys: SnarkKeys | None = None


_CACHE_DIR: list[Path] = []
_LOADED: OrderedDict[bytes, _Loaded] = OrderedDict()


def _serve(conn: Connection, cache_dir: Path) -> None:
    """A worker's life: tasks from its pipe, each answered with (True, (result, seconds)) or
    (False, the exception), until the node closes the pipe or goes away."""
    _init_worker(cache_dir)
    while True:
        try:
            task, args = conn.recv()
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, _timed(task, *args))
        except NodeError as error:
            reply = (False, error)
        except Exception:  # a bug, not a verdict: its traceback goes back to the node
            reply = (False, ProvingError(f"a proving worker failed: {traceback.format_exc()}"))
        conn.send(reply)


def _timed(task: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``task(*args)`` and the seconds it ran."""
    started = time.perf_counter()
    result = task(*args)
    return result, time.perf_counter() - started


def _init_worker(cache_dir: Path) -> None:
    # Ctrl-C reaches the whole process group; the node decides when its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CACHE_DIR.append(cache_dir)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Ends this worker once the node that started it is gone: a node killed with SIGKILL
    cannot stop its workers, which would otherwise prove on for nobody."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _load(circuit: CircuitRef) -> _Loaded:
    """The worker's entry for `circuit`, loading it (and evicting the oldest) if absent."""
    loaded = _LOADED.get(circuit.hash)
    if loaded is not None:
        _LOADED.move_to_end(circuit.hash)
        return loaded
    try:
        with circuit.path.open("rb") as file:
            blob = file.read(MAX_CIRCUIT_BYTES + 1)
    except OSError as exc:
        raise CircuitUnusableError(f"circuit package {circuit.path}: {exc}") from None
    if len(blob) > MAX_CIRCUIT_BYTES:
        raise CircuitUnusableError(
            f"circuit package {circuit.path} is over the {MAX_CIRCUIT_BYTES}-byte limit"
        )
    if hashlib.sha256(blob).digest() != circuit.hash:
        raise CircuitUnusableError(
            f"circuit package {circuit.path} does not hash to {circuit.hash.hex()}"
        )
    try:
        params = public_params(load_package(blob), ShapeCache(_CACHE_DIR[0]))
    except CryptoError as exc:
        raise CircuitUnusableError(f"circuit {circuit.hash.hex()} does not load: {exc}") from None
    loaded = _LOADED[circuit.hash] = _Loaded(params)
    while len(_LOADED) > CIRCUITS_PER_WORKER:
        _, evicted = _LOADED.popitem(last=False)
        forget_params(evicted.params)
        forget_keys(evicted.params)
    return loaded


def _keys(loaded: _Loaded) -> SnarkKeys:
    if loaded.keys is None:
        loaded.keys = snark_keys(loaded.params, ShapeCache(_CACHE_DIR[0]))
    return loaded.keys


def _child(blob: bytes | None, params: PublicParams, name: str) -> Node | None:
    """A child node blob the caller holds (its own, or one it verified)."""
    if blob is None:
        return None
    try:
        return decode_node(blob, params.layout())
    except CryptoError as exc:
        raise ProvingInputError(f"{name} node: {exc}") from None


def _prove_step(
    circuit: CircuitRef,
    ctx: bytes,
    m: int,
    z_m: tuple[int, ...],
    advice: Advice,
    left: bytes | None,
    right: bytes | None,
) -> bytes:
    params = _load(circuit).params
    left_node, right_node = _child(left, params, "left"), _child(right, params, "right")
    try:
        return encode_node(prover.prove_step(params, ctx, m, z_m, advice, left_node, right_node))
    except CryptoError as exc:
        raise ProvingInputError(f"step {m}: {exc}") from None


def _prove_join(circuit: CircuitRef, left: bytes, right: bytes, advice_m: Advice) -> bytes:
    params = _load(circuit).params
    left_node, right_node = _child(left, params, "left"), _child(right, params, "right")
    assert left_node is not None and right_node is not None
    try:
        return encode_node(prover.prove_join(params, left_node, right_node, advice_m))
    except CryptoError as exc:
        raise ProvingInputError(f"join: {exc}") from None


def _verify_node(
    circuit: CircuitRef, blob: bytes, ctx: bytes, a: int, b: int, z_a: tuple[int, ...]
) -> Statement:
    params = _load(circuit).params
    try:
        node = decode_node(blob, params.layout())
        return prover.verify_node(params, node, ctx, a, b, z_a)
    except CryptoError as exc:
        raise InvalidNodeError(str(exc)) from None


def _compress(circuit: CircuitRef, root: bytes) -> tuple[bytes, Statement]:
    loaded = _load(circuit)
    node = _child(root, loaded.params, "root")
    assert node is not None
    try:
        return encode_proof(compress_root(_keys(loaded), node)), node.statement
    except CryptoError as exc:
        raise ProvingInputError(f"compressing the root: {exc}") from None


def _verify_proof(circuit: CircuitRef, proof: bytes) -> Statement:
    keys = _keys(_load(circuit))
    try:
        return verify_compressed(keys, decode_proof(proof, keys))
    except CryptoError as exc:
        raise InvalidProofError(str(exc)) from None


def _max_node_bytes(circuit: CircuitRef) -> int:
    return max_encoded_size(_load(circuit).params.layout())


def _native(circuit: CircuitRef, z: tuple[int, ...], advice: Advice) -> tuple[int, ...]:
    params = _load(circuit).params
    try:
        return tuple(params.step.native(z, advice))
    except CryptoError as exc:
        raise ProvingInputError(f"native step: {exc}") from None


async def retrying(call: Callable[[], Awaitable[T]], attempts: int = PROVING_ATTEMPTS) -> T:
    """``call()``, tried again while the proving service fails for reasons of its own (a
    worker died and the pool is being rebuilt): that is no peer's fault and no verdict."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except ProvingError as error:
            if attempt == attempts:
                raise
            _log.warning("proving service failed (%s); trying again", error)
            await trio.sleep(RETRY_PAUSE_S)
    raise AssertionError("unreachable")


__all__ = ["CircuitRef", "ProvingService", "open_proving", "retrying"]
