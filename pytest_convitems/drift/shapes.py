"""Shapes, not values: what a set of exchanges says about the structure of the API.

One pass per JSON body, iterative. Every object found is filed under an *object kind*:
the context (endpoint, direction, status class), the item variant it sits in (the item's
`type`, or "" for the body itself), and its place inside the item with the `type` of every
typed object on the way (`/content/*<output_text>`), so fields of different union members
never mix. Per object kind we keep the distinct (keys, value types) combinations seen and
the values of enum-like fields; ids, timestamps and text never count.

Only the four items endpoints count (`routes.match_route`); conversation endpoints
(`POST /v1/conversations` ...) are set-up traffic here and are skipped. Error bodies are
filed under their own status class (`create response 4xx`), never mixed with 2xx shapes.
Every context also records what its bodies were and the status codes answered (the object
kind `BODY` of the body): a 2xx that became a 404, or JSON that became an HTML page, has no
fields left to compare, and is a change all the same.

`ShapeSet.aggregate()` folds that into a small, JSON-able `Shape` dict: the only thing the
comparison (DeepDiff) ever sees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from ..exchange import Exchange
from ..findings import escape_pointer_token
from ..routes import match_route

Shape = dict[str, dict[str, dict[str, dict[str, "FieldShape"]]]]
"""context -> variant ("" = the body) -> object kind ("" = item or body root) -> field -> FieldShape."""
FieldShape = dict[str, Any]
"""{"presence": "always"|"sometimes"|"element", "types": set[str], "nullable": bool, "values": set[str]}"""

ENUM_KEYS: Final[frozenset[str]] = frozenset(
    {
        "type",
        "role",
        "status",
        "object",
        "detail",
        "phase",
        "execution",
        "background",
        "quality",
        "output_format",
        "action",
        "button",
        "mode",
        "ttl",
        "effort",
        "outcome",
        "size",
        "moderation_stage",
        "moderation",
        "input_fidelity",
        "complexity",
        "search_context_size",
        "require_approval",
        "environment",
    }
)
"""Fields whose string values are a closed set worth tracking (others are free values):
every string `Literal` field of the SDK's response types, by name."""

OPAQUE_KEYS: Final[frozenset[str]] = frozenset(
    {
        "metadata",
        "env",
        "attributes",
        "parameters",
        "input_schema",
        "schema",
        "arguments",
        "annotations",
        "content",
    }
)
"""Keys whose *object* values are user-defined maps: typed as `object`, never descended.

Only objects are opaque: a list under `content` or `annotations` is descended as usual.
"""

ITEM_ARRAYS: Final[dict[tuple[str, str], str]] = {
    ("create", "request"): "items",
    ("create", "response"): "data",
    ("list", "response"): "data",
}
"""Where the items sit in a body, per (endpoint, direction)."""

_TYPE_NAMES: Final[dict[type, str]] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
}
_NONE = type(None)
_MARKER = re.compile(r"<[^>]*>")

BODY: Final = "#"
"""Object kind (under variant "") of what a context's bodies were: field `body` holds their
kinds in `types` (a JSON type, `text` when not JSON, `empty`), field `status` the codes
answered in `values`. Real kinds are "" or start with "/", so it never meets one."""

UNTYPED: Final = "(untyped)"
"""The variant of an item with no usable `type` that nothing else identifies."""


def plain_path(kind: str) -> str:
    """An object kind or field path without its `<type>` markers: `/content/*/annotations`."""
    return _MARKER.sub("", kind)


def item_variant(item: dict[str, Any], direction: str = "response") -> str:
    """The item's `type`; without one (or not a string), the variant its fields tell.

    A message by its role/content, any other by the models' fields (a function_call that
    lost `type` is still one, so drift names `/type` as the change); in a request, an `id`
    alone is an item reference (input-only: never in a response).
    """
    t = item.get("type")
    if isinstance(t, str):
        return t
    if "role" in item or "content" in item:
        return "message"
    from .model_types import guess_variant

    nulls = frozenset(k for k, v in item.items() if v is None)
    guess = guess_variant(frozenset(item), direction, nulls)
    if guess is not None:
        return guess
    if direction == "request" and "id" in item:
        return "item_reference"
    return UNTYPED


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class ShapeSet:
    """Shapes accumulated from any number of exchanges (add more at any time)."""

    def __init__(self) -> None:
        # object kind id -> (context, variant, kind path with markers)
        self._kinds: list[tuple[str, str, str]] = []
        self._roots: dict[tuple[str, str], int] = {}
        self._children: dict[tuple[int, str, str | None], int] = {}
        self._seen: set[tuple[int, tuple[str, ...], tuple[type, ...]]] = set()
        self._enums: set[tuple[int, str, str]] = set()
        self._elements: set[tuple[int, str, type]] = set()
        self._answers: set[tuple[str, str, int | None]] = set()
        self._plans: dict[
            tuple[tuple[str, ...], tuple[type, ...]],
            tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]],
        ] = {}
        self.exchanges = 0
        self.bodies = 0

    # -- extraction ---------------------------------------------------------------

    def add_exchanges(self, exchanges: Iterable[Exchange]) -> None:
        for exchange in exchanges:
            self.add_exchange(exchange)

    def add_exchange(self, exchange: Exchange) -> None:
        request = exchange.request
        match = match_route(request.method, request.path)
        if match is None:
            return
        self.exchanges += 1
        endpoint = match.endpoint
        if request.body:
            self._add_raw(endpoint, "request", None, request.body)
        response = exchange.response
        if response is not None:
            self._add_raw(endpoint, "response", response.status, response.body)

    def _add_raw(self, endpoint: str, direction: str, status: int | None, raw: bytes) -> None:
        if not raw:
            self.add_body(endpoint, direction, status, None, body_kind="empty")
            return
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # not JSON, or nested past Python's reach (free-form arguments; the walk below
            # is iterative, any depth json reads is fine): compared as a kind
            self.add_body(endpoint, direction, status, None, body_kind="text")
            return
        self.add_body(endpoint, direction, status, body)

    def add_body(
        self, endpoint: str, direction: str, status: int | None, body: Any, *, body_kind: str = ""
    ) -> None:
        """File one decoded body; `body_kind` names one that is not JSON (`text`, `empty`).

        Only objects have fields to compare; every body counts as its kind and status.
        """
        context = f"{endpoint} {direction}" + ("" if status is None else f" {status_class(status)}")
        if not body_kind:
            body_kind = "null" if body is None else _TYPE_NAMES.get(type(body), type(body).__name__)
        self._answers.add((context, body_kind, status))
        if not isinstance(body, dict):
            return
        self.bodies += 1
        ok = status is None or 200 <= status < 300
        if endpoint == "retrieve" and direction == "response" and ok:
            self._walk([(self._root(context, item_variant(body, direction)), body)])
            return
        root = self._root(context, "")
        error = body.get("error")
        if not ok and type(error) is dict:
            # error.type ("invalid_request_error", a rate limit's "tokens") is the error's
            # kind, an enum value of /error: not a sub-variant, as an item's type is.
            self._record(root, body)
            todo: list[tuple[int, dict[str, Any]]] = [(self._child((root, "error", None)), error)]
            _, child_keys = _plan(tuple(body), tuple(map(type, body.values())))
            for key, segment, items_segment in child_keys:
                value = body[key]
                if key == "error":
                    continue
                if type(value) is dict:
                    t = value.get("type")
                    todo.append(
                        (self._child((root, segment, t if type(t) is str else None)), value)
                    )
                else:
                    self._walk_list(root, items_segment, value, todo.append)
            self._walk(todo)
            return
        items_key = ITEM_ARRAYS.get((endpoint, direction)) if ok else None
        items = body.get(items_key) if items_key else None
        if not isinstance(items, list):
            self._walk([(root, body)])
            return
        self._record(root, body)
        roots = self._roots
        elements = self._elements
        segment = escape_pointer_token(items_key or "") + "/*"
        stack: list[tuple[int, dict[str, Any]]] = []
        for item in items:
            if type(item) is not dict:
                # null or "msg_abc" among the items: no client reads it as an item
                elements.add((root, segment, type(item)))
                continue
            t = item.get("type")
            variant = t if type(t) is str else item_variant(item, direction)
            kind = roots.get((context, variant))
            if kind is None:
                kind = self._root(context, variant)
            stack.append((kind, item))
        stack.reverse()  # popped in body order
        self._walk(stack)

    def _root(self, context: str, variant: str) -> int:
        key = (context, variant)
        kind = self._roots.get(key)
        if kind is None:
            kind = self._roots[key] = len(self._kinds)
            self._kinds.append((context, variant, ""))
        return kind

    def _child(self, key: tuple[int, str, str | None]) -> int:
        child = self._children.get(key)
        return self._new_child(key) if child is None else child

    def _new_child(self, key: tuple[int, str, str | None]) -> int:
        parent, segment, objtype = key
        context, variant, path = self._kinds[parent]
        path = f"{path}/{segment}" + (f"<{objtype}>" if objtype is not None else "")
        kind = self._children[key] = len(self._kinds)
        self._kinds.append((context, variant, path))
        return kind

    def _record(self, kind: int, obj: dict[str, Any]) -> None:
        """Record one object's keys and types without descending (the item arrays' parent)."""
        self._seen.add((kind, tuple(obj), tuple(map(type, obj.values()))))
        for key in ENUM_KEYS.intersection(obj):
            value = obj[key]
            if isinstance(value, str):
                self._enums.add((kind, key, value))

    def _walk(self, stack: list[tuple[int, dict[str, Any]]]) -> None:
        # Hot path: one set insertion per object, a cached plan per distinct (keys, types).
        seen = self._seen
        enums = self._enums
        plans = self._plans
        children = self._children
        new_child = self._new_child
        pop = stack.pop
        push = stack.append
        while stack:
            kind, obj = pop()
            keys = tuple(obj)
            types = tuple(map(type, obj.values()))
            seen.add((kind, keys, types))
            plan = plans.get((keys, types))
            if plan is None:
                plan = plans[(keys, types)] = _plan(keys, types)
            enum_keys, child_keys = plan
            for key in enum_keys:
                enums.add((kind, key, obj[key]))
            for key, segment, items_segment in child_keys:
                value = obj[key]
                if type(value) is dict:
                    t = value.get("type")
                    ck = (kind, segment, t if type(t) is str else None)
                    child = children.get(ck)
                    push((new_child(ck) if child is None else child, value))
                else:
                    self._walk_list(kind, items_segment, value, push)

    def _walk_list(self, kind: int, segment: str, values: list[Any], push: Any) -> None:
        children = self._children
        for value in values:
            t = type(value)
            if t is dict:
                typ = value.get("type")
                ck = (kind, segment, typ if type(typ) is str else None)
                child = children.get(ck)
                push((self._new_child(ck) if child is None else child, value))
            elif t is list:
                self._walk_list(kind, f"{segment}/*", value, push)
            else:
                self._elements.add((kind, segment, t))

    # -- aggregation --------------------------------------------------------------

    def aggregate(self) -> Shape:
        """The small dict DeepDiff compares: presence, types, nullability, enum values."""
        shape: Shape = {}
        keysets: dict[int, list[tuple[str, ...]]] = {}

        def field(kind: int, name: str) -> FieldShape:
            context, variant, path = self._kinds[kind]
            fields = shape.setdefault(context, {}).setdefault(variant, {}).setdefault(path, {})
            entry = fields.get(name)
            if entry is None:
                entry = fields[name] = _entry()
            return entry

        for kind, keys, types in self._seen:
            keysets.setdefault(kind, []).append(keys)
            context, variant, path = self._kinds[kind]
            shape.setdefault(context, {}).setdefault(variant, {}).setdefault(path, {})
            for key, t in zip(keys, types, strict=True):
                entry = field(kind, escape_pointer_token(key))
                if t is _NONE:
                    entry["nullable"] = True
                else:
                    entry["types"].add(_TYPE_NAMES.get(t, t.__name__))
        for kind, sets in keysets.items():
            if len(sets) < 2:
                continue
            common = set(sets[0]).intersection(*sets[1:])
            context, variant, path = self._kinds[kind]
            for name, entry in shape[context][variant][path].items():
                if "/" not in name and _unescape(name) not in common:
                    entry["presence"] = "sometimes"
        for kind, key, value in self._enums:
            field(kind, escape_pointer_token(key))["values"].add(value)
        for kind, segment, t in self._elements:
            entry = field(kind, segment)
            entry["presence"] = "element"
            if t is _NONE:
                entry["nullable"] = True
            else:
                entry["types"].add(_TYPE_NAMES.get(t, t.__name__))
        for context, body_kind, status in self._answers:
            record = shape.setdefault(context, {}).setdefault("", {}).setdefault(BODY, {})
            entry = record.setdefault("body", _entry())
            entry["types"].add(body_kind)
            if status is not None:
                entry = record.setdefault("status", _entry())
                entry["types"].add("integer")
                entry["values"].add(str(status))
        return shape


def _entry() -> FieldShape:
    return {"presence": "always", "types": set(), "nullable": False, "values": set()}


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _plan(
    keys: tuple[str, ...], types: tuple[type, ...]
) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    enum_keys = tuple(k for k, t in zip(keys, types, strict=True) if t is str and k in ENUM_KEYS)
    child_keys = tuple(
        (k, escape_pointer_token(k), escape_pointer_token(k) + "/*")
        for k, t in zip(keys, types, strict=True)
        if t is list or (t is dict and k not in OPAQUE_KEYS)
    )
    return enum_keys, child_keys


def merge_shapes(a: Shape, b: Shape) -> Shape:
    """Union of two shapes (e.g. from several pytest workers): `always` only if always in both."""
    out: Shape = shape_from_json(shape_to_json(a))
    for context, variants in b.items():
        for variant, kinds in variants.items():
            for kind, fields in kinds.items():
                target = out.setdefault(context, {}).setdefault(variant, {})
                existing = target.get(kind)
                if existing is None:
                    target[kind] = {
                        n: {**f, "types": set(f["types"]), "values": set(f["values"])}
                        for n, f in fields.items()
                    }
                    continue
                for name, f in fields.items():
                    mine = existing.get(name)
                    if mine is None:
                        existing[name] = {
                            **f,
                            "presence": "sometimes" if f["presence"] == "always" else f["presence"],
                            "types": set(f["types"]),
                            "values": set(f["values"]),
                        }
                        continue
                    if mine["presence"] == "always" and f["presence"] != "always":
                        mine["presence"] = f["presence"]
                    mine["types"] |= f["types"]
                    mine["values"] |= f["values"]
                    mine["nullable"] = mine["nullable"] or f["nullable"]
                for name, mine in existing.items():
                    if name not in fields and mine["presence"] == "always":
                        mine["presence"] = "sometimes"
    return out


def shape_to_json(shape: Shape) -> dict[str, Any]:
    """A JSON-serialisable copy (sets become sorted lists)."""
    return {
        c: {
            v: {
                k: {
                    n: {**f, "types": sorted(f["types"]), "values": sorted(f["values"])}
                    for n, f in fields.items()
                }
                for k, fields in kinds.items()
            }
            for v, kinds in variants.items()
        }
        for c, variants in shape.items()
    }


def shape_from_json(data: dict[str, Any]) -> Shape:
    return {
        c: {
            v: {
                k: {
                    n: {**f, "types": set(f["types"]), "values": set(f["values"])}
                    for n, f in fields.items()
                }
                for k, fields in kinds.items()
            }
            for v, kinds in variants.items()
        }
        for c, variants in data.items()
    }


def shape_of(exchanges: Iterable[Exchange]) -> Shape:
    shapes = ShapeSet()
    shapes.add_exchanges(exchanges)
    return shapes.aggregate()
