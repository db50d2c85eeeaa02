"""The shape cache: recorded once per key in memory, stored by digest on disk, and every
damaged disk entry discarded and recorded again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from crypto.circuit import R1CSShape
from crypto.circuit.builtins.cubic import Cubic
from crypto.circuit.builtins.minroot import MinRoot
from crypto.circuit.cache import ShapeCache, load_shape, save_shape
from crypto.circuit.synthesis import record_step_shape
from crypto.field import FQ, FR
from crypto.group import G1, Curve, CurvePoint, Grumpkin, PointVector


def same_shape(a: R1CSShape, b: R1CSShape) -> bool:
    def csr(shape: R1CSShape) -> list[np.ndarray]:
        return [array for m in (shape.A, shape.B, shape.C) for array in m.to_csr()]

    return (
        a.digest == b.digest
        and a.field is b.field
        and (a.n_constraints, a.n_public, a.n_private) == (b.n_constraints, b.n_public, b.n_private)
        and list(a.names) == list(b.names)
        and all(np.array_equal(x, y) for x, y in zip(csr(a), csr(b), strict=True))
    )


class Counting:
    """A build function that counts its calls."""

    def __init__(self, shape: R1CSShape) -> None:
        self.shape = shape
        self.calls = 0

    def __call__(self) -> R1CSShape:
        self.calls += 1
        return self.shape


def test_memory_cache_records_a_key_once() -> None:
    cache = ShapeCache()
    first = cache.step_shape(MinRoot(3))
    assert cache.step_shape(MinRoot(3)) is first
    assert cache.step_shape(MinRoot(4)) is not first
    assert cache.step_shape(MinRoot(3), FQ).field is FQ


def test_disk_cache_survives_a_new_process(tmp_path: Path) -> None:
    shape = record_step_shape(Cubic(6))
    build = Counting(shape)
    ShapeCache(tmp_path).get("k", build)
    again = Counting(shape)
    loaded = ShapeCache(tmp_path).get("k", again)
    assert (build.calls, again.calls) == (1, 0)
    assert loaded is not shape and same_shape(loaded, shape)
    assert (tmp_path / "shapes" / f"{shape.digest.hex()}.npz").is_file()
    assert not list(tmp_path.rglob("*.tmp"))


def test_save_and_load_round_trip_every_array(tmp_path: Path) -> None:
    for shape in (record_step_shape(MinRoot(2), FQ), record_step_shape(Cubic(1))):
        path = tmp_path / f"{shape.digest.hex()}.npz"
        save_shape(shape, path)
        assert same_shape(load_shape(path), shape)


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def damage_garbage(path: Path) -> None:
    path.write_bytes(b"not a numpy archive at all")


def damage_coefficient(path: Path) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays["B_data"][0, 0] ^= 1
    np.savez(path, **arrays)


def damage_pickled_names(path: Path) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays["names"] = np.array([object()] * 2, dtype=object)
    np.savez(path, **arrays)


def damage_dimensions(path: Path) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays["dimensions"] = arrays["dimensions"][:2]
    np.savez(path, **arrays)


def damage_non_canonical(path: Path) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays["A_data"][0] = np.iinfo(np.uint64).max
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    "damage",
    [
        damage_truncate,
        damage_garbage,
        damage_coefficient,
        damage_pickled_names,
        damage_dimensions,
        damage_non_canonical,
    ],
)
def test_a_damaged_stored_shape_is_recorded_again(tmp_path: Path, damage: object) -> None:
    shape = record_step_shape(Cubic(3))
    ShapeCache(tmp_path).get("k", Counting(shape))
    damage(tmp_path / "shapes" / f"{shape.digest.hex()}.npz")  # type: ignore[operator]
    rebuild = Counting(shape)
    assert same_shape(ShapeCache(tmp_path).get("k", rebuild), shape)
    assert rebuild.calls == 1
    # ... and the rewritten entry is good again.
    assert ShapeCache(tmp_path).get("k", Counting(shape)) is not None
    assert same_shape(load_shape(tmp_path / "shapes" / f"{shape.digest.hex()}.npz"), shape)


@pytest.mark.parametrize("index_text", ["../../etc/passwd", "zz", "00" * 32])
def test_a_bad_or_dangling_index_is_recorded_again(tmp_path: Path, index_text: str) -> None:
    shape = record_step_shape(Cubic(2))
    cache = ShapeCache(tmp_path)
    cache.get("k", Counting(shape))
    [index] = (tmp_path / "keys").iterdir()
    index.write_text(index_text)
    rebuild = Counting(shape)
    assert same_shape(ShapeCache(tmp_path).get("k", rebuild), shape)
    assert rebuild.calls == 1


def test_a_stored_shape_under_another_digest_is_not_trusted(tmp_path: Path) -> None:
    small, other = record_step_shape(Cubic(2)), record_step_shape(Cubic(3))
    ShapeCache(tmp_path).get("k", Counting(small))
    stored = tmp_path / "shapes" / f"{small.digest.hex()}.npz"
    save_shape(other, stored)  # right format, wrong content for its name
    rebuild = Counting(small)
    assert same_shape(ShapeCache(tmp_path).get("k", rebuild), small)
    assert rebuild.calls == 1


def test_keys_are_kept_apart(tmp_path: Path) -> None:
    cache = ShapeCache(tmp_path)
    a = cache.get("a", Counting(record_step_shape(Cubic(2))))
    b = cache.get("b", Counting(record_step_shape(Cubic(3))))
    fresh = ShapeCache(tmp_path)
    assert fresh.get("a", Counting(b)).digest == a.digest
    assert fresh.get("b", Counting(a)).digest == b.digest
    assert FR is a.field


LABEL = b"novanode/test/generators"


@pytest.mark.parametrize("curve", [G1, Grumpkin], ids=lambda c: c.name)
def test_generators_are_kept_and_read_back(
    tmp_path: Path, curve: Curve[CurvePoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    derived = curve.derive_generators(LABEL, 9)
    cache = ShapeCache(tmp_path)
    assert cache.generators(curve, LABEL, 9).to_bytes() == derived.to_bytes()
    cache.keep_generators(curve, LABEL, derived)
    (path,) = (tmp_path / "generators").iterdir()
    assert path.read_bytes()[: 9 * 32] == derived.to_bytes()

    def no_derivation(*_: object) -> PointVector[CurvePoint]:
        raise AssertionError("the stored generators were derived again")

    monkeypatch.setattr(Curve, "derive_generators", no_derivation)
    assert ShapeCache(tmp_path).generators(curve, LABEL, 9).to_bytes() == derived.to_bytes()
    with pytest.raises(AssertionError, match="derived again"):
        ShapeCache(tmp_path).generators(curve, LABEL, 8)


def _swap_two_points(data: bytes) -> bytes:
    return data[32:64] + data[:32] + data[64:]


def _other_point(data: bytes) -> bytes:
    point = Grumpkin.derive_generators(b"another label", 1).to_bytes()
    return point + data[32:]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],
        lambda data: data + b"\x00",
        _swap_two_points,
        _other_point,
        lambda data: b"\xff" * 32 + data[32:],
    ],
)
def test_damaged_generators_are_derived_again(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    derived = Grumpkin.derive_generators(LABEL, 4)
    ShapeCache(tmp_path).keep_generators(Grumpkin, LABEL, derived)
    (path,) = (tmp_path / "generators").iterdir()
    path.write_bytes(damage(path.read_bytes()))
    assert ShapeCache(tmp_path).generators(Grumpkin, LABEL, 4).to_bytes() == derived.to_bytes()
    assert not path.exists()
    ShapeCache(tmp_path).keep_generators(Grumpkin, LABEL, derived)
    assert ShapeCache(tmp_path).generators(Grumpkin, LABEL, 4).to_bytes() == derived.to_bytes()
