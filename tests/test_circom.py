"""circom import: .r1cs / .wtns readers against the poseidon_chain fixture and every way to break
them, witness generation from .wasm on wasmtime, and the plain-Python satisfaction check."""

from __future__ import annotations

import json
import logging
import random
import struct
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.circom import (
    CircomStep,
    R1CSFile,
    Witness,
    WitnessCalculator,
    compute_witness,
    encode_wtns,
    field_vector,
    first_unsatisfied,
    load_r1cs,
    load_wtns,
    parse_r1cs,
    parse_wtns,
    products,
    signal_hash,
    step_arity,
    step_in,
    step_out,
)
from crypto.circom.r1cs import MAX_CONSTRAINTS, MAX_WIRES
from crypto.errors import (
    BadMagicError,
    CircomFormatError,
    ConstantWireError,
    CustomGatesError,
    DuplicateSectionError,
    InputSignalError,
    LabelIndexError,
    LimitExceededError,
    MissingSectionError,
    NonCanonicalValueError,
    OversizeSectionError,
    StepCircuitError,
    TrailingDataError,
    TruncatedError,
    UnsupportedVersionError,
    WireCountMismatchError,
    WireIndexError,
    WitnessComputationError,
    WitnessFuelExhaustedError,
    WrongPrimeError,
)

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
N_STEPS = 16

Sections = list[tuple[int, bytes]]


# --- fixture data -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def r1cs_bytes() -> bytes:
    return (FIXTURE / "poseidon_chain.r1cs").read_bytes()


@pytest.fixture(scope="module")
def r1cs(r1cs_bytes: bytes) -> R1CSFile:
    parsed = load_r1cs(FIXTURE / "poseidon_chain.r1cs")
    assert parsed == parse_r1cs(r1cs_bytes)
    return parsed


@pytest.fixture(scope="module")
def wtns_bytes() -> bytes:
    return (FIXTURE / "step_000.wtns").read_bytes()


@pytest.fixture(scope="module")
def witnesses() -> list[Witness]:
    return [load_wtns(FIXTURE / f"step_{i:03d}.wtns") for i in range(N_STEPS)]


@pytest.fixture(scope="module")
def trace() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURE / "trace.json").read_text())
    return data


@pytest.fixture(scope="module")
def calculator() -> WitnessCalculator:
    return WitnessCalculator.from_file(FIXTURE / "poseidon_chain.wasm")


# --- building files by hand (independent of the reader) ----------------------------------------


def split(data: bytes) -> tuple[bytes, int, Sections]:
    """magic, version and (type, body) sections of a well-formed iden3 binary file."""
    magic, version, n_sections = data[:4], *struct.unpack_from("<II", data, 4)
    sections, pos = [], 12
    for _ in range(n_sections):
        kind, size = struct.unpack_from("<IQ", data, pos)
        sections.append((kind, data[pos + 12 : pos + 12 + size]))
        pos += 12 + size
    assert pos == len(data)
    return magic, version, sections


def assemble(magic: bytes, version: int, sections: Sections) -> bytes:
    out = magic + struct.pack("<II", version, len(sections))
    for kind, body in sections:
        out += struct.pack("<IQ", kind, len(body)) + body
    return out


def replace_section(data: bytes, kind: int, edit: Callable[[bytes], bytes]) -> bytes:
    magic, version, sections = split(data)
    assert kind in {k for k, _ in sections}
    return assemble(magic, version, [(k, edit(b) if k == kind else b) for k, b in sections])


def patch(at: int, value: bytes) -> Callable[[bytes], bytes]:
    return lambda body: body[:at] + value + body[at + len(value) :]


def keep(n: int) -> Callable[[bytes], bytes]:
    return lambda body: body[:n]


def u32(n: int) -> bytes:
    return struct.pack("<I", n)


def u64(n: int) -> bytes:
    return struct.pack("<Q", n)


def fe(n: int) -> bytes:
    return n.to_bytes(32, "little")


def tiny_r1cs(constraints: list[tuple[dict[int, int], dict[int, int], dict[int, int]]]) -> bytes:
    """A 3-wire circuit (1, out, in) with the given constraints, assembled from the format spec."""
    n_wires = 3
    header = u32(32) + fe(R) + u32(n_wires) + u32(1) + u32(1) + u32(0) + u64(3)
    header += u32(len(constraints))
    body = b""
    for row in constraints:
        for lc in row:
            body += u32(len(lc)) + b"".join(u32(w) + fe(c) for w, c in lc.items())
    wire_map = b"".join(u64(w) for w in range(n_wires))
    return assemble(b"r1cs", 1, [(1, header), (2, body), (3, wire_map)])


# --- .r1cs: the fixture ------------------------------------------------------------------------


def test_poseidon_chain_has_the_counts_snarkjs_reports(r1cs: R1CSFile) -> None:
    assert r1cs.prime == R
    assert r1cs.n_constraints == 518
    assert r1cs.n_wires == 522
    assert (r1cs.n_pub_out, r1cs.n_pub_in, r1cs.n_prv_in) == (2, 2, 1)
    assert r1cs.n_labels >= r1cs.n_wires
    assert len(r1cs.wire_to_label) == r1cs.n_wires and r1cs.wire_to_label[0] == 0


def test_linear_combinations_are_sorted_in_range_and_canonical(r1cs: R1CSFile) -> None:
    for row in r1cs.constraints:
        for lc in row:
            wires = [w for w, _ in lc]
            assert wires == sorted(set(wires))
            assert all(0 <= w < r1cs.n_wires and 0 <= c < R for w, c in lc)


def test_csr_holds_exactly_the_constraints(r1cs: R1CSFile) -> None:
    matrices = r1cs.to_csr()
    for k, matrix in enumerate(matrices):
        assert (matrix.n_rows, matrix.n_cols) == (518, 522)
        assert matrix.indptr[0] == 0 and matrix.indptr[-1] == matrix.nnz
        assert all(x <= y for x, y in zip(matrix.indptr, matrix.indptr[1:], strict=False))
        for i, row in enumerate(r1cs.constraints):
            assert matrix.row(i) == row[k]
        indptr, indices, values = matrix.to_arrays()
        assert indptr.dtype == indices.dtype == values.dtype == np.uint64
        assert values.shape == (matrix.nnz, 4) and values.flags.c_contiguous
        assert indices.tolist() == list(matrix.indices)
        assert values.tobytes() == b"".join(fe(v) for v in matrix.values)


def test_field_vector_layout_is_little_endian_limbs() -> None:
    values = [0, 1, R - 1, 1 << 64, (1 << 192) + 5]
    vec = field_vector(values)
    assert vec.shape == (5, 4) and vec.dtype == np.uint64
    assert vec[3].tolist() == [0, 1, 0, 0]
    assert vec[4].tolist() == [5, 0, 0, 1]
    for row, v in zip(vec.tolist(), values, strict=True):
        assert sum(limb << (64 * i) for i, limb in enumerate(row)) == v
    assert field_vector([]).shape == (0, 4)


def test_a_hand_built_r1cs_parses_to_what_was_written() -> None:
    # out = in * in, and out = 5 * 1 + in (only satisfiable for in such that in^2 = 5 + in)
    data = tiny_r1cs([({2: 1}, {2: 1}, {1: 1}), ({0: 5, 2: 1}, {0: 1}, {1: 1})])
    parsed = parse_r1cs(data)
    assert parsed.n_wires == 3 and parsed.n_constraints == 2
    assert parsed.constraints[1].a == ((0, 5), (2, 1))
    # in = 3: 3*3 = 9 = out satisfies constraint 0, 5 + 3 = 8 ≠ 9 violates constraint 1.
    assert first_unsatisfied(parsed, Witness(R, (1, 9, 3))) == 1
    assert first_unsatisfied(parsed, Witness(R, (1, 8, 3))) == 0


def test_unordered_terms_are_sorted_and_unknown_sections_skipped() -> None:
    data = tiny_r1cs([({2: 1, 0: 7}, {0: 1}, {1: 1})])
    magic, version, sections = split(data)
    data = assemble(magic, version, [(99, b"future extension"), *sections])
    assert parse_r1cs(data).constraints[0].a == ((0, 7), (2, 1))


# --- .r1cs: malformed variants -----------------------------------------------------------------

# Offsets inside the r1cs header section body.
N8, PRIME, N_WIRES, N_PUB_OUT, N_LABELS, N_CONSTRAINTS = 0, 4, 36, 40, 52, 60


def r1cs_variants(data: bytes) -> dict[str, tuple[bytes, type[Exception]]]:
    magic, version, sections = split(data)
    by_kind = dict(sections)
    others = [(k, b) for k, b in sections if k != 1]
    header = replace_section
    first_term = 4 + 4  # constraint 0, A: term count, wire index, then the coefficient
    return {
        "bad magic": (b"R1CS" + data[4:], BadMagicError),
        "wtns magic": (b"wtns" + data[4:], BadMagicError),
        "version 0": (data[:4] + u32(0) + data[8:], UnsupportedVersionError),
        "version 2": (data[:4] + u32(2) + data[8:], UnsupportedVersionError),
        "base field prime": (header(data, 1, patch(PRIME, fe(Q))), WrongPrimeError),
        "prime off by one": (header(data, 1, patch(PRIME, fe(R + 1))), WrongPrimeError),
        "48-byte field": (header(data, 1, patch(N8, u32(48))), WrongPrimeError),
        "huge n8": (header(data, 1, patch(N8, u32(0xFFFFFFFF))), WrongPrimeError),
        "section count too high": (data[:8] + u32(4) + data[12:], TruncatedError),
        "section count huge": (data[:8] + u32(0xFFFFFFFF) + data[12:], TruncatedError),
        "section count too low": (data[:8] + u32(2) + data[12:], TrailingDataError),
        "first section size huge": (data[:16] + u64(2**64 - 1) + data[24:], OversizeSectionError),
        "first section size +1": (
            data[:16] + u64(len(by_kind[2]) + 1) + data[24:],
            OversizeSectionError,
        ),
        "header with spare bytes": (header(data, 1, lambda b: b + bytes(4)), OversizeSectionError),
        "constraints with spare bytes": (
            header(data, 2, lambda b: b + bytes(12)),
            OversizeSectionError,
        ),
        "short header": (header(data, 1, lambda b: b[:-1]), TruncatedError),
        "trailing bytes": (data + b"\0", TrailingDataError),
        "duplicate header": (
            assemble(magic, version, [*sections, (1, by_kind[1])]),
            DuplicateSectionError,
        ),
        "no header": (assemble(magic, version, others), MissingSectionError),
        "no constraints": (
            assemble(magic, version, [(k, b) for k, b in sections if k != 2]),
            MissingSectionError,
        ),
        "no wire map": (
            assemble(magic, version, [(k, b) for k, b in sections if k != 3]),
            MissingSectionError,
        ),
        "custom gates list": (assemble(magic, version, [*sections, (4, u32(0))]), CustomGatesError),
        "custom gates uses": (assemble(magic, version, [*sections, (5, u32(0))]), CustomGatesError),
        "one wire more": (header(data, 1, patch(N_WIRES, u32(523))), WireCountMismatchError),
        "one wire less": (header(data, 1, patch(N_WIRES, u32(521))), WireCountMismatchError),
        "fewer wires than inputs": (
            header(data, 1, patch(N_WIRES, u32(5))),
            WireCountMismatchError,
        ),
        "outputs beyond wires": (
            header(data, 1, patch(N_PUB_OUT, u32(0xFFFFFFF0))),
            WireCountMismatchError,
        ),
        "wire map one entry short": (header(data, 3, lambda b: b[:-8]), WireCountMismatchError),
        "wires beyond the limit": (
            header(data, 1, patch(N_WIRES, u32(MAX_WIRES + 1))),
            LimitExceededError,
        ),
        "constraints beyond the limit": (
            header(data, 1, patch(N_CONSTRAINTS, u32(MAX_CONSTRAINTS + 1))),
            LimitExceededError,
        ),
        "constraint count at the limit": (
            header(data, 1, patch(N_CONSTRAINTS, u32(MAX_CONSTRAINTS))),
            TruncatedError,
        ),
        "one constraint more": (header(data, 1, patch(N_CONSTRAINTS, u32(519))), TruncatedError),
        "one constraint less": (
            header(data, 1, patch(N_CONSTRAINTS, u32(517))),
            OversizeSectionError,
        ),
        "term count huge": (header(data, 2, patch(0, u32(0xFFFFFFFF))), TruncatedError),
        "fewer labels than wires": (
            header(data, 1, patch(N_LABELS, u64(521))),
            WireCountMismatchError,
        ),
        "label beyond the labels": (
            header(data, 3, patch(8 * 521, u64(2**64 - 1))),
            LabelIndexError,
        ),
        "coefficient = p": (header(data, 2, patch(first_term, fe(R))), NonCanonicalValueError),
        "coefficient = 2^256 - 1": (
            header(data, 2, patch(first_term, b"\xff" * 32)),
            NonCanonicalValueError,
        ),
        "wire beyond the circuit": (header(data, 2, patch(4, u32(522))), WireIndexError),
    }


R1CS_VARIANTS = r1cs_variants((FIXTURE / "poseidon_chain.r1cs").read_bytes())


@pytest.mark.parametrize("name", R1CS_VARIANTS)
def test_every_malformed_r1cs_is_rejected_with_its_specific_error(name: str) -> None:
    data, error = R1CS_VARIANTS[name]
    assert issubclass(error, CircomFormatError)
    with pytest.raises(error):
        parse_r1cs(data)


@pytest.mark.parametrize(
    "name",
    [
        "section count huge",
        "first section size huge",
        "constraint count at the limit",
        "term count huge",
        "wires beyond the limit",
    ],
)
def test_hostile_counts_allocate_nothing_beyond_the_file(name: str) -> None:
    data, error = R1CS_VARIANTS[name]
    tracemalloc.start()
    try:
        with pytest.raises(error):
            parse_r1cs(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(data)


def test_a_wire_twice_in_one_combination_is_rejected() -> None:
    data = tiny_r1cs([({2: 1}, {2: 1}, {1: 1})])
    # rewrite A = [(2, 1)] as [(2, 1), (2, 1)]: two terms on wire 2
    term = u32(2) + fe(1)
    twice = replace_section(data, 2, lambda b: u32(2) + term + term + b[4 + len(term) :])
    with pytest.raises(WireIndexError, match="twice"):
        parse_r1cs(twice)


def test_every_truncation_of_the_r1cs_is_rejected(r1cs_bytes: bytes) -> None:
    for cut in range(len(r1cs_bytes)):
        with pytest.raises(CircomFormatError):
            parse_r1cs(r1cs_bytes[:cut])


@pytest.mark.parametrize(("kind", "error"), [(1, TruncatedError), (2, TruncatedError)])
def test_sections_cut_short_but_consistently_framed_are_rejected(
    r1cs_bytes: bytes, kind: int, error: type[Exception]
) -> None:
    # The file's framing stays valid, so the reader must notice inside the section itself.
    size = len(dict(split(r1cs_bytes)[2])[kind])
    rng = random.Random(kind)
    cuts = set(range(min(size, 160))) | {rng.randrange(size) for _ in range(25)}
    for cut in sorted(cuts):
        with pytest.raises(error):
            parse_r1cs(replace_section(r1cs_bytes, kind, keep(cut)))


def test_a_wire_map_cut_short_disagrees_with_the_wire_count(r1cs_bytes: bytes) -> None:
    for cut in range(0, 8 * 522, 13):
        with pytest.raises(WireCountMismatchError):
            parse_r1cs(replace_section(r1cs_bytes, 3, keep(cut)))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_byte_flips_in_the_r1cs_parse_or_raise_a_format_error(
    r1cs_bytes: bytes, data: st.DataObject
) -> None:
    corrupt = bytearray(r1cs_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        # Bias half the flips into the framing and the header, where they matter most.
        limit = data.draw(st.sampled_from([len(corrupt), 200]))
        at = data.draw(st.integers(0, min(limit, len(corrupt)) - 1))
        corrupt[at] ^= data.draw(st.integers(1, 255))
    try:
        parsed = parse_r1cs(bytes(corrupt))
    except CircomFormatError:
        return
    assert parsed.n_wires <= MAX_WIRES and len(parsed.wire_to_label) == parsed.n_wires


# --- .wtns -------------------------------------------------------------------------------------


def test_step_witnesses_fit_the_circuit(r1cs: R1CSFile, witnesses: list[Witness]) -> None:
    for witness in witnesses:
        assert witness.prime == R and len(witness.values) == 522
        assert witness.values[0] == 1
        witness.check_against(r1cs)


def test_encoding_a_witness_gives_back_the_fixture_bytes(wtns_bytes: bytes) -> None:
    assert encode_wtns(parse_wtns(wtns_bytes)) == wtns_bytes


def wtns_variants(data: bytes) -> dict[str, tuple[bytes, type[Exception]]]:
    magic, version, sections = split(data)
    by_kind = dict(sections)
    edit = replace_section
    count = 4 + 32  # offset of the witness count in the header body
    return {
        "bad magic": (b"wtnz" + data[4:], BadMagicError),
        "r1cs magic": (b"r1cs" + data[4:], BadMagicError),
        "version 1": (data[:4] + u32(1) + data[8:], UnsupportedVersionError),
        "version 3": (data[:4] + u32(3) + data[8:], UnsupportedVersionError),
        "base field prime": (edit(data, 1, patch(4, fe(Q))), WrongPrimeError),
        "8-byte field": (edit(data, 1, patch(0, u32(8))), WrongPrimeError),
        "one value more": (edit(data, 1, patch(count, u32(523))), WireCountMismatchError),
        "one value less": (edit(data, 1, patch(count, u32(521))), WireCountMismatchError),
        "values section one value short": (
            edit(data, 2, lambda b: b[:-32]),
            WireCountMismatchError,
        ),
        "values section ragged": (edit(data, 2, lambda b: b[:-1]), WireCountMismatchError),
        "count at the limit": (
            edit(data, 1, patch(count, u32(MAX_WIRES))),
            WireCountMismatchError,
        ),
        "count beyond the limit": (
            edit(data, 1, patch(count, u32(MAX_WIRES + 1))),
            LimitExceededError,
        ),
        "header with spare bytes": (edit(data, 1, lambda b: b + bytes(8)), OversizeSectionError),
        "short header": (edit(data, 1, lambda b: b[:-2]), TruncatedError),
        "values section size huge": (
            data[: 12 + 12 + len(by_kind[1]) + 4]
            + u64(2**64 - 1)
            + data[12 + 12 + len(by_kind[1]) + 12 :],
            OversizeSectionError,
        ),
        "trailing bytes": (data + bytes(32), TrailingDataError),
        "duplicate values": (
            assemble(magic, version, [*sections, (2, by_kind[2])]),
            DuplicateSectionError,
        ),
        "no header": (assemble(magic, version, [(2, by_kind[2])]), MissingSectionError),
        "no values": (assemble(magic, version, [(1, by_kind[1])]), MissingSectionError),
        "value = p": (edit(data, 2, patch(32 * 5, fe(R))), NonCanonicalValueError),
        "value = p + 1": (edit(data, 2, patch(32 * 521, fe(R + 1))), NonCanonicalValueError),
        "value = 2^256 - 1": (edit(data, 2, patch(0, b"\xff" * 32)), NonCanonicalValueError),
    }


WTNS_VARIANTS = wtns_variants((FIXTURE / "step_000.wtns").read_bytes())


@pytest.mark.parametrize("name", WTNS_VARIANTS)
def test_every_malformed_wtns_is_rejected_with_its_specific_error(name: str) -> None:
    data, error = WTNS_VARIANTS[name]
    assert issubclass(error, CircomFormatError)
    with pytest.raises(error):
        parse_wtns(data)


@pytest.mark.parametrize("name", ["count at the limit", "count beyond the limit"])
def test_a_hostile_witness_count_allocates_nothing_beyond_the_file(name: str) -> None:
    data, error = WTNS_VARIANTS[name]
    tracemalloc.start()
    try:
        with pytest.raises(error):
            parse_wtns(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(data)


def test_every_truncation_of_the_wtns_is_rejected(wtns_bytes: bytes) -> None:
    for cut in range(len(wtns_bytes)):
        with pytest.raises(CircomFormatError):
            parse_wtns(wtns_bytes[:cut])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_byte_flips_in_the_wtns_parse_or_raise_a_format_error(
    wtns_bytes: bytes, data: st.DataObject
) -> None:
    corrupt = bytearray(wtns_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        limit = data.draw(st.sampled_from([len(corrupt), 100]))
        at = data.draw(st.integers(0, limit - 1))
        corrupt[at] ^= data.draw(st.integers(1, 255))
    try:
        parsed = parse_wtns(bytes(corrupt))
    except CircomFormatError:
        return
    assert all(0 <= v < R for v in parsed.values)


def test_a_witness_that_does_not_fit_the_circuit_is_rejected(
    r1cs: R1CSFile, witnesses: list[Witness]
) -> None:
    values = witnesses[0].values
    with pytest.raises(WireCountMismatchError):
        Witness(R, values[:-1]).check_against(r1cs)
    with pytest.raises(WireCountMismatchError):
        first_unsatisfied(r1cs, Witness(R, (*values, 0)))
    with pytest.raises(ConstantWireError):
        Witness(R, (2, *values[1:])).check_against(r1cs)
    with pytest.raises(NonCanonicalValueError):
        Witness(R, (1, R, *values[2:]))


# --- satisfaction ------------------------------------------------------------------------------


def test_every_step_witness_satisfies_the_shape(r1cs: R1CSFile, witnesses: list[Witness]) -> None:
    for witness in witnesses:
        assert first_unsatisfied(r1cs, witness) is None
        az, bz, cz = products(r1cs, witness)
        assert all(a * b % R == c for a, b, c in zip(az, bz, cz, strict=True))


def test_changing_any_single_wire_value_breaks_a_constraint_on_that_wire(
    r1cs: R1CSFile, witnesses: list[Witness]
) -> None:
    values = list(witnesses[3].values)
    for wire in range(1, r1cs.n_wires):
        for delta in (1, R - 1):
            flipped = values.copy()
            flipped[wire] = (flipped[wire] + delta) % R
            index = first_unsatisfied(r1cs, Witness(R, tuple(flipped)))
            assert index is not None, f"wire {wire} is unconstrained"
            assert any(wire in dict(lc) for lc in r1cs.constraints[index])


# --- witness generation from .wasm -------------------------------------------------------------


def step_inputs(step: dict[str, Any]) -> dict[str, Any]:
    return {"step_in": step["step_in"], "advice": step["advice"][0]}


def test_the_wasm_reproduces_every_step_witness(
    calculator: WitnessCalculator, trace: dict[str, Any], witnesses: list[Witness]
) -> None:
    assert (calculator.prime, calculator.n_witness, calculator.version) == (R, 522, 2)
    for step, expected in zip(trace["steps"], witnesses, strict=True):
        assert calculator.compute(step_inputs(step)) == expected


def test_step_outputs_chain_from_z0_to_zn(trace: dict[str, Any], witnesses: list[Witness]) -> None:
    steps = trace["steps"]
    assert len(steps) == N_STEPS
    assert json.loads((FIXTURE / "z0.json").read_text()) == trace["z0"] == steps[0]["step_in"]
    for i, (step, witness) in enumerate(zip(steps, witnesses, strict=True)):
        assert [str(v) for v in witness.values[1:3]] == step["step_out"]
        assert [str(v) for v in witness.values[3:5]] == step["step_in"]
        assert str(witness.values[5]) == step["advice"][0]
        if i + 1 < N_STEPS:
            assert step["step_out"] == steps[i + 1]["step_in"]
    assert steps[-1]["step_out"] == trace["zN"] and trace["zN"][1] == "16"


def test_the_step_circuit_runs_the_chain_from_z0_to_zn(
    r1cs: R1CSFile, calculator: WitnessCalculator, trace: dict[str, Any], witnesses: list[Witness]
) -> None:
    step = CircomStep(r1cs, calculator)
    assert step.arity == step_arity(r1cs) == 2
    advice = json.loads((FIXTURE / "advice.json").read_text())
    z = tuple(int(v) for v in json.loads((FIXTURE / "z0.json").read_text()))
    for i in range(N_STEPS):
        witness = step.run(z, advice[i])
        assert witness == witnesses[i] and step_in(witness, 2) == z
        assert first_unsatisfied(r1cs, witness) is None
        z = step_out(witness, 2)
    assert z == tuple(int(v) for v in trace["zN"])


def test_step_circuit_misuse_is_rejected(r1cs: R1CSFile, calculator: WitnessCalculator) -> None:
    step = CircomStep(r1cs, calculator)
    with pytest.raises(StepCircuitError):
        step.run((1,), {"advice": "3"})
    with pytest.raises(StepCircuitError):
        step.run((1, R), {"advice": "3"})
    with pytest.raises(StepCircuitError):
        step.run((1, 0), {"advice": "3", "step_in": ["1", "0"]})
    with pytest.raises(InputSignalError):
        step.run((1, 0), {})
    with pytest.raises(StepCircuitError):
        step_arity(replace(r1cs, n_pub_out=1))
    with pytest.raises(StepCircuitError):
        step_arity(replace(r1cs, n_pub_out=0, n_pub_in=0))
    with pytest.raises(WireCountMismatchError):
        CircomStep(replace(r1cs, n_wires=521), calculator)


def test_a_step_circuit_whose_public_inputs_are_not_step_in_is_rejected() -> None:
    # Wires (1, out, in), but the generator leaves the public input wire at 0.
    r1cs = parse_r1cs(tiny_r1cs([({}, {}, {})]))
    calculator = WitnessCalculator(fake_generator(signal="step_in", n_witness=3))
    with pytest.raises(StepCircuitError, match="not its step_in"):
        CircomStep(r1cs, calculator).run((5,), {})


def test_circom_input_format_variants_give_the_same_witness(
    calculator: WitnessCalculator, trace: dict[str, Any], witnesses: list[Witness]
) -> None:
    step = trace["steps"][2]
    nested: dict[str, Any] = {
        "step_in": [[v] for v in step["step_in"]],
        "advice": [int(step["advice"][0])],
    }
    hexed = {"step_in": [hex(int(v)) for v in step["step_in"]], "advice": step["advice"]}
    assert calculator.compute(nested) == witnesses[2]
    assert calculator.compute(hexed) == witnesses[2]
    negative = calculator.compute({"step_in": step["step_in"], "advice": "-1"})
    assert negative == calculator.compute({"step_in": step["step_in"], "advice": str(R - 1)})
    assert negative.values[5] == R - 1


@pytest.mark.parametrize(
    "inputs",
    [
        {"step_in": ["1", "0"]},
        {"step_in": ["1", "0"], "advice": "3", "nope": "1"},
        {"step_in": ["1", "0", "2"], "advice": "3"},
        {"step_in": ["1"], "advice": "3"},
        {"step_in": ["1", "0"], "advice": "three"},
        {"step_in": ["1", "0"], "advice": "1_000"},
        {"step_in": ["1", "0"], "advice": 1.5},
        {"step_in": ["1", "0"], "advice": True},
        {"step_in": ["1", {"x": "0"}], "advice": "3"},
        {"step_in": ["1", "0"], "advice": "3", "a.b": "1", "a": {"b": "2"}},
    ],
)
def test_bad_inputs_are_rejected_and_the_calculator_stays_usable(
    calculator: WitnessCalculator, witnesses: list[Witness], inputs: dict[str, Any]
) -> None:
    with pytest.raises(InputSignalError):
        calculator.compute(inputs)
    assert calculator.compute({"step_in": ["1", "0"], "advice": "3"}) == witnesses[0]


def test_signal_names_hash_with_fnv1a_64() -> None:
    # Published FNV-1a 64-bit test vectors.
    assert signal_hash("") == (0xCBF29CE4, 0x84222325)
    assert signal_hash("a") == (0xAF63DC4C, 0x8601EC8C)
    assert signal_hash("foobar") == (0x85944171, 0xF73967E8)


def fake_generator(
    *,
    prime: int = R,
    n32: int = 8,
    failure: str = "(call $perr) (call $exc (i32.const 4))",
    shared_start: bool = True,
    log: bool = False,
    signal: str = "x",
    n_witness: int = 2,
) -> bytes:
    """A minimal witness generator speaking circom's protocol: one input `x` (or `signal`),
    witness (1, x) (padded with zeros to `n_witness` values).
    Setting x = 0 runs `failure` (by default: report an error and signal an assert failure);
    with `log`, setting x runs circom's `log("x =", x)`."""
    log_x = """(global.set $msg (i32.const 300)) (call $wbuf) (call $show)
               (global.set $msg (i32.const 310)) (call $wbuf)"""
    high, low = signal_hash(signal)
    prime_data = "".join(f"\\{b:02x}" for b in prime.to_bytes(32, "little"))
    start = '(func (export "getSharedRWMemoryStart") (result i32) (i32.const 32))'
    wat = f"""
    (module
      (import "runtime" "exceptionHandler" (func $exc (param i32)))
      (import "runtime" "printErrorMessage" (func $perr))
      (import "runtime" "writeBufferMessage" (func $wbuf))
      (import "runtime" "showSharedRWMemory" (func $show))
      (memory (export "memory") 1)
      (data (i32.const 0) "{prime_data}")
      (data (i32.const 256) "Error in template Fake line: 7\\00")
      (data (i32.const 300) "x =\\00")
      (data (i32.const 310) "\\n\\00")
      (global $msg (mut i32) (i32.const 256))
      (func $copy (param $dst i32) (param $src i32)
        (memory.copy (local.get $dst) (local.get $src) (i32.const 32)))
      (func (export "getVersion") (result i32) (i32.const 2))
      (func (export "getFieldNumLen32") (result i32) (i32.const {n32}))
      {start if shared_start else ""}
      (func (export "getRawPrime") (call $copy (i32.const 32) (i32.const 0)))
      (func (export "readSharedRWMemory") (param $i i32) (result i32)
        (i32.load offset=32 (i32.shl (local.get $i) (i32.const 2))))
      (func (export "writeSharedRWMemory") (param $i i32) (param $v i32)
        (i32.store offset=32 (i32.shl (local.get $i) (i32.const 2)) (local.get $v)))
      (func (export "init") (param i32) (global.set $msg (i32.const 256)))
      (func (export "getInputSize") (result i32) (i32.const 1))
      (func (export "getWitnessSize") (result i32) (i32.const {n_witness}))
      (func (export "getInputSignalSize") (param $h i32) (param $l i32) (result i32)
        (if (result i32)
          (i32.and (i32.eq (local.get $h) (i32.const {high:#x}))
                   (i32.eq (local.get $l) (i32.const {low:#x})))
          (then (i32.const 1)) (else (i32.const -1))))
      (func (export "setInputSignal") (param i32 i32 i32)
        (if (i32.eqz (i32.load (i32.const 32))) (then {failure}))
        {log_x if log else ""}
        (call $copy (i32.const 128) (i32.const 32)))
      (func (export "getWitness") (param $i i32)
        (memory.fill (i32.const 32) (i32.const 0) (i32.const 32))
        (if (i32.eqz (local.get $i)) (then (i32.store (i32.const 32) (i32.const 1))))
        (if (i32.eq (local.get $i) (i32.const 1))
          (then (call $copy (i32.const 32) (i32.const 128)))))
      (func (export "getMessageChar") (result i32) (local $c i32)
        (local.set $c (i32.load8_u (global.get $msg)))
        (if (local.get $c) (then (global.set $msg (i32.add (global.get $msg) (i32.const 1)))))
        (local.get $c)))
    """
    return bytes(wasmtime.wat2wasm(wat))


@pytest.mark.parametrize("shared_start", [True, False])
def test_the_protocol_works_with_and_without_direct_shared_memory(shared_start: bool) -> None:
    calculator = WitnessCalculator(fake_generator(shared_start=shared_start))
    assert calculator.compute({"x": 7}).values == (1, 7)
    assert calculator.compute({"x": "-2"}).values == (1, R - 2)
    assert calculator.compute({"x": str(2**200 + 3)}).values == (1, 2**200 + 3)


def test_compute_witness_reads_a_generator_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.wasm"
    path.write_bytes(fake_generator())
    assert compute_witness(path, {"x": "11"}).values == (1, 11)


def test_circuit_logs_reach_the_python_log(caplog: pytest.LogCaptureFixture) -> None:
    calculator = WitnessCalculator(fake_generator(log=True))
    with caplog.at_level(logging.INFO, logger="crypto.circom.wasm"):
        assert calculator.compute({"x": 42}).values == (1, 42)
    assert "circom log: x = 42" in caplog.messages


def test_a_failed_assert_is_reported_with_circom_s_message() -> None:
    calculator = WitnessCalculator(fake_generator())
    with pytest.raises(WitnessComputationError, match=r"assert failed.*Fake line: 7"):
        calculator.compute({"x": 0})
    assert calculator.compute({"x": 5}).values == (1, 5)  # usable after the failure


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ("(call $exc (i32.const 1))", InputSignalError),
        ("(call $exc (i32.const 3))", InputSignalError),
        ("(call $exc (i32.const 5))", WitnessComputationError),
        ("(call $exc (i32.const 77))", WitnessComputationError),
        ("unreachable", WitnessComputationError),
        ("(drop (i32.div_u (i32.const 1) (i32.const 0)))", WitnessComputationError),
    ],
)
def test_circom_errors_and_traps_become_specific_errors(
    failure: str, error: type[Exception]
) -> None:
    calculator = WitnessCalculator(fake_generator(failure=failure))
    with pytest.raises(error):
        calculator.compute({"x": 0})


def test_fuel_stops_a_generator_that_never_ends() -> None:
    looping = fake_generator(failure="(loop $forever (br $forever))")
    calculator = WitnessCalculator(looping, fuel=1_000_000)
    with pytest.raises(WitnessFuelExhaustedError, match="fuel"):
        calculator.compute({"x": 0})
    assert calculator.compute({"x": 9}).values == (1, 9)


def test_a_generator_for_another_field_is_rejected() -> None:
    with pytest.raises(WrongPrimeError):
        WitnessCalculator(fake_generator(prime=Q))
    with pytest.raises(WrongPrimeError):
        WitnessCalculator(fake_generator(n32=4))


def test_modules_that_are_not_witness_generators_are_rejected() -> None:
    with pytest.raises(WitnessComputationError, match="not a valid wasm"):
        WitnessCalculator(b"\0asm garbage")
    with pytest.raises(WitnessComputationError, match="no exported function"):
        WitnessCalculator(bytes(wasmtime.wat2wasm("(module)")))
