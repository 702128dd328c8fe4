"""The 29 output item variants (`ConversationItem`) and their union, discriminated on `type`.

Response side: unknown keys are kept (the validator reports them as drift), no coercion.
Fields shared with the input side live in the mixins of `item_fields.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ._base import MessageRole, Phase, ResponseModel, Status3, omitted
from .calls import Caller
from .content import InputContent, MessageContent, ReasoningText, SummaryText
from .item_fields import _FunctionCallFields, _FunctionCallOutputFields, _ReasoningFields


class Message(ResponseModel):
    id: str
    type: Literal["message"]
    role: MessageRole
    status: Status3
    content: list[MessageContent]
    phase: Phase | None = None


class FunctionCall(_FunctionCallFields, ResponseModel):
    id: str
    status: Status3
    caller: Caller | None = None
    created_by: str = omitted()


class FunctionCallOutput(_FunctionCallOutputFields, ResponseModel):
    id: str
    status: Status3
    output: str | list[InputContent]
    caller: Caller | None = None
    created_by: str = omitted()


class Reasoning(_ReasoningFields, ResponseModel):
    summary: list[SummaryText]
    content: list[ReasoningText] = omitted()


ConversationItem = Annotated[
    Message | FunctionCall | FunctionCallOutput | Reasoning,
    Field(discriminator="type"),
]
"""One item as the API returns it: 29 variants, one `type` each."""
