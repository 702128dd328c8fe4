"""Cassettes cross over: what the proxy records replays under the plugin, and what the plugin
records replays through the proxy. Real parts: the embedded API, a real `mitmdump` with the
addon in reverse mode, the openai client.
"""

from __future__ import annotations

from pathlib import Path

# Imported here so that pytester's in-process runs keep them instead of importing them anew.
import hypothesis  # noqa: F401
import openai
import pytest

import pytest_convitems.recording
import pytest_convitems.validation  # noqa: F401
from proxy_addon.harness import running_mitmdump
from pytest_convitems.cassette import load_cassette
from pytest_convitems.server import running_server

pytest_plugins = ["pytester"]

FAKE_KEY = "sk-convitems-FAKE-test-key-000000000000"
DEAD = "http://127.0.0.1:9"
"""Nothing listens there: neither replay may need an upstream."""

CONVERSATION = """
def conversation(client):
    conv = client.conversations.create()
    created = client.conversations.items.create(conv.id, items=[
        {"type": "message", "role": "user", "content": "hello"},
        {"type": "message", "role": "assistant", "content": "hi there"},
    ])
    listed = client.conversations.items.list(conv.id, order="asc")
    first = client.conversations.items.retrieve(created.data[0].id, conversation_id=conv.id)
    return [item.id for item in listed.data], first.id
"""


def conversation(client: openai.OpenAI) -> tuple[list[str], str]:
    scope: dict[str, object] = {}
    exec(CONVERSATION, scope)
    result = scope["conversation"](client)  # type: ignore[operator]
    assert isinstance(result, tuple)
    return result


def test_proxy_recording_replays_under_the_plugin(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    recorded = tmp_path / "proxy-cassettes"
    with (
        running_server() as srv,
        running_mitmdump(
            srv.base_url,
            tmp_path / "logs",
            options={"convitems_mode": "record", "convitems_cassette_dir": str(recorded)},
        ) as proxy,
    ):
        client = openai.OpenAI(base_url=proxy.base_url + "/v1", api_key=FAKE_KEY, max_retries=0)
        live_ids, live_first = conversation(client)
    [cassette] = sorted(recorded.glob("*.yaml"))
    assert len(load_cassette(cassette)) == 4

    pytester.makepyfile(
        test_from_proxy=f"""
import openai, pytest
{CONVERSATION}

@pytest.mark.convitems(cassette={str(cassette)!r})
def test_replay(convitems):
    client = openai.OpenAI(base_url={DEAD + "/v1"!r}, api_key={FAKE_KEY!r}, max_retries=0)
    assert conversation(client) == ({live_ids!r}, {live_first!r})
    assert convitems.replayed == 4 and convitems.findings == []
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["1 cassette used: 4 interactions replayed, 0 recorded, 0 recorded but unused"]
    )


def test_plugin_recording_replays_through_the_proxy(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makepyfile(
        test_to_proxy=f"""
import os, openai, pytest
{CONVERSATION}

@pytest.mark.convitems
def test_record():
    client = openai.OpenAI(base_url=os.environ["CONVITEMS_API_BASE"], api_key={FAKE_KEY!r}, max_retries=0)
    print("RESULT", conversation(client))
"""
    )
    with running_server() as srv:
        monkeypatch.setenv("CONVITEMS_API_BASE", srv.api_base)
        result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1)
    [line] = [ln for ln in result.outlines if "RESULT " in ln]
    folder = pytester.path / "cassettes" / "test_to_proxy"
    assert [p.name for p in folder.iterdir()] == ["test_record.yaml"]

    with running_mitmdump(
        DEAD,
        tmp_path / "logs",
        options={"convitems_mode": "replay", "convitems_cassette_dir": str(folder)},
    ) as proxy:
        client = openai.OpenAI(base_url=proxy.base_url + "/v1", api_key=FAKE_KEY, max_retries=0)
        replayed = conversation(client)
    assert line.endswith(f"RESULT {replayed!r}")
