"""Sub-shapes of the tool-call items: caller, safety checks, web and file search, code
interpreter and image generation details (shell, MCP and configuration: own modules).

Same pattern as `content.py`: shared `_...Fields` mixin, `...Param` for requests, plain
name for responses.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import RequestModel, ResponseModel, omitted

# --- caller: who invoked a tool ----------------------------------------------------------


class _CallerDirectFields(BaseModel):
    type: Literal["direct"]


class CallerDirectParam(_CallerDirectFields, RequestModel):
    pass


class CallerDirect(_CallerDirectFields, ResponseModel):
    pass


class _CallerProgramFields(BaseModel):
    type: Literal["program"]
    caller_id: Annotated[str, Field(min_length=1, max_length=64)]


class CallerProgramParam(_CallerProgramFields, RequestModel):
    pass


class CallerProgram(_CallerProgramFields, ResponseModel):
    pass


CallerParam = Annotated[CallerDirectParam | CallerProgramParam, Field(discriminator="type")]
Caller = Annotated[CallerDirect | CallerProgram, Field(discriminator="type")]


# --- computer_call / computer_call_output ------------------------------------------------


class _SafetyCheckFields(BaseModel):
    id: str
    code: str | None = None
    message: str | None = None


class SafetyCheckParam(_SafetyCheckFields, RequestModel):
    pass


class SafetyCheck(_SafetyCheckFields, ResponseModel):
    pass


class _ComputerScreenshotFields(BaseModel):
    type: Literal["computer_screenshot"]
    image_url: str = omitted()
    file_id: str = omitted()


class ComputerScreenshotParam(_ComputerScreenshotFields, RequestModel):
    """`computer_call_output.output`."""


class ComputerScreenshot(_ComputerScreenshotFields, ResponseModel):
    pass


# --- web_search_call actions -------------------------------------------------------------


class _UrlSourceFields(BaseModel):
    type: Literal["url"]
    url: str


class UrlSourceParam(_UrlSourceFields, RequestModel):
    pass


class UrlSource(_UrlSourceFields, ResponseModel):
    pass


class _SearchActionFields(BaseModel):
    type: Literal["search"]
    query: str = omitted()
    queries: list[str] = omitted()


class SearchActionParam(_SearchActionFields, RequestModel):
    sources: list[UrlSourceParam] = omitted()


class SearchAction(_SearchActionFields, ResponseModel):
    sources: list[UrlSource] = omitted()


class _OpenPageActionFields(BaseModel):
    type: Literal["open_page"]
    url: str | None = None


class OpenPageActionParam(_OpenPageActionFields, RequestModel):
    pass


class OpenPageAction(_OpenPageActionFields, ResponseModel):
    pass


class _FindInPageActionFields(BaseModel):
    type: Literal["find_in_page"]
    url: str
    pattern: str


class FindInPageActionParam(_FindInPageActionFields, RequestModel):
    pass


class FindInPageAction(_FindInPageActionFields, ResponseModel):
    pass


WebSearchActionParam = Annotated[
    SearchActionParam | OpenPageActionParam | FindInPageActionParam, Field(discriminator="type")
]
WebSearchAction = Annotated[
    SearchAction | OpenPageAction | FindInPageAction, Field(discriminator="type")
]


# --- file_search_call results ------------------------------------------------------------


class _FileSearchResultFields(BaseModel):
    attributes: dict[str, str | float | bool] | None = None
    file_id: str = omitted()
    filename: str = omitted()
    score: float = omitted()
    text: str = omitted()


class FileSearchResultParam(_FileSearchResultFields, RequestModel):
    pass


class FileSearchResult(_FileSearchResultFields, ResponseModel):
    pass


# --- code_interpreter_call outputs -------------------------------------------------------


class _CodeInterpreterLogsFields(BaseModel):
    type: Literal["logs"]
    logs: str


class CodeInterpreterLogsParam(_CodeInterpreterLogsFields, RequestModel):
    pass


class CodeInterpreterLogs(_CodeInterpreterLogsFields, ResponseModel):
    pass


class _CodeInterpreterImageFields(BaseModel):
    type: Literal["image"]
    url: str


class CodeInterpreterImageParam(_CodeInterpreterImageFields, RequestModel):
    pass


class CodeInterpreterImage(_CodeInterpreterImageFields, ResponseModel):
    pass


CodeInterpreterOutputParam = Annotated[
    CodeInterpreterLogsParam | CodeInterpreterImageParam, Field(discriminator="type")
]
CodeInterpreterOutput = Annotated[
    CodeInterpreterLogs | CodeInterpreterImage, Field(discriminator="type")
]


# --- image_generation_call details -------------------------------------------------------


class _ModerationDetailsFields(BaseModel):
    categories: list[str]
    moderation_stage: Literal["input", "output", "unknown"]


class ModerationDetailsParam(_ModerationDetailsFields, RequestModel):
    pass


class ModerationDetails(_ModerationDetailsFields, ResponseModel):
    pass


class ImageGenerationErrorParam(RequestModel):
    message: str
    type: str
    code: str | None
    """Required-nullable on the request side."""
    param: str | None
    moderation_details: ModerationDetailsParam = omitted()


class ImageGenerationError(ResponseModel):
    message: str
    type: str
    code: str | None = None
    param: str | None = None
    moderation_details: ModerationDetails | None = None


class _SvgUsageFields(BaseModel):
    input_tokens: int
    model: str
    output_tokens: int
    reasoning_tokens: int
    total_tokens: int


class SvgUsageParam(_SvgUsageFields, RequestModel):
    pass


class SvgUsage(_SvgUsageFields, ResponseModel):
    pass
