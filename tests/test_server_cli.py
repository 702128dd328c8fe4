"""`convitems serve` as a real process: prints its URL, answers, stops on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import FAKE_API_KEY

AUTH = {"Authorization": f"Bearer {FAKE_API_KEY}"}
URL_LINE = re.compile(
    r"convitems serve: listening on (?P<url>http://127\.0\.0\.1:(?P<port>\d+)) "
    r"\(profile (?P<profile>\w+)\); use base_url (?P=url)/v1"
)


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output from convitems serve within {timeout} s")
    return proc.stdout.readline()


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_convitems", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        yield proc, _readline(proc, 30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_prints_its_url_answers_and_stops_on_signal(sig: signal.Signals) -> None:
    with serve("--port", "0") as (proc, line):
        m = URL_LINE.search(line)
        assert m is not None, line
        assert m["profile"] == "current" and int(m["port"]) > 0
        r = httpx.post(f"{m['url']}/v1/conversations", json={}, headers=AUTH, timeout=10)
        assert r.status_code == 200 and r.json()["object"] == "conversation"
        started = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
        assert time.monotonic() - started < 15
        assert proc.stdout is not None and "stopped" in proc.stdout.read()
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


def test_serve_on_a_given_port_with_the_seed_profile() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serve("--port", str(port), "--profile", "seed") as (proc, line):
        m = URL_LINE.search(line)
        assert m is not None and int(m["port"]) == port and m["profile"] == "seed"
        base = f"{m['url']}/v1"
        cid = httpx.post(f"{base}/conversations", json={}, headers=AUTH).json()["id"]
        r = httpx.post(
            f"{base}/conversations/{cid}/items",
            json={
                "items": [
                    {"type": "program", "id": "p", "call_id": "c", "code": "x", "fingerprint": "f"}
                ]
            },
            headers=AUTH,
        )
        assert r.status_code == 400 and r.json()["error"]["param"] == "items[0].type"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_a_busy_port_is_a_usage_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "pytest_convitems", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert f"127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--port", "99999"], "--port 99999 is not a port: use 0-65535"),
        (["--port", "-1"], "--port -1 is not a port"),
    ],
)
def test_a_port_out_of_range_is_a_usage_error(args: list[str], said: str) -> None:
    """It was a traceback (OverflowError)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_convitems", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr and "Traceback" not in proc.stderr


def test_a_host_that_does_not_resolve_is_named_as_the_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Resolving a real bad name would ask a DNS server off this machine: the failure is
    simulated. The advice was to pick another port."""
    from pytest_convitems.errors import InputError
    from pytest_convitems.server import _bind

    def no_such_host(self: socket.socket, address: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket.socket, "bind", no_such_host)
    with pytest.raises(InputError, match=r"no such host .* as --host"):
        _bind("not.a.host", 8080)
