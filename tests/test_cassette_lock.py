"""The per-cassette lock files: held across processes, pruned only when nobody holds them."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from pytest_convitems.cassette_lock import (
    cassette_lock,
    lock_directory,
    lock_path,
    prune_locks,
    written_in_run,
)

pytestmark = pytest.mark.skipif(os.name == "nt", reason="flock: the locks are POSIX only")
DAY = 86400.0


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Lock files under this test's folder, not the machine's temp folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def aged(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def make_lock(cassette: Path, run_id: str = "run-1") -> Path:
    with cassette_lock(cassette) as lock:
        lock.first_write_in_run(run_id)
    return lock_path(cassette)


def test_a_lock_file_remembers_the_run_that_wrote_the_cassette(tmp_path: Path) -> None:
    cassette = tmp_path / "c.yaml"
    with cassette_lock(cassette) as lock:
        assert lock.first_write_in_run("run-1")
        assert not lock.first_write_in_run("run-1")
    assert written_in_run(cassette, "run-1")
    assert not written_in_run(cassette, "run-2")
    assert not written_in_run(tmp_path / "never-written.yaml", "run-1")


def test_prune_deletes_old_lock_files_and_keeps_recent_ones(tmp_path: Path) -> None:
    old = make_lock(tmp_path / "old.yaml")
    recent = make_lock(tmp_path / "recent.yaml")
    aged(old, 8)
    aged(recent, 6)
    other = lock_directory() / "notes.txt"  # not ours: never touched
    other.write_text("x")
    aged(other, 30)

    assert prune_locks() == 1
    assert not old.exists()
    assert recent.exists() and other.exists()
    assert not written_in_run(tmp_path / "old.yaml", "run-1")  # the run is long over


def test_prune_looks_at_the_folder_at_most_once_a_day(tmp_path: Path) -> None:
    lock = make_lock(tmp_path / "c.yaml")
    now = time.time()
    assert prune_locks(now=now) == 0
    aged(lock, 8)
    assert prune_locks(now=now + 3600) is None  # pruned an hour ago: one stat, nothing else
    assert lock.exists()
    assert prune_locks(now=now + DAY + 1) == 1


def test_prune_never_deletes_a_lock_somebody_holds(tmp_path: Path) -> None:
    cassette = tmp_path / "c.yaml"
    with cassette_lock(cassette):
        aged(lock_path(cassette), 30)
        assert prune_locks() == 0
        assert lock_path(cassette).exists()


def test_prune_of_a_missing_folder_is_nothing_to_do(tmp_path: Path) -> None:
    assert prune_locks(tmp_path / "nowhere") == 0


def test_a_waiter_whose_lock_file_was_pruned_locks_the_new_one(tmp_path: Path) -> None:
    """A prune deletes a lock file while holding it; a recorder already waiting on that
    file must not believe it holds the cassette's lock (another would create a new file
    and lock that one: two writers at once)."""
    cassette = tmp_path / "c.yaml"
    got: list[tuple[int, int]] = []

    def waiter() -> None:
        with cassette_lock(cassette) as lock:
            lock.first_write_in_run("run-2")
            here = os.stat(lock_path(cassette))
            got.append((here.st_ino, os.fstat(lock._handle.fileno()).st_ino))

    with cassette_lock(cassette):
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.2)  # the waiter opens the file and blocks on its lock (or opens later)
        lock_path(cassette).unlink()  # what a prune does, holding the lock
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert got and got[0][0] == got[0][1]
    assert written_in_run(cassette, "run-2")
