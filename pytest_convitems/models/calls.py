"""Sub-shapes of the tool-call items: caller, safety checks, web/file search, shell,
apply_patch, MCP, code interpreter and image generation details.

Same pattern as `content.py`: shared `_...Fields` mixin, `...Param` for requests, plain
name for responses.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ._base import MAX_10MB, RequestModel, ResponseModel, omitted

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


# --- local_shell_call / shell_call / shell_call_output -----------------------------------


class _LocalShellActionFields(BaseModel):
    type: Literal["exec"]
    command: list[str]
    env: dict[str, str]
    timeout_ms: int | None = None
    user: str | None = None
    working_directory: str | None = None


class LocalShellActionParam(_LocalShellActionFields, RequestModel):
    pass


class LocalShellAction(_LocalShellActionFields, ResponseModel):
    pass


class _ShellActionFields(BaseModel):
    commands: list[str]
    # OAS makes these two required-nullable on responses; the SDK (the reference's
    # authority) keeps them optional on both sides.
    timeout_ms: int | None = None
    max_output_length: int | None = None


class ShellActionParam(_ShellActionFields, RequestModel):
    pass


class ShellAction(_ShellActionFields, ResponseModel):
    pass


class LocalSkillParam(RequestModel):
    name: str
    description: str
    path: str


class LocalEnvironmentParam(RequestModel):
    type: Literal["local"]
    skills: list[LocalSkillParam] = omitted()


class LocalEnvironment(ResponseModel):
    """On responses the SDK's local environment carries no skills."""

    type: Literal["local"]


class _ContainerReferenceFields(BaseModel):
    type: Literal["container_reference"]
    container_id: str


class ContainerReferenceParam(_ContainerReferenceFields, RequestModel):
    pass


class ContainerReference(_ContainerReferenceFields, ResponseModel):
    pass


ShellEnvironmentParam = Annotated[
    LocalEnvironmentParam | ContainerReferenceParam, Field(discriminator="type")
]
ShellEnvironment = Annotated[LocalEnvironment | ContainerReference, Field(discriminator="type")]


class _OutcomeExitFields(BaseModel):
    type: Literal["exit"]
    exit_code: int


class OutcomeExitParam(_OutcomeExitFields, RequestModel):
    pass


class OutcomeExit(_OutcomeExitFields, ResponseModel):
    pass


class _OutcomeTimeoutFields(BaseModel):
    type: Literal["timeout"]


class OutcomeTimeoutParam(_OutcomeTimeoutFields, RequestModel):
    pass


class OutcomeTimeout(_OutcomeTimeoutFields, ResponseModel):
    pass


OutcomeParam = Annotated[OutcomeExitParam | OutcomeTimeoutParam, Field(discriminator="type")]
Outcome = Annotated[OutcomeExit | OutcomeTimeout, Field(discriminator="type")]


class _ShellOutputChunkFields(BaseModel):
    stdout: Annotated[str, Field(max_length=MAX_10MB)]
    stderr: Annotated[str, Field(max_length=MAX_10MB)]


class ShellOutputChunkParam(_ShellOutputChunkFields, RequestModel):
    outcome: OutcomeParam


class ShellOutputChunk(_ShellOutputChunkFields, ResponseModel):
    outcome: Outcome
    created_by: str = omitted()


# --- apply_patch_call operations ---------------------------------------------------------

PatchPath = Annotated[str, Field(min_length=1)]
PatchDiff = Annotated[str, Field(max_length=MAX_10MB)]


class _CreateFileFields(BaseModel):
    type: Literal["create_file"]
    path: PatchPath
    diff: PatchDiff


class CreateFileParam(_CreateFileFields, RequestModel):
    pass


class CreateFile(_CreateFileFields, ResponseModel):
    pass


class _UpdateFileFields(BaseModel):
    type: Literal["update_file"]
    path: PatchPath
    diff: PatchDiff


class UpdateFileParam(_UpdateFileFields, RequestModel):
    pass


class UpdateFile(_UpdateFileFields, ResponseModel):
    pass


class _DeleteFileFields(BaseModel):
    type: Literal["delete_file"]
    path: PatchPath


class DeleteFileParam(_DeleteFileFields, RequestModel):
    pass


class DeleteFile(_DeleteFileFields, ResponseModel):
    pass


PatchOperationParam = Annotated[
    CreateFileParam | UpdateFileParam | DeleteFileParam, Field(discriminator="type")
]
PatchOperation = Annotated[CreateFile | UpdateFile | DeleteFile, Field(discriminator="type")]


# --- MCP ---------------------------------------------------------------------------------


class _McpListedToolFields(BaseModel):
    name: str
    input_schema: dict[str, Any]
    """A JSON Schema object."""
    annotations: Any = None
    description: str | None = None


class McpListedToolParam(_McpListedToolFields, RequestModel):
    pass


class McpListedTool(_McpListedToolFields, ResponseModel):
    pass


class _McpProtocolErrorFields(BaseModel):
    type: Literal["mcp_protocol_error"]
    code: int
    message: str


class McpProtocolErrorParam(_McpProtocolErrorFields, RequestModel):
    pass


class McpProtocolError(_McpProtocolErrorFields, ResponseModel):
    pass


class _HttpErrorFields(BaseModel):
    type: Literal["http_error"]
    code: int
    message: str


class HttpErrorParam(_HttpErrorFields, RequestModel):
    pass


class HttpError(_HttpErrorFields, ResponseModel):
    pass


class _McpToolExecutionErrorFields(BaseModel):
    type: Literal["mcp_tool_execution_error"]
    content: Any


class McpToolExecutionErrorParam(_McpToolExecutionErrorFields, RequestModel):
    pass


class McpToolExecutionError(_McpToolExecutionErrorFields, ResponseModel):
    pass


McpErrorParam = Annotated[
    McpProtocolErrorParam | HttpErrorParam | McpToolExecutionErrorParam,
    Field(discriminator="type"),
]
McpError = Annotated[
    McpProtocolError | HttpError | McpToolExecutionError, Field(discriminator="type")
]


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
