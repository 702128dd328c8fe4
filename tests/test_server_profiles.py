"""The `seed` profile and `SEED_PROFILE_DIFFERENCES`: every row is what the server does.

Both profiles get the same traffic (each example shape and seed probe in its own create);
each row of the table is then checked against what the two answered, by its `change`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest

from pytest_convitems.server import SEED_PROFILE_DIFFERENCES, running_server
from pytest_convitems.server_examples import EXAMPLE_SHAPES, SEED_PROBES, example_item
from pytest_convitems.server_items import ID_PREFIXES
from pytest_convitems.server_profiles import (
    Change,
    ProfileDifference,
    ProfileName,
    differences_markdown,
)
from tests.conftest import FAKE_API_KEY

AUTH = {"Authorization": f"Bearer {FAKE_API_KEY}"}
DOC = Path(__file__).resolve().parent.parent / "docs" / "profiles.md"

Answers = dict[str, tuple[int, dict[str, Any]]]
"""shape -> (status, body) of its create call."""


def _answers(profile: ProfileName) -> Answers:
    out: Answers = {}
    with (
        running_server(profile=profile) as srv,
        httpx.Client(base_url=srv.api_base, headers=AUTH) as http,
    ):
        cid = http.post("/conversations", json={}).json()["id"]
        first = http.post(
            f"/conversations/{cid}/items", json={"items": [{"role": "user", "content": "x"}]}
        ).json()["data"][0]["id"]
        for shape in (*EXAMPLE_SHAPES, *SEED_PROBES):
            item = example_item(shape, reference_id=first)
            r = http.post(f"/conversations/{cid}/items", json={"items": [item]})
            out[shape] = (r.status_code, r.json())
    return out


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[Answers, Answers]]:
    yield _answers("current"), _answers("seed")


def _items(answers: Answers, variant: str | None) -> list[dict[str, Any]]:
    return [
        item
        for status, body in answers.values()
        if status == 200
        for item in body["data"]
        if item["type"] == variant
    ]


_MISSING = object()


def _values(node: Any, tokens: list[str]) -> Iterator[Any]:
    """Every value at `tokens` (`*` over arrays); `_MISSING` where the key is absent."""
    if not tokens:
        yield node
        return
    head, rest = tokens[0], tokens[1:]
    if head == "*":
        for child in node if isinstance(node, list) else []:
            yield from _values(child, rest)
    elif isinstance(node, dict):
        if head in node:
            yield from _values(node[head], rest)
        elif not rest:
            yield _MISSING


def _at(items: list[dict[str, Any]], path: str) -> list[Any]:
    tokens = path.split("/")[1:]
    return [v for item in items for v in _values(item, tokens)]


def _json_type(value: Any) -> str:
    return type(value).__name__


@pytest.mark.parametrize(
    "row", SEED_PROFILE_DIFFERENCES, ids=lambda r: f"{r.change}:{r.variant}{r.path}"
)
def test_each_row_is_what_the_seed_profile_does(
    both: tuple[Answers, Answers], row: ProfileDifference
) -> None:
    current, seed = both
    now, old = _items(current, row.variant), _items(seed, row.variant)
    assert now, f"no current response shows a {row.variant}: the row is not observable"
    new_values, old_values = _at(now, row.path), _at(old, row.path)
    present_now = [v for v in new_values if v is not _MISSING]
    present_old = [v for v in old_values if v is not _MISSING]
    if row.change == "variant_added":
        assert old == []
        refused = [s for s, (status, _) in seed.items() if status == 400]
        assert refused
    elif row.change == "field_added":
        assert old and present_now and present_old == []
    elif row.change == "type_changed":
        assert present_now and present_old
        assert {_json_type(v) for v in present_now}.isdisjoint(_json_type(v) for v in present_old)
    elif row.change == "became_required":
        assert len(present_now) == len(new_values) and _MISSING in old_values
    elif row.change == "became_nullable":
        assert None in present_now and present_old and None not in present_old
    elif row.change == "became_optional":
        assert _MISSING in new_values and old and _MISSING not in old_values
    elif row.change == "enum_value_added":
        assert present_old and set(present_now) > set(present_old)
    else:
        pytest.fail(f"no check for change {row.change}")


def test_rows_are_well_formed() -> None:
    changes = set(get_args(Change))
    keys = [(r.variant, r.path, r.change) for r in SEED_PROFILE_DIFFERENCES]
    assert len(keys) == len(set(keys))
    expected_severity = {
        "variant_added": "warning",
        "enum_value_added": "warning",
        "field_added": "info",
        "became_required": "info",
        "type_changed": "breaking",
        "became_nullable": "breaking",
        "became_optional": "breaking",
    }
    for row in SEED_PROFILE_DIFFERENCES:
        assert row.change in changes
        assert row.variant in ID_PREFIXES  # an output item type
        assert row.path == "" or row.path.startswith("/")
        assert row.severity == expected_severity[row.change], row


def test_seed_refuses_what_the_seed_page_lacks(both: tuple[Answers, Answers]) -> None:
    current, seed = both
    for shape in (
        "tool_search_call",
        "tool_search_output",
        "additional_tools",
        "configuration_update",
        "compaction",
        "compaction_trigger",
        "program",
        "program_output",
    ):
        assert current[shape][0] == 200
        status, body = seed[shape]
        assert status == 400 and body["error"]["param"] == "items[0].type", body
        assert body["error"]["code"] == "invalid_value"
    status, body = seed["function_call_output.without_call_id"]
    assert status == 400 and body["error"]["param"] == "items[0].call_id"
    assert body["error"]["code"] == "missing_required_parameter"
    status, body = seed["message.image_detail_original"]
    assert status == 400 and body["error"]["param"] == "items[0].content[0].detail"


def test_seed_answers_in_the_old_shapes(both: tuple[Answers, Answers]) -> None:
    _, seed = both
    (mcp,) = seed["mcp_call"][1]["data"]
    assert mcp["error"] == "upstream unavailable"
    (message,) = seed["message.output"][1]["data"]
    assert "phase" not in message
    (fc,) = seed["function_call"][1]["data"]
    assert not {"created_by", "namespace", "caller", "async"} & set(fc)
    (cco,) = seed["computer_call_output"][1]["data"]
    assert "status" not in cco


def test_docs_render_the_same_table() -> None:
    assert differences_markdown() in DOC.read_text(encoding="utf-8"), (
        "docs/profiles.md is out of date: paste differences_markdown() into it"
    )
