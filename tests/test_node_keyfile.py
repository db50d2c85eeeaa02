"""The node key file and `novanode keygen`: a round trip, mode 0600, no overwrite without
--force, and an actionable error for every way a key file can be unusable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from node.cli import main
from node.errors import KeyFileError
from node.keyfile import HEADER, encode_key, generate_key, load_key
from protocol import identity


def _peer_id(path: Path) -> str:
    return identity.peer_id(identity.public_key_of(load_key(path)))


def test_a_generated_key_loads_back_and_only_its_owner_can_read_it(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    key = generate_key(path)
    assert bytes(load_key(path)) == bytes(key)
    assert path.read_bytes() == encode_key(key)
    assert path.read_text().startswith(HEADER + "\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["node.key"]


def test_an_existing_key_is_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    first = generate_key(path)
    with pytest.raises(KeyFileError, match=r"already holds a node key \(peer id 12D3KooW.*--force"):
        generate_key(path)
    assert bytes(load_key(path)) == bytes(first)
    second = generate_key(path, force=True)
    assert bytes(second) != bytes(first)
    assert bytes(load_key(path)) == bytes(second)
    assert [p.name for p in tmp_path.iterdir()] == ["node.key"]


def test_a_missing_key_names_keygen(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=f"novanode keygen --data-dir {tmp_path}"):
        load_key(tmp_path / "node.key")


def test_a_directory_in_the_keys_place_is_named(tmp_path: Path) -> None:
    (tmp_path / "node.key").mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="is not a file; move it away"):
        load_key(tmp_path / "node.key")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "node.key"
    generate_key(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"mode {mode:o}.*chmod 600 {path}"):
        load_key(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not a novanode key file"),
        (b"\x00" * 32, "not a novanode key file"),
        (b"novanode-ed25519-seed-v2\n" + b"00" * 32 + b"\n", "not a novanode key file"),
        (HEADER.encode() + b"\n" + b"00" * 31 + b"\n", "damaged: after the header"),
        (HEADER.encode() + b"\n" + b"00" * 32, "damaged: after the header"),
        (HEADER.encode() + b"\n" + b"00" * 32 + b"\nextra", "damaged: after the header"),
        (HEADER.encode() + b"\n" + b"zz" * 32 + b"\n", "its seed is not hex"),
    ],
)
def test_a_malformed_key_file_is_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "node.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=reason) as error:
        load_key(path)
    assert "keygen --force" in str(error.value)


def test_keygen_prints_the_peer_id_and_refuses_a_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "node"
    assert main(["keygen", "--data-dir", str(data_dir)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == _peer_id(data_dir / "node.key")
    assert printed.startswith("12D3KooW")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

    assert main(["keygen", "--data-dir", str(data_dir)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "pass --force" in captured.err
    assert _peer_id(data_dir / "node.key") == printed

    assert main(["keygen", "--data-dir", str(data_dir), "--force"]) == 0
    replaced = capsys.readouterr().out.strip()
    assert replaced != printed
    assert replaced == _peer_id(data_dir / "node.key")
