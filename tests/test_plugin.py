"""The pytest plugin, driven through pytester: options, ini keys, marker, fixture, record
modes, failure messages, the summary and the report file.

Replay tests read cassettes written here and send to 127.0.0.1:9 (nothing listens there), so
a request that escapes the cassette fails loudly instead of reaching a network. Recording
tests use the embedded server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# httpx, hypothesis (its pytest plugin imports it at every terminal summary) and our modules
# are imported here so that pytester's in-process runs keep them instead of importing anew.
# cassette_parse brings PyYAML: its C extension is not re-imported, and a fresh `yaml` package
# beside it raises errors the parser's `except` no longer matches (this module run alone).
import httpx  # noqa: F401
import hypothesis  # noqa: F401
import pytest

import pytest_convitems.cassette_parse
import pytest_convitems.recording
import pytest_convitems.validation  # noqa: F401
from pytest_convitems.cassette import load_cassette, write_cassette
from pytest_convitems.exchange import Exchange, Request, Response

pytest_plugins = ["pytester"]

DEAD = "http://127.0.0.1:9/v1"
"""Nothing listens on the discard port: reaching it means the cassette was bypassed."""

JSON = {"content-type": ["application/json"]}


def message(text: str, item_id: str = "msg_1", **extra: Any) -> dict[str, Any]:
    item = {
        "id": item_id,
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": text}],
    }
    item.update(extra)
    return item


def create_exchange(text: str, *, bad_type: bool = False, **extra: Any) -> Exchange:
    body = {
        "items": [{"type": "mesage" if bad_type else "message", "role": "user", "content": text}]
    }
    listing = {
        "object": "list",
        "data": [message(text, **extra)],
        "first_id": "msg_1",
        "last_id": "msg_1",
        "has_more": False,
    }
    return Exchange(
        Request(
            "POST",
            "https://api.openai.com/v1/conversations/conv_1/items",
            dict(JSON),
            json.dumps(body).encode(),
        ),
        Response(200, "OK", dict(JSON), json.dumps(listing).encode()),
    )


def retrieve_exchange(item_id: str = "msg_1") -> Exchange:
    return Exchange(
        Request("GET", f"https://api.openai.com/v1/conversations/conv_1/items/{item_id}"),
        Response(200, "OK", dict(JSON), json.dumps(message("hi", item_id)).encode()),
    )


def cassette(pytester: pytest.Pytester, relative: str, *exchanges: Exchange) -> Path:
    path = pytester.path / relative
    write_cassette(path, exchanges)
    return path


CLIENT = f"""
import httpx, pytest

BASE = {DEAD!r}

def create(text, bad_type=False):
    kind = "mesage" if bad_type else "message"
    r = httpx.post(BASE + "/conversations/conv_1/items",
                   json={{"items": [{{"type": kind, "role": "user", "content": text}}]}})
    return r.json()

def retrieve(item_id="msg_1"):
    return httpx.get(BASE + "/conversations/conv_1/items/" + item_id).json()
"""


def test_help_lists_every_option(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "OpenAI Conversations items*",
            "*--convitems-replay*",
            "*--convitems-record-mode=*",
            "*--convitems-cassette-dir=*",
            "*--convitems-drift=*",
            "*--convitems-report=*",
            "*convitems_replay (bool)*",
            "*convitems_record_mode (string)*",
            "*convitems_cassette_dir (string)*",
            "*convitems_drift (string)*",
            "*convitems_report (string)*",
        ]
    )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.convitems(cassette=None, record_mode=None, match_on=None)*"]
    )


def test_replay_serves_the_cassette_and_validates(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/test_one.yaml", create_exchange("hi"), retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_one():
    assert create("hi")["data"][0]["content"][0]["text"] == "hi"
    assert retrieve()["id"] == "msg_1"
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*- convitems -*",
            "1 cassette used: 2 interactions replayed, 0 recorded, 0 recorded but unused",
            "findings: 0 errors, 0 drift",
        ]
    )


def test_a_gzip_encoded_request_is_validated_and_matched_decoded(
    pytester: pytest.Pytester,
) -> None:
    # The cassette holds request bodies decoded (as the proxy records them); the live one
    # arrives gzip-encoded. Raw, it was an invalid-UTF-8 error and a replay miss.
    cassette(pytester, "cassettes/test_a/test_gz.yaml", create_exchange("hi"))
    pytester.makepyfile(
        test_a=CLIENT
        + """
import gzip, json

@pytest.mark.convitems
def test_gz(convitems):
    body = json.dumps({"items": [{"type": "message", "role": "user", "content": "hi"}]})
    r = httpx.post(BASE + "/conversations/conv_1/items", content=gzip.compress(body.encode()),
                   headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 200
    assert convitems.findings == []
    assert json.loads(convitems.exchanges[0].request.body)["items"][0]["content"] == "hi"
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=1)


def test_fixture_gives_path_exchanges_and_findings(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/test_fx.yaml", create_exchange("hi", surprise=1))
    pytester.makepyfile(
        test_a=CLIENT
        + """
from pytest_convitems import ConvItemsCassette

def test_fx(convitems: ConvItemsCassette):
    assert convitems.path.parts[-3:] == ("cassettes", "test_a", "test_fx.yaml")
    assert convitems.record_mode == "none"
    create("hi")
    assert convitems.replayed == 1 and convitems.recorded == []
    assert [e.request.method for e in convitems.exchanges] == ["POST"]
    assert [(f.severity, f.pointer) for f in convitems.findings] == [("drift", "/data/0/surprise")]
    assert convitems.errors == []
    assert convitems.findings[0].source["test"] == "test_a.py::test_fx"
"""
    )
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


def test_tests_without_marker_or_fixture_are_not_intercepted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a=CLIENT
        + """
import httpx

def test_plain():
    with pytest.raises(Exception, match="[Cc]onnect"):
        retrieve()
"""
    )
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)
    assert not (pytester.path / "cassettes").exists()


def test_patches_are_there_for_convitems_tests_and_never_reach_other_tests(
    pytester: pytest.Pytester,
) -> None:
    """vcrpy's patches are in place for each convitems test, and gone for a test that does
    not use convitems and after the run, -x included."""
    for name in ("test_one", "test_two", "test_three"):
        cassette(pytester, f"cassettes/test_a/{name}.yaml", retrieve_exchange())
    pytester.makeconftest(
        """
import httpx

ORIGINAL = httpx.HTTPTransport.handle_request

def pytest_unconfigure(config):
    print("AFTER RUN PATCHED", httpx.HTTPTransport.handle_request is not ORIGINAL)
"""
    )
    pytester.makepyfile(
        test_a=CLIENT
        + """
from conftest import ORIGINAL

def test_plain_first():
    assert httpx.HTTPTransport.handle_request is ORIGINAL

def test_one(convitems):
    assert httpx.HTTPTransport.handle_request is not ORIGINAL
    retrieve()

def test_two(convitems):
    retrieve()
    assert convitems.exchanges

def test_plain_between():
    assert httpx.HTTPTransport.handle_request is ORIGINAL

def test_three(convitems):
    retrieve()
    assert False, "stop here with -x"

def test_four(convitems):
    retrieve()
"""
    )
    result = pytester.runpytest("-s", "--convitems-replay", "-x")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*AFTER RUN PATCHED False*"])


def test_a_vcrpy_whose_patch_list_changed_shape_fails_with_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    cassette(pytester, "cassettes/test_a/test_one.yaml", retrieve_exchange())
    pytester.makeconftest(
        """
from vcr import patch

# a vcrpy release whose patch list no longer holds mock patchers (in a subprocess)
patch.CassettePatcherBuilder.build = lambda self: iter([object()])
"""
    )
    pytester.makepyfile(
        test_a=CLIENT + "\n@pytest.mark.convitems\ndef test_one():\n    retrieve()\n"
    )
    result = pytester.runpytest_subprocess("--convitems-replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*convitems: cannot install vcrpy *'s patches (AttributeError(*"
            "last tested with vcrpy 9.4.2: install that (pip install 'vcrpy==9.4.2')*"
        ]
    )


def test_unmatched_request_shows_closest_diff_and_rerecord_command(
    pytester: pytest.Pytester,
) -> None:
    cassette(pytester, "cassettes/test_a/test_changed.yaml", create_exchange("hi"))
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_changed():
    create("hello")
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "convitems: no recorded interaction matches POST /v1/conversations/conv_1/items",
            "  cassette: cassettes/test_a/test_changed.yaml (record mode none, 1 recorded interaction(s), 0 replayed)",
            "  closest recorded request (interaction 0): POST https://api.openai.com/v1/conversations/conv_1/items",
            "    - body /items/0/content: recorded 'hi', sent 'hello'",
            "  re-record this test: pytest test_a.py::test_changed --convitems-record-mode=all",
            "next: 1 test met requests their cassettes do not hold; re-record: pytest test_a.py::test_changed --convitems-record-mode=all",
        ]
    )
    # the stack through httpx is not shown: our message is the whole failure
    result.stdout.no_fnmatch_line("*httpx_stubs.py*")


def test_a_test_that_caught_a_miss_and_then_failed_is_told_about_the_miss(
    pytester: pytest.Pytester,
) -> None:
    """Code with a fallback catches the miss; the test then fails on its own assert,
    which says nothing of the request the cassette does not hold."""
    cassette(pytester, "cassettes/test_a/test_fallback.yaml", create_exchange("hi"))
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_fallback():
    try:
        item = create("other")
    except Exception:
        item = None
    assert item is not None
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*assert None is not None*",
            "*convitems: no recorded interaction matches POST /v1/conversations/conv_1/items",
            "*body /items/0/content: recorded 'hi', sent 'other'",
        ]
    )


def test_every_miss_of_a_test_is_named(pytester: pytest.Pytester) -> None:
    """Concurrent calls that miss together each raise; the failure names them all."""
    cassette(pytester, "cassettes/test_a/test_three.yaml", create_exchange("hi"))
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_three():
    for text in ("one", "two", "three"):
        try:
            create(text)
        except Exception:
            pass
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*body /items/0/content: recorded 'hi', sent 'one'",
            "*and 2 more request(s) this cassette does not hold:",
            "    POST /v1/conversations/conv_1/items",
            "    POST /v1/conversations/conv_1/items",
        ]
    )
    # A new test's concurrent calls: each is named, not "no cassette yet" over again.
    (pytester.path / "cassettes/test_a/test_three.yaml").unlink()
    result = pytester.runpytest("--convitems-replay")
    result.stdout.fnmatch_lines(
        ["*and 2 more request(s) this cassette does not hold:", "    POST /v1/conversations/*"]
    )


def test_a_miss_in_a_shared_fixture_says_to_re_record_the_file_together(
    pytester: pytest.Pytester,
) -> None:
    # A module-scoped fixture's request is recorded in the first test's cassette: `-k` on
    # the second misses, and re-recording that test alone never converged.
    cassette(
        pytester, "cassettes/test_a/test_m1.yaml", retrieve_exchange("msg_f"), retrieve_exchange()
    )
    cassette(pytester, "cassettes/test_a/test_m2.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.fixture(scope="module")
def shared():
    return retrieve("msg_f")

@pytest.mark.convitems
def test_m1(shared):
    retrieve()

@pytest.mark.convitems
def test_m2(shared):
    retrieve()
"""
    )
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=2)
    result = pytester.runpytest("--convitems-replay", "-k", "test_m2")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*convitems: no recorded interaction matches GET /v1/conversations/conv_1/items/msg_f",
            "*made while setting up the test's fixtures, where shared (module) run once for "
            "many tests*Re-record the tests that share them together: pytest test_a.py "
            "--convitems-record-mode=all*",
            "next: 1 test met requests*re-record: pytest test_a.py --convitems-record-mode=all",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_two_tests_whose_names_make_one_file_name_are_warned_of(
    pytester: pytest.Pytester,
) -> None:
    # `a/b` and `a:b` both become `test_p[a-b].yaml`: the second replays the first's answers.
    pytester.makepyfile(
        test_a="""
import pytest

@pytest.mark.convitems
@pytest.mark.parametrize("v", ["a/b", "a:b", "c"])
def test_p(v):
    pass

@pytest.mark.convitems(cassette="shared")
@pytest.mark.parametrize("v", ["x", "y"])
def test_shared_on_purpose(v):
    pass

@pytest.mark.convitems("positional")
@pytest.mark.parametrize("v", ["x", "y"])
def test_shared_by_position(v):
    pass
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=7, warnings=1)
    assert (
        "ConvitemsWarning: test_a.py::test_p[a/b] and test_a.py::test_p[a:b] use one "
        "cassette, cassettes/test_a/test_p[a-b].yaml"
    ) in result.stdout.str()
    # each may run on another worker: compared with every collected test of the file
    result = pytester.runpytest("-p", "xdist", "-n", "2", "-W", "error::pytest.PytestWarning")
    result.stdout.fnmatch_lines(["*convitems: test_a.py::test_p[[]a*use one cassette*"])
    assert "Traceback" not in result.stdout.str()


def test_a_miss_in_a_session_fixtures_teardown_names_every_file_that_shares_it(
    pytester: pytest.Pytester,
) -> None:
    # A session fixture (conftest.py) deleting in its teardown: the request is recorded in
    # the cassette of the last test, and re-recording one test or one file never converged.
    cassette(pytester, "cassettes/test_a/test_a1.yaml", retrieve_exchange())
    cassette(
        pytester, "cassettes/test_b/test_b1.yaml", retrieve_exchange(), retrieve_exchange("msg_t")
    )
    pytester.makeconftest(
        CLIENT
        + """
@pytest.fixture(scope="session")
def shared():
    yield
    retrieve("msg_t")
"""
    )
    test = """
import pytest
from conftest import retrieve

@pytest.mark.convitems
def test_{n}1(shared):
    retrieve()
"""
    pytester.makepyfile(test_a=test.format(n="a"), test_b=test.format(n="b"))
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=2)
    result = pytester.runpytest("--convitems-replay", "-k", "test_a1")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a1*",
            "*made while tearing down the fixtures of the session ending after this test*"
            "pytest test_a.py test_b.py --convitems-record-mode=all*",
            "next: *re-record: pytest test_a.py test_b.py --convitems-record-mode=all",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_skipped_or_failed_test_leaves_its_cassette_alone_in_the_advice(
    pytester: pytest.Pytester,
) -> None:
    # Its unsent requests are no sign of a stale recording: "delete it" was destructive.
    for name in ("test_skips", "test_fails"):
        cassette(pytester, f"cassettes/test_a/{name}.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_skips():
    pytest.skip("live only")

@pytest.mark.convitems
def test_fails():
    assert False
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(skipped=1, failed=1)
    assert "delete it" not in result.stdout.str()
    assert "recorded but unused" in result.stdout.str()
    assert "unused in" not in result.stdout.str()


def test_a_module_fixture_torn_down_after_a_test_that_does_not_use_it_names_its_file(
    pytester: pytest.Pytester,
) -> None:
    # The module's last test does not use the fixture, yet its teardown runs there: the
    # command named that one test, which re-recorded never holds the request.
    cassette(pytester, "cassettes/test_a/test_one.yaml", retrieve_exchange())
    cassette(pytester, "cassettes/test_a/test_last.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.fixture(scope="module")
def conv():
    yield
    retrieve("msg_gone")

@pytest.mark.convitems
def test_one(conv):
    retrieve()

@pytest.mark.convitems
def test_last():
    retrieve()
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_last*",
            "*made while tearing down the fixtures of the * ending after this test*"
            "pytest test_a.py --convitems-record-mode=all*",
        ]
    )


@pytest.mark.parametrize("where", ["pytest_plugins", "package_without_init"])
def test_a_broad_fixture_from_a_plugin_module_or_a_folder_package_scope_is_known(
    pytester: pytest.Pytester, where: str
) -> None:
    # A project's fixture module (pytest_plugins) is the project's, not an installed
    # plugin's; a package-scoped fixture outside any package lives for the whole run.
    scope = "module" if where == "pytest_plugins" else "package"
    fixture = f"""
import pytest
from test_a import retrieve

@pytest.fixture(scope={scope!r})
def conv():
    yield
    retrieve("msg_gone")
"""
    for name in ("test_one", "test_last"):
        cassette(pytester, f"cassettes/test_a/{name}.yaml", retrieve_exchange())
    if where == "pytest_plugins":
        pytester.makepyfile(myfixtures=fixture)
        pytester.makeconftest('pytest_plugins = ["myfixtures"]')
    else:
        pytester.makeconftest(fixture)
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_one(conv):
    retrieve()

@pytest.mark.convitems
def test_last():
    retrieve()
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*made while tearing down the fixtures of the * ending after this test*pytest test_a.py --convitems-record-mode=all*"
        ]
    )


def test_a_function_fixtures_teardown_miss_in_the_last_test_stays_that_tests(
    pytester: pytest.Pytester,
) -> None:
    # The last test ends every scope; with no broad fixture about, the request is this
    # test's own, and re-recording the whole run would cost live calls for nothing.
    cassette(pytester, "cassettes/test_a/test_one.yaml", retrieve_exchange())
    cassette(pytester, "cassettes/test_b/test_two.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT + "\n@pytest.mark.convitems\ndef test_one():\n    retrieve()\n",
        test_b=CLIENT
        + """
@pytest.fixture
def cleanup():
    yield
    retrieve("msg_gone")

@pytest.mark.convitems
def test_two(cleanup):
    retrieve()
""",
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "  made while tearing down the test's fixtures",
            "next: 1 test met requests*re-record: pytest test_b.py::test_two --convitems-record-mode=all",
        ]
    )


def test_a_broad_fixtures_failure_met_again_by_a_later_test_is_said_in_our_words(
    pytester: pytest.Pytester,
) -> None:
    # pytest raises a module fixture's failure again for each later test that uses it.
    cassette(pytester, "cassettes/test_a/test_one.yaml", retrieve_exchange())
    cassette(pytester, "cassettes/test_a/test_two.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.fixture(scope="module")
def conv():
    return retrieve("msg_changed")

@pytest.mark.convitems
def test_one(conv):
    pass

@pytest.mark.convitems
def test_two(conv):
    pass
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*convitems: a fixture this test uses failed in an earlier test, on a request*"]
    )
    assert "plugin.py" not in result.stdout.str()


def test_swallowed_unmatched_request_still_fails(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/test_swallow.yaml", create_exchange("hi"))
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_swallow():
    try:
        create("other")
    except Exception:
        pass
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no recorded interaction matches POST*", "*re-record this test*"])


def test_missing_cassette_under_replay_fails_with_how_to_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_new():
    retrieve()
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "convitems: this test has no cassette yet, and record mode none only replays",
            "  cassette: cassettes/test_a/test_new.yaml (does not exist)",
            "  request: GET /v1/conversations/conv_1/items/msg_1",
            "  record it: pytest test_a.py::test_new --convitems-record-mode=all",
            "*",
            "1 cassette used (1 missing): 0 interactions replayed, 0 recorded, 0 recorded but unused",
        ]
    )
    assert not (pytester.path / "cassettes").exists()
    # An empty file (a truncated write, a bad merge) is no cassette either, and says so.
    cassette_file = pytester.path / "cassettes/test_a/test_new.yaml"
    cassette_file.parent.mkdir(parents=True)
    cassette_file.write_bytes(b"")
    result = pytester.runpytest("--convitems-replay")
    result.stdout.fnmatch_lines(["  cassette: cassettes/test_a/test_new.yaml (an empty file)"])


def test_validation_error_fails_the_test_with_pointer(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/test_bad.yaml", create_exchange("hi", bad_type=True))
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_bad():
    create("hi", bad_type=True)
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "convitems: 1 validation error(s) in this test's items traffic:",
            "  interaction 0: body:/items/0/type *'mesage' is not a known type*",
            "findings: 1 error, 0 drift",
            "  error: interaction 0: body:/items/0/type*[[]test_a.py::test_bad[]]",
            "next: fix the requests at the pointers above*",
        ]
    )


def test_validation_error_is_noted_on_a_failing_test(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/test_bad.yaml", create_exchange("hi", bad_type=True))
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_bad():
    create("hi", bad_type=True)
    assert False, "the test's own failure"
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the test's own failure*", "*convitems: 1 validation error(s)*"])


def test_clear_findings_lets_a_test_send_invalid_requests_on_purpose(
    pytester: pytest.Pytester,
) -> None:
    cassette(pytester, "cassettes/test_a/test_bad.yaml", create_exchange("hi", bad_type=True))
    pytester.makepyfile(
        test_a=CLIENT
        + """
def test_bad(convitems):
    create("hi", bad_type=True)
    assert [f.rule for f in convitems.errors] == ["unknown_type"]
    convitems.clear_findings()
"""
    )
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


def test_marker_cassette_record_mode_and_match_on(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/shared.yaml", create_exchange("hi"), retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems(cassette="shared")
def test_one(convitems):
    assert convitems.path.name == "shared.yaml"
    retrieve()

@pytest.mark.convitems("shared.yaml", record_mode="none")
def test_two(convitems):
    assert convitems.record_mode == "none"
    create("hi")

@pytest.mark.convitems(cassette="shared.yaml", match_on=["method", "path"])
def test_loose():
    # the body differs, but match_on leaves it out
    assert create("something else")["data"][0]["id"] == "msg_1"

@pytest.mark.convitems(cassette="release.v2", record_mode="none")
def test_dotted_name(convitems):
    # a dot in the name is not a format: `.yaml` still added, where every tool looks
    assert convitems.path.name == "release.v2.yaml"
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["2 cassettes used (1 missing): 3 interactions replayed, 0 recorded, 0 recorded but unused"]
    )


def test_the_ini_match_on_serves_every_test_whose_marker_does_not_say(
    pytester: pytest.Pytester,
) -> None:
    """pytest-recording suites set match_on once, in vcr_config: the ini key does that."""
    cassette(pytester, "cassettes/test_a/test_loose.yaml", create_exchange("hi"))
    cassette(pytester, "cassettes/test_a/test_strict.yaml", create_exchange("hi"))
    pytester.makeini("[pytest]\nconvitems_match_on = method path\n")
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_loose():
    create("something else")  # the body differs, and the ini leaves it out

@pytest.mark.convitems(match_on=["method", "path", "body"])
def test_strict():
    create("something else")
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_a.py::test_strict*"])
    pytester.makeini("[pytest]\nconvitems_match_on = method uri\n")
    result = pytester.runpytest("--convitems-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*convitems_match_on: match_on=*uri is path + query*"])


def test_bad_marker_arguments_are_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a="""
import pytest

@pytest.mark.convitems(casette="x")
def test_typo():
    pass

@pytest.mark.convitems(match_on=["host"])
def test_match():
    pass

@pytest.mark.convitems(record_mode="sometimes")
def test_mode():
    pass
"""
    )
    # under --convitems-replay too: the CLI decides the mode, but CI must catch the typo
    for args in ([], ["--convitems-replay"]):
        result = pytester.runpytest(*args)
        result.assert_outcomes(errors=3)
        result.stdout.fnmatch_lines(
            [
                "*accepts only the keyword arguments cassette, record_mode, match_on*"
                "casette: did you mean cassette?*",
                "*match_on=[[]'host'[]]: each part must be one of method, path, query, body*",
                "*convitems(record_mode='sometimes'): choose one of none, once, new_episodes, all*",
            ]
        )


def test_precedence_cli_over_marker_over_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconvitems_record_mode = new_episodes\n")
    pytester.makepyfile(
        test_a="""
import pytest

def test_ini(convitems):
    assert convitems.record_mode == "new_episodes"

@pytest.mark.convitems(record_mode="all")
def test_marker(convitems):
    assert convitems.record_mode == "all"
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)
    result = pytester.runpytest("--convitems-record-mode=none", "-k", "marker")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 'none' == 'all'*"])


def test_ini_replay_beats_marker_but_not_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconvitems_replay = true\n")
    pytester.makepyfile(
        test_a="""
import pytest

@pytest.mark.convitems(record_mode="all")
def test_marker(convitems):
    print("MODE", convitems.record_mode)
"""
    )
    pytester.runpytest("-s").stdout.fnmatch_lines(["*MODE none*"])
    pytester.runpytest("-s", "--convitems-record-mode=all").stdout.fnmatch_lines(["*MODE all*"])


def test_replay_with_a_recording_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    result = pytester.runpytest("--convitems-replay", "--convitems-record-mode=all")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--convitems-replay replays only*--convitems-record-mode=all*"])


def test_a_record_mode_typed_beats_a_replay_from_addopts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI keeps `addopts = --convitems-replay`; the printed re-record command adds a record
    # mode on the command line, and must run as printed.
    pytester.makepyfile(test_a="def test_x(convitems):\n    print('MODE', convitems.record_mode)\n")
    pytester.makeini("[pytest]\naddopts = --convitems-replay\n")
    result = pytester.runpytest("-s", "--convitems-record-mode=all")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODE all*"])
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", "--convitems-replay")
    result = pytester.runpytest("-s", "--convitems-record-mode=all")
    result.stdout.fnmatch_lines(["*MODE all*"])
    result = pytester.runpytest("-s", "--convitems-record-mode=all", "--convitems-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # both typed: still a contradiction
    # a live drift run typed over a replaying project; a replay typed over a recording one
    result = pytester.runpytest("-s", "--convitems-drift=report")
    result.stdout.fnmatch_lines(["*MODE all*"])
    monkeypatch.setenv("PYTEST_ADDOPTS", "--convitems-record-mode=all")
    result = pytester.runpytest("-s", "--convitems-replay")
    result.stdout.fnmatch_lines(["*MODE none*"])


def test_bad_ini_values_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    pytester.makeini("[pytest]\nconvitems_record_mode = sometimes\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*convitems_record_mode = 'sometimes': choose one of none, once*"])
    pytester.makeini("[pytest]\nconvitems_drift = loud\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*convitems_drift = 'loud': choose one of off, report, fail*"])


def test_corrupt_cassette_errors_naming_the_file_and_is_left_alone(
    pytester: pytest.Pytester,
) -> None:
    path = pytester.path / "cassettes/test_a/test_x.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("interactions: [this is: not: a cassette\n")
    before = path.read_bytes()
    pytester.makepyfile(
        test_a="""
import pytest

@pytest.mark.convitems(record_mode="new_episodes")
def test_x():
    pass
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*convitems: *test_x.yaml*"])
    assert path.read_bytes() == before


def test_cassette_dir_option_and_ini(pytester: pytest.Pytester) -> None:
    cassette(pytester, "elsewhere/test_a/test_one.yaml", retrieve_exchange())
    cassette(pytester, "from_ini/test_a/test_one.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
def test_one(convitems):
    print("DIR", convitems.path.parent.parent.name)
    retrieve()
"""
    )
    result = pytester.runpytest("-s", "--convitems-replay", "--convitems-cassette-dir=elsewhere")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*DIR elsewhere*"])
    pytester.makeini("[pytest]\nconvitems_cassette_dir = from_ini\n")
    result = pytester.runpytest("-s", "--convitems-replay")
    result.stdout.fnmatch_lines(["*DIR from_ini*"])
    result = pytester.runpytest("-s", "--convitems-replay", "--convitems-cassette-dir=elsewhere")
    result.stdout.fnmatch_lines(["*DIR elsewhere*"])


def test_same_named_test_files_in_packages_get_their_own_folders_under_a_cassette_dir(
    pytester: pytest.Pytester,
) -> None:
    # unit/test_api.py and integration/test_api.py shared `<dir>/test_api/`: the second
    # replayed the first's recording and got its data. (`suite`, not `tests`: this
    # repository's own `tests` may be imported in this process already.)
    for package, item_id in (("unit", "msg_u"), ("integration", "msg_i")):
        cassette(
            pytester, f"cas/suite.{package}.test_api/test_get.yaml", retrieve_exchange(item_id)
        )
    (pytester.path / "suite").mkdir(exist_ok=True)
    (pytester.path / "suite" / "__init__.py").touch()
    for package, item_id in (("unit", "msg_u"), ("integration", "msg_i")):
        folder = pytester.path / "suite" / package
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").touch()
        (folder / "test_api.py").write_text(
            CLIENT
            + f"""
@pytest.mark.convitems
def test_get():
    assert retrieve({item_id!r})["id"] == {item_id!r}
"""
        )
    result = pytester.runpytest("--convitems-replay", "--convitems-cassette-dir=cas")
    result.assert_outcomes(passed=2)


def test_a_same_named_file_without_convitems_tests_shares_no_folder(
    pytester: pytest.Pytester,
) -> None:
    cassette(pytester, "cas/test_api/test_get.yaml", retrieve_exchange())
    for package, body in (
        ("plain", "def test_x():\n    pass\n"),
        ("api", "@pytest.mark.convitems\ndef test_get():\n    retrieve()\n"),
    ):
        folder = pytester.path / "suite" / package
        folder.mkdir(parents=True)
        (folder / "test_api.py").write_text(CLIENT + "\n" + body)
    result = pytester.runpytest(
        "--import-mode=importlib", "--convitems-cassette-dir=cas", "--convitems-replay"
    )
    result.assert_outcomes(passed=2)


def test_a_packaged_test_files_cassettes_in_the_old_folder_are_pointed_at(
    pytester: pytest.Pytester,
) -> None:
    # Before, a file in packages had `<dir>/<file name>/`: the miss says where to move it.
    cassette(pytester, "cas/test_api/test_get.yaml", retrieve_exchange())
    (pytester.path / "suite").mkdir()
    (pytester.path / "suite" / "__init__.py").touch()
    (pytester.path / "suite" / "test_api.py").write_text(
        CLIENT + "\n@pytest.mark.convitems\ndef test_get():\n    retrieve()\n"
    )
    result = pytester.runpytest("--convitems-replay", "--convitems-cassette-dir=cas")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*it is at cas/test_api/test_get.yaml*mkdir -p cas/suite.test_api && git mv "
            "cas/test_api/test_get.yaml cas/suite.test_api/"
        ]
    )


def test_same_named_test_files_outside_packages_are_refused_a_shared_folder(
    pytester: pytest.Pytester,
) -> None:
    # --import-mode=importlib lets two test_api.py files be, with no __init__.py: under a
    # cassette dir both would keep their cassettes in <dir>/test_api/.
    for package in ("unit", "integration"):
        folder = pytester.path / "suite" / package
        folder.mkdir(parents=True)
        (folder / "test_api.py").write_text(
            "import pytest\n\n@pytest.mark.convitems\ndef test_get():\n    pass\n"
        )
    result = pytester.runpytest("--import-mode=importlib", "--convitems-cassette-dir=cas")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*suite/integration/test_api.py and suite/unit/test_api.py would keep their "
            "cassettes in one folder, cas/test_api*add an __init__.py*",
        ]
    )


def test_the_rerecord_command_finds_a_test_file_outside_the_rootdir(
    pytester: pytest.Pytester,
) -> None:
    # With `-c config/pytest.ini` the rootdir is config/, and pytest names tests/test_api.py
    # `test_api.py`: the command said config/test_api.py, which does not exist.
    (pytester.path / "config").mkdir()
    (pytester.path / "config" / "pytest.ini").write_text("[pytest]\n")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_api.py").write_text(
        CLIENT + "\n@pytest.mark.convitems\ndef test_get():\n    retrieve()\n"
    )
    result = pytester.runpytest("-c", "config/pytest.ini", "tests", "--convitems-replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*record it: pytest tests/test_api.py::test_get -c config/pytest.ini --convitems-record-mode=all"
        ]
    )


def test_a_relative_cassette_dir_on_the_command_line_is_read_from_where_pytest_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As pytest's own paths (`--junitxml`): run from a subfolder, `--convitems-cassette-dir
    recs` is that subfolder's `recs`; the ini key stays relative to the ini file."""
    pytester.makeini("[pytest]\nconvitems_cassette_dir = from_ini\n")
    cassette(pytester, "sub/recs/test_a/test_one.yaml", retrieve_exchange())
    cassette(pytester, "from_ini/test_a/test_one.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
def test_one(convitems):
    print("DIR", convitems.path.parent.parent.relative_to(convitems.path.parents[3]))
    retrieve()
"""
    )
    monkeypatch.chdir(pytester.path / "sub")
    result = pytester.runpytest(
        "-s", "../test_a.py", "--convitems-replay", "--convitems-cassette-dir=recs"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*DIR sub/recs*"])
    result = pytester.runpytest("-s", "../test_a.py", "--convitems-replay")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*DIR */from_ini*"])


def test_the_rerecord_command_works_where_pytest_ran(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a subfolder, the printed command names the test from there, as its
    `--convitems-cassette-dir` is: pasted where it was printed, it records where the
    failing run looks (test ids are rootdir-relative, which pytest would not find)."""
    pytester.makeini("[pytest]\n")
    pytester.mkdir("sub")
    (pytester.path / "sub" / "test_a.py").write_text(
        CLIENT + "\ndef test_one(convitems):\n    retrieve()\n"
    )
    monkeypatch.chdir(pytester.path / "sub")
    result = pytester.runpytest("--convitems-replay", "--convitems-cassette-dir=recs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*record it: pytest test_a.py::test_one --convitems-cassette-dir=recs *=all"]
    )


def test_the_rerecord_command_repeats_how_this_run_found_its_cassettes(
    pytester: pytest.Pytester,
) -> None:
    """An ini file given with -c, or a convitems ini key overridden with -o, says where
    cassettes live: the command without them recorded a stray cassette elsewhere."""
    (pytester.path / "ci.ini").write_text("[pytest]\nconvitems_cassette_dir = cas\n")
    pytester.makepyfile(test_a=CLIENT + "\ndef test_one(convitems):\n    retrieve()\n")
    result = pytester.runpytest("-c", "ci.ini", "--rootdir", ".", "--convitems-replay")
    result.stdout.fnmatch_lines(["*record it: pytest test_a.py::test_one -c ci.ini --convitems-*"])
    result = pytester.runpytest("-o", "convitems_cassette_dir=cas", "--convitems-replay")
    result.stdout.fnmatch_lines(
        ["*record it: pytest test_a.py::test_one -o convitems_cassette_dir=cas --convitems-*"]
    )


def test_cassette_folders_are_not_walked_by_collection(pytester: pytest.Pytester) -> None:
    """pytest would visit every file of a big cassette folder on every run; it skips the
    folder, unless Python files sit at its top (tests kept there still run)."""
    cassette(pytester, "cassettes/test_a/test_one.yaml", retrieve_exchange())
    cassette(pytester, "elsewhere/test_a/test_one.yaml", retrieve_exchange())
    pytester.makeconftest(
        """
def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".yaml":
        print("VISITED", file_path.name)
"""
    )
    pytester.makepyfile(test_a="def test_one():\n    pass\n")
    result = pytester.runpytest("-s", "--convitems-replay")
    result.assert_outcomes(passed=1)
    visited = [line for line in result.outlines if "VISITED" in line]
    assert visited == ["VISITED test_one.yaml"], "only elsewhere/ is walked by default"
    result = pytester.runpytest("-s", "--convitems-cassette-dir=elsewhere")
    assert [line for line in result.outlines if "VISITED" in line] == ["VISITED test_one.yaml"]
    (pytester.path / "elsewhere" / "test_kept.py").write_text("def test_kept():\n    pass\n")
    result = pytester.runpytest("-s", "--convitems-cassette-dir=elsewhere")
    result.assert_outcomes(passed=2)
    # a folder of tests named as the cassette folder: tests one level down still run
    (pytester.path / "tests" / "unit").mkdir(parents=True)
    (pytester.path / "tests" / "unit" / "test_deep.py").write_text("def test_deep():\n    pass\n")
    result = pytester.runpytest("--convitems-cassette-dir=tests")  # reached by the walk
    result.assert_outcomes(passed=3)  # test_a, elsewhere/test_kept, tests/unit/test_deep


def test_default_names_are_sanitised_and_classes_prefixed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a="""
import pytest

class TestGroup:
    @pytest.mark.parametrize("x", ["a/b"])
    def test_p(self, convitems, x):
        print("NAME", convitems.path.name)
"""
    )
    pytester.runpytest("-s").stdout.fnmatch_lines(["*NAME TestGroup.test_p[[]a-b[]].yaml*"])


def test_report_file_and_unused_interactions(pytester: pytest.Pytester) -> None:
    cassette(
        pytester,
        "cassettes/test_a/test_one.yaml",
        create_exchange("hi", surprise=1),
        retrieve_exchange("msg_9"),
    )
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_one():
    create("hi")
"""
    )
    result = pytester.runpytest("--convitems-replay", "--convitems-report=out/report.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "1 cassette used: 1 interaction replayed, 0 recorded, 1 recorded but unused",
            "  unused in cassettes/test_a/test_one.yaml: interaction(s) 1",
            "findings: 0 errors, 1 drift",
            "  drift: interaction 0: body:/data/0/surprise*",
            "next: drop unused interactions by re-recording: pytest test_a.py::test_one --convitems-record-mode=all",
            "report written to */out/report.json",
        ]
    )
    report = json.loads((pytester.path / "out/report.json").read_text())
    assert report["version"] == 1
    assert report["summary"] == {
        "cassettes": 1,
        "missing": 0,
        "replayed": 1,
        "recorded": 0,
        "unused": 1,
        "errors": 0,
        "drift": 1,
        "rerecord": 0,
        "orphaned": 0,
        "recorded_by_failing": 0,
    }
    assert report["orphaned_cassettes"] == []
    [use] = report["cassettes"]
    assert use["path"] == "cassettes/test_a/test_one.yaml" and use["unused"] == [1]
    [finding] = report["findings"]
    assert finding["severity"] == "drift" and finding["pointer"] == "/data/0/surprise"
    assert finding["source"] == {
        "cassette": "cassettes/test_a/test_one.yaml",  # as `cassettes[].path` names it
        "interaction": 0,
        "test": "test_a.py::test_one",
    }


def test_report_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nconvitems_report = r.json\n")
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)
    assert json.loads((pytester.path / "r.json").read_text())["summary"]["cassettes"] == 0


# -- record modes, against the embedded server ----------------------------------------

RECORDING = """
import os, httpx, pytest

BASE = os.environ["CONVITEMS_API_BASE"]
HEADERS = {"Authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}

def new_conversation():
    return httpx.post(BASE + "/conversations", json={}, headers=HEADERS).json()["id"]

def add(conv, text):
    r = httpx.post(BASE + f"/conversations/{conv}/items", headers=HEADERS,
                   json={"items": [{"type": "message", "role": "user", "content": text}]})
    return r.json()

def listing(conv):
    return httpx.get(BASE + f"/conversations/{conv}/items", headers=HEADERS).json()
"""


@pytest.fixture
def api_base(server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CONVITEMS_API_BASE", server.api_base)
    return str(server.api_base)


def test_the_printed_commands_record_where_the_run_looks(
    pytester: pytest.Pytester, api_base: str
) -> None:
    """With the cassette folder given on the command line, the command a miss prints must
    repeat it: without it the test is recorded where the next run does not look."""
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_one():
    listing(new_conversation())
"""
    )
    folder = ["--convitems-cassette-dir=my recs"]
    missing = pytester.runpytest("--convitems-replay", *folder, "--convitems-report=r.json")
    missing.assert_outcomes(failed=1)
    command = (
        "pytest test_a.py::test_one --convitems-cassette-dir='my recs' --convitems-record-mode=all"
    )
    missing.stdout.fnmatch_lines([f"  record it: {command}", f"next: *re-record: {command}"])
    report = json.loads((pytester.path / "r.json").read_text())
    assert (report["rerecord"], report["rerecord_command"]) == (["test_a.py::test_one"], command)

    # the printed command, as pytester runs it
    recorded = pytester.runpytest("test_a.py::test_one", *folder, "--convitems-record-mode=all")
    recorded.assert_outcomes(passed=1)
    # a run that recorded into a few cassettes says where they went
    recorded.stdout.fnmatch_lines(["  recorded into my recs/test_a/test_one.yaml"])
    pytester.runpytest("--convitems-replay", *folder).assert_outcomes(passed=1)


def test_record_mode_all_replaces_a_cassette_that_no_longer_loads(
    pytester: pytest.Pytester, api_base: str
) -> None:
    broken = pytester.path / "cassettes/test_a/test_one.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("interactions: [\n")  # a bad merge, say
    pytester.makepyfile(
        test_a=RECORDING + "\n@pytest.mark.convitems\ndef test_one():\n    new_conversation()\n"
    )
    failed = pytester.runpytest()  # `once` reads it, and says what is wrong with it
    failed.assert_outcomes(errors=1)
    failed.stdout.fnmatch_lines(["*test_one.yaml: line 2*not valid YAML*"])
    pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=1)
    assert len(load_cassette(broken)) == 1
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


SHARED = """
@pytest.mark.convitems(cassette="shared.yaml", record_mode="new_episodes")
@pytest.mark.parametrize("text", ["a", "b", "c"])
def test_shared(text):
    conv = httpx.post(BASE + "/conversations", json={"metadata": {"t": text}}, headers=HEADERS)
    add(conv.json()["id"], text)
"""


def test_what_tests_of_the_run_recorded_into_a_shared_cassette_is_never_unused(
    pytester: pytest.Pytester, api_base: str
) -> None:
    pytester.makepyfile(test_a=RECORDING + SHARED)
    recorded = pytester.runpytest()
    recorded.assert_outcomes(passed=3)
    recorded.stdout.fnmatch_lines(["1 cassette used: 0 interactions replayed, 6 recorded, 0 *"])
    recorded.stdout.no_fnmatch_line("*unused in*")
    replayed = pytester.runpytest("--convitems-replay")
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(["1 cassette used: 6 interactions replayed, 0 recorded, 0 *"])


PAIR = """
def tagged(text):
    r = httpx.post(BASE + "/conversations", json={"metadata": {"t": text}}, headers=HEADERS)
    return r.json()["id"]

@pytest.mark.convitems(cassette="pair.yaml", record_mode="new_episodes")
def test_first():
    tagged("first")

@pytest.mark.convitems(cassette="pair.yaml", record_mode="new_episodes")
def test_second():
    tagged("second")
"""


def test_a_shared_cassette_is_re_recorded_with_every_test_that_uses_it(
    pytester: pytest.Pytester, api_base: str
) -> None:
    """Re-recording one test of a shared cassette with `all` would drop the others'
    interactions, and the next replay would fail them: the command names them all."""
    pytester.makepyfile(test_a=RECORDING + PAIR)
    pytester.runpytest().assert_outcomes(passed=2)
    pytester.makepyfile(test_a=RECORDING + PAIR.replace('tagged("second")', 'tagged("2nd")'))
    missed = pytester.runpytest("--convitems-replay")
    missed.assert_outcomes(passed=1, failed=1)
    command = "pytest test_a.py::test_first test_a.py::test_second --convitems-record-mode=all"
    missed.stdout.fnmatch_lines(
        [
            f"  re-record the 2 tests that share it: {command}",
            "next: 1 test met requests their cassettes do not hold; re-record (with the 1 test "
            f"sharing their cassettes): {command}",
        ]
    )
    pytester.runpytest(
        "test_a.py::test_first", "test_a.py::test_second", "--convitems-record-mode=all"
    ).assert_outcomes(passed=2)
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=2)


SAME_START = """
@pytest.mark.convitems(cassette="same.yaml")
def test_a():
    add(new_conversation(), "a")

@pytest.mark.convitems(cassette="same.yaml")
def test_b():
    add(new_conversation(), "b")
"""


@pytest.mark.parametrize("mode", ["all", "once"])
def test_a_shared_cassette_records_what_its_replay_will_ask_for(
    pytester: pytest.Pytester, api_base: str, mode: str
) -> None:
    """Both tests create a conversation with the same request. Recorded whole by each test
    (`all` did), the replay handed test_b test_a's conversation and its next request
    missed, and the command printed to fix it was the one that made the cassette."""
    pytester.makepyfile(test_a=RECORDING + SAME_START)
    pytester.runpytest(f"--convitems-record-mode={mode}").assert_outcomes(passed=2)
    assert _methods(pytester.path / "cassettes/test_a/same.yaml") == [
        "POST conversations",
        "POST items",
        "POST items",
    ]
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=2)
    pytester.runpytest("--convitems-replay", "-k", "test_b").assert_outcomes(passed=1)


def test_a_shared_cassette_is_judged_only_with_every_test_that_uses_it(
    pytester: pytest.Pytester, api_base: str
) -> None:
    """With -k (or --lf) one sharer runs: the other's interactions are not "unused", and
    no command that would drop them is printed; a failing sharer's re-record command, and
    the report's, name every test of the cassette."""
    pytester.makepyfile(test_a=RECORDING + PAIR)
    pytester.runpytest().assert_outcomes(passed=2)
    one = pytester.runpytest("--convitems-replay", "-k", "first")
    one.assert_outcomes(passed=1)
    one.stdout.no_fnmatch_line("*unused in*")
    one.stdout.no_fnmatch_line("next:*")
    command = "pytest test_a.py::test_first test_a.py::test_second --convitems-record-mode=all"
    failing = PAIR.replace('    tagged("first")', '    tagged("first")\n    assert False')
    pytester.makepyfile(test_a=RECORDING + failing)
    result = pytester.runpytest("--convitems-record-mode=all", "--convitems-report=r.json")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"next: once those tests pass, record them afresh: {command}"])
    pytester.makepyfile(test_a=RECORDING + PAIR.replace('tagged("second")', 'tagged("2nd")'))
    pytester.runpytest("--convitems-replay", "-k", "second", "--convitems-report=r.json")
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["rerecord_command"] == command


def test_once_records_every_test_sharing_a_cassette_this_run_created(
    pytester: pytest.Pytester, api_base: str
) -> None:
    """`once` records what is missing: a cassette this run created is still new, so the
    second test sharing it records too (as it does under xdist, where they race), and the
    next run replays both."""
    pytester.makepyfile(test_a=RECORDING + PAIR.replace('"new_episodes"', '"once"'))
    pytester.runpytest().assert_outcomes(passed=2)
    pair = load_cassette(pytester.path / "cassettes/test_a/pair.yaml")
    assert [json.loads(e.request.body)["metadata"]["t"] for e in pair] == ["first", "second"]
    again = pytester.runpytest()  # a new run: the cassette exists, `once` replays it
    again.assert_outcomes(passed=2)
    again.stdout.fnmatch_lines(["1 cassette used: 2 interactions replayed, 0 recorded*"])


def _methods(path: Path) -> list[str]:
    return [f"{e.request.method} {e.request.path.rsplit('/', 1)[-1]}" for e in load_cassette(path)]


def test_record_mode_once_records_then_replays(pytester: pytest.Pytester, api_base: str) -> None:
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_once(convitems):
    conv = new_conversation()
    add(conv, "hi")
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["1 cassette used: 0 interactions replayed, 2 recorded, 0 recorded but unused"]
    )
    path = pytester.path / "cassettes/test_a/test_once.yaml"
    assert _methods(path) == ["POST conversations", "POST items"]
    text = path.read_text()
    assert "sk-convitems-FAKE" not in text and "Bearer REDACTED" in text
    before = path.read_bytes()
    # second run: the cassette exists, so `once` replays and writes nothing
    again = pytester.runpytest()
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(
        ["1 cassette used: 2 interactions replayed, 0 recorded, 0 recorded but unused"]
    )
    assert path.read_bytes() == before


def test_a_failing_test_that_recorded_is_named_with_the_command_to_record_it_afresh(
    pytester: pytest.Pytester, api_base: str
) -> None:
    # pytest-recording #81: the cassette of a failing test is kept (vcrpy's record modes),
    # and next time `once` replays what may be why it failed. The summary says so.
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_fails():
    add(new_conversation(), "hi")
    assert False, "not there yet"

@pytest.mark.convitems
def test_passes():
    new_conversation()

@pytest.mark.convitems
@pytest.mark.xfail(reason="known")
def test_expected_to_fail():
    new_conversation()
    assert False

@pytest.mark.convitems
def test_fails_before_recording():
    assert False
"""
    )
    result = pytester.runpytest("--convitems-report=report.json")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "recorded by a failing test: 1 cassette (kept; what was recorded may be why the "
            "test failed)",
            "  cassettes/test_a/test_fails.yaml [[]test_a.py::test_fails[]]",
            "next: once those tests pass, record them afresh: pytest test_a.py::test_fails "
            "--convitems-record-mode=all",
        ]
    )
    assert (pytester.path / "cassettes/test_a/test_fails.yaml").exists()  # kept, as vcrpy
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["summary"]["recorded_by_failing"] == 1
    assert report["recorded_by_failing_tests"] == [
        {
            "test": "test_a.py::test_fails",
            "cassette": "cassettes/test_a/test_fails.yaml",
            "rerecord_command": "pytest test_a.py::test_fails --convitems-record-mode=all",
        }
    ]
    # Replaying it: nothing recorded, nothing to say, though the test still fails.
    replayed = pytester.runpytest("--convitems-replay", "test_a.py::test_fails")
    replayed.assert_outcomes(failed=1)
    assert "recorded by a failing test" not in replayed.stdout.str()


def test_record_mode_once_refuses_new_requests_for_an_existing_cassette(
    pytester: pytest.Pytester, api_base: str
) -> None:
    cassette(pytester, "cassettes/test_a/test_once.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems(record_mode="once")
def test_once():
    new_conversation()
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no recorded interaction matches POST /v1/conversations*", "*record mode once*"]
    )


def test_record_mode_new_episodes_appends(pytester: pytest.Pytester, api_base: str) -> None:
    path = cassette(pytester, "cassettes/test_a/test_more.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_more():
    conv = new_conversation()
    assert listing(conv)["data"] == []
"""
    )
    result = pytester.runpytest("--convitems-record-mode=new_episodes")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["1 cassette used: 0 interactions replayed, 2 recorded, 1 recorded but unused"]
    )
    assert _methods(path) == ["GET msg_1", "POST conversations", "GET items"]


def test_record_mode_all_overwrites(pytester: pytest.Pytester, api_base: str) -> None:
    path = cassette(
        pytester,
        "cassettes/test_a/test_fresh.yaml",
        retrieve_exchange(),
        retrieve_exchange("msg_2"),
    )
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_fresh():
    new_conversation()
"""
    )
    result = pytester.runpytest("--convitems-record-mode=all")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["1 cassette used: 0 interactions replayed, 1 recorded, 0 recorded but unused"]
    )
    assert _methods(path) == ["POST conversations"]


def test_record_mode_all_with_a_shared_cassette_keeps_every_test(
    pytester: pytest.Pytester, api_base: str
) -> None:
    path = cassette(pytester, "cassettes/test_a/shared.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems(cassette="shared")
def test_one():
    new_conversation()

@pytest.mark.convitems(cassette="shared")
def test_two():
    conv = new_conversation()
    listing(conv)
"""
    )
    pytester.runpytest("--convitems-record-mode=all").assert_outcomes(passed=2)
    # the old interaction is gone; test_two replays test_one's conversation, as it will
    # in a replay, and records only its listing
    assert _methods(path) == ["POST conversations", "GET items"]
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=2)


CONCURRENT = """
import asyncio, itertools, httpx, pytest

counter = itertools.count()

async def answer(request):
    n = next(counter)
    await asyncio.sleep(0.05 * (3 - n))  # the first one sent is answered last
    return httpx.Response(200, json={"object": "conversation", "n": n})

@pytest.mark.convitems
def test_gather(convitems):
    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            sent = [client.post("http://127.0.0.1:9/v1/conversations", json={}) for _ in range(3)]
            return [r.json()["n"] for r in await asyncio.gather(*sent)]

    assert asyncio.run(main()) == [0, 1, 2]
"""


def test_concurrent_requests_are_recorded_in_the_order_they_were_sent(
    pytester: pytest.Pytester,
) -> None:
    """Identical requests answered out of order (conversations created in
    `asyncio.gather`) are kept in the order they were sent, which a replay repeats: kept in
    the order answers came, the replay gave each task another task's answer."""
    pytester.makepyfile(test_conc=CONCURRENT)
    pytester.runpytest().assert_outcomes(passed=1)
    stored = load_cassette(pytester.path / "cassettes/test_conc/test_gather.yaml")
    assert [json.loads(e.response.body)["n"] for e in stored if e.response] == [0, 1, 2]
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


def test_findings_of_answers_that_came_out_of_order_name_their_place_in_the_cassette(
    tmp_path: Path,
) -> None:
    from pytest_convitems.findings import Finding
    from pytest_convitems.recording import CassetteRecorder

    def validate(exchange: Exchange) -> list[Finding]:
        assert exchange.response is not None
        body = exchange.response.body.decode()
        return [Finding("drift", "create", "response", "body", "/n", "r", body)]

    recorder = CassetteRecorder(
        path=tmp_path / "c.yaml", record_mode="all", nodeid="t::x", validate=validate
    )
    slots = [recorder.reserve() for _ in range(3)]
    for slot in reversed(slots):  # answered last first
        recorder.record(
            Request("POST", DEAD + "/x", {}, b""), Response(200, "OK", {}, b"%d" % slot), slot
        )
    # right at once: the test's failure message is written before its teardown
    assert all(f.message == str((f.source or {})["interaction"]) for f in recorder.findings)
    recorder.save()
    assert [e.response.body for e in recorder.recorded if e.response] == [b"0", b"1", b"2"]
    assert sorted((f.source or {})["interaction"] for f in recorder.findings) == [0, 1, 2]
    assert all(f.message == str((f.source or {})["interaction"]) for f in recorder.findings)


def test_a_cassette_folder_that_cannot_be_written_fails_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    """The reason and what to do, not pathlib's stack; and the summary does not count
    what never reached a cassette. (/proc: nothing can be created there, even by root.)"""
    pytester.makepyfile(
        test_w="""
import httpx, pytest

EMPTY = {"object": "list", "data": [], "first_id": "a", "last_id": "a", "has_more": False}
mock = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=EMPTY)))

@pytest.mark.convitems
def test_records():
    mock.get("http://127.0.0.1:9/v1/conversations/conv_1/items")
"""
    )
    result = pytester.runpytest("--convitems-cassette-dir=/proc/convitems-no-such-folder")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*convitems: /proc/convitems-no-such-folder/test_w/test_records.yaml: cannot "
            "write the cassette (*); * a folder you can write to*",
            "*0 recorded*",
        ]
    )
    assert "pathlib" not in result.stdout.str()


def test_a_test_that_recorded_nothing_is_named(pytester: pytest.Pytester) -> None:
    """Its request timed out (and the test expected that): it passes, no cassette is
    written, and its replay will miss; the summary says so now, not in CI."""
    pytester.makepyfile(
        test_t="""
import httpx, pytest

def refuse(request):
    raise httpx.ConnectTimeout("timed out", request=request)

mock = httpx.Client(transport=httpx.MockTransport(refuse))

@pytest.mark.convitems
def test_times_out():
    with pytest.raises(httpx.ConnectTimeout):
        mock.get("http://127.0.0.1:9/v1/conversations/conv_1/items")

LISTING = {"object": "list", "data": [], "first_id": "a", "last_id": "a", "has_more": False}
ok = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=LISTING)))

@pytest.mark.convitems
def test_one_of_two_times_out():
    ok.get("http://127.0.0.1:9/v1/conversations/conv_2/items")
    with pytest.raises(httpx.ConnectTimeout):
        mock.get("http://127.0.0.1:9/v1/conversations/conv_3/items")
"""
    )
    pytester.makepyfile(
        test_quiet="""
import pytest

@pytest.mark.convitems
def test_sends_nothing():
    pass

@pytest.mark.skip(reason="later")
@pytest.mark.convitems
def test_skipped():
    pass
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, skipped=1)
    assert "nothing recorded for test_quiet" not in result.stdout.str()  # nothing to answer
    result.stdout.fnmatch_lines(
        [
            "  nothing recorded for test_t.py::test_times_out: 1 request got no answer, so "
            "cassettes/test_t/test_times_out.yaml was not written and its replay will miss"
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  test_t.py::test_one_of_two_times_out: 1 request got no answer, so "
            "cassettes/test_t/test_one_of_two_times_out.yaml lacks it and a replay will miss it"
        ]
    )


def test_record_mode_none_never_writes(pytester: pytest.Pytester, api_base: str) -> None:
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems(record_mode="none")
def test_none():
    new_conversation()
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*this test has no cassette yet, and record mode none*"])
    assert not (pytester.path / "cassettes").exists()


def test_recorded_invalid_request_fails_and_lands_in_the_report(
    pytester: pytest.Pytester, api_base: str
) -> None:
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_invalid():
    conv = new_conversation()
    items = [{"role": "user", "content": "hi"}] * 21  # the API takes at most 20
    httpx.post(BASE + f"/conversations/{conv}/items", headers=HEADERS, json={"items": items})
"""
    )
    result = pytester.runpytest("--convitems-report=r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["convitems: * validation error(s)*", "  interaction 1: body:/items *"]
    )
    findings = json.loads((pytester.path / "r.json").read_text())["findings"]
    assert any(f["severity"] == "error" and f["direction"] == "request" for f in findings)


def test_drift_runs_live_compares_with_the_cassette_and_never_writes_it(
    pytester: pytest.Pytester, api_base: str
) -> None:
    pytester.makepyfile(
        test_a=RECORDING
        + """
@pytest.mark.convitems
def test_live():
    conv = new_conversation()
    add(conv, "hi")
    listing(conv)
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)
    path = pytester.path / "cassettes/test_a/test_live.yaml"
    # the committed cassette knows a response field the live API no longer sends
    exchanges = load_cassette(path)
    last = exchanges[-1]
    assert last.response is not None
    body = json.loads(last.response.body)
    body["data"][0]["legacy_flag"] = True
    exchanges[-1] = Exchange(
        last.request, Response(200, "OK", dict(JSON), json.dumps(body).encode())
    )
    write_cassette(path, exchanges)
    before = path.read_bytes()

    off = pytester.runpytest()
    off.assert_outcomes(passed=1)
    off.stdout.no_fnmatch_line("*drift against the committed cassettes*")

    report = pytester.runpytest("--convitems-drift=report", "--convitems-report=r.json")
    report.assert_outcomes(passed=1)
    assert report.ret == 0
    report.stdout.fnmatch_lines(
        [
            "1 cassette read for comparison: 3 live interactions, nothing written",
            "live run (--convitems-drift): cassettes were read for comparison, not written",
            "drift against the committed cassettes: *",
            "  breaking: *legacy_flag*",
        ]
    )
    assert path.read_bytes() == before
    drift = json.loads((pytester.path / "r.json").read_text())["drift"]
    assert [c["change"] for c in drift["changes"]] == ["field_removed"]

    fail = pytester.runpytest("--convitems-drift=fail")
    fail.assert_outcomes(passed=1)
    assert fail.ret == pytest.ExitCode.TESTS_FAILED
    pytester.makeini("[pytest]\nconvitems_drift = fail\n")
    assert pytester.runpytest().ret == pytest.ExitCode.TESTS_FAILED
    assert path.read_bytes() == before


def test_drift_with_replay_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    result = pytester.runpytest("--convitems-drift=report", "--convitems-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--convitems-drift=report runs the tests live*"])
    # Both in the ini file: refused too (live drift silently beat the CI safety switch).
    pytester.makeini("[pytest]\nconvitems_replay = true\nconvitems_drift = report\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*convitems_drift = report runs the tests live*"])
    # Asked for on the command line, live drift is explicit: it runs.
    pytester.makeini("[pytest]\nconvitems_replay = true\n")
    pytester.runpytest("--convitems-drift=report").assert_outcomes(passed=1)


def test_async_httpx_and_urllib_are_intercepted_too(pytester: pytest.Pytester) -> None:
    cassette(
        pytester,
        "cassettes/test_a/test_other_clients.yaml",
        retrieve_exchange(),
        retrieve_exchange(),
    )
    pytester.makepyfile(
        test_a=CLIENT
        + """
import asyncio, json, urllib.request

def test_other_clients(convitems):
    async def fetch():
        async with httpx.AsyncClient() as client:
            return (await client.get(BASE + "/conversations/conv_1/items/msg_1")).json()

    assert asyncio.run(fetch())["id"] == "msg_1"
    with urllib.request.urlopen(BASE + "/conversations/conv_1/items/msg_1") as response:
        assert json.loads(response.read())["id"] == "msg_1"
    assert convitems.replayed == 2
"""
    )
    pytester.runpytest("--convitems-replay").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("ini", "says"),
    [
        ("convitems_cassette_dir = afile.txt", "*afile.txt is a file; give the folder cassettes*"),
        ("convitems_replay = maybe", "*convitems_replay: invalid truth value 'maybe'*"),
    ],
)
def test_settings_that_cannot_work_stop_the_run_at_startup(
    pytester: pytest.Pytester, ini: str, says: str
) -> None:
    """Not one failure per test: one line naming the setting."""
    (pytester.path / "afile.txt").write_text("")
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([says])


def test_report_path_problems_are_named(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_x():\n    pass\n")
    (pytester.path / "out").mkdir()
    result = pytester.runpytest("--convitems-report=out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--convitems-report=*out is a folder; give a file name*"])
    (pytester.path / "blocker").write_text("a file where a folder should be")
    # Refused before the suite runs, not found out at its end with the report lost.
    result = pytester.runpytest("--convitems-report=blocker/report.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--convitems-report=*blocker/report.json: *blocker is a file, not a folder*"]
    )
    result.stdout.no_fnmatch_line("*1 passed*")


def test_a_renamed_test_is_told_where_its_old_cassette_is(pytester: pytest.Pytester) -> None:
    cassette(pytester, "cassettes/test_a/test_old_name.yaml", retrieve_exchange())
    cassette(pytester, "cassettes/test_a/test_other.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems
def test_new_name():
    retrieve()

@pytest.mark.convitems
def test_other():
    retrieve()

def test_no_cassette():
    pass
"""
    )
    hint = (
        "  beside it, no test of test_a.py uses: test_old_name.yaml; "
        "if this test was renamed, rename its cassette to test_new_name.yaml"
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*this test has no cassette yet*", "  record it: pytest*", hint])
    # Not when the run left the file's other tests out: their cassettes would look unused.
    for narrowed in (["test_a.py::test_new_name"], ["-k", "new_name"]):
        result = pytester.runpytest("--convitems-replay", *narrowed)
        result.assert_outcomes(failed=1)
        assert "beside it" not in result.stdout.str(), narrowed


def test_a_cassette_named_two_ways_is_one_cassette(pytester: pytest.Pytester) -> None:
    # `../test_a/shared` from test_a's own folder is `shared`: one file, one report entry.
    cassette(pytester, "cassettes/test_a/shared.yaml", retrieve_exchange())
    pytester.makepyfile(
        test_a=CLIENT
        + """
@pytest.mark.convitems(cassette="shared")
def test_plain_name():
    retrieve()

@pytest.mark.convitems(cassette="../test_a/shared.yaml")
def test_roundabout_name():
    retrieve()
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["1 cassette used: 2 interactions replayed, 0 recorded*"])


def test_the_blocked_network_is_found_inside_an_exception_group() -> None:
    """An async client under anyio raises an ExceptionGroup around pytest-recording's
    RuntimeError: the note explaining --block-network was missing there."""
    from pytest_convitems.plugin import _blocked_network

    blocked = RuntimeError("Network is disabled for host '127.0.0.1'")
    try:
        raise ConnectionError("Connection error.") from blocked
    except ConnectionError as wrapped:
        group = BaseExceptionGroup("unhandled errors in a TaskGroup", [wrapped])
    assert _blocked_network(group)
    assert not _blocked_network(BaseExceptionGroup("other", [ValueError("x")]))
