"""The plugin end to end: the real openai client records against the embedded server, replays
with the server stopped, and a changed request fails exactly its own test. Also: living
next to pytest-recording, and recording from several xdist workers at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Imported here so that pytester's in-process runs keep them instead of importing them anew.
import httpx
import hypothesis  # noqa: F401
import openai  # noqa: F401
import pytest

import pytest_convitems.cassette_parse  # PyYAML with it: see tests/test_plugin.py
import pytest_convitems.recording
import pytest_convitems.validation  # noqa: F401
from pytest_convitems.cassette import load_cassette, write_cassette
from pytest_convitems.cassette_lock import lock_directory
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.server import running_server

pytest_plugins = ["pytester"]

SUITE = """
import os
import openai
import pytest

def client():
    return openai.OpenAI(base_url=os.environ["CONVITEMS_API_BASE"],
                         api_key="sk-convitems-FAKE-test-key-000000000000")

@pytest.mark.convitems
def test_add_and_list():
    c = client()
    conv = c.conversations.create()
    c.conversations.items.create(conv.id, items=[
        {"type": "message", "role": "user", "content": "GREETING"},
    ])
    listed = c.conversations.items.list(conv.id, order="asc")
    assert [item.type for item in listed.data] == ["message"]

@pytest.mark.convitems
def test_retrieve_and_delete():
    c = client()
    conv = c.conversations.create()
    created = c.conversations.items.create(conv.id, items=[
        {"type": "message", "role": "user", "content": "one"},
        {"type": "message", "role": "assistant", "content": "two"},
    ])
    first = c.conversations.items.retrieve(created.data[0].id, conversation_id=conv.id)
    assert first.id == created.data[0].id
    c.conversations.items.delete(created.data[1].id, conversation_id=conv.id)

def test_fixture(convitems):
    c = client()
    conv = c.conversations.create()
    c.conversations.items.list(conv.id, limit=5)
    assert convitems.errors == []
"""


def test_record_then_replay_offline_then_one_changed_request(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_suite=SUITE.replace("GREETING", "hello"))
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        recorded = pytester.runpytest()
        recorded.assert_outcomes(passed=3)
        recorded.stdout.fnmatch_lines(
            ["3 cassettes used: 0 interactions replayed, 9 recorded, 0 recorded but unused"]
        )
    folder = pytester.path / "cassettes" / "test_suite"
    assert sorted(p.name for p in folder.iterdir()) == [
        "test_add_and_list.yaml",
        "test_fixture.yaml",
        "test_retrieve_and_delete.yaml",
    ]
    for path in folder.iterdir():
        assert "sk-convitems-FAKE" not in path.read_text()

    # the server is gone: replay must not need it
    replayed = pytester.runpytest("--convitems-replay")
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(
        [
            "3 cassettes used: 9 interactions replayed, 0 recorded, 0 recorded but unused",
            "findings: 0 errors, 0 drift",
        ]
    )

    pytester.makepyfile(test_suite=SUITE.replace("GREETING", "hello, world"))
    changed = pytester.runpytest("--convitems-replay")
    changed.assert_outcomes(passed=2, failed=1)
    changed.stdout.fnmatch_lines(
        [
            "*_ test_add_and_list _*",
            "convitems: no recorded interaction matches POST /v1/conversations/conv_*/items",
            "  cassette: cassettes/test_suite/test_add_and_list.yaml (record mode none, 3 recorded interaction(s), 1 replayed)",
            "  closest recorded request (interaction 1): POST http://127.0.0.1:*/v1/conversations/conv_*/items",
            "    - body /items/0/content: recorded 'hello', sent 'hello, world'",
            "  re-record this test: pytest test_suite.py::test_add_and_list --convitems-record-mode=all",
            "FAILED test_suite.py::test_add_and_list - Failed: convitems: no recorded*",
        ]
    )

    # the command the failure names re-records that one test; replay passes again
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest(
            "test_suite.py::test_add_and_list", "--convitems-record-mode=all"
        ).assert_outcomes(passed=1)
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=3)


def test_a_recording_run_prunes_lock_files_nobody_wrote_for_a_week(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(pytester.mkdir("tmp")))
    stale = lock_directory() / f"{'0' * 24}.lock"  # a cassette path recorded long ago
    stale.parent.mkdir()
    stale.write_text("an old run")
    os.utime(stale, (time.time() - 8 * 86400,) * 2)
    pytester.makepyfile(test_suite=SUITE.replace("GREETING", "hello"))
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest().assert_outcomes(passed=3)
    assert not stale.exists()
    assert len(list(lock_directory().glob("*.lock"))) == 3  # this run's, one per cassette


# The same suite as pytest-recording users write it (its marker; no convitems fixture).
MIGRATE_SUITE = (
    SUITE.split("def test_fixture")[0]
    .replace("@pytest.mark.convitems", "@pytest.mark.vcr")
    .replace("GREETING", "hello")
)


def test_a_pytest_recording_suite_moves_over_by_swapping_the_marker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "Coming from pytest-recording": same cassette layout, same format."""
    pytester.makepyfile(test_mig=MIGRATE_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--record-mode=once").assert_outcomes(passed=2)
    folder = pytester.path / "cassettes" / "test_mig"
    assert sorted(p.name for p in folder.iterdir()) == [
        "test_add_and_list.yaml",
        "test_retrieve_and_delete.yaml",
    ]

    # Their cassettes, our marker, no server: replayed and validated.
    pytester.makepyfile(
        test_mig=MIGRATE_SUITE.replace("@pytest.mark.vcr", "@pytest.mark.convitems")
    )
    replayed = pytester.runpytest("--convitems-replay")
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(
        [
            "2 cassettes used: 7 interactions replayed, 0 recorded, 0 recorded but unused",
            "findings: 0 errors, 0 drift",
        ]
    )

    # pytest-recording stored the API key as sent; `convitems validate` finds it...
    check = [sys.executable, "-m", "pytest_convitems", "validate", str(folder)]
    found = subprocess.run(check, capture_output=True, text=True, timeout=120)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "Secrets on disk" in found.stdout
    # ...and re-recording with ours writes the cassettes redacted.
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=2)
    assert subprocess.run(check, capture_output=True, timeout=120).returncode == 0
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=2)


NAMES_SUITE = f"""
import os
import openai
import pytest

def add(text):
    c = openai.OpenAI(base_url=os.environ["CONVITEMS_API_BASE"],
                      api_key="sk-convitems-FAKE-test-key-000000000000")
    conv = c.conversations.create()
    c.conversations.items.create(conv.id, items=[{{"type": "message", "role": "user", "content": text}}])

@pytest.mark.vcr
@pytest.mark.parametrize("text", ["hello world", "a:b/c", pytest.param("long", id={"y" * 300!r})])
def test_param(text):
    add(text)

class TestGroup:
    @pytest.mark.vcr
    def test_method(self):
        add("in a class")
"""


def test_pytest_recording_cassette_names_are_ours(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spaces kept, forbidden characters replaced, over-long names cut with their MD5, classes
    prefixed: a suite pytest-recording recorded finds every cassette under our marker."""
    pytester.makepyfile(test_names=NAMES_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--record-mode=once").assert_outcomes(passed=4)
    names = sorted(p.name for p in (pytester.path / "cassettes" / "test_names").iterdir())
    assert "test_param[hello world].yaml" in names and "test_param[a-b-c].yaml" in names
    assert len(names) == 4 and max(len(n) for n in names) == 255
    pytester.makepyfile(
        test_names=NAMES_SUITE.replace("@pytest.mark.vcr", "@pytest.mark.convitems")
    )
    replayed = pytester.runpytest("--convitems-replay")
    replayed.assert_outcomes(passed=4)
    replayed.stdout.fnmatch_lines(["4 cassettes used: 8 interactions replayed, 0 recorded*"])
    assert "orphaned" not in replayed.stdout.str()
    # Re-recorded by ours: the same four files (the longest one too), nothing beside them.
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=4)
    assert sorted(p.name for p in (pytester.path / "cassettes" / "test_names").iterdir()) == names


def _exchange(url: str) -> Exchange:
    item = {
        "id": "msg_1",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    return Exchange(
        Request("GET", url, {"accept": ["application/json"]}),
        Response(200, "OK", {"content-type": ["application/json"]}, json.dumps(item).encode()),
    )


def test_coexists_with_pytest_recording(pytester: pytest.Pytester) -> None:
    url = "http://127.0.0.1:9/v1/conversations/conv_1/items/msg_1"
    write_cassette(pytester.path / "cassettes/test_both/test_vcr.yaml", [_exchange(url)])
    write_cassette(pytester.path / "cassettes/test_both/test_ours.yaml", [_exchange(url)])
    pytester.makepyfile(
        test_both=f"""
import httpx, pytest

URL = {url!r}

@pytest.mark.vcr
def test_vcr(vcr):
    assert httpx.get(URL).json()["id"] == "msg_1"
    assert vcr.play_count == 1

@pytest.mark.convitems
def test_ours(convitems, record_mode):
    assert httpx.get(URL).json()["id"] == "msg_1"
    assert convitems.replayed == 1 and record_mode == "none"
"""
    )
    result = pytester.runpytest("--record-mode=none", "--convitems-replay", "--strict-markers")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["1 cassette used: 1 interaction replayed*"])
    pytester.makepyfile(
        test_both="""
import pytest

@pytest.mark.vcr
@pytest.mark.convitems
def test_twice():
    pass
"""
    )
    both = pytester.runpytest()
    both.assert_outcomes(errors=1)
    both.stdout.fnmatch_lines(["*uses both @pytest.mark.vcr (pytest-recording) and convitems*"])
    fixtures = pytester.runpytest("--fixtures")
    fixtures.stdout.fnmatch_lines(["*convitems* -- *", "*vcr* -- *"])


def test_pytest_recording_settings_left_behind_are_named(pytester: pytest.Pytester) -> None:
    """A suite moving over keeps settings convitems does not read: each is named, with
    what to use, instead of being silently ignored (a filter_headers that redacts nothing,
    a --record-mode=none that records from the network)."""
    url = "http://127.0.0.1:9/v1/conversations/conv_1/items/msg_1"
    write_cassette(pytester.path / "cassettes/test_moved/test_ours.yaml", [_exchange(url)])
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="module")
def vcr_config():
    return {"filter_headers": ["x-internal-token"]}
"""
    )
    pytester.makepyfile(
        test_moved=f"""
import httpx, pytest

@pytest.mark.convitems
def test_ours():
    assert httpx.get({url!r}).json()["id"] == "msg_1"

@pytest.mark.convitems
@pytest.mark.default_cassette("shared.yaml")
def test_default_cassette():
    pass

@pytest.mark.convitems(filter_headers=[("authorization", "Bearer sk-live-abcdefghijklmnopqrstuvwx")])
def test_vcrpy_argument():
    pass

@pytest.mark.convitems(match_on=["method", "uri"])
def test_uri():
    pass

@pytest.mark.convitems(record_mode="rewrite")
def test_rewrite():
    pass
"""
    )
    result = pytester.runpytest("--record-mode=none")
    result.assert_outcomes(passed=1, errors=4)
    out = result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "*ConvitemsWarning: --record-mode=none is pytest-recording's*--convitems-replay*",
            "*ConvitemsWarning: the vcr_config fixture in conftest*convitems_redact_headers*",
            "*default_cassette is pytest-recording's*@pytest.mark.convitems(cassette=*",
            "*got filter_headers: redact headers with the ini key convitems_redact_headers*",
            "*vcrpy's uri is path + query here (the host never counts)*",
            "*record_mode='rewrite'*(pytest-recording's rewrite is all here)*",
        ]
    )
    assert "abcdefghijklmnopqrstuvwx" not in out  # the marker's values are not echoed
    # Kept in addopts, where CI suites keep it: warned about as well.
    pytester.makeini("[pytest]\naddopts = --record-mode=none\n")
    result = pytester.runpytest("-k", "test_ours")
    result.stdout.fnmatch_lines(["*ConvitemsWarning: --record-mode=none is pytest-recording's*"])
    # Chosen for convitems too: no warning about --record-mode.
    quiet = pytester.runpytest("--record-mode=none", "--convitems-replay", "-k", "test_ours")
    quiet.assert_outcomes(passed=1)
    assert "--record-mode=none is pytest-recording's" not in quiet.stdout.str()


def test_a_convitems_test_that_cannot_record_under_block_network_says_why(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_blocked="""
import httpx, pytest

@pytest.mark.convitems
def test_new():
    httpx.get("http://127.0.0.1:9/v1/conversations/conv_1/items")
"""
    )
    result = pytester.runpytest("--block-network")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*blocks convitems tests too, so this one cannot record*"])


def test_block_network_keeps_unmarked_tests_off_the_network_while_ours_replay(
    pytester: pytest.Pytester,
) -> None:
    # `--convitems-replay` intercepts the tests that carry the marker or the fixture, as
    # pytest-recording does; the README points at its `--block-network` for the rest.
    url = "http://127.0.0.1:9/v1/conversations/conv_1/items/msg_1"
    write_cassette(pytester.path / "cassettes/test_net/test_ours.yaml", [_exchange(url)])
    pytester.makepyfile(
        test_net=f"""
import httpx, pytest

URL = {url!r}

@pytest.mark.convitems
def test_ours():
    assert httpx.get(URL).json()["id"] == "msg_1"

def test_forgot_the_marker():
    with pytest.raises(RuntimeError, match="Network is disabled"):
        httpx.get(URL)
"""
    )
    result = pytester.runpytest("--convitems-replay", "--block-network")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["1 cassette used: 1 interaction replayed*"])
    # Without it, the unmarked test's request is not ours to stop: it reaches the socket.
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*ConnectError*"])


def test_ignored_hosts_reach_the_app_under_test_while_the_api_replays(
    pytester: pytest.Pytester,
) -> None:
    # vcrpy's ignore_hosts: the test's own server on localhost is really called, never
    # recorded or replayed; the API call beside it replays as usual.
    url = "http://127.0.0.1:9/v1/conversations/conv_1/items/msg_1"
    cassette = pytester.path / "cassettes/test_app/test_app_and_api.yaml"
    write_cassette(cassette, [_exchange(url)])
    before = cassette.read_bytes()
    # several on one line, as the README writes it (a line list would read one name), or
    # with commas, a port, a scheme: the host is what vcrpy compares
    pytester.makeini("[pytest]\nconvitems_ignore_hosts = example.invalid, http://localhost:8000/\n")
    pytester.makepyfile(
        test_app=f"""
import http.server, threading, httpx, pytest

@pytest.mark.convitems
def test_app_and_api():
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        assert httpx.get(f"http://localhost:{{server.server_port}}/").status_code == 200
    finally:
        thread.join(10)
        server.server_close()
    assert httpx.get({url!r}).json()["id"] == "msg_1"
"""
    )
    for args in (["--convitems-replay"], ["--convitems-record-mode=new_episodes"]):
        result = pytester.runpytest(*args)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["1 cassette used: 1 interaction replayed, 0 recorded*"])
    assert cassette.read_bytes() == before  # nothing of localhost went in


THREADS_SUITE = """
import os
from concurrent.futures import ThreadPoolExecutor
import openai
import pytest

def work(n):
    c = openai.OpenAI(base_url=os.environ["CONVITEMS_API_BASE"],
                      api_key="sk-convitems-FAKE-test-key-000000000000")
    conv = c.conversations.create(metadata={"n": str(n)})
    c.conversations.items.create(conv.id, items=[
        {"type": "message", "role": "user", "content": f"from thread {n}"},
    ])
    return [item.type for item in c.conversations.items.list(conv.id).data]

@pytest.mark.convitems
def test_threads(convitems):
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(16))) == [["message"]] * 16
    assert not convitems.findings
"""


def test_requests_from_many_threads_are_all_recorded_and_replayed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcrpy #295 and #849: only one thread's requests were recorded. Here every thread's
    are, and they replay in whatever order the threads send them (each request differs)."""
    pytester.makepyfile(test_threads=THREADS_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=once").assert_outcomes(passed=1)
    recorded = load_cassette(pytester.path / "cassettes/test_threads/test_threads.yaml")
    assert len(recorded) == 48
    for _ in range(3):
        replayed = pytester.runpytest("--convitems-replay")
        replayed.assert_outcomes(passed=1)
        replayed.stdout.fnmatch_lines(["1 cassette used: 48 interactions replayed, 0 recorded*"])


STARLETTE_SUITE = """
import os
import openai
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

async def ask(request):
    c = openai.AsyncOpenAI(base_url=os.environ["CONVITEMS_API_BASE"],
                           api_key="sk-convitems-FAKE-test-key-000000000000")
    conv = await c.conversations.create()
    listed = await c.conversations.items.list(conv.id)
    return JSONResponse({"items": len(listed.data)})

app = Starlette(routes=[Route("/ask", ask)])

@pytest.mark.convitems
def test_app(convitems):
    with TestClient(app) as client:
        assert client.get("/ask").json() == {"items": 0}
"""


def test_an_app_under_starlette_testclient_replays_its_api_calls_only(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcrpy #628: flaky under Starlette's TestClient. The test's call into the app is not
    traffic to record (its transport is the app itself); the app's calls to the API are."""
    pytester.makepyfile(test_app=STARLETTE_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=once").assert_outcomes(passed=1)
    recorded = load_cassette(pytester.path / "cassettes/test_app/test_app.yaml")
    created = recorded[0].response
    assert created is not None
    assert [(e.request.method, e.request.path) for e in recorded] == [
        ("POST", "/v1/conversations"),
        ("GET", f"/v1/conversations/{json.loads(created.body)['id']}/items"),
    ]
    for _ in range(3):
        pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


STREAMING_SUITE = """
import asyncio, json, os
import openai
import pytest

KEY = "sk-convitems-FAKE-test-key-000000000000"

@pytest.mark.convitems
def test_streamed_and_raw():
    c = openai.OpenAI(base_url=os.environ["CONVITEMS_API_BASE"], api_key=KEY)
    conv = c.conversations.create()
    with c.conversations.items.with_streaming_response.list(conv.id) as response:
        assert json.loads(b"".join(response.iter_bytes(chunk_size=7)))["data"] == []
    raw = c.conversations.items.with_raw_response.list(conv.id, limit=5)
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.parse().data == []

@pytest.mark.convitems
def test_streamed_async():
    async def go():
        c = openai.AsyncOpenAI(base_url=os.environ["CONVITEMS_API_BASE"], api_key=KEY)
        conv = await c.conversations.create()
        async with c.conversations.items.with_streaming_response.list(conv.id) as response:
            text = "".join([t async for t in response.iter_text()])
        return json.loads(text)["data"]
    assert asyncio.run(go()) == []
"""


def test_streaming_and_raw_responses_of_the_sdk_record_and_replay(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcrpy #597, #884, #989: streamed bodies read through vcrpy's stubs. The SDK's
    `with_streaming_response` and `with_raw_response` read the body their own way."""
    pytester.makepyfile(test_stream=STREAMING_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        pytester.runpytest("--convitems-record-mode=once").assert_outcomes(passed=2)
    for _ in range(2):
        replayed = pytester.runpytest("--convitems-replay")
        replayed.assert_outcomes(passed=2)
        replayed.stdout.fnmatch_lines(
            [
                "2 cassettes used: 5 interactions replayed, 0 recorded, 0 recorded but unused",
                "findings: 0 errors, 0 drift",
            ]
        )


REFUSED_SUITE = """
import os
import openai
import pytest

@pytest.fixture
def client():
    return openai.OpenAI(base_url=os.environ["CONVITEMS_API_BASE"],
                         api_key="sk-convitems-FAKE-test-key-000000000000", max_retries=0)

@pytest.mark.convitems
def test_the_api_refuses_a_bad_role(client, convitems):
    conv = client.conversations.create()
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(conv.id, items=[{"role": "robot", "content": "hi"}])
    assert [f.pointer for f in convitems.errors] == ["/items/0/role"]
    convitems.clear_findings()  # sent invalid on purpose: the test must not fail for it

@pytest.mark.convitems
def test_not_cleared(client):
    conv = client.conversations.create()
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(conv.id, items=[{"role": "robot", "content": "hi"}])
"""


def test_a_test_that_sends_an_invalid_request_on_purpose_clears_its_findings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's example: the API's own 400 is what the test expects, and the request's
    error finding, once looked at, is cleared; a test that does not clear it fails."""
    pytester.makepyfile(test_refused=REFUSED_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        recorded = pytester.runpytest("--convitems-record-mode=once")
    recorded.assert_outcomes(passed=1, failed=1)
    for _ in range(2):
        replayed = pytester.runpytest("--convitems-replay")
        replayed.assert_outcomes(passed=1, failed=1)
        replayed.stdout.fnmatch_lines(["*1 validation error(s)*", "*/items/0/role*"])


XDIST_SUITE = """
import os, httpx, pytest

BASE = os.environ["CONVITEMS_API_BASE"]
HEADERS = {"Authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}

@pytest.mark.parametrize("n", range(6))
@pytest.mark.convitems(cassette="shared")
def test_shared(n):
    httpx.post(BASE + "/conversations", json={"metadata": {"n": str(n)}}, headers=HEADERS)

@pytest.mark.parametrize("n", range(4))
def test_own(convitems, n):
    httpx.post(BASE + "/conversations", json={}, headers=HEADERS)
"""


@pytest.mark.parametrize("mode", ["all", "new_episodes", "once"])
def test_xdist_workers_never_clobber_a_shared_cassette_and_reports_merge(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    shared = pytester.path / "cassettes/test_par/shared.yaml"
    if mode == "new_episodes":
        write_cassette(shared, [_exchange("http://127.0.0.1:9/v1/conversations/c/items/i")])
    pytester.makepyfile(test_par=XDIST_SUITE)
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        result = pytester.runpytest(
            "-n",
            "2",
            "-p",
            "no:hypothesispytest",
            f"--convitems-record-mode={mode}",
            "--convitems-report=report.json",
        )
    result.assert_outcomes(passed=10)
    bodies = [json.loads(e.request.body) for e in load_cassette(shared) if e.request.body]
    assert sorted(b["metadata"]["n"] for b in bodies) == [str(n) for n in range(6)]
    report = json.loads(Path(pytester.path / "report.json").read_text())
    assert report["summary"]["cassettes"] == 5
    assert report["summary"]["recorded"] == 10
    [use] = [c for c in report["cassettes"] if c["path"].endswith("shared.yaml")]
    assert len(use["tests"]) == 6
    result.stdout.fnmatch_lines(["5 cassettes used: 0 interactions replayed, 10 recorded*"])


def test_vcrpy_persister_writes_and_reads_our_cassettes(tmp_path: Path) -> None:
    import vcr

    from pytest_convitems.recording_vcr import ConvItemsPersister

    my_vcr = vcr.VCR(record_mode="once")
    my_vcr.register_persister(ConvItemsPersister)
    path = tmp_path / "plain.yaml"
    with running_server() as srv, my_vcr.use_cassette(str(path)):
        headers = {"Authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}
        made = httpx.post(srv.api_base + "/conversations", json={}, headers=headers)
        conv_id = made.json()["id"]
    text = path.read_text()
    assert "sk-convitems-FAKE" not in text and '"object": "conversation"' in text
    [exchange] = load_cassette(path)
    assert exchange.request.method == "POST"
    # replayed by plain vcrpy through the persister, with nothing listening
    with my_vcr.use_cassette(str(path), record_mode="none"):
        again = httpx.post(srv.api_base + "/conversations", json={}, headers=headers)
    assert again.json()["id"] == conv_id
