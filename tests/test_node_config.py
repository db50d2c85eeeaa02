"""The node's configuration: a TOML file with command-line overrides, where every bad value is
refused with the file and key (or the option) named and the fix said; `novanode config-check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from nacl.signing import SigningKey

from node.cli import main
from node.config import NodeConfig, format_config, load_config
from node.errors import ConfigError
from node.keyfile import generate_key
from protocol import identity

PEER = identity.peer_id(identity.public_key_of(SigningKey(bytes(32))))
BOOTSTRAP = f"/ip4/192.0.2.7/tcp/4001/p2p/{PEER}"
FULL = f"""
listen = "/ip6/::1/tcp/0"
bootstrap = ["{BOOTSTRAP}", "/dns4/node.example/tcp/4001/p2p/{PEER}"]
data-dir = "/var/lib/novanode"
capacity = 8
api-port = 9000
log-level = "DEBUG"
log-format = "JSON"
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(text)
    return path


def test_no_file_gives_the_defaults() -> None:
    assert load_config(None) == NodeConfig()
    assert load_config(None, dict.fromkeys(["listen", "capacity"])) == NodeConfig()


def test_every_key_is_read_and_written_back(tmp_path: Path) -> None:
    config = load_config(_file(tmp_path, FULL))
    assert config == NodeConfig(
        listen="/ip6/::1/tcp/0",
        bootstrap=(BOOTSTRAP, f"/dns4/node.example/tcp/4001/p2p/{PEER}"),
        data_dir=Path("/var/lib/novanode"),
        capacity=8,
        api_port=9000,
        log_level="debug",
        log_format="json",
    )
    assert load_config(_file(tmp_path, format_config(config))) == config
    assert load_config(_file(tmp_path, format_config(NodeConfig()))) == NodeConfig()


def test_the_command_line_overrides_the_file(tmp_path: Path) -> None:
    config = load_config(
        _file(tmp_path, FULL),
        {"capacity": 2, "bootstrap": [], "data-dir": "~/node", "listen": None},
    )
    assert (config.capacity, config.bootstrap, config.data_dir) == (2, (), Path("~/node"))
    assert config.listen == "/ip6/::1/tcp/0"


@pytest.mark.parametrize(
    ("text", "where", "fix"),
    [
        ("api_port = 1", "key 'api_port'", "unknown key; did you mean 'api-port'?"),
        ("threads = 1", "key 'threads'", "unknown key; the keys are listen, bootstrap"),
        ("listen = 4001", "key 'listen'", "expected a string in quotes, got an integer"),
        ('listen = "/ip4/1.2.3.4"', "key 'listen'", "an IP address and a TCP port"),
        ('listen = "/ip4/1.2.3.4/udp/1"', "key 'listen'", "an IP address and a TCP port"),
        ('listen = "/ip4/1.2.3.4/tcp/70000"', "key 'listen'", "is not a multiaddr"),
        ('listen = "1.2.3.4:4001"', "key 'listen'", 'write e.g. "/ip4/0.0.0.0/tcp/4001"'),
        (
            f'listen = "/ip4/0.0.0.0/tcp/1/p2p/{PEER}"',
            "key 'listen'",
            "its peer id comes from its key",
        ),
        (f'bootstrap = "{BOOTSTRAP}"', "key 'bootstrap'", "expected a list of peer addresses"),
        ('bootstrap = ["/ip4/1.2.3.4/tcp/1"]', "key 'bootstrap'[0]", "needs a host, a TCP port"),
        ("bootstrap = [7]", "key 'bootstrap'[0]", "expected a string"),
        (
            'bootstrap = ["/ip4/1.2.3.4/tcp/1/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"]',
            "key 'bootstrap'[0]",
            "not a novanode peer id",
        ),
        ('data-dir = ""', "key 'data-dir'", "empty path"),
        ("data-dir = 1", "key 'data-dir'", "expected a string"),
        ("capacity = 0", "key 'capacity'", "0 is out of range: the number of tasks"),
        ("capacity = 1025", "key 'capacity'", "1 to 1024"),
        ('capacity = "2"', "key 'capacity'", "expected an integer"),
        ("capacity = true", "key 'capacity'", "got a boolean"),
        ("capacity = 2.0", "key 'capacity'", "got a number"),
        ("api-port = 0", "key 'api-port'", "a TCP port is 1 to 65535"),
        ("api-port = 65536", "key 'api-port'", "a TCP port is 1 to 65535"),
        ('log-level = "loud"', "key 'log-level'", "use one of debug, info, warning, error"),
        ("log-level = [1]", "key 'log-level'", "got a list"),
        ('log-format = "xml"', "key 'log-format'", "use text or json"),
        ("[api]\nport = 1", "key 'api'", "unknown key"),
    ],
)
def test_each_bad_key_is_named_with_its_fix(
    tmp_path: Path, text: str, where: str, fix: str
) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.where == f"{path}: {where}"
    assert fix in str(error.value)


@pytest.mark.parametrize(
    ("option", "value", "fix"),
    [
        ("listen", "/ip4/1.2.3.4/udp/1", "an IP address and a TCP port"),
        ("api-port", 70000, "a TCP port is 1 to 65535"),
        ("capacity", -1, "out of range"),
        ("log-level", "verbose", "use one of"),
        ("log-format", "logfmt", "use text or json"),
    ],
)
def test_a_bad_override_names_its_option(option: str, value: object, fix: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(None, {option: value})
    assert error.value.where == f"--{option}"
    assert fix in str(error.value)


def test_a_bad_override_names_the_bootstrap_entry() -> None:
    with pytest.raises(ConfigError) as error:
        load_config(None, {"bootstrap": [BOOTSTRAP, "/ip4/1.2.3.4/tcp/1"]})
    assert error.value.where == "--bootstrap[1]"


def test_an_unreadable_or_invalid_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match=r"not valid TOML .*fix the syntax"):
        load_config(_file(tmp_path, "capacity = = 2"))
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "binary.toml")


def test_config_check_prints_the_effective_config_and_the_peer_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "node"
    path = _file(tmp_path, f'data-dir = "{data_dir}"\ncapacity = 3\n')
    assert main(["config-check", "--config", str(path), "--api-port", "9001"]) == 0
    printed = capsys.readouterr().out
    assert load_config(_file(tmp_path, printed)) == NodeConfig(
        data_dir=data_dir, capacity=3, api_port=9001
    )
    assert f"# no node key yet: `novanode keygen --data-dir {data_dir}`" in printed

    data_dir.mkdir(mode=0o700)
    key = generate_key(data_dir / "node.key")
    assert main(["config-check", "--config", str(path)]) == 0
    assert f"# peer id {identity.peer_id(identity.public_key_of(key))}" in capsys.readouterr().out


def test_config_check_fails_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, "capacity = 0\n")
    assert main(["config-check", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"novanode config-check: {path}: key 'capacity': 0 is out of range" in captured.err
