"""Traffic vs models: fields and item variants seen in responses that our models lack, and
values they reject.

Unknown fields come from validation's `drift` findings (rule `unknown_field`); unknown item
variants from the `type`s the `ConversationItem` union does not list. Each gap names the
model class that needs the field (the deepest model the path resolves to). Both are
warnings: the models accept them (validation calls them drift). A value the models reject
(validation's `invalid_value` error: a message `status` of "cancelled") is breaking here:
the shapes alone call a new enum value a warning, but replaying NEW with
`--convitems-replay`, or any client on strict models, fails on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from ..exchange import Exchange, json_or_none
from ..redact import DEFAULT_REDACTOR
from ..routes import match_route
from .changes import Change, Severity, fingerprint
from .model_types import members, output_item_models, type_literal
from .shapes import ITEM_ARRAYS, UNTYPED, item_variant


def _models_in(annotation: Any, data: Any) -> type[BaseModel] | None:
    candidates = [
        m for m in members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)
    ]
    if len(candidates) > 1 and isinstance(data, dict):
        typed = [m for m in candidates if type_literal(m) == data.get("type")]
        candidates = typed or candidates
    return candidates[0] if candidates else None


def _owner(model: type[BaseModel], item: Any, tokens: list[str]) -> type[BaseModel]:
    """The model that declares (or should declare) the last token of `tokens` in `item`."""
    current: type[BaseModel] = model
    data = item
    for token in tokens[:-1]:
        if isinstance(data, list):
            data = data[int(token)] if token.isdigit() and int(token) < len(data) else None
            continue
        if not isinstance(data, dict):
            break
        info = current.model_fields.get(token)
        data = data.get(token)
        if info is None:
            break
        nested = _models_in(info.annotation, data[0] if isinstance(data, list) and data else data)
        if nested is None:
            break
        current = nested
    return current


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]


def _at(body: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(body, list) and token.isdigit() and int(token) < len(body):
            body = body[int(token)]
        elif isinstance(body, dict) and token in body:
            body = body[token]
        else:
            return None
    return body


def _star(tokens: list[str]) -> str:
    return "".join(
        "/" + ("*" if t.isdigit() else t.replace("~", "~0").replace("/", "~1")) for t in tokens
    )


def model_gaps(exchanges: Iterable[Exchange], old: Iterable[Exchange] = ()) -> list[Change]:
    """One change per (endpoint, variant, path) the models lack (warning) or per value they
    reject (breaking; a warning when `old`, OLD's exchanges, held the same value there too:
    not a change between the recordings, though still one the models reject)."""
    changes = _gaps(exchanges)
    if not any(c.change == "model_value_rejected" for c in changes):
        return changes
    before = {c.fingerprint for c in _gaps(old) if c.change == "model_value_rejected"}
    return [
        dataclasses.replace(
            c,
            severity="warning",
            message=f"{c.message}; OLD held it too: no change between the recordings",
        )
        if c.change == "model_value_rejected" and c.fingerprint in before
        else c
        for c in changes
    ]


def _gaps(exchanges: Iterable[Exchange]) -> list[Change]:
    from ..validation import validate_response

    known = output_item_models()
    seen: dict[str, Change] = {}

    def add(
        endpoint: str,
        variant: str | None,
        path: str,
        change: str,
        model: str,
        new: str,
        *,
        severity: Severity = "warning",
        message: str = "",
    ) -> None:
        fp = fingerprint(endpoint, "response", variant, path, change, model, new)
        if fp in seen:
            return
        what = "item variant" if change == "model_variant_missing" else "field"
        seen[fp] = Change(
            severity=severity,
            change=change,
            endpoint=endpoint,
            direction="response",
            variant=variant,
            path=path,
            old=model,
            new=DEFAULT_REDACTOR.text(new),
            message=DEFAULT_REDACTOR.text(
                message
                or f"{endpoint} response 2xx: {what} "
                f"{new if change == 'model_variant_missing' else path}"
                f" seen in traffic is unknown to the models; add it to {model}"
            ),
            fingerprint=fp,
            status="2xx",  # only successful answers are read for gaps
        )

    for exchange in exchanges:
        response = exchange.response
        match = match_route(exchange.request.method, exchange.request.path)
        if match is None or response is None or not 200 <= response.status < 300:
            continue
        body = json_or_none(response.body)
        if not isinstance(body, dict):
            continue
        endpoint = match.endpoint
        key = ITEM_ARRAYS.get((endpoint, "response"))
        items = body.get(key) if key else ([body] if endpoint == "retrieve" else None)
        for item in items if isinstance(items, list) else []:
            v = item_variant(item) if isinstance(item, dict) else UNTYPED
            # An item with no type is no variant to add to the models: validation names it.
            if v not in known and v != UNTYPED:
                add(endpoint, v, "", "model_variant_missing", "ConversationItem", v)
        for finding in validate_response(endpoint, response.status, response.body):
            rejected = finding.severity == "error" and finding.rule == "invalid_value"
            if not rejected and (finding.severity != "drift" or finding.rule != "unknown_field"):
                continue
            tokens = _tokens(finding.pointer)
            if key and tokens[:1] == [key] and len(tokens) > 2 and isinstance(items, list):
                index = int(tokens[1]) if tokens[1].isdigit() else -1
                item = items[index] if 0 <= index < len(items) else None
                rel = tokens[2:]
            elif endpoint == "retrieve":
                item, rel = body, tokens
            else:
                item, rel = None, tokens
            if rejected:
                value = _at(body, tokens)
                if not isinstance(value, str):
                    continue  # a value the models reject is an enum's; other errors, validate's
                variant: str | None = None
                if isinstance(item, dict):
                    variant = item_variant(item)
                    model = known.get(variant)
                    owner = _owner(model, item, rel).__name__ if model else "ConversationItem"
                    where = f"{_star(rel)} of `{variant}` items"
                else:  # the envelope's own field (`object`)
                    owner = "Conversation" if endpoint == "delete" else "ConversationItemList"
                    where = f"{_star(rel)} of the body"
                add(
                    endpoint,
                    variant,
                    _star(rel),
                    "model_value_rejected",
                    owner,
                    value,
                    severity="breaking",
                    message=(
                        f"{endpoint} response 2xx: {value!r} at {where} is a value {owner} "
                        f"rejects ({finding.message.rstrip('.')}): replaying it with "
                        "--convitems-replay, or reading it with strict models, fails"
                    ),
                )
            elif isinstance(item, dict):
                variant = item_variant(item)
                model = known.get(variant)
                owner = _owner(model, item, rel).__name__ if model else "ConversationItem"
                add(endpoint, variant, _star(rel), "model_field_missing", owner, _star(rel))
            else:
                envelope = "Conversation" if endpoint == "delete" else "ConversationItemList"
                add(endpoint, None, _star(rel), "model_field_missing", envelope, _star(rel))
    return sorted(seen.values(), key=Change.sort_key)
