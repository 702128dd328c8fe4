"""Drift's verdicts on one-change edits of a recording, checked against what breaks for a
client: openai-python raising on a 404, reading a string where it iterates a list, an item
that lost its `type`; and for strict-model users, a value the models reject."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_convitems.cassette import write_cassette
from pytest_convitems.cli import main
from pytest_convitems.drift import Change, compare_exchanges, render
from pytest_convitems.drift.model_gaps import model_gaps
from pytest_convitems.drift.shapes import UNTYPED, item_variant
from pytest_convitems.exchange import Exchange, Request, Response
from tests.test_drift import BASE, JSON, create, listing, mcp, msg

ERROR = {"error": {"message": "No such item", "type": "invalid_request_error", "param": None}}


def answer(method: str, url: str, status: int, body: Any, *, html: bool = False) -> Exchange:
    raw = body.encode() if html else json.dumps(body).encode()
    headers = {"Content-Type": ["text/html"]} if html else dict(JSON)
    return Exchange(Request(method, url, {}), Response(status, "", headers, raw))


def retrieve(body: Any, status: int = 200) -> Exchange:
    return answer("GET", BASE + "/msg_1", status, body)


def changes(old: list[Exchange], new: list[Exchange]) -> list[Change]:
    return compare_exchanges(old, new).changes


def one(old: list[Exchange], new: list[Exchange]) -> Change:
    found = changes(old, new)
    assert len(found) == 1, [c.message for c in found]
    return found[0]


def call(**extra: Any) -> dict[str, Any]:
    return {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "c",
        "name": "f",
        "arguments": "{}",
        "status": "completed",
        **extra,
    }


def computer(action: Any = None, **extra: Any) -> dict[str, Any]:
    item = {
        "id": "cu_1",
        "type": "computer_call",
        "call_id": "cc",
        "status": "completed",
        "pending_safety_checks": [],
        **extra,
    }
    if action is not None:
        item["action"] = action
    return item


def files(results: Any) -> dict[str, Any]:
    return {
        "id": "fs_1",
        "type": "file_search_call",
        "queries": ["q"],
        "status": "completed",
        "results": results,
    }


# --- status codes and bodies that are not JSON -------------------------------------


def test_a_success_that_became_an_error_is_breaking() -> None:
    """Every list answered 404: openai-python raises NotFoundError on each call."""
    old = [listing([msg("a")])]
    report = compare_exchanges(old, [answer("GET", BASE, 404, ERROR)])
    (c,) = report.changes
    assert (c.change, c.severity, c.endpoint, c.status, c.old, c.new) == (
        "status_changed",
        "breaking",
        "list",
        "2xx",
        "2xx",
        "4xx",
    )
    assert c.message.startswith("list responses were 2xx (200), are now 4xx (404)")
    # the two contexts were compared with each other: not "seen on one side only"
    assert report.compared == ["list response 2xx", "list response 4xx"]
    assert report.only_old == report.only_new == []
    assert "not compared" not in render(report, "text")
    # a 500 on create, a 404 on retrieve: the same
    made = create([{"role": "user", "content": "hi"}], [msg("hi")])
    failed = Exchange(made.request, Response(500, "", dict(JSON), json.dumps(ERROR).encode()))
    c = one([made], [failed])
    assert (c.change, c.severity, c.endpoint, c.new) == (
        "status_changed",
        "breaking",
        "create",
        "5xx",
    )
    c = one([retrieve(msg("a"))], [retrieve(ERROR, 404)])
    assert (c.change, c.severity, c.endpoint) == ("status_changed", "breaking", "retrieve")
    # OLD also held a 404 (a test retrieving a deleted item): NEW gains no class, and the
    # 2xx answers gone are still the change
    c = one([retrieve(msg("a")), retrieve(ERROR, 404)], [retrieve(ERROR, 404)] * 2)
    assert (c.change, c.severity, c.old, c.new) == ("status_changed", "breaking", "2xx", "4xx")
    # an error class gone with nothing in its place is a test NEW did not run
    assert changes([retrieve(msg("a")), retrieve(ERROR, 404)], [retrieve(msg("a"))]) == []


def test_other_status_changes_are_warnings() -> None:
    """An error that became a success, or another error code: code catching it changes."""
    c = one([retrieve(ERROR, 404)], [retrieve(msg("a"))])
    assert (c.change, c.severity, c.old, c.new) == ("status_changed", "warning", "4xx", "2xx")
    c = one([retrieve(ERROR, 404)], [retrieve(ERROR, 400)])
    assert (c.change, c.severity, c.status, c.old, c.new) == (
        "status_changed",
        "warning",
        "4xx",
        "404",
        "400",
    )
    # some calls failing beside the same successes is coverage (a suite testing errors)
    assert changes([listing([msg("a")])], [listing([msg("a")]), retrieve(ERROR, 404)]) == []
    assert changes([retrieve(ERROR, 404)], [retrieve(ERROR, 404), retrieve(ERROR, 400)]) == []


def test_a_body_that_is_no_longer_json_is_breaking_and_said_once() -> None:
    old = [listing([msg("a"), mcp(None)])]
    page = answer("GET", BASE, 200, "<html><body>Bad gateway</body></html>", html=True)
    c = one(old, [page])
    assert (c.change, c.severity, c.status, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "2xx",
        "",
        "object",
        "text",
    )
    assert c.message == (
        "list response 2xx (200): the body is not JSON, where it was a JSON object"
    )
    # some answers HTML, the rest as before: the body change, and the fields still compared
    c = one(old, [*old, page])
    assert (c.change, c.old, c.new) == ("type_changed", "object", "object|text")
    # JSON where text was does not break a client parsing JSON; an empty body does
    c = one([page], old)
    assert (c.change, c.severity) == ("type_changed", "info")
    # an object where an array was breaks as the other way round does
    array = answer("GET", BASE, 200, [msg("a")])
    assert (one([array], old).severity, one(old, [array]).severity) == ("breaking", "breaking")
    empty = answer("GET", BASE, 200, "", html=True)
    assert (one(old, [empty]).new, one(old, [empty]).severity) == ("empty", "breaking")


def test_an_error_answer_not_json_is_a_warning_fingerprinted_apart_from_2xx() -> None:
    """A gateway's 429 or 502 page the SDK retried was breaking, and shared its fingerprint
    with a 2xx body turning into HTML: accepting the one in the ignore file hid the other."""
    made = create([{"role": "user", "content": "hi"}], [msg("hi")])
    refused = Exchange(made.request, Response(429, "", dict(JSON), json.dumps(ERROR).encode()))
    page = b"<html><body>Too many requests</body></html>"
    gateway = Exchange(made.request, Response(429, "", {"Content-Type": ["text/html"]}, page))
    error_page = one([made, refused], [made, refused, gateway])
    assert (error_page.change, error_page.severity, error_page.status) == (
        "type_changed",
        "warning",
        "4xx",
    )
    assert error_page.message.startswith(
        "create response 4xx (429): the body is a JSON object or not JSON, where it was a JSON "
        "object; "
    )
    assert "gateway" in error_page.message
    broken = Exchange(made.request, Response(200, "", {"Content-Type": ["text/html"]}, page))
    success_page = one([made], [made, broken])
    assert (success_page.severity, success_page.status) == ("breaking", "2xx")
    assert success_page.message.startswith("create response 2xx (200): the body is")
    assert error_page.fingerprint != success_page.fingerprint
    # a 5xx page the same; a JSON array in an error answer is still a type change
    failed = Exchange(made.request, Response(502, "", dict(JSON), json.dumps(ERROR).encode()))
    bad = Exchange(made.request, Response(502, "", {"Content-Type": ["text/html"]}, page))
    assert one([made, failed], [made, failed, bad]).severity == "warning"
    listed = Exchange(made.request, Response(502, "", dict(JSON), json.dumps([ERROR]).encode()))
    assert one([made, failed], [made, failed, listed]).severity == "breaking"


def test_error_type_is_a_value_of_the_error_object_not_a_variant() -> None:
    """A rate limit's error.type "tokens" then "requests" was 'variant added at /error';
    fields of the error object were compared per error type."""

    def limited(kind: str, **extra: Any) -> Exchange:
        error = {"message": "slow down", "type": kind, "param": None, "code": "rate_limit"}
        return retrieve({"error": {**error, **extra}}, 429)

    found = changes([limited("tokens")], [limited("requests")])
    assert sorted((c.change, c.severity, c.path) for c in found) == [
        ("enum_value_added", "info", "/error/type"),
        ("enum_value_removed", "info", "/error/type"),
    ]
    assert all(c.variant is None for c in found)
    # a field the error object gained is one change, whichever its type
    found = changes([limited("tokens")], [limited("tokens"), limited("requests", retry=1)])
    assert sorted((c.change, c.severity, c.path) for c in found) == [
        ("enum_value_added", "info", "/error/type"),
        ("field_added", "info", "/error/retry"),
    ]


def test_cli_reports_the_only_endpoint_changing_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It exited 2, 'Compare recordings of the same suite', when it was the same suite."""
    write_cassette(tmp_path / "old.yaml", [listing([msg("a")])])
    write_cassette(tmp_path / "new.yaml", [answer("GET", BASE, 404, ERROR)])
    assert main(["drift", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")]) == 1
    out = capsys.readouterr().out
    assert "list responses were 2xx (200), are now 4xx (404)" in out
    markdown = ["drift", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")]
    assert main([*markdown, "--format", "markdown"]) == 1
    assert "| **breaking** | `status_changed` | list | response | 2xx |" in capsys.readouterr().out


def test_markdown_lists_what_was_not_compared() -> None:
    report = compare_exchanges([listing([msg("a")])], [listing([msg("a")]), retrieve(ERROR, 404)])
    assert "- new only: `retrieve response 4xx`" in render(report, "markdown")


# --- elements of arrays -------------------------------------------------------------


def test_items_that_are_not_objects_are_breaking() -> None:
    """`shapes.add_body` skipped them; the SDK, our validator and client code fail on them."""
    old = [listing([msg("a"), call()])]
    c = one(old, [listing([msg("a"), call(), None])])
    assert (c.change, c.severity, c.variant, c.path, c.old, c.new) == (
        "became_nullable",
        "breaking",
        None,
        "/data/*",
        "object",
        "null|object",
    )
    c = one(old, [listing([msg("a"), call(), "msg_abc"])])
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "/data/*",
        "object",
        "object|string",
    )


def test_null_in_an_array_of_objects_is_breaking() -> None:
    c = one(
        [listing([msg("a")])],
        [listing([msg("a", content=[{"type": "input_text", "text": "x"}, None])])],
    )
    assert (c.change, c.severity, c.variant, c.path, c.old, c.new) == (
        "became_nullable",
        "breaking",
        "message",
        "/content/*",
        "object",
        "null|object",
    )


# --- `type` lost or gained ----------------------------------------------------------


def test_an_item_losing_its_type_is_named_as_such() -> None:
    """As for a message: `/type` went, not `variant_added item_reference` (input-only)."""
    old = [listing([msg("a"), call()])]
    lost = call()
    del lost["type"]
    c = one(old, [listing([msg("a"), lost])])
    assert (c.change, c.severity, c.variant, c.path) == (
        "field_removed",
        "breaking",
        "function_call",
        "/type",
    )
    c = one(old, [listing([msg("a"), call(type=7)])])
    assert (c.change, c.severity, c.variant, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "function_call",
        "/type",
        "string",
        "integer",
    )
    # an id alone in a response is no item reference: those exist in requests only
    c = one(old, [listing([msg("a"), call(), {"id": "x"}])])
    assert (c.change, c.variant) == ("variant_added", "(untyped)")
    # nor a variant the models lack (--models said: add `item_reference` to them)
    assert model_gaps([listing([{"id": "x"}])]) == []
    item_ref = create([{"id": "msg_1"}], [msg("a")])
    assert [c.variant for c in changes([create([], [msg("a")])], [item_ref])] == ["item_reference"]


def test_an_untyped_item_whose_null_tells_its_variant_is_reported_once() -> None:
    """A function_call_output with `call_id: null` has the keys of a computer_call_output and
    a shell_call_output too; it was filed `(untyped)` beside the typed ones, a variant_added
    warning and more, where only its `/type` went. Their call_id is never null."""
    typed = {"id": "fco_1", "type": "function_call_output", "call_id": "c", "output": "ok"}
    typed["status"] = "completed"
    null = {**typed, "id": "fco_2", "call_id": None}
    lost = {k: v for k, v in null.items() if k != "type"}
    assert item_variant(lost) == "function_call_output"
    c = one([listing([typed, null])], [listing([typed, lost])])
    assert (c.change, c.severity, c.variant, c.path) == (
        "became_optional",
        "breaking",
        "function_call_output",
        "/type",
    )
    # no null to tell them apart: still no guess
    assert item_variant({**lost, "call_id": "c"}) == UNTYPED


def test_a_sub_object_losing_its_type_is_named_as_such() -> None:
    """`computer_call.action` with no sibling sub-variant lost "type": "click" unseen."""
    click = {"type": "click", "button": "left", "x": 1, "y": 2}
    untyped = {"button": "left", "x": 1, "y": 2}
    c = one([listing([computer(click)])], [listing([computer(untyped)])])
    assert (c.change, c.severity, c.variant, c.path) == (
        "field_removed",
        "breaking",
        "computer_call",
        "/action/type",
    )
    # the mirror: an untyped sub-object now typed is a field added
    c = one([listing([computer(untyped)])], [listing([computer(click)])])
    assert (c.change, c.severity, c.path) == ("field_added", "info", "/action/type")
    # several sub-variants all untyped now: said once
    scroll = {"type": "scroll", "x": 1, "y": 2, "scroll_x": 0, "scroll_y": 3}
    bare = {k: v for k, v in scroll.items() if k != "type"}
    c = one(
        [listing([computer(click), computer(scroll)])],
        [listing([computer(untyped), computer(bare)])],
    )
    assert (c.change, c.severity, c.path) == ("field_removed", "breaking", "/action/type")
    assert "click, scroll" in c.message
    # one click of two untyped now: `type` no longer always there
    c = one(
        [listing([computer(click), computer(click)])],
        [listing([computer(click), computer(untyped)])],
    )
    assert (c.change, c.severity, c.path) == ("became_optional", "breaking", "/action/type")
    c = one(
        [listing([computer(click), computer(untyped)])],
        [listing([computer(click), computer(click)])],
    )
    assert (c.change, c.severity, c.path) == ("became_required", "info", "/action/type")


# --- null becoming a value, arrays first seen non-empty ------------------------------


def test_an_integer_where_the_models_declare_a_float_is_the_same_kind() -> None:
    """results[].score 1 in OLD, 0.93 in NEW: two recordings of one release, and it was
    breaking `type_changed integer -> number`."""

    def hit(score: Any) -> dict[str, Any]:
        return {"file_id": "f", "filename": "a.txt", "score": score, "text": "t"}

    whole = [listing([files([hit(1)])])]
    fraction = [listing([files([hit(0.93)])])]
    assert changes(whole, fraction) == []
    assert changes(fraction, whole) == []
    assert changes(whole, [listing([files([hit(1), hit(0.5)])])]) == []
    # where the models declare no float (an unknown field), it is still a type change
    held = {"id": "h", "type": "hologram", "depth": 1}
    c = one([listing([held])], [listing([{**held, "depth": 1.5}])])
    assert (c.change, c.severity, c.old, c.new) == (
        "type_changed",
        "breaking",
        "integer",
        "number",
    )


def test_null_becoming_a_value_is_judged_by_what_the_field_may_hold() -> None:
    """`results` is list-or-null for the models: a string there breaks every reader."""
    old = [listing([files(None)])]
    c = one(old, [listing([files("oops")])])
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "/results",
        "null",
        "string",
    )
    assert "FileSearchCall allows array|null" in c.message
    c = one(old, [listing([files([])])])
    assert (c.change, c.severity, c.new) == ("type_changed", "info", "array")
    # a field the models do not know: what it holds at another endpoint decides
    held = {"id": "h", "type": "hologram", "depth": "far"}
    before = [listing([{**held, "depth": None}]), create([], [held])]
    c = one(before, [listing([{**held, "depth": 3}]), create([], [held])])
    assert (c.change, c.severity) == ("type_changed", "breaking")
    assert "it holds string elsewhere" in c.message
    c = one(before, [listing([held]), create([], [held])])
    assert (c.change, c.severity) == ("type_changed", "info")


def test_items_where_none_were_recorded_are_judged_by_the_models() -> None:
    c = one([listing([])], [listing(["msg_abc"])])
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "/data/*",
        "object",
        "string",
    )
    # objects, as the models expect: the new variant, nothing about the elements
    assert [c.change for c in changes([listing([])], [listing([msg("a")])])] == ["variant_added"]


def test_an_array_only_seen_empty_is_judged_by_the_models() -> None:
    old = [listing([computer({"type": "screenshot"})])]
    c = one(old, [listing([computer({"type": "screenshot"}, pending_safety_checks=["check"])])])
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "/pending_safety_checks/*",
        "object",
        "string",
    )
    check = {"id": "sc", "code": "malicious_instructions", "message": "m"}
    new = [listing([computer({"type": "screenshot"}, pending_safety_checks=[check])])]
    assert changes(old, new) == []  # what the models expect: coverage, not change


# --- one change, reported once -------------------------------------------------------


def test_data_changing_kind_is_reported_once() -> None:
    """`data` now null or an object: one change, not also every item variant removed."""
    old = [listing([msg("a"), call(), mcp("e")])]
    for data, change in ((None, "became_nullable"), ({"x": 1}, "type_changed")):
        body = {"object": "list", "data": data, "first_id": "a", "last_id": "b", "has_more": False}
        c = one(old, [answer("GET", BASE, 200, body)])
        assert (c.change, c.severity, c.path) == (change, "breaking", "/data")


def test_a_scalar_becoming_null_is_reported_once() -> None:
    """became_nullable, not also its enum value removed."""
    c = one([listing([call()])], [listing([call(status=None)])])
    assert (c.change, c.path, c.old, c.new) == ("became_nullable", "/status", "string", "null")


def test_items_all_turned_to_strings_are_reported_once() -> None:
    c = one([listing([msg("a"), call(), mcp("e")])], [listing(["a", "b"])])
    assert (c.change, c.path, c.old, c.new) == ("type_changed", "/data/*", "object", "string")


def test_a_wrapped_retrieve_body_is_reported_once() -> None:
    """Its items lost their type: said once, not as every variant gone and one added."""
    wrapped = [retrieve({"item": msg("a")}), retrieve({"item": call()})]
    c = one([retrieve(msg("a")), retrieve(call())], wrapped)
    assert (c.change, c.severity, c.path) == ("field_removed", "breaking", "/type")
    assert "function_call, message" in c.message and "hold: item" in c.message


# --- traffic vs models ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "path", "owner"),
    [
        (msg("a", status="cancelled"), "/status", "Message"),
        (msg("a", phase="draft"), "/phase", "Message"),
        (computer({"type": "click", "button": "left2", "x": 1, "y": 2}), "/action/button", "Click"),
    ],
)
def test_models_mode_calls_a_value_the_models_reject_breaking(
    item: dict[str, Any], path: str, owner: str
) -> None:
    """The shapes say a new enum value is a warning; replaying NEW with --convitems-replay
    fails on it, as a strict-model client does."""
    (c,) = [c for c in model_gaps([listing([item])]) if c.change == "model_value_rejected"]
    assert (c.severity, c.path, c.old, c.status) == ("breaking", path, owner, "2xx")
    assert "--convitems-replay" in c.message and c.new in c.message
    assert not [c for c in model_gaps([listing([msg("a")])]) if c.severity == "breaking"]


def test_models_mode_says_when_old_held_the_rejected_value_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value both recordings held is no drift between them: a warning saying so."""
    held = listing([msg("a", status="cancelled")])
    (c,) = [c for c in model_gaps([held], [held]) if c.change == "model_value_rejected"]
    assert c.severity == "warning"
    assert c.message.endswith("; OLD held it too: no change between the recordings")
    (new,) = [c for c in model_gaps([held], [listing([msg("a")])]) if c.severity == "breaking"]
    assert new.fingerprint == c.fingerprint  # the same change, an ignore entry still fits
    write_cassette(tmp_path / "old.yaml", [held])
    write_cassette(tmp_path / "new.yaml", [held])
    args = ["drift", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--models"]
    assert main(args) == 0
    assert "OLD held it too" in capsys.readouterr().out


def test_models_mode_calls_a_value_the_envelope_rejects_breaking() -> None:
    body = {"object": "page", "data": [], "first_id": "a", "last_id": "b", "has_more": False}
    page = answer("GET", BASE, 200, body)
    (c,) = model_gaps([page])
    assert (c.change, c.severity, c.variant, c.path, c.old, c.new) == (
        "model_value_rejected",
        "breaking",
        None,
        "/object",
        "ConversationItemList",
        "page",
    )
    assert "of the body" in c.message


def test_every_literal_field_of_the_models_is_tracked_as_an_enum() -> None:
    """image_generation_call.size and error.moderation_details.moderation_stage were not."""
    image = {"id": "ig", "type": "image_generation_call", "status": "completed", "result": None}
    c = one(
        [listing([{**image, "size": "1024x1024"}])],
        [listing([{**image, "size": "2048x2048"}, {**image, "size": "1024x1024"}])],
    )
    assert (c.change, c.path, c.new) == ("enum_value_added", "/size", "2048x2048")
    stage = {"code": None, "message": "m", "param": None, "type": "image_generation_error"}
    old = {**image, "error": {**stage, "moderation_details": {"moderation_stage": "input"}}}
    new = {**image, "error": {**stage, "moderation_details": {"moderation_stage": "output"}}}
    found = {(c.change, c.path) for c in changes([listing([old])], [listing([old, new])])}
    assert found == {("enum_value_added", "/error/moderation_details/moderation_stage")}


def test_enum_keys_cover_the_literal_fields_of_the_response_models() -> None:
    import typing

    from pydantic import BaseModel

    from pytest_convitems import models
    from pytest_convitems.drift.model_types import members
    from pytest_convitems.drift.shapes import ENUM_KEYS

    literal: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            for member in members(info.annotation):
                if typing.get_origin(member) is typing.Literal:
                    if any(isinstance(v, str) for v in typing.get_args(member)):
                        literal.add(info.alias or name)
                elif isinstance(member, type) and issubclass(member, BaseModel):
                    walk(member)

    for name in dir(models):
        obj = getattr(models, name)
        if isinstance(obj, type) and issubclass(obj, models.ResponseModel):
            walk(obj)
    # strings inside lists (allowed_callers, search_content_types) are elements, not values
    assert literal - ENUM_KEYS <= {"allowed_callers", "search_content_types"}


def test_markdown_keeps_a_backtick_inside_a_value_in_its_code_span() -> None:
    """A value the API sent with a backtick closed the code span early and broke the row."""
    from pytest_convitems.drift.render import _code

    assert _code("we`ird") == "`` we`ird ``"
    assert _code("plain") == "`plain`"
    assert _code("a|b\nc") == "`a\\|b c`"
