"""Recording off the proxy's event loop: a writer that appends exchanges in batches.

The event loop only enqueues (a bounded queue: when the disk cannot keep up, the proxy slows
down instead of growing without bound). The writer groups what arrived by cassette and
appends each group with one atomic write (`append_to_cassette`), every `flush_every`
exchanges or `flush_seconds`, whichever comes first, and once more on `close()`. Written
exchanges are dropped from memory at once.

The addon runs the writer in a child process (`isolation="process"`: `python -m
proxy_addon.recorder`, fed length-prefixed pickles on stdin): rendering and checking YAML
costs as much CPU per exchange as proxying it, and in the proxy's process it would hold the
GIL the event loop needs. The child ignores what is sent to the proxy's whole process group
(Ctrl-C, the SIGTERM of `timeout`, systemd or a cancelled CI job, SIGHUP); end of input is
its signal to write what it holds and exit, whether the proxy closed the pipe in `done()`
or was killed. It reports what it wrote after every flush; if it dies (SIGKILL, the OOM
killer), the proxy counts what it had sent and never saw written as lost, and drops and
counts what comes after, instead of holding it for a writer that is gone.

A cassette part never grows past `max_per_file` interactions or about `max_part_bytes`: the
next ones go to `<name>.part002.yaml`, and so on (a later run goes on in the last part,
counting what it holds). An append rewrites
(and re-checks) the whole part, so the part's size, not the run's length, bounds what every
flush costs and the memory it needs, however long the proxy runs. `cassette_files()` lists
parts in the order they were written, so replay sees interactions in request order.

No mitmproxy here: plain threads, processes and the cassette module.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from proxy_addon.naming import cassette_files, last_part, part_path, safe_name
from pytest_convitems.exchange import Exchange, Request, Response

__all__ = ["CassetteWriter", "WriterStats", "cassette_files", "part_path", "safe_name"]

logger = logging.getLogger(__name__)

AppendFn = Callable[[Path, list[Exchange]], None]


def _fast_append(settings: Settings) -> AppendFn:
    from proxy_addon.appender import Appender
    from pytest_convitems.redact import configured_redactor

    return Appender(configured_redactor(settings.redaction))


@dataclass
class _Cassette:
    part: int = 1
    count: int = 0
    size: int = 0


@dataclass
class WriterStats:
    written: int = 0
    flushes: int = 0
    failures: list[str] = field(default_factory=list)
    dropped: int = 0
    """Exchanges given after the writer process had stopped: never written."""
    lost: int = 0
    """Exchanges sent to the writer process that it never reported written or refused: it
    stopped (was killed) before it had written them."""


@dataclass(frozen=True)
class Settings:
    directory: Path
    flush_every: int = 500
    flush_seconds: float = 1.0
    max_per_file: int = 1000
    max_part_bytes: int = 4 * 1024 * 1024
    redaction: dict[str, list[str]] = field(default_factory=dict)
    """The project's `redact.SETTINGS` (plain lists: they cross to the child as JSON)."""


_TIMEOUT = object()
Get = Callable[[float], object]
"""Next queued item: a (name, exchange) pair, None to stop, or `_TIMEOUT`."""


class _Batcher:
    """Groups queued exchanges by cassette and appends each group once per flush."""

    def __init__(
        self,
        settings: Settings,
        append: AppendFn,
        on_failure: Callable[[str], None],
        on_flush: Callable[[WriterStats], None] | None = None,
    ) -> None:
        self.settings = settings
        self.stats = WriterStats()
        self._append = append
        self._on_failure = on_failure
        self._on_flush = on_flush
        self._cassettes: dict[str, _Cassette] = {}
        from pytest_convitems.redact import configured_redactor

        # a failure names the exchange's URL as its cassette would: no key of its query
        self._uri = configured_redactor(settings.redaction).uri

    def run(self, get: Get) -> WriterStats:
        pending: dict[str, list[Exchange]] = {}
        count = 0
        deadline = time.monotonic() + self.settings.flush_seconds
        while True:
            item = get(max(0.0, deadline - time.monotonic()))
            if item is None:
                self._flush(pending)
                return self.stats
            if isinstance(item, tuple):
                name, exchange = item
                pending.setdefault(name, []).append(exchange)
                count += 1
            if count >= self.settings.flush_every or time.monotonic() >= deadline:
                self._flush(pending)
                pending = {}
                count = 0
                deadline = time.monotonic() + self.settings.flush_seconds

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
            if self._on_flush is not None:
                self._on_flush(self.stats)

    def _append_one(self, path: Path, exchange: Exchange) -> None:
        try:
            self._append(path, [exchange])
        except Exception as exc:  # a failed write must be loud, never silent
            req = exchange.request
            message = f"could not record {req.method} {self._uri(req.url)} in {path}: {exc}"
            self.stats.failures.append(message)
            self._on_failure(message)
        else:
            self.stats.written += 1

    def _placement(
        self, name: str, exchanges: list[Exchange]
    ) -> Iterable[tuple[Path, list[Exchange]]]:
        """Split a batch over the current part and, when it fills, the next ones."""
        state = self._cassettes.get(name) or self._resume(name)
        chunk: list[Exchange] = []
        for exchange in exchanges:
            size = _size(exchange)
            full = state.count >= self.settings.max_per_file or (
                state.size and state.size + size > self.settings.max_part_bytes
            )
            if full:
                if chunk:
                    yield part_path(self.settings.directory, name, state.part), chunk
                    chunk = []
                state.part += 1
                state.count = state.size = 0
            chunk.append(exchange)
            state.count += 1
            state.size += size
        if chunk:
            yield part_path(self.settings.directory, name, state.part), chunk

    def _resume(self, name: str) -> _Cassette:
        """Where this run goes on with `name`: its last part on disk, as full as that file.
        Starting at part 1 again put this run's exchanges before an earlier run's later
        parts (replayed out of order) and grew part 1 past its bounds."""
        from pytest_convitems.cassette import load_cassette
        from pytest_convitems.errors import CassetteError

        part = last_part(self.settings.directory, name)
        path = part_path(self.settings.directory, name, part)
        state = self._cassettes[name] = _Cassette(part=part)
        try:
            state.size = path.stat().st_size
            state.count = len(load_cassette(path)) if state.size else 0
        except (OSError, CassetteError):
            pass  # none yet; or unreadable, and the append names it
        return state


def _size(exchange: Exchange) -> int:
    # pretty-printed JSON takes about twice the wire size; headers and framing ~1 KB
    response = exchange.response.body if exchange.response is not None else b""
    return 2 * (len(exchange.request.body) + len(response)) + 1024


def _log_failure(message: str) -> None:
    logger.error("convitems: %s", message)


_FRAME = struct.Struct(">I")
_FEED_SECONDS = 0.1
"""How often the feeder wakes: every wake takes the GIL from the event loop, so rarely, in
big batches (the queue bound, not this, limits what is held)."""
_PIPE_BYTES = 1 << 20
"""The pipe to the writer, enlarged from 64 KB (Linux): a batch goes in one write instead
of a GIL handoff per 64 KB while the child drains it."""


def _flatten(exchange: Exchange) -> tuple[Any, ...]:
    """An exchange as plain tuples: pickled in the proxy's process, where a dataclass
    costs four times as much CPU to pickle as the same fields in a tuple."""
    req, resp = exchange.request, exchange.response
    response = None if resp is None else (resp.status, resp.reason, resp.headers, resp.body)
    return (
        req.method,
        req.url,
        req.headers,
        req.body,
        response,
        exchange.source,
        exchange.recorded_at,
    )


def _unflatten(row: tuple[Any, ...]) -> Exchange:
    method, url, headers, body, response, source, recorded_at = row
    return Exchange(
        Request(method, url, headers, body),
        None if response is None else Response(*response),
        source,
        recorded_at,
    )


def _read_frames(stream: BinaryIO, jobs: queue.Queue[object]) -> None:
    """stdin -> jobs; EOF (the proxy closed the pipe, or died) -> None, the stop signal."""
    try:
        while True:
            head = stream.read(_FRAME.size)
            if len(head) < _FRAME.size:
                break
            data = stream.read(_FRAME.unpack(head)[0])
            for name, row in pickle.loads(data):
                jobs.put((name, _unflatten(row)))
    finally:
        jobs.put(None)


_GROUP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
"""What reaches the whole process group, or cgroup: Ctrl-C; the SIGTERM of `timeout`, of
systemd (KillMode=control-group) and of a cancelled CI job; a closed terminal's SIGHUP."""


def _group_signals() -> list[signal.Signals]:
    # Windows has no SIGHUP
    return [getattr(signal, n) for n in _GROUP_SIGNALS if hasattr(signal, n)]


def _ignore_group_signals() -> None:
    """In the child, first thing: ignore them, then take the ones that came meanwhile (the
    proxy spawned us with them blocked: an ignored pending signal is discarded)."""
    group = _group_signals()
    for number in group:
        signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, group)


@contextlib.contextmanager
def _group_signals_blocked() -> Iterator[None]:
    """Around the spawn: the child starts with the group's signals blocked (a signal mask
    survives fork and exec), so one sent while its interpreter starts, before it can ignore
    them, waits instead of killing it; this thread's mask is restored at once, and whatever
    came meanwhile is delivered then."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _group_signals())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _child_main(settings_json: str) -> int:
    """The writer in its own process: the proxy's CPU goes to traffic, ours to YAML."""
    # A signal sent to the proxy's whole group must not kill us before we have written what
    # the proxy gave us: the proxy decides when we stop (EOF on stdin, sent once it has
    # given us everything, or when it dies). SIGKILL still ends us.
    _ignore_group_signals()
    # Writing is background work: when the proxy and the writer want the same core, live
    # traffic goes first (the bounded queue slows the proxy if the writer falls behind).
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(10)
    raw = json.loads(settings_json)
    settings = Settings(Path(raw.pop("directory")), **raw)
    jobs: queue.Queue[object] = queue.Queue(maxsize=1000)
    threading.Thread(target=_read_frames, args=(sys.stdin.buffer, jobs), daemon=True).start()
    out = sys.stdout
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()

    def get(timeout: float) -> object:
        try:
            return jobs.get(timeout=timeout)
        except queue.Empty:
            return _TIMEOUT

    def failed(message: str) -> None:
        out.write(json.dumps({"failure": message}) + "\n")
        out.flush()

    def flushed(stats: WriterStats) -> None:
        # as it goes, not only at the end: a writer that dies (the OOM killer) has still
        # written what it reported, and the proxy says so
        with contextlib.suppress(BrokenPipeError):
            out.write(json.dumps({"written": [stats.written, stats.flushes]}) + "\n")
            out.flush()

    stats = _Batcher(settings, _fast_append(settings), failed, flushed).run(get)
    try:
        out.write(json.dumps({"done": [stats.written, stats.flushes]}) + "\n")
        out.flush()
    except BrokenPipeError:
        pass  # the proxy was killed: what is written is on disk, nobody is left to tell
    return 0


class CassetteWriter:
    """Appends (cassette name, exchange) pairs to cassettes under `directory`, in batches.

    `isolation="process"` (what the addon uses) writes in a child Python process fed
    through a pipe, so rendering YAML never competes with the proxy for the GIL; `"thread"`
    writes in a thread of this process (and takes a custom `append`, for tests).
    """

    def __init__(
        self,
        directory: Path,
        *,
        flush_every: int = 500,
        flush_seconds: float = 1.0,
        max_per_file: int = 1000,
        max_part_bytes: int = 4 * 1024 * 1024,
        max_queue: int = 1000,
        append: AppendFn | None = None,
        isolation: str = "thread",
        redaction: dict[str, list[str]] | None = None,
    ) -> None:
        if isolation not in ("thread", "process"):
            raise ValueError(f"isolation must be thread or process, not {isolation!r}")
        if append is not None and isolation == "process":
            raise ValueError("a custom append runs only with isolation='thread'")
        self.directory = directory
        self.settings = Settings(
            directory, flush_every, flush_seconds, max_per_file, max_part_bytes, redaction or {}
        )
        self.stats = WriterStats()
        self._closed = False
        self._done = threading.Event()
        self.ready = threading.Event()
        """Set once the writer has started (the child ignores Ctrl-C and a group SIGTERM;
        until it can, they wait, blocked since its spawn)."""
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._pending: deque[tuple[str, Exchange]] = deque()
        self._max_queue = max_queue
        self._closing = threading.Event()
        self._stopped = threading.Event()
        """Set once the feeder stopped (the writer process died, or `close`): `put` drops."""
        self._child: subprocess.Popen[bytes] | None = None
        self._listener: threading.Thread | None = None
        self._sent = 0
        """Exchanges written into the child's pipe (by the feeder)."""
        self._refused = 0
        """Exchanges the child reported it could not record (one failure line each)."""
        target: Callable[[], None]
        if isolation == "thread":
            batcher = _Batcher(self.settings, append or _fast_append(self.settings), _log_failure)
            self.stats = batcher.stats
            target = lambda: self._run_thread(batcher)  # noqa: E731
            self.ready.set()
        else:
            self._child = self._spawn()
            self._listener = threading.Thread(
                target=self._listen, name="convitems-writer-results", daemon=True
            )
            self._listener.start()
            target = self._feed
        self._worker = threading.Thread(target=target, name="convitems-writer", daemon=True)
        self._worker.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        settings = {**asdict(self.settings), "directory": str(self.directory)}
        root = str(Path(__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        with _group_signals_blocked():
            child = subprocess.Popen(
                [sys.executable, "-m", "proxy_addon.recorder", json.dumps(settings)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
        if setsize is not None and child.stdin is not None:
            with contextlib.suppress(OSError):  # above the system's limit: keep the default
                fcntl.fcntl(child.stdin.fileno(), setsize, _PIPE_BYTES)
        return child

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def put(self, name: str, exchange: Exchange) -> None:
        """Queue one exchange for cassette `name` (blocks only while the queue is full)."""
        if self._closed:
            raise RuntimeError("CassetteWriter is closed")
        if self._child is None:
            self._queue.put((name, exchange))
            return
        # A deque append, not a Queue: no lock and no wake-up of the feeder per exchange
        # (the event loop would pay for both); the feeder collects every few milliseconds.
        while len(self._pending) >= self._max_queue and not self._stopped.is_set():
            time.sleep(0.002)  # the child is behind: slow the proxy rather than grow
        if self._stopped.is_set():
            # nobody will write it: held, it would grow the proxy for as long as it runs
            self.stats.dropped += 1
            return
        self._pending.append((name, exchange))

    def close(self, timeout: float = 60.0) -> WriterStats:
        """Write everything queued, then stop the writer."""
        if self._closed:
            return self.stats
        self._closed = True
        self._queue.put(None)
        self._closing.set()
        self._worker.join(timeout)
        killed = False
        if self._child is not None:
            try:
                self._child.wait(timeout)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait(5)
                killed = True
            if self._listener is not None:
                self._listener.join(5)  # everything the child said before it exited
            finished = self._done.is_set()
        else:
            finished = self._done.wait(5 if not self._worker.is_alive() else 0)
        self._drop_pending()  # the feeder stopped early: nothing takes these any more
        if finished:
            return self.stats
        if self._child is not None:
            # what it was sent and never reported (written or refused) died with it
            self.stats.lost = max(0, self._sent - self.stats.written - self._refused)
            counts = (
                f"{self.stats.written} exchange(s) written to {self.directory}, "
                f"{self.stats.lost} lost (sent to it, never written), "
                f"{self.stats.dropped} dropped (given after it had stopped)"
            )
            if killed:
                message = f"the cassette writer did not finish within {timeout:.0f}s: {counts}"
            else:
                # it died on its own (its input was not the end): no point saying it was slow
                message = (
                    f"the cassette writer process stopped before it finished (exit code "
                    f"{self._child.returncode}): {counts}"
                )
        else:
            message = (
                f"the cassette writer did not finish within {timeout:.0f}s; "
                f"some exchanges may be missing from {self.directory}"
            )
        self.stats.failures.append(message)
        _log_failure(message)  # as every other failure is, for "each logged above"
        return self.stats

    def _drop_pending(self) -> None:
        while self._pending:
            self._pending.popleft()
            self.stats.dropped += 1

    def _run_thread(self, batcher: _Batcher) -> None:
        jobs = self._queue

        def get(timeout: float) -> object:
            try:
                return jobs.get(timeout=timeout)
            except queue.Empty:
                return _TIMEOUT

        batcher.run(get)
        self._done.set()

    def _feed(self) -> None:
        """Queue -> the child's stdin; closing stdin tells the child to flush and exit."""
        assert self._child is not None and self._child.stdin is not None
        pipe = self._child.stdin
        pending = self._pending
        batch: list[tuple[str, Exchange]] = []
        try:
            while True:
                if not pending:
                    if self._closing.is_set():
                        break
                    self._closing.wait(_FEED_SECONDS)
                    continue
                batch = [pending.popleft() for _ in range(min(len(pending), 256))]
                rows = [(name, _flatten(exchange)) for name, exchange in batch]
                data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.write(_FRAME.pack(len(data)) + data)
                pipe.flush()
                self._sent += len(batch)
                batch = []
        except Exception as exc:  # the child died (a broken pipe), or a bug: either way
            self._stopped.set()  # before the drop, so that `put` stops queueing first
            self.stats.dropped += len(batch)
            self._drop_pending()
            what = (
                "the cassette writer process stopped"
                if isinstance(exc, OSError)
                else "feeding the cassette writer failed (a bug: please report it)"
            )
            message = (
                f"{what} ({exc!r}); recording stopped: "
                f"{self.stats.written} exchange(s) were written, the rest are dropped"
            )
            self.stats.failures.append(message)
            _log_failure(message)
        finally:
            self._stopped.set()
            with contextlib.suppress(OSError):
                pipe.close()

    def _listen(self) -> None:
        assert self._child is not None and self._child.stdout is not None
        for line in self._child.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "ready" in message:
                self.ready.set()
            elif "failure" in message:
                self._refused += 1
                self.stats.failures.append(message["failure"])
                _log_failure(message["failure"])
            elif "written" in message:
                self.stats.written, self.stats.flushes = message["written"]
            elif "done" in message:
                self.stats.written, self.stats.flushes = message["done"]
                self._done.set()


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1]))
