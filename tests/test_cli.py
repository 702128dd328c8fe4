"""The `convitems` entry points as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_module_and_console_script_agree_on_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pytest_convitems", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for command in ("proxy", "serve", "validate", "check", "drift", "demo"):
        assert command in out.stdout
    script = Path(sys.executable).parent / "convitems"
    assert (
        subprocess.run([str(script), "--help"], capture_output=True, text=True).stdout == out.stdout
    )


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"items": [' + ",".join(['{"role": "robot", "content": "x"}'] * 20) + "]}")
    # `head -c 1` closes the pipe after one byte while convitems is still writing.
    proc = subprocess.run(
        f"{sys.executable} -m pytest_convitems check --endpoint create --direction request "
        f"{body} | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in proc.stderr
