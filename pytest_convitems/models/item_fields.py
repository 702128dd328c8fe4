"""Fields an item `type` has on both sides (create body and API response).

Each mixin holds only what is identical on the two sides; `input_items.py` and
`output_items.py` add the per-side differences (required sets, enums, nested models
with their side's config) listed in reference §4 and §5.5.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ._base import MAX_10MB, MAX_20MB, CallId, Status3, Text10M, omitted

Namespace = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
Execution = Literal["server", "client"]


class _FileSearchCallFields(BaseModel):
    type: Literal["file_search_call"]
    id: str
    queries: list[str]
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"]


class _ComputerCallFields(BaseModel):
    type: Literal["computer_call"]
    id: str
    call_id: str
    status: Status3


class _ComputerCallOutputFields(BaseModel):
    type: Literal["computer_call_output"]
    call_id: CallId


class _WebSearchCallFields(BaseModel):
    type: Literal["web_search_call"]
    id: str
    status: Literal["in_progress", "searching", "completed", "failed", "incomplete"]


class _FunctionCallFields(BaseModel):
    type: Literal["function_call"]
    arguments: str
    """A JSON-encoded string, never an object."""
    call_id: str
    name: str
    namespace: str = omitted()
    async_: bool = omitted(alias="async")


class _FunctionCallOutputFields(BaseModel):
    type: Literal["function_call_output"]
    call_id: CallId | None = None
    name: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    namespace: Namespace | None = None


class _ToolSearchFields(BaseModel):
    call_id: CallId | None = None


class _ToolSearchCallFields(_ToolSearchFields):
    type: Literal["tool_search_call"]
    arguments: dict[str, Any]
    """An object, unlike the JSON-string `arguments` of function and MCP calls."""


class _ToolSearchOutputFields(_ToolSearchFields):
    type: Literal["tool_search_output"]


class _AdditionalToolsFields(BaseModel):
    type: Literal["additional_tools"]


class _ConfigurationUpdateFields(BaseModel):
    type: Literal["configuration_update"]


class _ReasoningFields(BaseModel):
    type: Literal["reasoning"]
    id: str
    encrypted_content: str | None = None
    status: Status3 = omitted()


class _CompactionFields(BaseModel):
    type: Literal["compaction"]
    encrypted_content: Annotated[str, Field(max_length=MAX_20MB)]


class _ImageGenerationCallFields(BaseModel):
    type: Literal["image_generation_call"]
    id: str
    status: Literal["in_progress", "completed", "generating", "failed"]
    action: Literal["generate", "edit", "auto"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_format: Literal["png", "webp", "jpeg", "gif", "svg"] | None = None
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] | None = None
    revised_prompt: str | None = None
    size: str | None = None


class _CodeInterpreterCallFields(BaseModel):
    type: Literal["code_interpreter_call"]
    id: str
    container_id: str
    status: Literal["in_progress", "completed", "incomplete", "interpreting", "failed"]


class _LocalShellCallFields(BaseModel):
    type: Literal["local_shell_call"]
    id: str
    call_id: str
    status: Status3


class _LocalShellCallOutputFields(BaseModel):
    type: Literal["local_shell_call_output"]
    id: str
    """The id of the call this answers; this item has no `call_id`."""
    output: str
    """A JSON-encoded string."""
    status: Status3 | None = None


class _ShellCallFields(BaseModel):
    type: Literal["shell_call"]
    call_id: CallId


class _ShellCallOutputFields(BaseModel):
    type: Literal["shell_call_output"]
    call_id: CallId
    max_output_length: int | None = None


class _ApplyPatchCallFields(BaseModel):
    type: Literal["apply_patch_call"]
    call_id: CallId
    status: Literal["in_progress", "completed"]


class _ApplyPatchCallOutputFields(BaseModel):
    type: Literal["apply_patch_call_output"]
    call_id: CallId
    status: Literal["completed", "failed"]
    output: Text10M | None = None


class _McpListToolsFields(BaseModel):
    type: Literal["mcp_list_tools"]
    id: str
    server_label: str
    error: str | None = None


class _McpApprovalRequestFields(BaseModel):
    type: Literal["mcp_approval_request"]
    id: str
    arguments: str
    """A JSON-encoded string."""
    name: str
    server_label: str


class _McpApprovalResponseFields(BaseModel):
    type: Literal["mcp_approval_response"]
    approval_request_id: str
    approve: bool
    reason: str | None = None


McpCallStatus = Literal["in_progress", "completed", "incomplete", "calling", "failed"]


class _McpCallFields(BaseModel):
    type: Literal["mcp_call"]
    id: str
    arguments: str
    """A JSON-encoded string."""
    name: str
    server_label: str
    approval_request_id: str | None = None
    output: str | None = None


class _CustomToolCallOutputFields(BaseModel):
    type: Literal["custom_tool_call_output"]
    call_id: str
    id: str = omitted()


class _CustomToolCallFields(BaseModel):
    type: Literal["custom_tool_call"]
    call_id: str
    input: str
    name: str
    id: str = omitted()
    namespace: str = omitted()
    async_: bool = omitted(alias="async")


class _ProgramFields(BaseModel):
    type: Literal["program"]
    id: str
    call_id: CallId
    code: Annotated[str, Field(max_length=MAX_10MB)]
    fingerprint: Annotated[str, Field(max_length=MAX_10MB)]


class _ProgramOutputFields(BaseModel):
    type: Literal["program_output"]
    id: str
    call_id: CallId
    result: Annotated[str, Field(max_length=MAX_10MB)]
    status: Literal["completed", "incomplete"]
