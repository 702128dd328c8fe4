"""Done-when: the same openai-client session under the `seed` and `current` profiles.

The drift report must find every row of `SEED_PROFILE_DIFFERENCES` with its class, and
nothing else; two recordings of one profile (other ids, timestamps, texts) give no change.
Traffic is recorded by a small httpx2 transport around the real openai client and written
with our cassette writer, so the comparison goes through `load_cassette` too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from conftest import FAKE_API_KEY

from pytest_convitems.cassette import write_cassette
from pytest_convitems.cli import main
from pytest_convitems.drift import Change, drift_between_paths
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.server import SEED_PROFILE_DIFFERENCES, running_server

_HOP_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


class RecordingTransport(httpx2.BaseTransport):
    """Passes requests to the real transport and keeps each exchange, in order."""

    def __init__(self) -> None:
        self.inner = httpx2.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        response = self.inner.handle_request(request)
        content = response.read()
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_HEADERS
        ]
        self.exchanges.append(
            Exchange(
                Request(request.method, str(request.url), _headers(request.headers), body),
                Response(response.status_code, response.reason_phrase, _headers(headers), content),
            )
        )
        return httpx2.Response(
            response.status_code, headers=headers, content=content, request=request
        )

    def close(self) -> None:
        self.inner.close()


def _headers(items: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    pairs = items.multi_items() if hasattr(items, "multi_items") else items
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _session_items(salt: str) -> list[dict[str, Any]]:
    """One create call per item: a refusal in `seed` then costs only that item."""
    direct = {"type": "direct"}
    return [
        {"role": "user", "content": f"Hello {salt}"},
        {"type": "message", "role": "assistant", "content": f"Hi {salt}", "phase": "final_answer"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {
                    "type": "input_text",
                    "text": f"look {salt}",
                    "prompt_cache_breakpoint": {"mode": "explicit"},
                },
                {
                    "type": "input_image",
                    "detail": "auto",
                    "image_url": f"https://example.com/{salt}.png",
                },
            ],
        },
        {
            "type": "message",
            "role": "user",
            "content": [
                {
                    "type": "input_image",
                    "detail": "original",
                    "image_url": "https://example.com/o.png",
                }
            ],
        },
        {
            "type": "function_call",
            "call_id": f"call_{salt}",
            "name": "get_weather",
            "arguments": json.dumps({"city": salt}),
            "namespace": "weather",
            "caller": direct,
            "async": False,
        },
        {
            "type": "function_call_output",
            "call_id": f"call_{salt}",
            "output": f"sunny in {salt}",
            "name": "get_weather",
            "namespace": "weather",
            "caller": direct,
        },
        {"type": "function_call_output", "output": f"no call id {salt}"},
        {
            "type": "computer_call",
            "id": f"cu_{salt}",
            "call_id": f"cc_{salt}",
            "pending_safety_checks": [],
            "status": "completed",
            "action": {"type": "click", "button": "left", "x": 1, "y": 2, "keys": ["CTRL"]},
        },
        {
            "type": "computer_call",
            "id": f"cu2_{salt}",
            "call_id": f"cc2_{salt}",
            "pending_safety_checks": [],
            "status": "completed",
            "actions": [{"type": "screenshot"}],
        },
        {
            "type": "computer_call_output",
            "call_id": f"cc_{salt}",
            "output": {"type": "computer_screenshot", "image_url": "https://example.com/s.png"},
            "status": "completed",
        },
        {
            "type": "computer_call_output",
            "call_id": f"cc_{salt}",
            "output": {"type": "computer_screenshot", "image_url": "https://example.com/t.png"},
        },
        {
            "type": "mcp_call",
            "id": f"mcp_{salt}",
            "name": "lookup",
            "arguments": "{}",
            "server_label": "docs",
            "status": "failed",
            "error": {"type": "http_error", "code": 502, "message": f"upstream {salt}"},
        },
        {
            "type": "custom_tool_call",
            "call_id": f"ct_{salt}",
            "name": "grep",
            "input": salt,
            "namespace": "tools",
            "caller": direct,
            "async": False,
        },
        {
            "type": "custom_tool_call_output",
            "call_id": f"ct_{salt}",
            "output": "found",
            "caller": direct,
        },
        {
            "type": "shell_call",
            "call_id": f"sh_{salt}",
            "action": {"commands": ["ls"]},
            "environment": {"type": "local"},
            "caller": direct,
        },
        {
            "type": "shell_call_output",
            "call_id": f"sh_{salt}",
            "output": [{"stdout": salt, "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}],
            "caller": direct,
        },
        {
            "type": "apply_patch_call",
            "call_id": f"ap_{salt}",
            "status": "completed",
            "operation": {"type": "create_file", "path": "a.txt", "diff": f"+{salt}"},
            "caller": direct,
        },
        {
            "type": "apply_patch_call_output",
            "call_id": f"ap_{salt}",
            "status": "completed",
            "output": "ok",
            "caller": direct,
        },
        {
            "type": "image_generation_call",
            "id": f"ig_{salt}",
            "result": None,
            "status": "completed",
            "action": "generate",
            "background": "auto",
            "output_format": "png",
            "quality": "high",
            "revised_prompt": f"a cat {salt}",
            "size": "1024x1024",
            "error": {
                "code": None,
                "message": "partial",
                "param": None,
                "type": "image_generation_error",
            },
            "svg_usage": {
                "input_tokens": 1,
                "model": "gpt-image",
                "output_tokens": 2,
                "reasoning_tokens": 0,
                "total_tokens": 3,
            },
        },
        {
            "type": "reasoning",
            "id": f"rs_{salt}",
            "summary": [{"type": "summary_text", "text": salt}],
        },
        {
            "type": "tool_search_call",
            "arguments": {"query": salt},
            "execution": "server",
            "status": "completed",
        },
        {
            "type": "tool_search_output",
            "tools": [{"type": "function", "name": "f", "parameters": None, "strict": None}],
            "execution": "server",
            "status": "completed",
        },
        {
            "type": "additional_tools",
            "role": "developer",
            "tools": [{"type": "function", "name": "g", "parameters": None, "strict": None}],
        },
        {"type": "configuration_update", "reasoning": {"effort": "low"}},
        {
            "type": "program",
            "id": f"prog_{salt}",
            "call_id": f"pc_{salt}",
            "code": "print(1)",
            "fingerprint": salt,
        },
        {
            "type": "program_output",
            "id": f"po_{salt}",
            "call_id": f"pc_{salt}",
            "result": "1",
            "status": "completed",
        },
        {"type": "compaction", "encrypted_content": f"enc-{salt}"},
        {"type": "compaction_trigger"},
    ]


def record_session(profile: str, salt: str) -> list[Exchange]:
    """The same client code under either profile; refusals are part of the session."""
    transport = RecordingTransport()
    with running_server(profile=profile) as srv:  # type: ignore[arg-type]
        client = openai.OpenAI(
            base_url=srv.api_base,
            api_key=FAKE_API_KEY,
            http_client=httpx2.Client(transport=transport),
            max_retries=0,
        )
        conversation = client.conversations.create(metadata={"run": salt})
        created: list[str] = []
        for item in _session_items(salt):
            try:
                page = client.conversations.items.create(conversation.id, items=[item])  # type: ignore[list-item]
            except openai.BadRequestError:
                continue
            created.extend(str(i.id) for i in page.data if getattr(i, "id", None))
        for order in ("asc", "desc"):
            for _ in client.conversations.items.list(conversation.id, limit=7, order=order):
                pass
        for item_id in created:
            client.conversations.items.retrieve(item_id, conversation_id=conversation.id)
        client.conversations.items.delete(created[0], conversation_id=conversation.id)
        client.close()
    return transport.exchanges


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("profiles")
    paths = {}
    for name, profile, salt in (
        ("seed", "seed", "alpha"),
        ("current", "current", "bravo"),
        ("current2", "current", "charlie-with-longer-text"),
        ("seed2", "seed", "delta"),
    ):
        paths[name] = root / f"{name}.yaml"
        write_cassette(paths[name], record_session(profile, salt))
    yield paths


def _row_key(variant: str | None, path: str, change: str, severity: str) -> tuple[Any, ...]:
    return (variant, path, change, severity)


def test_seed_to_current_finds_every_table_row_and_nothing_else(
    recordings: dict[str, Path],
) -> None:
    report = drift_between_paths(recordings["seed"], recordings["current"])
    rows = {_row_key(r.variant, r.path, r.change, r.severity) for r in SEED_PROFILE_DIFFERENCES}
    found: dict[tuple[Any, ...], list[Change]] = {}
    for c in report.changes:
        found.setdefault(_row_key(c.variant, c.path, c.change, c.severity), []).append(c)
    unexpected = {k: [c.message for c in v] for k, v in found.items() if k not in rows}
    missing = sorted(rows - set(found), key=str)
    assert not unexpected, (
        f"changes not in the table: {json.dumps(unexpected, indent=1, default=str)}"
    )
    assert not missing, f"table rows drift did not find: {missing}"


def test_the_example_recordings_show_the_table() -> None:
    """`convitems drift examples/drift/seed.yaml examples/drift/current.yaml`, the README's
    command, finds each row as the table says: as its `change`, or as its `also` where the
    example session (`convitems demo`'s) never sends the field (docs/profiles.md)."""
    examples = Path(__file__).resolve().parent.parent / "examples" / "drift"
    report = drift_between_paths(examples / "seed.yaml", examples / "current.yaml")
    rows = {
        _row_key(r.variant, r.path, change, r.severity): r
        for r in SEED_PROFILE_DIFFERENCES
        for change in (r.change, r.also)
        if change is not None
    }
    found = {_row_key(c.variant, c.path, c.change, c.severity) for c in report.changes}
    assert found <= set(rows), sorted(found - set(rows), key=str)
    shown = {(rows[k].variant, rows[k].path, rows[k].change) for k in found}
    missing = [
        (r.variant, r.path, r.change)
        for r in SEED_PROFILE_DIFFERENCES
        if (r.variant, r.path, r.change) not in shown
    ]
    assert not missing, f"table rows the example recordings do not show: {missing}"


def test_same_profile_twice_gives_no_change(recordings: dict[str, Path]) -> None:
    for a, b in (("current", "current2"), ("seed", "seed2")):
        # models=True: the embedded server's answers hold nothing the models lack either
        report = drift_between_paths(recordings[a], recordings[b], models=True)
        assert report.changes == [], [c.message for c in report.changes]
        assert report.compared


def test_cli_fails_seed_to_current_on_breaking(
    recordings: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["drift", str(recordings["seed"]), str(recordings["current"]), "--format", "markdown"])
        == 1
    )
    out = capsys.readouterr().out
    assert "| **breaking** | `type_changed` |" in out and "`mcp_call`" in out
    assert main(["drift", str(recordings["current"]), str(recordings["current2"])]) == 0
