"""`novanode prove`, `verify` and `inspect` (issues 5 and 6), in-process through `node.cli.main`.

`prove` writes the compressed proof unless asked for the root node (`--uncompressed`); `verify`
checks either kind."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from tree_samples import STEP_KEY, step

from crypto.circuit.step import trace
from crypto.folding.relaxed import RelaxedWitness
from crypto.snark.compressed import snark_keys
from crypto.snark.encoding import decode_proof_file, encode_proof_file
from crypto.tree.encoding import decode_node, decode_node_file, encode_node, encode_node_file
from crypto.tree.params import public_params
from node.cli import main

Z0 = [7]


PROVE = ["prove", "--circuit", STEP_KEY, "--z0", json.dumps(Z0), "--steps", "2"]


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compressed proof of a 2-step job."""
    path = tmp_path_factory.mktemp("tree") / "proof.cbor"
    assert main([*PROVE, "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def node_proof(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same job's root node."""
    path = tmp_path_factory.mktemp("tree") / "node.cbor"
    assert main([*PROVE, "--uncompressed", "--out", str(path)]) == 0
    return path


def z_n() -> list[int]:
    return trace(step(), Z0, [None, None])[-1]


@pytest.mark.parametrize(
    ("which", "kind"), [("proof", "compressed proof"), ("node_proof", "root node")]
)
def test_prove_then_verify_prints_the_statement(
    which: str, kind: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    path: Path = request.getfixturevalue(which)
    assert main(["verify", str(path), "--expect-zn", json.dumps(z_n())]) == 0
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["circuit"].strip() == STEP_KEY
    assert lines["kind"].strip() == kind
    assert lines["steps"].strip() == "2"
    assert json.loads(lines["zN"]) == z_n()


def test_the_compressed_proof_is_small(proof: Path, node_proof: Path) -> None:
    assert len(proof.read_bytes()) < 20_000 < 1_000_000 < len(node_proof.read_bytes())


@pytest.mark.parametrize("which", ["proof", "node_proof"])
def test_inspect_prints_kind_statement_and_sizes(
    which: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    path: Path = request.getfixturevalue(which)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    assert lines["circuit"].strip() == STEP_KEY
    assert lines["steps"].strip().startswith("2 ")
    assert json.loads(lines["zN"]) == z_n()
    assert int(lines["bytes"]) == len(path.read_bytes())
    assert ("  P " in out) == (which == "proof")


def test_another_final_state_fails(proof: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(proof), "--expect-zn", json.dumps([z_n()[0] + 1])]) == 1
    assert "other than" in capsys.readouterr().err


def test_a_tampered_proof_is_invalid(
    proof: Path, node_proof: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Well-formed files whose statement claims another final state: exit 1."""
    params = public_params(step())
    keys = snark_keys(params)
    compressed = decode_proof_file(proof.read_bytes(), lambda key: keys)
    statement = dataclasses.replace(compressed.proof.statement, z_b=(z_n()[0] + 1,))
    tampered = tmp_path / "tampered-proof.cbor"
    changed = dataclasses.replace(compressed.proof, statement=statement)
    tampered.write_bytes(encode_proof_file(compressed.circuit, changed))
    assert main(["verify", str(tampered)]) == 1
    assert "invalid proof" in capsys.readouterr().err

    original = decode_node_file(node_proof.read_bytes(), lambda key: params.layout())
    statement = dataclasses.replace(original.node.statement, z_b=(z_n()[0] + 1,))
    tampered = tmp_path / "tampered.cbor"
    node = dataclasses.replace(original.node, statement=statement)
    tampered.write_bytes(encode_node_file(original.circuit, node))
    assert main(["verify", str(tampered)]) == 1
    assert "invalid proof" in capsys.readouterr().err


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.cbor"
    garbage.write_bytes(b"\xa1not a proof")
    assert main(["verify", str(garbage)]) == 2
    assert main(["verify", str(tmp_path / "missing.cbor")]) == 2
    assert main(["inspect", str(garbage)]) == 2
    out = str(tmp_path / "x")
    assert (
        main(["prove", "--circuit", STEP_KEY, "--z0", "[1, 2]", "--steps", "1", "--out", out]) == 2
    )
    assert (
        main(["prove", "--circuit", "builtin:nope", "--z0", "[1]", "--steps", "1", "--out", out])
        == 2
    )


def test_circom_fixture_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two steps of the circom Poseidon chain (F = 518 constraints, arity 2, advice per step),
    proven and verified against the final state circom's own trace records."""
    fixture = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
    r1cs, wasm = str(fixture / "poseidon_chain.r1cs"), str(fixture / "poseidon_chain.wasm")
    advice = json.loads((fixture / "advice.json").read_text())[:2]
    (tmp_path / "advice.json").write_text(json.dumps(advice))
    out = str(tmp_path / "proof.cbor")
    prove = ["prove", "--circuit", r1cs, "--wasm", wasm, "--z0", '["1", "0"]', "--steps", "2"]
    assert main([*prove, "--advice", str(tmp_path / "advice.json"), "--out", out]) == 0
    assert main(["verify", out]) == 2  # a circom proof needs its circuit
    assert "give its .r1cs file with --r1cs" in capsys.readouterr().err
    assert main(["verify", out, "--r1cs", str(tmp_path / "missing.r1cs")]) == 2
    # The .r1cs is all a verifier needs: checking a proof runs no step, so no wasm.
    assert main(["verify", out, "--r1cs", r1cs]) == 0
    z_n = json.loads(capsys.readouterr().out.split("zN:")[1])
    trace = json.loads((fixture / "trace.json").read_text())
    assert z_n == [int(v) for v in trace["steps"][1]["step_out"]]


def test_circom_job_from_recorded_witnesses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three steps from the fixture's .wtns files, no wasm while proving; progress on stderr, a
    line per proven node; the proof verifies like one proven with the wasm generator."""
    fixture = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
    r1cs = str(fixture / "poseidon_chain.r1cs")
    out = str(tmp_path / "proof.cbor")
    prove = ["prove", "--circuit", r1cs, "--witness-dir", str(fixture), "--z0", '["1", "0"]']
    assert main([*prove, "--steps", "3", "--out", out]) == 0
    progress = [line.split(" (")[0] for line in capsys.readouterr().err.splitlines()]
    assert progress == [*(f"proved {i}/3 nodes" for i in (1, 2, 3)), "compressed the root"]
    assert main(["verify", out, "--r1cs", r1cs]) == 0
    z_n = json.loads(capsys.readouterr().out.split("zN:")[1])
    trace = json.loads((fixture / "trace.json").read_text())
    assert z_n == [int(v) for v in trace["steps"][2]["step_out"]]


def test_recorded_witnesses_that_cannot_be_used_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
    r1cs = str(fixture / "poseidon_chain.r1cs")
    out = str(tmp_path / "proof.cbor")
    prove = ["prove", "--circuit", r1cs, "--steps", "1", "--out", out]
    # A start no recorded step has.
    assert main([*prove, "--witness-dir", str(fixture), "--z0", '["2", "0"]']) == 2
    assert "no recorded step starts from" in capsys.readouterr().err
    # No witnesses at all, and advice that the witnesses already hold.
    assert main([*prove, "--witness-dir", str(tmp_path), "--z0", '["1", "0"]']) == 2
    assert "holds no .wtns files" in capsys.readouterr().err
    advice = str(fixture / "advice.json")
    with_advice = [*prove, "--witness-dir", str(fixture), "--advice", advice, "--z0", "[1, 0]"]
    assert main(with_advice) == 2
    assert "exclude each other" in capsys.readouterr().err
    # A built-in has no witnesses to record.
    builtin = ["prove", "--circuit", STEP_KEY, "--witness-dir", str(fixture), "--z0", "[1]"]
    assert main([*builtin, "--steps", "1", "--out", out]) == 2
    assert "not a built-in" in capsys.readouterr().err


def _damage_witness(path: Path) -> None:
    """Changes one value of the stored node's primary witness: the file still decodes to the
    same statement, but the node is invalid."""
    params = public_params(step())
    node = decode_node(path.read_bytes(), params.layout())
    W = node.W1.dense_W().copy()
    W[5, 0] ^= np.uint64(1)
    path.write_bytes(encode_node(dataclasses.replace(node, W1=RelaxedWitness(W, node.W1.E))))


def test_resume_goes_on_where_it_stopped_and_repairs_damaged_nodes(
    proof: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--resume DIR keeps the nodes; a second run proves only what is missing. Its first run
    writes the proof file a run without it writes; so does a run that finds the root missing
    (stopped before it) and the leaf damaged in a way decoding cannot see: the root proven on
    that leaf does not verify, so both are removed and proven again."""
    nodes = tmp_path / "nodes"
    out = tmp_path / "proof.cbor"
    prove = ["prove", "--circuit", STEP_KEY, "--z0", json.dumps(Z0), "--steps", "2"]
    assert main([*prove, "--resume", str(nodes), "--out", str(out)]) == 0
    assert out.read_bytes() == proof.read_bytes()
    (leaf,) = nodes.rglob("step-0-0-1.node")
    (root,) = nodes.rglob("step-0-1-2.node")
    root.unlink()
    _damage_witness(leaf)
    capsys.readouterr()
    assert main([*prove, "--resume", str(nodes), "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in err if line.startswith("proved")] == [
        "proved 1/1 nodes",  # the root, on the damaged leaf
        "proved 1/2 nodes",  # both again, after the repair
        "proved 2/2 nodes",
    ]
    assert any("2 damaged nodes removed" in line for line in err)
    assert out.read_bytes() == proof.read_bytes()


def test_verify_keeps_the_parameters_in_a_cache(
    proof: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--cache DIR on verify fills DIR with the shapes and generators, and a second check read
    from it prints the same statement."""
    cache = tmp_path / "cache"
    assert main(["verify", str(proof), "--cache", str(cache)]) == 0
    first = capsys.readouterr().out
    assert any(cache.iterdir())
    assert main(["verify", str(proof), "--cache", str(cache)]) == 0
    assert capsys.readouterr().out == first
