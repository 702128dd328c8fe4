"""Traffic -> findings: validate an items request or response against the models.

Every validator is built once, at import. A valid body costs one pydantic-core pass over
the raw bytes (no `json.loads`, no Python tree walk); only a failing body is parsed again
to turn pydantic's errors into pointers (see `validation_errors`).

Unknown fields in responses: the response models keep extras (`extra="allow"`), so each
response schema is compiled a second time with every model's extra behaviour set to
`forbid`. That validator runs first; an `extra_forbidden` error becomes a `drift` finding,
and only then is the declared (extras-allowed) validator asked which real errors there are.

A 5xx or 429 whose body is not JSON (or is empty) is a gateway's or load balancer's page,
not the API's answer: its content-type and not-JSON findings are `drift` too.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import CoreSchema

from .api_error import api_error
from .exchange import Exchange, Request, Response, is_json_content_type
from .findings import Direction, Endpoint, Finding, Part
from .models import (
    Conversation,
    ConversationItem,
    ConversationItemList,
    ErrorResponse,
    ItemCreateBody,
    ItemCreateQuery,
    ItemDeleteQuery,
    ItemListQuery,
    ItemRetrieveQuery,
)
from .redact import DEFAULT_REDACTOR, lone_surrogate
from .routes import match_route, parse_query, route_for
from .validation_errors import findings_from_errors, openai_param
from .validation_schemas import drift_validator, union_tags

__all__ = [
    "error_body",
    "openai_param",
    "validate_exchange",
    "validate_request",
    "validate_response",
]

# Query keys that are transport, not API: Azure OpenAI requires `api-version` on every call.
TRANSPORT_QUERY_KEYS: Final[frozenset[str]] = frozenset({"api-version"})


@dataclass(frozen=True)
class _Checker:
    """A compiled validator for one part, and its extras-forbidding twin for responses."""

    declared: Callable[[bytes], object]
    strict: Callable[[bytes], object] | None = None


def _json_checker(
    schema: CoreSchema, validate: Callable[[bytes], object], *, drift: bool
) -> _Checker:
    if not drift:
        return _Checker(validate)
    twin = drift_validator(schema)
    return _Checker(validate, twin.validate_json)


def _model_checker(model: type[BaseModel], *, drift: bool) -> _Checker:
    return _json_checker(
        model.__pydantic_core_schema__, model.__pydantic_validator__.validate_json, drift=drift
    )


_ITEM_ADAPTER: Final[TypeAdapter[Any]] = TypeAdapter(ConversationItem)

_CREATE_BODY: Final = _model_checker(ItemCreateBody, drift=False)
_QUERY_MODELS: Final[dict[Endpoint, type[BaseModel]]] = {
    "create": ItemCreateQuery,
    "list": ItemListQuery,
    "retrieve": ItemRetrieveQuery,
    "delete": ItemDeleteQuery,
}
_LIST: Final = _model_checker(ConversationItemList, drift=True)
_SUCCESS: Final[dict[Endpoint, _Checker]] = {
    "create": _LIST,
    "list": _LIST,
    "retrieve": _json_checker(
        _ITEM_ADAPTER.core_schema, _ITEM_ADAPTER.validator.validate_json, drift=True
    ),
    "delete": _model_checker(Conversation, drift=True),
}
_ERROR: Final = _model_checker(ErrorResponse, drift=True)
_SUCCESS_NAMES: Final[dict[Endpoint, str]] = {
    "create": "a ConversationItemList",
    "list": "a ConversationItemList",
    "retrieve": "a conversation item",
    "delete": "the parent Conversation",
}


# `compaction_trigger`, `item_reference`: known types that only requests may carry.
_REQUEST_ONLY_TYPES: Final = frozenset(
    union_tags(ItemCreateBody.__pydantic_core_schema__)
    - union_tags([ConversationItemList.__pydantic_core_schema__, _ITEM_ADAPTER.core_schema])
)


def _finding(
    endpoint: Endpoint, direction: Direction, part: Part, ptr: str, rule: str, message: str
) -> Finding:
    return Finding("error", endpoint, direction, part, ptr, rule, message)


def _not_json(endpoint: Endpoint, direction: Direction, body: bytes) -> Finding:
    def said(rule: str, message: str) -> Finding:
        return _finding(endpoint, direction, "body", "", rule, message)

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return said(
            "invalid_utf8",
            f"the body is not valid UTF-8 (byte {exc.start}); JSON bodies must be UTF-8.",
        )
    try:
        parsed = strict_json(text)
        # Python's json reads it and pydantic-core does not: an escaped lone surrogate
        # (valid JSON syntax, no character), or nesting past pydantic-core's limit.
        lone = lone_surrogate(json.dumps(parsed, ensure_ascii=False))
    except ValueError as exc:
        fix = "send a JSON object" if direction == "request" else "the API answers JSON objects"
        return said("not_json", f"the body is not valid JSON ({exc}); {fix}.")
    except RecursionError:
        return _too_deep(endpoint, direction)
    if lone is not None:
        return said(
            "not_json",
            f"the body holds \\u{ord(lone):04x}, half of a UTF-16 surrogate pair with no "
            "other half: no character (a string cut in the middle of an emoji, say); JSON "
            "parsers may refuse it.",
        )
    return _too_deep(endpoint, direction)


def _too_deep(endpoint: Endpoint, direction: Direction) -> Finding:
    # The validator's limit, not the traffic's fault: reported, never failing a test.
    return Finding(
        "drift",
        endpoint,
        direction,
        "body",
        "",
        "too_deep",
        "the body nests deeper than the validator reads (about 200 levels), so the models "
        "did not check it.",
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def strict_json(text: str | bytes) -> Any:
    """`json.loads` without the NaN, Infinity and -Infinity JavaScript allows and JSON does
    not (Python's json and pydantic read them; a server then fails to write them back)."""
    return json.loads(text, parse_constant=_reject_constant)


_CONSTANT: Final = re.compile(rb"[\[:,]\s*-?(?:NaN|Infinity)")
"""Where a JavaScript constant could stand as a value; text quoting one is rarely like it."""


def _has_constant(body: bytes) -> bool:
    # The scan is nearly free; the parse that tells a string from a value is not.
    if (b"NaN" not in body and b"Infinity" not in body) or not _CONSTANT.search(body):
        return False
    try:
        strict_json(body)
    except (ValueError, RecursionError):
        return True
    return False


def _check_body(
    checker: _Checker, body: bytes, endpoint: Endpoint, direction: Direction
) -> list[Finding]:
    """Validate raw JSON bytes; findings only, never an exception."""
    first = checker.strict or checker.declared
    if _has_constant(body):
        return [_not_json(endpoint, direction, body)]
    try:
        first(body)
        return []
    except ValidationError as exc:
        first_errors = exc.errors()
    except (ValueError, TypeError, RecursionError):
        return [_not_json(endpoint, direction, body)]
    if any(e["type"] in ("json_invalid", "json_type") for e in first_errors):
        return [_not_json(endpoint, direction, body)]
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return [_not_json(endpoint, direction, body)]

    drift_errors = []
    errors = first_errors
    if checker.strict is not None:
        drift_errors = [e for e in first_errors if e["type"] == "extra_forbidden"]
        errors = []
        if len(drift_errors) < len(first_errors):
            try:
                checker.declared(body)
            except ValidationError as exc:
                errors = exc.errors()
    findings = findings_from_errors(
        errors,
        data,
        endpoint=endpoint,
        direction=direction,
        part="body",
        request_only_types=_REQUEST_ONLY_TYPES,
    )
    if drift_errors:
        known = {f.pointer for f in findings}
        findings += [
            f
            for f in findings_from_errors(
                drift_errors,
                data,
                endpoint=endpoint,
                direction=direction,
                part="body",
                drift_rules=("unknown_field",),
            )
            if f.severity == "drift" and f.pointer not in known
        ]
    return findings


def validate_query(endpoint: Endpoint, query_string: str) -> list[Finding]:
    if not query_string:  # every query model accepts no parameters (a test pins it)
        return []
    params = {k: v for k, v in parse_query(query_string).items() if k not in TRANSPORT_QUERY_KEYS}
    try:
        # The compiled validator itself: `model_validate`'s Python wrapper costs more than
        # checking a short query does, on every request the proxy sees.
        _QUERY_MODELS[endpoint].__pydantic_validator__.validate_python(params)
    except ValidationError as exc:
        return findings_from_errors(
            exc.errors(), params, endpoint=endpoint, direction="request", part="query"
        )
    return []


def validate_request(
    endpoint: Endpoint, *, query_string: str = "", body: bytes | None = None
) -> list[Finding]:
    """Findings for one request's query and body (`None`/empty: no body was sent)."""
    _arguments_check("validate_request", endpoint, body)
    findings = validate_query(endpoint, query_string)
    if route_for(endpoint).has_body:
        if not body or not body.strip():
            findings.append(
                _finding(
                    endpoint,
                    "request",
                    "body",
                    "",
                    "missing_body",
                    'the request has no body; send a JSON object like {"items": [...]}.',
                )
            )
        else:
            findings += _check_body(_CREATE_BODY, body, endpoint, "request")
    elif body:
        findings.append(
            _finding(
                endpoint,
                "request",
                "body",
                "",
                "unexpected_body",
                f"a {endpoint} request takes no body, but {len(body)} bytes were sent.",
            )
        )
    return findings


def validate_response(endpoint: Endpoint, status: int, body: bytes) -> list[Finding]:
    """Findings for one response body: the success model on 2xx, the error body on 4xx/5xx;
    any other status is not checked (no findings)."""
    _arguments_check("validate_response", endpoint, body)
    if 200 <= status < 300:
        if status == 204 or not body.strip():
            success = _SUCCESS_NAMES[endpoint]
            if body.strip():  # a 204 with a body: the status, not the body, is what is wrong
                rule = "unexpected_status"
                message = (
                    f"a 204 carries no body; the API answers {endpoint} with 200 and {success}."
                )
            else:
                rule = "missing_body"
                message = (
                    f"a {status} {endpoint} response must carry {success}, but the body is empty."
                )
            return [_finding(endpoint, "response", "body", "", rule, message)]
        findings = _check_body(_SUCCESS[endpoint], body, endpoint, "response")
        if endpoint == "delete" and findings and b"conversation.deleted" in body:
            findings = _deletion_receipt(findings)
        return findings
    if 400 <= status < 600:
        return _gateway_page(status, body, _error_findings(endpoint, status, body))
    return []


def _error_findings(endpoint: Endpoint, status: int, body: bytes) -> list[Finding]:
    if not body.strip():
        return [
            _finding(
                endpoint,
                "response",
                "body",
                "",
                "missing_body",
                f'a {status} response must carry {{"error": {{...}}}}, but the body is empty.',
            )
        ]
    return _check_body(_ERROR, body, endpoint, "response")


_NOT_JSON_RULES: Final = frozenset({"content_type", "not_json", "invalid_utf8", "missing_body"})


def _infrastructure(status: int) -> bool:
    """A 5xx or a 429: statuses a gateway or load balancer in front of the API answers too."""
    return status == 429 or 500 <= status < 600


def _gateway_page(status: int, body: bytes, findings: list[Finding]) -> list[Finding]:
    """A 5xx or 429 whose body is not JSON (a gateway's HTML page the SDK retried) is not
    the API's contract: `drift` (reported, not failing). A JSON error body stays checked."""
    if not _infrastructure(status) or _is_json(body):
        return findings
    return [
        dataclasses.replace(
            f,
            severity="drift",
            message=f"{f.message} A {status} that is not JSON is probably a gateway's or "
            "proxy's page, not the API's answer: reported, not failing.",
        )
        if f.rule in _NOT_JSON_RULES
        else f
        for f in findings
    ]


def _is_json(body: bytes) -> bool:
    try:
        strict_json(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return False
    return True


def _arguments_check(caller: str, endpoint: str, body: object) -> None:
    # The two likely mistakes from Python: text for the body, a name that is no endpoint.
    if endpoint not in _SUCCESS:
        raise ValueError(
            f"{caller}: endpoint {endpoint!r} is not one of {', '.join(_SUCCESS)} "
            "(match_route tells a method and path's endpoint)"
        )
    if body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{caller}: body must be the raw bytes, not {type(body).__name__} "
            "(text.encode(), or json.dumps(data).encode())"
        )


def _deletion_receipt(findings: list[Finding]) -> list[Finding]:
    """The mistake the reference singles out: item delete answers the parent Conversation,
    and `{object: conversation.deleted}` is what deleting the conversation answers."""
    return [
        dataclasses.replace(
            f,
            message=f"{f.message[:-1]}: item delete returns the parent Conversation "
            "{id, object: conversation, created_at, metadata}; conversation.deleted is the "
            "answer to DELETE /v1/conversations/{id}.",
        )
        if f.pointer == "/object"
        else f
        for f in findings
    ]


# `/conversations//items` does not route (the route table needs non-empty ids), but it
# is still items traffic with a broken path: the SDK refuses it, a raw client may not.
_EMPTY_ID: Final = re.compile(r"/conversations/(?P<conv>[^/]*)/items(?:/(?P<item>[^/]*))?/?\Z")


def _path_findings(method: str, path: str) -> tuple[Endpoint, list[Finding]] | None:
    m = _EMPTY_ID.search(path)
    if m is None:
        return None
    item = m.group("item")
    # `GET .../items/` is the list with a trailing slash; DELETE has no list to mean.
    trailing_slash = item == "" and path.endswith("/items/") and method != "DELETE"
    has_item = item is not None and not trailing_slash
    endpoint: Endpoint
    if method == "POST" and not has_item:
        endpoint = "create"
    elif method == "GET":
        endpoint = "retrieve" if has_item else "list"
    elif method == "DELETE" and has_item:
        endpoint = "delete"
    else:
        return None
    findings = []
    if not m.group("conv"):
        findings.append(
            _finding(
                endpoint,
                "request",
                "path",
                "/conversation_id",
                "empty_id",
                "conversation_id is empty in the path; put the conversation's id "
                "(conv_...) between /conversations/ and /items.",
            )
        )
    if has_item and not item:
        findings.append(
            _finding(
                endpoint,
                "request",
                "path",
                "/item_id",
                "empty_id",
                "item_id is empty in the path; put the item's id after /items/.",
            )
        )
    return endpoint, findings


def _content_type(
    value: str | None, body: bytes, endpoint: Endpoint, direction: Direction
) -> list[Finding]:
    # The API refuses a request body without one (415), as the embedded server does; a
    # response without one is left alone (no API answer lacks it, and a proxy may strip it).
    if not body or is_json_content_type(value) or (value is None and direction == "response"):
        return []
    # a key pasted into the wrong header is not quoted back
    given = f"is {DEFAULT_REDACTOR.text(value)!r}" if value is not None else "is missing"
    return [
        _finding(
            endpoint,
            direction,
            "body",
            "",
            "content_type",
            f"Content-Type {given}, not application/json.",
        )
    ]


def validate_exchange(exchange: Exchange) -> list[Finding]:
    """Findings for a request and (when present) its response; other traffic -> []."""
    req = exchange.request
    method = req.method.upper()
    route = match_route(method, req.path)
    if route is None:
        broken = _path_findings(method, req.path)
        if broken is None or not broken[1]:
            return []
        endpoint, findings = broken
    else:
        endpoint, findings = route.endpoint, []
    findings += validate_request_of(endpoint, req)
    if exchange.response is not None:
        findings += validate_response_of(endpoint, exchange.response)
    if exchange.source is not None:
        findings = [dataclasses.replace(f, source=exchange.source) for f in findings]
    return findings


def validate_request_of(endpoint: Endpoint, request: Request) -> list[Finding]:
    """The request half of `validate_exchange`, for a caller that has matched the route."""
    findings = []
    if route_for(endpoint).has_body:
        findings += _content_type(request.header("content-type"), request.body, endpoint, "request")
    return findings + validate_request(
        endpoint, query_string=request.query_string, body=request.body
    )


def validate_response_of(endpoint: Endpoint, response: Response) -> list[Finding]:
    """The response half of `validate_exchange`, for a caller that has matched the route."""
    findings = _content_type(response.header("content-type"), response.body, endpoint, "response")
    findings = _gateway_page(response.status, response.body, findings)
    return findings + validate_response(endpoint, response.status, response.body)


_CODES: Final[dict[str, str]] = {
    "missing": "missing_required_parameter",
    "missing_body": "missing_required_parameter",
    "unknown_field": "unknown_parameter",
    "too_long": "array_above_max_length",
    "too_short": "array_below_min_length",
    "string_too_long": "string_above_max_length",
    "string_too_short": "string_below_min_length",
    "above_maximum": "integer_above_max_value",
    "below_minimum": "integer_below_min_value",
    "not_json": "invalid_json",
    "invalid_utf8": "invalid_json",
}


def _answered(findings: list[Finding]) -> Finding:
    """The finding the API's error answer is about: the first error, else the first."""
    errors = [f for f in findings if f.severity == "error"] or findings
    if not errors:
        raise ValueError("an error answer needs at least one finding")
    return errors[0]


def error_status(findings: list[Finding]) -> int:
    """The status OpenAI answers these findings with: 415 for a request body that is not
    JSON by its Content-Type, 400 for everything else."""
    return 415 if _answered(findings).rule == "content_type" else 400


def error_body(findings: list[Finding]) -> dict[str, Any]:
    """The 400 (or 415) body OpenAI would send for the first error finding."""
    first = _answered(findings)
    param = openai_param(first.pointer) if first.part != "path" else None
    if first.part == "query" and param is not None:
        param = param.split("[", 1)[0]
    rule = first.rule
    if rule == "content_type":
        code = "unsupported_media_type"  # with status 415: `error_status`
    else:
        code = "invalid_type" if rule.endswith("_type") else _CODES.get(rule, "invalid_value")
    return api_error(first.message, code=code, param=param or None)
