"""Validation: the invalid corpus (one exact finding each), the valid corpus (none), and
the exchange-level checks (content type, bodies, paths, sources, error bodies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.findings import Finding
from pytest_convitems.validation import (
    error_body,
    error_status,
    openai_param,
    validate_exchange,
    validate_request,
    validate_response,
)

DATA = Path(__file__).parent / "data"
INVALID = DATA / "invalid"
VALID = DATA / "valid"

JSON_HEADERS = {"Content-Type": ["application/json"]}


def _invalid_cases() -> list[Any]:
    params = []
    for path in sorted(INVALID.glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def _body(case: dict[str, Any]) -> bytes | None:
    if "body_hex" in case:
        return bytes.fromhex(case["body_hex"])
    if "body_text" in case:
        return str(case["body_text"]).encode()
    if "body" in case:
        return json.dumps(case["body"]).encode()
    return None


def _run(case: dict[str, Any]) -> list[Finding]:
    body = _body(case)
    if case["direction"] == "request":
        return validate_request(case["endpoint"], query_string=case.get("query", ""), body=body)
    return validate_response(case["endpoint"], case["status"], body or b"")


@pytest.mark.parametrize("case", _invalid_cases())
def test_invalid_case_gives_exactly_its_finding(case: dict[str, Any]) -> None:
    findings = _run(case)
    got = [(f.part, f.pointer, f.rule, f.severity) for f in findings]
    expected = (
        case.get("part", "body"),
        case["pointer"],
        case["rule"],
        case.get("severity", "error"),
    )
    assert got == [expected], "\n".join(f.text() for f in findings)
    finding = findings[0]
    assert finding.endpoint == case["endpoint"]
    assert finding.direction == case["direction"]
    assert finding.message.endswith(".")
    assert "Input should be" not in finding.message  # our sentence, not pydantic's


def test_invalid_corpus_covers_every_variant_and_part() -> None:
    from pytest_convitems.models import ConversationItem, ItemCreateBody
    from pytest_convitems.validation_schemas import union_tags

    cases = [c for p in INVALID.glob("*.json") for c in json.loads(p.read_text())["cases"]]
    texts = json.dumps(cases)
    input_types = union_tags(ItemCreateBody.__pydantic_core_schema__)
    output_types = union_tags(_adapter_schema(ConversationItem))
    internal = {"list"}  # the models' str-or-list discriminator tag, not a wire `type`
    known = (input_types | output_types) - internal
    missing = sorted(t for t in known if f'"type": "{t}"' not in texts)
    assert not missing, f"no invalid case mentions: {missing}"
    # the three message shapes and the type-less item_reference (reference §5.1-5.2)
    names = " ".join(c["name"] for c in cases)
    for shape in ("easy message", "input message", "output message (replayed)", "item_reference"):
        assert shape in names


def _adapter_schema(tp: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(tp).core_schema


_OUT_MESSAGE: dict[str, Any] = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [],
}
_OUTPUT_TEXT: dict[str, Any] = {"type": "output_text", "text": "hi", "annotations": []}


def _list(*items: Any) -> dict[str, Any]:
    return {
        "object": "list",
        "data": list(items),
        "first_id": "a",
        "last_id": "b",
        "has_more": False,
    }


def _create(*items: Any) -> dict[str, Any]:
    return {"items": list(items)}


Target = tuple[str, str, int, Any]  # endpoint, direction, status, body


def _targets(rel: str, frag: Any) -> list[Target]:
    """Where a valid-corpus fragment sits in real traffic, by its folder."""
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    computer = {"type": "computer_call", "id": "cu_1", "call_id": "c", "pending_safety_checks": []}
    computer |= {"status": "completed"}
    tools = {"type": "additional_tools", "role": "developer", "tools": [frag]}
    table: dict[str, list[Target]] = {
        "input": [("create", "request", 0, _create(frag))],
        "output": [("list", "response", 200, _list(frag)), ("retrieve", "response", 200, frag)],
        "actions": [
            ("create", "request", 0, _create(computer | {"action": frag})),
            ("list", "response", 200, _list(computer | {"actions": [frag]})),
        ],
        "content/input": [
            ("create", "request", 0, _create({"role": "user", "content": [frag]})),
            (
                "create",
                "request",
                0,
                _create({"type": "custom_tool_call_output", "call_id": "c", "output": [frag]}),
            ),
        ],
        "content/function_output": [
            (
                "create",
                "request",
                0,
                _create({"type": "function_call_output", "call_id": "c", "output": [frag]}),
            )
        ],
        "content/message": [("retrieve", "response", 200, _OUT_MESSAGE | {"content": [frag]})],
        "content/output_part": [
            ("create", "request", 0, _create(_OUT_MESSAGE | {"content": [frag]})),
            ("retrieve", "response", 200, _OUT_MESSAGE | {"content": [frag]}),
        ],
        "annotations": [
            (
                "retrieve",
                "response",
                200,
                _OUT_MESSAGE | {"content": [_OUTPUT_TEXT | {"annotations": [frag]}]},
            ),
            (
                "create",
                "request",
                0,
                _create(_OUT_MESSAGE | {"content": [_OUTPUT_TEXT | {"annotations": [frag]}]}),
            ),
        ],
        "tools": [
            ("create", "request", 0, _create(tools)),
            ("create", "request", 0, _create({"type": "tool_search_output", "tools": [frag]})),
        ],
    }
    documents: dict[str, list[Target]] = {
        "envelopes/conversation.json": [("delete", "response", 200, frag)],
        "envelopes/conversation_item_list.json": [
            ("list", "response", 200, frag),
            ("create", "response", 200, frag),
        ],
        "envelopes/error_response.json": [
            ("retrieve", "response", 404, frag),
            ("create", "response", 400, frag),
        ],
        "bodies/item_create_body.json": [("create", "request", 0, frag)],
        "seed_example_request.json": [("create", "request", 0, frag)],
        "seed_example_response.json": [("create", "response", 200, frag)],
    }
    return documents.get(rel, table.get(folder, []))


def _valid_cases() -> list[Any]:
    params = []
    for path in sorted(VALID.rglob("*.json")) if VALID.is_dir() else []:
        rel = path.relative_to(VALID).as_posix()
        for n, target in enumerate(_targets(rel, json.loads(path.read_bytes()))):
            params.append(pytest.param(target, id=f"{rel}#{n} {target[0]} {target[1]}"))
    return params


def test_valid_corpus_is_all_placed() -> None:
    """Every valid file is checked somewhere, except documents of other endpoints."""
    elsewhere = {"envelopes/conversation_deleted.json", "bodies/conversation_create_body.json"}
    elsewhere.add("bodies/conversation_update_body.json")
    unplaced = [
        rel
        for path in VALID.rglob("*.json")
        if (rel := path.relative_to(VALID).as_posix()) not in elsewhere and not _targets(rel, {})
    ]
    assert unplaced == []


@pytest.mark.parametrize("target", _valid_cases())
def test_valid_corpus_has_no_findings(target: Target) -> None:
    endpoint, direction, status, body = target
    raw = json.dumps(body).encode()
    if direction == "request":
        findings = validate_request(endpoint, query_string="", body=raw)
    else:
        findings = validate_response(endpoint, status, raw)
    assert findings == [], "\n".join(f.text() for f in findings)


def test_seed_example_request_and_response_validate() -> None:
    request = VALID / "seed_example_request.json"
    response = VALID / "seed_example_response.json"
    if not request.exists() or not response.exists():
        pytest.fail("tests/data/valid/seed_example_{request,response}.json are missing")
    assert validate_request("create", query_string="", body=request.read_bytes()) == []
    assert validate_response("create", 200, response.read_bytes()) == []


# --- pointers and params ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ptr", "param"),
    [
        ("/items/3/content/0/type", "items[3].content[0].type"),
        ("/items", "items"),
        ("", ""),
        ("/limit", "limit"),
        ("/data/0/a~1b/c~0d", "data[0].a/b.c~d"),
    ],
)
def test_openai_param(ptr: str, param: str) -> None:
    assert openai_param(ptr) == param


def test_pointer_never_containsunion_tags() -> None:
    body = {"items": [{"type": "message", "role": "user", "content": [{"type": "input_image"}]}]}
    findings = validate_request("create", body=json.dumps(body).encode())
    assert [f.pointer for f in findings] == ["/items/0/content/0/detail"]


def test_key_named_like_its_tag_is_walked_as_a_key() -> None:
    # The output `text` part: loc is ('content', 0, 'text', 'text'), tag then key.
    item = {
        "type": "message",
        "id": "m",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "text", "text": 5}],
    }
    findings = validate_response("retrieve", 200, json.dumps(item).encode())
    assert [(f.pointer, f.rule) for f in findings] == [("/content/0/text", "string_type")]


def test_messages_name_field_allowed_values_and_given_value() -> None:
    body = {"items": [{"role": "robot", "content": "hi"}]}
    (finding,) = validate_request("create", body=json.dumps(body).encode())
    assert finding.message == (
        "items[0].role must be one of user, assistant, system, developer, not 'robot'."
    )
    (limit,) = validate_request("list", query_string="limit=101")
    assert limit.message == "limit must be at most 100, not 101."


@pytest.mark.parametrize("role", ["assistant", "user"])
def test_an_output_part_in_a_message_to_send_says_where_it_belongs(role: str) -> None:
    # An assistant reply pasted back without its id and status; not "an unknown type".
    body = {"items": [{"type": "message", "role": role, "content": [_OUTPUT_TEXT]}]}
    (finding,) = validate_request("create", body=json.dumps(body).encode())
    assert (finding.pointer, finding.rule) == ("/items/0/content/0/type", "unknown_type")
    assert finding.message == (
        "items[0].content[0].type 'output_text' is an output part: it belongs in an assistant "
        "message replayed with its `id` and `status`; in any other message use input_text "
        "(or a plain string)."
    )
    replayed = _OUT_MESSAGE | {"content": [_OUTPUT_TEXT]}
    assert validate_request("create", body=json.dumps(_create(replayed)).encode()) == []


def test_query_accepts_brackets_and_repeats_and_azure_api_version() -> None:
    qs = "include%5B%5D=reasoning.encrypted_content&include=code_interpreter_call.outputs"
    assert validate_request("list", query_string=qs + "&limit=5&order=asc") == []
    assert validate_request("retrieve", query_string="api-version=2025-04-01-preview") == []


def test_every_query_model_accepts_no_parameters() -> None:
    # `validate_query` returns at once for an empty query string: sound only while this holds.
    from pytest_convitems.routes import ENDPOINTS
    from pytest_convitems.validation import _QUERY_MODELS

    for endpoint in ENDPOINTS:
        _QUERY_MODELS[endpoint].model_validate({})
    assert validate_request("delete", query_string="x=1")[0].rule == "unknown_field"


# --- error_body --------------------------------------------------------------------------


def test_error_body_is_openai_shaped() -> None:
    body = {"items": [{"role": "user", "content": "hi"}] * 21}
    findings = validate_request("create", body=json.dumps(body).encode())
    assert error_body(findings) == {
        "error": {
            "message": findings[0].message,
            "type": "invalid_request_error",
            "param": "items",
            "code": "array_above_max_length",
        }
    }


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"items": [{"role": "robot", "content": "x"}]}, "items[0].role", "invalid_value"),
        ({"items": [{"role": "user"}]}, "items[0].content", "missing_required_parameter"),
        (
            {"items": [{"role": "user", "content": "x", "name": "n"}]},
            "items[0].name",
            "unknown_parameter",
        ),
        ({"items": [{"role": "user", "content": 5}]}, "items[0].content", "invalid_type"),
    ],
)
def test_error_body_codes(body: dict[str, Any], param: str, code: str) -> None:
    err = error_body(validate_request("create", body=json.dumps(body).encode()))["error"]
    assert (err["param"], err["code"]) == (param, code)
    assert param in err["message"]


def test_error_body_for_a_query_names_the_parameter() -> None:
    err = error_body(validate_request("list", query_string="limit=0"))["error"]
    assert (err["param"], err["code"]) == ("limit", "integer_below_min_value")


def test_error_body_needs_a_finding() -> None:
    with pytest.raises(ValueError, match="at least one finding"):
        error_body([])


# --- exchanges -----------------------------------------------------------------------------

BASE = "https://api.openai.com/v1/conversations/conv_1/items"
GOOD_CREATE = json.dumps({"items": [{"role": "user", "content": "hi"}]}).encode()
GOOD_ITEM = {
    "type": "message",
    "id": "msg_1",
    "role": "user",
    "status": "completed",
    "content": [{"type": "input_text", "text": "hi"}],
}
GOOD_LIST = json.dumps(
    {
        "object": "list",
        "data": [GOOD_ITEM],
        "first_id": "msg_1",
        "last_id": "msg_1",
        "has_more": False,
    }
).encode()


def _exchange(
    method: str,
    url: str,
    body: bytes = b"",
    response: Response | None = None,
    headers: dict[str, list[str]] | None = None,
) -> Exchange:
    return Exchange(
        Request(method, url, headers if headers is not None else JSON_HEADERS, body), response
    )


def test_exchange_valid_round_trip() -> None:
    resp = Response(200, "OK", JSON_HEADERS, GOOD_LIST)
    assert (
        validate_exchange(
            _exchange("POST", BASE + "?include[]=reasoning.encrypted_content", GOOD_CREATE, resp)
        )
        == []
    )
    assert validate_exchange(_exchange("GET", BASE + "?limit=1", response=resp)) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/responses",
        "https://api.openai.com/v1/conversations/conv_1",
        "https://example.com/openai/v1/models",
    ],
)
def test_other_traffic_has_no_findings(url: str) -> None:
    assert validate_exchange(_exchange("POST", url, b"not json at all")) == []


def test_prefixes_are_recognised() -> None:
    bad = json.dumps({"items": [{}] * 21}).encode()
    for prefix in ("/v1", "/openai/v1", ""):
        url = f"https://gw.example{prefix}/conversations/conv_1/items"
        assert [f.rule for f in validate_exchange(_exchange("POST", url, bad))] == ["too_long"]


def test_exchange_content_type_and_body_problems() -> None:
    text_headers = {"content-type": ["text/plain"]}
    findings = validate_exchange(_exchange("POST", BASE, GOOD_CREATE, headers=text_headers))
    assert [(f.part, f.pointer, f.rule) for f in findings] == [("body", "", "content_type")]

    # no Content-Type at all: the API answers 415, as the embedded server does
    findings = validate_exchange(_exchange("POST", BASE, GOOD_CREATE, headers={}))
    assert [(f.rule, f.message) for f in findings] == [
        ("content_type", "Content-Type is missing, not application/json.")
    ]
    assert error_status(findings) == 415
    assert error_body(findings)["error"]["code"] == "unsupported_media_type"

    findings = validate_exchange(_exchange("GET", BASE, b'{"x": 1}'))
    assert [f.rule for f in findings] == ["unexpected_body"]

    html = Response(502, "Bad Gateway", {"Content-Type": ["text/html"]}, b"<html>oops</html>")
    findings = validate_exchange(_exchange("GET", BASE, response=html))
    assert [(f.direction, f.rule, f.severity) for f in findings] == [
        ("response", "content_type", "drift"),
        ("response", "not_json", "drift"),
    ]


def test_a_gateway_page_on_a_5xx_or_429_is_drift_not_an_error() -> None:
    """A gateway's 502 HTML page the SDK retried failed the test, advising a newer
    pytest-convitems: it is infrastructure, not the API's contract."""
    page = b"<html><body>502 Bad Gateway</body></html>"
    for status in (429, 500, 502, 503):
        html = Response(status, "", {"Content-Type": ["text/html"]}, page)
        findings = validate_exchange(_exchange("GET", BASE, response=html))
        assert [(f.rule, f.severity) for f in findings] == [
            ("content_type", "drift"),
            ("not_json", "drift"),
        ], status
        assert all("probably a gateway's or proxy's page" in f.message for f in findings)
        assert [f.severity for f in validate_response("list", status, page)] == ["drift"]
        assert [f.severity for f in validate_response("list", status, b"")] == ["drift"]
    # a 400 or a 200 page is the API's answer: still an error
    for status in (200, 400, 404):
        html = Response(status, "", {"Content-Type": ["text/html"]}, page)
        findings = validate_exchange(_exchange("GET", BASE, response=html))
        assert {f.severity for f in findings} == {"error"}, status
    # a JSON 5xx body is checked as before, a wrong Content-Type on it too
    wrong = Response(502, "", {"Content-Type": ["text/plain"]}, b'{"error": 1}')
    findings = validate_exchange(_exchange("GET", BASE, response=wrong))
    assert findings and {f.severity for f in findings} == {"error"}


def test_exchange_empty_path_ids_are_path_findings() -> None:
    findings = validate_exchange(_exchange("GET", "https://api.openai.com/v1/conversations//items"))
    assert [(f.endpoint, f.part, f.pointer, f.rule) for f in findings] == [
        ("list", "path", "/conversation_id", "empty_id")
    ]
    findings = validate_exchange(
        _exchange("DELETE", "https://api.openai.com/v1/conversations/conv_1/items//")
    )
    assert [(f.endpoint, f.part, f.pointer) for f in findings] == [("delete", "path", "/item_id")]
    # GET .../items/ is the list; DELETE .../items/ can only be a delete missing its id
    findings = validate_exchange(
        _exchange("DELETE", "https://api.openai.com/v1/conversations/conv_1/items/")
    )
    assert [(f.endpoint, f.part, f.pointer) for f in findings] == [("delete", "path", "/item_id")]
    get = _exchange("GET", "https://api.openai.com/v1/conversations/conv_1/items/")
    assert [f.rule for f in validate_exchange(get) if f.part == "path"] == []


def test_exchange_source_is_carried_into_findings() -> None:
    source = {"cassette": "c.yaml", "interaction": 3}
    ex = Exchange(Request("GET", BASE + "?limit=500", JSON_HEADERS), None, source)
    (finding,) = validate_exchange(ex)
    assert finding.source == source
    assert finding.to_dict()["source"] == source


def test_response_unknown_fields_are_drift_and_errors_stay_errors() -> None:
    data = json.loads(GOOD_LIST)
    data["data"][0]["new_field"] = 1
    data["data"][0]["content"][0]["extra"] = True
    data["data"][0]["status"] = "done"
    data["cursor"] = "abc"
    findings = validate_response("list", 200, json.dumps(data).encode())
    assert sorted((f.severity, f.pointer, f.rule) for f in findings) == [
        ("drift", "/cursor", "unknown_field"),
        ("drift", "/data/0/content/0/extra", "unknown_field"),
        ("drift", "/data/0/new_field", "unknown_field"),
        ("error", "/data/0/status", "invalid_value"),
    ]


def test_2xx_other_than_200_and_1xx_3xx() -> None:
    assert validate_response("list", 201, GOOD_LIST) == []
    assert [f.rule for f in validate_response("delete", 204, b"")] == ["missing_body"]
    # With a body, the status is what is wrong: not "the body is empty"
    (found,) = validate_response("delete", 204, GOOD_LIST)
    assert found.rule == "unexpected_status"
    assert found.message.startswith("a 204 carries no body; the API answers delete with 200")
    assert validate_response("list", 304, b"") == []


# --- derived validators ----------------------------------------------------------------------


def test_drift_validator_forbids_extras_with_shared_and_mixed_configs() -> None:
    from pydantic import BaseModel, ConfigDict, ValidationError

    from pytest_convitems.validation_schemas import drift_validator

    class Inner(BaseModel):
        model_config = ConfigDict(extra="allow", strict=True)
        n: int

    class Shared(BaseModel):
        model_config = ConfigDict(extra="allow", strict=True)
        inner: Inner

    class Mixed(BaseModel):  # a different config: the model nodes are kept
        model_config = ConfigDict(extra="allow", strict=False)
        inner: Inner

    for model in (Shared, Mixed):
        validator = drift_validator(model.__pydantic_core_schema__)
        validator.validate_json(b'{"inner": {"n": 1}}')
        with pytest.raises(ValidationError) as exc:
            validator.validate_json(b'{"inner": {"n": 1, "x": 2}, "y": 3}')
        assert sorted(e["loc"] for e in exc.value.errors()) == [("inner", "x"), ("y",)]
        # the declared model still keeps extras
        assert model.model_validate_json(b'{"inner": {"n": 1}, "y": 3}').model_extra == {"y": 3}
    with pytest.raises(ValidationError):  # strictness survives the recompilation
        drift_validator(Shared.__pydantic_core_schema__).validate_json(b'{"inner": {"n": "1"}}')


def test_include_in_the_body_is_told_to_move_to_the_query() -> None:
    """The seed page showed `include` as a body parameter; "remove it" would lose it."""
    body = {"items": [{"role": "user", "content": "x"}], "include": ["reasoning.encrypted_content"]}
    (finding,) = validate_request("create", body=json.dumps(body).encode())
    assert "query parameter" in finding.message and "?include[]=" in finding.message


def test_an_overlong_string_in_a_string_or_list_union_points_at_its_field() -> None:
    """pydantic names the union's branch after the string (`output`, `text`); the finding
    pointed at the whole item (request) or the whole body (response)."""
    long = "a" * 10_485_761
    body = {"items": [{"type": "function_call_output", "call_id": "c", "output": long}]}
    (finding,) = validate_request("create", body=json.dumps(body).encode())
    assert (finding.pointer, finding.rule) == ("/items/0/output", "string_too_long")
    item = {"id": "fco_1", "type": "function_call_output", "call_id": "c", "status": "completed"}
    (finding,) = validate_response("retrieve", 200, json.dumps({**item, "output": long}).encode())
    assert (finding.pointer, finding.rule) == ("/output", "string_too_long")


def test_a_deletion_receipt_from_item_delete_is_explained() -> None:
    """The reference singles it out: item delete answers the parent Conversation."""
    receipt = b'{"id": "conv_1", "object": "conversation.deleted", "deleted": true}'
    findings = validate_response("delete", 200, receipt)
    (about_object,) = [f for f in findings if f.pointer == "/object"]
    assert "item delete returns the parent Conversation" in about_object.message
    assert all("parent Conversation" not in f.message for f in findings if f.pointer != "/object")


def test_the_python_functions_name_a_wrong_argument() -> None:
    with pytest.raises(TypeError, match="body must be the raw bytes, not str"):
        validate_request("create", body='{"items": []}')  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="endpoint 'bogus' is not one of create"):
        validate_response("bogus", 200, b"{}")  # type: ignore[arg-type]


def test_an_empty_batch_of_items_is_no_finding() -> None:
    assert validate_request("create", body=b'{"items": []}') == []


@pytest.mark.parametrize("tag", [None, 5, True, {"q": 1}], ids=["null", "int", "bool", "object"])
def test_a_type_that_is_not_a_string_is_an_error_in_responses_too(tag: Any) -> None:
    # Not a type the API added (drift, as a new string would be): a broken body.
    item = {"type": "message", "id": "m", "role": "user", "status": "completed"}
    item["content"] = [{"type": tag, "text": "x"}]
    (finding,) = validate_response("retrieve", 200, json.dumps(item).encode())
    assert (finding.severity, finding.pointer, finding.rule) == (
        "error",
        "/content/0/type",
        "string_type",
    )
    assert finding.message.startswith("content[0].type must be a string, not ")
    assert "'" not in finding.message  # JSON values, not Python reprs of the tag


def test_include_on_a_delete_is_not_told_to_move_to_the_query() -> None:
    (finding,) = validate_request("delete", query_string="include[]=reasoning.encrypted_content")
    assert finding.message == "include is not a known parameter; remove it (the API rejects it)."


@pytest.mark.parametrize("depth", [198, 5000])
def test_a_body_nested_past_the_validators_reach_is_drift_never_a_crash(depth: int) -> None:
    # Valid JSON (free-form `arguments`); pydantic-core stops at ~200 levels, Python's json
    # at its recursion limit: reported as the validator's limit, not as broken JSON.
    nested = "[" * depth + "]" * depth
    body = f'{{"items": [{{"type": "tool_search_call", "arguments": {{"a": {nested}}}}}]}}'
    (finding,) = validate_request("create", body=body.encode())
    assert (finding.severity, finding.rule) == ("drift", "too_deep")
    (finding,) = validate_response("retrieve", 200, body.encode())
    assert finding.rule == "too_deep"


def test_a_lone_surrogate_escape_is_named_not_called_invalid_json() -> None:
    item = b'{"type":"message","id":"m","role":"user","status":"completed","content":'
    item += b'[{"type":"input_text","text":"cut \\ud83d"}]}'
    (finding,) = validate_response("retrieve", 200, item)
    assert finding.rule == "not_json"
    assert finding.message.startswith("the body holds \\ud83d, half of a UTF-16 surrogate pair")


def test_the_python_api_quotes_no_key_sent_as_a_field_name_or_query_value() -> None:
    key = "sk-test-FAKEFAKEFAKE1234567890"
    body = json.dumps({"items": [{"role": "user", "content": "x", key: 1}]}).encode()
    escaped = json.dumps({"items": [{"role": "user", "content": "x", f"a/{key}": 1}]}).encode()
    findings = [
        *validate_request("create", body=body),
        *validate_request("create", body=escaped),  # the pointer writes it a~1sk-...
        *validate_request("list", query_string=f"order={key}"),
        *validate_request("list", query_string=f"{key}=1"),
        *validate_request("list", query_string=f"a~{key}=1"),
    ]
    assert len(findings) == 5
    assert not any(key[3:] in f.pointer or key[3:] in f.message for f in findings)
    assert not any(key[3:] in json.dumps(error_body([f])) for f in findings)
    pasted = Request("POST", BASE, {"content-type": [key]}, b"{}")
    said = validate_exchange(Exchange(pasted))
    assert "content_type" in [f.rule for f in said]
    assert not any(key[3:] in f.message for f in said)


def test_a_null_type_on_an_item_plainly_of_another_kind_is_said_at_its_type() -> None:
    # Null reads as an item_reference: "id is required" or "queries is not a known
    # parameter" missed the point.
    call = {"type": None, "call_id": "c1", "name": "f", "arguments": "{}"}
    (finding,) = validate_request("create", body=json.dumps({"items": [call]}).encode())
    assert (finding.pointer, finding.rule) == ("/items/0/type", "string_type")
    assert finding.message.startswith("items[0].type must be a string naming the item's kind")
    reference = {"type": None, "id": "msg_1"}
    assert validate_request("create", body=json.dumps({"items": [reference]}).encode()) == []
    stray = {"type": None, "id": "msg_1", "foo": 1}  # a reference with a stray key: that key
    (finding,) = validate_request("create", body=json.dumps({"items": [stray]}).encode())
    assert (finding.pointer, finding.rule) == ("/items/0/foo", "unknown_field")
