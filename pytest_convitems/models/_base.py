"""Base classes and shared vocabulary of the items API models.

Three kinds of model, one config each:
- request side (what a client sends): unknown keys are errors, no coercion;
- response side (what the API returns): unknown keys are kept (the validator reports
  each as drift), no coercion;
- query strings: text arrives, so `"20"` may become 20; unknown keys are errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field

REQUEST_CONFIG: Final = ConfigDict(extra="forbid", strict=True)
RESPONSE_CONFIG: Final = ConfigDict(extra="allow", strict=True)
QUERY_CONFIG: Final = ConfigDict(extra="forbid", strict=False)


class RequestModel(BaseModel):
    model_config = REQUEST_CONFIG


class ResponseModel(BaseModel):
    model_config = RESPONSE_CONFIG


def omitted(*, alias: str | None = None) -> Any:
    """Default of an optional-but-never-null field: the key may be left out, `null` is invalid.

    The field is typed without `None`, and pydantic does not validate defaults: leaving the
    key out yields `None` (read it as "absent"), while an explicit JSON `null` fails the
    field's non-nullable type under strict validation. No Python validator is involved, so
    this costs nothing on the hot path. Typed `Any` so mypy accepts it on any annotation.
    """
    return Field(default=None, alias=alias)


# Sizes from the OpenAPI description (the SDK cannot express them).
MAX_10MB: Final = 10_485_760
MAX_20MB: Final = 20_971_520
MAX_70MB: Final = 73_400_320

CallId = Annotated[str, Field(min_length=1, max_length=64)]
"""`call_id` where the reference bounds it (1..64); unbounded elsewhere."""
Text10M = Annotated[str, Field(max_length=MAX_10MB)]

Status3 = Literal["in_progress", "completed", "incomplete"]
ImageDetail = Literal["low", "high", "auto", "original"]
FileDetail = Literal["auto", "low", "high"]
Phase = Literal["commentary", "final_answer"]
MessageRole = Literal[
    "unknown", "user", "assistant", "system", "critic", "discriminator", "developer", "tool"
]
InputRole = Literal["user", "system", "developer"]
EasyRole = Literal["user", "assistant", "system", "developer"]
ResponseIncludable = Literal[
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
]


def _text_or_list_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else None


TEXT_OR_LIST: Final = Discriminator(
    _text_or_list_tag,
    custom_error_type="string_or_list_type",
    custom_error_message="Input should be a string or a list of content parts",
)
"""Discriminator for `str | list[...]` fields, written as
`Annotated[Annotated[str, Tag("text")] | Annotated[list[X], Tag("list")], TEXT_OR_LIST]`:
a bad value gets one error from the branch its JSON type picks (located at
`.../text` or `.../list/...`), not one per branch."""
