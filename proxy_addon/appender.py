"""Appending to the cassettes this run writes, at the cost of the new interactions only.

`append_to_cassette` must accept any cassette, so it loads and checks what is there before
every append: a long recording pays for its whole part on every flush. The cassettes the
writer creates in this run are known to be in the cassette module's own layout (it
rendered them), so here an append is: render the new interactions with the cassette
module's renderer (`exchange_to_interaction`, redacted, then `cassette_yaml.interaction`),
check each loads back (`interaction_to_exchange`, as `append_to_cassette` does), and
replace the file atomically with its old bytes + the new text (temp file in the same
folder, fsync, rename). The bytes are the ones `append_to_cassette` would splice.

A cassette that existed before this run, or one whose tail is not ours, goes through
`append_to_cassette` unchanged.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from pytest_convitems import cassette_yaml
from pytest_convitems.cassette import (
    append_to_cassette,
    exchange_to_interaction,
    interaction_to_exchange,
)
from pytest_convitems.exchange import Exchange
from pytest_convitems.redact import DEFAULT_REDACTOR, Redactor

_HEAD = cassette_yaml.HEAD.encode("utf-8")
_TAIL = cassette_yaml.TAIL.encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Appender:
    """`append(path, exchanges)` for the writer; remembers which files it created."""

    def __init__(self, redactor: Redactor | None = DEFAULT_REDACTOR) -> None:
        self._ours: set[Path] = set()
        self._redactor = redactor

    def __call__(self, path: Path, exchanges: list[Exchange]) -> None:
        if path not in self._ours and path.exists() and path.stat().st_size > 0:
            # from before this run: the careful path
            append_to_cassette(path, exchanges, redactor=self._redactor)
            return
        text = self._render(path, exchanges)  # raises before anything touches the disk
        if path in self._ours:
            old = path.read_bytes()
            if not old.endswith(b"\n" + _TAIL):
                # edited under us: the careful path
                append_to_cassette(path, exchanges, redactor=self._redactor)
                return
            prefix = old[: -len(_TAIL)]
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            prefix = _HEAD
        _atomic_write(path, prefix + text + _TAIL)
        self._ours.add(path)

    def _render(self, path: Path, exchanges: list[Exchange]) -> bytes:
        parts = []
        for i, exchange in enumerate(exchanges):
            item = exchange_to_interaction(exchange, redactor=self._redactor)
            interaction_to_exchange(item, source=str(path), index=i)
            parts.append(cassette_yaml.interaction(item))
        return "".join(parts).encode("utf-8")
