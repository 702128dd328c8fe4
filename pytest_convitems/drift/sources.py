"""Where drift reads traffic from: a cassette file or a folder of them (pooled per endpoint).

Folders are pooled rather than matched file by file: a test renamed or split between
releases still contributes its traffic, and each endpoint's shapes are compared as a whole.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CassetteError
from ..exchange import Exchange


def cassette_files(path: str | Path) -> list[Path]:
    """The cassette at `path`, or those of the folder: the walk `convitems validate` does."""
    from ..cassette_check import cassette_paths

    return cassette_paths([path])


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
