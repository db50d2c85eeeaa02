"""`novanode circuit-info` and `novanode circuit-check` through the console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crypto.circom import encode_wtns, load_wtns
from crypto.circom.wtns import Witness
from node.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
R1CS = FIXTURE / "poseidon_chain.r1cs"
WASM = FIXTURE / "poseidon_chain.wasm"
STEP = FIXTURE / "step_000.wtns"


def test_circuit_info_prints_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit-info", str(R1CS)]) == 0
    lines = dict(line.split(":", 1) for line in capsys.readouterr().out.splitlines())
    counts = {key: value.strip() for key, value in lines.items()}
    assert counts["field"] == "BN254 scalar field (Fr)"
    assert counts["constraints"] == "518"
    assert counts["wires"] == "522"
    assert counts["public inputs"] == "2"
    assert counts["public outputs"] == "2"
    assert counts["private inputs"] == "1"


def test_a_step_witness_satisfies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["circuit-check", str(R1CS), "--witness", str(STEP)]) == 0
    assert "all 518 constraints hold" in capsys.readouterr().out


def test_a_flipped_witness_value_names_the_failing_constraint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    honest = load_wtns(STEP)
    values = list(honest.values)
    values[1] = (values[1] + 1) % honest.prime  # step_out[0] = the Poseidon output
    bad = tmp_path / "bad.wtns"
    bad.write_bytes(encode_wtns(Witness(honest.prime, tuple(values))))
    assert main(["circuit-check", str(R1CS), "--witness", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "not satisfied: constraint " in out and "(of 518)" in out


def test_the_wasm_and_a_json_input_satisfy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "input.json"
    inputs.write_text(json.dumps({"step_in": ["1", "0"], "advice": "3"}))
    assert main(["circuit-check", str(R1CS), "--wasm", str(WASM), "--input", str(inputs)]) == 0
    assert "satisfied" in capsys.readouterr().out


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("missing r1cs", "cannot read"),
        ("r1cs is a wtns", "not a usable .r1cs"),
        ("truncated r1cs", "not a usable .r1cs"),
        ("missing wtns", "cannot read"),
        ("wtns is an r1cs", "not a usable .wtns"),
        ("witness of too few wires", "does not fit"),
        ("input not json", "is not JSON"),
        ("input a list", "one JSON object"),
        ("input names an unknown signal", "no witness from"),
        ("wasm is garbage", "not a usable witness generator"),
    ],
)
def test_unusable_files_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, fragment: str
) -> None:
    r1cs, source = str(R1CS), ["--witness", str(STEP)]
    good_input = write(tmp_path / "ok.json", b'{"step_in": ["1", "0"], "advice": "3"}')
    if case == "missing r1cs":
        r1cs = str(tmp_path / "absent.r1cs")
    elif case == "r1cs is a wtns":
        r1cs = str(STEP)
    elif case == "truncated r1cs":
        r1cs = str(write(tmp_path / "cut.r1cs", R1CS.read_bytes()[:1000]))
    elif case == "missing wtns":
        source = ["--witness", str(tmp_path / "absent.wtns")]
    elif case == "wtns is an r1cs":
        source = ["--witness", str(R1CS)]
    elif case == "witness of too few wires":
        short = Witness(load_wtns(STEP).prime, (1, 2, 3))
        source = ["--witness", str(write(tmp_path / "short.wtns", encode_wtns(short)))]
    elif case == "input not json":
        source = ["--wasm", str(WASM), "--input", str(write(tmp_path / "i.json", b"{oops"))]
    elif case == "input a list":
        source = ["--wasm", str(WASM), "--input", str(write(tmp_path / "i.json", b"[1]"))]
    elif case == "input names an unknown signal":
        bad = write(tmp_path / "i.json", b'{"step_in": ["1", "0"], "advice": "3", "nope": 1}')
        source = ["--wasm", str(WASM), "--input", str(bad)]
    elif case == "wasm is garbage":
        wasm = write(tmp_path / "g.wasm", b"\x00asm garbage")
        source = ["--wasm", str(wasm), "--input", str(good_input)]
    assert main(["circuit-check", r1cs, *source]) == 2
    err = capsys.readouterr().err
    assert err.startswith("novanode circuit-check: ") and fragment in err


def test_circuit_info_on_a_bad_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["circuit-info", str(write(tmp_path / "x.r1cs", b"r1cs\x02\x00\x00\x00"))]) == 2
    assert "not a usable .r1cs" in capsys.readouterr().err


def test_wasm_without_input_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["circuit-check", str(R1CS), "--wasm", str(WASM)])
    assert caught.value.code == 2
    with pytest.raises(SystemExit):
        main(["circuit-check", str(R1CS)])


def test_the_console_script_runs_as_a_process() -> None:
    script = str(Path(sys.executable).with_name("novanode"))  # installed next to the interpreter
    ok = subprocess.run(
        [script, "circuit-check", str(R1CS), "--witness", str(STEP)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "satisfied" in ok.stdout
    bad = subprocess.run(
        [script, "circuit-info", str(STEP)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "circuit-info" in bad.stderr
