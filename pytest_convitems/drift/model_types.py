"""What the models say a place in a shape may hold, for the few verdicts a shape cannot give.

Drift compares OLD with NEW; where OLD saw nothing to compare with (a field only ever null,
an array only ever empty, an item with no `type`), the product's models (openai-python
3.57.0's shapes) say what a client expects there. Imported lazily: only those cases pay for
pydantic's model tables.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from pydantic import BaseModel

from .shapes import ITEM_ARRAYS


def members(annotation: Any) -> list[Any]:
    """Flatten Annotated / Union / list[...] / Optional into the types they can hold."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple):
        return [m for a in typing.get_args(annotation) for m in members(a)]
    return [annotation]


def type_literal(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("type")
    if info is None:
        return None
    args = typing.get_args(info.annotation)
    for arg in args:
        if isinstance(arg, str):
            return arg
    for member in members(info.annotation):
        lits = typing.get_args(member)
        if lits and isinstance(lits[0], str):
            return lits[0]
    return None


@cache
def output_item_models() -> dict[str, type[BaseModel]]:
    """item `type` -> response model class, from the `ConversationItem` union."""
    from ..models import ConversationItem

    return _by_type(ConversationItem)


@cache
def input_item_models() -> dict[str, type[BaseModel]]:
    """item `type` -> request model class; the three message shapes are left out (an
    untyped message is told by its role and content before the models are asked)."""
    from ..models import InputItem

    return {t: m for t, m in _by_type(InputItem).items() if t != "message"}


def _by_type(union: Any) -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for member in members(union):
        if isinstance(member, type) and issubclass(member, BaseModel):
            t = type_literal(member)
            if t is not None and t not in out:
                out[t] = member
    return out


def _keys(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    """(every JSON key, the required ones), `type` left out of both."""
    every = {info.alias or name for name, info in model.model_fields.items()}
    required = {
        info.alias or name for name, info in model.model_fields.items() if info.is_required()
    }
    return frozenset(every - {"type"}), frozenset(required - {"type"})


@cache
def guess_variant(
    keys: frozenset[str], direction: str, nulls: frozenset[str] = frozenset()
) -> str | None:
    """The item variant whose model fits an item with these keys and no usable `type`.

    A function_call that lost its `type` still holds call_id, name and arguments: it is
    filed as a function_call, so drift says `/type` went (as it does for a message),
    instead of a new variant. Fits: every required key present; best: most keys the model
    knows, fewest it does not, then the most required keys matched. A tie is no guess, nor
    is a fit on one key (an `id` alone says nothing of what the item was), unless the
    keys holding null (`nulls`) are nullable in one of the tied models alone: a
    function_call_output with `call_id: null` has the keys of a computer_call_output and a
    shell_call_output too, whose call_id is never null.
    """
    models = output_item_models() if direction == "response" else input_item_models()
    keys = keys - {"type"}
    scored: list[tuple[tuple[int, int], str]] = []
    for variant, model in models.items():
        every, required = _keys(model)
        if required <= keys:
            scored.append(((len(keys & every) - len(keys - every), len(required)), variant))
    if not scored:
        return None
    scored.sort(reverse=True)
    best = scored[0]
    if len(scored) > 1 and scored[1][0] == best[0]:
        # A tie: only the models letting every null-valued key be null fit.
        scored = [s for s in scored if nulls and all(_nullable(models[s[1]], k) for k in nulls)]
        if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        best = scored[0]
    return best[1] if best[0][0] > 1 else None


def _nullable(model: type[BaseModel], key: str) -> bool:
    """The model declares `key` and lets it hold null."""
    info = next((i for n, i in model.model_fields.items() if (i.alias or n) == key), None)
    kinds = None if info is None else _kinds(info.annotation)
    return info is not None and (kinds is None or "null" in kinds)


@dataclass(frozen=True)
class Allowed:
    kinds: frozenset[str]
    """JSON kinds (`string`, `integer`, `number`, `boolean`, `array`, `object`, `null`)."""
    model: str
    """The model class that declares the place."""


_SEGMENT: Final = re.compile(r"/([^/<]*)(?:<([^>]*)>)?")


def allowed(context: str, variant: str, kind: str, name: str) -> Allowed | None:
    """What the models allow at field `name` of object kind `kind` (None: unknown or any).

    Response bodies only (what clients read); a request, an error body or a place the
    models do not describe gives None, and the caller keeps its shape-only verdict.
    """
    endpoint, direction, *rest = context.split(" ")
    if direction != "response" or rest != ["2xx"]:
        return None
    root: Any
    if variant:
        root = output_item_models().get(variant)
    else:
        from ..models import Conversation, ConversationItemList

        if (endpoint, direction) in ITEM_ARRAYS:
            root = ConversationItemList
        elif endpoint == "delete":
            root = Conversation
        else:
            return None
    if root is None:
        return None
    try:
        annotation, owner = _resolve(root, kind, name)
    except LookupError:
        return None
    kinds = _kinds(annotation)
    return None if kinds is None else Allowed(frozenset(kinds), owner)


def _resolve(root: type[BaseModel], kind: str, name: str) -> tuple[Any, str]:
    annotation: Any = root
    owner = root.__name__
    steps: list[tuple[str, str | None]] = [
        (m.group(1), m.group(2)) for m in _SEGMENT.finditer(kind)
    ]
    field, *stars = name.split("/")
    steps.append((field, None))
    steps += [("*", None) for _ in stars]
    for token, marker in steps:
        if token == "*":
            lists = [a for a in _flat(annotation) if typing.get_origin(a) in (list, tuple)]
            if len(lists) != 1:
                raise LookupError(token)
            annotation = typing.get_args(lists[0])[0]
        else:
            model = _model_in(annotation, None)
            key = token.replace("~1", "/").replace("~0", "~")
            info = next((i for n, i in model.model_fields.items() if (i.alias or n) == key), None)
            if info is None:
                raise LookupError(token)
            owner = model.__name__
            annotation = info.annotation
        if marker is not None:
            annotation = _model_in(annotation, marker)
    return annotation, owner


def _flat(annotation: Any) -> list[Any]:
    """Union members, Annotated unwrapped; lists kept whole."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flat(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _flat(a)]
    return [annotation]


def _model_in(annotation: Any, marker: str | None) -> type[BaseModel]:
    """The model at this place: the union member whose `type` is `marker`, or the only one."""
    models = [m for m in _flat(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    if marker is not None:
        models = [m for m in models if type_literal(m) == marker] or models
    if len(models) != 1:
        raise LookupError(marker)
    return models[0]


_SCALARS: Final[dict[Any, tuple[str, ...]]] = {
    str: ("string",),
    bool: ("boolean",),
    int: ("integer",),
    float: ("number", "integer"),
    type(None): ("null",),
}


def _kinds(annotation: Any) -> set[str] | None:
    """The JSON kinds an annotation accepts; None when it accepts anything."""
    out: set[str] = set()
    for member in _flat(annotation):
        origin = typing.get_origin(member)
        if member is Any or member is object:
            return None
        if origin is typing.Literal:
            for value in typing.get_args(member):
                out.update(_SCALARS.get(type(value), ()))
        elif origin in (list, tuple, set, frozenset):
            out.add("array")
        elif (
            origin is dict
            or member is dict
            or (isinstance(member, type) and issubclass(member, BaseModel))
        ):
            out.add("object")
        elif member in _SCALARS:
            out.update(_SCALARS[member])
        else:
            return None
    return out
