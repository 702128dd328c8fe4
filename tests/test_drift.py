"""Drift on small hand-made cassettes: each class of change, ignore file, formats, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_convitems.cassette import write_cassette
from pytest_convitems.cli import main
from pytest_convitems.drift import (
    Change,
    DriftCollector,
    ShapeSet,
    compare_exchanges,
    fingerprint,
    load_ignore,
    merge_shapes,
    render,
    summary_lines,
)
from pytest_convitems.errors import InputError
from pytest_convitems.exchange import Exchange, Request, Response

BASE = "http://127.0.0.1:9/v1/conversations/conv_1/items"
JSON = {"Content-Type": ["application/json"]}


def listing(items: list[dict[str, Any]], status: int = 200) -> Exchange:
    body = {"object": "list", "data": items, "first_id": "a", "last_id": "b", "has_more": False}
    return Exchange(
        Request("GET", BASE + "?limit=20", {}),
        Response(status, "OK", dict(JSON), json.dumps(body).encode()),
    )


def create(items: list[dict[str, Any]], out: list[dict[str, Any]]) -> Exchange:
    body = {"object": "list", "data": out, "first_id": "a", "last_id": "b", "has_more": False}
    return Exchange(
        Request("POST", BASE, dict(JSON), json.dumps({"items": items}).encode()),
        Response(200, "OK", dict(JSON), json.dumps(body).encode()),
    )


def msg(text: str, *, id: str = "msg_1", **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": text}],
        **extra,
    }


def mcp(error: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": "mcp_1",
        "type": "mcp_call",
        "name": "lookup",
        "arguments": "{}",
        "server_label": "srv",
        "error": error,
        **extra,
    }


def changes_of(old: list[Exchange], new: list[Exchange]) -> list[Change]:
    return compare_exchanges(old, new).changes


def only(old: list[Exchange], new: list[Exchange]) -> Change:
    found = changes_of(old, new)
    assert len(found) == 1, [c.to_dict() for c in found]
    return found[0]


# --- no change --------------------------------------------------------------------


def test_values_do_not_count_only_shapes() -> None:
    old = [listing([msg("hello", id="msg_a"), mcp("boom")])]
    new = [listing([msg("a different text", id="msg_zzz"), mcp("other error text")])]
    assert changes_of(old, new) == []


def test_order_and_count_of_items_do_not_count() -> None:
    old = [listing([msg("a"), mcp(None)])]
    new = [listing([mcp(None), msg("b"), msg("c"), mcp(None)]), listing([msg("d")])]
    assert changes_of(old, new) == []


# --- each class of change ---------------------------------------------------------


def test_field_removed_is_breaking() -> None:
    c = only([listing([msg("a", phase="final_answer")])], [listing([msg("a")])])
    assert (c.change, c.severity, c.variant, c.path) == (
        "field_removed",
        "breaking",
        "message",
        "/phase",
    )
    assert c.old == "string" and c.new is None


def test_a_field_only_sometimes_present_removed_is_a_warning() -> None:
    """A client already copes with its absence (oasdiff: optional response property removed
    is a warning); one that was always present is breaking (above)."""
    c = only([listing([msg("a", phase="final_answer"), msg("b")])], [listing([msg("a"), msg("b")])])
    assert (c.change, c.severity, c.path) == ("field_removed", "warning", "/phase")


def test_field_added_is_info_and_union_aware() -> None:
    c = only([listing([msg("a"), mcp(None)])], [listing([msg("a"), mcp(None, server_id="x")])])
    assert (c.change, c.severity, c.variant, c.path) == (
        "field_added",
        "info",
        "mcp_call",
        "/server_id",
    )
    assert c.endpoint == "list" and c.direction == "response"


def test_type_changed_is_breaking() -> None:
    c = only(
        [listing([mcp("boom")])],
        [listing([mcp({"type": "http_error", "code": 500, "message": "x"})])],
    )
    assert (c.change, c.severity, c.variant, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "mcp_call",
        "/error",
        "string",
        "object",
    )


def test_no_longer_always_present_is_breaking() -> None:
    c = only(
        [listing([msg("a", phase="commentary"), msg("b", phase="commentary")])],
        [listing([msg("a", phase="commentary"), msg("b")])],
    )
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "became_optional",
        "breaking",
        "/phase",
        "always",
        "sometimes",
    )


def test_a_restructured_item_is_seen_field_by_field() -> None:
    """deepdiff 8 reports a dict sharing under a third of its keys as one new value; drift
    compared nothing then, and said the shapes match."""
    call = {"id": "fc_1", "type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}
    moved = {"id": "fc_1", "type": "function_call", "function": {"name": "f", "arguments": "{}"}}
    found = {(c.change, c.path) for c in changes_of([listing([call])], [listing([moved])])}
    assert found == {
        ("field_removed", "/call_id"),
        ("field_removed", "/name"),
        ("field_removed", "/arguments"),
        ("field_added", "/function"),
    }


def test_array_elements_turning_into_objects_is_a_type_change() -> None:
    strings = msg("a", tags=["x"])
    objects = msg("a", tags=[{"name": "x"}])
    c = only([listing([strings])], [listing([objects])])
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "type_changed",
        "breaking",
        "/tags/*",
        "string",
        "object",
    )
    c = only([listing([objects])], [listing([strings])])
    assert (c.path, c.old, c.new) == ("/tags/*", "object", "string")
    c = only([listing([msg("a", grid=[[1]])])], [listing([msg("a", grid=[{"n": 1}])])])
    assert (c.path, c.old, c.new) == ("/grid/*", "array", "object")
    # an array seen empty on one side says nothing about its elements: coverage, not change
    assert changes_of([listing([msg("a", tags=[])])], [listing([objects])]) == []


def test_a_field_only_ever_null_before_shows_its_new_type_as_info() -> None:
    c = only([listing([mcp(None)])], [listing([mcp({"type": "http_error", "message": "x"})])])
    assert (c.change, c.severity, c.path, c.old, c.new) == (
        "type_changed",
        "info",
        "/error",
        "null",
        "object",
    )


def test_became_required_is_info() -> None:
    c = only(
        [listing([msg("a", phase="commentary"), msg("b")])],
        [listing([msg("a", phase="commentary")])],
    )
    assert (c.change, c.severity) == ("became_required", "info")


def test_became_nullable_is_breaking() -> None:
    c = only([listing([mcp("x")])], [listing([mcp("x"), mcp(None)])])
    assert (c.change, c.severity, c.path) == ("became_nullable", "breaking", "/error")
    # shown as types, not as Python's False/True; hashed as before, so ignore files hold
    assert (c.old, c.new) == ("string", "null|string")
    assert "old: string new: null|string" in c.message
    assert c.fingerprint == fingerprint(
        "list", "response", "mcp_call", "/error", "became_nullable", False, True
    )


def test_enum_value_added_and_removed_are_warnings() -> None:
    old = [listing([msg("a", phase="commentary")])]
    new = [listing([msg("a", phase="commentary"), msg("b", phase="final_answer")])]
    c = only(old, new)
    assert (c.change, c.severity, c.path, c.new) == (
        "enum_value_added",
        "warning",
        "/phase",
        "final_answer",
    )
    # No client breaks when a value stops coming; a test asserting on it does, and a
    # recording that did not happen to hold it (coverage) looks the same.
    c = only(new, old)
    assert (c.change, c.severity, c.old) == ("enum_value_removed", "warning", "final_answer")


def test_a_key_in_an_enum_field_is_not_repeated_by_drift() -> None:
    # A live run (or a pytest-recording cassette) can hold a key sent in the wrong field;
    # drift reports go to CI logs and pull-request comments.
    key = "sk-convitems-FAKE-test-key-000000000000"
    old = [listing([msg("a", phase="commentary")])]
    new = [listing([msg("a", phase="commentary"), msg("b", phase=key)])]
    c = only(old, new)
    assert c.change == "enum_value_added" and c.new == "sk-REDACTED"
    assert key[:12] not in json.dumps(c.to_dict())


def test_free_text_values_are_not_enums() -> None:
    assert changes_of([listing([msg("one")])], [listing([msg("two")])]) == []


def test_variant_added_and_removed_are_warnings() -> None:
    c = only([listing([msg("a")])], [listing([msg("a"), mcp(None)])])
    assert (c.change, c.severity, c.variant, c.path, c.new) == (
        "variant_added",
        "warning",
        "mcp_call",
        "",
        "mcp_call",
    )
    c = only([listing([msg("a"), mcp(None)])], [listing([msg("a")])])
    assert (c.change, c.severity, c.variant) == ("variant_removed", "warning", "mcp_call")


def test_content_part_variant_and_fields_are_per_part_type() -> None:
    part_text = {"type": "input_text", "text": "x"}
    part_image = {"type": "input_image", "detail": "auto", "image_url": "https://e/x.png"}
    old = [listing([msg("a", content=[part_text])])]
    new = [listing([msg("a", content=[part_text, part_image])])]
    c = only(old, new)
    assert (c.change, c.severity, c.variant, c.path, c.new) == (
        "variant_added",
        "warning",
        "message",
        "/content/*",
        "input_image",
    )
    # A field only image parts carry is not "sometimes present" on text parts.
    assert changes_of(new, [*new, listing([msg("b", content=[part_image])])]) == []
    added = {**part_text, "prompt_cache_breakpoint": {"mode": "explicit"}}
    c = only(new, [listing([msg("a", content=[added, part_image])])])
    assert (c.change, c.path) == ("field_added", "/content/*/prompt_cache_breakpoint")
    assert "input_text" in c.message


def test_nested_fields_under_a_new_type_are_covered_by_the_type_change() -> None:
    new_error = {"type": "http_error", "code": 500, "message": "x"}
    found = changes_of([listing([mcp("boom")])], [listing([mcp(new_error)])])
    assert [c.change for c in found] == ["type_changed"]


def test_request_direction_is_classified_for_the_sender() -> None:
    fc = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    easy = {"role": "user", "content": "hi"}
    old = [create([easy], [msg("hi")])]
    new = [create([easy, fc], [msg("hi")])]
    c = only(old, new)
    assert (c.direction, c.change, c.severity, c.variant) == (
        "request",
        "variant_added",
        "info",
        "function_call",
    )
    old = [create([{"role": "user", "content": "hi"}], [msg("hi")])]
    new = [
        create([{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}], [msg("hi")])
    ]
    c = only(old, new)
    assert (c.direction, c.change, c.severity, c.path) == (
        "request",
        "type_changed",
        "warning",
        "/content",
    )


def test_error_responses_are_compared_as_their_own_context() -> None:
    err = {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}
    bad = Exchange(
        Request("GET", BASE, {}), Response(404, "Not Found", dict(JSON), json.dumps(err).encode())
    )
    report = compare_exchanges([listing([msg("a")])], [listing([msg("a")]), bad])
    assert report.changes == []
    assert report.only_new == ["list response 4xx"]


def test_fingerprint_is_stable_and_ignores_message_and_values() -> None:
    a = only([listing([msg("a")])], [listing([msg("a"), mcp(None)])])
    b = only([listing([msg("zz", id="x")])], [listing([mcp("e"), msg("q")])])
    assert a.fingerprint == b.fingerprint
    other = only([listing([msg("a")])], [listing([msg("a"), mcp(None)])]).fingerprint
    assert other == a.fingerprint


# --- live collector ---------------------------------------------------------------


def test_collector_pools_tests_and_merges_workers() -> None:
    one = DriftCollector()
    one.add([listing([msg("a")])], [listing([msg("a")])], test_id="t::one")
    two = DriftCollector()
    two.add(
        [listing([mcp("x")])], [listing([mcp({"type": "http_error", "code": 1, "message": "m"})])]
    )
    one.merge_json(json.loads(json.dumps(two.to_json())))
    report = one.report()
    assert [(c.change, c.variant) for c in report.changes] == [("type_changed", "mcp_call")]
    assert one.tests == ["t::one"]


# --- ignore file ------------------------------------------------------------------


def _ignore_file(tmp_path: Path, text: str, name: str = "ignore.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_ignore_file_accepts_a_change(tmp_path: Path) -> None:
    old, new = [listing([mcp("boom")])], [listing([mcp({"type": "x", "message": "m"})])]
    fp = only(old, new).fingerprint
    ignore = load_ignore(
        _ignore_file(tmp_path, f"- fingerprint: {fp}\n  reason: handled since v2\n")
    )
    report = compare_exchanges(old, new, ignore=ignore)
    assert report.changes == [] and report.exit_code("info") == 0
    assert [(c.fingerprint, r) for c, r in report.ignored] == [(fp, "handled since v2")]
    as_json = load_ignore(
        _ignore_file(
            tmp_path, json.dumps({"ignore": [{"fingerprint": fp, "reason": "ok"}]}), "i.json"
        )
    )
    assert compare_exchanges(old, new, ignore=as_json).changes == []


def test_ignore_file_reports_stale_entries(tmp_path: Path) -> None:
    ignore = load_ignore(_ignore_file(tmp_path, "- {fingerprint: deadbeefdeadbeef, reason: old}\n"))
    report = compare_exchanges([listing([msg("a")])], [listing([msg("a")])], ignore=ignore)
    assert report.stale_ignores == ["deadbeefdeadbeef"]
    # every format says so, and pytest's summary too: the README promises they are reported
    stale = "1 stale ignore entry (they match no change; delete them once reviewed): deadbeef"
    for shown in (
        render(report, "text"),
        render(report, "markdown"),
        "\n".join(summary_lines(report)),
    ):
        assert stale in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- fingerprint: abc\n", "entry 0 (fingerprint abc): `reason` is required"),
        ("- {fingerprint: abc, reason: ok}\n- {reason: x}\n", "entry 1: `fingerprint`"),
        ("- just-a-string\n", "entry 0: is str"),
        ("- {fingerprint: a, reason: b, why: c}\n", "unknown key(s) why"),
        ("fingerprint: abc\n", "top level is dict"),
        ("- [unclosed\n", "not valid YAML/JSON"),
    ],
)
def test_malformed_ignore_file_names_file_and_entry(
    tmp_path: Path, text: str, expected: str
) -> None:
    p = _ignore_file(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_ignore(p)
    assert str(p) in str(err.value) and expected in str(err.value)


# --- output formats ---------------------------------------------------------------


def _mixed_report() -> Any:
    old = [listing([msg("a"), mcp("boom")])]
    new = [
        listing(
            [
                msg("a", phase="final_answer"),
                mcp({"type": "http_error", "code": 1, "message": "m"}),
                mcp(None),
                {"id": "ts", "type": "tool_search_call", "arguments": {}, "status": "completed"},
            ]
        )
    ]
    return compare_exchanges(old, new)


def test_text_is_grouped_by_endpoint_and_variant() -> None:
    text = render(_mixed_report(), "text")
    lines = text.splitlines()
    assert lines[0].startswith("convitems drift: 2 breaking, 1 warning, 1 info")
    assert "list response" in lines
    for variant in ("  mcp_call", "  message", "  tool_search_call"):
        assert variant in lines
    assert lines.index("  mcp_call") < lines.index("  message")
    assert "BREAKING" in text and "--ignore FILE" in text


def test_json_has_changes_and_summary() -> None:
    data = json.loads(render(_mixed_report(), "json"))
    assert set(data) == {"changes", "summary"}
    assert data["summary"]["breaking"] == 2 and data["summary"]["total"] == 4
    # the status class was only in the message text: a change in error answers is told apart
    assert {c["status"] for c in data["changes"]} == {"2xx"}
    assert Change.from_dict(data["changes"][0]).status == "2xx"
    assert set(data["changes"][0]) == {
        "severity",
        "change",
        "endpoint",
        "direction",
        "status",
        "variant",
        "path",
        "old",
        "new",
        "message",
        "fingerprint",
    }


def test_markdown_renders_as_a_table() -> None:
    report = _mixed_report()
    md = render(report, "markdown").splitlines()
    assert md[0].startswith("### convitems drift:")
    header = md.index(
        "| Severity | Change | Endpoint | Direction | Status | Variant | Path | Old | New "
        "| Fingerprint |"
    )
    assert md[header + 1] == "|---|---|---|---|---|---|---|---|---|---|"
    rows = md[header + 2 : header + 2 + len(report.changes)]
    assert len(rows) == 4
    # every row has exactly the header's 10 cells (escaped pipes do not split cells)
    for row in rows:
        assert row.startswith("| ") and row.endswith(" |")
        assert len(row.replace("\\|", "").split("|")) == 12
        assert " | response | 2xx | " in row


def test_markdown_escapes_pipes_in_cells() -> None:
    old = [listing([mcp("x")])]
    new = [listing([mcp("x"), mcp({"type": "t", "message": "m"})])]
    md = render(compare_exchanges(old, new), "markdown")
    assert "object\\|string" in md


def test_everything_ignored_is_not_called_matching_shapes(tmp_path: Path) -> None:
    old, new = [listing([mcp("boom")])], [listing([mcp({"type": "x", "message": "m"})])]
    fp = only(old, new).fingerprint
    ignore = load_ignore(_ignore_file(tmp_path, f"- {{fingerprint: {fp}, reason: handled}}\n"))
    report = compare_exchanges(old, new, ignore=ignore)
    for fmt in ("text", "markdown"):
        shown = render(report, fmt)
        assert "no unignored drift: 1 change ignored" in shown
        assert "the shapes match" not in shown
    md = render(report, "markdown").splitlines()
    header = md.index("| Fingerprint | Change | Endpoint | Variant | Path | Reason |")
    assert md[header + 2] == (
        f"| `{fp}` | `type_changed` | `list response 2xx` | `mcp_call` | `/error` | handled |"
    )


def test_no_drift_renders_plainly() -> None:
    report = compare_exchanges([listing([msg("a")])], [listing([msg("b")])])
    assert "no drift" in render(report, "text")
    assert "no drift" in render(report, "markdown")
    assert json.loads(render(report, "json"))["changes"] == []


# --- the CLI ----------------------------------------------------------------------


def _cassettes(tmp_path: Path, old: list[Exchange], new: list[Exchange]) -> tuple[str, str]:
    (tmp_path / "old").mkdir()
    (tmp_path / "new" / "sub").mkdir(parents=True)
    write_cassette(tmp_path / "old" / "a.yaml", old)
    # NEW split over two files in nested folders: pooled per endpoint.
    write_cassette(tmp_path / "new" / "a.yaml", new[:1])
    write_cassette(tmp_path / "new" / "sub" / "b.yaml", new[1:])
    return str(tmp_path / "old"), str(tmp_path / "new")


def test_cli_exit_zero_when_nothing_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _cassettes(
        tmp_path, [listing([msg("a"), mcp("e")])], [listing([msg("b")]), listing([mcp("f")])]
    )
    assert main(["drift", old, new]) == 0
    assert "no drift" in capsys.readouterr().out


def test_cli_exit_codes_follow_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _cassettes(
        tmp_path, [listing([msg("a")])], [listing([msg("a")]), listing([mcp(None)])]
    )  # one warning (variant added)
    assert main(["drift", old, new]) == 0
    assert main(["drift", old, new, "--fail-on", "warning"]) == 1
    assert main(["drift", old, new, "--fail-on", "info"]) == 1
    assert main(["drift", new, old]) == 0  # the reverse: variant removed, a warning
    assert main(["drift", new, old, "--fail-on", "warning"]) == 1
    assert main(["drift", new, old, "--fail-on", "never"]) == 0
    capsys.readouterr()
    assert main(["drift", old, new, "--format", "json", "--fail-on", "warning"]) == 1
    data = json.loads(capsys.readouterr().out)
    fp = data["changes"][0]["fingerprint"]
    ignore = _ignore_file(tmp_path, f"- fingerprint: {fp}\n  reason: reviewed\n")
    assert main(["drift", old, new, "--fail-on", "info", "--ignore", str(ignore)]) == 0
    assert main(["drift", old, new, "--format", "markdown"]) == 0
    assert "| warning |" in capsys.readouterr().out


def test_cli_input_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _cassettes(
        tmp_path, [listing([msg("a")])], [listing([msg("a")]), listing([msg("b")])]
    )
    assert main(["drift", old, str(tmp_path / "missing")]) == 2
    assert "missing: no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["drift", old, str(tmp_path / "empty")]) == 2
    assert "no cassettes" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: [\n", encoding="utf-8")
    before = bad.read_bytes()
    assert main(["drift", old, str(bad)]) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert bad.read_bytes() == before
    broken_ignore = _ignore_file(tmp_path, "- fingerprint: abc\n")
    assert main(["drift", old, new, "--ignore", str(broken_ignore)]) == 2
    err = capsys.readouterr().err
    assert "ignore.yaml" in err and "entry 0" in err


# --- traffic vs models ------------------------------------------------------------


def test_cli_nothing_to_compare_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CI gate must not pass on an empty NEW or on another suite's traffic."""
    old, _ = _cassettes(tmp_path, [listing([msg("a")])], [listing([msg("a")])])
    create_only = tmp_path / "create.yaml"
    write_cassette(create_only, [create([msg("a")], [msg("a")])])
    assert main(["drift", old, str(create_only)]) == 2
    err = capsys.readouterr().err
    assert "nothing to compare" in err and "list response 2xx" in err
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert main(["drift", str(empty), str(empty)]) == 2
    assert "neither" in capsys.readouterr().err


def test_cli_folder_skips_the_ignore_file_and_names_a_stray_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _cassettes(tmp_path, [listing([msg("a")])], [listing([msg("b")])])
    _ignore_file(Path(new), "- fingerprint: abc\n  reason: reviewed\n").rename(
        Path(new) / "convitems-drift-ignore.yaml"
    )
    assert main(["drift", old, new]) == 0
    (Path(new) / "notes.yaml").write_text("- just\n- a list\n")
    assert main(["drift", old, new]) == 2
    err = capsys.readouterr().err
    assert "notes.yaml" in err and "move it out of the folder" in err


def test_model_gaps_name_the_model_that_needs_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_convitems.drift.model_gaps import model_gaps

    gaps = model_gaps(
        [listing([msg("a", brand_new_field=1), {"id": "x", "type": "hologram_call"}])]
    )
    by_change = {(c.change, c.variant, c.path): c for c in gaps}
    field = by_change[("model_field_missing", "message", "/brand_new_field")]
    assert field.old == "Message" and field.severity == "warning"
    variant = by_change[("model_variant_missing", "hologram_call", "")]
    assert variant.old == "ConversationItem"
    # the status class, as every other change's message carries it
    assert variant.message.startswith("list response 2xx: item variant hologram_call")
    assert field.message.startswith("list response 2xx: field /brand_new_field")
    assert field.status == variant.status == "2xx"
    old, new = _cassettes(
        tmp_path,
        [listing([msg("a")])],
        [listing([msg("a", brand_new_field=1)]), listing([msg("b")])],
    )
    assert main(["drift", old, new, "--models", "--format", "json", "--fail-on", "warning"]) == 1
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert {c["change"] for c in changes} == {"field_added", "model_field_missing"}


def test_summary_lines_for_pytest_name_changes_and_next_step() -> None:
    from pytest_convitems.drift import summary_lines

    report = _mixed_report()
    lines = summary_lines(report, limit=2)
    assert lines[0].startswith("drift against the committed cassettes: 2 breaking")
    assert lines[1].startswith("  breaking: ") and "[" in lines[1]
    assert any("and 2 more" in line for line in lines)
    assert lines[-1].startswith("next: ")
    quiet = summary_lines(compare_exchanges([listing([msg("a")])], [listing([msg("b")])]))
    assert quiet == ["drift against the committed cassettes: no drift: the shapes match"]
    # what one side alone held is said, as the CLI's text says it: "no drift" covers the rest
    made = create([msg("a")], [msg("a")])
    partial = summary_lines(compare_exchanges([listing([msg("a")])], [listing([msg("a")]), made]))
    assert partial[1:] == [
        "  not compared (seen on one side only):",
        "    live only: create request",
        "    live only: create response 2xx",
    ]


def test_nothing_compared_is_said_plainly() -> None:
    # another suite's traffic: list calls on one side, creates on the other (an endpoint
    # that changed status is compared: tests/test_drift_verdicts.py)
    report = compare_exchanges([listing([msg("a")])], [create([msg("a")], [msg("a")])])
    assert report.changes == [] and report.compared == []
    assert "nothing compared" in render(report, "text")


# --- properties -------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_parts = st.fixed_dictionaries(
    {"type": st.sampled_from(["input_text", "output_text", "refusal"])},
    optional={"text": st.text(max_size=5), "annotations": st.lists(_scalars, max_size=2)},
)
_items = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=6),
        "type": st.sampled_from(["message", "mcp_call", "reasoning"]),
    },
    optional={
        "status": st.sampled_from(["completed", "in_progress"]),
        "error": _scalars,
        "content": st.lists(_parts, max_size=3),
        "extra": st.dictionaries(st.text(max_size=3), _scalars, max_size=2),
    },
)
_bodies = st.lists(st.lists(_items, max_size=5), min_size=1, max_size=4)


def _scramble(value: Any) -> Any:
    """Same shape, other free values (ids, texts, numbers); enum-like values kept."""
    if isinstance(value, dict):
        return {k: (v if k in ("type", "status") else _scramble(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scramble(v) for v in value]
    if isinstance(value, str):
        return value[::-1] + "x"
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value + 7
    return value


@settings(max_examples=60, deadline=None)
@given(_bodies)
def test_property_same_shapes_other_values_never_drift(bodies: list[list[dict[str, Any]]]) -> None:
    old = [listing(items) for items in bodies]
    new = [listing(_scramble(items)) for items in bodies]
    assert changes_of(old, old) == []
    assert changes_of(old, new) == []


@settings(max_examples=60, deadline=None)
@given(_bodies, _bodies)
def test_property_merging_parts_equals_the_whole(
    first: list[list[dict[str, Any]]], second: list[list[dict[str, Any]]]
) -> None:
    def shape(bodies: list[list[dict[str, Any]]]) -> Any:
        s = ShapeSet()
        s.add_exchanges(listing(items) for items in bodies)
        return s.aggregate()

    assert merge_shapes(shape(first), shape(second)) == shape(first + second)


def test_drift_reads_a_body_nested_past_pythons_reach_as_text(tmp_path: Path) -> None:
    # json.loads raised RecursionError out of `convitems drift` and `--convitems-drift`.
    from pytest_convitems.cassette import write_cassette
    from pytest_convitems.cli import main
    from pytest_convitems.exchange import Exchange, Request, Response

    nested = b"[" * 50_000 + b"]" * 50_000
    body = b'{"items": [{"type": "tool_search_call", "arguments": {"a": ' + nested + b"}}]}"
    json_headers = {"Content-Type": ["application/json"]}
    url = "https://api.openai.com/v1/conversations/c/items"
    exchange = Exchange(
        Request("POST", url, json_headers, body), Response(200, "OK", json_headers, body)
    )
    for name in ("old.yaml", "new.yaml"):
        write_cassette(tmp_path / name, [exchange])
    assert main(["drift", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")]) == 0


def test_nothing_on_either_side_is_not_called_a_match() -> None:
    # A live run whose tests sent nothing said "no drift: the shapes match".
    from pytest_convitems.drift.render import headline
    from pytest_convitems.drift.report import DriftReport

    assert headline(DriftReport(changes=[])) == "nothing compared: no items traffic on either side"
