"""`convitems validate PATH...`: good, bad, secret-bearing and corrupt cassettes; exit 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import openai
import pytest
import vcr
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from pytest_convitems.cassette import write_cassette
from pytest_convitems.cassette_check import secret_findings
from pytest_convitems.cli import main
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.server import RunningServer
from tests.conftest import FAKE_API_KEY
from tests.test_cassette import Recorder

ITEMS = "http://127.0.0.1:9/v1/conversations/conv_1/items"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def good(server: RunningServer, tmp_path: Path) -> Path:
    """Real, valid traffic from the embedded server, written by our writer."""
    recorder = Recorder()
    client = openai.OpenAI(
        base_url=server.api_base,
        api_key=FAKE_API_KEY,
        http_client=httpx2.Client(event_hooks={"response": [recorder.hook]}),
        max_retries=0,
    )
    conv = client.conversations.create()
    msg = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    created = client.conversations.items.create(conv.id, items=[msg])
    client.conversations.items.list(conv.id, limit=5)
    client.conversations.items.retrieve(created.data[0].id, conversation_id=conv.id)
    path = tmp_path / "cassettes" / "good" / "items.yaml"
    write_cassette(path, recorder.exchanges)
    return path


_ERROR_400 = Response(
    400,
    "Bad Request",
    {"Content-Type": ["application/json"]},
    json.dumps(
        {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}}
    ).encode(),
)
_EMPTY_LIST = Response(
    200,
    "OK",
    {"Content-Type": ["application/json"]},
    json.dumps(
        {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    ).encode(),
)


def _bad(tmp_path: Path, answer: Response = _EMPTY_LIST) -> Path:
    """A request the models refuse (role `wizard`), answered by `answer`."""
    bad = Exchange(
        Request(
            "POST",
            ITEMS,
            {"Content-Type": ["application/json"]},
            json.dumps({"items": [{"type": "message", "role": "wizard", "content": "x"}]}).encode(),
        ),
        answer,
    )
    path = tmp_path / "cassettes" / "bad.yaml"
    write_cassette(path, [bad])
    return path


def _vcrpy_with_secrets(tmp_path: Path) -> Path:
    """A cassette plain vcrpy recorded without filters: the key is on disk."""
    request = vcr.request.Request(
        "GET",
        ITEMS + "?limit=2&api_key=abcdef0123456789abcdef",
        None,
        {"Authorization": f"Bearer {FAKE_API_KEY}", "User-Agent": "x"},
    )
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Content-Type": ["application/json"],
            "Set-Cookie": ["s=abcdef0123456789abcdefgh"],
        },
        "body": {
            "string": json.dumps(
                {
                    "object": "list",
                    "data": [],
                    "first_id": None,
                    "last_id": None,
                    "has_more": False,
                    "note": f"key {FAKE_API_KEY}",
                }
            )
        },
    }
    path = tmp_path / "cassettes" / "leaky.yaml"
    FilesystemPersister.save_cassette(
        path, {"requests": [request], "responses": [response]}, yamlserializer
    )
    return path


def _run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_good_cassette_passes(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(str(good), capsys=capsys)
    assert code == 0, out
    assert "0 error(s)" in out and err == ""
    code, out, _ = _run(str(good.parent), "--format", "json", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert report["summary"]["cassettes"] == 1 and report["summary"]["interactions"] == 4
    assert report["summary"]["ok"] is True


def test_bad_cassette_fails_with_sourced_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bad(tmp_path)
    code, out, _ = _run(str(path), "--format", "json", capsys=capsys)
    assert code == 1
    findings = json.loads(out)["findings"]
    assert findings, out
    assert all(f["source"] == {"cassette": str(path), "interaction": 0} for f in findings)
    assert any(f["pointer"].startswith("/items/0") for f in findings)
    code, out, _ = _run(str(path), capsys=capsys)
    assert code == 1 and f"{path}#0" in out


def test_a_request_the_api_refused_as_recorded_is_shown_not_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A test that sends an invalid request on purpose records the API's 400: the cassette
    agrees with the API, so the gate passes and still shows what was refused."""
    path = _bad(tmp_path, answer=_ERROR_400)
    code, out, _ = _run(str(path), capsys=capsys)
    assert code == 0, out
    assert "Not counted: 1 request error(s) in interactions the API refused with 400" in out
    assert "/items/0/role" in out
    code, out, _ = _run(str(path), "--format", "json", capsys=capsys)
    report = json.loads(out)
    assert report["findings"] == [] and report["summary"]["refused_by_the_api"] == 1
    assert report["refused_by_the_api"][0]["pointer"] == "/items/0/role"


def test_secrets_on_disk_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _vcrpy_with_secrets(tmp_path)
    code, out, _ = _run(str(path), "--format", "json", capsys=capsys)
    assert code == 1
    report = json.loads(out)
    secrets = [f for f in report["findings"] if f["rule"] == "secret"]
    places = {(f["direction"], f["part"], f["pointer"]) for f in secrets}
    assert ("request", "query", "/api_key") in places
    assert ("response", "body", "/note") in places
    assert ("request", "headers", "/Authorization") in places
    assert ("response", "headers", "/Set-Cookie") in places
    messages = " ".join(f["message"] for f in secrets)
    assert "header Authorization" in messages and "header Set-Cookie" in messages
    assert all(f["severity"] == "error" and f["endpoint"] == "list" for f in secrets)
    assert report["summary"]["secrets"] == len(secrets) == 4
    assert FAKE_API_KEY not in out  # the report does not repeat the secret


def test_a_finding_never_quotes_the_key_it_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A key sent in the wrong field: the finding about the field quotes the value it refuses,
    # and `convitems validate` runs in CI, whose logs others read.
    body = json.dumps({"items": [{"role": FAKE_API_KEY, "content": "hi"}]}).encode()
    path = tmp_path / "leaky.yaml"
    write_cassette(path, [Exchange(Request("POST", ITEMS, {}, body), Response(200, "OK"))])
    path.write_text(path.read_text().replace("sk-REDACTED", FAKE_API_KEY))  # as vcrpy stores it
    for fmt in ("text", "json"):
        code, out, _ = _run(str(path), "--format", fmt, capsys=capsys)
        assert code == 1
        assert "/items/0/role" in out and "must be one of" in out
        assert FAKE_API_KEY[:12] not in out, fmt


def test_placeholders_and_vcrpy_dummies_are_not_secrets() -> None:
    e = Exchange(
        Request(
            "GET",
            ITEMS + "?api_key=REDACTED&token=DUMMY",
            {"Authorization": ["Bearer REDACTED"], "api-key": ["<API_KEY>"], "X": ["sk-REDACTED"]},
            b"",
        ),
        Response(200, "OK", {"Set-Cookie": ["REDACTED"]}, b'{"k": "sk-REDACTED"}'),
    )
    assert secret_findings(e) == []


def test_our_writer_output_has_no_secrets_even_from_leaky_traffic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaky = _vcrpy_with_secrets(tmp_path)
    from pytest_convitems.cassette import load_cassette

    clean = tmp_path / "clean" / "c.yaml"
    write_cassette(clean, load_cassette(leaky))
    _, out, _ = _run(str(clean), capsys=capsys)
    assert "(0 secret(s))" in out, out  # other findings: the hand-made traffic breaks the models


def test_corrupt_cassette_exits_2_naming_file_and_line(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = good.parent / "broken.yaml"
    broken.write_text("interactions:\n- request: [\nversion: 1\n")
    before = broken.read_bytes()
    code, out, err = _run(str(good.parent), capsys=capsys)
    assert code == 2
    assert str(broken) in err and "line " in err
    assert "1 unreadable" in out
    assert broken.read_bytes() == before
    code, out, err = _run(str(good.parent), "--format", "json", capsys=capsys)
    assert code == 2 and json.loads(out)["summary"]["unreadable"] == 1


@pytest.mark.parametrize(
    ("setup", "needle"),
    [("missing", "no such file or folder"), ("empty_dir", "no cassettes")],
)
def test_unusable_paths_exit_2(
    setup: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / setup
    if setup == "empty_dir":
        target.mkdir()
        (target / ".hidden.yaml.x.tmp").write_text("partial")
    code, _, err = _run(str(target), capsys=capsys)
    assert code == 2 and needle in err and str(target) in err


def test_folder_walk_skips_json_that_is_not_a_cassette(
    good: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (good.parent / "report.json").write_text(json.dumps({"findings": [], "summary": {}}))
    (good.parent / ".convitems-cache").mkdir()
    (good.parent / ".convitems-cache" / "x.json").write_text("{broken")
    code, out, _ = _run(str(good.parent), capsys=capsys)
    assert code == 0 and "1 cassette(s)" in out
    code, _, err = _run(str(good.parent / "report.json"), capsys=capsys)
    assert code == 2 and "report.json" in err  # named explicitly: it must be a cassette


def test_console_entry_point(tmp_path: Path) -> None:
    path = _bad(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_convitems", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert str(path) in proc.stdout


def test_a_folder_walk_skips_the_drift_ignore_file_and_other_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README keeps the reviewed ignore list beside the cassettes; a tests folder used
    as the cassette dir holds a package.json. Neither is a corrupt cassette to delete."""
    folder = tmp_path / "recs"
    write_cassette(
        folder / "a.yaml",
        [Exchange(Request("GET", ITEMS, {}), Response(200, "OK", {}, b""))],
        redactor=None,
    )
    (folder / "convitems-drift-ignore.yaml").write_text("- fingerprint: abc\n  reason: ok\n")
    (folder / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    main(["validate", str(folder), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["cassettes"] == 1 and data["unreadable"] == []
    # Named, as a pre-commit hook passes every changed file under cassettes/: skipped too.
    ignore = str(folder / "convitems-drift-ignore.yaml")
    main(["validate", str(folder / "a.yaml"), ignore, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["cassettes"] == 1 and data["unreadable"] == []


def test_an_empty_file_is_not_a_valid_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook passed a truncated cassette: replay then fails in CI."""
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert main(["validate", str(tmp_path / "empty.yaml")]) == 2
    assert "an empty file, not a cassette" in capsys.readouterr().err
