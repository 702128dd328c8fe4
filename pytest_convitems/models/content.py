"""Content parts: what goes inside messages, function outputs and reasoning items.

Each shape is written once as a `_...Fields` mixin of the fields both sides share; the
request flavour (`...Param`, unknown keys forbidden) and the response flavour (plain
name, unknown keys kept) add only what differs, which is mostly the nested models.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import (
    MAX_10MB,
    MAX_20MB,
    MAX_70MB,
    FileDetail,
    ImageDetail,
    RequestModel,
    ResponseModel,
    omitted,
)

# --- prompt cache breakpoint ------------------------------------------------------------


class _PromptCacheBreakpointFields(BaseModel):
    mode: Literal["explicit"]
    ttl: Literal["30m", "12h"] = omitted()


class PromptCacheBreakpointParam(_PromptCacheBreakpointFields, RequestModel):
    pass


class PromptCacheBreakpoint(_PromptCacheBreakpointFields, ResponseModel):
    pass


# --- input content (message content, custom_tool_call_output.output) -------------------


class _InputTextFields(BaseModel):
    type: Literal["input_text"]
    text: str


class InputTextParam(_InputTextFields, RequestModel):
    prompt_cache_breakpoint: PromptCacheBreakpointParam = omitted()


class InputText(_InputTextFields, ResponseModel):
    prompt_cache_breakpoint: PromptCacheBreakpoint = omitted()


class _InputImageFields(BaseModel):
    type: Literal["input_image"]
    detail: ImageDetail
    image_url: str | None = None
    file_id: str | None = None


class InputImageParam(_InputImageFields, RequestModel):
    prompt_cache_breakpoint: PromptCacheBreakpointParam = omitted()


class InputImage(_InputImageFields, ResponseModel):
    prompt_cache_breakpoint: PromptCacheBreakpoint = omitted()


class _InputFileFields(BaseModel):
    type: Literal["input_file"]
    detail: FileDetail = omitted()
    file_id: str | None = None
    file_data: str = omitted()
    file_url: str = omitted()
    filename: str = omitted()


class InputFileParam(_InputFileFields, RequestModel):
    prompt_cache_breakpoint: PromptCacheBreakpointParam = omitted()


class InputFile(_InputFileFields, ResponseModel):
    prompt_cache_breakpoint: PromptCacheBreakpoint = omitted()


InputContentParam = Annotated[
    InputTextParam | InputImageParam | InputFileParam, Field(discriminator="type")
]
InputContent = Annotated[InputText | InputImage | InputFile, Field(discriminator="type")]


# --- function output content (function_call_output.output only) -------------------------
# Same three types, but nearly everything is optional and nullable, with OAS size limits.


class _InputTextContentFields(BaseModel):
    type: Literal["input_text"]
    text: Annotated[str, Field(max_length=MAX_10MB)]


class InputTextContentParam(_InputTextContentFields, RequestModel):
    prompt_cache_breakpoint: PromptCacheBreakpointParam | None = None


class InputTextContent(_InputTextContentFields, ResponseModel):
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class _InputImageContentFields(BaseModel):
    type: Literal["input_image"]
    detail: ImageDetail | None = None
    file_id: str | None = None
    image_url: Annotated[str, Field(max_length=MAX_20MB)] | None = None


class InputImageContentParam(_InputImageContentFields, RequestModel):
    prompt_cache_breakpoint: PromptCacheBreakpointParam | None = None


class InputImageContent(_InputImageContentFields, ResponseModel):
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


class _InputFileContentFields(BaseModel):
    type: Literal["input_file"]
    detail: FileDetail = omitted()
    file_data: Annotated[str, Field(max_length=MAX_70MB)] | None = None
    file_id: str | None = None
    file_url: str | None = None
    filename: str | None = None


class InputFileContentParam(_InputFileContentFields, RequestModel):
    prompt_cache_breakpoint: PromptCacheBreakpointParam | None = None


class InputFileContent(_InputFileContentFields, ResponseModel):
    prompt_cache_breakpoint: PromptCacheBreakpoint | None = None


FunctionOutputContentParam = Annotated[
    InputTextContentParam | InputImageContentParam | InputFileContentParam,
    Field(discriminator="type"),
]
FunctionOutputContent = Annotated[
    InputTextContent | InputImageContent | InputFileContent, Field(discriminator="type")
]


# --- annotations and logprobs ------------------------------------------------------------


class _FileCitationFields(BaseModel):
    type: Literal["file_citation"]
    file_id: str
    filename: str
    index: int


class FileCitationParam(_FileCitationFields, RequestModel):
    pass


class FileCitation(_FileCitationFields, ResponseModel):
    pass


class _UrlCitationFields(BaseModel):
    type: Literal["url_citation"]
    url: str
    title: str
    start_index: int
    end_index: int


class UrlCitationParam(_UrlCitationFields, RequestModel):
    pass


class UrlCitation(_UrlCitationFields, ResponseModel):
    pass


class _ContainerFileCitationFields(BaseModel):
    type: Literal["container_file_citation"]
    container_id: str
    file_id: str
    filename: str
    start_index: int
    end_index: int


class ContainerFileCitationParam(_ContainerFileCitationFields, RequestModel):
    pass


class ContainerFileCitation(_ContainerFileCitationFields, ResponseModel):
    pass


class _FilePathFields(BaseModel):
    type: Literal["file_path"]
    file_id: str
    index: int


class FilePathParam(_FilePathFields, RequestModel):
    pass


class FilePath(_FilePathFields, ResponseModel):
    pass


AnnotationParam = Annotated[
    FileCitationParam | UrlCitationParam | ContainerFileCitationParam | FilePathParam,
    Field(discriminator="type"),
]
Annotation = Annotated[
    FileCitation | UrlCitation | ContainerFileCitation | FilePath, Field(discriminator="type")
]


class _TopLogprobFields(BaseModel):
    token: str
    bytes: list[int]
    logprob: float


class TopLogprobParam(_TopLogprobFields, RequestModel):
    pass


class TopLogprob(_TopLogprobFields, ResponseModel):
    pass


class LogprobParam(_TopLogprobFields, RequestModel):
    top_logprobs: list[TopLogprobParam]


class Logprob(_TopLogprobFields, ResponseModel):
    top_logprobs: list[TopLogprob]


# --- output parts (an assistant message's content) ---------------------------------------


class _OutputTextFields(BaseModel):
    type: Literal["output_text"]
    text: str


class OutputTextParam(_OutputTextFields, RequestModel):
    annotations: list[AnnotationParam]
    logprobs: list[LogprobParam] = omitted()


class OutputText(_OutputTextFields, ResponseModel):
    annotations: list[Annotation]
    logprobs: list[Logprob] = omitted()


class _RefusalFields(BaseModel):
    type: Literal["refusal"]
    refusal: str


class RefusalParam(_RefusalFields, RequestModel):
    pass


class Refusal(_RefusalFields, ResponseModel):
    pass


OutputPartParam = Annotated[OutputTextParam | RefusalParam, Field(discriminator="type")]


# --- text-only parts (reasoning items, and the output message's extra part types) --------


class _SummaryTextFields(BaseModel):
    type: Literal["summary_text"]
    text: str


class SummaryTextParam(_SummaryTextFields, RequestModel):
    pass


class SummaryText(_SummaryTextFields, ResponseModel):
    pass


class _ReasoningTextFields(BaseModel):
    type: Literal["reasoning_text"]
    text: str


class ReasoningTextParam(_ReasoningTextFields, RequestModel):
    pass


class ReasoningText(_ReasoningTextFields, ResponseModel):
    pass


class TextContent(ResponseModel):
    type: Literal["text"]
    text: str


class ComputerScreenshotContent(ResponseModel):
    type: Literal["computer_screenshot"]
    detail: ImageDetail
    image_url: str | None
    file_id: str | None
    prompt_cache_breakpoint: PromptCacheBreakpoint = omitted()


MessageContent = Annotated[
    InputText
    | OutputText
    | TextContent
    | SummaryText
    | ReasoningText
    | Refusal
    | InputImage
    | ComputerScreenshotContent
    | InputFile,
    Field(discriminator="type"),
]
"""The 9 part types an output `message` may hold."""
