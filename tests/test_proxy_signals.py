"""A recording proxy stopped the ways CI and service managers stop it.

`timeout`, systemd (KillMode=control-group) and a cancelled CI job send SIGTERM to the
proxy's whole process group, its cassette writer included; the OOM killer picks one process.
Either way, what the proxy logs must be what is on disk.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from proxy_addon.harness import Process, running_mitmdump, running_upstream
from proxy_addon.naming import cassette_files
from pytest_convitems.cassette import load_cassette

AUTH = {"authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}
ANSWERED = 5
HOLD = {
    "convitems_mode": "record",
    # nothing is written before the stop: every exchange is still in the writer's hands
    "convitems_flush_every": "1000",
    "convitems_flush_ms": "600000",
}

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    with running_upstream(tmp_path_factory.mktemp("upstream")) as up:
        yield up


def answer(proxy: Process, n: int) -> None:
    with httpx.Client(base_url=proxy.base_url, headers=AUTH, timeout=30) as http:
        for call in range(n):
            r = http.get(f"/v1/conversations/conv_sig{call}/items?limit=1&after=m{call}")
            assert r.status_code == 200


def writer_pid(proxy: Process) -> int:
    """The cassette writer: the proxy's one child process."""
    children = Path(f"/proc/{proxy.pid}/task/{proxy.pid}/children")
    if not children.exists():
        pytest.skip("no /proc to find the writer process by")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pids = children.read_text().split()
        if len(pids) == 1:
            return int(pids[0])
        time.sleep(0.05)
    raise AssertionError(f"expected one writer process under {proxy.pid}")


def wait_for_exit(proxy: Process, timeout: float = 30) -> int:
    try:
        return proxy.popen.wait(timeout)
    except Exception:
        proxy.stop(signal.SIGKILL)
        raise


def recorded(directory: Path) -> int:
    return sum(len(load_cassette(p)) for p in cassette_files(directory))


def test_sigterm_to_the_whole_group_writes_every_answered_exchange(
    upstream: Process, tmp_path: Path
) -> None:
    cassettes = tmp_path / "cassettes"
    options = {**HOLD, "convitems_cassette_dir": str(cassettes)}
    with running_mitmdump(upstream.base_url, tmp_path, options=options, own_group=True) as proxy:
        writer = writer_pid(proxy)
        assert os.getpgid(writer) == proxy.pid  # in the group that gets the signal
        answer(proxy, ANSWERED)
        os.killpg(proxy.pid, signal.SIGTERM)  # what `timeout` and systemd do
        wait_for_exit(proxy)
    log = proxy.output()
    assert recorded(cassettes) == ANSWERED, log
    assert f"wrote {ANSWERED} exchange(s) to {cassettes}" in log
    assert "stopped before it finished" not in log and "not recorded" not in log


def test_a_killed_writer_is_logged_with_every_exchange_it_took_along(
    upstream: Process, tmp_path: Path
) -> None:
    """The log said "0 exchange(s) written, 0 dropped" while 5 answered exchanges were lost."""
    cassettes = tmp_path / "cassettes"
    options = {**HOLD, "convitems_cassette_dir": str(cassettes)}
    with running_mitmdump(upstream.base_url, tmp_path, options=options, own_group=True) as proxy:
        writer = writer_pid(proxy)
        answer(proxy, ANSWERED)
        time.sleep(0.5)  # the feeder hands them over within 0.1 s; either way they count
        os.kill(writer, signal.SIGKILL)  # the OOM killer
        proxy.stop()  # SIGTERM to the proxy alone: done() closes the writer
    log = proxy.output()
    assert recorded(cassettes) == 0
    assert f"convitems: {ANSWERED} exchange(s) not recorded: " in log, log
    stopped = re.search(
        r"stopped before it finished \(exit code -9\): 0 exchange\(s\) written to \S+, "
        r"(\d+) lost \(sent to it, never written\), (\d+) dropped",
        log,
    )
    assert stopped is not None, log
    assert int(stopped[1]) + int(stopped[2]) == ANSWERED


def test_an_answer_in_flight_when_the_group_is_stopped_is_recorded_too(
    upstream: Process, tmp_path: Path
) -> None:
    """mitmproxy calls `done` while connections are still served: an answer on its way at
    the SIGTERM reached its client unrecorded, or was cut off."""
    import threading

    cassettes = tmp_path / "cassettes"
    options = {**HOLD, "convitems_cassette_dir": str(cassettes)}
    got: list[int] = []
    with running_mitmdump(upstream.base_url, tmp_path, options=options, own_group=True) as proxy:
        answer(proxy, 1)

        def slow() -> None:
            with httpx.Client(base_url=proxy.base_url, headers=AUTH, timeout=30) as http:
                got.append(http.get("/v1/conversations/conv_slow/items?limit=1").status_code)

        caller = threading.Thread(target=slow)
        caller.start()
        time.sleep(0.4)  # the upstream answers after 1 s
        os.killpg(proxy.pid, signal.SIGTERM)
        caller.join(30)
        wait_for_exit(proxy)
    log = proxy.output()
    # The proxy waited for it (up to IN_FLIGHT_WAIT): the client got it, the cassette has it.
    assert got == [200], log
    assert recorded(cassettes) == 2, log
