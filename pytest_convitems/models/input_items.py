"""The 33 input item variants (`ResponseInputItemParam`) and the `InputItem` union.

Request side: unknown keys are errors, no coercion. Fields shared with the output side
live in the `_...Fields` mixins of `item_fields.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from ._base import EasyRole, InputRole, Phase, RequestModel, Status3, omitted
from .calls import CallerParam
from .content import (
    FunctionOutputContentParam,
    InputContentParam,
    OutputPartParam,
    ReasoningTextParam,
    SummaryTextParam,
)
from .item_fields import (
    _FunctionCallFields,
    _FunctionCallOutputFields,
    _ReasoningFields,
)

# --- the three message shapes ------------------------------------------------------------


class EasyInputMessageParam(RequestModel):
    """The only message form with string content, or role assistant without id/status."""

    role: EasyRole
    content: str | list[InputContentParam]
    type: Literal["message"] = omitted()
    phase: Phase | None = None


class InputMessageParam(RequestModel):
    role: InputRole
    content: list[InputContentParam]
    type: Literal["message"] = omitted()
    status: Status3 = omitted()


class OutputMessageParam(RequestModel):
    """An assistant message being replayed as input."""

    id: str
    role: Literal["assistant"]
    status: Status3
    type: Literal["message"]
    content: list[OutputPartParam]
    phase: Phase | None = None


# --- calls and outputs -------------------------------------------------------------------


class FunctionCallParam(_FunctionCallFields, RequestModel):
    id: str = omitted()
    status: Status3 = omitted()
    caller: CallerParam | None = None


class FunctionCallOutputParam(_FunctionCallOutputFields, RequestModel):
    output: str | list[FunctionOutputContentParam]
    status: Status3 | None = None
    caller: CallerParam | None = None


class ReasoningParam(_ReasoningFields, RequestModel):
    summary: list[SummaryTextParam]
    content: list[ReasoningTextParam] = omitted()


class ItemReferenceParam(RequestModel):
    """Input-only: points at an existing item; `type` may be absent or null."""

    id: str
    type: Literal["item_reference"] | None = None


# --- the union ---------------------------------------------------------------------------

_ASSISTANT = "assistant"
_INPUT_ROLES = frozenset({"user", "system", "developer"})


def _message_shape(item: dict[str, Any]) -> str:
    """Which of the three `message` shapes an item's keys make most likely (reference §5.1)."""
    role = item.get("role")
    has_id = "id" in item
    has_status = "status" in item
    if role == _ASSISTANT and (has_id or has_status):
        # An assistant message with id or status is a replayed output message; if the
        # other key is missing, the error should say so rather than reject the role.
        return "message.output"
    if has_status or (isinstance(item.get("content"), list) and role in _INPUT_ROLES):
        return "message.input"
    return "message.easy"


def input_item_tag(item: Any) -> str | None:
    """The tag of the variant an input item means; None when nothing says (no `type`,
    no `role`/`content`, no `id`), which pydantic reports as `union_tag_not_found`."""
    if not isinstance(item, dict):
        # An already-built model (validating instances, not JSON) keeps its variant.
        return _TAG_OF_CLASS.get(type(item))
    if "type" not in item:
        if "role" in item or "content" in item:
            return _message_shape(item)
        return "item_reference" if "id" in item else None
    kind = item["type"]
    if kind is None:
        return "item_reference"
    if kind == "message":
        return _message_shape(item)
    # An unknown value falls through to pydantic as one `union_tag_invalid` error.
    return kind if isinstance(kind, str) else repr(kind)


InputItem = Annotated[
    Annotated[EasyInputMessageParam, Tag("message.easy")]
    | Annotated[InputMessageParam, Tag("message.input")]
    | Annotated[OutputMessageParam, Tag("message.output")]
    | Annotated[FunctionCallParam, Tag("function_call")]
    | Annotated[FunctionCallOutputParam, Tag("function_call_output")]
    | Annotated[ReasoningParam, Tag("reasoning")]
    | Annotated[ItemReferenceParam, Tag("item_reference")],
    Discriminator(input_item_tag),
]
"""One item of a create body: 33 variants, chosen by `type` or, for messages, by shape."""

_TAG_OF_CLASS: dict[type, str] = {
    EasyInputMessageParam: "message.easy",
    InputMessageParam: "message.input",
    OutputMessageParam: "message.output",
    FunctionCallParam: "function_call",
    FunctionCallOutputParam: "function_call_output",
    ReasoningParam: "reasoning",
    ItemReferenceParam: "item_reference",
}
