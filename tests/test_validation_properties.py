"""Property tests: generated and mutated bodies only ever give findings, never an exception,
and every body finding's pointer leads into the JSON that was sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.findings import Finding
from pytest_convitems.validation import (
    error_body,
    openai_param,
    validate_exchange,
    validate_request,
    validate_response,
)
from pytest_convitems.validation_errors import UNPLACED

VALID = Path(__file__).parent / "data" / "valid"
SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

ENDPOINTS = ("create", "list", "retrieve", "delete")


def _load(folder: str) -> list[Any]:
    return [json.loads(p.read_bytes()) for p in sorted((VALID / folder).glob("*.json"))]


INPUT_ITEMS = _load("input")
OUTPUT_ITEMS = _load("output")


def _list(items: list[Any]) -> dict[str, Any]:
    return {"object": "list", "data": items, "first_id": "a", "last_id": "b", "has_more": False}


# (endpoint, direction, status, valid body) seeds from the valid corpus
SEEDS: list[tuple[str, str, int, Any]] = (
    [("create", "request", 0, {"items": [item]}) for item in INPUT_ITEMS]
    + [("create", "request", 0, {"items": INPUT_ITEMS[:20]})]
    + [("list", "response", 200, _list([item])) for item in OUTPUT_ITEMS]
    + [("retrieve", "response", 200, item) for item in OUTPUT_ITEMS]
    + [("list", "response", 200, _list(OUTPUT_ITEMS))]
    + [
        (
            "delete",
            "response",
            200,
            json.loads((VALID / "envelopes/conversation.json").read_bytes()),
        )
    ]
    + [
        (
            "list",
            "response",
            404,
            json.loads((VALID / "envelopes/error_response.json").read_bytes()),
        )
    ]
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["message", "user", "assistant", "function_call", "input_text", "", "\u0000"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=15,
)
UNICODE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20
) | st.sampled_from(["\ud7ff", "\u202e", "\U0001f600" * 3, "é" * 5, "\ufeff", "\\u0000"])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = _get(root, path[:-1])
    parent[path[-1]] = new
    return root


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, int, bytes]:
    endpoint, direction, status, seed = draw(st.sampled_from(SEEDS))
    body = json.loads(json.dumps(seed))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(body)))
        target = _get(body, path)
        op = draw(st.sampled_from(["drop", "replace", "add", "unicode", "wrap", "retype"]))
        if op == "drop" and path:
            parent = _get(body, path[:-1])
            del parent[path[-1]]
        elif op == "replace":
            body = _set(body, path, draw(JSON))
        elif op == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=12))] = draw(JSON)
        elif op == "unicode":
            body = _set(body, path, draw(UNICODE))
        elif op == "wrap":
            body = _set(body, path, [target])
        elif op == "retype" and isinstance(target, dict) and "type" in target:
            target["type"] = draw(
                st.sampled_from(["message", "hologram", None, 5, "item_reference"])
            )
    raw = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return endpoint, direction, status, raw


def _run(endpoint: str, direction: str, status: int, raw: bytes) -> list[Finding]:
    if direction == "request":
        return validate_request(endpoint, query_string="", body=raw)  # type: ignore[arg-type]
    return validate_response(endpoint, status, raw)  # type: ignore[arg-type]


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _assert_well_formed(findings: list[Finding], raw: bytes) -> None:
    assert isinstance(findings, list)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        data = None
    for f in findings:
        assert isinstance(f, Finding)
        assert f.severity in ("error", "drift")
        assert f.rule and f.message
        assert UNPLACED not in f.message, f.text()
        assert f.pointer == "" or f.pointer.startswith("/")
        openai_param(f.pointer)
        if f.part != "body" or data is None:
            continue
        # The pointer leads into the data: all of it for a present value, all but the
        # last token for a missing key.
        tokens = [_unescape(t) for t in f.pointer.split("/")[1:]]
        if f.rule == "missing" and tokens:
            tokens = tokens[:-1]
        node = data
        for token in tokens:
            if isinstance(node, list):
                assert token.isdigit() and int(token) < len(node), (f.text(), raw)
                node = node[int(token)]
            else:
                assert isinstance(node, dict) and token in node, (f.text(), raw)
                node = node[token]
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        assert error_body(findings)["error"]["type"] == "invalid_request_error"


@settings(SETTINGS, max_examples=900)
@given(mutated())
def test_mutated_corpus_bodies_give_only_findings(case: tuple[str, str, int, bytes]) -> None:
    endpoint, direction, status, raw = case
    _assert_well_formed(_run(endpoint, direction, status, raw), raw)


@settings(SETTINGS, max_examples=400)
@given(
    st.sampled_from(ENDPOINTS),
    st.sampled_from(["request", "response"]),
    st.sampled_from([200, 201, 204, 400, 404, 429, 500, 302]),
    JSON,
)
def test_random_json_gives_only_findings(
    endpoint: str, direction: str, status: int, value: Any
) -> None:
    raw = json.dumps(value).encode()
    _assert_well_formed(_run(endpoint, direction, status, raw), raw)


@settings(SETTINGS, max_examples=400)
@given(st.sampled_from(SEEDS), st.data())
def test_truncated_and_corrupted_bytes_give_only_findings(
    seed: tuple[str, str, int, Any], data: st.DataObject
) -> None:
    endpoint, direction, status, body = seed
    raw = json.dumps(body).encode()
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    noise = data.draw(st.binary(max_size=8))
    raw = raw[:cut] + noise
    _assert_well_formed(_run(endpoint, direction, status, raw), raw)


QUERY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
) | st.lists(
    st.tuples(
        st.sampled_from(["limit", "order", "after", "include", "include[]", "x", "api-version"]),
        st.text(max_size=8) | st.sampled_from(["0", "1", "100", "101", "-1", "asc", "1e3"]),
    ),
    max_size=5,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))


@settings(SETTINGS, max_examples=300)
@given(
    st.sampled_from(["GET", "POST", "DELETE", "PUT", "get"]),
    st.sampled_from(
        [
            "/v1/conversations/conv_1/items",
            "/openai/v1/conversations/c/items/i",
            "/conversations//items",
            "/v1/conversations/c/items//",
            "/v1/responses",
            "/v1/conversations/c/items/i/extra",
        ]
    ),
    QUERY_TEXT,
    st.binary(max_size=40) | JSON.map(lambda v: json.dumps(v).encode()),
    st.one_of(st.none(), st.integers(min_value=100, max_value=599)),
    st.sampled_from(["application/json", "text/html", "", "application/problem+json; q=1"]),
)
def test_random_exchanges_give_only_findings(
    method: str, path: str, query: str, body: bytes, status: int | None, ctype: str
) -> None:
    headers = {"Content-Type": [ctype]} if ctype else {}
    url = f"https://api.example.com{path}?{query}"
    response = None if status is None else Response(status, "", headers, body)
    findings = validate_exchange(Exchange(Request(method, url, headers, body), response))
    assert all(isinstance(f, Finding) for f in findings)
