"""Sub-shapes of `configuration_update`: reasoning effort and text format.

Same pattern as `content.py`: shared `_...Fields` mixin, `...Param` for requests, plain
name for responses.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ._base import RequestModel, ResponseModel, omitted

# --- configuration_update ----------------------------------------------------------------

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]


class _ReasoningConfigFields(BaseModel):
    effort: ReasoningEffort | None = None


class ReasoningConfigParam(_ReasoningConfigFields, RequestModel):
    pass


class ReasoningConfig(_ReasoningConfigFields, ResponseModel):
    pass


class _TextFormatTextFields(BaseModel):
    type: Literal["text"]


class TextFormatTextParam(_TextFormatTextFields, RequestModel):
    pass


class TextFormatText(_TextFormatTextFields, ResponseModel):
    pass


class _TextFormatJsonSchemaFields(BaseModel):
    type: Literal["json_schema"]
    name: str
    # `schema` would shadow a BaseModel attribute; the wire key stays `schema`.
    schema_: dict[str, Any] = Field(alias="schema")
    description: str = omitted()
    strict: bool | None = None


class TextFormatJsonSchemaParam(_TextFormatJsonSchemaFields, RequestModel):
    pass


class TextFormatJsonSchema(_TextFormatJsonSchemaFields, ResponseModel):
    pass


class TextConfigParam(RequestModel):
    format: Annotated[TextFormatTextParam | TextFormatJsonSchemaParam, Field(discriminator="type")]


class TextConfig(ResponseModel):
    format: Annotated[TextFormatText | TextFormatJsonSchema, Field(discriminator="type")]
