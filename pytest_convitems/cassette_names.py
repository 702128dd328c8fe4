"""Where a test's cassette lives: its folder and file name, from plain names and paths.

pytest-recording's default names, exactly, so its cassettes are found where it left them:
`cassettes/<file name>/<test>.yaml` beside the test file, the characters below turned
into `-` (spaces stay), and a name too long for the file system keeps its head and gains
its MD5. No pytest here: the plugin passes the test's names in.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

SUFFIXES: Final = (".yaml", ".yml", ".json")
"""The formats cassettes come in; any other suffix is part of a name (`shared.v2`)."""
_UNSAFE_CHARS: Final = "<>?%*:|\"'/\\"
_SAFE: Final = re.compile(r"[^<>?%*:|\"'/\\]*")
_LONG: Final = 200
"""Names up to this long need no look at the file system's limit (255 almost everywhere)."""


def module_folder(module: Path, cassette_dir: Path | None) -> str:
    """`cassettes/<file name>` beside the test file, as pytest-recording has it; under a
    cassette dir, `<dir>/<module name>` (`package_name`), so that `unit/test_api.py` and
    `integration/test_api.py` in packages do not share a folder."""
    if cassette_dir is None:
        return str(module.parent / "cassettes" / module.stem)
    return str(cassette_dir / package_name(module))


def package_name(module: Path) -> str:
    """The dotted name pytest's default import mode gives a test file (`tests.unit.test_api`
    inside packages, `test_api` outside them, where pytest refuses two files of one name);
    read off the folders, so `--import-mode` does not move the cassettes."""
    parts = [module.stem]
    folder = module.parent
    for _ in range(64):  # deeper packages than this do not exist
        if not (folder / "__init__.py").is_file():
            break
        parts.append(folder.name)
        folder = folder.parent
    return ".".join(reversed(parts))


def named_cassette(name: str, folder: str) -> Path:
    """A marker's `cassette=`: relative to the module's folder unless absolute, `.yaml`
    added unless it ends in a cassette format's suffix."""
    path = Path(name).expanduser()
    # Normalised: `../shared/x` names the same file as `cassettes/shared/x` does.
    path = Path(os.path.normpath(path if path.is_absolute() else Path(folder) / path))
    if path.suffix.lower() not in SUFFIXES:
        path = path.with_name(path.name + ".yaml")
    return path


def is_file_name(test_name: str) -> bool:
    """Whether a test name is a file name as it is (nothing to replace)."""
    return _SAFE.fullmatch(test_name) is not None


def cassette_for_test(folder: str, test_name: str, class_name: str | None) -> str:
    """The default cassette of a test, as text (built from text: pathlib's parse costs a
    few microseconds, every test)."""
    name = f"{class_name}.{test_name}" if class_name is not None else test_name
    if not _SAFE.fullmatch(name):
        for ch in _UNSAFE_CHARS:
            name = name.replace(ch, "-")
    if len(name) > _LONG:
        name = _shortened(name, folder)
    return f"{folder}{os.sep}{name}.yaml"


def _shortened(name: str, folder: str) -> str:
    import hashlib

    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255  # no folder yet, or no pathconf: pytest-recording's fallback
    if len(name) + len(".yaml") <= limit:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    return f"{name[: limit - len('.yaml') - len(digest) - 3]}...{digest}"
