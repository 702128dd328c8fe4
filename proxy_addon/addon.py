"""Validate, record and replay OpenAI Conversations items traffic in mitmproxy.

Run it in reverse mode in front of the API (what `convitems proxy` does):

    mitmdump -s proxy_addon/addon.py --mode reverse:https://api.openai.com \\
        --listen-host 127.0.0.1 --listen-port 8080 \\
        --set convitems_mode=record --set convitems_cassette_dir=cassettes \\
        --set convitems_report=findings.jsonl --set convitems_block_invalid=true

and point the client at it (`OpenAI(base_url="http://127.0.0.1:8080/v1")`). In regular
(forward) mode drop `--mode reverse:...`, set `HTTPS_PROXY=http://127.0.0.1:8080` in the
client and make it trust mitmproxy's CA (`~/.mitmproxy/mitmproxy-ca-cert.pem`, created on
first run: `SSL_CERT_FILE` for Python, `NODE_EXTRA_CA_CERTS` for Node).

Modes (`convitems_mode`):
- observe: every request and response of the four items endpoints is validated (a
  request together with its response, or with its error when none comes; at once when
  blocking or replaying, which decide on it); one log line per finding, the findings as
  JSON lines in `convitems_report`, and the count in an `x-convitems-findings` response
  header on items responses (the only change the proxy makes;
  `convitems_findings_header=false` turns it off). Other paths pass untouched.
- record: observe, and every exchange (conversation calls too) goes into cassettes under
  `convitems_cassette_dir`: one per conversation (`<conversation id>.yaml`; the create call
  goes with the conversation it made) or one per run (`convitems_cassette_per=run`). URIs
  are the upstream's, so the pytest plugin replays them against the client's real base URL.
- replay: answers from the cassettes in `convitems_cassette_dir`; no upstream is contacted.
  A request with no recording gets a 404 in the OpenAI error shape naming the closest
  recorded request and how it differs. 404, not 599: OpenAI SDKs (Python, Node, ...) retry
  5xx, so a 599 would be sent three times and surface late as a generic server error; a 404
  fails at once as `NotFoundError`. The `x-convitems-replay: miss` header tells it apart
  from an API 404. Each recording plays once; to run a client suite again against the
  same proxy, rewind first: `POST /__convitems/rewind` (from any client; the proxy answers
  it itself) or the `convitems.rewind` command (mitmproxy's console or mitmweb) reads the
  cassette folder again, re-recorded cassettes included, and every recording plays anew.
`convitems_block_invalid=true` (any mode): a request with error findings is answered by the
proxy with the API's 400 (`param` names the field; 415 for a body that is not JSON by its
Content-Type) and never reaches the upstream.

Streamed responses (`text/event-stream`) pass through chunk by chunk and are recorded whole
(up to 64 MB); compressed bodies are validated and recorded decoded. Not recorded, each
with a log line: answers the proxy made itself (blocked, replayed), requests the upstream
never answered, bodies a cassette cannot hold (one that claims JSON but is not), and
bodies over 64 MB once decoded (passed through untouched, not validated either: a 200 KB
gzip body can decode to 200 MB).
Cassettes are written by a child process in batches (`convitems_flush_every`,
`convitems_flush_ms`), atomically, and flushed on exit (`done()`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import os
import sys
import time
import weakref
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import IO, Any

from mitmproxy import command, ctx, exceptions, http
from mitmproxy.addonmanager import Loader

try:
    from proxy_addon import flows, replayer
    from proxy_addon.naming import cassette_name
    from proxy_addon.recorder import CassetteWriter
except ImportError:  # run as `mitmdump -s path/to/addon.py` from a checkout not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from proxy_addon import flows, replayer
    from proxy_addon.naming import cassette_name
    from proxy_addon.recorder import CassetteWriter

from pytest_convitems import validation
from pytest_convitems.api_error import api_error
from pytest_convitems.cassette_body import BodyTooLarge
from pytest_convitems.errors import InputError
from pytest_convitems.exchange import (
    Exchange,
    Request,
    Response,
)
from pytest_convitems.findings import Finding
from pytest_convitems.matching import ReplayIndex
from pytest_convitems.redact import DEFAULT_REDACTOR, SETTINGS, Redactor, configured_redactor
from pytest_convitems.routes import RouteMatch, match_route

logger = logging.getLogger("convitems")

MODES = ("observe", "record", "replay")
PER = ("conversation", "run")
WRITERS = ("process", "thread")
FINDINGS_HEADER = "x-convitems-findings"
REPLAY_HEADER = "x-convitems-replay"
STREAM_LIMIT = 64 * 1024 * 1024
"""A streamed body larger than this passes through but is not recorded (memory bound)."""

_WRITER_OPTIONS = frozenset(
    {
        *SETTINGS,
        "convitems_writer",
        "convitems_flush_every",
        "convitems_flush_ms",
        "convitems_cassette_max_interactions",
        "convitems_cassette_max_mb",
    }
)


class _FlowState:
    """What the addon knows about one flow (a plain class: mitmdump loads this file as a
    script outside `sys.modules`, where `@dataclass` cannot resolve its annotations)."""

    __slots__ = (
        "answered_by_proxy",
        "chunks",
        "findings",
        "request",
        "request_checked",
        "route",
        "stream_overflow",
        "streamed",
        "too_large",
    )

    def __init__(self, route: RouteMatch | None) -> None:
        self.route = route
        self.request: Request | None = None
        self.request_checked = False
        self.findings: list[Finding] = []
        self.answered_by_proxy = False
        self.chunks: list[bytes] | None = None
        self.streamed = 0
        self.stream_overflow = False
        self.too_large = False


_REDACTED = "convitems_redacted"
"""Set on a log record whose arguments the addon redacted already (`extra=`)."""
_OWN_LOGGERS = ("mitmproxy.tools.web",)
"""mitmweb prints its sign-in link with a `token` query: the user needs it as it is."""


class _RedactingFilter(logging.Filter):
    """Passes every record the proxy prints through the addon's redaction rules: mitmproxy
    quotes what it could not parse (`Bad HTTP request line: b'GET /?api_key=sk-...'`,
    `Invalid header line: b'Authorization Bearer sk-...'`, data an upstream sent after its
    response), and the log promises no secret. Redacting twice changes nothing, so lines
    the addon redacted itself pass unchanged."""

    def __init__(self, addon: ConvItems) -> None:
        super().__init__("convitems-redaction")
        # Its rules as configured now, not as they were at start-up; held weakly, as the
        # handlers outlive an addon whose `done` never ran (embedded use, tests).
        self._addon = weakref.ref(addon)

    def redact(self, text: str) -> str:
        addon = self._addon()
        redactor = addon.redactor if addon is not None else DEFAULT_REDACTOR
        return redactor.free_text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _REDACTED, False) or record.name.startswith(_OWN_LOGGERS):
            return True  # the flow log's line (its URL went through `uri`), or mitmweb's link
        try:
            message = record.getMessage()
        except Exception:
            return True  # a record that cannot format: the handler reports it as usual
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            # formatters print `exc_text` when it is set: a traceback quotes values too
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


def _refuse(message: str) -> exceptions.OptionsError:
    """mitmproxy's OptionsError (untyped upstream), for an option value we cannot use."""
    return exceptions.OptionsError(message)  # type: ignore[no-untyped-call]


def _control_error(message: str) -> dict[str, object]:
    return api_error(message, code="convitems_control")


_REWIND_PATHS = (replayer.REWIND_PATH, replayer.REWIND_PATH + "/")
"""With a trailing slash too, as routes match: without it, the rewind went upstream
(record) or missed (replay)."""


def _route(flow: http.HTTPFlow) -> RouteMatch | None:
    return match_route(flow.request.method, _path(flow))


def _path(flow: http.HTTPFlow) -> str:
    return flow.request.path.split("?", 1)[0]


def _is_event_stream(response: http.Response) -> bool:
    # Over the raw fields: every response passes here, and `headers.get` costs more.
    for name, value in response.headers.fields:
        if name.lower() == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"text/event-stream"
    return False


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False  # called as a plain function (embedded use, tests): nothing to await
    return True


IN_FLIGHT_WAIT = 3.0
"""Seconds `done` waits for answers in flight when the proxy stops while recording."""


class ConvItems:
    """The convitems addon: validation on every items call, plus recording or replay."""

    def __init__(self) -> None:
        self.writer: CassetteWriter | None = None
        self._in_flight = 0
        """Requests on their way while recording (`done` waits for their answers): counted,
        not kept; a flow that never ends only makes `done` wait its few seconds."""
        self._recording_stopped = False
        self.index: ReplayIndex | None = None
        self.report: IO[str] | None = None
        self.run_name = "run-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"
        self.block_invalid = False
        self.redactor: Redactor = DEFAULT_REDACTOR
        self.findings_header = True
        self.flow_log = False
        self.per_run = False
        self.counts = {"exchanges": 0, "findings": 0, "blocked": 0, "replayed": 0, "missed": 0}
        # Kept here, not in `flow.metadata`: mitmproxy saves metadata with the flow (`-w`,
        # mitmweb), and this state is not serialisable. Weak keys: a flow that never ends
        # (client gone before any response) takes its state with it.
        self._flows: weakref.WeakKeyDictionary[http.HTTPFlow, _FlowState] = (
            weakref.WeakKeyDictionary()
        )
        self._log_filter = _RedactingFilter(self)
        self._said_informational = False
        self._filtered: list[logging.Handler] = []

    def _redact_log(self) -> None:
        """Filter every handler that prints the log (mitmdump's terminal, mitmweb's event
        list, pytest's capture), whoever logs to it; those added since the last call too."""
        for handler in logging.getLogger().handlers:
            if self._log_filter not in handler.filters:
                handler.addFilter(self._log_filter)
                self._filtered.append(handler)

    def _stop_redacting_log(self) -> None:
        for handler in self._filtered:
            handler.removeFilter(self._log_filter)
        self._filtered = []

    # --- options -------------------------------------------------------------------

    def load(self, loader: Loader) -> None:
        self._redact_log()
        loader.add_option(
            "convitems_mode", str, "observe", "observe, record or replay.", choices=MODES
        )
        loader.add_option(
            "convitems_cassette_dir",
            str,
            "cassettes",
            "Folder cassettes are written to (record) and read from (replay).",
        )
        loader.add_option(
            "convitems_cassette_per",
            str,
            "conversation",
            "One cassette per conversation, or one per run.",
            choices=PER,
        )
        loader.add_option(
            "convitems_block_invalid",
            bool,
            False,
            "Answer a request with error findings with a 400 instead of forwarding it.",
        )
        loader.add_option(
            "convitems_report", str, "", "Append every finding to this file, as JSON lines."
        )
        loader.add_option(
            "convitems_findings_header",
            bool,
            True,
            f"Add `{FINDINGS_HEADER}: <count>` to responses of the items endpoints.",
        )
        loader.add_option(
            "convitems_flow_log",
            bool,
            False,
            "Log one line a flow (method, URL with secrets redacted, status). With "
            "flow_detail=0, in place of mitmdump's own lines, which print URLs as sent.",
        )
        loader.add_option(
            "convitems_flush_every", int, 500, "Write cassettes after this many exchanges..."
        )
        loader.add_option("convitems_flush_ms", int, 1000, "...or after this many milliseconds.")
        loader.add_option(
            "convitems_writer",
            str,
            "process",
            "Write cassettes from a child process (default) or a thread of the proxy.",
            choices=WRITERS,
        )
        loader.add_option(
            "convitems_cassette_max_interactions",
            int,
            1000,
            "Start a new part (<name>.part002.yaml) when a cassette reaches this many...",
        )
        loader.add_option(
            "convitems_cassette_max_mb",
            int,
            4,
            "...or about this many megabytes (each append rewrites the part: keep parts small).",
        )
        for name, what in SETTINGS.items():
            loader.add_option(
                name,
                Sequence[str],
                [],
                f"Redacted in cassettes, beyond the defaults: {what} (repeat to add more).",
            )
        self._apply_deferred(loader)

    def _apply_deferred(self, loader: Loader) -> None:
        """`--set convitems_...` values given before this script was loaded, read now.

        mitmproxy reads them itself once `load` returns, and a value it cannot parse
        (`convitems_block_invalid=yes`) then drops the whole addon without a word: the
        proxy ran unvalidated and unrecorded. Read here, a bad value stops mitmdump with
        the option named."""
        options = loader.master.options
        try:
            options.process_deferred()
        except exceptions.OptionsError as exc:
            # An error logged at startup: mitmdump stops, exit 1 (its ErrorCheck addon).
            logger.error("convitems: %s; fix the --set value (the addon cannot start)", exc)
        # A misspelt name of ours (`convitems_mdoe=record`) is left over, never read: the
        # proxy ran in observe mode and recorded nothing, without a word.
        unknown = sorted(name for name in options.deferred if name.startswith("convitems_"))
        if unknown:
            logger.error(
                "convitems: no option %s; the options are convitems_%s",
                ", ".join(unknown),
                ", convitems_".join(
                    sorted(
                        n.removeprefix("convitems_")
                        for n in options.keys()  # noqa: SIM118 (an OptManager, not iterable)
                        if n.startswith("convitems_")
                    )
                ),
            )

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if not any(o.startswith("convitems_") for o in updated):
            return
        if opts.convitems_mode not in MODES:
            raise _refuse(
                f"convitems_mode must be one of {', '.join(MODES)}, not {opts.convitems_mode!r}"
            )
        if opts.convitems_writer not in WRITERS:
            raise _refuse(
                f"convitems_writer must be process or thread, not {opts.convitems_writer!r}"
            )
        if opts.convitems_cassette_per not in PER:
            raise _refuse(
                f"convitems_cassette_per must be conversation or run, not {opts.convitems_cassette_per!r}"
            )
        for name in (
            "convitems_flush_every",
            "convitems_flush_ms",
            "convitems_cassette_max_interactions",
            "convitems_cassette_max_mb",
        ):
            if getattr(opts, name) < 1:
                raise _refuse(f"{name} must be at least 1, not {getattr(opts, name)}")
        try:
            redactor = configured_redactor({name: getattr(opts, name) for name in SETTINGS})
        except ValueError as exc:
            raise _refuse(str(exc)) from exc
        # read per flow: plain attributes, not an options lookup on every request
        self.block_invalid = bool(opts.convitems_block_invalid)
        self.findings_header = bool(opts.convitems_findings_header)
        self.flow_log = bool(opts.convitems_flow_log)
        self.per_run = opts.convitems_cassette_per == "run"
        self.redactor = redactor
        if "convitems_report" in updated:
            self._open_report(opts.convitems_report)
        directory = Path(opts.convitems_cassette_dir)
        # Only what changed is rebuilt: a new report file must not restart a replay midway.
        where = bool(updated & {"convitems_mode", "convitems_cassette_dir"})
        # Replay matches requests as the cassettes store them: new rules, new index.
        rematch = bool(updated & SETTINGS.keys())
        if opts.convitems_mode == "replay":
            self._close_writer()
            if where or rematch or self.index is None:
                self.index = self._load_index(directory)
        else:
            self.index = None
        if opts.convitems_mode == "record":
            if where or self.writer is None or updated & _WRITER_OPTIONS:
                self._start_writer(directory)  # a new writer records what is in flight
        else:
            self._close_writer()
            self._in_flight = 0  # out of record mode: what is in flight is not recorded
        if opts.convitems_mode != "replay":  # replay says what it replays when it loads
            logger.info("convitems: %s", self._describe(opts))

    def _describe(self, opts: Any) -> str:
        """What this proxy does to traffic, in one line, for its start-up log."""
        parts = [f"{opts.convitems_mode} mode: items traffic is validated"]
        if opts.convitems_mode == "record":
            parts.append(
                f"every exchange is recorded into {opts.convitems_cassette_dir}/ "
                f"(a cassette per {opts.convitems_cassette_per})"
            )
        if self.block_invalid:
            parts.append("an invalid request is answered here (400), never sent upstream")
        if opts.convitems_report:
            parts.append(f"findings go to {opts.convitems_report}")
        return "; ".join(parts)

    def _open_report(self, path: str) -> None:
        if self.report is not None:
            self.report.close()
            self.report = None
        if not path:
            return
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.report = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the run)
        except OSError as exc:
            raise _refuse(
                f"convitems_report: cannot open {path} for writing ({exc.strerror}); "
                "choose a writable path"
            ) from exc

    def _load_index(self, directory: Path) -> ReplayIndex:
        try:
            return self._read_index(directory)
        except InputError as exc:
            raise _refuse(f"convitems_cassette_dir: {exc}") from exc

    def _read_index(self, directory: Path) -> ReplayIndex:
        index, files = replayer.load_index(directory, self.redactor)
        if not len(index):
            logger.warning(
                "convitems: no recorded interactions under %s; every request will get a 404",
                directory,
            )
        # mitmproxy's banner names the upstream next: say that replay never contacts it
        logger.info(
            "convitems: replaying %d interaction(s) from %d cassette(s) in %s; "
            "no request goes upstream",
            len(index),
            files,
            directory,
        )
        return index

    def _start_writer(self, directory: Path) -> None:
        opts = ctx.options
        self._close_writer()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _refuse(
                f"convitems_cassette_dir: cannot create {directory} ({exc.strerror})"
            ) from exc
        self.writer = CassetteWriter(
            directory,
            flush_every=opts.convitems_flush_every,
            flush_seconds=opts.convitems_flush_ms / 1000,
            max_per_file=opts.convitems_cassette_max_interactions,
            max_part_bytes=opts.convitems_cassette_max_mb * 1024 * 1024,
            isolation=opts.convitems_writer,
            redaction={name: list(getattr(opts, name)) for name in SETTINGS},
        )

    def _close_writer(self) -> None:
        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        stats = writer.close()
        if stats.failures:
            # Problems, not exchanges: one may be the writer stopping with many queued.
            logger.error(
                "convitems: %d problem(s) while recording (each logged above)",
                len(stats.failures),
            )
        if stats.lost or stats.dropped:
            why = []
            if stats.lost:
                why.append(
                    f"{stats.lost} sent to the cassette writer process, which stopped before "
                    "writing them"
                )
            if stats.dropped:
                why.append(f"{stats.dropped} came after the cassette writer had stopped")
            logger.error(
                "convitems: %d exchange(s) not recorded: %s",
                stats.lost + stats.dropped,
                "; ".join(why),
            )
        logger.info(
            "convitems: wrote %d exchange(s) to %s in %d flush(es)",
            stats.written,
            writer.directory,
            stats.flushes,
        )

    @command.command("convitems.rewind")  # type: ignore[untyped-decorator]
    def rewind(self) -> None:
        """Replay: read the cassette folder again; every recording plays anew."""
        if self.index is None:
            raise exceptions.CommandError("convitems.rewind: the proxy is not replaying")
        try:
            self.index = self._read_index(Path(ctx.options.convitems_cassette_dir))
        except InputError as exc:
            # The replay goes on as it was: a half-edited cassette must not end it.
            raise exceptions.CommandError(f"convitems.rewind: {exc}") from exc

    def _rewind_request(self, flow: http.HTTPFlow) -> None:
        if flow.request.method != "POST":
            flow.response = flows.openai_error(
                405,
                _control_error(f"{replayer.REWIND_PATH} takes POST, not {flow.request.method}"),
                {"allow": "POST"},
            )
            return
        try:
            self.rewind()
        except exceptions.CommandError as exc:
            logger.error("%s", exc)
            flow.response = flows.openai_error(409, _control_error(str(exc)), {})
            return
        assert self.index is not None
        body = {"rewound": True, "interactions": len(self.index)}
        flow.response = http.Response.make(
            200, json.dumps(body).encode(), {"content-type": "application/json"}
        )

    def running(self) -> None:
        # Everything alive now lives as long as the proxy: mitmproxy, the compiled models
        # (~100,000 objects). Frozen, the collector stops re-scanning them each time the
        # traffic's short-lived objects trigger a collection (~10% of the proxy's CPU).
        gc.freeze()
        self._redact_log()

    def done(self) -> Awaitable[None] | None:
        if self.writer is not None and self._in_flight > 0 and _in_event_loop():
            # mitmproxy calls `done` while connections are still served: a SIGTERM lands
            # with answers on their way to clients, and they are recorded if they come
            # within a few seconds. A task, not a bare coroutine: mitmproxy awaits what a
            # hook returns at shutdown, but not when a script reload removes the addon.
            return asyncio.ensure_future(self._done_after_in_flight())
        self._finish()
        return None

    async def _done_after_in_flight(self) -> None:
        deadline = time.monotonic() + IN_FLIGHT_WAIT
        while self._in_flight > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self._finish()

    def _finish(self) -> None:
        self._recording_stopped = self.writer is not None  # answers after this are said
        self._close_writer()
        if self.report is not None:
            self.report.close()
            self.report = None
        self._stop_redacting_log()

    # --- hooks ---------------------------------------------------------------------

    def _state(self, flow: http.HTTPFlow) -> _FlowState:
        state = self._flows.get(flow)
        if state is None:
            state = self._flows[flow] = _FlowState(route=_route(flow))
        return state

    def request(self, flow: http.HTTPFlow) -> None:
        if self.writer is not None:
            self._in_flight += 1
        if _path(flow).endswith(_REWIND_PATHS):
            if self.index is not None:
                self._rewind_request(flow)
            else:
                # Our own path, in a mode with nothing to rewind: forwarded, it would carry
                # the client's key to the upstream and land in the cassettes.
                self._state(flow).answered_by_proxy = True
                flow.response = flows.openai_error(
                    409,
                    _control_error(
                        f"{replayer.REWIND_PATH} rewinds a replay proxy; this one is not "
                        "replaying (nothing was sent upstream)"
                    ),
                    {},
                )
            return
        if not self.block_invalid and self.index is None:
            # Nothing to decide before the upstream answers: the request is validated with
            # its response (or its error), in one pass and without per-flow state.
            return
        state = self._state(flow)
        self._check_request(flow, state, may_block=self.block_invalid)
        errors = [f for f in state.findings if f.severity == "error"]
        if errors and self.block_invalid:
            self._block(flow, state, errors)
            return
        if self.index is not None:
            self._replay(flow, state, self.index)

    def _check_request(
        self, flow: http.HTTPFlow, state: _FlowState, *, may_block: bool = False
    ) -> None:
        """`may_block`: from the request hook, which blocks a request with errors under
        `--block-invalid`; later (a request whose body never came whole) nothing is."""
        state.request_checked = True
        # `/conversations//items` routes nowhere (empty id) but is still items traffic
        if state.route is not None or "/conversations/" in flow.request.path:
            try:
                state.request = flows.request_of(flow)
            except BodyTooLarge:
                state.too_large = True
                self._too_large(flow, "request")
                return
            state.findings = self._validate(
                flow, state.route, state.request, None, may_block=may_block
            )

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        resp = flow.response
        # Streamed already (mitmproxy's stream_large_bodies, or another addon): the body
        # never arrives whole, so it is seen going past, or it was validated and recorded
        # as empty.
        if resp is None or not (resp.stream or _is_event_stream(resp)):
            return
        state = self._state(flow)
        if state.answered_by_proxy:
            return
        state.chunks = []
        theirs = resp.stream if callable(resp.stream) else None

        def tee(chunk: bytes) -> bytes:
            if theirs is not None:  # what the client gets, after their change
                out = theirs(chunk)
                chunk = out if isinstance(out, bytes) else b"".join(out)
            # Forward at once; keep a copy (up to a limit) so the cassette gets the whole body.
            if not state.stream_overflow:
                state.streamed += len(chunk)
                if state.streamed > STREAM_LIMIT:
                    state.stream_overflow = True
                    state.chunks = None
                elif state.chunks is not None:
                    state.chunks.append(chunk)
            return chunk

        resp.stream = tee

    def response(self, flow: http.HTTPFlow) -> None:
        # The flow's last hook: its state (if any) is freed now, by reference count.
        if self._in_flight > 0 and self.writer is not None:
            self._in_flight -= 1
        state = self._flows.pop(flow, None) or _FlowState(route=_route(flow))
        if not state.request_checked:
            self._check_request(flow, state)
        self._response(flow, state)
        if self.flow_log and flow.response is not None:
            by = " (answered here)" if state.answered_by_proxy else ""
            self._log_flow(flow, f"{flow.response.status_code}{by}")

    def _log_flow(self, flow: http.HTTPFlow, outcome: str) -> None:
        logger.info(
            "%s %s -> %s",
            flow.request.method,
            self.redactor.uri(flow.request.pretty_url),
            self.redactor.text(outcome),  # an error's message may quote the traffic
            extra={_REDACTED: True},
        )

    def _response(self, flow: http.HTTPFlow, state: _FlowState) -> None:
        if state.answered_by_proxy or flow.response is None:
            return
        if flow.response.status_code < 200:
            self._informational(flow, flow.response.status_code)
            return
        if self.writer is None and self._recording_stopped:
            logger.error(
                "convitems: not recorded (answered after recording stopped): %s %s",
                flow.request.method,
                self.redactor.uri(_path(flow)),
            )
        if state.route is None and self.writer is None:
            return  # not items traffic and not recording: untouched, not even read
        streamed = b"".join(state.chunks) if state.chunks is not None else None
        if flow.response.stream and state.stream_overflow:
            logger.warning(
                "convitems: %s %s: streamed body over %d bytes, passed through, not recorded",
                flow.request.method,
                _path(flow),
                STREAM_LIMIT,
            )
            return
        if state.too_large:
            return  # its request was: said so once already
        what = "request"
        try:
            request = state.request or flows.request_of(flow)
            what = "response"
            exchange = Exchange(
                request,
                flows.response_of(flow, streamed),
                recorded_at=flows.sent_at(flow) if self.writer is not None else None,
            )
        except BodyTooLarge:
            self._too_large(flow, what)
            return
        self.counts["exchanges"] += 1
        if state.route is not None:
            state.findings += self._validate(flow, state.route, exchange.request, exchange.response)
            if self.findings_header and not flow.response.stream:
                flow.response.headers[FINDINGS_HEADER] = str(len(state.findings))
        if self.writer is not None:
            self._record(exchange, state.route)

    def error(self, flow: http.HTTPFlow) -> None:
        if self._in_flight > 0 and self.writer is not None:
            self._in_flight -= 1
        state = self._flows.pop(flow, None) or _FlowState(route=_route(flow))
        if not state.request_checked:
            self._check_request(flow, state)  # its findings count even with no response
        message = flow.error.msg if flow.error else "unknown error"
        if flow.response is not None and flow.response.stream:
            # the client has the status and what streamed so far: it did get a response
            if state.stream_overflow:
                cut = f"after more than {STREAM_LIMIT} bytes"
            elif state.chunks is not None:
                cut = f"after {state.streamed} bytes"
            else:
                cut = "mid-body"  # streamed by mitmproxy's own option, uncounted
            status = flow.response.status_code
            outcome = f"response {status} cut {cut} ({message}); nothing recorded"
        else:
            outcome = f"no response ({message}); nothing recorded for this request"
        url = self.redactor.uri(flow.request.url)
        if self.flow_log:  # its one line a flow says it all: not the warning as well
            logger.warning("%s %s -> %s", flow.request.method, url, outcome)
        else:
            logger.warning("convitems: %s %s: %s", flow.request.method, url, outcome)

    # --- the work ------------------------------------------------------------------

    def _validate(
        self,
        flow: http.HTTPFlow,
        route: RouteMatch | None,
        request: Request,
        response: Response | None,
        *,
        may_block: bool = False,
    ) -> list[Finding]:
        """Findings of the request, or (given a response) of the response alone: the
        request was validated once already (`_check_request`), and again per response
        would cost."""
        try:
            if response is not None:
                found = validation.validate_response_of(route.endpoint, response) if route else []
            elif route is not None:
                found = validation.validate_request_of(route.endpoint, request)
            else:  # e.g. an empty id in the path: the full check names it
                found = validation.validate_exchange(Exchange(request=request, response=None))
        except Exception as exc:  # a validator bug must not take traffic down with it
            logger.error(
                "convitems: validating %s %s raised %r (a bug: please report it); traffic passed",
                flow.request.method,
                _path(flow),
                exc,
            )
            return []
        # `request` blocks exactly these: say so in the report, beside the findings
        blocked = may_block and any(f.severity == "error" for f in found)
        for finding in found:
            self._emit(flow, finding, blocked=blocked)
        return found

    def _informational(self, flow: http.HTTPFlow, status: int) -> None:
        if self.writer is None or self._said_informational:
            return
        self._said_informational = True  # a WebSocket client upgrades again and again
        logger.info(
            "convitems: %s %s -> %d: not recorded, nor any 1xx answer after it: the exchange "
            "goes on in another protocol (a WebSocket's frames) that a cassette does not hold, "
            "and a replayed 101 would switch to nothing",
            flow.request.method,
            _path(flow),
            status,
        )

    def _too_large(self, flow: http.HTTPFlow, what: str) -> None:
        # In replay nothing passes through: the request is answered here, as a miss.
        fate = (
            "answered here as a replay miss"
            if self.index is not None
            else "passed through untouched"
        )
        logger.warning(
            "convitems: %s %s: %s body over %d MB once decoded; %s, not validated, not recorded",
            flow.request.method,
            _path(flow),
            what,
            flows.BODY_LIMIT // (1024 * 1024),
            fate,
        )

    def _emit(self, flow: http.HTTPFlow, finding: Finding, *, blocked: bool = False) -> None:
        self.counts["findings"] += 1
        # The log and the report leave the proxy: no secret the traffic carried goes along.
        finding = self.redactor.finding(finding)
        log = logger.warning if finding.severity == "error" else logger.info
        log(
            "convitems: %s %s %s %s %s:%s %s [%s]",  # `body:/items/0/role`, as validate says
            finding.severity,
            flow.request.method,
            _path(flow),
            finding.direction,
            finding.part,
            finding.pointer or "/",
            finding.message,
            finding.rule,
        )
        if self.report is not None:
            where: dict[str, Any] = {
                "method": flow.request.method,
                "url": self.redactor.uri(flow.request.url),
            }
            if blocked:
                where["blocked"] = True  # answered by the proxy, never sent upstream
            line = dataclasses.replace(finding, source=where).to_dict()
            self.report.write(json.dumps(line) + "\n")
            self.report.flush()

    def _block(self, flow: http.HTTPFlow, state: _FlowState, errors: list[Finding]) -> None:
        from pytest_convitems.validation import error_body, error_status

        self.counts["blocked"] += 1
        state.answered_by_proxy = True
        status = error_status(errors)  # the API's own: 415 for a body that is not JSON
        # mitmproxy's own line shows the answer as if the upstream had sent it
        logger.warning(
            "convitems: blocked %s %s: %d error finding(s); answered %d here, not sent "
            "upstream, not recorded",
            flow.request.method,
            _path(flow),
            len(errors),
            status,
        )
        extra = {"x-convitems-blocked": "true"}
        if self.findings_header:
            extra[FINDINGS_HEADER] = str(len(state.findings))
        flow.response = flows.openai_error(status, error_body(errors), extra)

    def _replay(self, flow: http.HTTPFlow, state: _FlowState, index: ReplayIndex) -> None:
        state.answered_by_proxy = True
        request = state.request  # decoded and validated by `_check_request` already
        if request is None and not state.too_large:
            try:
                request = flows.request_of(flow)
            except BodyTooLarge:
                state.too_large = True
                self._too_large(flow, "request")
        if request is None:
            self.counts["missed"] += 1
            # nothing that large is ever recorded: a miss, without a body to compare
            message = (
                f"convitems replay: {flow.request.method} {self.redactor.uri(_path(flow))} "
                "has a body over "
                f"{flows.BODY_LIMIT // (1024 * 1024)} MB once decoded; nothing that large "
                "is recorded or matched"
            )
            body = api_error(message, code=replayer.MISS_CODE)
            flow.response = flows.openai_error(replayer.MISS_STATUS, body, {REPLAY_HEADER: "miss"})
            return
        found = index.take(request)
        extra: dict[str, str] = {}
        if state.route is not None and self.findings_header:
            extra[FINDINGS_HEADER] = str(len(state.findings))
        if found is not None and found.response is not None:
            self.counts["replayed"] += 1
            flow.response = flows.replayed_response(found.response, flow.request.method)
            flow.response.headers.update({**extra, REPLAY_HEADER: "hit"})
            return
        self.counts["missed"] += 1
        body = replayer.miss_body(index, request, self.redactor)
        logger.warning("%s", body["error"]["message"])
        extra[REPLAY_HEADER] = "miss"
        flow.response = flows.openai_error(replayer.MISS_STATUS, body, extra)

    def _record(self, exchange: Exchange, route: RouteMatch | None) -> None:
        assert self.writer is not None
        name = cassette_name(
            exchange,
            self.run_name,
            per_run=self.per_run,
            conversation=route.conversation_id if route is not None else None,
        )
        self.writer.put(name, exchange)


addons = [ConvItems()]
