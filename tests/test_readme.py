"""Every command the README shows is run here, or by the test its marker names.

Each ```sh block must follow a marker line:
  <!-- readme: run -->                 each line runs as written from the repository root
  <!-- readme: run exit=N -->          ... and exits N
  <!-- readme: long-running -->        a server: it must start listening, then it is stopped
  <!-- readme: tested-by PATH[::TEST] -->  that test exists and runs the command
A block without a marker fails the suite, so a new command cannot go unchecked. Fixed
ports in commands (8080, 8765) are swapped for free ones, so parallel runs do not collide.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_convitems.server import running_server

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
_BLOCK = re.compile(r"(?:<!-- readme: (?P<tag>[^>]*?) -->\n)?```sh\n(?P<body>.*?)```", re.S)
_FIXED_PORTS = ("8080", "8765")


def _blocks() -> list[tuple[str, list[str]]]:
    out = []
    for m in _BLOCK.finditer(README):
        lines = [_strip_comment(line) for line in m.group("body").splitlines()]
        out.append((m.group("tag") or "", [line for line in lines if line]))
    return out


def _strip_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _with_free_ports(command: str) -> str:
    for port in _FIXED_PORTS:
        command = command.replace(f":{port}", f":{_free_port()}").replace(
            f"--port {port}", f"--port {_free_port()}"
        )
        command = command.replace(f"--listen-port {port}", f"--listen-port {_free_port()}")
    return command


BLOCKS = _blocks()


def test_every_sh_block_is_marked() -> None:
    unmarked = [lines for tag, lines in BLOCKS if not tag]
    assert not unmarked, f"README sh blocks without a '<!-- readme: ... -->' marker: {unmarked}"
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param(line, int(tag.partition("exit=")[2] or 0), id=line[:60])
        for tag, lines in BLOCKS
        if tag.startswith("run")
        for line in lines
    ],
)
def test_run_commands_work_as_written(command: str, expected: int) -> None:
    proc = subprocess.run(
        command, shell=True, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == expected, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "command",
    [line for tag, lines in BLOCKS if tag == "long-running" for line in lines],
    ids=lambda c: c[:60],
)
def test_long_running_commands_start_listening(command: str, tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    with open(log, "wb") as out:
        # run in a scratch folder, so files the command writes never land in the checkout
        command = command.replace("proxy_addon/addon.py", str(ROOT / "proxy_addon" / "addon.py"))
        proc = subprocess.Popen(
            _with_free_ports(command),
            shell=True,
            cwd=tmp_path,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the shell and its child stop together
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if "listening" in log.read_text("utf-8", "replace"):
                break
            time.sleep(0.1)
        assert "listening" in log.read_text("utf-8", "replace"), log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.mark.parametrize(
    "target", [tag.split(" ", 1)[1] for tag, _ in BLOCKS if tag.startswith("tested-by ")]
)
def test_tested_by_targets_exist(target: str) -> None:
    path, _, name = target.partition("::")
    source = (ROOT / path).read_text("utf-8")
    if name:
        assert f"def {name}(" in source


def test_the_two_commands_are_what_ci_and_the_demo_run() -> None:
    first_lines = BLOCKS[0][1]
    assert first_lines == ["./dev demo", "./dev test"]
    assert "exec ./dev test" in (ROOT / ".ci" / "run").read_text()
    dev = (ROOT / "dev").read_text()
    demo_branch = dev[dev.index("    demo)") : dev.index(";;", dev.index("    demo)"))]
    test_branch = dev[dev.index("    test)") : dev.index(";;", dev.index("    test)"))]
    assert "setup" in demo_branch and "convitems demo" in demo_branch
    for step in ("ruff check", "ruff format --check", "mypy --strict", "pytest"):
        assert step in test_branch
    # `convitems demo` itself runs end to end in tests/test_demo.py
    assert "def test_demo_runs_the_three_jobs" in (ROOT / "tests" / "test_demo.py").read_text()


def test_the_example_suite_records_and_replays(tmp_path: Path) -> None:
    record = next(
        line
        for tag, lines in BLOCKS
        if "test_the_example_suite_records_and_replays" in tag
        for line in lines
    )
    replay = next(
        line
        for tag, lines in BLOCKS
        if tag == "run"
        for line in lines
        if "--convitems-replay" in line
    )
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "test_items_example.py").write_text(
        (ROOT / "examples" / "test_items_example.py").read_text()
    )
    with running_server() as srv:
        proc = subprocess.run(
            record.replace("http://127.0.0.1:8765", srv.base_url) + " -p no:cacheprovider",
            shell=True,
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "7 recorded" in proc.stdout
    proc = subprocess.run(
        replay, shell=True, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "7 interactions replayed" in proc.stdout
