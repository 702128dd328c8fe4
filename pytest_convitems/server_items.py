"""How the embedded server turns a create body's input items into stored output items.

Pure functions on JSON-shaped dicts: no HTTP, no store, no profile. The rules follow
`conversations-items-reference.md` §3/§4: the server always mints the item id (a client's
`id` is replaced), fills the fields an output item must carry (`status`, `execution`,
required-nullable keys) and turns the input-only forms (easy messages with string
content, `item_reference`, `compaction_trigger`) into what the API stores.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
from collections.abc import Callable
from typing import Any, Final

Item = dict[str, Any]

ID_PREFIXES: Final[dict[str, str]] = {
    "message": "msg",
    "file_search_call": "fs",
    "computer_call": "cu",
    "computer_call_output": "cuo",
    "web_search_call": "ws",
    "function_call": "fc",
    "function_call_output": "fco",
    "tool_search_call": "tsc",
    "tool_search_output": "tso",
    "additional_tools": "at",
    "configuration_update": "cfg",
    "reasoning": "rs",
    "compaction": "cmp",
    "image_generation_call": "ig",
    "code_interpreter_call": "ci",
    "local_shell_call": "lsh",
    "local_shell_call_output": "lsho",
    "shell_call": "sh",
    "shell_call_output": "sho",
    "apply_patch_call": "apc",
    "apply_patch_call_output": "apco",
    "mcp_list_tools": "mcpl",
    "mcp_approval_request": "mcpr",
    "mcp_approval_response": "mcpa",
    "mcp_call": "mcp",
    "custom_tool_call": "ctc",
    "custom_tool_call_output": "ctco",
    "program": "prg",
    "program_output": "prgo",
}
"""Output item type -> id prefix (the API guarantees no format; these look like its ids)."""

# Output types whose status is required on the output side although optional on input.
_STATUS_DEFAULTS: Final[dict[str, str]] = {
    "message": "completed",
    "function_call": "completed",
    "function_call_output": "completed",
    "computer_call_output": "completed",
    "tool_search_call": "completed",
    "tool_search_output": "completed",
    "shell_call": "completed",
    "shell_call_output": "completed",
}

_CREATED_BY: Final[frozenset[str]] = frozenset({"function_call", "function_call_output"})
"""Types on which the current API reports which actor created the item."""

CREATED_BY_CLIENT: Final = "user"


class ConversionError(ValueError):
    """An input item the server cannot store; `param` names it like the API does."""

    def __init__(self, message: str, param: str, *, status: int = 400, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.code = code


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def item_type(item: Item) -> str:
    """The `type` of an input item, deriving it where the API lets it be omitted."""
    declared = item.get("type")
    if isinstance(declared, str):
        return declared
    if "role" in item or "content" in item:
        return "message"
    return "item_reference"


def _message_content(role: str, content: Any) -> list[Any]:
    if isinstance(content, str):
        if role == "assistant":
            return [{"type": "output_text", "text": content, "annotations": []}]
        return [{"type": "input_text", "text": content}]
    return [copy.deepcopy(part) for part in content]


def to_output_item(
    item: Item,
    *,
    index: int,
    is_last: bool,
    resolve: Callable[[str], Item | None],
) -> Item:
    """One input item (already valid against the request models) as the API stores it.

    `resolve` looks up an existing item by id for `item_reference`; `index` and `is_last`
    place the item in its batch (for error params and `compaction_trigger`).
    """
    kind = item_type(item)
    if kind == "item_reference":
        ref = item.get("id")
        target = resolve(ref) if isinstance(ref, str) else None
        if target is None:
            raise ConversionError(
                f"Item with id '{ref}' not found.",
                f"items[{index}].id",
                status=404,
                code="not_found",
            )
        out = copy.deepcopy(target)
        out["id"] = new_id(ID_PREFIXES.get(str(out.get("type")), "item"))
        return out
    if kind == "compaction_trigger":
        if not is_last:
            raise ConversionError(
                "Invalid 'items': a 'compaction_trigger' item must be the last item.",
                f"items[{index}].type",
                code="invalid_value",
            )
        # The API compacts the context into an opaque, encrypted item.
        blob = base64.b64encode(json.dumps({"compacted_at_index": index}).encode()).decode()
        return {
            "id": new_id(ID_PREFIXES["compaction"]),
            "type": "compaction",
            "encrypted_content": blob,
        }

    out = copy.deepcopy(item)
    out["type"] = kind
    out["id"] = new_id(ID_PREFIXES.get(kind, "item"))
    if kind == "message":
        role = str(out.get("role"))
        out["content"] = _message_content(role, out.get("content", []))
    default_status = _STATUS_DEFAULTS.get(kind)
    if default_status is not None and out.get("status") is None:
        out["status"] = default_status
    if kind in _CREATED_BY:
        out["created_by"] = CREATED_BY_CLIENT
    _fill_required(kind, out)
    return out


_NULLABLE_IN_OUTPUT: Final[dict[str, frozenset[str]]] = {
    "input_image": frozenset({"image_url", "file_id"}),
    "input_file": frozenset({"file_id"}),
}


def _function_output_parts(parts: list[Any]) -> None:
    """Function output content as the output side's InputContent has it: an image's
    `detail` is required there (optional on input) and most nulls are not allowed."""
    for part in parts:
        if not isinstance(part, dict):
            continue
        keep = _NULLABLE_IN_OUTPUT.get(str(part.get("type")), frozenset())
        for key in [k for k, v in part.items() if v is None and k not in keep]:
            del part[key]
        if part.get("type") == "input_image":
            part.setdefault("detail", "auto")  # the API's default detail


def _fill_required(kind: str, out: Item) -> None:
    """Keys the output side requires (or OAS marks required-nullable) but input may omit."""
    if kind == "function_call_output":
        out.setdefault("call_id", None)
        if isinstance(out.get("output"), list):
            _function_output_parts(out["output"])
    elif kind in ("tool_search_call", "tool_search_output"):
        if out.get("execution") is None:
            out["execution"] = "client"
        out.setdefault("call_id", None)
    elif kind == "shell_call":
        out.setdefault("environment", None)
        action = out.get("action")
        if isinstance(action, dict):
            action.setdefault("timeout_ms", None)
            action.setdefault("max_output_length", None)
    elif kind == "shell_call_output":
        out.setdefault("max_output_length", None)
    elif kind == "image_generation_call":
        out.setdefault("result", None)
    elif kind == "code_interpreter_call":
        out.setdefault("code", None)
        out.setdefault("outputs", None)


# --- include ---------------------------------------------------------------------------


def _strip_reasoning_encrypted(item: Item) -> None:
    item.pop("encrypted_content", None)


def _strip_logprobs(item: Item) -> None:
    for part in item.get("content") or []:
        if isinstance(part, dict) and part.get("type") == "output_text":
            part.pop("logprobs", None)


def _null_results(item: Item) -> None:
    if "results" in item:
        item["results"] = None


def _strip_sources(item: Item) -> None:
    action = item.get("action")
    if isinstance(action, dict):
        action.pop("sources", None)


def _null_outputs(item: Item) -> None:
    item["outputs"] = None


INCLUDE_GATED: Final[dict[str, tuple[str, Callable[[Item], None]]]] = {
    "reasoning.encrypted_content": ("reasoning", _strip_reasoning_encrypted),
    "message.output_text.logprobs": ("message", _strip_logprobs),
    "file_search_call.results": ("file_search_call", _null_results),
    "web_search_call.action.sources": ("web_search_call", _strip_sources),
    "code_interpreter_call.outputs": ("code_interpreter_call", _null_outputs),
}
"""include value -> (item type, what the API leaves out unless the value is asked for).

The two `*.image_url` values are not gated: the server always returns image URLs.
"""


def apply_include(item: Item, include: frozenset[str]) -> Item:
    """A copy of a stored item as a response shows it for the given `include` values."""
    out = copy.deepcopy(item)
    kind = out.get("type")
    for value, (gated_type, strip) in INCLUDE_GATED.items():
        if gated_type == kind and value not in include:
            strip(out)
    return out
