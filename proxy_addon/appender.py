"""Appending to the cassettes this run writes, at the cost of the new interactions only.

`append_to_cassette` must accept any cassette, so it loads and checks what is there before
every append: a long recording pays for its whole part on every flush. The cassettes the
writer creates in this run are known to be in the cassette module's own layout (it
rendered them), so here an append is: render the new interactions with the cassette
module's renderer (`exchange_to_interaction`, redacted, then `cassette_yaml.interaction`),
check each loads back (`interaction_to_exchange`, as `append_to_cassette` does), and
replace the file atomically with its old bytes + the new text (`cassette.atomic_write`:
the file keeps its mode, a killed writer's temp files are swept on the first write). The
bytes are the ones `append_to_cassette` would splice.

A cassette that existed before this run, or one whose tail is not ours, goes through
`append_to_cassette` unchanged.
"""

from __future__ import annotations

from pathlib import Path

from pytest_convitems import cassette_yaml
from pytest_convitems.cassette import (
    append_to_cassette,
    atomic_write,
    exchange_to_interaction,
    interaction_to_exchange,
)
from pytest_convitems.exchange import Exchange
from pytest_convitems.redact import DEFAULT_REDACTOR, Redactor

_HEAD = cassette_yaml.HEAD.encode("utf-8")
_TAIL = cassette_yaml.TAIL.encode("utf-8")


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
        first = path not in self._ours
        try:
            old = b"" if first else path.read_bytes()
        except FileNotFoundError:
            old = b""  # deleted under us (its folder too, maybe): what comes next is kept
        if not old:
            prefix = _HEAD
        elif not old.endswith(b"\n" + _TAIL):
            # edited under us: the careful path
            append_to_cassette(path, exchanges, redactor=self._redactor)
            return
        else:
            prefix = old[: -len(_TAIL)]
        atomic_write(path, prefix + text + _TAIL, sweep=first)
        self._ours.add(path)

    def _render(self, path: Path, exchanges: list[Exchange]) -> bytes:
        parts = []
        for i, exchange in enumerate(exchanges):
            item = exchange_to_interaction(exchange, redactor=self._redactor)
            interaction_to_exchange(item, source=str(path), index=i)
            parts.append(cassette_yaml.interaction(item))
        return "".join(parts).encode("utf-8")
