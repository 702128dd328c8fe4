"""The `convitems` entry points as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


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


def test_drift_reads_the_ignore_file_where_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the plugin reads it from the rootdir: a nightly job runs `convitems drift` with
    no --ignore, and a repository without the file yet is not an error."""
    from pytest_convitems.cassette import write_cassette
    from pytest_convitems.cli import main
    from tests.test_drift import changes_of, listing, mcp

    old, new = [listing([mcp("boom")])], [listing([mcp({"type": "x", "message": "m"})])]
    write_cassette(tmp_path / "old.yaml", old)
    write_cassette(tmp_path / "new.yaml", new)
    monkeypatch.chdir(tmp_path)
    assert main(["drift", "old.yaml", "new.yaml"]) == 1  # breaking, and no ignore file yet
    (change,) = changes_of(old, new)
    (tmp_path / "convitems-drift-ignore.yaml").write_text(
        f"- fingerprint: {change.fingerprint}\n  reason: handled since v2\n"
    )
    assert main(["drift", "old.yaml", "new.yaml"]) == 0


def test_version_and_the_profile_table_come_from_the_installed_package(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from importlib.metadata import version

    from pytest_convitems.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"convitems {version('pytest-convitems')}"
    # docs/profiles.md is not in the wheel: `serve --help` points here instead
    assert main(["serve", "--profile-differences"]) == 0
    docs = Path(__file__).resolve().parent.parent / "docs" / "profiles.md"
    assert capsys.readouterr().out in docs.read_text()
