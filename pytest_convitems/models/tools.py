"""The 16-way `Tool` union (`additional_tools.tools`, `tool_search_output.tools`).

Every tool's top-level fields are modelled; configuration objects below that level
(search filters, ranking options, user location, container and network policy, custom
tool grammar, MCP approval filters) are checked as JSON objects only: they belong to the
Responses API's tool configuration, not to the items API this package validates.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ._base import RequestModel, ResponseModel, omitted

AllowedCallers = list[Literal["direct", "programmatic"]]
JsonObject = dict[str, Any]


class _CallableToolFields(BaseModel):
    """What function and custom tools share (also inside a namespace tool)."""

    name: str
    allowed_callers: AllowedCallers | None = None
    defer_loading: bool = omitted()
    async_: bool = omitted(alias="async")


class FunctionToolParam(_CallableToolFields, RequestModel):
    type: Literal["function"]
    # Required-nullable on the request side: the key must be present.
    parameters: JsonObject | None
    strict: bool | None
    description: str | None = None
    output_schema: JsonObject | None = None


class FunctionTool(_CallableToolFields, ResponseModel):
    type: Literal["function"]
    parameters: JsonObject | None = None
    strict: bool | None = None
    description: str | None = None
    output_schema: JsonObject | None = None


class _CustomToolFields(_CallableToolFields):
    type: Literal["custom"]
    description: str = omitted()
    format: JsonObject = omitted()


class CustomToolParam(_CustomToolFields, RequestModel):
    pass


class CustomTool(_CustomToolFields, ResponseModel):
    pass


class _NamespaceFunctionFields(_CallableToolFields):
    type: Literal["function"]
    description: str | None = None
    output_schema: JsonObject | None = None
    parameters: Any = None
    strict: bool | None = None


class NamespaceFunctionParam(_NamespaceFunctionFields, RequestModel):
    pass


class NamespaceFunction(_NamespaceFunctionFields, ResponseModel):
    pass


class _NamespaceToolFields(BaseModel):
    type: Literal["namespace"]
    name: str
    description: str


class NamespaceToolParam(_NamespaceToolFields, RequestModel):
    tools: list[Annotated[NamespaceFunctionParam | CustomToolParam, Field(discriminator="type")]]


class NamespaceTool(_NamespaceToolFields, ResponseModel):
    tools: list[Annotated[NamespaceFunction | CustomTool, Field(discriminator="type")]]


class _FileSearchToolFields(BaseModel):
    type: Literal["file_search"]
    vector_store_ids: list[str]
    filters: JsonObject | None = None
    max_num_results: int = omitted()
    ranking_options: JsonObject = omitted()


class FileSearchToolParam(_FileSearchToolFields, RequestModel):
    pass


class FileSearchTool(_FileSearchToolFields, ResponseModel):
    pass


class _ComputerToolFields(BaseModel):
    type: Literal["computer"]


class ComputerToolParam(_ComputerToolFields, RequestModel):
    pass


class ComputerTool(_ComputerToolFields, ResponseModel):
    pass


class _ComputerUsePreviewToolFields(BaseModel):
    type: Literal["computer_use_preview"]
    display_height: int
    display_width: int
    environment: Literal["windows", "mac", "linux", "ubuntu", "browser"]


class ComputerUsePreviewToolParam(_ComputerUsePreviewToolFields, RequestModel):
    pass


class ComputerUsePreviewTool(_ComputerUsePreviewToolFields, ResponseModel):
    pass


SearchContextSize = Literal["low", "medium", "high"]


class _WebSearchToolFields(BaseModel):
    type: Literal["web_search", "web_search_2025_08_26"]
    external_web_access: bool = omitted()
    filters: JsonObject | None = None
    search_context_size: SearchContextSize = omitted()
    user_location: JsonObject | None = None


class WebSearchToolParam(_WebSearchToolFields, RequestModel):
    pass


class WebSearchTool(_WebSearchToolFields, ResponseModel):
    pass


class _WebSearchPreviewToolFields(BaseModel):
    type: Literal["web_search_preview", "web_search_preview_2025_03_11"]
    search_content_types: list[Literal["text", "image"]] = omitted()
    search_context_size: SearchContextSize = omitted()
    user_location: JsonObject | None = None


class WebSearchPreviewToolParam(_WebSearchPreviewToolFields, RequestModel):
    pass


class WebSearchPreviewTool(_WebSearchPreviewToolFields, ResponseModel):
    pass


class _McpToolFields(BaseModel):
    type: Literal["mcp"]
    server_label: str
    allowed_callers: AllowedCallers | None = None
    allowed_tools: list[str] | JsonObject | None = None
    authorization: str = omitted()
    connector_id: str = omitted()
    defer_loading: bool = omitted()
    headers: dict[str, str] | None = None
    require_approval: Literal["always", "never"] | JsonObject | None = None
    server_description: str = omitted()
    server_url: str = omitted()
    tunnel_id: str = omitted()


class McpToolParam(_McpToolFields, RequestModel):
    pass


class McpTool(_McpToolFields, ResponseModel):
    pass


class _CodeInterpreterToolFields(BaseModel):
    type: Literal["code_interpreter"]
    container: str | JsonObject
    allowed_callers: AllowedCallers | None = None


class CodeInterpreterToolParam(_CodeInterpreterToolFields, RequestModel):
    pass


class CodeInterpreterTool(_CodeInterpreterToolFields, ResponseModel):
    pass


class _ProgrammaticToolCallingToolFields(BaseModel):
    type: Literal["programmatic_tool_calling"]


class ProgrammaticToolCallingToolParam(_ProgrammaticToolCallingToolFields, RequestModel):
    pass


class ProgrammaticToolCallingTool(_ProgrammaticToolCallingToolFields, ResponseModel):
    pass


class _ImageGenerationToolFields(BaseModel):
    type: Literal["image_generation"]
    action: Literal["generate", "edit", "auto"] = omitted()
    background: Literal["transparent", "opaque", "auto"] = omitted()
    complexity: Literal["low", "medium", "high"] = omitted()
    frame_count: int = omitted()
    frame_duration_ms: int = omitted()
    input_fidelity: Literal["high", "low"] | None = None
    input_image_mask: JsonObject = omitted()
    model: str = omitted()
    moderation: Literal["auto", "low"] = omitted()
    output_compression: int = omitted()
    output_format: Literal["png", "webp", "jpeg", "gif", "svg"] = omitted()
    partial_images: int = omitted()
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] = omitted()
    size: str = omitted()
    svg: JsonObject = omitted()


class ImageGenerationToolParam(_ImageGenerationToolFields, RequestModel):
    pass


class ImageGenerationTool(_ImageGenerationToolFields, ResponseModel):
    pass


class _LocalShellToolFields(BaseModel):
    type: Literal["local_shell"]


class LocalShellToolParam(_LocalShellToolFields, RequestModel):
    pass


class LocalShellTool(_LocalShellToolFields, ResponseModel):
    pass


class _ShellToolFields(BaseModel):
    type: Literal["shell"]
    allowed_callers: AllowedCallers | None = None
    environment: JsonObject | None = None


class ShellToolParam(_ShellToolFields, RequestModel):
    pass


class ShellTool(_ShellToolFields, ResponseModel):
    pass


class _ToolSearchToolFields(BaseModel):
    type: Literal["tool_search"]
    description: str | None = None
    execution: Literal["server", "client"] = omitted()
    parameters: Any = None


class ToolSearchToolParam(_ToolSearchToolFields, RequestModel):
    pass


class ToolSearchTool(_ToolSearchToolFields, ResponseModel):
    pass


class _ApplyPatchToolFields(BaseModel):
    type: Literal["apply_patch"]
    allowed_callers: AllowedCallers | None = None


class ApplyPatchToolParam(_ApplyPatchToolFields, RequestModel):
    pass


class ApplyPatchTool(_ApplyPatchToolFields, ResponseModel):
    pass


ToolParam = Annotated[
    FunctionToolParam
    | FileSearchToolParam
    | ComputerToolParam
    | ComputerUsePreviewToolParam
    | WebSearchToolParam
    | McpToolParam
    | CodeInterpreterToolParam
    | ProgrammaticToolCallingToolParam
    | ImageGenerationToolParam
    | LocalShellToolParam
    | ShellToolParam
    | CustomToolParam
    | NamespaceToolParam
    | ToolSearchToolParam
    | WebSearchPreviewToolParam
    | ApplyPatchToolParam,
    Field(discriminator="type"),
]
Tool = Annotated[
    FunctionTool
    | FileSearchTool
    | ComputerTool
    | ComputerUsePreviewTool
    | WebSearchTool
    | McpTool
    | CodeInterpreterTool
    | ProgrammaticToolCallingTool
    | ImageGenerationTool
    | LocalShellTool
    | ShellTool
    | CustomTool
    | NamespaceTool
    | ToolSearchTool
    | WebSearchPreviewTool
    | ApplyPatchTool,
    Field(discriminator="type"),
]
