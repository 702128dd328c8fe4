"""Recording off the proxy's event loop: a writer thread that appends exchanges in batches.

The event loop only enqueues (a bounded queue: when the disk cannot keep up, the proxy slows
down instead of growing without bound). The writer thread groups what arrived by cassette
and appends each group with one atomic write (`append_to_cassette`), every `flush_every`
exchanges or `flush_seconds`, whichever comes first, and once more on `close()`. Written
exchanges are dropped from memory at once.

A cassette never grows past `max_per_file` interactions in one run: the next ones go to
`<name>.part002.yaml`, and so on. That bounds the cost of every append (it rewrites one
file) and the memory a flush needs, however long the proxy runs. `cassette_files()` lists
parts in the order they were written, so replay sees interactions in request order.

No mitmproxy here: this module is plain threads and the cassette module.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_convitems.exchange import Exchange

logger = logging.getLogger(__name__)

SUFFIX = ".yaml"
_PART = re.compile(r"^(?P<stem>.*?)(?:\.part(?P<part>\d+))?\.ya?ml$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

AppendFn = Callable[[Path, list[Exchange]], None]


def safe_name(name: str) -> str:
    """A cassette file stem from an id: path separators and odd characters replaced."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "unnamed"
    return cleaned[:120]


def part_path(directory: Path, name: str, part: int) -> Path:
    suffix = SUFFIX if part == 1 else f".part{part:03d}{SUFFIX}"
    return directory / f"{name}{suffix}"


def _order(path: Path) -> tuple[str, int]:
    m = _PART.match(path.name)
    if m is None:
        return (path.name, 0)
    return (m.group("stem"), int(m.group("part") or 1))


def cassette_files(directory: Path) -> list[Path]:
    """Every cassette under `directory`, parts of one cassette in the order they were written."""
    found = [
        p
        for pattern in ("*.yaml", "*.yml")
        for p in directory.rglob(pattern)
        if p.is_file() and not p.name.startswith(".")
    ]
    return sorted(found, key=lambda p: (str(p.parent), *_order(p)))


def _default_append(path: Path, exchanges: list[Exchange]) -> None:
    from pytest_convitems.cassette import append_to_cassette

    append_to_cassette(path, exchanges)


@dataclass
class _Cassette:
    part: int = 1
    count: int = 0


@dataclass
class WriterStats:
    written: int = 0
    flushes: int = 0
    failures: list[str] = field(default_factory=list)


_STOP = object()


class CassetteWriter:
    """Appends (cassette name, exchange) pairs to cassettes under `directory`, in batches."""

    def __init__(
        self,
        directory: Path,
        *,
        flush_every: int = 200,
        flush_seconds: float = 0.25,
        max_per_file: int = 1000,
        max_queue: int = 5000,
        append: AppendFn | None = None,
    ) -> None:
        self.directory = directory
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.max_per_file = max_per_file
        self.stats = WriterStats()
        self._append = append or _default_append
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._cassettes: dict[str, _Cassette] = {}
        self._thread = threading.Thread(target=self._run, name="convitems-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def put(self, name: str, exchange: Exchange) -> None:
        """Queue one exchange for cassette `name` (blocks only while the queue is full)."""
        if self._closed:
            raise RuntimeError("CassetteWriter is closed")
        self._queue.put((name, exchange))

    def close(self, timeout: float = 60.0) -> WriterStats:
        """Write everything queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.stats.failures.append(
                    f"the cassette writer did not finish within {timeout:.0f}s; "
                    f"{self._queue.qsize()} exchange(s) may be missing from {self.directory}"
                )
        return self.stats

    def _run(self) -> None:
        pending: dict[str, list[Exchange]] = {}
        count = 0
        deadline = time.monotonic() + self.flush_seconds
        while True:
            timeout = max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                self._flush(pending)
                return
            if isinstance(item, tuple):
                name, exchange = item
                pending.setdefault(name, []).append(exchange)
                count += 1
            if count >= self.flush_every or time.monotonic() >= deadline:
                self._flush(pending)
                pending = {}
                count = 0
                deadline = time.monotonic() + self.flush_seconds

    def _flush(self, pending: dict[str, list[Exchange]]) -> None:
        for name, exchanges in pending.items():
            for path, chunk in self._placement(name, exchanges):
                try:
                    self._append(path, chunk)
                except Exception:
                    # one exchange the cassette cannot hold must not cost the rest of the batch
                    for exchange in chunk:
                        self._append_one(path, exchange)
                else:
                    self.stats.written += len(chunk)
        if pending:
            self.stats.flushes += 1

    def _append_one(self, path: Path, exchange: Exchange) -> None:
        try:
            self._append(path, [exchange])
        except Exception as exc:  # a failed write must be loud, never silent
            req = exchange.request
            message = f"could not record {req.method} {req.url} in {path}: {exc}"
            self.stats.failures.append(message)
            logger.error("convitems: %s", message)
        else:
            self.stats.written += 1

    def _placement(
        self, name: str, exchanges: list[Exchange]
    ) -> Iterable[tuple[Path, list[Exchange]]]:
        """Split a batch over the current part and, when it fills, the next ones."""
        state = self._cassettes.setdefault(name, _Cassette())
        rest = exchanges
        while rest:
            room = self.max_per_file - state.count
            if room <= 0:
                state.part += 1
                state.count = 0
                continue
            chunk, rest = rest[:room], rest[room:]
            state.count += len(chunk)
            yield part_path(self.directory, name, state.part), chunk
