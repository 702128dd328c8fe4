"""Response envelopes: the item list, the parent conversation, the error body, and the
conversation-level receipt the embedded server also answers."""

from __future__ import annotations

from typing import Any, Literal

from ._base import ResponseModel
from .output_items import ConversationItem


class ConversationItemList(ResponseModel):
    """What create and list return. All five fields are required, none nullable."""

    object: Literal["list"]
    data: list[ConversationItem]
    first_id: str
    last_id: str
    has_more: bool


class Conversation(ResponseModel):
    """What item delete returns: the parent conversation, not a deletion receipt."""

    id: str
    object: Literal["conversation"]
    created_at: int
    metadata: Any
    """Typed `object` by the SDK and untyped by OAS; in practice a str->str map."""


class ConversationDeleted(ResponseModel):
    """`DELETE /v1/conversations/{id}` (the conversation, not an item)."""

    id: str
    object: Literal["conversation.deleted"]
    deleted: bool


class ErrorDetail(ResponseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(ResponseModel):
    """Every 4xx/5xx body: `{"error": {message, type, param, code}}`, all four keys present."""

    error: ErrorDetail
