"""Where drift reads traffic from: a cassette file or a folder of them (pooled per endpoint).

Folders are pooled rather than matched file by file: a test renamed or split between
releases still contributes its traffic, and each endpoint's shapes are compared as a whole.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CassetteError, InputError
from ..exchange import Exchange

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
IGNORE_FILE_STEM = "convitems-drift-ignore."
"""A reviewed ignore file kept beside the cassettes (as in `examples/drift/`) is not one."""


def cassette_files(path: str | Path) -> list[Path]:
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        files = sorted(
            f
            for f in p.rglob("*")
            if f.is_file()
            and f.suffix.lower() in CASSETTE_SUFFIXES
            and not f.name.startswith(IGNORE_FILE_STEM)
        )
        if not files:
            raise InputError(
                f"{p}: no cassettes (*.yaml, *.yml, *.json) in this folder; "
                "pass a cassette file or a folder that holds some"
            )
        return files
    raise InputError(f"{p}: no such file or folder; pass a cassette file or a folder of cassettes")


def load_exchanges(path: str | Path) -> list[Exchange]:
    """Every exchange of every cassette at `path` (CassetteError names a bad file)."""
    from ..cassette import load_cassette

    exchanges: list[Exchange] = []
    in_folder = Path(path).is_dir()
    for file in cassette_files(path):
        try:
            exchanges.extend(load_cassette(file))
        except CassetteError as exc:
            if not in_folder:
                raise
            raise CassetteError(
                f"{exc} (read as a cassette because it is in {path}: if it is not one, "
                "move it out of the folder or pass the cassettes themselves)"
            ) from exc
    return exchanges
