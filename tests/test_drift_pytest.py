"""`pytest --convitems-drift=report|fail`: tests run against the live upstream, their traffic
is compared with the committed cassettes, and the cassettes are never overwritten.

The cassette is recorded from the `current` profile of the embedded server; the "live" run
goes to the `seed` profile, which never returns a message's `phase` (breaking drift: a
field every recorded message carried, removed; the test sends only assistant messages, as
a user message has no `phase` and one sometimes present is only a warning when it goes).
Both profiles' answers here are valid for the models, so only drift differs.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx  # noqa: F401
import hypothesis  # noqa: F401  (its pytest plugin imports it at every terminal summary)
import pytest

# Imported here so that pytester's in-process runs keep them instead of importing them anew.
import pytest_convitems.drift
import pytest_convitems.recording
import pytest_convitems.validation  # noqa: F401
from pytest_convitems.server import running_server

pytest_plugins = ["pytester"]

CLIENT = """
import os, httpx, pytest

pytestmark = pytest.mark.convitems

BASE = os.environ["CONVITEMS_DRIFT_BASE"]
HEADERS = {"Authorization": "Bearer sk-convitems-FAKE-drift"}
SAID = {"type": "message", "role": "assistant", "content": "hi", "phase": "final_answer"}

def test_items():
    conv = httpx.post(BASE + "/conversations", json={}, headers=HEADERS).json()
    url = BASE + "/conversations/" + conv["id"] + "/items"
    made = httpx.post(url, json={"items": [SAID, SAID]}, headers=HEADERS)
    assert made.status_code == 200, made.text
    assert httpx.get(url, headers=HEADERS).status_code == 200
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed cassette, recorded from the current profile."""
    pytester.makepyfile(test_live=CLIENT)
    with running_server(profile="current") as srv:
        monkeypatch.setenv("CONVITEMS_DRIFT_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=1)
    cassettes = list(pytester.path.rglob("test_items.yaml"))
    assert len(cassettes) == 1
    return cassettes[0]


def _live(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    with running_server(profile="seed") as srv:
        monkeypatch.setenv("CONVITEMS_DRIFT_BASE", srv.api_base)
        return pytester.runpytest(*args)


def test_report_mode_reports_drift_and_keeps_the_cassette(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    before = recorded.read_bytes()
    report_file = pytester.path / "convitems.json"
    result = _live(
        pytester, monkeypatch, "--convitems-drift=report", f"--convitems-report={report_file}"
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*drift*breaking*", "*field removed at /phase of `message` items*"]
    )
    assert recorded.read_bytes() == before
    drift = json.loads(report_file.read_text())["drift"]
    found = {(c["change"], c["variant"], c["path"], c["severity"]) for c in drift["changes"]}
    assert ("field_removed", "message", "/phase", "breaking") in found
    assert drift["summary"]["breaking"] >= 1


def test_fail_mode_fails_the_run_on_breaking_drift(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    before = recorded.read_bytes()
    result = _live(pytester, monkeypatch, "--convitems-drift=fail")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*field removed at /phase of `message` items*",
            "convitems: the run fails on breaking drift (--convitems-drift=fail)",
        ]
    )
    assert recorded.read_bytes() == before


def test_no_drift_when_the_upstream_has_not_changed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    with running_server(profile="current") as srv:
        monkeypatch.setenv("CONVITEMS_DRIFT_BASE", srv.api_base)
        result = pytester.runpytest("--convitems-drift=fail")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*no drift*"])


def test_reviewed_changes_in_the_ignore_file_stop_failing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, recorded: Path
) -> None:
    report_file = pytester.path / "convitems.json"
    first = _live(
        pytester, monkeypatch, "--convitems-drift=fail", f"--convitems-report={report_file}"
    )
    assert first.ret == pytest.ExitCode.TESTS_FAILED
    changes = json.loads(report_file.read_text())["drift"]["changes"]
    breaking = [c["fingerprint"] for c in changes if c["severity"] == "breaking"]
    assert breaking
    pytester.path.joinpath("convitems-drift-ignore.yaml").write_text(
        "".join(f"- fingerprint: {fp}\n  reason: seed answers lack phase\n" for fp in breaking)
    )
    again = _live(pytester, monkeypatch, "--convitems-drift=fail")
    assert again.ret == 0, again.stdout.str()
    again.stdout.fnmatch_lines([f"*no unignored drift: {len(breaking)} change* ignored*"])


def test_a_test_with_no_recording_is_not_compared(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new test, not recorded yet, calls the API differently (a user message, no
    `phase`): pooled into NEW, its traffic read as drift against the others' recordings."""
    pytester.makepyfile(test_live=CLIENT)
    with running_server(profile="current") as srv:
        monkeypatch.setenv("CONVITEMS_DRIFT_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_new="""
import os, httpx, pytest

@pytest.mark.convitems
def test_user_items():
    base = os.environ["CONVITEMS_DRIFT_BASE"]
    headers = {"Authorization": "Bearer sk-convitems-FAKE-drift"}
    conv = httpx.post(base + "/conversations", json={}, headers=headers).json()
    url = base + "/conversations/" + conv["id"] + "/items"
    said = {"type": "message", "role": "user", "content": "hi"}
    assert httpx.post(url, json={"items": [said]}, headers=headers).status_code == 200
    assert httpx.get(url, headers=headers).status_code == 200
"""
    )
    with running_server(profile="current") as srv:  # the same release: nothing changed
        monkeypatch.setenv("CONVITEMS_DRIFT_BASE", srv.api_base)
        result = pytester.runpytest("--convitems-drift=fail")
    result.assert_outcomes(passed=2)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*1 test cassette not recorded yet: that live traffic is not compared*"]
    )
