"""`convitems demo`, run as a newcomer runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _demo(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_convitems", "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_demo_runs_the_three_jobs_and_leaves_its_files_in_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    proc = _demo(folder)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    for step in range(1, 9):
        assert f"[{step}/8]" in out
    assert "0 finding(s) on valid traffic" in out
    assert "finding  body:/items/0/role" in out
    assert "HTTP 400, param 'items[0].role'; the upstream never saw it" in out
    assert "0 error(s) (0 secret(s))" in out
    assert "1 passed" in out
    assert "breaking  create response 2xx: type changed at /error of `mcp_call` items" in out
    assert f"files in {folder}" in out
    assert (folder / "drift.md").read_text().count("|") > 10
    # the fake key went through the proxy; redaction kept it off the disk
    for path in folder.rglob("*.yaml"):
        assert "sk-convitems-demo-FAKE" not in path.read_text()


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    proc = _demo(tmp_path)
    assert proc.returncode == 2
    assert f"{tmp_path} exists and was not made by convitems demo" in proc.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_a_proxy_that_exits_at_once_is_said_with_its_last_words(tmp_path: Path) -> None:
    # Without the proxy extra, `convitems proxy` exits naming what to install: the demo
    # said only where the log was.
    from pytest_convitems.demo import _Process
    from pytest_convitems.errors import InputError

    script = "print('starting'); print('mitmproxy is not installed: pip install x'); exit(2)"
    process = _Process([sys.executable, "-c", script], tmp_path / "proxy.log")
    with pytest.raises(InputError, match=r"(?s)did not start.*\n  mitmproxy is not installed: pip"):
        process.wait_for_port(timeout=20)
