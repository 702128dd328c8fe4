"""pytest wiring for pytest-convitems (options, marker, fixture, hooks); the work lives elsewhere.

Interception (`recording`), validation (`validation`), the summary (`report`) and drift
(`drift`) are plain modules; this file only reads settings and calls them.

Settings and their precedence (highest first):

    record mode    --convitems-replay (= none) > --convitems-record-mode
                   > ini convitems_replay (= none) > marker record_mode
                   > ini convitems_record_mode > default "once"
    cassette dir   --convitems-cassette-dir > ini convitems_cassette_dir
                   > default: `cassettes/` beside the test file
    cassette path  marker cassette= (relative to <cassette dir>/<test module>/)
                   > default <cassette dir>/<test module>/<test name>.yaml
    drift, report  --convitems-drift / --convitems-report > ini > default (off / none)

A mode option from addopts or PYTEST_ADDOPTS (replay, record mode, drift) gives way to
another typed on the command line. In short CLI > marker > ini, except that the ini replay switch beats a marker: when the
project says "replay", a marker cannot open the network. `once` (vcrpy's own default)
records a cassette that does not exist yet (or that this run created: tests sharing a new
cassette all record into it) and replays an existing one without touching the network;
`--convitems-replay` additionally fails a test whose cassette is missing.

`--convitems-drift=report|fail` is a live run (say, nightly): every request goes upstream,
each test's committed cassette is read but never written, and the shapes of the live
traffic are compared with the recorded ones at the end (`pytest_convitems.drift`);
`fail` sets exit status 1 on breaking changes. Reviewed changes are listed in
`convitems-drift-ignore.yaml` in the rootdir.

The report file (`--convitems-report`) is one JSON document, see `report.RunReport`; under
xdist each worker sends its part back and the controller merges them and writes the file.

Redaction: the defaults always apply; the ini keys `convitems_redact_headers`, `_query`,
`_json` and `_patterns` add the project's rules (`redact.configured_redactor`). Cassettes
are written through them, replay matches through them, and findings are reported through
them.
"""

from __future__ import annotations

import inspect
import os
import re
import shlex
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import pytest

from .cassette_names import (  # stdlib only
    cassette_for_test,
    is_file_name,
    module_folder,
    named_cassette,
)
from .errors import (  # no imports of its own: free at plugin load
    CassetteError,
    InputError,
    UnmatchedRequestError,
)
from .filenames import DRIFT_IGNORE_FILE  # likewise
from .marker_args import RECORD_MODES, marker_arguments, rewrite_hint  # likewise

if TYPE_CHECKING:
    from .drift import DriftCollector
    from .findings_cache import Validator
    from .recording import CassetteRecorder, ConvItemsCassette
    from .recording_vcr import Switchboard
    from .redact import Redactor
    from .report import RunReport

DRIFT_MODES: Final = ("off", "report", "fail")
ORPHAN_MODES: Final = ("report", "fail", "off")
REDACT_SETTINGS: Final = {
    "convitems_redact_headers": "header names (requests and responses)",
    "convitems_redact_query": "query parameter names",
    "convitems_redact_json": "JSON pointers into request and response bodies (* for any key)",
    "convitems_redact_patterns": "regular expressions, anywhere",
}
"""`redact.SETTINGS`, repeated so that registering the ini keys does not import the
redaction module (~2 ms) into every pytest run; a test keeps the two equal."""


class _State:
    """Run-wide state, kept in `config.stash`."""

    def __init__(self, config: pytest.Config, run_id: str) -> None:
        from .report import RerecordCommand, RunReport

        self.config = config
        self.run_id = run_id
        self.root = str(config.rootpath) + os.sep
        self.folders: dict[Path, str] = {}
        """Cassette folder per test file: path arithmetic once per module, not per test."""
        self.cli_replay: bool = config.getoption("convitems_replay")
        self.cli_mode: str | None = config.getoption("convitems_record_mode")
        try:
            self.ini_replay = bool(config.getini("convitems_replay"))
        except (ValueError, pytest.UsageError) as exc:  # its message names no key
            raise pytest.UsageError(f"convitems_replay: {exc} (use true or false)") from None
        self.ini_mode: str | None = config.getini("convitems_record_mode") or None
        self.cassette_dir = _option_path(config, "convitems_cassette_dir")
        if self.cassette_dir is not None and self.cassette_dir.is_file():
            # Else every test fails alone with "Not a directory" under this path.
            raise pytest.UsageError(
                f"convitems_cassette_dir / --convitems-cassette-dir: {self.cassette_dir} is a "
                "file; give the folder cassettes live in (it is created when first recorded)"
            )
        self.cassette_dir_name = self.cassette_dir.name if self.cassette_dir else "cassettes"
        # `addopts = --convitems-replay` (or PYTEST_ADDOPTS) is the project's default; a mode
        # typed on this command line (a printed re-record command, a live drift run) wins,
        # as a later option does. Two typed modes stay a contradiction (below).
        typed = {flag for flag in _MODE_FLAGS if _typed(config, flag)}
        cli_drift: str | None = config.getoption("convitems_drift")
        if typed:
            if "--convitems-replay" not in typed:
                self.cli_replay = False
            if "--convitems-record-mode" not in typed:
                self.cli_mode = None
            if "--convitems-drift" not in typed:
                cli_drift = None
        drift = cli_drift or config.getini("convitems_drift") or "off"
        if drift not in DRIFT_MODES:
            raise pytest.UsageError(
                f"convitems_drift = {drift!r}: choose one of {', '.join(DRIFT_MODES)}"
            )
        self.report_path = _option_path(config, "convitems_report")
        if self.report_path is not None and self.report_path.is_dir():
            raise pytest.UsageError(
                f"--convitems-report={self.report_path} is a folder; give a file name, "
                "e.g. --convitems-report=convitems-report.json"
            )
        blocker = _file_on_the_way(self.report_path) if self.report_path else None
        if blocker is not None:
            # Else the whole suite runs first and the report is lost at the end.
            raise pytest.UsageError(
                f"--convitems-report={self.report_path}: {blocker} is a file, not a folder; "
                "give a path in a folder"
            )
        self.rerecord_command = RerecordCommand(
            # Without them the command would record where the next run does not look.
            options=_where_cassettes_live(config),
            root=str(config.rootpath),
            cwd=str(config.invocation_params.dir),
        )
        self.report: RunReport = RunReport(
            drift_mode=drift,
            report_path=str(self.report_path) if self.report_path else None,
            rerecord_command=self.rerecord_command,
        )
        self._switchboard: Switchboard | None = None
        self._validate: Validator | None = None
        self._redaction = {key: list(config.getini(key)) for key in REDACT_SETTINGS}
        self._redactor: Redactor | None = None
        if any(self._redaction.values()):
            self._redactor = self.redactor  # a rule that cannot work stops the run here
        # Checked here so a bad setting stops the run at startup, not in the first test;
        # without importing vcrpy, which waits until a test asks for a cassette.
        if self.cli_replay and self.cli_mode not in (None, "none"):
            raise pytest.UsageError(
                f"--convitems-replay replays only, but --convitems-record-mode={self.cli_mode} "
                "asks to record: drop one of them"
            )
        if drift != "off" and self.ini_replay and not cli_drift:
            # Both from the ini file: neither is the more explicit, and one of them would
            # silently open the network the other keeps closed.
            raise pytest.UsageError(
                f"convitems_drift = {drift} runs the tests live, and convitems_replay = true "
                "keeps them off the network: set one of them (run live drift with "
                "--convitems-drift on the command line)"
            )
        if drift != "off" and (self.cli_replay or self.cli_mode is not None):
            raise pytest.UsageError(
                f"--convitems-drift={drift} runs the tests live and compares with the committed "
                "cassettes without writing them; it cannot be combined with --convitems-replay "
                "or --convitems-record-mode"
            )
        self.drift_mode = drift
        self._collector: DriftCollector | None = None
        self.deselected: set[Path] = set()
        """Test files some of whose tests this run deselected (-k, -m, --lf...)."""
        self.deselected_items: list[pytest.Item] = []
        """Those tests: they share cassettes with the ones that run (`sharing`)."""
        self.arguments: list[tuple[Path, bool]] | None = None
        """`_arguments`: the command line's paths, resolved on first need."""
        self.opened: dict[pytest.Item, str] = {}
        """The cassette each test that ran opened: the orphan check needs no second look."""
        self._users: dict[str, list[str]] | None = None
        """Cassette -> the collected tests that use it (`sharing`)."""
        self.session: pytest.Session | None = None
        self.failures_at_setup = 0
        """The session's failure count when the running convitems test started (one runs
        at a time in a process): more at its teardown means it failed."""
        self.ini_match_on: list[str] | None = _words(config, "convitems_match_on") or None
        if self.ini_match_on is not None:
            from .recording import key_for

            try:
                key_for(self.ini_match_on)
            except InputError as err:
                raise pytest.UsageError(f"convitems_match_on: {err}") from None
        self.module_defaults: dict[Path, dict[str, list[str]]] = {}
        self.warned_shared_cassettes: set[str] = set()
        """Test file -> its tests' default cassettes (`_warn_of_a_shared_default_name`)."""
        self.by_file: dict[Path, list[pytest.Item]] | None = None
        self.shared_folders: dict[str, list[Path]] | None = None
        """Module folders two test files would share (`_refuse_a_shared_module_folder`)."""
        self.cut_short: set[str] = set()
        """Tests that skipped or failed (set up, called or torn down with an exception)."""
        self.rerecord_targets: dict[str, list[str]] = {}
        """Test -> what to re-record with it: a broad fixture of its missed (`_fixture_miss`)."""
        self.record_mode_warned = False
        self.fixtures_warned: set[str] = set()
        self.warned_files: set[Path] = set()
        """pytest-recording settings a warning named already (`_warn_of_pytest_recording_settings`)."""
        self.orphan_mode: str = config.getini("convitems_orphans") or "report"
        if self.orphan_mode not in ORPHAN_MODES:
            raise pytest.UsageError(
                f"convitems_orphans = {self.orphan_mode!r}: choose one of {', '.join(ORPHAN_MODES)}"
            )
        if self.ini_mode is not None and self.ini_mode not in RECORD_MODES:
            raise pytest.UsageError(
                f"convitems_record_mode = {self.ini_mode!r}: choose one of "
                f"{', '.join(RECORD_MODES)}{rewrite_hint(self.ini_mode)}"
            )

    def sharing(self, cassette: str) -> list[str]:
        """The collected tests, run or deselected, whose cassette is `cassette` (as text)."""
        return self.users().get(cassette, [])

    def users(self) -> dict[str, list[str]]:
        """Cassette (as text) -> the collected tests, run or deselected, that use it; worked
        out on first need (a miss, or the end of a run that used cassettes)."""
        if self._users is None:
            self._users = {}
            items = self.session.items if self.session is not None else []
            if self.deselected_items:  # back in file order: commands name tests in it
                items = sorted([*items, *self.deselected_items], key=_file_order)
            for item in items:
                used = self.opened.get(item)  # known for the tests that ran: no second look
                if used is None:
                    used = _cassette_of(self, item, _markers(item)[0])
                if used is not None:
                    self._users.setdefault(used, []).append(item.nodeid)
        return self._users

    @property
    def switchboard(self) -> Switchboard:
        if self._switchboard is None:
            from .recording_vcr import Switchboard

            self._switchboard = Switchboard(ignore_hosts=_hosts(self.config))
        return self._switchboard

    @property
    def collector(self) -> DriftCollector:
        if self._collector is None:
            from .drift import DriftCollector

            self._collector = DriftCollector()
        return self._collector

    def finish_drift(self) -> None:
        """Compare the run's live traffic with the committed cassettes, once, at the end."""
        from .drift import load_ignore, summary_lines

        ignore_path = self.config.rootpath / DRIFT_IGNORE_FILE
        try:
            ignore = load_ignore(ignore_path) if ignore_path.is_file() else None
        except InputError as err:
            self.report.notes.append(f"convitems: {err} (drift compared without it)")
            ignore = None
        drift = self.collector.report(ignore=ignore)
        self.report.drift = drift.to_dict()
        self.report.drift_lines = summary_lines(drift)
        self.report.drift_failed = self.drift_mode == "fail" and drift.exit_code("breaking") == 1

    @property
    def redactor(self) -> Redactor:
        """The default redaction plus the project's `convitems_redact_*` rules; built on
        first use (a run with no cassette never imports the redaction module)."""
        if self._redactor is None:
            from .redact import configured_redactor

            try:
                self._redactor = configured_redactor(self._redaction)
            except ValueError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._redactor

    @property
    def validate(self) -> Validator:
        if self._validate is None:
            # A lazy wrapper: a replay answered from the findings cache never imports the models.
            from .recording import validate_exchange

            self._validate = validate_exchange
        return self._validate


_STATE: Final = pytest.StashKey[_State]()
_RECORDER: Final = pytest.StashKey["CassetteRecorder"]()
_ACTIVATION: Final = pytest.StashKey["Switchboard"]()


def _where_cassettes_live(config: pytest.Config) -> str:
    """The options of this run a re-record command repeats: the ini file given with `-c`,
    `-o convitems_...` overrides, `--convitems-cassette-dir` (each as given, relative to
    where pytest ran, as the command is)."""
    words: list[str] = []
    inifile = config.getoption("inifilename", None)
    if inifile:
        words += ["-c", shlex.quote(str(inifile))]
    for override in config.getoption("override_ini", None) or ():
        if override.startswith("convitems_"):
            words += ["-o", shlex.quote(override)]
    given_dir = config.getoption("convitems_cassette_dir")
    if given_dir:
        words.append(f"--convitems-cassette-dir={shlex.quote(given_dir)}")
    return " ".join(words)


_MODE_FLAGS: Final = ("--convitems-replay", "--convitems-record-mode", "--convitems-drift")


def _typed(config: pytest.Config, flag: str) -> bool:
    """Whether `flag` is on the command line itself, not in addopts / PYTEST_ADDOPTS."""
    return any(a == flag or a.startswith(flag + "=") for a in config.invocation_params.args)


def _hosts(config: pytest.Config) -> list[str]:
    """`convitems_ignore_hosts` as host names, however written: `localhost, example.org`,
    `localhost:8000` or `http://localhost:8000/` (vcrpy compares the host alone, and a
    name it never sees ignored nothing: the app under test went into the cassettes)."""
    hosts = []
    for word in _words(config, "convitems_ignore_hosts"):
        for part in filter(None, word.split(",")):
            host = urlsplit(part if "//" in part else f"//{part}").hostname
            if host:
                hosts.append(host)
    return hosts


def _words(config: pytest.Config, name: str) -> list[str]:
    """A list ini key's values, one a line or several on one line (`localhost 127.0.0.1`),
    as a user writes them either way."""
    return [word for line in config.getini(name) for word in line.split()]


def _file_on_the_way(path: Path) -> Path | None:
    """The nearest existing folder above `path`, when it is a file instead."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _option_path(config: pytest.Config, name: str) -> Path | None:
    """As pytest reads paths: from the command line relative to where pytest was run
    (`--junitxml`, `--basetemp`), from the ini file relative to its folder."""
    given = config.getoption(name)
    if given:
        base = config.invocation_params.dir
    else:
        given = config.getini(name)
        base = config.inipath.parent if config.inipath is not None else config.rootpath
    if not given:
        return None
    path = Path(given).expanduser()
    # Normalised: compared with the paths pytest collects (`pytest_ignore_collect`).
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("convitems", "OpenAI Conversations items: record, replay, validate")
    group.addoption(
        "--convitems-replay",
        action="store_true",
        default=False,
        dest="convitems_replay",
        help="Replay only: no request of a convitems test (marker or fixture) leaves the "
        "machine; an unrecorded request fails its test.",
    )
    group.addoption(
        "--convitems-record-mode",
        choices=RECORD_MODES,
        default=None,
        dest="convitems_record_mode",
        help='Cassette record mode (default "once": record missing cassettes, replay existing).',
    )
    group.addoption(
        "--convitems-cassette-dir",
        default=None,
        dest="convitems_cassette_dir",
        metavar="DIR",
        help="Folder of cassettes (default: cassettes/ beside each test file).",
    )
    group.addoption(
        "--convitems-drift",
        choices=DRIFT_MODES,
        default=None,
        dest="convitems_drift",
        help='Run live and compare with the committed cassettes (never written): "off" '
        '(default), "report" the drift, or "fail" the run on breaking changes.',
    )
    group.addoption(
        "--convitems-report",
        default=None,
        dest="convitems_report",
        metavar="FILE",
        help="Write the run's cassettes and findings as one JSON document to this file.",
    )
    parser.addini(
        "convitems_replay", "Replay only (like --convitems-replay).", type="bool", default=False
    )
    parser.addini("convitems_record_mode", "Default record mode.", default="")
    parser.addini("convitems_cassette_dir", "Folder of cassettes.", default="")
    parser.addini("convitems_drift", "off, report or fail.", default="")
    parser.addini(
        "convitems_ignore_hosts",
        "Host names a convitems test reaches directly: never recorded, replayed or refused "
        "(vcrpy's ignore_hosts; e.g. localhost for the app under test).",
        type="linelist",
    )
    for key, what in REDACT_SETTINGS.items():
        parser.addini(
            key,
            f"Redacted beyond the defaults, in cassettes, reports, logs and messages: {what}.",
            type="linelist",
        )
    parser.addini(
        "convitems_match_on",
        "Request parts replay matches on, for every test without its own marker match_on: "
        "any of method path query body (default: all four).",
        type="linelist",
    )
    parser.addini("convitems_report", "Report file.", default="")
    parser.addini(
        "convitems_orphans",
        "Cassettes no collected test uses: report (default), fail the run, or off.",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "convitems(cassette=None, record_mode=None, match_on=None): record and replay this "
        "test's OpenAI Conversations items traffic and validate it.",
    )
    workerinput = getattr(config, "workerinput", None)
    run_id = workerinput.get("convitems_run_id", "") if workerinput else uuid.uuid4().hex
    config.stash[_STATE] = _State(config, run_id)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "convitems-xdist")


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.session = session


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave cassette folders unwalked: they hold YAML and JSON only, and pytest would look at
    every file of a thousand-cassette folder on every run (~50 µs each, on replay too).

    A cassette folder is the configured one, or (the default) a `cassettes` folder. It is
    walked as usual when Python files sit at its top or one level down (where cassettes
    keep their `<test module>/` folders), so a folder of tests named as the cassette folder,
    say `convitems_cassette_dir = tests`, still has its tests collected."""
    state = config.stash.get(_STATE, None)
    if state is None or collection_path.name != state.cassette_dir_name:
        return None
    if state.cassette_dir is not None and collection_path != state.cassette_dir:
        return None
    return None if _has_python(collection_path, depth=2) else True


def _has_python(folder: Path | str, *, depth: int) -> bool:
    try:
        with os.scandir(folder) as entries:
            subfolders = []
            for entry in entries:
                if entry.name.endswith(".py"):
                    return True
                if depth > 1 and entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)
    except OSError:
        return True  # unsure: let pytest walk it
    return any(_has_python(sub, depth=depth - 1) for sub in subfolders)


class _XdistHooks:
    """Workers send their part of the report back; the controller merges the parts."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["convitems_run_id"] = node.config.stash[_STATE].run_id

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        state = node.config.stash[_STATE]
        if output.get("convitems"):
            state.report.merge(output["convitems"])
        if output.get("convitems_drift"):
            state.collector.merge_json(output["convitems_drift"])


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        state = items[0].config.stash.get(_STATE, None)
        if state is not None:
            state.deselected.update(item.path for item in items)
            state.deselected_items += items


def _arguments(state: _State) -> list[tuple[Path, bool]]:
    """Each path the command line named, resolved, and whether `::` narrowed it to some of
    its tests; worked out once a run."""
    if state.arguments is None:
        here = state.config.invocation_params.dir
        state.arguments = [
            ((here / target).resolve(), bool(sep))
            for target, sep, _ in (arg.partition("::") for arg in state.config.args)
        ]
    return state.arguments


def _whole_module(state: _State, item: pytest.Item) -> bool:
    """Whether this run collected every test of the item's file: no test of it deselected,
    and no `file.py::test` argument narrowing it."""
    if item.path in state.deselected:
        return False
    return not any(narrowed and path == item.path for path, narrowed in _arguments(state))


def _unclaimed_beside(state: _State, item: pytest.Item, recorder: CassetteRecorder) -> list[str]:
    """The cassettes in the folder of this test's missing one that no test of its file
    uses: after a test is renamed, its recording sits there under the old name."""
    if not _whole_module(state, item):
        return []  # the file's other tests were not collected: their cassettes look unused
    from .orphans import unused_in_module_folder

    # Every collected test's claims: one of another file may name a cassette here.
    claimed, _ = _claims(state, item.session.items)
    claimed.add(recorder.path_text)
    found = unused_in_module_folder(item.path, str(recorder.path.parent), claimed)
    return [os.path.basename(o.path) for o in found]


def _claims(state: _State, items: list[pytest.Item]) -> tuple[set[str], bool]:
    """The cassettes these tests use, and whether any of them is pytest-recording's (whose
    cassette names follow its own fixtures, unseen here)."""
    claimed: set[str] = set()
    vcr_seen = False
    for item in items:
        opened = state.opened.get(item)
        if opened is not None:
            claimed.add(opened)
            continue
        markers, theirs = _markers(item)
        vcr_seen = vcr_seen or "vcr" in theirs
        used = _cassette_of(state, item, markers)
        if used is not None:
            claimed.add(used)
    return claimed, vcr_seen


def _file_order(item: pytest.Item) -> tuple[str, int]:
    return str(item.path), item.location[1] or 0


def _cassette_of(state: _State, item: pytest.Item, markers: list[pytest.Mark]) -> str | None:
    """The cassette a convitems test uses, as text; None for other tests, and for one whose
    marker is wrong (its own setup reports that)."""
    if not markers and "convitems" not in getattr(item, "fixturenames", ()):
        return None
    try:
        return _cassette_path(state, item, _marker_kwargs(markers).get("cassette"))[1]
    except InputError:
        return None


def _orphans(state: _State, session: pytest.Session) -> dict[str, str]:
    """Cassettes no collected test uses, as the report shows them.

    Looked for only where the run can know: the folder of each test file whose every test
    was collected (no `-k`, `::` or other narrowing) and that has a convitems test; and,
    with the default `cassettes/` beside the test files, folders whose test file is gone,
    when the run collected that whole directory. Files of pytest-recording's tests are
    left alone (its cassette names follow fixtures this plugin does not see)."""
    from .orphans import in_folders_of_missing_modules, sort_orphans, unused_in_module_folder

    modules: dict[Path, list[pytest.Item]] = {}
    for item in session.items:
        modules.setdefault(item.path, []).append(item)
    found = []
    claims = {module: _claims(state, items) for module, items in modules.items()}
    # A test may name a cassette in another module's folder (`cassette="../test_b/x"`):
    # a folder is judged against every collected claim (a run of test_b.py alone cannot
    # see test_a's: the README says so).
    claimed_all = {c for claimed, _ in claims.values() for c in claimed}
    known: set[str] = set()
    vcr_anywhere = False
    for module, items in modules.items():
        claimed, vcr = claims[module]
        vcr_anywhere = vcr_anywhere or vcr
        folder = _module_folder(state, items[0])
        known.add(folder)
        if claimed and not vcr and _whole_module(state, items[0]):
            found += unused_in_module_folder(module, folder, claimed_all)
    if state.cassette_dir is None and not vcr_anywhere:
        roots = {m.parent for m in modules if _whole_directory(state, m.parent)}
        patterns = state.config.getini("python_files")
        for directory in roots:
            found += in_folders_of_missing_modules(
                directory / "cassettes", known, claimed_all, patterns
            )
    return {_label(state, o.path): o.why for o in sort_orphans(found)}


def _whole_directory(state: _State, directory: Path) -> bool:
    """Whether the run collected every test file of `directory`: an argument names it or a
    folder above it, and nothing was deselected."""
    if state.deselected:
        return False
    return any(
        not narrowed and (path == directory or path in directory.parents)
        for path, narrowed in _arguments(state)
    )


def _unmatched_text(
    state: _State, item: pytest.Item, recorder: CassetteRecorder, error: BaseException
) -> str:
    text = str(error)
    others = [e.target for e in recorder.unmatched if e is not error]
    if others:
        # Concurrent calls (asyncio.gather) can miss together; one message per test.
        text += f"\n  and {len(others)} more request(s) this cassette does not hold:"
        text += "".join(f"\n    {target}" for target in others[:5])
    if not recorder.existed and state.cassette_dir is not None:
        # Packaged test files' folders were named by file name before (`<dir>/test_api`)
        old_folder = state.cassette_dir / item.path.stem
        old = old_folder / recorder.path.name
        if old != recorder.path and old.is_file():
            # The file, not the folder: files of one name in packages shared that folder.
            new_folder = shlex.quote(_label(state, str(recorder.path.parent)))
            text += (
                f"\n  it is at {_label(state, str(old))}, where earlier versions kept it: "
                f"mkdir -p {new_folder} && git mv {shlex.quote(_label(state, str(old)))} "
                f"{new_folder}/"
            )
    if not recorder.existed:
        unclaimed = _unclaimed_beside(state, item, recorder)
        if unclaimed:
            text += (
                f"\n  beside it, no test of {item.path.name} uses: {', '.join(unclaimed)}; "
                f"if this test was renamed, rename its cassette to {recorder.path.name}"
            )
    return text


def _marker_kwargs(markers: list[pytest.Mark]) -> dict[str, Any]:
    """The convitems markers' arguments (nearest first), the nearest marker winning."""
    return marker_arguments([(m.args, m.kwargs) for m in markers])


def _cassette_path(state: _State, item: pytest.Item, name: str | None) -> tuple[Path, str]:
    """The cassette's path, and as text."""
    folder = _module_folder(state, item)
    if name:
        path = named_cassette(name, folder)
        return path, str(path)
    cls = getattr(item, "cls", None)
    text = cassette_for_test(folder, item.name, cls.__name__ if cls is not None else None)
    return Path(text), text


def _module_folder(state: _State, item: pytest.Item) -> str:
    folder = state.folders.get(item.path)
    if folder is None:
        folder = state.folders[item.path] = module_folder(item.path, state.cassette_dir)
        file = item.nodeid.partition("::")[0]
        if not item.path.is_relative_to(state.config.rootpath):
            state.rerecord_command.files[file] = str(item.path)  # once a file
    return folder


def _items_by_file(state: _State, item: pytest.Item) -> dict[Path, list[pytest.Item]]:
    """The collected tests, run or deselected, by file: grouped once a run."""
    if state.by_file is None:
        state.by_file = {}
        for other in [*item.session.items, *state.deselected_items]:
            state.by_file.setdefault(other.path, []).append(other)
    return state.by_file


def _refuse_a_shared_module_folder(state: _State, item: pytest.Item) -> None:
    """Under a cassette dir, two test files outside packages with one name (allowed with
    `--import-mode=importlib`) would keep their cassettes in one folder: one test replays
    another's recording, and each file's orphans are the other's cassettes."""
    if state.shared_folders is None:
        owners: dict[str, set[Path]] = {}
        for path, others in _items_by_file(state, item).items():
            if any(_cassette_of(state, other, _markers(other)[0]) for other in others):
                owners.setdefault(_module_folder(state, others[0]), set()).add(path)
        state.shared_folders = {f: sorted(p) for f, p in owners.items() if len(p) > 1}
    files = state.shared_folders.get(_module_folder(state, item))
    if files:
        named = " and ".join(_label(state, str(f)) for f in files)
        raise InputError(
            f"{named} would keep their cassettes in one folder, "
            f"{_label(state, _module_folder(state, item))} (under a cassette dir a test file's "
            "folder is named after its module, and outside packages that is its file name): "
            "add an __init__.py to their folders (each gets its package's name), or rename one"
        )


def _label(state: _State, text: str) -> str:
    return text[len(state.root) :] if text.startswith(state.root) else text


def _recorder(state: _State, item: pytest.Item, markers: list[pytest.Mark]) -> CassetteRecorder:
    from .recording import CassetteRecorder, resolve_record_mode

    try:
        kwargs = _marker_kwargs(markers)
        mode = resolve_record_mode(
            cli_replay=state.cli_replay,
            cli_mode=state.cli_mode,
            ini_replay=state.ini_replay,
            marker_mode=kwargs.get("record_mode"),
            ini_mode=state.ini_mode,
        )
        if state.cassette_dir is not None:
            _refuse_a_shared_module_folder(state, item)
        path, text = _cassette_path(state, item, kwargs.get("cassette"))
        if not kwargs.get("cassette"):  # one named on the marker is shared on purpose
            _warn_of_a_shared_default_name(state, item, text)
        live = state.drift_mode != "off"
        return CassetteRecorder(
            path=path,
            path_text=text,
            label=_label(state, text),
            # A live drift run sends everything upstream and keeps the cassette as it is.
            record_mode="all" if live else mode,
            persist=not live,
            nodeid=item.nodeid,
            validate=state.validate,
            redactor=state.redactor,
            match_on=kwargs.get("match_on", state.ini_match_on),
            run_id=state.run_id,
            rerecord_command=state.rerecord_command,
            sharing=state.sharing,
        )
    except InputError as err:
        raise pytest.fail.Exception(f"convitems: {err}", pytrace=False) from None


@pytest.fixture
def convitems(request: pytest.FixtureRequest) -> ConvItemsCassette:
    """This test's cassette: HTTP is replayed from / recorded into it while the test runs."""
    from .recording import ConvItemsCassette

    return ConvItemsCassette(request.node.stash[_RECORDER])


def _markers(item: pytest.Item) -> tuple[list[pytest.Mark], list[str]]:
    """The convitems markers, nearest first (test > class > module), and the names of
    pytest-recording's markers there too (`vcr`, `default_cassette`): one walk."""
    ours: list[pytest.Mark] = []
    theirs: list[str] = []
    for marker in item.iter_markers():
        if marker.name == "convitems":
            ours.append(marker)
        elif marker.name in _PYTEST_RECORDING_MARKERS:
            theirs.append(marker.name)
    return ours, theirs


_PYTEST_RECORDING_MARKERS: Final = frozenset({"vcr", "default_cassette"})


def _foreign_marker_error(item: pytest.Item, theirs: list[str]) -> str:
    if "vcr" in theirs:
        inherited = not any(m.name == "vcr" for m in item.own_markers)
        where = " (inherited from its class or its module's pytestmark)" if inherited else ""
        # pytest-recording would patch over us and our cassette would silently see nothing.
        text = (
            f"convitems: this test uses both @pytest.mark.vcr{where} (pytest-recording) and "
            "convitems; keep one of them"
        )
    else:
        text = (
            "convitems: @pytest.mark.default_cassette is pytest-recording's and convitems "
            "does not read it; name the cassette with @pytest.mark.convitems(cassette='...')"
        )
    return text


class ConvitemsWarning(pytest.PytestWarning):
    """A setting convitems tests do not follow, or two tests falling on one cassette."""


def _warn_of_a_shared_default_name(state: _State, item: pytest.Item, cassette: str) -> None:
    """Two tests whose names become one file name (`test_p[a/b]`, `test_p[a:b]`: pytest-
    recording's names turn both into `test_p[a-b]`) would record into, and replay, one
    cassette: the second gets the first's answers. Only a name that needed a character
    replaced can meet another; it is compared with every collected test of its file (under
    xdist the other may run on another worker)."""
    if is_file_name(item.name):
        return
    defaults = state.module_defaults.get(item.path)
    if defaults is None:
        defaults = state.module_defaults[item.path] = {}
        for other in _items_by_file(state, item).get(item.path, []):
            markers = _markers(other)[0]
            if not any(m.args or "cassette" in m.kwargs for m in markers):
                used = _cassette_of(state, other, markers)
                if used is not None:
                    defaults.setdefault(used, []).append(other.nodeid)
    others = [nodeid for nodeid in defaults.get(cassette, []) if nodeid != item.nodeid]
    if not others or cassette in state.warned_shared_cassettes:
        return
    state.warned_shared_cassettes.add(cassette)  # once a cassette (in a process)
    import warnings

    message = (
        f"{item.nodeid} and {' and '.join(others)} use one cassette, "
        f"{_label(state, cassette)} (their names differ only in characters a file name "
        "cannot hold), so one replays the other's recording: give one of them its own name "
        'with @pytest.mark.convitems(cassette="...") or change its id'
    )
    path, line, _ = item.location
    try:
        warnings.warn_explicit(
            ConvitemsWarning(message),
            ConvitemsWarning,
            str(state.config.rootpath / path),
            (line or 0) + 1,
        )
    except ConvitemsWarning:  # -W error: the message, not this plugin's stack
        raise pytest.fail.Exception(f"convitems: {message}", pytrace=False) from None


def _warn_of_pytest_recording_settings(state: _State, item: pytest.Item) -> None:
    """A suite moving over from pytest-recording keeps settings convitems does not read:
    silently ignored, a `filter_headers` leaves a token in the cassette and
    `--record-mode=none` records from the network."""
    import warnings

    # Given, not a default (older pytest-recording defaulted to "none"): on the command
    # line, in addopts or in PYTEST_ADDOPTS, where a CI suite keeps it.
    given = any(
        a.startswith("--record-mode")
        for a in (
            *item.config.invocation_params.args,
            *item.config.getini("addopts"),
            *os.environ.get("PYTEST_ADDOPTS", "").split(),
        )
    )
    chose = state.cli_replay or state.cli_mode is not None or state.drift_mode != "off"
    if given and not chose and not state.record_mode_warned:
        state.record_mode_warned = True
        warnings.warn_explicit(
            ConvitemsWarning(
                f"--record-mode={item.config.getoption('record_mode', None)} is "
                "pytest-recording's: it applies to @pytest.mark.vcr tests only, not to "
                "convitems tests; give them --convitems-replay (for none) or "
                "--convitems-record-mode"
            ),
            ConvitemsWarning,
            str(item.path),
            (item.location[1] or 0) + 1,
        )
    manager = getattr(item.session, "_fixturemanager", None)
    for name in ("vcr_config", "vcr_cassette_dir"):
        try:
            defs = manager.getfixturedefs(name, item) if manager is not None else None
        except (AttributeError, TypeError):  # pytest's internals moved: skip the hint
            return
        for fixture in defs or ():
            module = getattr(fixture.func, "__module__", "") or ""
            where = f"{module}.{fixture.argname}"
            if module.startswith("pytest_recording") or where in state.fixtures_warned:
                continue
            state.fixtures_warned.add(where)
            code = getattr(fixture.func, "__code__", None)
            instead = (
                "its filters and hooks do not apply to convitems cassettes; see 'Coming from "
                "pytest-recording' in the README for each setting (e.g. filter_headers is the "
                "ini key convitems_redact_headers)"
                if name == "vcr_config"
                else "convitems cassettes are not looked for in its folder; use "
                "--convitems-cassette-dir or the ini key convitems_cassette_dir"
            )
            warnings.warn_explicit(  # pointing at the fixture, not at this plugin
                ConvitemsWarning(
                    f"the {name} fixture in {module} is pytest-recording's: convitems does not "
                    f"read it, so {instead}"
                ),
                ConvitemsWarning,
                code.co_filename if code is not None else str(item.path),
                code.co_firstlineno if code is not None else 1,
            )


# Interception starts before the test's fixtures are set up and ends after they are torn
# down, so requests made by fixtures go through the cassette too. Hooks, not an autouse
# fixture: an unmarked test pays one walk over its markers and nothing else.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    markers, theirs = _markers(item)
    if markers or "convitems" in getattr(item, "fixturenames", ()):
        if theirs:
            raise pytest.fail.Exception(_foreign_marker_error(item, theirs), pytrace=False)
        state = item.config.stash[_STATE]
        if item.path not in state.warned_files:  # once a test file: its first convitems test
            state.warned_files.add(item.path)
            _warn_of_pytest_recording_settings(state, item)
        recorder = _recorder(state, item, markers)
        item.stash[_RECORDER] = recorder
        state.opened[item] = recorder.path_text
        state.failures_at_setup = item.session.testsfailed
        board = state.switchboard
        try:
            board.start(recorder)
        except InputError as err:  # vcrpy's patches cannot go on: say what to install
            raise pytest.fail.Exception(f"convitems: {err}", pytrace=False) from None
        item.stash[_ACTIVATION] = board
    try:
        return (yield)
    except BaseException as exc:
        item.config.stash[_STATE].cut_short.add(item.nodeid)
        _fixture_miss(item, exc, 0)
        raise


_BROAD_SCOPES: Final = ("class", "module", "package", "session")
_INSTALLED: Final = re.compile(r"[/\\](?:site|dist)-packages[/\\]")
"""Where installed packages (pytest's own fixtures among them) live."""


def _fixture_miss(
    item: pytest.Item,
    exc: BaseException,
    before: int,
    nextitem: pytest.Item | None = None,
    *,
    tearing_down: bool = False,
) -> None:
    """A request a fixture made (setting up or tearing down) that the cassette does not
    hold: said in our words, with what to re-record together when a fixture wider than
    the test made it (its requests live in the cassette of the test that ran it). Returns
    when `exc` is not such a miss; raises otherwise."""
    recorder = item.stash.get(_RECORDER, None)
    if recorder is None:
        return
    state = item.config.stash[_STATE]
    if len(recorder.unmatched) <= before:
        earlier = _an_earlier_miss(exc)
        if earlier is not None:  # pytest re-raises a broad fixture's cached failure
            raise pytest.fail.Exception(
                "convitems: a fixture this test uses failed in an earlier test, on a request "
                f"that test's cassette does not hold:\n{earlier}",
                pytrace=False,
            ) from None
        return
    text = _unmatched_text(state, item, recorder, recorder.unmatched[before])
    doing = "tearing down" if tearing_down else "setting up"
    if tearing_down:
        # What ends here: the nodes the next test does not share (a module's fixtures end
        # after its last test, whichever fixtures that test used itself).
        ending, targets = _ending(state, item, nextitem)
        why = (
            f"the fixtures of the {ending} ending after this test, which are recorded in "
            "the cassette of whichever test they end after"
        )
    else:
        broad = _broad_fixtures(item)
        targets = _sharing_fixtures(state, item, broad) if broad else []
        names = ", ".join(f"{name} ({scope})" for name, scope in broad.items())
        why = (
            f"the test's fixtures, where {names} run once for many tests and are recorded in "
            "the cassette of the first test that ran them"
        )
    if targets and targets != [item.nodeid]:
        state.rerecord_targets[item.nodeid] = targets
        text += (
            f"\n  made while {doing} {why}. Re-record the tests that share them together: "
            f"{state.rerecord_command(targets)}, and replay them together (-k, --lf or "
            "pytest-xdist can then miss); or make the fixture function-scoped"
        )
    else:
        text += f"\n  made while {doing} the test's fixtures"
    if any(exc is err for err in recorder.unmatched[before:]):
        raise pytest.fail.Exception(text, pytrace=False) from None
    exc.add_note(text)  # the client wrapped it (openai's APIConnectionError)


def _an_earlier_miss(exc: BaseException) -> UnmatchedRequestError | None:
    seen: BaseException | None = exc
    for _ in range(16):  # a chain is short; a cycle must not hang
        if seen is None:
            return None
        if isinstance(seen, UnmatchedRequestError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


_NODE_SCOPES: Final = (
    (pytest.Session, "session"),
    (pytest.Package, "package"),
    (pytest.Module, "module"),
    (pytest.Class, "class"),
)


def _ending(
    state: _State, item: pytest.Item, nextitem: pytest.Item | None
) -> tuple[str, list[str]]:
    """The widest scope ending after this test (a node the next test does not share) whose
    fixtures some test in it holds, and what to re-record for it: its class, its file, or
    the files of its package or run. ("function", [the test]) when none: the test's own
    fixture made the request (the last test of a file or run ends every scope)."""
    staying = set(nextitem.listchain()) if nextitem is not None else set()
    for node in item.listchain():
        if node in staying:
            continue
        scope = next((s for kind, s in _NODE_SCOPES if isinstance(node, kind)), None)
        if scope is None:
            continue
        region = [
            other
            for others in _items_by_file(state, item).values()
            for other in others
            if node in other.listchain()
        ]
        held = (d for other in region for d in _broad_fixture_defs(other).values())
        if any(_ends_with(node, scope, where) for scope, where in held):
            if scope == "class":
                file, _, rest = item.nodeid.partition("::")
                return scope, [f"{file}::{rest.split('::')[0]}"]
            return scope, sorted({other.nodeid.partition("::")[0] for other in region})
    return "function", [item.nodeid]


def _ends_with(node: Any, scope: str, where: Path) -> bool:
    """Whether a fixture of `scope` defined in `where` ends with `node`. A package fixture
    belongs to the package it is defined in; outside any package it lives for the run."""
    if isinstance(node, pytest.Package):
        return scope == "package" and where.parent == node.path
    if isinstance(node, pytest.Session):
        return scope == "session" or (
            scope == "package" and not (where.parent / "__init__.py").is_file()
        )
    return scope == ("module" if isinstance(node, pytest.Module) else "class")


def _broad_fixture_defs(item: pytest.Item) -> dict[str, tuple[str, Path]]:
    """The project's fixtures wider than a test (class, module, package or session scope)
    that this test uses: name -> (scope, defining file). Installed plugins' own
    (tmp_path_factory...) are left out by where they live; a project's plugin modules
    (`-p`, `pytest_plugins`, helpers imported into conftest.py) count."""
    info = getattr(item, "_fixtureinfo", None)  # pytest's, no public way: none, no advice
    defs = getattr(info, "name2fixturedefs", None) or {}
    broad = {}
    for name, chain in defs.items():
        fixture = chain[-1]
        scope = getattr(fixture, "scope", "function")
        try:
            where = inspect.getfile(fixture.func)
        except (TypeError, AttributeError):
            continue
        if scope in _BROAD_SCOPES and not _INSTALLED.search(where):
            broad[name] = (scope, Path(where))
    return broad


def _broad_fixtures(item: pytest.Item) -> dict[str, str]:
    """The project's fixtures wider than a test that it uses, and their scopes."""
    return {name: scope for name, (scope, _) in _broad_fixture_defs(item).items()}


def _sharing_fixtures(state: _State, item: pytest.Item, broad: dict[str, str]) -> list[str]:
    """What to re-record so that a broad fixture's requests land where every test using it
    replays them: the class or the file, or every file with a test using a package- or
    session-scoped one."""
    if any(scope in ("package", "session") for scope in broad.values()):
        files = {
            other.nodeid.partition("::")[0]
            for others in _items_by_file(state, item).values()
            for other in others
            if any(name in getattr(other, "fixturenames", ()) for name in broad)
        }
        return sorted(files)
    if "module" in broad.values() or getattr(item, "cls", None) is None:
        return [item.nodeid.partition("::")[0]]
    file, _, rest = item.nodeid.partition("::")
    return [f"{file}::{rest.split('::')[0]}"]  # the class


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    recorder = item.stash.get(_RECORDER, None)
    before = len(recorder.unmatched) if recorder is not None else 0
    try:
        return (yield)
    except BaseException as exc:
        item.config.stash[_STATE].cut_short.add(item.nodeid)
        _fixture_miss(item, exc, before, nextitem, tearing_down=True)
        raise
    finally:
        activation = item.stash.get(_ACTIVATION, None)
        if activation is not None:
            del item.stash[_ACTIVATION]
            activation.stop()
            recorder = item.stash[_RECORDER]
            # Items live until the session ends: a recorder kept on each one would hold
            # every cassette's exchanges, and the run's garbage collections would walk them.
            del item.stash[_RECORDER]
            state = item.config.stash[_STATE]
            try:
                recorder.save()
            except CassetteError as err:  # an unwritable folder: the reason, not pathlib's stack
                raise pytest.fail.Exception(f"convitems: {err}", pytrace=False) from None
            finally:
                _account(state, recorder)
                # Its call report is logged by now. What a failing test recorded is kept
                # (vcrpy's record modes), but it may be what made the test fail.
                if recorder.written and item.session.testsfailed > state.failures_at_setup:
                    state.report.recorded_by_failing[recorder.nodeid] = recorder.label
                # A test with no recording yet has nothing to be compared with: pooled into
                # NEW, its calls read as changes (a field null there, present elsewhere).
                if state.drift_mode != "off" and recorder.existed:
                    state.collector.add(recorder.loaded, recorder.recorded, test_id=recorder.nodeid)


def _account(state: _State, recorder: CassetteRecorder) -> None:
    loaded = len(recorder.loaded) if recorder.record_mode != "all" else len(recorder.recorded)
    unused = {id(ex) for ex in recorder.unused()}
    played = [i for i, ex in enumerate(recorder.loaded) if id(ex) not in unused]
    state.report.add_test(
        nodeid=recorder.nodeid,
        cassette=recorder.label,
        record_mode=recorder.record_mode if recorder.persist else "live",
        interactions=loaded,
        played=played if recorder.record_mode != "all" else range(loaded),
        replayed=recorder.replayed,
        # Not what a failed write lost; a live drift run counts what it sent (nothing is
        # written: its lines say "live interactions").
        recorded=len(recorder.recorded) if recorder.written or not recorder.persist else 0,
        findings=recorder.findings,
        needs_rerecord=bool(recorder.unmatched),
        # a miss in a shared fixture: one test re-recorded alone would never hold it
        rerecord_as=state.rerecord_targets.get(recorder.nodeid),
        # skipped or failed: what it did not send is no sign of a stale recording
        cut_short=recorder.nodeid in state.cut_short,
        existed=recorder.existed,
        unanswered=recorder.unanswered,
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail a test whose traffic breaks the models, or that swallowed an unmatched request."""
    try:
        result = yield
    except BaseException as exc:
        recorder = item.stash.get(_RECORDER, None)
        if recorder is None:
            raise
        item.config.stash[_STATE].cut_short.add(item.nodeid)
        if any(exc is err for err in recorder.unmatched):
            # Our own message says all there is; the stack through httpx would bury it.
            text = _unmatched_text(item.config.stash[_STATE], item, recorder, exc)
            raise pytest.fail.Exception(text, pytrace=False) from None
        if recorder.unmatched:
            # The code caught the miss (a fallback) and failed later, on an assert: the
            # miss is likely why, and the assert alone would not say so.
            state = item.config.stash[_STATE]
            exc.add_note(_unmatched_text(state, item, recorder, recorder.unmatched[0]))
        if _blocked_network(exc) and recorder.network_allowed:  # the cheap test first
            exc.add_note(
                "convitems: pytest-recording's --block-network (or its block_network marker) "
                "blocks convitems tests too, so this one cannot record: record without it, or "
                "with the API's host in --allowed-hosts"
            )
        if recorder.errors():
            exc.add_note(_errors_text(recorder))
        raise
    recorder = item.stash.get(_RECORDER, None)
    if recorder is not None:
        if recorder.unmatched:
            state = item.config.stash[_STATE]
            pytest.fail(
                _unmatched_text(state, item, recorder, recorder.unmatched[0]), pytrace=False
            )
        if recorder.errors():
            pytest.fail(_errors_text(recorder), pytrace=False)
    return result


def _blocked_network(exc: BaseException) -> bool:
    """Whether pytest-recording's network block is in the chain (the openai client wraps
    it in an APIConnectionError)."""
    todo: list[BaseException] = [exc]
    for _ in range(32):  # chains and groups are small; a cycle must not hang the report
        if not todo:
            return False
        seen = todo.pop()
        if isinstance(seen, RuntimeError) and str(seen).startswith("Network is disabled"):
            return True
        if isinstance(seen, BaseExceptionGroup):  # an async client's task group
            todo += seen.exceptions
        todo += [e for e in (seen.__cause__, seen.__context__) if e is not None]
    return False


def _errors_text(recorder: CassetteRecorder) -> str:
    from .report import finding_line

    errors = recorder.errors()
    lines = [f"convitems: {len(errors)} validation error(s) in this test's items traffic:"]
    lines += [f"  {finding_line(f)}" for f in errors]
    return "\n".join(lines)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    if state.orphan_mode != "off" and session.items:
        state.report.orphans.update(_orphans(state, session))
    if session.items and state.report.cassettes:  # an xdist controller collects nothing
        by_label = {_label(state, text): tests for text, tests in state.users().items()}
        for label, use in state.report.cassettes.items():
            use.sharers = by_label.get(label, [])
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["convitems"] = state.report.to_dict()
        if state.drift_mode != "off":
            workeroutput["convitems_drift"] = state.collector.to_json()
        return
    if state.drift_mode != "off":
        state.finish_drift()
    if state.report.cassettes:
        from .cassette_cache import default_cache

        cache = default_cache()
        if cache is not None:
            cache.prune()  # at most once a day: entries of cassettes since re-recorded
        if any(use.recorded for use in state.report.cassettes.values()):
            from .cassette_lock import prune_locks

            prune_locks()  # at most once a day: one lock file per cassette path ever recorded
    if state.report_path is not None:
        try:
            state.report.write(state.report_path)
        except OSError as err:
            state.report.notes.append(
                f"convitems: could not write the report to {state.report_path}: {err}"
            )
            state.report.report_path = None
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
    reasons = []
    if state.report.drift_failed:
        reasons.append("breaking drift (--convitems-drift=fail)")
    if state.orphan_mode == "fail" and state.report.orphans:
        reasons.append(f"orphaned cassettes (convitems_orphans = {state.orphan_mode})")
    if reasons:
        # pytest's last line says "passed": the summary says why the run still fails.
        state.report.notes.append(f"convitems: the run fails on {' and '.join(reasons)}")
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or getattr(config, "workerinput", None) is not None:
        return
    report = state.report
    if not (report.cassettes or report.orphans or state.report_path or state.drift_mode != "off"):
        return
    terminalreporter.write_sep("-", "convitems")
    for line in state.report.lines:
        terminalreporter.write_line(line)
