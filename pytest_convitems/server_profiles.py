"""The two releases the embedded server can answer as: `current` and `seed`.

`current` answers per `conversations-items-reference.md`. `seed` answers as the API stood
on the original "Create items" page (`seed-create-items.txt`). Every difference `seed`
makes is one row of `SEED_PROFILE_DIFFERENCES`, and the seed profile's behaviour is
*derived from that table* (by the row's `change`), so the table cannot drift from what
the server does. Rows read as the change a client sees going from seed (OLD) to current
(NEW), with the severity drift detection must give it. `docs/profiles.md` renders it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from .server_items import ConversionError, Item, item_type

ProfileName = Literal["current", "seed"]
PROFILES: Final[tuple[ProfileName, ...]] = ("current", "seed")

Change = Literal[
    "field_added",
    "field_removed",
    "type_changed",
    "became_required",
    "became_optional",
    "became_nullable",
    "enum_value_added",
    "enum_value_removed",
    "variant_added",
    "variant_removed",
]
DriftSeverity = Literal["breaking", "warning", "info"]


@dataclass(frozen=True)
class ProfileDifference:
    variant: str | None
    """The output item `type` the change sits in (None: not inside one item type)."""
    path: str
    """JSON pointer relative to the item, arrays as `*` ("" = the variant itself)."""
    change: Change
    severity: DriftSeverity
    """How drift must classify going from seed (OLD) to current (NEW)."""
    description: str
    also: Change | None = None
    """What drift reports instead (same severity) when the seed recording never shows the
    field at all: a session that never sends it sees it appear, a `field_added`."""


def _added(variant: str, path: str, what: str) -> ProfileDifference:
    return ProfileDifference(
        variant, path, "field_added", "info", f"{what}; the seed release never returns it."
    )


def _variant(variant: str) -> ProfileDifference:
    return ProfileDifference(
        variant,
        "",
        "variant_added",
        "warning",
        f"`{variant}` items exist only in the current release; the seed release refuses "
        f"them on create (400 invalid_value at items[i].type).",
    )


SEED_PROFILE_DIFFERENCES: Final[tuple[ProfileDifference, ...]] = (
    # New item types (seed: 400 on create, so they never appear in its responses).
    _variant("tool_search_call"),
    _variant("tool_search_output"),
    _variant("additional_tools"),
    _variant("configuration_update"),
    _variant("program"),
    _variant("program_output"),
    ProfileDifference(
        "compaction",
        "",
        "variant_added",
        "warning",
        "`compaction` items (from `compaction` or `compaction_trigger` input) exist only in "
        "the current release; the seed release refuses both on create.",
    ),
    # Retyped / loosened fields.
    ProfileDifference(
        "mcp_call",
        "/error",
        "type_changed",
        "breaking",
        "`mcp_call.error` was a string in the seed release; now an object "
        "({type, code, message} or {type, content}).",
    ),
    ProfileDifference(
        "function_call_output",
        "/call_id",
        "became_nullable",
        "breaking",
        "`function_call_output.call_id` was required in the seed release; now it may be "
        "null (the server returns null when the client sent none).",
    ),
    ProfileDifference(
        "computer_call",
        "/action",
        "became_optional",
        "breaking",
        "`computer_call.action` was always present in the seed release; now a call may "
        "carry only the batched `actions` list.",
    ),
    ProfileDifference(
        "computer_call_output",
        "/status",
        "became_required",
        "info",
        "`computer_call_output.status` was optional in the seed release (absent unless "
        "sent); now always present (`completed` by default). A session that never sends a "
        "status (the example shapes: `convitems demo`, `examples/drift/`) never sees it in "
        "the seed release, so drift says `field_added` there.",
        also="field_added",
    ),
    ProfileDifference(
        "message",
        "/content/*/detail",
        "enum_value_added",
        "warning",
        "`input_image.detail` gained `original`; the seed release refuses it on create.",
    ),
    # Fields only the current release returns (seed drops them from what it stores).
    _added("message", "/phase", "`phase` on messages (commentary|final_answer)"),
    _added(
        "message",
        "/content/*/prompt_cache_breakpoint",
        "`prompt_cache_breakpoint` on input content parts",
    ),
    _added("function_call", "/created_by", "`created_by` on function calls"),
    _added("function_call", "/namespace", "`namespace` on function calls"),
    _added("function_call", "/caller", "`caller` on function calls"),
    _added("function_call", "/async", "`async` on function calls"),
    _added("function_call_output", "/created_by", "`created_by` on function call outputs"),
    _added("function_call_output", "/name", "`name` on function call outputs"),
    _added("function_call_output", "/namespace", "`namespace` on function call outputs"),
    _added("function_call_output", "/caller", "`caller` on function call outputs"),
    _added("computer_call", "/actions", "the batched `actions` list on computer calls"),
    _added(
        "computer_call",
        "/action/keys",
        "`keys` (modifier keys held) on click, double_click, drag, move and scroll actions",
    ),
    _added("custom_tool_call", "/namespace", "`namespace` on custom tool calls"),
    _added("custom_tool_call", "/caller", "`caller` on custom tool calls"),
    _added("custom_tool_call", "/async", "`async` on custom tool calls"),
    _added("custom_tool_call_output", "/caller", "`caller` on custom tool call outputs"),
    _added("shell_call", "/environment", "`environment` on shell calls"),
    _added("shell_call", "/caller", "`caller` on shell calls"),
    _added("shell_call_output", "/caller", "`caller` on shell call outputs"),
    _added("apply_patch_call", "/caller", "`caller` on apply_patch calls"),
    _added("apply_patch_call_output", "/caller", "`caller` on apply_patch call outputs"),
    _added("image_generation_call", "/action", "`action` on image generation calls"),
    _added("image_generation_call", "/background", "`background` on image generation calls"),
    _added("image_generation_call", "/error", "`error` on image generation calls"),
    _added("image_generation_call", "/output_format", "`output_format` on image generation calls"),
    _added("image_generation_call", "/quality", "`quality` on image generation calls"),
    _added(
        "image_generation_call", "/revised_prompt", "`revised_prompt` on image generation calls"
    ),
    _added("image_generation_call", "/size", "`size` on image generation calls"),
    _added("image_generation_call", "/svg_usage", "`svg_usage` on image generation calls"),
)


# Parameters of rows whose change needs more than (variant, path) to be applied.
_ENUM_VALUES_ADDED: Final[dict[tuple[str, str], frozenset[Any]]] = {
    ("message", "/content/*/detail"): frozenset({"original"}),
}


def _mcp_error_to_string(value: Any) -> Any:
    if isinstance(value, dict):
        if isinstance(value.get("message"), str):
            return value["message"]
        return json.dumps(value.get("content", value), sort_keys=True)
    return value


_TYPE_CHANGES: Final[dict[tuple[str, str], Callable[[Any], Any]]] = {
    ("mcp_call", "/error"): _mcp_error_to_string,
}

_INPUT_TYPES_BECOMING: Final[dict[str, str]] = {"compaction_trigger": "compaction"}
"""Input types stored as another output type."""


def _tokens(path: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def _slots(node: Any, tokens: list[str]) -> Iterator[tuple[Any, str | int]]:
    """(container, key) for every place `tokens` (with `*` over arrays) reaches."""
    if not tokens:
        return
    head, rest = tokens[0], tokens[1:]
    keys: list[str | int]
    if head == "*":
        keys = list(range(len(node))) if isinstance(node, list) else []
    elif isinstance(node, dict):
        keys = [head]
    else:
        keys = []
    for key in keys:
        if isinstance(node, dict) and key not in node:
            continue
        if not rest:
            yield node, key
        else:
            yield from _slots(node[key], rest)


def _has(node: Any, path: str) -> bool:
    return any(True for _ in _slots(node, _tokens(path)))


def _param(index: int, path: str, slot_path: str | None = None) -> str:
    return f"items[{index}]" + "".join(
        f"[{t}]" if t.isdigit() else f".{t}" for t in _tokens(slot_path or path)
    )


class Profile:
    """What a profile changes: refusals on create and the shape of stored items."""

    def __init__(self, name: ProfileName) -> None:
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}: use one of {', '.join(PROFILES)}")
        self.name: ProfileName = name
        self.differences: tuple[ProfileDifference, ...] = (
            SEED_PROFILE_DIFFERENCES if name == "seed" else ()
        )

    def check_input(self, items: list[Any]) -> ConversionError | None:
        """The first refusal this profile makes of valid current-release input, if any."""
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            kind = item_type(item)
            stored_as = _INPUT_TYPES_BECOMING.get(kind, kind)
            for row in self.differences:
                if row.variant != stored_as:
                    continue
                refusal = _refusal(row, item, index)
                if refusal is not None:
                    return refusal
        return None

    def shape_output(self, given: Item, stored: Item) -> Item:
        """The stored item as this release keeps it (`given` is the client's input item)."""
        for row in self.differences:
            if row.variant != stored.get("type"):
                continue
            tokens = _tokens(row.path)
            dropped = row.change == "field_added" or (
                row.change == "became_required" and not _has(given, row.path)
            )
            if dropped:
                for container, key in list(_slots(stored, tokens)):
                    del container[key]
            elif row.change == "type_changed":
                convert = _TYPE_CHANGES[(str(row.variant), row.path)]
                for container, key in list(_slots(stored, tokens)):
                    container[key] = convert(container[key])
        return stored


def _refusal(row: ProfileDifference, item: Item, index: int) -> ConversionError | None:
    if row.change == "variant_added":
        kind = item_type(item)
        return ConversionError(
            f"Invalid value: '{kind}'. This item type is not supported.",
            f"items[{index}].type",
            code="invalid_value",
        )
    if row.change in ("became_nullable", "became_optional"):
        tokens = _tokens(row.path)
        present = [c[k] for c, k in _slots(item, tokens)]
        if not present or any(v is None for v in present):
            return ConversionError(
                f"Missing required parameter: '{_param(index, row.path)}'.",
                _param(index, row.path),
                code="missing_required_parameter",
            )
    if row.change == "enum_value_added" and row.variant is not None:
        refused = _ENUM_VALUES_ADDED[(row.variant, row.path)]
        for slot_path, value in _walk_values(item, _tokens(row.path), ""):
            if isinstance(value, str) and value in refused:
                param = _param(index, row.path, slot_path)
                return ConversionError(
                    f"Invalid value: '{value}'. Value must be one of 'low', 'high', 'auto'.",
                    param,
                    code="invalid_value",
                )
    return None


def _walk_values(node: Any, tokens: list[str], at: str) -> Iterator[tuple[str, Any]]:
    """(concrete pointer, value) for every place `tokens` reaches."""
    if not tokens:
        yield at, node
        return
    head, rest = tokens[0], tokens[1:]
    if head == "*" and isinstance(node, list):
        for i, child in enumerate(node):
            yield from _walk_values(child, rest, f"{at}/{i}")
    elif isinstance(node, dict) and head in node:
        yield from _walk_values(node[head], rest, f"{at}/{head}")


def differences_markdown() -> str:
    """`SEED_PROFILE_DIFFERENCES` as the Markdown table in `docs/profiles.md`."""
    lines = [
        "| variant | path | change | severity | description |",
        "|---|---|---|---|---|",
    ]
    for row in SEED_PROFILE_DIFFERENCES:
        cells = (
            f"`{row.variant}`" if row.variant else "(none)",
            f"`{row.path}`" if row.path else "(the item)",
            f"`{row.change}`" + (f" (or `{row.also}`)" if row.also else ""),
            row.severity,
            row.description.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
