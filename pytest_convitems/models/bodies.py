"""Request bodies: the items create body and the conversation-level bodies the embedded
server accepts."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from ._base import RequestModel
from .input_items import InputItem

MAX_ITEMS = 20

MetadataKey = Annotated[str, StringConstraints(max_length=64)]
MetadataValue = Annotated[str, StringConstraints(max_length=512)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=16)]
"""Up to 16 string pairs; keys <= 64 characters, values <= 512."""


class ItemCreateBody(RequestModel):
    """`POST .../items`: up to 20 input items. `include` travels in the query string.

    No minimum: the OpenAPI document sets none and the SDK checks none (the reference,
    §1), so an empty batch is not ours to fail."""

    items: Annotated[list[InputItem], Field(max_length=MAX_ITEMS)]


class ConversationCreateBody(RequestModel):
    items: Annotated[list[InputItem], Field(max_length=MAX_ITEMS)] | None = None
    metadata: Metadata | None = None


class ConversationUpdateBody(RequestModel):
    metadata: Metadata
