"""One valid create-body item for each of the 33 input shapes, as plain JSON data.

The embedded server's tests send them all; the drift tests send them to both profiles;
the demo uses them. Together they exercise every row of `SEED_PROFILE_DIFFERENCES`
(fields the seed release lacks are filled in wherever the current release allows them;
`SEED_PROBES` add what the seed release refuses outright).
`EXAMPLE_INPUT_ITEMS` maps a shape name (the `type`, or `message.easy` / `message.input` /
`message.output` for the three message shapes) to the item.
"""

from __future__ import annotations

import copy
from typing import Any, Final

_CALLER: Final = {"type": "direct"}
_FUNCTION_TOOL: Final = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": True,
}

_EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "message.easy": {
        "type": "message",
        "role": "user",
        "content": "What is the weather in Paris?",
    },
    "message.input": {
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [
            {
                "type": "input_text",
                "text": "Describe this image.",
                "prompt_cache_breakpoint": {"mode": "explicit", "ttl": "30m"},
            },
            {
                "type": "input_image",
                "detail": "high",
                "image_url": "https://example.com/cat.png",
            },
            {"type": "input_file", "file_id": "file_abc123", "detail": "auto"},
        ],
    },
    "message.output": {
        "id": "msg_replayed0001",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "phase": "final_answer",
        "content": [
            {
                "type": "output_text",
                "text": "It is sunny in Paris.",
                "annotations": [
                    {
                        "type": "url_citation",
                        "url": "https://example.com/weather",
                        "title": "Weather",
                        "start_index": 0,
                        "end_index": 5,
                    }
                ],
            },
            {"type": "refusal", "refusal": "I cannot share more."},
        ],
    },
    "file_search_call": {
        "id": "fs_1",
        "type": "file_search_call",
        "queries": ["weather reports"],
        "status": "completed",
        "results": [{"file_id": "file_1", "filename": "a.txt", "score": 0.5, "text": "sunny"}],
    },
    "computer_call": {
        "id": "cu_1",
        "type": "computer_call",
        "call_id": "call_cu_1",
        "pending_safety_checks": [],
        "status": "completed",
        "action": {"type": "click", "button": "left", "x": 10, "y": 20, "keys": ["SHIFT"]},
        "actions": [{"type": "screenshot"}, {"type": "double_click", "x": 1, "y": 2, "keys": None}],
    },
    "computer_call_output": {
        "type": "computer_call_output",
        "call_id": "call_cu_1",
        "output": {"type": "computer_screenshot", "image_url": "https://example.com/s.png"},
    },
    "web_search_call": {
        "id": "ws_1",
        "type": "web_search_call",
        "status": "completed",
        "action": {"type": "search", "query": "weather paris"},
    },
    "function_call": {
        "type": "function_call",
        "call_id": "call_fn_1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
        "namespace": "weather",
        "caller": _CALLER,
        "async": False,
    },
    "function_call_output": {
        "type": "function_call_output",
        "call_id": "call_fn_1",
        "output": '{"temperature": 21}',
        "name": "get_weather",
        "namespace": "weather",
        "caller": _CALLER,
    },
    "tool_search_call": {
        "type": "tool_search_call",
        "arguments": {"query": "weather"},
        "call_id": "call_ts_1",
        "execution": "client",
    },
    "tool_search_output": {
        "type": "tool_search_output",
        "call_id": "call_ts_1",
        "tools": [_FUNCTION_TOOL],
    },
    "additional_tools": {
        "type": "additional_tools",
        "role": "developer",
        "tools": [_FUNCTION_TOOL],
    },
    "configuration_update": {
        "type": "configuration_update",
        "reasoning": {"effort": "low"},
        "text": {"format": {"type": "text"}},
    },
    "reasoning": {
        "id": "rs_1",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "Looked up the weather."}],
        "encrypted_content": "ZW5jcnlwdGVk",
    },
    "compaction": {"type": "compaction", "encrypted_content": "Y29tcGFjdGVk"},
    "image_generation_call": {
        "id": "ig_1",
        "type": "image_generation_call",
        "status": "completed",
        "result": "aGVsbG8=",
        "action": "generate",
        "background": "opaque",
        "output_format": "png",
        "quality": "high",
        "revised_prompt": "a sunny day in Paris",
        "size": "1024x1024",
        "error": {"message": "partial result", "type": "image_error", "code": None, "param": None},
        "svg_usage": {
            "input_tokens": 10,
            "model": "gpt-image-1",
            "output_tokens": 20,
            "reasoning_tokens": 0,
            "total_tokens": 30,
        },
    },
    "code_interpreter_call": {
        "id": "ci_1",
        "type": "code_interpreter_call",
        "code": "print(1 + 1)",
        "container_id": "cntr_1",
        "outputs": [{"type": "logs", "logs": "2\n"}],
        "status": "completed",
    },
    "local_shell_call": {
        "id": "lsh_1",
        "type": "local_shell_call",
        "call_id": "call_lsh_1",
        "status": "completed",
        "action": {"type": "exec", "command": ["ls", "-l"], "env": {"LANG": "C"}},
    },
    "local_shell_call_output": {
        "id": "lsh_1",
        "type": "local_shell_call_output",
        "output": '{"stdout": "total 0"}',
    },
    "shell_call": {
        "type": "shell_call",
        "call_id": "call_sh_1",
        "action": {"commands": ["echo hi"], "timeout_ms": 1000},
        "environment": {"type": "local"},
        "caller": _CALLER,
    },
    "shell_call_output": {
        "type": "shell_call_output",
        "call_id": "call_sh_1",
        "output": [{"stdout": "hi\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}],
        "caller": _CALLER,
    },
    "apply_patch_call": {
        "type": "apply_patch_call",
        "call_id": "call_ap_1",
        "status": "completed",
        "operation": {"type": "create_file", "path": "a.txt", "diff": "+hello\n"},
        "caller": _CALLER,
    },
    "apply_patch_call_output": {
        "type": "apply_patch_call_output",
        "call_id": "call_ap_1",
        "status": "completed",
        "output": "created a.txt",
        "caller": _CALLER,
    },
    "mcp_list_tools": {
        "id": "mcpl_1",
        "type": "mcp_list_tools",
        "server_label": "weather",
        "tools": [{"name": "forecast", "input_schema": {"type": "object"}}],
    },
    "mcp_approval_request": {
        "id": "mcpr_1",
        "type": "mcp_approval_request",
        "server_label": "weather",
        "name": "forecast",
        "arguments": '{"city": "Paris"}',
    },
    "mcp_approval_response": {
        "type": "mcp_approval_response",
        "approval_request_id": "mcpr_1",
        "approve": True,
    },
    "mcp_call": {
        "id": "mcp_1",
        "type": "mcp_call",
        "server_label": "weather",
        "name": "forecast",
        "arguments": '{"city": "Paris"}',
        "status": "failed",
        "error": {"type": "http_error", "code": 502, "message": "upstream unavailable"},
    },
    "custom_tool_call_output": {
        "type": "custom_tool_call_output",
        "call_id": "call_ct_1",
        "output": "done",
        "caller": _CALLER,
    },
    "custom_tool_call": {
        "type": "custom_tool_call",
        "call_id": "call_ct_1",
        "name": "run_sql",
        "input": "SELECT 1",
        "namespace": "db",
        "caller": _CALLER,
        "async": False,
    },
    "compaction_trigger": {"type": "compaction_trigger"},
    "item_reference": {"type": "item_reference", "id": "REPLACE_WITH_AN_EXISTING_ITEM_ID"},
    "program": {
        "id": "prg_1",
        "type": "program",
        "call_id": "call_prg_1",
        "code": "print('hi')",
        "fingerprint": "sha256:0",
    },
    "program_output": {
        "id": "prgo_1",
        "type": "program_output",
        "call_id": "call_prg_1",
        "result": "hi",
        "status": "completed",
    },
}

_PROBES: Final[dict[str, dict[str, Any]]] = {
    "function_call_output.without_call_id": {
        "type": "function_call_output",
        "output": "no call id: the current release allows it, the seed release refuses it",
    },
    "computer_call.actions_only": {
        "id": "cu_2",
        "type": "computer_call",
        "call_id": "call_cu_2",
        "pending_safety_checks": [],
        "status": "completed",
        "actions": [{"type": "wait"}],
    },
    "message.image_detail_original": {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_image", "detail": "original", "image_url": "https://example.com/a.png"}
        ],
    },
}

EXAMPLE_SHAPES: Final[tuple[str, ...]] = tuple(_EXAMPLES)
"""The 33 shape names, in the reference's order."""

NEEDS_EXISTING_ID: Final = "item_reference"
"""The shape whose `id` must be replaced by an item that already exists."""

MUST_BE_LAST: Final = "compaction_trigger"
"""The shape that must be the last item of its batch."""


SEED_PROBES: Final[tuple[str, ...]] = tuple(_PROBES)
"""Extra items that only the current release accepts (the seed release answers 400):
with the 33 shapes they make every row of `SEED_PROFILE_DIFFERENCES` observable."""


def example_item(shape: str, *, reference_id: str | None = None) -> dict[str, Any]:
    """A fresh copy of one example or probe (`reference_id` fills `item_reference.id`)."""
    item = copy.deepcopy(_EXAMPLES[shape] if shape in _EXAMPLES else _PROBES[shape])
    if shape == NEEDS_EXISTING_ID and reference_id is not None:
        item["id"] = reference_id
    return item
