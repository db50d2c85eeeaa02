"""The package installs with its compiled kernel and console script."""

import subprocess
import sys

import crypto._kernel as kernel


def test_kernel_is_importable() -> None:
    assert kernel.__version__ == "0.1.0"


def test_console_script_prints_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "node.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("novanode ")
