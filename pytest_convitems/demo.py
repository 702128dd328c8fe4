"""`convitems demo`: the three jobs end to end, on the embedded API, in well under a minute.

Everything runs on loopback and as the real commands a user would type (`convitems proxy`,
`convitems validate`, `pytest --convitems-replay`, `convitems drift`), each started as its
own process and stopped by PID, also on Ctrl-C. All files land in one folder, named at the
start and the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .cassette import load_cassette
from .errors import InputError
from .server import running_server
from .server_examples import (
    EXAMPLE_SHAPES,
    MUST_BE_LAST,
    SEED_PROBES,
    example_item,
)

if TYPE_CHECKING:
    from openai import OpenAI

DEMO_API_KEY = "sk-convitems-demo-FAKE-key-0000000000"
"""Obviously fake, token-shaped: the cassettes on disk must show it redacted."""

_MARKER = ".convitems-demo"
_LISTENING = re.compile(r"listening at \S*?:(\d+)")
_STEPS = 8
_SEVERITIES = ("breaking", "warning", "info")


@dataclass
class SessionSummary:
    created: int = 0
    refused: list[str] = field(default_factory=list)
    """Example shapes the API answered with 400 (the seed release lacks some variants)."""
    listed_asc: int = 0
    listed_desc: int = 0


def run_session(client: OpenAI) -> SessionSummary:
    """One deterministic client session: the same calls under every profile and on replay.

    Items are created one per call, so an item a release refuses costs only that call.
    """
    import openai

    s = SessionSummary()
    conversation = client.conversations.create(metadata={"purpose": "convitems demo"})
    first_id: str | None = None
    for shape in (*EXAMPLE_SHAPES, *SEED_PROBES):
        if shape == MUST_BE_LAST:
            continue  # it ends a conversation's history: sent last, below
        item = example_item(shape, reference_id=first_id)
        try:
            created = client.conversations.items.create(conversation.id, items=[item])  # type: ignore[list-item]
        except openai.BadRequestError:
            s.refused.append(shape)
            continue
        s.created += len(created.data)
        first_id = first_id or created.data[0].id
    try:
        client.conversations.items.create(conversation.id, items=[example_item(MUST_BE_LAST)])  # type: ignore[list-item]
        s.created += 1
    except openai.BadRequestError:
        s.refused.append(MUST_BE_LAST)
    for order in ("asc", "desc"):
        page = client.conversations.items.list(conversation.id, limit=20, order=order)
        n = sum(1 for _ in page)  # the SDK follows `after` cursors while has_more
        if order == "asc":
            s.listed_asc = n
        else:
            s.listed_desc = n
    if first_id is not None:
        client.conversations.items.retrieve(first_id, conversation_id=conversation.id)
        client.conversations.items.delete(first_id, conversation_id=conversation.id)
    return s


def _client(base_url: str) -> OpenAI:
    try:
        from openai import OpenAI
    except ImportError as exc:  # pragma: no cover - dev extra missing
        raise InputError(
            "the demo drives the real openai client: pip install openai (./dev demo does it)"
        ) from exc
    # no retries: a replayed session must send exactly the calls that were recorded
    return OpenAI(base_url=base_url, api_key=DEMO_API_KEY, max_retries=0, timeout=30)


class _Process:
    """A `convitems ...` child process with its output in a log file."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def wait_for_port(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = _LISTENING.search(self.log.read_text("utf-8", "replace"))
            if m is not None:
                return int(m.group(1))
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        # Its last words say why (mitmproxy not installed: the extra to install).
        tail = self.log.read_text("utf-8", "replace").strip().splitlines()[-3:]
        said = "".join(f"\n  {line}" for line in tail)
        raise InputError(f"the proxy did not start; its output is in {self.log}{said}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)


def _convitems(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest_convitems", *args]


@contextlib.contextmanager
def _proxy(upstream: str, folder: Path, log: Path, *extra: str) -> Iterator[str]:
    proc = _Process(
        _convitems(
            "proxy",
            "--upstream",
            upstream,
            "--listen",
            "127.0.0.1:0",
            "--cassette-dir",
            str(folder),
            *extra,
        ),
        log,
    )
    try:
        yield f"http://127.0.0.1:{proc.wait_for_port()}"
    finally:
        proc.stop()  # SIGTERM: the addon's done() flushes the cassettes


def _prepare(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        if not (folder / _MARKER).exists():
            raise InputError(
                f"{folder} exists and was not made by convitems demo; "
                "pass --dir with a new or empty folder"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _MARKER).write_text("made by convitems demo; safe to delete\n")


_REPLAY_TEST = '''\
"""Written by `convitems demo`: the recorded session, replayed with no network."""

import pytest

from pytest_convitems.demo import _client, run_session


@pytest.mark.convitems(cassette={cassette!r})
def test_recorded_session_replays_offline() -> None:
    # any base URL: replay ignores the host, and nothing leaves the machine
    summary = run_session(_client("http://127.0.0.1:9/v1"))
    assert summary.created == {created}
'''


def run_demo(folder: Path, out: TextIO = sys.stdout) -> int:
    """Run every step, printing one line each; 0 when every step showed what it should."""
    folder = folder.resolve()
    _prepare(folder)
    started = time.monotonic()
    step = 0

    def say(title: str, detail: str = "") -> None:
        print(
            f"[{step}/{_STEPS}] {title}" + (f": {detail}" if detail else ""), file=out, flush=True
        )

    def next_step(title: str, detail: str = "") -> None:
        nonlocal step
        step += 1
        say(title, detail)

    def note(line: str) -> None:
        print(f"      {line}", file=out, flush=True)

    print(f"convitems demo: every file goes to {folder}", file=out, flush=True)
    current_dir, seed_dir = folder / "cassettes" / "current", folder / "cassettes" / "seed"
    report = folder / "findings.jsonl"

    with running_server(profile="current") as api:
        next_step("embedded API", f"convitems serve (profile current) at {api.base_url}")
        with _proxy(
            api.base_url,
            current_dir,
            folder / "proxy-current.log",
            "--mode",
            "record",
            "--cassette-per",
            "run",
            "--block-invalid",
            "--report",
            str(report),
        ) as proxy_url:
            next_step(
                "validating, recording proxy",
                f"convitems proxy --mode record --block-invalid at {proxy_url}",
            )
            client = _client(proxy_url + "/v1")
            summary = run_session(client)
            next_step(
                "a session through the proxy",
                f"the openai client created {summary.created} items of "
                f"{len(EXAMPLE_SHAPES)} shapes one call each, paged them both ways "
                f"({summary.listed_asc}/{summary.listed_desc}), retrieved one, deleted one",
            )
            findings = _read_findings(report)
            note(f"{len(findings)} finding(s) on valid traffic")
            # made on the API directly, so the demo's own bookkeeping stays out of the cassette
            conv = _client(api.api_base).conversations.create()
            before = _count_items(api.api_base, conv.id)
            next_step("a deliberately invalid request", "items.create with role 'robot'")
            status, body = _post_invalid(proxy_url + "/v1", conv.id)
            for f in _read_findings(report)[len(findings) :]:
                note(f"finding  {f['part']}:{f['pointer']}  {f['message']}")
            error = body.get("error", {}) if isinstance(body, dict) else {}
            reached = _count_items(api.api_base, conv.id) != before
            note(
                f"blocked by the proxy: HTTP {status}, param {error.get('param')!r}; "
                f"the upstream {'RECEIVED it' if reached else 'never saw it'}"
            )
        cassettes = sorted(current_dir.rglob("*.yaml"))
        recorded = sum(len(load_cassette(c)) for c in cassettes)
        note(
            f"{recorded} interactions recorded, redacted, in "
            + ", ".join(str(c.relative_to(folder)) for c in cassettes)
        )

    next_step("validate the cassettes", f"convitems validate {current_dir.relative_to(folder)}")
    validate = subprocess.run(
        _convitems("validate", str(current_dir)), capture_output=True, text=True, cwd=folder
    )
    for line in validate.stdout.strip().splitlines()[-3:]:
        note(line)

    next_step("replay in pytest with the API stopped", "pytest --convitems-replay")
    if len(cassettes) != 1:
        raise InputError(f"expected one cassette in {current_dir}, found {len(cassettes)}")
    test_file = folder / "test_demo_replay.py"
    test_file.write_text(
        _REPLAY_TEST.format(cassette=str(cassettes[0]), created=summary.created), "utf-8"
    )
    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(test_file),
            "--convitems-replay",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(folder),
        ],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    (folder / "pytest-replay.log").write_text(replay.stdout + replay.stderr, "utf-8")
    for line in replay.stdout.strip().splitlines()[-4:]:
        note(line)

    next_step("the same session against the older (seed) release", "convitems serve --profile seed")
    with (
        running_server(profile="seed") as old_api,
        _proxy(
            old_api.base_url,
            seed_dir,
            folder / "proxy-seed.log",
            "--mode",
            "record",
            "--cassette-per",
            "run",
        ) as proxy_url,
    ):
        seed_summary = run_session(_client(proxy_url + "/v1"))
    note(
        f"the seed release refused {len(seed_summary.refused)} example item(s) whose shape "
        f"it does not know: {', '.join(seed_summary.refused)}"
    )

    next_step("drift between the releases", "convitems drift cassettes/seed cassettes/current")
    drift = subprocess.run(
        _convitems("drift", str(seed_dir), str(current_dir), "--format", "json"),
        capture_output=True,
        text=True,
    )
    for fmt in ("text", "markdown"):
        rendered = subprocess.run(
            _convitems("drift", str(seed_dir), str(current_dir), "--format", fmt),
            capture_output=True,
            text=True,
        )
        (folder / f"drift.{'md' if fmt == 'markdown' else 'txt'}").write_text(
            rendered.stdout, "utf-8"
        )
    changes = json.loads(drift.stdout).get("changes", []) if drift.stdout.strip() else []
    by_severity = {sev: [c for c in changes if c["severity"] == sev] for sev in _SEVERITIES}
    note(", ".join(f"{len(v)} {k}" for k, v in by_severity.items()) + " change(s) in shape")
    for change in by_severity["breaking"]:
        note(f"breaking  {change['message']}")
    note(f"every change, grouped: {folder / 'drift.txt'}; for a pull request: drift.md")

    ok = validate.returncode == 0 and replay.returncode == 0 and drift.returncode in (0, 1)
    elapsed = time.monotonic() - started
    print(
        f"convitems demo: {'done' if ok else 'FAILED'} in {elapsed:.1f}s; files in {folder}",
        file=out,
        flush=True,
    )
    return 0 if ok else 1


def _read_findings(report: Path) -> list[dict[str, Any]]:
    if not report.exists():
        return []
    return [json.loads(line) for line in report.read_text("utf-8").splitlines() if line.strip()]


def _count_items(api_base: str, conversation_id: str) -> int:
    client = _client(api_base)
    return sum(1 for _ in client.conversations.items.list(conversation_id, limit=100))


def _post_invalid(api_base: str, conversation_id: str) -> tuple[int, Any]:
    client = _client(api_base)
    bad: Callable[..., Any] = client.conversations.items.with_raw_response.create
    import openai

    try:
        raw = bad(conversation_id, items=[{"role": "robot", "content": "hello"}])
        return raw.status_code, json.loads(raw.content)
    except openai.APIStatusError as exc:
        # the SDK keeps the inner `error` object as `body`
        inner = exc.body.get("error", exc.body) if isinstance(exc.body, dict) else {}
        return exc.status_code, {"error": inner}
