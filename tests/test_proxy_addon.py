"""The addon without a proxy: options, OptionsError and hooks via mitmproxy's taddons/tflow."""

from __future__ import annotations

import gzip
import io
import json
import logging
import shutil
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import exceptions, http
from mitmproxy.io import FlowWriter
from mitmproxy.test import taddons, tflow

from proxy_addon import addon as addon_module
from proxy_addon.addon import FINDINGS_HEADER, ConvItems
from pytest_convitems.cassette import load_cassette, write_cassette
from pytest_convitems.exchange import Exchange, Request, Response

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UPSTREAM = "http://127.0.0.1:9/v1"
CONV = "conv_123"
JSON = {"content-type": "application/json"}
CONVERSATION = json.dumps(
    {"id": CONV, "object": "conversation", "created_at": 1, "metadata": {}}
).encode()


def message(role: str = "user") -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [{"type": "input_text", "text": "hi"}]}


def list_body(n: int = 1) -> bytes:
    data = [
        {
            "type": "message",
            "id": f"msg_{i}",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        }
        for i in range(n)
    ]
    return json.dumps(
        {
            "object": "list",
            "data": data,
            "first_id": "msg_0",
            "last_id": f"msg_{n - 1}",
            "has_more": False,
        }
    ).encode()


def flow(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> http.HTTPFlow:
    req = http.Request.make(method, UPSTREAM + path, body, headers or (JSON if body else {}))
    return tflow.tflow(req=req)


def respond(
    f: http.HTTPFlow, body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> None:
    f.response = http.Response.make(status, body, headers or JSON)


@pytest.fixture
def tctx() -> Iterator[tuple[taddons.context, ConvItems]]:
    addon = ConvItems()
    with taddons.context(addon) as ctx:
        yield ctx, addon
        addon.done()


def report_to(
    tctx: tuple[taddons.context, ConvItems], path: Path, **options: Any
) -> Callable[[], list[dict[str, Any]]]:
    """Point the addon's report at `path` (with any other options); returns its reader."""
    ctx, addon = tctx
    ctx.configure(addon, convitems_report=str(path), **options)
    return lambda: [json.loads(line) for line in path.read_text().splitlines()]


# --- options -------------------------------------------------------------------------


def test_options_are_prefixed_and_default_to_observe(
    tctx: tuple[taddons.context, ConvItems],
) -> None:
    ctx, _ = tctx
    names = [name for name in ctx.options.keys() if name.startswith("convitems_")]  # noqa: SIM118
    assert set(names) >= {
        "convitems_mode",
        "convitems_cassette_dir",
        "convitems_cassette_per",
        "convitems_block_invalid",
        "convitems_report",
        "convitems_findings_header",
    }
    assert ctx.options.convitems_mode == "observe"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"convitems_mode": "playback"}, "convitems_mode"),
        ({"convitems_cassette_per": "test"}, "convitems_cassette_per"),
        ({"convitems_flush_every": 0}, "convitems_flush_every must be at least 1"),
        ({"convitems_cassette_max_interactions": -5}, "at least 1"),
        ({"convitems_redact_patterns": ["acct_("]}, "'acct_[(]' is not a regular expression"),
        ({"convitems_redact_json": ["metadata/x"]}, "'metadata/x' must start with '/'"),
    ],
)
def test_bad_option_values_are_refused(
    tctx: tuple[taddons.context, ConvItems], options: dict[str, Any], says: str
) -> None:
    ctx, addon = tctx
    with pytest.raises(exceptions.OptionsError, match=says):
        ctx.configure(addon, **options)


def test_replay_from_a_missing_folder_is_refused(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    with pytest.raises(exceptions.OptionsError, match="is not a folder; record into it first"):
        ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path / "nope"))


def test_replay_from_a_corrupt_cassette_names_the_file(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    (tmp_path / "broken.yaml").write_text("interactions: [ {request: \n")
    with pytest.raises(exceptions.OptionsError, match=r"broken\.yaml"):
        ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))


def test_unwritable_report_is_refused(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(exceptions.OptionsError, match="convitems_report: cannot open"):
        ctx.configure(addon, convitems_report=str(blocker / "report.jsonl"))


@pytest.mark.parametrize(
    "path",
    [
        "/conversations/conv_1/items",
        "/conversations/conv_1/items?limit=5&after=msg_1",
        "/conversations/conv_1/items?",
        "/conversations/conv%2F1/items?include%5B%5D=a+b&x=%3F",
        "/conversations/conv_1/items/msg_1?a=1#frag?b=2",
    ],
)
def test_the_proxy_splits_a_request_target_as_urlsplit_does(path: str) -> None:
    """The addon takes path and query from the request line instead of parsing the URL."""
    from proxy_addon import flows

    request = flows.request_of(flow("GET", path))
    parsed = Request(request.method, request.url)
    assert (request.path, request.query_string) == (parsed.path, parsed.query_string)
    assert request == Request(request.method, request.url, request.headers)  # fields only


def test_script_loads_as_mitmdump_loads_it() -> None:
    with taddons.context() as ctx:
        script = ctx.script(addon_module.__file__)  # the module, with `addons = [...]`
        assert [type(a).__name__ for a in script.addons] == ["ConvItems"]
        script.addons[0].done()


# --- observe -------------------------------------------------------------------------


def test_valid_list_gets_a_zero_count_and_nothing_else_changes(
    tctx: tuple[taddons.context, ConvItems],
) -> None:
    _, addon = tctx
    f = flow("GET", f"/conversations/{CONV}/items?limit=1")
    addon.request(f)
    assert f.response is None
    respond(f, list_body())
    before = f.response.content if f.response else None
    addon.response(f)
    assert f.response is not None
    assert f.response.headers[FINDINGS_HEADER] == "0"
    assert f.response.content == before


@pytest.mark.parametrize("with_response", [True, False])
def test_flows_stay_savable_with_mitmdump_w(
    tctx: tuple[taddons.context, ConvItems], with_response: bool
) -> None:
    """`mitmdump -w` and mitmweb serialise each flow, metadata included: the addon's
    per-flow state must not end up there (it once did, and saving failed)."""
    _, addon = tctx
    f = flow("GET", f"/conversations/{CONV}/items?limit=1")
    addon.request(f)
    if with_response:
        respond(f, list_body())
        addon.response(f)
    assert f.metadata == {}
    buffer = io.BytesIO()
    FlowWriter(buffer).add(f)  # raises ValueError on an unserialisable object
    assert buffer.getvalue()


def test_invalid_create_is_reported_in_the_log_and_report(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, addon = tctx
    rows = report_to(tctx, tmp_path / "findings.jsonl")
    f = flow(
        "POST", f"/conversations/{CONV}/items", json.dumps({"items": [message("wizard")]}).encode()
    )
    addon.request(f)
    assert f.response is None, "observe mode forwards"
    respond(f, list_body())
    addon.response(f)
    assert f.response is not None
    assert f.response.headers[FINDINGS_HEADER] == "1"
    assert [(r["direction"], r["pointer"], r["source"]["method"]) for r in rows()] == [
        ("request", "/items/0/role", "POST")
    ]
    assert f"error POST /v1/conversations/{CONV}/items request body:/items/0/role" in caplog.text


def test_other_paths_pass_untouched(tctx: tuple[taddons.context, ConvItems]) -> None:
    _, addon = tctx
    f = flow("POST", "/responses", b"not even json")
    addon.request(f)
    respond(f, b"whatever", headers={"content-type": "text/plain"})
    addon.response(f)
    assert f.response is not None
    assert FINDINGS_HEADER not in f.response.headers


def test_findings_header_can_be_turned_off(tctx: tuple[taddons.context, ConvItems]) -> None:
    ctx, addon = tctx
    ctx.configure(addon, convitems_findings_header=False)
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    respond(f, list_body())
    addon.response(f)
    assert f.response is not None
    assert FINDINGS_HEADER not in f.response.headers


def test_the_flow_log_prints_urls_without_their_secrets(
    tctx: tuple[taddons.context, ConvItems], caplog: pytest.LogCaptureFixture
) -> None:
    ctx, addon = tctx
    caplog.set_level("INFO", logger="convitems")
    ctx.configure(addon, convitems_flow_log=True)
    f = flow("GET", f"/conversations/{CONV}/items?api_key=sk-proj-FAKEmarker30UUUUUUUUUUUU&limit=5")
    addon.request(f)
    respond(f, list_body())
    addon.response(f)
    failed = flow("GET", f"/conversations/{CONV}/items?token=marker31VVVV")
    addon.request(failed)
    addon.error(failed)
    assert "marker30" not in caplog.text and "marker31" not in caplog.text
    assert (
        f"GET http://127.0.0.1:9/v1/conversations/{CONV}/items?api_key=REDACTED&limit=5 -> 200"
        in (caplog.text)
    )
    assert "token=REDACTED -> no response" in caplog.text
    # one line for the failed flow, not the warning and the flow line saying the same
    assert (
        sum(
            "marker31" in r.getMessage() or "token=REDACTED" in r.getMessage()
            for r in caplog.records
        )
        == 1
    )


def test_block_answers_invalid_requests_itself(
    tctx: tuple[taddons.context, ConvItems], caplog: pytest.LogCaptureFixture
) -> None:
    ctx, addon = tctx
    caplog.set_level("INFO", logger="convitems")
    ctx.configure(addon, convitems_block_invalid=True)
    assert "observe mode: items traffic is validated; an invalid request is answered here" in (
        caplog.text
    )
    f = flow(
        "POST", f"/conversations/{CONV}/items", json.dumps({"items": [message("wizard")]}).encode()
    )
    addon.request(f)
    assert f.response is not None
    assert f.response.status_code == 400
    error = json.loads(f.response.content or b"")["error"]
    assert error["param"] == "items[0].role"
    assert error["type"] == "invalid_request_error"
    addon.response(f)  # mitmproxy still runs the response hook: nothing more happens
    assert f.response.headers[FINDINGS_HEADER] == "1"
    # mitmproxy logs the 400 as any response: our line says who answered it
    assert (
        f"blocked POST /v1/conversations/{CONV}/items: 1 error finding(s); answered 400 here"
        in caplog.text
    )


@pytest.mark.parametrize("headers", [{"content-type": "text/plain"}, {}])
def test_block_answers_a_body_that_is_not_json_by_its_type_with_the_apis_415(
    tctx: tuple[taddons.context, ConvItems], headers: dict[str, str]
) -> None:
    ctx, addon = tctx
    ctx.configure(addon, convitems_block_invalid=True)
    body = json.dumps({"items": [message()]}).encode()
    f = flow("POST", f"/conversations/{CONV}/items", body, headers)
    if not headers:
        del f.request.headers["content-type"]  # as curl --data-binary without -H sends it
    addon.request(f)
    assert f.response is not None and f.response.status_code == 415
    assert json.loads(f.response.content or b"")["error"]["code"] == "unsupported_media_type"


def test_block_lets_valid_requests_through(tctx: tuple[taddons.context, ConvItems]) -> None:
    ctx, addon = tctx
    ctx.configure(addon, convitems_block_invalid=True)
    f = flow("POST", f"/conversations/{CONV}/items", json.dumps({"items": [message()]}).encode())
    addon.request(f)
    assert f.response is None


def test_event_stream_gets_a_tee_that_forwards_every_chunk(
    tctx: tuple[taddons.context, ConvItems],
) -> None:
    _, addon = tctx
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    f.response = http.Response.make(200, b"", {"content-type": "text/event-stream"})
    addon.responseheaders(f)
    tee = f.response.stream
    assert callable(tee)
    assert tee(b"data: 1\n\n") == b"data: 1\n\n"
    assert addon._state(f).chunks == [b"data: 1\n\n"]


def test_a_body_mitmproxy_streams_is_validated_and_recorded_whole(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    """`stream_large_bodies` streams a big list: its body never arrives whole, and it was
    called empty (an error) and recorded as `''`, which replay then served."""
    ctx, addon = tctx
    ctx.configure(
        addon,
        convitems_mode="record",
        convitems_cassette_dir=str(tmp_path),
        convitems_writer="thread",
    )
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    f.response = http.Response.make(200, b"", JSON)
    f.response.stream = True  # as mitmproxy's streambodies addon sets it
    addon.responseheaders(f)
    tee = f.response.stream
    assert callable(tee)
    body = list_body(3)
    assert tee(body[:50]) + tee(body[50:]) == body
    addon.response(f)
    addon.done()
    assert addon.counts["findings"] == 0
    (stored,) = load_cassette(tmp_path / f"{CONV}.yaml")
    assert stored.response is not None and json.loads(stored.response.body) == json.loads(body)


def test_upstream_error_is_a_log_line(
    tctx: tuple[taddons.context, ConvItems], caplog: pytest.LogCaptureFixture
) -> None:
    _, addon = tctx
    f = flow("GET", f"/conversations/{CONV}/items")
    f.error = tflow.terr("connection closed")
    addon.error(f)
    assert "no response (connection closed); nothing recorded" in caplog.text


# --- record and replay ---------------------------------------------------------------


def test_an_invalid_request_the_upstream_never_answers_is_still_reported(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Outside block and replay modes a request is validated with its response: when none
    # comes, the error hook must validate it instead, or its findings are lost.
    _, addon = tctx
    rows = report_to(tctx, tmp_path / "findings.jsonl")
    f = flow("GET", f"/conversations/{CONV}/items?limit=500")
    addon.request(f)
    f.error = tflow.terr("connection closed")
    addon.error(f)
    assert [(r["direction"], r["pointer"]) for r in rows()] == [("request", "/limit")]
    assert "no response (connection closed)" in caplog.text


def test_record_writes_one_cassette_per_conversation_on_done(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    ctx.configure(addon, convitems_mode="record", convitems_cassette_dir=str(tmp_path))
    create = flow("POST", "/conversations", json.dumps({"items": []}).encode())
    addon.request(create)
    respond(
        create,
        CONVERSATION,
    )
    addon.response(create)
    listing = flow("GET", f"/conversations/{CONV}/items")
    addon.request(listing)
    respond(listing, list_body())
    addon.response(listing)
    addon.done()
    recorded = load_cassette(tmp_path / f"{CONV}.yaml")
    assert [e.request.url for e in recorded] == [
        UPSTREAM + "/conversations",
        UPSTREAM + f"/conversations/{CONV}/items",
    ]


def test_replay_serves_recordings_in_order_then_a_404_naming_the_closest(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    url = UPSTREAM + f"/conversations/{CONV}/items?limit=1"
    write_cassette(
        tmp_path / f"{CONV}.yaml",
        [
            Exchange(
                Request("GET", url),
                Response(200, "OK", {"Content-Type": ["application/json"]}, list_body(1)),
            ),
            Exchange(
                Request("GET", url),
                Response(200, "OK", {"Content-Type": ["application/json"]}, list_body(2)),
            ),
        ],
    )
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    bodies = []
    for _ in range(2):
        f = flow("GET", f"/conversations/{CONV}/items?limit=1")
        addon.request(f)
        assert f.response is not None
        assert f.response.headers["x-convitems-replay"] == "hit"
        bodies.append(len(json.loads(f.response.content or b"")["data"]))
    assert bodies == [1, 2]
    miss = flow("GET", f"/conversations/{CONV}/items?limit=2")
    addon.request(miss)
    assert miss.response is not None
    assert miss.response.status_code == 404
    error = json.loads(miss.response.content or b"")["error"]
    assert error["code"] == "convitems_replay_miss"
    assert "query /limit: recorded '1', sent '2'" in error["message"]


def test_an_empty_conversation_id_is_a_path_finding(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    _, addon = tctx
    rows = report_to(tctx, tmp_path / "findings.jsonl", convitems_block_invalid=True)
    f = flow("GET", "/conversations//items")
    addon.request(f)
    assert [(r["part"], r["pointer"]) for r in rows()] == [("path", "/conversation_id")]
    assert f.response is not None
    assert f.response.status_code == 400
    assert rows()[0]["source"]["blocked"] is True  # the report says it never went upstream


def test_the_report_marks_only_blocked_requests(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    _, addon = tctx
    rows = report_to(tctx, tmp_path / "findings.jsonl")  # observe: nothing is blocked
    f = flow("GET", "/conversations//items")
    addon.request(f)
    addon.error(f)
    assert [r["source"] for r in rows()] == [
        {"method": "GET", "url": f.request.url},
    ]


def test_a_request_that_never_came_whole_is_not_reported_blocked(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    """A truncated body never reaches the request hook: the proxy answered nothing, so
    its findings (checked in the error hook) are not `blocked`, even under block_invalid."""
    _, addon = tctx
    rows = report_to(tctx, tmp_path / "findings.jsonl", convitems_block_invalid=True)
    f = flow("GET", "/conversations//items")
    addon.error(f)  # no request hook first
    assert f.response is None
    assert [r["source"] for r in rows()] == [{"method": "GET", "url": f.request.url}]


def test_wrong_content_type_of_a_response_is_a_finding(
    tctx: tuple[taddons.context, ConvItems],
) -> None:
    _, addon = tctx
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    respond(f, list_body(), headers={"content-type": "text/html"})
    addon.response(f)
    assert f.response is not None
    assert f.response.headers[FINDINGS_HEADER] == "1"


def test_changing_the_report_does_not_restart_a_replay(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    url = UPSTREAM + f"/conversations/{CONV}/items"
    write_cassette(
        tmp_path / f"{CONV}.yaml",
        [
            Exchange(
                Request("GET", url),
                Response(200, "OK", {"Content-Type": ["application/json"]}, list_body(1)),
            )
        ],
    )
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    first = flow("GET", f"/conversations/{CONV}/items")
    addon.request(first)
    assert first.response is not None and first.response.status_code == 200
    ctx.configure(addon, convitems_report=str(tmp_path / "r.jsonl"))
    again = flow("GET", f"/conversations/{CONV}/items")
    addon.request(again)
    assert again.response is not None and again.response.status_code == 404, "replayed twice"


def _list_cassette(path: Path, items: int) -> None:
    url = UPSTREAM + f"/conversations/{CONV}/items"
    response = Response(200, "OK", {"Content-Type": ["application/json"]}, list_body(items))
    write_cassette(path, [Exchange(Request("GET", url), response)])


def _listed(addon: ConvItems) -> http.Response:
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    assert f.response is not None
    return f.response


def _control(addon: ConvItems, method: str, path: str = "/__convitems/rewind") -> http.HTTPFlow:
    f = flow(method, "")
    f.request.path = path  # at the proxy's root, not under the API's base path
    addon.request(f)
    return f


@pytest.fixture
def replaying(tctx: tuple[taddons.context, ConvItems], tmp_path: Path) -> ConvItems:
    """The addon replaying one cassette of one list call, from `tmp_path`."""
    ctx, addon = tctx
    _list_cassette(tmp_path / f"{CONV}.yaml", items=1)
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    return addon


def test_rewind_plays_every_recording_again_from_the_cassettes_as_they_are_now(
    replaying: ConvItems, tmp_path: Path
) -> None:
    addon = replaying
    assert _listed(addon).status_code == 200
    used_up = _listed(addon)
    assert used_up.status_code == 404
    assert "rewind the replay first (POST /__convitems/rewind)" in (used_up.text or "")
    _list_cassette(tmp_path / f"{CONV}.yaml", items=3)  # re-recorded meanwhile
    # at the proxy's root, or under the SDK's base URL (`/v1`)
    for path in ("/__convitems/rewind", "/v1/__convitems/rewind?x=1"):
        rewind = _control(addon, "POST", path)
        assert rewind.response is not None and rewind.response.status_code == 200
        assert json.loads(rewind.response.content or b"") == {"rewound": True, "interactions": 1}
        addon.response(rewind)  # the proxy's own answer: nothing validated, nothing added
        assert set(rewind.response.headers) == {"content-type", "content-length"}
        replayed = _listed(addon)
        assert replayed.headers["x-convitems-replay"] == "hit"
        assert len(json.loads(replayed.content or b"")["data"]) == 3


def test_a_rewind_that_cannot_read_the_cassettes_leaves_the_replay_as_it_was(
    replaying: ConvItems, tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    wrong = _control(addon, "GET")
    assert wrong.response is not None and wrong.response.status_code == 405
    assert wrong.response.headers["allow"] == "POST"
    (tmp_path / "broken.yaml").write_text("interactions: [")
    rewind = _control(addon, "POST")
    assert rewind.response is not None and rewind.response.status_code == 409
    assert "broken.yaml" in json.loads(rewind.response.content or b"")["error"]["message"]
    assert _listed(addon).status_code == 200
    with pytest.raises(exceptions.CommandError, match=r"broken\.yaml"):
        ctx.command(addon.rewind)


def test_rewind_belongs_to_replay_other_modes_answer_it_without_the_upstream(
    tctx: tuple[taddons.context, ConvItems],
) -> None:
    ctx, addon = tctx
    for mode in ("observe", "record"):
        ctx.configure(addon, convitems_mode=mode)
        for path in ("/__convitems/rewind", "/v1/__convitems/rewind/"):
            answer = _control(addon, "POST", path).response
            assert answer is not None and answer.status_code == 409, (mode, path)
        with pytest.raises(exceptions.CommandError, match="not replaying"):
            ctx.command(addon.rewind)


# --- redaction -------------------------------------------------------------------------

RULES = {
    "convitems_redact_headers": ["X-Internal-Token"],
    "convitems_redact_query": ["sig"],
    "convitems_redact_json": ["/metadata/session"],
    "convitems_redact_patterns": [r"acct_[0-9a-f]{12}"],
}


def _secret_create(note: str = "acct_0123456789ab NOTE") -> http.HTTPFlow:
    body = {"metadata": {"session": "session-planted-1", "note": note}}
    headers = {**JSON, "X-Internal-Token": "tok-planted-2"}
    return flow("POST", "/conversations?sig=sig-planted-3", json.dumps(body).encode(), headers)


def test_configured_rules_keep_secrets_off_disk_and_replay_still_matches(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    ctx.configure(
        addon,
        convitems_mode="record",
        convitems_cassette_dir=str(tmp_path),
        convitems_writer="thread",
        **RULES,
    )
    create = _secret_create()
    addon.request(create)
    respond(
        create,
        CONVERSATION,
        headers={**JSON, "X-Internal-Token": "tok-planted-4"},
    )
    addon.response(create)
    addon.done()
    stored = (tmp_path / f"{CONV}.yaml").read_text()
    assert "planted" not in stored and "0123456789ab" not in stored
    assert "sig=REDACTED" in stored and '"session": "REDACTED"' in stored

    ctx.configure(addon, convitems_mode="replay")
    again = _secret_create()
    addon.request(again)  # the live request still carries every secret
    assert again.response is not None and again.response.headers["x-convitems-replay"] == "hit"
    changed = _secret_create(note="acct_0123456789ab CHANGED")
    addon.request(changed)
    assert changed.response is not None and changed.response.status_code == 404
    message = json.loads(changed.response.content or b"")["error"]["message"]
    assert "body /metadata/note: recorded 'REDACTED NOTE', sent 'REDACTED CHANGED'" in message
    assert "planted" not in message and "0123456789ab" not in message


def test_a_miss_against_an_old_unredacted_cassette_quotes_no_secret(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    """The miss answer goes to the client and the log: the recorded side is quoted
    redacted too, and a key on both sides is no difference."""
    key = "sk-test-querykey1234567890marker03"
    path = f"/conversations/{CONV}/items?api_key={key}"
    recorded = Exchange(
        Request("GET", UPSTREAM + path, {}, b""),
        Response(200, "OK", {"content-type": ["application/json"]}, list_body()),
    )
    write_cassette(tmp_path / f"{CONV}.yaml", [recorded], redactor=None)
    ctx, addon = tctx
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    missed = flow("GET", path + "&limit=5")
    addon.request(missed)
    assert missed.response is not None and missed.response.status_code == 404
    message = json.loads(missed.response.content or b"")["error"]["message"]
    assert "marker03" not in message and "api_key=REDACTED" in message
    assert "query /limit" in message and "query /api_key" not in message


def test_findings_leave_the_proxy_without_the_secrets_they_quote(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, addon = tctx
    rows = report_to(tctx, tmp_path / "findings.jsonl")
    key = "sk-proj-AAAAmarker01AAAAAAAAAAAAAAAAAAAAAAAAAA"  # sent where a role goes
    f = flow(
        "POST",
        f"/conversations/{CONV}/items?token=marker02",
        json.dumps({"items": [message(key)]}).encode(),
    )
    addon.request(f)
    respond(f, list_body())
    addon.response(f)
    (row,) = [r for r in rows() if r["pointer"] == "/items/0/role"]
    assert "not 'sk-REDACTED'" in row["message"]
    assert row["source"]["url"].endswith("?token=REDACTED")
    assert "marker0" not in caplog.text and "marker0" not in json.dumps(rows())


def test_rewind_outside_replay_is_answered_here_not_sent_upstream(
    tctx: tuple[taddons.context, ConvItems], caplog: pytest.LogCaptureFixture
) -> None:
    """Forwarded, it would carry the client's key to the API and land in the cassettes."""
    ctx, addon = tctx
    caplog.set_level("INFO", logger="convitems")
    ctx.configure(addon, convitems_flow_log=True)
    f = flow("POST", "/__convitems/rewind", headers={"authorization": "Bearer sk-x"})
    addon.request(f)
    assert f.response is not None and f.response.status_code == 409
    assert "not replaying" in (f.response.text or "")
    addon.response(f)
    assert "-> 409 (answered here)" in caplog.text


# --- content codings -------------------------------------------------------------------

CODINGS = [
    pytest.param(["gzip, gzip"], 2, id="a-list"),
    pytest.param(["gzip", "gzip"], 2, id="two-header-lines"),
    pytest.param(["x-gzip"], 1, id="x-gzip"),
    pytest.param(["identity, gzip"], 1, id="identity-then-gzip"),
]


PATH = f"/conversations/{CONV}/items"


def _as_sent(
    message: http.Request | http.Response, lines: list[tuple[bytes, bytes]], body: bytes
) -> Any:
    """Headers and body exactly as given: `make` and `.content` encode a body by its
    headers, and drop a content-encoding they do not know."""
    message.headers = http.Headers(lines)
    message.raw_content = body
    return message


def _coded(body: bytes, times: int) -> bytes:
    for _ in range(times):
        body = gzip.compress(body)
    return body


@pytest.mark.parametrize(("codings", "times"), CODINGS)
def test_stacked_and_aliased_codings_are_undone_before_validation(
    tctx: tuple[taddons.context, ConvItems],
    caplog: pytest.LogCaptureFixture,
    codings: list[str],
    times: int,
) -> None:
    """mitmproxy's decoder knows one coding name: `gzip, gzip` came out as a false
    invalid_utf8 finding, and a valid request sent as x-gzip was blocked."""
    ctx, addon = tctx
    ctx.configure(addon, convitems_block_invalid=True)
    lines = [(b"content-type", b"application/json")]
    lines += [(b"content-encoding", c.encode()) for c in codings]
    body = _coded(json.dumps({"items": [message()]}).encode(), times)
    f = tflow.tflow(req=_as_sent(http.Request.make("POST", UPSTREAM + PATH), lines, body))
    addon.request(f)
    assert f.response is None, "a valid request is forwarded"
    sent = _coded(list_body(), times)
    f.response = _as_sent(http.Response.make(200), lines, sent)
    addon.response(f)
    assert f.response.headers[FINDINGS_HEADER] == "0", caplog.text
    assert f.response.raw_content == sent, "the proxy does not re-encode what it read"
    assert f.response.headers.get_all("content-encoding") == codings


def _bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()


def test_a_request_that_decodes_past_the_limit_is_neither_blocked_nor_replayed(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx, addon = tctx
    _list_cassette(tmp_path / f"{CONV}.yaml", items=1)
    lines = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
    bomb = _bomb(70)
    ctx.configure(addon, convitems_block_invalid=True)
    sent = tflow.tflow(req=_as_sent(http.Request.make("POST", UPSTREAM + PATH), lines, bomb))
    addon.request(sent)
    assert sent.response is None, "not validated, so not blocked: forwarded as it came"
    assert sent.request.raw_content == bomb
    assert "POST /v1/conversations/conv_123/items: request body over 64 MB once decoded" in (
        caplog.text
    )
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    replayed = tflow.tflow(req=_as_sent(http.Request.make("POST", UPSTREAM + PATH), lines, bomb))
    addon.request(replayed)
    assert replayed.response is not None and replayed.response.status_code == 404
    assert replayed.response.headers["x-convitems-replay"] == "miss"
    assert "over 64 MB once decoded" in (replayed.response.text or "")


def test_the_log_filter_redacts_any_logger_once_and_goes_with_done(
    tctx: tuple[taddons.context, ConvItems], caplog: pytest.LogCaptureFixture
) -> None:
    _, addon = tctx
    addon.running()
    addon.running()  # installed once, however often the hooks run
    filtered = [h for h in logging.getLogger().handlers if addon._log_filter in h.filters]
    assert caplog.handler in filtered
    mitm = logging.getLogger("mitmproxy.proxy.server")
    mitm.warning("Bad HTTP request line: %r", b"GET /?key=marker40&a=1 HTTP/1.1 x")
    mitm.warning("Invalid header line: b'Authorization Bearer sk-proj-marker41AAAAAAAAAAAAA'")
    mitm.warning("already clean: /?api_key=REDACTED Bearer REDACTED sk-REDACTED")
    assert [r.getMessage() for r in caplog.records] == [
        "Bad HTTP request line: b'GET /?key=REDACTED&a=1 HTTP/1.1 x'",
        "Invalid header line: b'Authorization Bearer REDACTED'",
        "already clean: /?api_key=REDACTED Bearer REDACTED sk-REDACTED",
    ]
    addon.done()
    assert not [h for h in logging.getLogger().handlers if addon._log_filter in h.filters]


def test_the_log_filter_keeps_prose_mitmwebs_link_and_long_lines(
    tctx: tuple[taddons.context, ConvItems], caplog: pytest.LogCaptureFixture
) -> None:
    _, addon = tctx
    addon.running()
    mitm = logging.getLogger("mitmproxy.proxy.server")
    # punctuation after a URL is prose, not the secret's: kept
    mitm.warning("see (http://h/p?token=marker42) for details; [http://h/q?api_key=marker43].")
    mitm.warning("convitems: GET http://h/items?limit=1&api_key=marker44: no response")
    # mitmweb's sign-in link: the user needs its token
    caplog.set_level("INFO", logger="mitmproxy.tools.web.master")
    logging.getLogger("mitmproxy.tools.web.master").info(
        "Web server listening at http://127.0.0.1:8081/?token=abc123"
    )
    # a megabyte bad request line: one pass over it (the old pattern took ~30 minutes)
    long_line = "Bad HTTP request line: b'GET /" + "x" * 1_000_000 + " ?'"
    mitm.warning(long_line)
    assert [r.getMessage() for r in caplog.records] == [
        "see (http://h/p?token=REDACTED) for details; [http://h/q?api_key=REDACTED].",
        "convitems: GET http://h/items?limit=1&api_key=REDACTED: no response",
        "Web server listening at http://127.0.0.1:8081/?token=abc123",
        long_line,
    ]


def test_a_websocket_upgrade_is_not_recorded_and_said_once(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A recorded 101 (frames never are) replayed as a broken 101 and a mitmproxy traceback."""
    ctx, addon = tctx
    caplog.set_level("INFO", logger="convitems")
    ctx.configure(
        addon,
        convitems_mode="record",
        convitems_cassette_dir=str(tmp_path),
        convitems_writer="thread",
    )
    for _ in range(2):
        upgrade = tflow.twebsocketflow()
        addon.request(upgrade)
        addon.response(upgrade)
        assert upgrade.response is not None and upgrade.response.status_code == 101
        assert FINDINGS_HEADER not in upgrade.response.headers
    addon.done()
    assert list(tmp_path.iterdir()) == []
    assert caplog.text.count("GET /ws -> 101: not recorded") == 1


# --- what replay serves is what the client got -------------------------------------------


def _record_then_replay(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, recorded: http.HTTPFlow
) -> tuple[Exchange, http.Response]:
    """`recorded` through a recording proxy, then the same request through a replaying
    one: what the cassette holds and what the replay served."""
    ctx, addon = tctx
    ctx.configure(
        addon,
        convitems_mode="record",
        convitems_cassette_dir=str(tmp_path),
        convitems_writer="thread",
    )
    response = recorded.response
    recorded.response = None
    addon.request(recorded)
    recorded.response = response
    addon.response(recorded)
    addon.done()
    (stored,) = load_cassette(tmp_path / f"{CONV}.yaml")
    ctx.configure(addon, convitems_mode="replay")
    again = tflow.tflow(req=recorded.request.copy())
    addon.request(again)
    assert again.response is not None and again.response.headers["x-convitems-replay"] == "hit"
    return stored, again.response


def test_a_json_body_behind_a_bom_is_recorded_as_it_came_and_fails_again_in_replay(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    """json.loads reads past a BOM: the body was stored pretty and clean, so replay and
    `convitems validate` passed what the live proxy had flagged."""
    from pytest_convitems.validation import validate_exchange

    sent = b"\xef\xbb\xbf" + list_body()
    f = flow("GET", PATH)
    respond(f, sent)
    stored, replayed = _record_then_replay(tctx, tmp_path, f)
    assert f.response is not None and f.response.headers[FINDINGS_HEADER] == "1"
    assert stored.response is not None and stored.response.body == sent
    assert [x.rule for x in validate_exchange(stored)] == ["not_json"]
    assert replayed.raw_content == sent


def test_a_body_that_does_not_decode_replays_with_the_encoding_it_claimed(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    """Replay dropped the content-encoding and served the plain body: the client that
    failed live on `gzip` that is not gzip passed in replay."""
    lines = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
    f = flow("GET", PATH)
    f.response = _as_sent(http.Response.make(200), lines, list_body())
    stored, replayed = _record_then_replay(tctx, tmp_path, f)
    assert stored.response is not None and stored.response.header("content-encoding") == "gzip"
    assert replayed.headers["content-encoding"] == "gzip"
    assert replayed.raw_content == list_body()
    assert replayed.headers["content-length"] == str(len(list_body()))


def test_a_head_replays_the_length_it_was_answered_with(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    f = flow("HEAD", PATH)
    f.response = _as_sent(
        http.Response.make(200),
        [(b"content-type", b"application/json"), (b"content-length", b"1234")],
        b"",
    )
    stored, replayed = _record_then_replay(tctx, tmp_path, f)
    assert stored.response is not None and stored.response.header("content-length") == "1234"
    assert replayed.headers["content-length"] == "1234" and replayed.raw_content == b""


@pytest.mark.parametrize("status", [204, 304])
def test_a_response_without_content_replays_without_a_content_length_it_never_had(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, status: int
) -> None:
    """RFC 9110 §8.6: never for a 204; for a 304, only the length a 200 would have had."""
    f = flow("DELETE", PATH)
    f.response = _as_sent(http.Response.make(status), [(b"x-request-id", b"req_1")], b"")
    _, replayed = _record_then_replay(tctx, tmp_path, f)
    assert replayed.status_code == status
    assert "content-length" not in replayed.headers


def test_replay_walks_the_folder_as_validate_and_drift_do(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    """The drift ignore list beside the cassettes (examples/drift/) was read as a cassette
    and replay refused to start, telling the user to delete it."""
    ctx, addon = tctx
    shutil.copy(EXAMPLES / "drift" / "convitems-drift-ignore.yaml", tmp_path)
    (tmp_path / ".trash").mkdir()
    (tmp_path / ".trash" / "old.yaml").write_text("interactions: [")  # hidden: not read
    _list_cassette(tmp_path / f"{CONV}.json", items=2)  # vcrpy's JSON format is one too
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    replayed = _listed(addon)
    assert replayed.status_code == 200
    assert len(json.loads(replayed.content or b"")["data"]) == 2


def test_parts_of_a_cassette_replay_in_the_order_they_were_written(tmp_path: Path) -> None:
    from proxy_addon.naming import cassette_files

    for name in ("b.yaml", "a.part002.yaml", "a.yaml", "a.part010.yaml", "a.part003.json"):
        _list_cassette(tmp_path / name, items=1)
    assert [p.name for p in cassette_files(tmp_path)] == [
        "a.yaml",
        "a.part002.yaml",
        "a.part003.json",
        "a.part010.yaml",
        "b.yaml",
    ]
    assert cassette_files(tmp_path / "nowhere") == []


# --- recorded order across cassettes ---------------------------------------------------


def _created(n: int, recorded_at: str | None) -> Exchange:
    """`conversations.create()` as sent: the same request every time, another answer."""
    body = json.dumps({"id": f"conv_{n}", "object": "conversation", "created_at": 1})
    return Exchange(
        Request("POST", UPSTREAM + "/conversations", {"content-type": ["application/json"]}, b"{}"),
        Response(200, "OK", {"content-type": ["application/json"]}, body.encode()),
        recorded_at=recorded_at,
    )


def test_record_stamps_each_exchange_with_when_its_request_was_sent(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    ctx.configure(addon, convitems_mode="record", convitems_cassette_dir=str(tmp_path))
    create = flow("POST", "/conversations", b"{}")
    create.request.timestamp_start = 1795620001.123456  # 2026-11-25T15:20:01.123456Z
    addon.request(create)
    respond(create, CONVERSATION)
    addon.response(create)
    addon.done()
    text = (tmp_path / f"{CONV}.yaml").read_text()
    assert '\n  recorded_at: "2026-11-25T15:20:01.123456Z"\nversion: 1\n' in text
    (recorded,) = load_cassette(tmp_path / f"{CONV}.yaml")
    assert recorded.recorded_at == "2026-11-25T15:20:01.123456Z"


def test_replay_orders_every_cassette_by_recorded_at_not_by_file_name(tmp_path: Path) -> None:
    """Each conversation's cassette is named by its random id: three identical creates
    replayed in the order of their ids, and the client's first conversation got the third's."""
    from proxy_addon.replayer import load_index

    times = [f"2026-11-25T15:20:0{n}.000000Z" for n in range(3)]
    for name, n in (("conv_a", 2), ("conv_b", 0), ("conv_c", 1)):  # ids sort against time
        write_cassette(tmp_path / f"{name}.yaml", [_created(n, times[n])])
    index, files = load_index(tmp_path)
    request = Request("POST", UPSTREAM + "/conversations", {}, b"{}")
    served = [index.take(request) for _ in range(3)]
    assert files == 3
    assert [json.loads(e.response.body)["id"] for e in served if e and e.response] == [
        "conv_0",
        "conv_1",
        "conv_2",
    ]


@pytest.mark.parametrize(
    "odd", [None, "not a time"], ids=["an old cassette without it", "unreadable"]
)
def test_replay_orders_the_timed_interactions_and_leaves_the_others_in_place(
    tmp_path: Path, odd: str | None
) -> None:
    from proxy_addon.replayer import load_index

    write_cassette(tmp_path / "a.yaml", [_created(0, "2026-11-25T15:20:09.000000Z")])
    write_cassette(tmp_path / "b.yaml", [_created(1, odd)])
    write_cassette(tmp_path / "c.yaml", [_created(2, "2026-11-25T15:20:01.000000+00:00")])
    index, _ = load_index(tmp_path)
    assert [json.loads(e.response.body)["id"] for e in index.exchanges if e.response] == [
        "conv_2",  # sent first: before conv_0, in the places the two timed ones hold
        "conv_1",  # no time: where the files put it
        "conv_0",
    ]


def test_equal_times_keep_file_order_and_a_time_zone_counts(tmp_path: Path) -> None:
    from proxy_addon.replayer import load_index

    write_cassette(tmp_path / "a.yaml", [_created(0, "2026-11-25T15:20:05.000000Z")])
    write_cassette(tmp_path / "b.yaml", [_created(1, "2026-11-25T15:20:05.000000Z")])
    write_cassette(tmp_path / "c.yaml", [_created(2, "2026-11-25T16:20:01.000000+02:00")])
    index, _ = load_index(tmp_path)
    assert [json.loads(e.response.body)["id"] for e in index.exchanges if e.response] == [
        "conv_2",  # 14:20:01 UTC
        "conv_0",
        "conv_1",
    ]


def test_a_miss_names_the_cassette_and_its_interaction_not_a_place_in_the_index(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    ctx, addon = tctx
    write_cassette(tmp_path / "conv_a.yaml", [_created(0, "2026-11-25T15:20:00.000000Z")])
    items = UPSTREAM + "/conversations/conv_1/items"
    listed = Response(200, "OK", {"content-type": ["application/json"]}, list_body(1))
    write_cassette(
        tmp_path / "conv_b.yaml",
        [
            _created(1, "2026-11-25T15:20:01.000000Z"),
            Exchange(
                Request("GET", items + "?limit=1"), listed, recorded_at="2026-11-25T15:20:02Z"
            ),
        ],
    )
    ctx.configure(addon, convitems_mode="replay", convitems_cassette_dir=str(tmp_path))
    miss = flow("GET", "/conversations/conv_1/items?limit=2")
    addon.request(miss)
    assert miss.response is not None and miss.response.status_code == 404
    message = json.loads(miss.response.content or b"")["error"]["message"]
    where = f"closest recorded request (interaction 1 of {tmp_path / 'conv_b.yaml'}): GET {items}"
    assert where in message, message
    assert "query /limit: recorded '1', sent '2'" in message


def test_leaving_record_mode_at_run_time_is_no_error_on_every_later_answer(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The writer closes on a mode switch (mitmweb's options) as at shutdown; only the
    # shutdown means answers still coming were not recorded.
    ctx, addon = tctx
    ctx.configure(addon, convitems_mode="record", convitems_cassette_dir=str(tmp_path))
    ctx.configure(addon, convitems_mode="observe")
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    respond(f, list_body(1))
    addon.response(f)
    assert "not recorded" not in caplog.text


def test_a_writer_restarted_in_record_mode_still_waits_for_what_is_in_flight(
    tctx: tuple[taddons.context, ConvItems], tmp_path: Path
) -> None:
    # A new cassette dir restarts the writer; the answers in flight are the new writer's.
    ctx, addon = tctx
    ctx.configure(addon, convitems_mode="record", convitems_cassette_dir=str(tmp_path / "a"))
    f = flow("GET", f"/conversations/{CONV}/items")
    addon.request(f)
    ctx.configure(addon, convitems_cassette_dir=str(tmp_path / "b"))
    assert addon._in_flight == 1
