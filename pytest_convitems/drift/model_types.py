"""What the models say of a shape, for the verdicts a shape cannot give alone.

An item with no `type` has nothing for drift to file it under; the product's models
(openai-python 3.57.0's shapes) tell which variant its fields make. Imported lazily: only
those cases pay for pydantic's model tables.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel


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
def guess_variant(keys: frozenset[str], direction: str) -> str | None:
    """The item variant whose model fits an item with these keys and no usable `type`.

    A function_call that lost its `type` still holds call_id, name and arguments: it is
    filed as a function_call, so drift says `/type` went (as it does for a message),
    instead of a new variant. Fits: every required key present; best: most keys the model
    knows, fewest it does not, then the most required keys matched. A tie is no guess, nor
    is a fit on one key (an `id` alone says nothing of what the item was).
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
        return None
    return best[1] if best[0][0] > 1 else None
