"""Pydantic v2 models of the Conversations items API (openai-python 3.57.0 shapes).

Request side (`...Param`, `InputItem`, bodies): unknown keys forbidden, no coercion.
Response side (plain names, `ConversationItem`, envelopes): unknown keys kept.
Query models parse text (`limit="20"` -> 20).
"""

from .bodies import ConversationCreateBody, ConversationUpdateBody, ItemCreateBody
from .envelopes import (
    Conversation,
    ConversationDeleted,
    ConversationItemList,
    ErrorDetail,
    ErrorResponse,
)
from .input_items import (
    EasyInputMessageParam,
    FunctionCallOutputParam,
    FunctionCallParam,
    InputItem,
    InputMessageParam,
    ItemReferenceParam,
    OutputMessageParam,
    ReasoningParam,
    input_item_tag,
)
from .output_items import ConversationItem, FunctionCall, FunctionCallOutput, Message, Reasoning
from .params import ItemCreateQuery, ItemDeleteQuery, ItemListQuery, ItemRetrieveQuery

__all__ = [
    "Conversation",
    "ConversationCreateBody",
    "ConversationDeleted",
    "ConversationItem",
    "ConversationItemList",
    "ConversationUpdateBody",
    "EasyInputMessageParam",
    "ErrorDetail",
    "ErrorResponse",
    "FunctionCall",
    "FunctionCallOutput",
    "FunctionCallOutputParam",
    "FunctionCallParam",
    "InputItem",
    "InputMessageParam",
    "ItemCreateBody",
    "ItemCreateQuery",
    "ItemDeleteQuery",
    "ItemListQuery",
    "ItemReferenceParam",
    "ItemRetrieveQuery",
    "Message",
    "OutputMessageParam",
    "Reasoning",
    "ReasoningParam",
    "input_item_tag",
]
