"""Many clients through one recording mitmdump; and a SIGKILL in the middle of recording."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from proxy_addon.harness import Process, running_mitmdump, running_upstream
from proxy_addon.naming import cassette_files
from pytest_convitems.cassette import load_cassette
from pytest_convitems.exchange import Exchange

CLIENTS, CALLS = 50, 40
AUTH = {"authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Process:
    with running_upstream(tmp_path_factory.mktemp("upstream")) as up:
        yield up  # type: ignore[misc]


def marker(exchange: Exchange) -> tuple[str, str]:
    """(conversation, call marker) of a recorded request."""
    conversation = exchange.request.path.split("/conversations/", 1)[1].split("/", 1)[0]
    return conversation, exchange.request.query_string


def client_calls(
    base_url: str, client: int, calls: int, stop: threading.Event | None = None
) -> int:
    done = 0
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=30) as http:
        for call in range(calls):
            if stop is not None and stop.is_set():
                break
            try:
                r = http.get(
                    f"/v1/conversations/conv_c{client:02d}/items?limit=1&after=m{call:03d}"
                )
            except httpx.HTTPError:
                if stop is not None:
                    break  # the proxy was killed under us
                raise
            assert r.status_code == 200
            done += 1
    return done


def load_all(directory: Path) -> list[Exchange]:
    return [e for path in cassette_files(directory) for e in load_cassette(path)]


@pytest.mark.parametrize("per", ["conversation", "run"])
def test_fifty_clients_every_exchange_recorded_once(
    upstream: Process, tmp_path: Path, per: str
) -> None:
    cassettes = tmp_path / "cassettes"
    options = {
        "convitems_mode": "record",
        "convitems_cassette_dir": str(cassettes),
        "convitems_cassette_per": per,
        # small parts, so a run this size also exercises the rollover to .part002.yaml
        "convitems_cassette_max_interactions": "700",
    }
    with running_mitmdump(upstream.base_url, tmp_path, options=options, name=per) as proxy:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            done = list(pool.map(lambda c: client_calls(proxy.base_url, c, CALLS), range(CLIENTS)))
        proxy.stop()
    assert sum(done) == CLIENTS * CALLS
    files = cassette_files(cassettes)
    recorded = Counter(marker(e) for e in load_all(cassettes))
    expected = {
        (f"conv_c{c:02d}", f"limit=1&after=m{n:03d}") for c in range(CLIENTS) for n in range(CALLS)
    }
    assert set(recorded) == expected
    assert max(recorded.values()) == 1, "an exchange was recorded twice"
    if per == "conversation":
        assert len(files) == CLIENTS
        for path in files:  # one client's calls, in the order it made them
            calls = [marker(e)[1] for e in load_cassette(path)]
            assert calls == sorted(calls)
    else:
        assert [p.name.split(".")[-2] for p in files[1:]] == ["part002", "part003"]


def test_sigkill_mid_run_leaves_every_cassette_loadable(upstream: Process, tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    options = {
        "convitems_mode": "record",
        "convitems_cassette_dir": str(cassettes),
        "convitems_cassette_per": "run",
        "convitems_flush_every": "10",
        "convitems_flush_ms": "20",
    }
    stop = threading.Event()
    with (
        running_mitmdump(upstream.base_url, tmp_path, options=options, name="killed") as proxy,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        futures = [pool.submit(client_calls, proxy.base_url, c, 10_000, stop) for c in range(8)]
        try:
            # kill while the writer is busy: once a few flushes have landed
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                files = cassette_files(cassettes)
                if files and files[0].stat().st_size > 50_000:
                    break
                time.sleep(0.01)
            proxy.stop(signal.SIGKILL)
        finally:
            stop.set()  # the clients stop however the block ends
        made = sum(f.result() for f in futures)
    files = cassette_files(cassettes)
    assert files, "nothing was recorded before the kill"
    recorded = load_all(cassettes)  # raises CassetteError if any cassette is torn
    assert 0 < len(recorded) <= made
    assert max(Counter(marker(e) for e in recorded).values()) == 1
