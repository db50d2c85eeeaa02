"""Derived commitment keys: the kernel reproduces the reference procedure bit for bit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import group
from crypto.reference import curve as ref

CURVES = [(group.G1, ref.BN254_G1), (group.Grumpkin, ref.GRUMPKIN)]
IDS = ["bn254", "grumpkin"]

# Known answers: generators 0 and 1 of the key b"novanode", compressed. They pin the procedure
# of crypto.group's docstring, so any change to it (which would change every node's keys) fails.
KNOWN_ANSWERS = {
    "BN254-G1": [
        "9ffdc9163f6b2241b83ae73968d60015a054267570cd315c28dac526fb85d526",
        "74a32c5a99e3388fcb80419e0826fddb88ad2c417bb6b02653b7493a093e071a",
    ],
    "Grumpkin": [
        "27330709408a9b2e9306cd3e429d1df246a62f193a14234db4f4b22a2eb08620",
        "ad5eec48854e5875236f32f4e0abdffa4088cd195dd494fe3cf3c0449e59672c",
    ],
}


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_known_answers(curve: group.Curve[group.CurvePoint], model: ref.Curve) -> None:
    expected = [bytes.fromhex(h) for h in KNOWN_ANSWERS[model.name]]
    assert [ref.encode(model, p) for p in ref.derive_generators(model, b"novanode", 2)] == expected
    key = curve.derive_generators(b"novanode", 2)
    assert [key[i].to_bytes() for i in range(2)] == expected


@settings(max_examples=25, deadline=None)
@given(label=st.binary(max_size=40), n=st.integers(min_value=0, max_value=4))
@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_kernel_matches_reference(
    curve: group.Curve[group.CurvePoint], model: ref.Curve, label: bytes, n: int
) -> None:
    key = curve.derive_generators(label, n)
    assert len(key) == n
    assert [(key[i].x, key[i].y) for i in range(n)] == ref.derive_generators(model, label, n)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_keys_are_valid_distinct_and_prefix_stable(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    key = curve.derive_generators(b"commitment key", 64)
    points = [key[i] for i in range(64)]
    assert len(set(points)) == 64
    for p in points:
        assert not p.is_identity()
        assert p.x is not None and p.y is not None
        assert ref.is_on_curve(model, (p.x, p.y))
        assert p.y <= model.p - p.y  # the smaller root
    prefix = curve.derive_generators(b"commitment key", 10)
    assert [prefix[i] for i in range(10)] == points[:10]
    assert curve.derive_generators(b"commitment kez", 1)[0] != points[0]
    assert curve.derive_generators(b"", 1)[0] != points[0]
    assert curve.derive_generators(b"commitment key", 0).to_bytes() == b""


def test_labels_are_length_prefixed() -> None:
    """Label and index cannot run into each other: b"a" at index 0 is not b"" with other bytes."""
    a = ref.derive_generator(ref.BN254_G1, b"\x00", 0)
    b = ref.derive_generator(ref.BN254_G1, b"", 0)
    assert a != b
    assert group.G1.derive_generators(b"\x00", 1)[0] != group.G1.derive_generators(b"", 1)[0]
