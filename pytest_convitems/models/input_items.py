"""The 33 input item variants (`ResponseInputItemParam`) and the `InputItem` union.

Request side: unknown keys are errors, no coercion. Fields shared with the output side
live in the `_...Fields` mixins of `item_fields.py`; this module adds what only the
request side has (its required sets and its `...Param` nested models).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from ._base import TEXT_OR_LIST, EasyRole, InputRole, Phase, RequestModel, Status3, Text10M, omitted
from .actions import ComputerActionParam
from .calls import (
    CallerParam,
    CodeInterpreterOutputParam,
    ComputerScreenshotParam,
    FileSearchResultParam,
    ImageGenerationErrorParam,
    SafetyCheckParam,
    SvgUsageParam,
    WebSearchActionParam,
)
from .configuration import (
    ReasoningConfigParam,
    TextConfigParam,
)
from .content import (
    FunctionOutputContentParam,
    InputContentParam,
    OutputPartParam,
    ReasoningTextParam,
    SummaryTextParam,
)
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
    McpErrorParam,
    McpListedToolParam,
)
from .shell import (
    LocalShellActionParam,
    PatchOperationParam,
    ShellActionParam,
    ShellEnvironmentParam,
    ShellOutputChunkParam,
)
from .tools import ToolParam

InputContentOrTextParam = Annotated[
    Annotated[str, Tag("text")] | Annotated[list[InputContentParam], Tag("list")], TEXT_OR_LIST
]
FunctionOutputParam = Annotated[
    Annotated[Text10M, Tag("text")] | Annotated[list[FunctionOutputContentParam], Tag("list")],
    TEXT_OR_LIST,
]

# --- the three message shapes ------------------------------------------------------------


class EasyInputMessageParam(RequestModel):
    """The only message form with string content, or role assistant without id/status."""

    role: EasyRole
    content: InputContentOrTextParam
    type: Literal["message"] = omitted()
    phase: Phase | None = None


class InputMessageParam(RequestModel):
    role: InputRole
    content: list[InputContentParam]
    type: Literal["message"] = omitted()
    status: Status3 = omitted()


class OutputMessageParam(RequestModel):
    """An assistant message being replayed as input."""

    id: str
    role: Literal["assistant"]
    status: Status3
    type: Literal["message"]
    content: list[OutputPartParam]
    phase: Phase | None = None


# --- tool calls and their outputs --------------------------------------------------------


class FileSearchCallParam(_FileSearchCallFields, RequestModel):
    results: list[FileSearchResultParam] | None = None


class ComputerCallParam(_ComputerCallFields, RequestModel):
    pending_safety_checks: list[SafetyCheckParam]
    action: ComputerActionParam = omitted()
    actions: list[ComputerActionParam] = omitted()


class ComputerCallOutputParam(_ComputerCallOutputFields, RequestModel):
    output: ComputerScreenshotParam
    id: str | None = None
    acknowledged_safety_checks: list[SafetyCheckParam] | None = None
    status: Status3 | None = None


class WebSearchCallParam(_WebSearchCallFields, RequestModel):
    action: WebSearchActionParam


class FunctionCallParam(_FunctionCallFields, RequestModel):
    id: str = omitted()
    status: Status3 = omitted()
    caller: CallerParam | None = None


class FunctionCallOutputParam(_FunctionCallOutputFields, RequestModel):
    output: FunctionOutputParam
    id: str | None = None
    status: Status3 | None = None
    caller: CallerParam | None = None


class ToolSearchCallParam(_ToolSearchCallFields, RequestModel):
    id: str | None = None
    execution: Execution = omitted()
    status: Status3 | None = None


class ToolSearchOutputParam(_ToolSearchOutputFields, RequestModel):
    tools: list[ToolParam]
    id: str | None = None
    execution: Execution = omitted()
    status: Status3 | None = None


class AdditionalToolsParam(_AdditionalToolsFields, RequestModel):
    role: Literal["developer"]
    tools: list[ToolParam]
    id: str | None = None


class ConfigurationUpdateParam(_ConfigurationUpdateFields, RequestModel):
    id: str | None = None
    reasoning: ReasoningConfigParam = omitted()
    text: TextConfigParam = omitted()


class ReasoningParam(_ReasoningFields, RequestModel):
    summary: list[SummaryTextParam]
    content: list[ReasoningTextParam] = omitted()


class CompactionParam(_CompactionFields, RequestModel):
    id: str | None = None


class ImageGenerationCallParam(_ImageGenerationCallFields, RequestModel):
    result: str | None
    """Required-nullable: base64 image data, or null."""
    error: ImageGenerationErrorParam = omitted()
    svg_usage: SvgUsageParam = omitted()


class CodeInterpreterCallParam(_CodeInterpreterCallFields, RequestModel):
    code: str | None
    """Required-nullable."""
    outputs: list[CodeInterpreterOutputParam] | None
    """Required-nullable."""


class LocalShellCallParam(_LocalShellCallFields, RequestModel):
    action: LocalShellActionParam


class LocalShellCallOutputParam(_LocalShellCallOutputFields, RequestModel):
    pass


class ShellCallParam(_ShellCallFields, RequestModel):
    action: ShellActionParam
    id: str | None = None
    status: Status3 | None = None
    caller: CallerParam | None = None
    environment: ShellEnvironmentParam | None = None


class ShellCallOutputParam(_ShellCallOutputFields, RequestModel):
    output: list[ShellOutputChunkParam]
    id: str | None = None
    status: Status3 | None = None
    caller: CallerParam | None = None


class ApplyPatchCallParam(_ApplyPatchCallFields, RequestModel):
    operation: PatchOperationParam
    id: str | None = None
    caller: CallerParam | None = None


class ApplyPatchCallOutputParam(_ApplyPatchCallOutputFields, RequestModel):
    id: str | None = None
    caller: CallerParam | None = None


class McpListToolsParam(_McpListToolsFields, RequestModel):
    tools: list[McpListedToolParam]


class McpApprovalRequestParam(_McpApprovalRequestFields, RequestModel):
    pass


class McpApprovalResponseParam(_McpApprovalResponseFields, RequestModel):
    id: str | None = None


class McpCallParam(_McpCallFields, RequestModel):
    status: McpCallStatus = omitted()
    error: McpErrorParam | None = None


class CustomToolCallOutputParam(_CustomToolCallOutputFields, RequestModel):
    output: InputContentOrTextParam
    caller: CallerParam | None = None


class CustomToolCallParam(_CustomToolCallFields, RequestModel):
    caller: CallerParam | None = None


class CompactionTriggerParam(RequestModel):
    """Input-only; the SDK says it must be the last input item."""

    type: Literal["compaction_trigger"]
    id: str | None = None


class ItemReferenceParam(RequestModel):
    """Input-only: points at an existing item; `type` may be absent or null."""

    id: str
    type: Literal["item_reference"] | None = None


class ProgramParam(_ProgramFields, RequestModel):
    pass


class ProgramOutputParam(_ProgramOutputFields, RequestModel):
    pass


# --- the union ---------------------------------------------------------------------------

_INPUT_ROLES = frozenset({"user", "system", "developer"})


def _message_shape(item: dict[str, Any]) -> str:
    """Which of the three `message` shapes an item's keys make most likely (reference §5.1)."""
    role, content = item.get("role"), item.get("content")
    if role == "assistant" and ("id" in item or "status" in item):
        if "id" not in item and isinstance(content, str):
            # An easy message with a `status`: dropping it is the one fix, which is what
            # the easy shape's error says (not id, type and content list all missing).
            return "message.easy"
        # A replayed output message; if id or status is missing the error should say
        # so, rather than reject the role as the input Message shape would.
        return "message.output"
    if "status" in item:
        return "message.input"
    if isinstance(content, list) and isinstance(role, str) and role in _INPUT_ROLES:
        # `phase` is the easy shape's alone (the input Message has none): with it, list
        # content from a user is still a valid easy message.
        return "message.easy" if "phase" in item else "message.input"
    return "message.easy"


def input_item_tag(item: Any) -> str | None:
    """The tag of the variant an input item means.

    The tag is the `type` value, except for the three message shapes (`message.easy`,
    `message.input`, `message.output`). None when nothing says (no `type`, no
    `role`/`content`, no `id`): pydantic reports that as one `union_tag_not_found`; an
    unknown `type` gives one `union_tag_invalid`, never one failure per variant.
    """
    if not isinstance(item, dict):
        # An already-built model (validating instances, not JSON) keeps its variant.
        return _TAG_OF_CLASS.get(type(item))
    kind = item.get("type")
    if kind is None:
        # No type (or null): a message if it has a message's keys, else a reference.
        if "role" in item or "content" in item:
            return _message_shape(item)
        return "item_reference" if "id" in item else None
    if kind == "message":
        return _message_shape(item)
    return kind if isinstance(kind, str) else repr(kind)


INPUT_VARIANTS: dict[str, type[RequestModel]] = {
    "message.easy": EasyInputMessageParam,
    "message.input": InputMessageParam,
    "message.output": OutputMessageParam,
    "file_search_call": FileSearchCallParam,
    "computer_call": ComputerCallParam,
    "computer_call_output": ComputerCallOutputParam,
    "web_search_call": WebSearchCallParam,
    "function_call": FunctionCallParam,
    "function_call_output": FunctionCallOutputParam,
    "tool_search_call": ToolSearchCallParam,
    "tool_search_output": ToolSearchOutputParam,
    "additional_tools": AdditionalToolsParam,
    "configuration_update": ConfigurationUpdateParam,
    "reasoning": ReasoningParam,
    "compaction": CompactionParam,
    "image_generation_call": ImageGenerationCallParam,
    "code_interpreter_call": CodeInterpreterCallParam,
    "local_shell_call": LocalShellCallParam,
    "local_shell_call_output": LocalShellCallOutputParam,
    "shell_call": ShellCallParam,
    "shell_call_output": ShellCallOutputParam,
    "apply_patch_call": ApplyPatchCallParam,
    "apply_patch_call_output": ApplyPatchCallOutputParam,
    "mcp_list_tools": McpListToolsParam,
    "mcp_approval_request": McpApprovalRequestParam,
    "mcp_approval_response": McpApprovalResponseParam,
    "mcp_call": McpCallParam,
    "custom_tool_call_output": CustomToolCallOutputParam,
    "custom_tool_call": CustomToolCallParam,
    "compaction_trigger": CompactionTriggerParam,
    "item_reference": ItemReferenceParam,
    "program": ProgramParam,
    "program_output": ProgramOutputParam,
}
"""Tag -> request model, for all 33 variants (the union below is built from it)."""

_TAG_OF_CLASS: dict[type, str] = {cls: tag for tag, cls in INPUT_VARIANTS.items()}

InputItem = Annotated[
    Annotated[EasyInputMessageParam, Tag("message.easy")]
    | Annotated[InputMessageParam, Tag("message.input")]
    | Annotated[OutputMessageParam, Tag("message.output")]
    | Annotated[FileSearchCallParam, Tag("file_search_call")]
    | Annotated[ComputerCallParam, Tag("computer_call")]
    | Annotated[ComputerCallOutputParam, Tag("computer_call_output")]
    | Annotated[WebSearchCallParam, Tag("web_search_call")]
    | Annotated[FunctionCallParam, Tag("function_call")]
    | Annotated[FunctionCallOutputParam, Tag("function_call_output")]
    | Annotated[ToolSearchCallParam, Tag("tool_search_call")]
    | Annotated[ToolSearchOutputParam, Tag("tool_search_output")]
    | Annotated[AdditionalToolsParam, Tag("additional_tools")]
    | Annotated[ConfigurationUpdateParam, Tag("configuration_update")]
    | Annotated[ReasoningParam, Tag("reasoning")]
    | Annotated[CompactionParam, Tag("compaction")]
    | Annotated[ImageGenerationCallParam, Tag("image_generation_call")]
    | Annotated[CodeInterpreterCallParam, Tag("code_interpreter_call")]
    | Annotated[LocalShellCallParam, Tag("local_shell_call")]
    | Annotated[LocalShellCallOutputParam, Tag("local_shell_call_output")]
    | Annotated[ShellCallParam, Tag("shell_call")]
    | Annotated[ShellCallOutputParam, Tag("shell_call_output")]
    | Annotated[ApplyPatchCallParam, Tag("apply_patch_call")]
    | Annotated[ApplyPatchCallOutputParam, Tag("apply_patch_call_output")]
    | Annotated[McpListToolsParam, Tag("mcp_list_tools")]
    | Annotated[McpApprovalRequestParam, Tag("mcp_approval_request")]
    | Annotated[McpApprovalResponseParam, Tag("mcp_approval_response")]
    | Annotated[McpCallParam, Tag("mcp_call")]
    | Annotated[CustomToolCallOutputParam, Tag("custom_tool_call_output")]
    | Annotated[CustomToolCallParam, Tag("custom_tool_call")]
    | Annotated[CompactionTriggerParam, Tag("compaction_trigger")]
    | Annotated[ItemReferenceParam, Tag("item_reference")]
    | Annotated[ProgramParam, Tag("program")]
    | Annotated[ProgramOutputParam, Tag("program_output")],
    Discriminator(input_item_tag),
]
"""One item of a create body: 33 variants, chosen by `type` or, for messages, by shape.

A validation error's location holds the tag right after the item index, e.g.
`("items", 0, "function_call", "arguments")`: drop it to get the JSON pointer.
"""
