"""A writer SIGKILLed in the middle of many writes and appends: every cassette still loads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_convitems.cassette import CassetteCache, load_cassette

WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from pytest_convitems.cassette import append_to_cassette, write_cassette
    from pytest_convitems.exchange import Exchange, Request, Response

    folder = Path(sys.argv[1])
    def exchange(i):
        body = json.dumps({"object": "list", "data": [{"id": f"msg_{i}", "text": "x" * 2000}]})
        return Exchange(
            Request("GET", f"http://127.0.0.1:9/v1/conversations/c/items?i={i}", {}, b""),
            Response(200, "OK", {"Content-Type": ["application/json"]}, body.encode()),
        )
    big = [exchange(i) for i in range(300)]
    for n in range(5000):
        write_cassette(folder / "rewritten.yaml", big[: 100 + n % 200])
        append_to_cassette(folder / "appended.yaml", [exchange(n)])
        print(n, flush=True)
    """
)


@pytest.mark.parametrize(("after", "delay"), [(3, 0.0), (11, 0.013), (25, 0.031)])
def test_sigkill_mid_write_leaves_every_cassette_loadable(
    after: int, delay: float, tmp_path: Path
) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    cache = tmp_path / "cache"
    env = dict(os.environ, CONVITEMS_CACHE_DIR=str(cache))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    done = -1
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while done < after and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            done = int(line)
        # let it get into the next write, then kill it without warning
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert done >= after, "the writer did not get going"
    cassettes = sorted(folder.glob("*.yaml"))
    assert [p.name for p in cassettes] == ["appended.yaml", "rewritten.yaml"]
    for path in cassettes:
        cold = load_cassette(path, cache=None)
        warm = load_cassette(path, cache=CassetteCache(cache))
        assert cold == warm
    assert len(load_cassette(folder / "rewritten.yaml", cache=None)) >= 100
    appended = load_cassette(folder / "appended.yaml", cache=None)
    assert len(appended) >= done + 1  # nothing that was reported written went missing
    assert [e.request.url.rsplit("=", 1)[1] for e in appended] == [
        str(i) for i in range(len(appended))
    ]


def test_stale_temp_files_of_a_killed_writer_are_cleaned_up(tmp_path: Path) -> None:
    from pytest_convitems.cassette import write_cassette

    stale = tmp_path / ".c.yaml.abc123.tmp"
    fresh = tmp_path / ".c.yaml.def456.tmp"
    other = tmp_path / ".d.yaml.abc123.tmp"
    for p in (stale, fresh, other):
        p.write_text("partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_cassette(tmp_path / "c.yaml", [], cache=None)
    assert not stale.exists()
    assert fresh.exists() and other.exists()  # maybe another writer's; not this cassette's


def test_a_cassette_name_as_long_as_the_file_system_allows_is_written(tmp_path: Path) -> None:
    # pytest-recording's longest default names are 255 bytes: the temp file beside one must
    # not be longer than that, and a killed writer's temp is still found and removed.
    from pytest_convitems.cassette import write_cassette

    path = tmp_path / ("y" * 250 + ".yaml")
    write_cassette(path, [], cache=None)
    assert load_cassette(path) == []
    [stale] = [n for n in os.listdir(tmp_path) if n != path.name] or [None]
    assert stale is None  # nothing left beside it
    leftover = tmp_path / f".{'y' * 100}.abc123.tmp"
    leftover.write_text("partial")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    write_cassette(path, [], cache=None)
    assert not leftover.exists()
