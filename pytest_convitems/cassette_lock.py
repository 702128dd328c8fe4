"""One lock file per cassette, shared by every process that records (pytest-xdist workers).

The files live outside the project, in `$TMPDIR/convitems-locks-<uid>/`, named by a hash
of the cassette's path. A lock file also remembers the id of the last run that wrote the
cassette (`first_write_in_run`), which is how an `all` run overwrites a cassette once and
then appends, whichever worker comes first.

Every cassette path ever recorded leaves a lock file, so `prune_locks` deletes those not
written for `PRUNE_AFTER_DAYS`. Deleting a lock file is safe only under its own lock, and
only if a waiter that opened the old file notices: `cassette_lock` checks, once it holds
the lock, that its file is still the one at the path, and opens the new one if not.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

from .pruning import prune_folder

PRUNE_AFTER_DAYS: Final = 7.0
PRUNE_EVERY_HOURS: Final = 24.0
_ATTEMPTS: Final = 20
"""Opens of a lock file pruned under us before giving up; each needs a prune in between."""

try:
    import fcntl
except ImportError:  # Windows: writes stay atomic, concurrent appends are not serialised
    fcntl = None  # type: ignore[assignment]


class CassetteLock:
    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def first_write_in_run(self, run_id: str) -> bool:
        """True once per run and cassette; remembers the run in the lock file."""
        self._handle.seek(0)
        seen = self._handle.read().strip()
        if run_id and seen == run_id:
            return False
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(run_id)
        self._handle.flush()
        return True


def lock_directory() -> Path:
    user = getattr(os, "getuid", lambda: "user")()
    return Path(tempfile.gettempdir()) / f"convitems-locks-{user}"


def lock_path(path: Path) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    return lock_directory() / f"{digest}.lock"


def written_in_run(path: Path, run_id: str) -> bool:
    """Whether this run (any of its xdist workers) created or overwrote the cassette."""
    try:
        return bool(run_id) and lock_path(path).read_text("utf-8").strip() == run_id
    except OSError:
        return False


@contextmanager
def cassette_lock(path: Path) -> Iterator[CassetteLock]:
    """An exclusive lock per cassette, shared by xdist workers."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        with open(lock, "a+", encoding="utf-8") as handle:
            yield CassetteLock(handle)
        return
    for _ in range(_ATTEMPTS):
        handle = open(lock, "a+", encoding="utf-8")  # noqa: SIM115 (closed below or after use)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:  # a file system without locks (some NFS mounts): no handle left open
            handle.close()
            raise
        if _is_at(handle, lock):
            break
        handle.close()  # pruned while we waited: lock the file now at the path
    else:
        raise OSError(f"could not lock {lock}: it was deleted {_ATTEMPTS} times while waiting")
    try:
        yield CassetteLock(handle)
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def prune_locks(
    directory: Path | None = None,
    *,
    after_days: float = PRUNE_AFTER_DAYS,
    every_hours: float = PRUNE_EVERY_HOURS,
    now: float | None = None,
) -> int | None:
    """Delete lock files not written for `after_days`, never one somebody holds; returns how
    many, or None when the folder was pruned less than `every_hours` ago (one `stat`)."""
    if fcntl is None:
        return None  # nothing can prove a lock file free, so nothing is deleted
    now = time.time() if now is None else now
    cutoff = now - after_days * 86400
    return prune_folder(
        lock_directory() if directory is None else directory,
        lambda entry: entry.name.endswith(".lock") and entry.stat().st_mtime < cutoff,
        lambda path: _remove_if_free(Path(path)),
        every_hours=every_hours,
        now=now,
    )


def _remove_if_free(lock: Path) -> bool:
    assert fcntl is not None
    with open(lock, encoding="utf-8") as handle:  # read-only: never creates one
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # held: a run is writing its cassette
        if not _is_at(handle, lock):
            return False
        lock.unlink()  # still holding it: a waiter wakes on the deleted file and reopens
        return True


def _is_at(handle: IO[str], lock: Path) -> bool:
    """Whether the open file is the one at `lock` now (a prune may have deleted it)."""
    try:
        here = os.stat(lock)
    except FileNotFoundError:
        return False
    mine = os.fstat(handle.fileno())
    return (mine.st_dev, mine.st_ino) == (here.st_dev, here.st_ino)
