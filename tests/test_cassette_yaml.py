"""Our YAML emitter: every string and body survives libyaml's and PyYAML's safe loaders."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_convitems import cassette_yaml

LOADERS = (yaml.CSafeLoader, yaml.SafeLoader)

texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=60,
)
tricky = st.sampled_from(
    [
        "",
        "null",
        "True",
        "no",
        "~",
        "123",
        "0x1F",
        "1e5",
        "-",
        "- x",
        "a: b",
        "a:",
        "http://h:1/x?y=1&z=%20",
        "# c",
        "a #c",
        " lead",
        "trail ",
        "multi\nline",
        "multi\nline\n",
        "multi\n\n",
        "\n",
        " \nx",
        "x\n y",
        "tab\there",
        "\tcol1\tcol2\nrow",
        "\x85nel",
        "\u2028",
        "\ufeffbom",
        "'q'",
        '"dq"',
        "{a}",
        "[1]",
        "&anchor",
        "*alias",
        "!tag",
        "|",
        ">",
        "%",
        "@",
        "`",
        "Bearer REDACTED",
        "x\r\ny",
        "emoji 😀",
    ]
)


def _load(text: str, loader: Any) -> Any:
    return yaml.load(text.encode("utf-8"), Loader=loader)


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, tricky), st.one_of(texts, tricky))
def test_flow_and_block_scalars_round_trip(a: str, b: str) -> None:
    doc = f"k: {cassette_yaml.flow(a)}\nb:{cassette_yaml.block(b, '  ')}\nz: 1\n"
    for loader in LOADERS:
        assert _load(doc, loader) == {"k": a, "b": b, "z": 1}, doc


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | texts,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
        max_leaves=12,
    ),
    st.dictionaries(texts.filter(bool), st.lists(st.one_of(texts, tricky), max_size=2), max_size=3),
    st.binary(max_size=80),
)
def test_interactions_round_trip(value: Any, headers: dict[str, list[str]], blob: bytes) -> None:
    pretty = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    item = {
        "request": {"body": blob, "headers": headers, "method": "POST", "uri": "http://h/x?a=b"},
        "response": {
            "body": {"string": pretty},
            "headers": headers,
            "status": {"code": 200, "message": "OK"},
        },
    }
    doc = cassette_yaml.document([item, item])
    for loader in LOADERS:
        assert _load(doc, loader) == {"interactions": [item, item], "version": 1}


def test_pretty_json_is_a_literal_block() -> None:
    body = json.dumps({"b": [1, 2], "a": "x"}, indent=2, sort_keys=True)
    assert cassette_yaml.block(body, "    ") == ' |-\n    {\n      "a": "x",\n' + (
        '      "b": [\n        1,\n        2\n      ]\n    }'
    )


def test_plain_only_when_unambiguous() -> None:
    assert cassette_yaml.flow("application/json") == "application/json"
    assert cassette_yaml.flow("http://127.0.0.1:8/v1/x?a=1") == "http://127.0.0.1:8/v1/x?a=1"
    assert cassette_yaml.flow("17") == '"17"'
    assert cassette_yaml.flow("yes") == '"yes"'
    assert cassette_yaml.flow("a: b") == '"a: b"'


ascii_texts = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60)
_REFERENCE_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]| \n")


@settings(max_examples=500, deadline=None)
@given(st.one_of(texts, ascii_texts, tricky))
def test_block_safety_check_agrees_with_the_reference_pattern(value: str) -> None:
    """The fast check (ASCII bodies skip the regex) decides exactly as the one pattern did."""
    assert cassette_yaml._block_unsafe(value) == bool(_REFERENCE_UNSAFE.search(value))


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        texts,
        tricky,
        st.sampled_from(["2026-11-25T15:20:01.123456Z", "2026-11-25", "2026-11-25 15:20:01"]),
    )
)
def test_recorded_at_is_a_string_after_the_response_for_both_loaders(when: str) -> None:
    """Plain, `2026-11-25T15:20:01.123456Z` is a YAML 1.1 timestamp: a datetime to PyYAML."""
    item = {
        "request": {"body": None, "headers": {}, "method": "GET", "uri": "http://h/x"},
        "response": {"body": {"string": ""}, "headers": {}, "status": {"code": 200, "message": ""}},
        "recorded_at": when,
    }
    text = cassette_yaml.interaction(item)
    assert text.splitlines()[-1].startswith("  recorded_at: ")  # last, after `response`
    for loader in LOADERS:
        assert _load(cassette_yaml.document([item]), loader)["interactions"] == [item]
    del item["recorded_at"]
    assert "recorded_at" not in cassette_yaml.interaction(item)  # none: no key at all
