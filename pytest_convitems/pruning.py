"""Deleting a folder's stale files, at most once every few hours.

The cache's entries and the cassette locks both pile up one file per cassette ever seen.
Each prunes its folder with its own idea of "stale" and of how to delete safely; when the
folder was last pruned is the mtime of a mark file in it, so a run that comes too soon
pays one `stat`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

PRUNED_MARK: Final = ".pruned"


def prune_folder(
    folder: str | Path,
    stale: Callable[[os.DirEntry[str]], bool],
    remove: Callable[[str], bool],
    *,
    every_hours: float,
    now: float,
) -> int | None:
    """Remove (through `remove`, which may decline) every file `stale` picks; returns how
    many went, or None when the folder was pruned less than `every_hours` before `now`."""
    mark = os.path.join(folder, PRUNED_MARK)
    try:
        if now - os.stat(mark).st_mtime < every_hours * 3600:
            return None
    except OSError:
        pass  # never pruned, or no folder yet
    removed = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.is_file() and stale(entry) and remove(entry.path):
                        removed += 1
        with open(mark, "w"):
            pass
        os.utime(mark, (now, now))
    except OSError:
        return removed  # a folder that cannot be pruned is only bigger
    return removed
