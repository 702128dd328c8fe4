"""Recording for the pytest plugin: one test's cassette, what it replays, records and finds.

`CassetteRecorder` holds a test's cassette (read through `pytest_convitems.cassette`:
redaction, pretty bodies, atomic writes), answers requests from a `matching.ReplayIndex`
(a dictionary hit, not vcrpy's scan of every recorded request with every matcher),
records what the record mode lets through, validates every exchange, and explains a
request it cannot answer. `recording_vcr.Switchboard` connects it to vcrpy's patches.

Also the settings a recorder needs: record modes and their precedence, `match_on`.
No pytest here: the plugin turns what this module reports into test outcomes.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from .cassette import append_to_cassette, load_cassette_entry, write_cassette
from .cassette_lock import cassette_lock, written_in_run
from .errors import CassetteError, InputError, UnmatchedRequestError
from .exchange import Exchange, Request, Response
from .findings import Finding
from .findings_cache import FindingsMemo, Validator
from .marker_args import DEFAULT_RECORD_MODE, check_record_mode
from .matching import Mismatch, ReplayIndex, redacted_key, request_key
from .redact import DEFAULT_REDACTOR, Redactor
from .report import RerecordCommand

MATCH_PARTS: Final = ("method", "path", "query", "body")
"""What `match_on` may name: the parts of `matching.request_key`, in its order."""


def validate_exchange(exchange: Exchange) -> list[Finding]:
    """`validation.validate_exchange`, imported on first use: the models cost ~0.3 s to
    build, and a replay whose findings are all cached never needs them."""
    from .validation import validate_exchange as validate

    return validate(exchange)


def resolve_record_mode(
    *,
    cli_replay: bool,
    cli_mode: str | None,
    ini_replay: bool,
    marker_mode: str | None,
    ini_mode: str | None,
) -> str:
    """The record mode of one test.

    Precedence: CLI over marker over ini over the default `once`. `--convitems-replay`
    means record mode `none`; it is a safety switch for CI, so in the ini file too it
    beats a marker (a marker cannot open the network when the project says replay), while
    an explicit `--convitems-record-mode` on the command line still beats the ini switch
    (that is how one test is re-recorded).
    """
    if cli_replay:
        if cli_mode not in (None, "none"):
            raise InputError(
                f"--convitems-replay replays only, but --convitems-record-mode={cli_mode} asks "
                "to record: drop one of them"
            )
        return "none"
    for mode in (cli_mode, "none" if ini_replay else None, marker_mode, ini_mode):
        if mode is not None:
            return check_record_mode(mode)
    return DEFAULT_RECORD_MODE


_VCRPY_PARTS: Final = {
    "uri": "vcrpy's uri is path + query here (the host never counts)",
    "host": "the host never counts here: leave it out",
    "scheme": "the scheme never counts here: leave it out",
    "port": "the port never counts here: leave it out",
    "raw_body": "body compares JSON bodies as JSON and others byte for byte",
    "headers": "headers never count here: leave them out",
}


def key_for(match_on: Sequence[str] | None) -> Callable[[Request], Hashable]:
    """A request key using only the parts named in `match_on` (all of them by default)."""
    if match_on is None or tuple(match_on) == MATCH_PARTS:
        return request_key
    if isinstance(match_on, str):
        match_on = (match_on,)
    unknown = [p for p in match_on if p not in MATCH_PARTS]
    if unknown or not match_on:
        # vcrpy's names for what we split or drop: a suite moving over brings them along.
        hints = [_VCRPY_PARTS[p] for p in unknown if p in _VCRPY_PARTS]
        raise InputError(
            f"match_on={list(match_on)!r}: each part must be one of {', '.join(MATCH_PARTS)}"
            + "".join(f"; {hint}" for hint in dict.fromkeys(hints))
        )
    picks = tuple(MATCH_PARTS.index(p) for p in match_on)

    def key(request: Request) -> Hashable:
        full = request_key(request)
        assert isinstance(full, tuple)
        return tuple(full[i] for i in picks)

    return key


def _target(request: Request) -> str:
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{request.method} {request.path}{query}"


# -- one test's cassette --------------------------------------------------------------


@dataclass
class CassetteRecorder:
    """The cassette of one test: what it replays, what it records, what validation found."""

    path: Path
    record_mode: str
    nodeid: str
    validate: Validator | None = None
    match_on: Sequence[str] | None = None
    run_id: str = ""
    """Identifies this pytest run across xdist workers: `all` overwrites once per run."""
    label: str = ""
    """How messages name the cassette (e.g. relative to the rootdir); defaults to `path`."""
    persist: bool = True
    """False for a live drift run: the cassette is read for comparison, never written."""
    path_text: str = ""
    """`str(path)` when the caller has it already (spares pathlib's parse per test)."""
    redactor: Redactor | None = field(default_factory=lambda: DEFAULT_REDACTOR)
    """What never reaches the cassette (None: nothing redacted); replay matches through it."""
    rerecord_command: RerecordCommand = field(default_factory=RerecordCommand)
    """How the miss message writes the command that re-records the test."""
    sharing: Callable[[str], list[str]] | None = None
    """The tests of this run that use a cassette (asked only on a miss): re-recording a
    shared cassette with `all` keeps only what the tests named in the command record."""

    loaded: list[Exchange] = field(default_factory=list)
    recorded: list[Exchange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unmatched: list[UnmatchedRequestError] = field(default_factory=list)
    replayed: int = 0
    existed: bool = False
    written: bool = False
    """True once `save` wrote what this test recorded."""

    def __post_init__(self) -> None:
        check_record_mode(self.record_mode)
        self.label = self.label or str(self.path)
        self._memo: FindingsMemo | None = None
        self.path_text = self.path_text or str(self.path)
        memoize = self.validate is not None and self.record_mode != "all"
        # `all` replaces the cassette once per run. A test sharing it that comes later in
        # the run replays what the earlier ones recorded and records the rest, as `once`
        # does: the cassette then holds what a replay of the same tests will ask for (two
        # tests creating a conversation each recorded two, and the replay handed the first
        # one to both).
        self._continuing = (
            self.record_mode == "all" and self.persist and written_in_run(self.path, self.run_id)
        )
        if self.record_mode == "all" and self.persist and not self._continuing:
            # Replaced whatever it holds: not read, so a corrupt one can be recorded afresh.
            self.existed = os.path.exists(self.path_text)
            found = None
        else:
            found = load_cassette_entry(self.path_text, put=not memoize)
            self.existed = found is not None
        if found is not None:
            entry, key, store = found
            self.loaded = entry.exchanges
            if self.validate is not None and memoize:
                self._memo = FindingsMemo(
                    self.loaded,
                    self.validate,
                    store=store,
                    key=key,
                    annotation=entry.annotation,
                    stored=entry.stored,
                )
        # Under `all` nothing replays (but what this run wrote): the index stays empty so
        # every request is recorded.
        replays = self.record_mode != "all" or self._continuing
        self._index = ReplayIndex(
            self.loaded if replays else [],
            key=redacted_key(self.redactor, key_for(self.match_on)),
        )
        self._lock = threading.Lock()
        self._sent = 0
        """Requests this test sent to the network so far (`reserve`)."""
        self._slots: list[int] = []
        """The send position of each of `recorded`, in order."""

    @property
    def network_allowed(self) -> bool:
        if self.record_mode == "once":
            # A cassette this run created is still "new": every test sharing it records into
            # it, with or without xdist (asked on a miss only: it reads the lock file).
            return not self.existed or written_in_run(self.path, self.run_id)
        return self.record_mode in ("new_episodes", "all")

    @property
    def exchanges(self) -> list[Exchange]:
        if self.record_mode != "all" or self._continuing:
            return self.loaded + self.recorded
        return self.recorded

    def unused(self) -> list[Exchange]:
        """Recorded interactions of the cassette this test never asked for."""
        if self.record_mode == "all":
            return []
        return [ex for ex in self._index.unused() if ex.source is not None]

    def take(self, request: Request) -> Exchange | None:
        with self._lock:
            found = self._index.take(request)
            if found is not None:
                self.replayed += 1
                self._check(Exchange(request, found.response, found.source), recorded=found)
            return found

    def refuse(self, request: Request) -> UnmatchedRequestError:
        """The error for a request nothing answers and the record mode keeps off the network."""
        # The message quotes no secret, from this request or from an old cassette.
        view = self.redactor.for_matching if self.redactor is not None else None
        if view is not None:
            request = view(request)
        with self._lock:
            error = UnmatchedRequestError(
                self._unmatched_message(request, self._index.closest(request, view)),
                _target(request),
            )
            self.unmatched.append(error)
            return error

    @property
    def unanswered(self) -> int:
        """Requests that went to the network with no answer recorded."""
        return self._sent - len(self.recorded)

    def reserve(self) -> int:
        """The place of a request going to the network now: its answer is recorded there,
        in the order requests were sent, which a replay repeats. Concurrent requests
        answered out of order (six `conversations.create` in `asyncio.gather`) were kept in
        the order answers came, and their replay handed each task another's conversation."""
        with self._lock:
            self._sent += 1
            return self._sent - 1

    def record(self, request: Request, response: Response, slot: int | None = None) -> None:
        """Record one exchange; `slot`: what `reserve` gave its request (None: sent now)."""
        if slot is None:
            slot = self.reserve()
        with self._lock:
            position = len(self.exchanges)
            source = {"cassette": str(self.path), "interaction": position}
            exchange = Exchange(request, response, source)
            at = bisect.bisect(self._slots, slot)
            self._slots.insert(at, slot)
            self.recorded.insert(at, exchange)
            if at != len(self.recorded) - 1:
                # Numbered now, not at teardown: the test's own failure message and its
                # fixture's findings quote these numbers.
                self._renumber()
            self._check(exchange)

    def _renumber(self) -> None:
        """Interaction numbers as the cassette will hold them, after an answer came in
        before the answer to a request sent earlier (findings quoting them too)."""
        base = len(self.exchanges) - len(self.recorded)
        moved: dict[int, int] = {}
        for i, exchange in enumerate(self.recorded):
            assert exchange.source is not None
            if exchange.source["interaction"] != base + i:
                moved[exchange.source["interaction"]] = base + i
                exchange.source["interaction"] = base + i
        # Each exchange's findings share one source dict: each is renumbered once.
        sources = {id(f.source): f.source for f in self.findings if f.source is not None}
        for source in sources.values():
            if source.get("test") == self.nodeid and source.get("interaction") in moved:
                source["interaction"] = moved[source["interaction"]]

    def _check(self, exchange: Exchange, *, recorded: Exchange | None = None) -> None:
        if self.validate is None:
            return
        if recorded is not None and self._memo is not None:
            found = self._memo.findings_for(exchange, recorded)
        else:
            found = self.validate(exchange)
        if not found:
            return
        source = dict(exchange.source or {})
        if "cassette" in source:
            source["cassette"] = self.label  # as the report's cassettes name it
        source["test"] = self.nodeid
        red = self.redactor
        self.findings += [replace(red.finding(f) if red else f, source=source) for f in found]

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def _unmatched_message(self, request: Request, closest: Mismatch | None) -> str:
        target = _target(request)
        sharers = self.sharing(self.path_text) if self.sharing is not None else []
        tests = sharers if self.nodeid in sharers else [self.nodeid, *sharers]
        command = self.rerecord_command(tests)
        if not self.existed:
            # The commonest miss, on a new test: the cassette, not the request, is the news.
            return "\n".join(
                [
                    f"convitems: this test has no cassette yet, and record mode "
                    f"{self.record_mode} only replays",
                    # An empty file is no cassette, as for vcrpy: recorded again.
                    f"  cassette: {self.label} "
                    + ("(an empty file)" if os.path.exists(self.path_text) else "(does not exist)"),
                    f"  request: {target}",
                    f"  record it: {command}",
                ]
            )
        lines = [
            f"convitems: no recorded interaction matches {target}",
            f"  cassette: {self.label} (record mode {self.record_mode}, "
            f"{len(self.loaded)} recorded interaction(s), {self.replayed} replayed)",
        ]
        if closest is not None:
            lines += ["  " + line for line in closest.describe().splitlines()]
        else:
            lines.append("  the cassette holds no interactions")
        if len(tests) > 1:
            lines.append(f"  re-record the {len(tests)} tests that share it: {command}")
        else:
            lines.append(f"  re-record this test: {command}")
        return "\n".join(lines)

    def save(self) -> None:
        """Write what this test recorded; never touches the file when nothing was recorded."""
        if self._memo is not None:
            self._memo.flush()
        if not self.recorded or self.record_mode == "none" or not self.persist:
            return
        try:
            self._write()
        except OSError as exc:  # the lock file's folder: the cassette's own
            raise CassetteError(
                f"{self.label}: cannot write the cassette ({exc.strerror or exc}); record into "
                "a folder you can write to (--convitems-cassette-dir)"
            ) from exc
        self.written = True

    def _write(self) -> None:
        with cassette_lock(self.path) as lock:
            if self.record_mode == "all":
                overwrite = lock.first_write_in_run(self.run_id)
            else:
                overwrite = self.record_mode == "once" and not self.path.exists()
                if overwrite:
                    lock.first_write_in_run(self.run_id)  # created by this run (`once`)
            if overwrite:
                write_cassette(self.path, self.recorded, redactor=self.redactor)
            else:
                # new_episodes, a second test sharing an `all`/`once` cassette in this run,
                # or another worker that wrote it first: keep what is there.
                append_to_cassette(self.path, self.recorded, redactor=self.redactor)


class ConvItemsCassette:
    """What the `convitems` fixture gives a test: its cassette, exchanges and findings."""

    def __init__(self, recorder: CassetteRecorder) -> None:
        self._recorder = recorder

    @property
    def path(self) -> Path:
        return self._recorder.path

    @property
    def record_mode(self) -> str:
        return self._recorder.record_mode

    @property
    def exchanges(self) -> list[Exchange]:
        """The cassette as it stands: interactions read from the file, then those recorded now."""
        return self._recorder.exchanges

    @property
    def recorded(self) -> list[Exchange]:
        """What this test recorded (written to the cassette when the test ends)."""
        return list(self._recorder.recorded)

    @property
    def replayed(self) -> int:
        return self._recorder.replayed

    @property
    def findings(self) -> list[Finding]:
        """Validation of every request sent and response received so far, errors and drift."""
        return list(self._recorder.findings)

    @property
    def errors(self) -> list[Finding]:
        return self._recorder.errors()

    def clear_findings(self) -> None:
        """Forget the findings so far: for a test that sends an invalid request on purpose."""
        self._recorder.findings.clear()

    def __repr__(self) -> str:
        return f"<ConvItemsCassette {self.path} mode={self.record_mode}>"
