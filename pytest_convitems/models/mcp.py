"""Sub-shapes of the MCP items: listed tools (`mcp_list_tools`) and call errors (`mcp_call`).

Same pattern as `content.py`: shared `_...Fields` mixin, `...Param` for requests, plain
name for responses.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ._base import RequestModel, ResponseModel

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
