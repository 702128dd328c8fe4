"""Orphaned cassettes: recordings in a cassette folder that no collected test uses.

A test renamed or deleted leaves its cassette behind, where it misleads `grep` and review
and still looks like coverage (pytest-recording #163; pydantic-ai and Flexget keep scripts
of their own for it). The plugin says which cassettes the collected tests use; this module
looks at the folders. It only reads: deleting is the user's call.

Paths are text here: the check runs at the end of every run, over every cassette of the
collected test files, and `pathlib` would make it cost as much as ~20 tests do.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CASSETTE_SUFFIXES: Final = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Orphan:
    path: str
    why: str
    """Why no test uses it, for a person: the module's tests do not, or the module is gone."""


def cassettes_in(folder: str) -> set[str]:
    """The cassette files at the top of `folder` (`folder/name`); none when it cannot be
    read. Our temp and lock files never match (`.tmp`, `.lock`), nor do hidden files."""
    try:
        with os.scandir(folder) as entries:
            return {
                entry.path
                for entry in entries
                if entry.name.endswith(CASSETTE_SUFFIXES)
                and not entry.name.startswith(".")
                and entry.is_file()
            }
    except OSError:
        return set()


def unused_in_module_folder(module: Path, folder: str, claimed: Collection[str]) -> list[Orphan]:
    """Cassettes in the folder of `module`'s tests that none of them uses (`claimed`: the
    cassettes its collected tests use; the caller makes sure it collected all of them)."""
    why = f"no test of {module.name} uses it"
    return [Orphan(path, why) for path in sorted(cassettes_in(folder).difference(claimed))]


def in_folders_of_missing_modules(
    root: Path,
    known: Collection[str],
    claimed: Collection[str],
    test_files: Sequence[str] = ("test_*.py", "*_test.py"),
) -> list[Orphan]:
    """Cassettes under a per-directory cassette root (`<dir>/cassettes/<module>/`) whose
    test module `<dir>/<module>.py` does not exist: the test file was deleted or renamed.

    `known`: the folders of the modules the run collected (never orphaned as a folder);
    `claimed`: every cassette a collected test uses (a test may name one in any folder);
    `test_files`: pytest's `python_files` patterns. Only a folder named after a test file
    is judged: one named otherwise (the proxy's recordings, say) is nobody's module."""
    try:
        with os.scandir(root) as entries:
            folders = sorted(
                (e.name, e.path)
                for e in entries
                if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
            )
    except OSError:
        return []
    found: list[Orphan] = []
    for name, folder in folders:
        module = root.parent / f"{name}.py"
        if folder in known or not any(fnmatch.fnmatch(module.name, p) for p in test_files):
            continue
        if module.exists():
            continue
        why = f"{module.name} does not exist"
        found += [Orphan(path, why) for path in sorted(cassettes_in(folder).difference(claimed))]
    return found


def sort_orphans(orphans: Iterable[Orphan]) -> list[Orphan]:
    """By path, each once (several modules can share one cassette root)."""
    return sorted({o.path: o for o in orphans}.values(), key=lambda o: o.path)
