"""pydantic errors -> findings: one finding per problem, pointing at the field that was meant.

pydantic's `loc` mixes real keys/indices with union tags: a discriminated union adds the
tag (`('items', 0, 'message.input', 'role')`), a smart union adds the branch's type name
(`('content', 'str')`, `('content', 'list[...]', 0, 'text')`). A pointer must hold only
keys and indices, so each `loc` is walked against the JSON that was validated: an element
is a key/index only where the data has it, otherwise it was a tag. Smart unions report
every failed branch; only the branch the data was evidently meant for is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic_core import ErrorDetails

from .findings import Direction, Endpoint, Finding, Part, Severity, pointer
from .redact import DEFAULT_REDACTOR

Loc = tuple[str | int, ...]

# pydantic error type -> our rule id (anything absent keeps pydantic's own name).
RULES: Final[dict[str, str]] = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "literal_error": "invalid_value",
    "enum": "invalid_value",
    "union_tag_invalid": "unknown_type",
    "union_type": "invalid_type",
    "string_or_list_type": "invalid_type",
    "too_long": "too_long",
    "too_short": "too_short",
    "string_too_long": "string_too_long",
    "string_too_short": "string_too_short",
    "string_pattern_mismatch": "pattern",
    "less_than_equal": "above_maximum",
    "less_than": "above_maximum",
    "greater_than_equal": "below_minimum",
    "greater_than": "below_minimum",
    "model_type": "object_type",
    "model_attributes_type": "object_type",
    "dict_type": "object_type",
    "json_invalid": "not_json",
    "json_type": "not_json",
    "value_error": "invalid_value",
    "assertion_error": "invalid_value",
}

_TYPE_WORDS: Final[dict[str, str]] = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
}


class _Text(str):
    """A value shown as it was typed (query strings), not quoted."""


def describe(value: Any) -> str:
    """A short, human description of a JSON value, for 'not X' clauses."""
    if isinstance(value, _Text):
        if not value:
            return "empty"
        text = DEFAULT_REDACTOR.text(str(value))  # a key sent as a query value
        return text if text.strip() == text else repr(text)  # show the spaces
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # Redacted before it is cut: a key cut short no longer looks like one.
        text = DEFAULT_REDACTOR.text(value)
        text = text if len(text) <= 40 else text[:37] + "..."
        return repr(text)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def openai_param(ptr: str) -> str:
    """`/items/3/content/0/type` -> `items[3].content[0].type` (OpenAI's `param` style)."""
    if not ptr:
        return ""
    out = ""
    for raw in ptr[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if token.isdigit():
            out += f"[{token}]"
        else:
            out += f".{token}" if out else token
    return out


@dataclass
class _Resolved:
    tokens: list[str | int]
    # (loc prefix, tag, whether the data there could be of the tag's type)
    tags: list[tuple[Loc, str, bool]] = field(default_factory=list)


_NOT_FOUND = object()


def _child(data: Any, key: str | int) -> Any:
    if isinstance(data, dict) and isinstance(key, str):
        return data.get(key, _NOT_FOUND)
    if isinstance(data, list) and isinstance(key, int) and not isinstance(key, bool):
        return data[key] if 0 <= key < len(data) else _NOT_FOUND
    return _NOT_FOUND


def _tag_base(tag: str) -> str:
    """`constrained-str` -> `str`, `list[tagged-union[...]]` -> `list`."""
    base = tag.split("[", 1)[0]
    return base.removeprefix("constrained-")


def _tag_fits(tag: str, data: Any) -> bool:
    """Whether a smart-union branch named `tag` could be the one meant for `data`."""
    base = _tag_base(tag)
    if base == "str":
        return isinstance(data, str)
    if base == "int":
        return isinstance(data, int) and not isinstance(data, bool)
    if base == "float":
        return isinstance(data, (int, float)) and not isinstance(data, bool)
    if base == "bool":
        return isinstance(data, bool)
    if base == "none":
        return data is None
    if base in ("list", "tuple", "set", "frozenset"):
        return isinstance(data, list)
    if base == "literal":
        return not isinstance(data, (dict, list))
    if base in ("dict", "typed-dict", "model", "tagged-union", "model-fields") or (
        base[:1].isupper() and base.isidentifier()
    ):
        return isinstance(data, dict)
    return True  # a schema kind we cannot judge: keep its errors


_MAX_READINGS = 64


def resolve_loc(data: Any, loc: Loc, missing_last: bool) -> _Resolved | None:
    """Split `loc` into real pointer tokens and skipped union tags, guided by `data`.

    An element can be both a key in the data and a tag (`{"type": "text", "text": 5}`
    gives loc `(..., 'text', 'text')`), so every reading is tried (bounded) and the most
    plausible wins: no tag skipped at a scalar (only the last element can be), then the
    fewest tags.
    """
    readings: list[tuple[int, int, _Resolved]] = []

    def walk(
        node: Any, i: int, tokens: list[str | int], tags: list[Any], cost: int, late: int
    ) -> None:
        if len(readings) >= _MAX_READINGS:
            return
        if i == len(loc):
            readings.append((cost, late, _Resolved(list(tokens), list(tags))))
            return
        elem = loc[i]
        child = _child(node, elem)
        if child is not _NOT_FOUND:
            walk(child, i + 1, [*tokens, elem], tags, cost, late)
        elif i == len(loc) - 1 and missing_last and isinstance(node, dict):
            readings.append((cost, late, _Resolved([*tokens, elem], list(tags))))
        if isinstance(elem, str):
            tag = (loc[:i], elem, _tag_fits(elem, node))
            if isinstance(node, (dict, list)):
                walk(node, i + 1, tokens, [*tags, tag], cost, late)
            elif i == len(loc) - 1:
                # A union's branch name after a scalar, as the last element: a string too
                # long in a str-or-list union, `(..., 'output', 'text')`. Plausible, but a
                # reading that takes the same element as a key is more so.
                walk(node, i + 1, tokens, [*tags, tag], cost, late + 1)
            else:
                walk(node, i + 1, tokens, [*tags, tag], cost + 1, late)

    walk(data, 0, [], [], 0, 0)
    if not readings:
        return None
    return min(readings, key=lambda r: (r[0], len(r[2].tags), r[1]))[2]


@dataclass
class _Problem:
    error: ErrorDetails
    tokens: list[str | int]
    tags: list[tuple[Loc, str, bool]]


def _select_branches(problems: list[_Problem], data: Any) -> list[_Problem]:
    """Keep, at every smart union, only the errors of the branch the data was meant for."""
    points = sorted({prefix for p in problems for prefix, _tag, _fits in p.tags}, key=len)
    for prefix in points:
        # tag -> (does the data's JSON type fit the branch, the branch's errors)
        branches: dict[str, tuple[bool, list[_Problem]]] = {}
        for p in problems:
            for pre, tag, fits in p.tags:
                if pre == prefix:
                    branches.setdefault(tag, (fits, []))[1].append(p)
                    break
        if len(branches) < 2:
            continue
        ranked = sorted(branches.values(), key=lambda b: (not b[0], len(b[1])))
        best_fits, best_group = ranked[0]
        losers = {id(p) for _fits, group in ranked[1:] for p in group}
        if best_fits:
            problems = [p for p in problems if id(p) not in losers]
            continue
        # No branch fits the data's JSON type: one finding at the union itself.
        first = best_group[0]
        tokens = first.tokens[: _token_count(first, prefix)]
        merged = _Problem(
            error={
                "type": "union_type",
                "loc": prefix,
                "msg": "",
                "input": _lookup(data, tokens),
                "ctx": {"expected": list(dict.fromkeys(_branch_word(tag) for tag in branches))},
            },
            tokens=tokens,
            tags=[t for t in first.tags if len(t[0]) < len(prefix)],
        )
        gone = losers | {id(p) for p in best_group}
        problems = [p for p in problems if id(p) not in gone] + [merged]
    return problems


def _token_count(problem: _Problem, prefix: Loc) -> int:
    """How many pointer tokens `prefix` (a loc prefix) contributes."""
    skipped = sum(1 for pre, _t, _f in problem.tags if len(pre) < len(prefix))
    return len(prefix) - skipped


def _branch_word(tag: str) -> str:
    base = _tag_base(tag)
    return {
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "none": "null",
        "list": "a list",
        "tuple": "a list",
    }.get(base, "an object")


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _expected_values(ctx: dict[str, Any] | None) -> str:
    expected = str((ctx or {}).get("expected", ""))
    values = _QUOTED.findall(expected)
    return ", ".join(values) if values else expected


def _known_types(ctx: dict[str, Any] | None) -> str:
    tags = _QUOTED.findall(str((ctx or {}).get("expected_tags", "")))
    seen: dict[str, None] = {}
    for tag in tags:
        seen.setdefault(tag.split(".", 1)[0], None)
    return ", ".join(seen)


_OUTPUT_PARTS: Final = frozenset({"output_text", "refusal"})
"""Content parts of an output message (the API's replies), which a request may carry only
inside an assistant message with its `id` and `status`."""


def _output_part(given: Any) -> bool:
    return isinstance(given, str) and given in _OUTPUT_PARTS  # a tag may be any JSON


def message_for(
    error: ErrorDetails, name: str, given: Any, direction: Direction, part: Part = "body"
) -> str:
    """One sentence naming the field, what is allowed and what was given."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    field_name = name or "the body"
    if kind == "missing":
        return f"{field_name} is required but missing."
    if kind == "extra_forbidden":
        if direction == "response":
            return (
                f"{field_name} is not a field the models know; the API may have added it "
                "(update the models if it is here to stay)."
            )
        if field_name == "include" and part == "body":
            # The seed page showed it in the body; the API takes it in the query string.
            return (
                "include is a query parameter, not a body field: send it as "
                "?include[]=... (the SDK's include= argument does)."
            )
        return f"{field_name} is not a known parameter; remove it (the API rejects it)."
    if kind in ("literal_error", "enum"):
        return f"{field_name} must be one of {_expected_values(ctx)}, not {describe(given)}."
    if kind == "union_tag_invalid":
        return (
            f"{field_name} {describe(ctx.get('tag', given))} is not a known type; "
            f"expected one of {_known_types(ctx)}."
        )
    if kind == "union_tag_not_found":
        return f"{field_name} is required: it says which kind of object this is."
    if kind == "union_type":
        return f"{field_name} must be {' or '.join(ctx['expected'])}, not {describe(given)}."
    if kind in ("too_long", "too_short"):
        limit = ctx.get("max_length" if kind == "too_long" else "min_length")
        bound = "at most" if kind == "too_long" else "at least"
        count = len(given) if isinstance(given, (list, dict, str)) else ctx.get("actual_length")
        return f"{field_name} has {count} entries; {bound} {limit} are allowed."
    if kind in ("string_too_long", "string_too_short"):
        limit = ctx.get("max_length" if kind == "string_too_long" else "min_length")
        bound = "at most" if kind == "string_too_long" else "at least"
        length = len(given) if isinstance(given, str) else "?"
        return f"{field_name} is {length} characters long; {bound} {limit} are allowed."
    if kind == "string_pattern_mismatch":
        return f"{field_name} must match {ctx.get('pattern')}, not {describe(given)}."
    if kind in ("less_than_equal", "less_than", "greater_than_equal", "greater_than"):
        words, key = {
            "less_than_equal": ("at most", "le"),
            "less_than": ("less than", "lt"),
            "greater_than_equal": ("at least", "ge"),
            "greater_than": ("more than", "gt"),
        }[kind]
        return f"{field_name} must be {words} {ctx.get(key)}, not {describe(given)}."
    if kind in _TYPE_WORDS:
        return f"{field_name} must be {_TYPE_WORDS[kind]}, not {describe(given)}."
    if kind in ("json_invalid", "json_type"):
        return f"the body is not valid JSON ({ctx.get('error', error['msg'])})."
    detail = error["msg"].rstrip(".")
    if detail.startswith("Input should be "):
        # pydantic's own wording (also of the models' custom errors), made to name the field
        return f"{field_name} must be {detail.removeprefix('Input should be ')}, not {describe(given)}."
    return f"{field_name}: {detail} (got {describe(given)})."


UNPLACED = "(its exact place could not be worked out)"


def findings_from_errors(
    errors: Sequence[ErrorDetails],
    data: Any,
    *,
    endpoint: Endpoint,
    direction: Direction,
    part: Part,
    drift_rules: Iterable[str] = (),
    request_only_types: frozenset[str] = frozenset(),
    source: dict[str, Any] | None = None,
) -> list[Finding]:
    """pydantic errors on `data` -> findings; errors in `drift_rules` become `drift`.

    An unknown `type` in a response is drift (the API grew a variant), unless it is one
    of `request_only_types`: a known input-only type in a response is a broken reply.
    Validation must never raise on traffic, so should placing an error ever fail, each
    error is reported at its raw `loc` instead (the property tests look for that).
    """
    try:
        return _findings(
            errors,
            data,
            endpoint=endpoint,
            direction=direction,
            part=part,
            drift_rules=drift_rules,
            request_only_types=request_only_types,
            source=source,
        )
    except Exception:
        return [
            Finding(
                "error",
                endpoint,
                direction,
                part,
                pointer(*(t for t in e["loc"] if isinstance(t, (str, int)))),
                RULES.get(e["type"], e["type"]),
                f"{e['msg']} {UNPLACED}.",
                source,
            )
            for e in errors
        ]


def _findings(
    errors: Sequence[ErrorDetails],
    data: Any,
    *,
    endpoint: Endpoint,
    direction: Direction,
    part: Part,
    drift_rules: Iterable[str] = (),
    request_only_types: frozenset[str] = frozenset(),
    source: dict[str, Any] | None = None,
) -> list[Finding]:
    drift = set(drift_rules)
    problems: list[_Problem] = []
    for err in errors:
        loc = tuple(err["loc"])
        resolved = resolve_loc(data, loc, missing_last=err["type"] == "missing")
        if resolved is None:
            # The data does not contain this path (cannot happen with pydantic's own
            # errors on the same data); fall back to the elements as they are.
            resolved = _Resolved(list(loc))
        problems.append(_Problem(err, resolved.tokens, resolved.tags))
    problems = _select_branches(problems, data)

    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for p in problems:
        kind = p.error["type"]
        tokens = list(p.tokens)
        given = p.error.get("input")
        rule = ""
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            node = _lookup(data, tokens)
            if not isinstance(node, dict):
                kind = "model_type"
                given = node
            elif kind == "union_tag_not_found" and node.get("type", "") is None:
                # `"type": null` only fits an item_reference, which then lacks its id
                tokens.append("id")
                kind = rule = "missing"
            elif kind == "union_tag_not_found" or "type" in node:
                tokens.append("type")
                given = node.get("type")
                if kind == "union_tag_not_found":
                    rule = "missing"
                elif not isinstance(given, str):
                    # null, a number, an object: no type the API could have added (drift),
                    # a broken body
                    kind = "string_type"
        null_type = False
        if tokens and kind in ("missing", "extra_forbidden"):
            # `"type": null` reads as an item_reference (the one shape it fits), whose
            # complaints (no id, unknown fields) miss the point when the object is plainly
            # another kind: its type is what is wrong.
            parent = tokens[:-1]
            node = _lookup(data, parent) if parent else data
            if (
                isinstance(node, dict)
                and node.get("type", "") is None
                and not _ITEM_KEYS.isdisjoint(node)
            ):
                tokens, kind, rule, given, null_type = (
                    [*parent, "type"],
                    "string_type",
                    "",
                    None,
                    True,
                )
        rule = rule or RULES.get(kind, kind)
        severity: Severity = "drift" if rule in drift else "error"
        request_only = (
            rule == "unknown_type" and isinstance(given, str) and given in request_only_types
        )
        if rule == "unknown_type" and direction == "response" and not request_only:
            severity = "drift"
        # A key sent as a field name would be quoted back in the pointer and the sentence;
        # redacted before the pointer escapes it (`a/sk-...` becomes `a~1sk-...`, which no
        # longer looks like a key).
        ptr = pointer(*(DEFAULT_REDACTOR.text(t) if isinstance(t, str) else t for t in tokens))
        key = (ptr, rule)
        if key in seen:
            continue
        seen.add(key)
        error = dict(p.error)
        error["type"] = kind
        name = openai_param(ptr)
        if part == "query" and isinstance(given, str):
            given = _Text(given)  # query values are text by nature: show them unquoted
        message = message_for(error, name, given, direction, part)  # type: ignore[arg-type]
        if null_type:
            message = (
                f"{name} must be a string naming the item's kind, not null (null fits only an "
                "item_reference, which holds nothing but its id)."
            )
        elif request_only and direction == "response":
            message = f"{name} {describe(given)} is an input-only type; responses never carry it."
        elif rule == "unknown_type" and direction == "request" and _output_part(given):
            # Known, but only in a replayed output message: "not a known type" misleads.
            message = (
                f"{name} {describe(given)} is an output part: it belongs in an assistant "
                "message replayed with its `id` and `status`; in any other message use "
                "input_text (or a plain string)."
            )
        findings.append(Finding(severity, endpoint, direction, part, ptr, rule, message, source))
    return findings


_ITEM_KEYS: Final = frozenset(
    {"role", "content", "call_id", "name", "arguments", "output", "queries", "results"}
    | {"action", "actions", "summary", "server_label", "input", "code", "outputs", "result"}
    | {"encrypted_content", "tools", "approval_request_id", "approve", "operation", "commands"}
)
"""Keys of other item kinds: an object holding one is no item_reference with a stray key."""


def _lookup(data: Any, tokens: Sequence[str | int]) -> Any:
    node = data
    for tok in tokens:
        node = _child(node, tok)
        if node is _NOT_FOUND:
            return None
    return node
