"""The run's report: what each cassette did and what validation found, as data and as lines.

Pure: the plugin feeds it one test at a time (and, under xdist, the parts each worker sends
back), `pytest_terminal_summary` prints `lines`, and `write()` stores `to_dict()`.

The report file (`--convitems-report=FILE`) is one JSON document:
`{"version": 1, "summary": {...}, "cassettes": [...], "findings": [...], "rerecord": [test
ids], "rerecord_command": "pytest ... --convitems-record-mode=all" | null,
"orphaned_cassettes": [{"path", "why"}], "recorded_by_failing_tests": [{"test",
"cassette", "rerecord_command"}], "drift": {...} | null}`; each finding has the
DESIGN §2 shape with `source = {"cassette", "interaction", "test"}`.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from .findings import Finding

REPORT_VERSION: Final = 1
MAX_FINDING_LINES: Final = 10
MAX_WRITTEN_LINES: Final = 3
"""A run that recorded into this many cassettes or fewer names them (re-recording a test or
two, the run asks "where did it go?"); a first recording of a suite does not list them."""


def finding_line(finding: Finding) -> str:
    """A finding for a terminal, where it was found: interaction number, part and pointer."""
    where = ""
    if finding.source is not None and "interaction" in finding.source:
        where = f"interaction {finding.source['interaction']}: "
    return where + replace(finding, source=None).text()


@dataclass
class CassetteUse:
    """One cassette across every test that used it in this run."""

    path: str
    record_mode: str
    interactions: int = 0
    """How many interactions the cassette held when the run first read it: what tests of
    this run recorded into it later is theirs, never "unused"."""
    played: set[int] = field(default_factory=set)
    replayed: int = 0
    recorded: int = 0
    tests: list[str] = field(default_factory=list)
    existed: bool = True
    """False when no test found the file (under replay, its tests failed for want of it)."""
    sharers: list[str] = field(default_factory=list)
    """Every collected test whose cassette this is, run or deselected (-k, --lf)."""
    unanswered: int = 0
    """Requests its tests sent to the network that got no answer to record (a timeout)."""
    cut_short: bool = False
    """A test using it skipped or failed: it may not have sent what it sends."""

    @property
    def missing(self) -> bool:
        return not self.existed and not self.recorded

    @property
    def unused(self) -> list[int]:
        if self.record_mode in ("all", "live"):
            return []
        if self.cut_short or any(t not in self.tests for t in self.sharers):
            return []  # what looks unused may be a test's that did not run, or not to the end
        return [i for i in range(self.interactions) if i not in self.played]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "record_mode": self.record_mode,
            "interactions": self.interactions,
            "played": sorted(self.played),
            "replayed": self.replayed,
            "recorded": self.recorded,
            "unused": self.unused,
            "tests": self.tests,
            "missing": self.missing,
            "existed": self.existed,
            "sharers": self.sharers,
            "unanswered": self.unanswered,
            "cut_short": self.cut_short,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CassetteUse:
        return cls(
            path=data["path"],
            record_mode=data["record_mode"],
            interactions=data["interactions"],
            played=set(data["played"]),
            replayed=data["replayed"],
            recorded=data["recorded"],
            tests=list(data["tests"]),
            existed=data.get("existed", not data.get("missing", False)),
            sharers=list(data.get("sharers", [])),
            unanswered=int(data.get("unanswered", 0)),
            cut_short=bool(data.get("cut_short", False)),
        )

    def merge(self, other: CassetteUse) -> None:
        # Recording only appends, so the first read (from any worker) saw the fewest.
        self.interactions = min(self.interactions, other.interactions)
        self.played |= other.played
        self.replayed += other.replayed
        self.recorded += other.recorded
        self.tests += [t for t in other.tests if t not in self.tests]
        self.existed = self.existed or other.existed
        self.sharers += [t for t in other.sharers if t not in self.sharers]
        self.unanswered += other.unanswered
        self.cut_short = self.cut_short or other.cut_short


def _capped(head: str, rows: list[str], where: str = "") -> list[str]:
    """`head`, at most `MAX_FINDING_LINES` of the rows, then how many more there are."""
    out = [head, *rows[:MAX_FINDING_LINES]]
    if len(rows) > MAX_FINDING_LINES:
        out.append(f"  ... and {len(rows) - MAX_FINDING_LINES} more{where}")
    return out


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


@dataclass(frozen=True)
class RerecordCommand:
    """The command that records tests afresh, to be pasted where pytest ran."""

    options: str = ""
    """The run's own options that say where cassettes live (`--convitems-cassette-dir`),
    already quoted, else it would record them somewhere the next run does not look."""
    root: str = ""
    """The rootdir, which test ids are relative to."""
    cwd: str = ""
    """Where pytest ran: the command's test paths are relative to it, as `options` are."""
    files: dict[str, str] = field(default_factory=dict)
    """A test id's file part -> the file, where pytest's id is not relative to the rootdir
    (a test file outside it: pytest names it from the argument that found it)."""

    def __call__(self, nodeids: Sequence[str]) -> str:
        tests = " ".join(shlex.quote(self._from_cwd(n)) for n in nodeids)
        options = f" {self.options}" if self.options else ""
        return f"pytest {tests}{options} --convitems-record-mode=all"

    def _from_cwd(self, nodeid: str) -> str:
        file, sep, rest = nodeid.partition("::")
        real = self.files.get(file)
        if real is not None:
            return os.path.relpath(real, self.cwd or None) + sep + rest
        if not self.root or self.root == self.cwd:
            return nodeid
        return os.path.relpath(os.path.join(self.root, file), self.cwd) + sep + rest


@dataclass
class RunReport:
    drift_mode: str = "off"
    report_path: str | None = None
    cassettes: dict[str, CassetteUse] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    rerecord: list[str] = field(default_factory=list)
    """Tests that met a request their cassette does not hold."""
    drift: dict[str, Any] | None = None
    """Live run vs committed cassettes (`--convitems-drift`): `{"changes", "summary"}`."""
    drift_lines: list[str] = field(default_factory=list)
    drift_failed: bool = False
    notes: list[str] = field(default_factory=list)
    orphans: dict[str, str] = field(default_factory=dict)
    """Cassette (as shown) -> why no collected test uses it (see `orphans`)."""
    recorded_by_failing: dict[str, str] = field(default_factory=dict)
    """Test -> the cassette it recorded into, for tests that then failed."""
    rerecord_command: RerecordCommand = field(default_factory=RerecordCommand)
    """How every printed re-record command is written."""

    def add_test(
        self,
        *,
        nodeid: str,
        cassette: str,
        record_mode: str,
        interactions: int,
        played: Iterable[int],
        replayed: int,
        recorded: int,
        findings: Iterable[Finding],
        needs_rerecord: bool,
        existed: bool = True,
        unanswered: int = 0,
        rerecord_as: Sequence[str] | None = None,
        cut_short: bool = False,
    ) -> None:
        """`rerecord_as`: what to re-record when it needs it, if not this test alone (its
        file, when a shared fixture's request missed)."""
        use = CassetteUse(
            cassette, record_mode, interactions, set(played), replayed, recorded, [nodeid], existed
        )
        use.unanswered = unanswered
        use.cut_short = cut_short
        if cassette in self.cassettes:
            self.cassettes[cassette].merge(use)
        else:
            self.cassettes[cassette] = use
        self.findings += findings
        if needs_rerecord:
            self.rerecord += [t for t in rerecord_as or [nodeid] if t not in self.rerecord]

    # -- data ----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        by_severity = Counter(f.severity for f in self.findings)
        return {
            "cassettes": len(self.cassettes),
            "missing": sum(1 for c in self.cassettes.values() if c.missing),
            "replayed": sum(c.replayed for c in self.cassettes.values()),
            "recorded": sum(c.recorded for c in self.cassettes.values()),
            "unused": sum(len(c.unused) for c in self.cassettes.values()),
            "errors": by_severity["error"],
            "drift": by_severity["drift"],
            "rerecord": len(self.rerecord),
            "orphaned": len(self.orphans),
            "recorded_by_failing": len(self.recorded_by_failing),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "summary": self.counts(),
            "cassettes": [self.cassettes[k].to_dict() for k in sorted(self.cassettes)],
            "findings": [f.to_dict() for f in self.findings],
            "rerecord": self.rerecord,
            "rerecord_command": (
                self.rerecord_command(self.with_sharers(self.rerecord)) if self.rerecord else None
            ),
            "orphaned_cassettes": [{"path": p, "why": w} for p, w in sorted(self.orphans.items())],
            "recorded_by_failing_tests": [
                {
                    "test": t,
                    "cassette": c,
                    "rerecord_command": self.rerecord_command(self.with_sharers([t])),
                }
                for t, c in sorted(self.recorded_by_failing.items())
            ],
            "drift": self.drift,
            "notes": self.notes,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Fold in another process's `to_dict()` (an xdist worker's part)."""
        for raw in data.get("cassettes", []):
            use = CassetteUse.from_dict(raw)
            if use.path in self.cassettes:
                self.cassettes[use.path].merge(use)
            else:
                self.cassettes[use.path] = use
        self.findings += [Finding.from_dict(f) for f in data.get("findings", [])]
        self.rerecord += [t for t in data.get("rerecord", []) if t not in self.rerecord]
        self.notes += [n for n in data.get("notes", []) if n not in self.notes]
        # Every worker collects the whole run, so each finds the same orphans.
        self.orphans.update((o["path"], o["why"]) for o in data.get("orphaned_cassettes", []))
        self.recorded_by_failing.update(
            (r["test"], r["cassette"]) for r in data.get("recorded_by_failing_tests", [])
        )

    def write(self, path: Path) -> None:
        """Atomically: a reader never sees half a report."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.to_dict(), handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- text ----------------------------------------------------------------------

    @property
    def lines(self) -> list[str]:
        c = self.counts()
        # A run that used no cassette (`--collect-only` naming orphans, say) has no counts.
        out = self._count_lines(c) if self.cassettes or self.findings else []
        out += self._failing_lines()
        out += self._orphan_lines()
        if self.drift_mode != "off":
            out.append(
                "live run (--convitems-drift): cassettes were read for comparison, not written"
            )
        out += self.drift_lines
        out += self.notes
        out += self._next_steps(c)
        if self.report_path:
            out.append(f"report written to {self.report_path}")
        return out

    def _count_lines(self, c: dict[str, int]) -> list[str]:
        missing = f" ({c['missing']} missing)" if c["missing"] else ""
        if self.drift_mode != "off":
            # Nothing is written in a live run: what went upstream is compared, not recorded.
            read = sum(1 for use in self.cassettes.values() if use.existed)
            # A test that sent nothing has nothing to compare, recorded or not.
            unrecorded = sorted(
                p for p, u in self.cassettes.items() if not u.existed and u.recorded
            )
            out = [
                f"{_plural(read, 'cassette')} read for comparison: "
                f"{_plural(c['recorded'], 'live interaction')}, nothing written"
            ]
            if unrecorded:
                shown = ", ".join(unrecorded[:MAX_WRITTEN_LINES])
                more = len(unrecorded) - MAX_WRITTEN_LINES
                out.append(
                    f"  {_plural(len(unrecorded), 'test cassette')} not recorded yet: that live "
                    "traffic is not compared (nothing recorded to compare it with); record "
                    f"those tests to include them: {shown}"
                    + (f" and {more} more" if more > 0 else "")
                )
        else:
            out = [
                f"{_plural(c['cassettes'], 'cassette')} used{missing}: "
                f"{_plural(c['replayed'], 'interaction')} replayed, {c['recorded']} recorded, "
                f"{c['unused']} recorded but unused"
            ]
        written = sorted(p for p, use in self.cassettes.items() if use.recorded)
        if self.drift_mode == "off" and 0 < len(written) <= MAX_WRITTEN_LINES:
            out += [f"  recorded into {path}" for path in written]
        # A request sent live that got no answer (a timeout, a refused connection the code
        # expected) passes while recording and misses in every replay: say which, since
        # re-recording cannot help until it is answered.
        unanswered = [use for use in self.cassettes.values() if use.unanswered]
        for use in sorted(unanswered, key=lambda u: u.path)[:MAX_WRITTEN_LINES]:
            lost = f"{_plural(use.unanswered, 'request')} got no answer"
            if use.missing:
                out.append(
                    f"  nothing recorded for {', '.join(use.tests)}: {lost}, so {use.path} "
                    "was not written and its replay will miss"
                )
            else:
                out.append(
                    f"  {', '.join(use.tests)}: {lost}, so {use.path} lacks "
                    f"{'it' if use.unanswered == 1 else 'them'} and a replay will miss "
                    f"{'it' if use.unanswered == 1 else 'them'}"
                )
        stale = [p for p in sorted(self.cassettes) if self.cassettes[p].unused]
        for path in stale[:MAX_FINDING_LINES]:
            unused = self.cassettes[path].unused
            shown = ", ".join(str(i) for i in unused[:10]) + (" ..." if len(unused) > 10 else "")
            out.append(f"  unused in {path}: interaction(s) {shown}")
        if len(stale) > MAX_FINDING_LINES:
            more = len(stale) - MAX_FINDING_LINES
            out.append(f"  ... and {more} more cassettes with unused interactions")
        out.append(f"findings: {_plural(c['errors'], 'error')}, {c['drift']} drift")
        for f in self.findings[:MAX_FINDING_LINES]:
            test = (f.source or {}).get("test")
            out.append(f"  {f.severity}: {finding_line(f)}" + (f" [{test}]" if test else ""))
        if len(self.findings) > MAX_FINDING_LINES:
            more = len(self.findings) - MAX_FINDING_LINES
            out.append(
                f"  ... and {more} more" + (f" in {self.report_path}" if self.report_path else "")
            )
        return out

    def _failing_lines(self) -> list[str]:
        if not self.recorded_by_failing:
            return []
        head = (
            f"recorded by a failing test: {_plural(len(self.recorded_by_failing), 'cassette')} "
            "(kept; what was recorded may be why the test failed)"
        )
        rows = [f"  {c} [{t}]" for t, c in sorted(self.recorded_by_failing.items())]
        return _capped(head, rows)

    def _orphan_lines(self) -> list[str]:
        if not self.orphans:
            return []
        head = (
            f"orphaned: {_plural(len(self.orphans), 'cassette')} no collected test uses "
            "(a test renamed or deleted?)"
        )
        rows = [f"  {path}: {self.orphans[path]}" for path in sorted(self.orphans)]
        return _capped(head, rows, f" in {self.report_path}" if self.report_path else "")

    def with_sharers(self, tests: Iterable[str]) -> list[str]:
        """`tests` and every test sharing a cassette with one of them, in collection order:
        a shared cassette recorded anew (`all`) keeps only what the named tests record."""
        named = list(tests)
        wanted = set(named)
        sharing = [
            t
            for use in self.cassettes.values()
            if wanted & set(use.tests)
            for t in [*use.sharers, *use.tests]
        ]
        return list(dict.fromkeys([*sharing, *named]))

    def _next_steps(self, c: dict[str, int]) -> list[str]:
        def command(tests: Iterable[str]) -> str:
            return self.rerecord_command(self.with_sharers(tests))

        if self.rerecord:
            tests = self.with_sharers(self.rerecord)
            also = len(tests) - len(self.rerecord)
            shared = f" (with the {_plural(also, 'test')} sharing their cassettes)" if also else ""
            return [
                f"next: {_plural(len(self.rerecord), 'test')} met requests their cassettes do "
                f"not hold; re-record{shared}: {command(tests)}"
            ]
        if c["errors"]:
            if any(f.direction == "request" for f in self.findings if f.severity == "error"):
                return [
                    "next: fix the requests at the pointers above (or, if the API changed, "
                    "re-record the tests with --convitems-record-mode=all)"
                ]
            return [
                "next: the API's responses at the pointers above break the models; if the "
                "API changed, a newer pytest-convitems may know it (convitems drift --models "
                "lists what the models lack)"
            ]
        if self.recorded_by_failing:
            return [
                "next: once those tests pass, record them afresh: "
                + command(sorted(self.recorded_by_failing))
            ]
        if c["unused"]:
            unused = [u for u in self.cassettes.values() if u.unused]
            steps = []
            stale = sorted({t for u in unused if u.played for t in u.tests})
            if stale:
                steps.append("next: drop unused interactions by re-recording: " + command(stale))
            idle = sorted(u.path for u in unused if not u.played)
            if idle:
                # Re-recording writes nothing for tests that send nothing: the file stays.
                steps.append(
                    f"next: the tests of {_plural(len(idle), 'cassette')} sent no request; if "
                    f"they no longer call the API, delete {'it' if len(idle) == 1 else 'them'}: "
                    + " ".join(shlex.quote(p) for p in idle)
                )
            return steps
        if self.orphans:
            return [
                "next: rename each orphaned cassette to its test's name, or delete it "
                "(git keeps it)"
            ]
        return []
