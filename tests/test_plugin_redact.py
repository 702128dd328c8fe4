"""The plugin's redaction: the project's rules from the ini file keep its secrets off disk,
and replay still matches requests whose secrets the cassette no longer holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

# Imported here so that pytester's in-process runs keep them instead of importing them anew.
import httpx  # noqa: F401
import pytest

import pytest_convitems.recording  # noqa: F401
from pytest_convitems.cassette import write_cassette
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.server import running_server

pytest_plugins = ["pytester"]

INI = """
[pytest]
convitems_redact_headers = X-Internal-Token
convitems_redact_query = sig
convitems_redact_json = /metadata/session
convitems_redact_patterns = acct_[0-9a-f]{12}
"""

# Every planted value carries "planted": the cassette must hold none of them.
SUITE = """
import os, httpx, pytest

BASE = os.environ["CONVITEMS_API_BASE"]
HEADERS = {"Authorization": "Bearer sk-convitems-FAKE-test-key-000000000000",
           "X-Internal-Token": "tok-planted-1"}

@pytest.mark.convitems
def test_secrets_everywhere():
    conv = httpx.post(BASE + "/conversations?sig=sig-planted-2", headers=HEADERS,
                      json={"metadata": {"session": "session-planted-3",
                                         "note": "acct_0123456789ab NOTE"}}).json()
    httpx.post(BASE + f"/conversations/{conv['id']}/items", headers=HEADERS,
               json={"items": [{"type": "message", "role": "user",
                                "content": "my key is sk-planted4AAAAAAAAAAAAAAAAAA TEXT"}]})
"""


def _readme_toml() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    (block,) = re.findall(r"```toml\n(.*?)```", readme, re.S)
    return str(block)


@pytest.mark.parametrize("config", ["pytest.ini", "pyproject.toml from the README"])
def test_ini_rules_keep_secrets_off_disk_and_replay_still_matches(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, config: str
) -> None:
    if config == "pytest.ini":
        pytester.makeini(INI)
    else:
        pytester.makepyprojecttoml(_readme_toml())
    pytester.makepyfile(test_red=SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=1)
    cassette = (pytester.path / "cassettes/test_red/test_secrets_everywhere.yaml").read_text()
    assert "planted" not in cassette and "acct_0123456789ab" not in cassette
    assert "sig=REDACTED" in cassette and '"session": "REDACTED"' in cassette

    # The live requests still carry every secret; the cassette holds placeholders.
    replayed = pytester.runpytest("--convitems-replay")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["1 cassette used: 2 interactions replayed*"])

    # A request that no longer matches is explained without quoting its secrets.
    pytester.makepyfile(test_red=SUITE.replace("NOTE", "CHANGED"))
    changed = pytester.runpytest("--convitems-replay")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*body /metadata/note: recorded 'REDACTED NOTE', sent*"])
    assert "planted" not in changed.stdout.str() and "0123456789ab" not in changed.stdout.str()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("convitems_redact_patterns", "acct_(", "'acct_(' is not a regular expression"),
        # REDACTED between every character of every cassette
        ("convitems_redact_patterns", "run=[0-9]*|-?[0-9]{0,3}", "matches the empty string*"),
        # the patterns are joined into one: names clash, group numbers move
        ("convitems_redact_patterns", "(?P<sk>tok-[a-z]+)", "has a named group*"),
        ("convitems_redact_patterns", r"(tok)-\1", "has a back-reference*"),
        ("convitems_redact_json", "metadata/session", "'metadata/session' must start with '/'"),
    ],
)
def test_a_rule_that_cannot_work_stops_the_run_at_startup(
    pytester: pytest.Pytester, key: str, value: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{key} = {value}\n")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {key}: *{message}*"])


def test_the_ini_keys_are_the_redaction_settings() -> None:
    from pytest_convitems import plugin, redact

    assert plugin.REDACT_SETTINGS == redact.SETTINGS


def test_a_finding_never_quotes_the_secret_it_refuses(pytester: pytest.Pytester) -> None:
    url = "http://127.0.0.1:9/v1/conversations/conv_1/items"
    key = "sk-proj-AAAAmarker01AAAAAAAAAAAAAAAAAAAAAAAAAA"  # sent where a role goes
    body = {"items": [{"type": "message", "role": key, "content": "hi"}]}
    listing = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    write_cassette(
        pytester.path / "cassettes/test_key/test_key_as_role.yaml",
        [
            Exchange(
                Request(
                    "POST", url, {"content-type": ["application/json"]}, json.dumps(body).encode()
                ),
                Response(
                    200, "OK", {"content-type": ["application/json"]}, json.dumps(listing).encode()
                ),
            )
        ],
    )
    pytester.makepyfile(
        test_key=f"""
import httpx, pytest

@pytest.mark.convitems
def test_key_as_role():
    httpx.post({url!r}, json={body!r})
"""
    )
    result = pytester.runpytest("--convitems-replay", "--convitems-report=report.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*body:/items/0/role *not 'sk-REDACTED'*"])
    assert "marker01" not in result.stdout.str()
    assert "marker01" not in (pytester.path / "report.json").read_text()


# A run id in a body: new every run, so replay misses it until its pointer is redacted.
VOLATILE = """
import os, uuid, httpx, pytest

BASE = os.environ["CONVITEMS_API_BASE"]
AUTH = {"Authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}

@pytest.mark.convitems
def test_tagged_run():
    conv = httpx.post(BASE + "/conversations", headers=AUTH,
                      json={"metadata": {"test_run": uuid.uuid4().hex}}).json()
    items = httpx.get(BASE + f"/conversations/{conv['id']}/items", headers=AUTH).json()
    assert items["data"] == []
"""


def test_a_value_new_every_run_matches_once_its_pointer_is_redacted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_vol=VOLATILE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=1)
        missed = pytester.runpytest("--convitems-replay")
        missed.assert_outcomes(failed=1)
        missed.stdout.fnmatch_lines(["*body /metadata/test_run: recorded '*', sent '*'"])

        pytester.makeini("[pytest]\nconvitems_redact_json = /metadata/test_run\n")
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=1)
    cassette = (pytester.path / "cassettes/test_vol/test_tagged_run.yaml").read_text()
    assert '"test_run": "REDACTED"' in cassette
    for _ in range(2):  # a new run id each time, and each run replays
        pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


def test_a_miss_against_an_old_unredacted_cassette_quotes_no_secret(
    pytester: pytest.Pytester,
) -> None:
    """A cassette from before redaction (pytest-recording with no filters) holds the key:
    the closest-match lines compare and quote it redacted, as the sent side is."""
    key = "sk-test-querykey1234567890marker02"
    url = f"http://127.0.0.1:9/v1/conversations/conv_1/items?api_key={key}"
    body = {"items": [{"type": "message", "role": "user", "content": f"my key is {key} ok"}]}
    listing = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    write_cassette(
        pytester.path / "cassettes/test_old/test_old.yaml",
        [
            Exchange(
                Request(
                    "POST", url, {"content-type": ["application/json"]}, json.dumps(body).encode()
                ),
                Response(
                    200, "OK", {"content-type": ["application/json"]}, json.dumps(listing).encode()
                ),
            )
        ],
        redactor=None,
    )
    changed = {"items": [{"type": "message", "role": "user", "content": f"MY key is {key} ok"}]}
    pytester.makepyfile(
        test_old=f"""
import httpx, pytest

@pytest.mark.convitems
def test_old():
    httpx.post({url + "&limit=5"!r}, json={changed!r})
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "marker02" not in out
    result.stdout.fnmatch_lines(
        ["*closest recorded request*api_key=REDACTED*", "*query /limit: recorded (absent)*"]
    )
    assert "query /api_key" not in out  # both sides redacted: no false difference
