"""The 29 output item variants (`ConversationItem`) and their union, discriminated on `type`.

Response side: unknown keys are kept (the validator reports them as drift), no coercion.
Fields shared with the input side live in the mixins of `item_fields.py`; this module
adds what only responses have (stricter required sets, wider enums, `created_by`).
There is one `message` shape and no `compaction_trigger` or `item_reference`.

Nullability follows the reference, which says "same as input" for most fields: an
optional field that input never allows to be null (say `reasoning.status`) is not
nullable here either, although the SDK's response models (which cannot express
"optional but not null") accept null for every optional field. Only the differences
the reference lists (e.g. `mcp_call.status`, `image_generation_call.result`) relax it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from ._base import TEXT_OR_LIST, MessageRole, Phase, ResponseModel, Status3, Text10M, omitted
from .actions import ComputerAction
from .calls import (
    Caller,
    CodeInterpreterOutput,
    ComputerScreenshot,
    FileSearchResult,
    ImageGenerationError,
    SafetyCheck,
    SvgUsage,
    WebSearchAction,
)
from .configuration import (
    ReasoningConfig,
    TextConfig,
)
from .content import InputContent, MessageContent, ReasoningText, SummaryText
from .item_fields import (
    Execution,
    McpCallStatus,
    _AdditionalToolsFields,
    _ApplyPatchCallFields,
    _ApplyPatchCallOutputFields,
    _CodeInterpreterCallFields,
    _CompactionFields,
    _ComputerCallFields,
    _ComputerCallOutputFields,
    _ConfigurationUpdateFields,
    _CustomToolCallFields,
    _CustomToolCallOutputFields,
    _FileSearchCallFields,
    _FunctionCallFields,
    _FunctionCallOutputFields,
    _ImageGenerationCallFields,
    _LocalShellCallFields,
    _LocalShellCallOutputFields,
    _McpApprovalRequestFields,
    _McpApprovalResponseFields,
    _McpCallFields,
    _McpListToolsFields,
    _ProgramFields,
    _ProgramOutputFields,
    _ReasoningFields,
    _ShellCallFields,
    _ShellCallOutputFields,
    _ToolSearchCallFields,
    _ToolSearchOutputFields,
    _WebSearchCallFields,
)
from .mcp import (
    McpError,
    McpListedTool,
)
from .shell import (
    LocalShellAction,
    PatchOperation,
    ShellAction,
    ShellEnvironment,
    ShellOutputChunk,
)
from .tools import Tool

InputContentOrText = Annotated[
    Annotated[str, Tag("text")] | Annotated[list[InputContent], Tag("list")], TEXT_OR_LIST
]
FunctionOutput = Annotated[
    Annotated[Text10M, Tag("text")] | Annotated[list[InputContent], Tag("list")], TEXT_OR_LIST
]


class Message(ResponseModel):
    id: str
    type: Literal["message"]
    role: MessageRole
    status: Status3
    content: list[MessageContent]
    phase: Phase | None = None


class FileSearchCall(_FileSearchCallFields, ResponseModel):
    results: list[FileSearchResult] | None = None


class ComputerCall(_ComputerCallFields, ResponseModel):
    pending_safety_checks: list[SafetyCheck]
    action: ComputerAction = omitted()
    actions: list[ComputerAction] = omitted()


class ComputerCallOutput(_ComputerCallOutputFields, ResponseModel):
    id: str
    status: Literal["completed", "incomplete", "failed", "in_progress"]
    output: ComputerScreenshot
    acknowledged_safety_checks: list[SafetyCheck] | None = None
    created_by: str = omitted()


class WebSearchCall(_WebSearchCallFields, ResponseModel):
    action: WebSearchAction


class FunctionCall(_FunctionCallFields, ResponseModel):
    id: str
    status: Status3
    caller: Caller | None = None
    created_by: str = omitted()


class FunctionCallOutput(_FunctionCallOutputFields, ResponseModel):
    id: str
    status: Status3
    output: FunctionOutput
    caller: Caller | None = None
    created_by: str = omitted()


class ToolSearchCall(_ToolSearchCallFields, ResponseModel):
    id: str
    execution: Execution
    status: Status3
    created_by: str = omitted()


class ToolSearchOutput(_ToolSearchOutputFields, ResponseModel):
    id: str
    execution: Execution
    status: Status3
    tools: list[Tool]
    created_by: str = omitted()


class AdditionalTools(_AdditionalToolsFields, ResponseModel):
    id: str
    role: MessageRole
    tools: list[Tool]


class ConfigurationUpdate(_ConfigurationUpdateFields, ResponseModel):
    id: str
    reasoning: ReasoningConfig | None = None
    text: TextConfig | None = None


class Reasoning(_ReasoningFields, ResponseModel):
    summary: list[SummaryText]
    content: list[ReasoningText] = omitted()


class Compaction(_CompactionFields, ResponseModel):
    id: str
    created_by: str = omitted()


class ImageGenerationCall(_ImageGenerationCallFields, ResponseModel):
    # Required-nullable in OAS; the SDK response model (the reference's authority)
    # makes it optional.
    result: str | None = None
    error: ImageGenerationError | None = None
    svg_usage: SvgUsage | None = None


class CodeInterpreterCall(_CodeInterpreterCallFields, ResponseModel):
    code: str | None = None
    outputs: list[CodeInterpreterOutput] | None = None


class LocalShellCall(_LocalShellCallFields, ResponseModel):
    action: LocalShellAction


class LocalShellCallOutput(_LocalShellCallOutputFields, ResponseModel):
    pass


class ShellCall(_ShellCallFields, ResponseModel):
    id: str
    status: Status3
    action: ShellAction
    caller: Caller | None = None
    environment: ShellEnvironment | None = None
    created_by: str = omitted()


class ShellCallOutput(_ShellCallOutputFields, ResponseModel):
    id: str
    status: Status3
    output: list[ShellOutputChunk]
    caller: Caller | None = None
    created_by: str = omitted()


class ApplyPatchCall(_ApplyPatchCallFields, ResponseModel):
    id: str
    operation: PatchOperation
    caller: Caller | None = None
    created_by: str = omitted()


class ApplyPatchCallOutput(_ApplyPatchCallOutputFields, ResponseModel):
    id: str
    caller: Caller | None = None
    created_by: str = omitted()


class McpListTools(_McpListToolsFields, ResponseModel):
    tools: list[McpListedTool]


class McpApprovalRequest(_McpApprovalRequestFields, ResponseModel):
    pass


class McpApprovalResponse(_McpApprovalResponseFields, ResponseModel):
    id: str


class McpCall(_McpCallFields, ResponseModel):
    status: McpCallStatus | None = None
    error: McpError | None = None


class CustomToolCallOutput(_CustomToolCallOutputFields, ResponseModel):
    output: InputContentOrText
    caller: Caller | None = None


class CustomToolCall(_CustomToolCallFields, ResponseModel):
    caller: Caller | None = None


class Program(_ProgramFields, ResponseModel):
    pass


class ProgramOutput(_ProgramOutputFields, ResponseModel):
    pass


OUTPUT_VARIANTS: dict[str, type[ResponseModel]] = {
    "message": Message,
    "file_search_call": FileSearchCall,
    "computer_call": ComputerCall,
    "computer_call_output": ComputerCallOutput,
    "web_search_call": WebSearchCall,
    "function_call": FunctionCall,
    "function_call_output": FunctionCallOutput,
    "tool_search_call": ToolSearchCall,
    "tool_search_output": ToolSearchOutput,
    "additional_tools": AdditionalTools,
    "configuration_update": ConfigurationUpdate,
    "reasoning": Reasoning,
    "compaction": Compaction,
    "image_generation_call": ImageGenerationCall,
    "code_interpreter_call": CodeInterpreterCall,
    "local_shell_call": LocalShellCall,
    "local_shell_call_output": LocalShellCallOutput,
    "shell_call": ShellCall,
    "shell_call_output": ShellCallOutput,
    "apply_patch_call": ApplyPatchCall,
    "apply_patch_call_output": ApplyPatchCallOutput,
    "mcp_list_tools": McpListTools,
    "mcp_approval_request": McpApprovalRequest,
    "mcp_approval_response": McpApprovalResponse,
    "mcp_call": McpCall,
    "custom_tool_call_output": CustomToolCallOutput,
    "custom_tool_call": CustomToolCall,
    "program": Program,
    "program_output": ProgramOutput,
}
"""`type` -> response model, for all 29 variants."""

ConversationItem = Annotated[
    Message
    | FileSearchCall
    | ComputerCall
    | ComputerCallOutput
    | WebSearchCall
    | FunctionCall
    | FunctionCallOutput
    | ToolSearchCall
    | ToolSearchOutput
    | AdditionalTools
    | ConfigurationUpdate
    | Reasoning
    | Compaction
    | ImageGenerationCall
    | CodeInterpreterCall
    | LocalShellCall
    | LocalShellCallOutput
    | ShellCall
    | ShellCallOutput
    | ApplyPatchCall
    | ApplyPatchCallOutput
    | McpListTools
    | McpApprovalRequest
    | McpApprovalResponse
    | McpCall
    | CustomToolCallOutput
    | CustomToolCall
    | Program
    | ProgramOutput,
    Field(discriminator="type"),
]
"""One item as the API returns it: 29 variants, one `type` each.

A validation error's location holds the `type` value after the item's position, e.g.
`("data", 3, "function_call", "status")`: drop it to get the JSON pointer.
"""
