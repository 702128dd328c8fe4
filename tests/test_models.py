"""The models against the valid corpus (tests/data/valid) and the traps of reference §5."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from pytest_convitems import models as m
from pytest_convitems.models._base import MAX_10MB, MAX_20MB
from pytest_convitems.models.input_items import INPUT_VARIANTS
from pytest_convitems.models.output_items import OUTPUT_VARIANTS

VALID = Path(__file__).parent / "data" / "valid"

INPUT_ITEM: TypeAdapter[Any] = TypeAdapter(m.InputItem)
OUTPUT_ITEM: TypeAdapter[Any] = TypeAdapter(m.ConversationItem)


def _files(sub: str) -> list[Path]:
    return sorted((VALID / sub).glob("*.json"))


def _tag(path: Path) -> str:
    """`function_call--full.json` -> `function_call`: one tag, several examples."""
    return path.stem.split("--")[0]


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["loc"]), e["type"]) for e in exc.value.errors()]


def _extras(model: BaseModel) -> list[str]:
    """Every unknown key kept anywhere in a response model tree (the corpus has none)."""
    found = list(model.model_extra or {})
    for value in model.__dict__.values():
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, BaseModel):
                found += _extras(child)
    return found


# --- the corpus ----------------------------------------------------------------------------


def test_corpus_covers_every_variant() -> None:
    assert {_tag(p) for p in _files("input")} == set(INPUT_VARIANTS)
    assert len(INPUT_VARIANTS) == 33
    assert {_tag(p) for p in _files("output")} == set(OUTPUT_VARIANTS)
    assert len(OUTPUT_VARIANTS) == 29
    assert {p.stem for p in _files("content/message")} == {
        "input_text",
        "output_text",
        "text",
        "summary_text",
        "reasoning_text",
        "refusal",
        "input_image",
        "computer_screenshot",
        "input_file",
    }
    assert len(_files("actions")) == 9
    assert len(_files("annotations")) == 4
    assert {_load(p)["type"] for p in _files("tools")} >= {
        "function",
        "file_search",
        "computer",
        "computer_use_preview",
        "web_search",
        "mcp",
        "code_interpreter",
        "programmatic_tool_calling",
        "image_generation",
        "local_shell",
        "shell",
        "custom",
        "namespace",
        "tool_search",
        "web_search_preview",
        "apply_patch",
    }


@pytest.mark.parametrize("path", _files("input"), ids=lambda p: p.stem)
def test_input_item_validates_as_its_variant(path: Path) -> None:
    item = INPUT_ITEM.validate_json(path.read_bytes())
    assert type(item) is INPUT_VARIANTS[_tag(path)]
    body = m.ItemCreateBody.model_validate_json(json.dumps({"items": [_load(path)]}))
    assert type(body.items[0]) is INPUT_VARIANTS[_tag(path)]


@pytest.mark.parametrize("path", _files("output"), ids=lambda p: p.stem)
def test_output_item_validates_as_its_variant(path: Path) -> None:
    item = OUTPUT_ITEM.validate_json(path.read_bytes())
    assert type(item) is OUTPUT_VARIANTS[_tag(path)]
    assert _extras(item) == []


PART_UNIONS: dict[str, list[Any]] = {
    "content/input": [m.InputContentParam, m.InputContent],
    "content/function_output": [m.FunctionOutputContentParam, m.FunctionOutputContent],
    "content/output_part": [m.OutputPartParam],
    "content/message": [m.MessageContent],
    "annotations": [m.AnnotationParam, m.Annotation],
    "actions": [m.ComputerActionParam, m.ComputerAction],
    "tools": [m.ToolParam, m.Tool],
}


@pytest.mark.parametrize(
    ("union", "path"),
    [(u, p) for sub, unions in PART_UNIONS.items() for u in unions for p in _files(sub)],
    ids=lambda v: v.stem if isinstance(v, Path) else "",
)
def test_parts_validate_as_their_type(union: Any, path: Path) -> None:
    part = TypeAdapter(union).validate_json(path.read_bytes())
    assert part.type == _load(path)["type"]


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("seed_example_request", m.ItemCreateBody),
        ("seed_example_response", m.ConversationItemList),
        ("envelopes/conversation_item_list", m.ConversationItemList),
        ("envelopes/conversation", m.Conversation),
        ("envelopes/conversation_deleted", m.ConversationDeleted),
        ("envelopes/error_response", m.ErrorResponse),
        ("bodies/item_create_body", m.ItemCreateBody),
        ("bodies/conversation_create_body", m.ConversationCreateBody),
        ("bodies/conversation_update_body", m.ConversationUpdateBody),
    ],
)
def test_documents_validate(name: str, model: type[BaseModel]) -> None:
    model.model_validate_json((VALID / f"{name}.json").read_bytes())


def test_seed_example_request_is_an_easy_message() -> None:
    body = m.ItemCreateBody.model_validate_json((VALID / "seed_example_request.json").read_bytes())
    assert isinstance(body.items[0], m.EasyInputMessageParam)


# --- §5.1 the three message shapes ----------------------------------------------------------

TEXT = [{"type": "input_text", "text": "hi"}]
OUT = [{"type": "output_text", "text": "hi", "annotations": []}]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"role": "user", "content": "hi"}, m.EasyInputMessageParam),
        ({"role": "assistant", "content": "hi", "type": "message"}, m.EasyInputMessageParam),
        ({"role": "assistant", "content": TEXT}, m.EasyInputMessageParam),
        ({"role": "user", "content": TEXT}, m.InputMessageParam),
        ({"role": "developer", "content": TEXT, "status": "completed"}, m.InputMessageParam),
        (
            {
                "id": "msg_1",
                "role": "assistant",
                "status": "completed",
                "type": "message",
                "content": OUT,
            },
            m.OutputMessageParam,
        ),
    ],
)
def test_message_shape_is_chosen_by_keys(item: dict[str, Any], expected: type) -> None:
    assert type(INPUT_ITEM.validate_python(item)) is expected


@pytest.mark.parametrize(
    ("item", "loc", "kind"),
    [
        # A bad status cannot slide through as EasyInputMessage (extra keys are forbidden).
        (
            {"role": "user", "content": TEXT, "status": "done"},
            ("message.input", "status"),
            "literal_error",
        ),
        (
            {"role": "user", "content": "hi", "status": "completed"},
            ("message.input", "content"),
            "list_type",
        ),
        # An assistant message with id but no status is a replayed output message missing status.
        (
            {"id": "msg_1", "role": "assistant", "type": "message", "content": OUT},
            ("message.output", "status"),
            "missing",
        ),
        ({"role": "robot", "content": "hi"}, ("message.easy", "role"), "literal_error"),
    ],
)
def test_message_errors_point_at_the_likely_shape(
    item: dict[str, Any], loc: tuple[str, ...], kind: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(item)
    assert _errors(exc) == [(loc, kind)]


# --- §5.2 missing or null discriminator ------------------------------------------------------


@pytest.mark.parametrize("item", [{"id": "msg_1"}, {"id": "msg_1", "type": None}])
def test_item_reference_without_type(item: dict[str, Any]) -> None:
    assert isinstance(INPUT_ITEM.validate_python(item), m.ItemReferenceParam)


def test_unknown_type_is_one_error_at_the_item() -> None:
    with pytest.raises(ValidationError) as exc:
        m.ItemCreateBody.model_validate({"items": [{"type": "function_kall", "name": "x"}]})
    assert _errors(exc) == [(("items", 0), "union_tag_invalid")]


def test_no_type_and_no_clue_is_one_error() -> None:
    with pytest.raises(ValidationError) as exc:
        m.ItemCreateBody.model_validate({"items": [{"name": "x"}]})
    assert _errors(exc) == [(("items", 0), "union_tag_not_found")]


@pytest.mark.parametrize(
    "item",
    ["hello", 3, None, [], {"role": [], "content": []}, {"type": {"a": 1}}, {"type": ["x"]}],
)
def test_odd_items_give_validation_errors_not_crashes(item: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        m.ItemCreateBody.model_validate_json(json.dumps({"items": [item]}))
    assert len(exc.value.errors()) == 1


def test_built_models_keep_their_variant() -> None:
    body = m.ItemCreateBody(
        items=[m.EasyInputMessageParam(role="user", content="hi"), m.ItemReferenceParam(id="x")]
    )
    assert body.model_dump(exclude_unset=True) == {
        "items": [{"role": "user", "content": "hi"}, {"id": "x"}]
    }


def test_unknown_output_type_is_one_error() -> None:
    with pytest.raises(ValidationError) as exc:
        OUTPUT_ITEM.validate_python({"type": "hologram", "id": "h"})
    assert _errors(exc) == [((), "union_tag_invalid")]


# --- §5.3 required-nullable vs optional-never-null ----------------------------------------

REQUIRED_NULLABLE: list[tuple[str, str, tuple[Any, ...]]] = [
    ("image_generation_call", "result", ("result",)),
    ("code_interpreter_call", "code", ("code",)),
    ("code_interpreter_call", "outputs", ("outputs",)),
]


@pytest.mark.parametrize(("tag", "field", "loc"), REQUIRED_NULLABLE)
def test_required_nullable_item_fields(tag: str, field: str, loc: tuple[Any, ...]) -> None:
    item = _load(VALID / "input" / f"{tag}.json")
    INPUT_ITEM.validate_python({**item, field: None})
    del item[field]
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(item)
    assert _errors(exc) == [((tag, *loc), "missing")]


def test_required_nullable_nested_fields() -> None:
    double_click = {"type": "double_click", "x": 1, "y": 2, "keys": None}
    TypeAdapter(m.ComputerActionParam).validate_python(double_click)
    del double_click["keys"]
    with pytest.raises(ValidationError) as exc:
        TypeAdapter(m.ComputerActionParam).validate_python(double_click)
    assert _errors(exc) == [(("double_click", "keys"), "missing")]
    # Optional on the response side.
    TypeAdapter(m.ComputerAction).validate_python(double_click)

    tool = {"type": "function", "name": "f", "parameters": None, "strict": None}
    TypeAdapter(m.ToolParam).validate_python(tool)
    with pytest.raises(ValidationError) as exc:
        TypeAdapter(m.ToolParam).validate_python({"type": "function", "name": "f"})
    assert _errors(exc) == [
        (("function", "parameters"), "missing"),
        (("function", "strict"), "missing"),
    ]
    TypeAdapter(m.Tool).validate_python({"type": "function", "name": "f"})

    error = {"message": "m", "type": "t", "code": None, "param": None}
    m.ImageGenerationErrorParam.model_validate(error)
    with pytest.raises(ValidationError) as exc:
        m.ImageGenerationErrorParam.model_validate({"message": "m", "type": "t"})
    assert _errors(exc) == [(("code",), "missing"), (("param",), "missing")]


OPTIONAL_NEVER_NULL: list[tuple[str, str]] = [
    ("reasoning", "content"),
    ("reasoning", "status"),
    ("function_call", "id"),
    ("function_call", "status"),
    ("mcp_call", "status"),
    ("message.easy--assistant_typed", "type"),
]


@pytest.mark.parametrize(("name", "field"), OPTIONAL_NEVER_NULL)
def test_optional_never_null(name: str, field: str) -> None:
    item = _load(VALID / "input" / f"{name}.json")
    omitted = {k: v for k, v in item.items() if k != field}
    assert getattr(INPUT_ITEM.validate_python(omitted), field) is None
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({**item, field: None})
    [(loc, _kind)] = _errors(exc)
    assert loc[-1] == field


def test_nullable_but_not_required() -> None:
    item = {"type": "compaction", "encrypted_content": "x"}
    INPUT_ITEM.validate_python(item)
    INPUT_ITEM.validate_python({**item, "id": None})


# --- §5.4 image detail ------------------------------------------------------------------------


def test_input_image_detail_required_except_in_function_output() -> None:
    image = {"type": "input_image", "image_url": "https://example.com/x.png"}
    with pytest.raises(ValidationError):
        TypeAdapter(m.InputContentParam).validate_python(image)
    TypeAdapter(m.FunctionOutputContentParam).validate_python(image)
    TypeAdapter(m.FunctionOutputContentParam).validate_python({**image, "detail": None})
    with pytest.raises(ValidationError):
        TypeAdapter(m.InputContentParam).validate_python(
            {"type": "input_file", "file_id": "f", "detail": "original"}
        )


# --- §5.5 input/output asymmetry --------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "missing"),
    [
        (
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
            ["id", "status"],
        ),
        ({"type": "function_call_output", "call_id": "c", "output": "ok"}, ["id", "status"]),
        ({"type": "mcp_approval_response", "approval_request_id": "r", "approve": True}, ["id"]),
    ],
)
def test_same_type_different_required_sets(item: dict[str, Any], missing: list[str]) -> None:
    INPUT_ITEM.validate_python(item)
    with pytest.raises(ValidationError) as exc:
        OUTPUT_ITEM.validate_python(item)
    assert _errors(exc) == [((item["type"], f), "missing") for f in missing]


def test_output_message_is_stricter_and_wider() -> None:
    with pytest.raises(ValidationError) as exc:
        OUTPUT_ITEM.validate_python({"type": "message", "role": "user", "content": TEXT})
    assert {loc[-1] for loc, _ in _errors(exc)} == {"id", "status"}
    OUTPUT_ITEM.validate_python(
        {"type": "message", "id": "m", "role": "critic", "status": "completed", "content": TEXT}
    )


def test_additional_tools_role_and_computer_call_output_status() -> None:
    tools = {"type": "additional_tools", "role": "system", "tools": []}
    OUTPUT_ITEM.validate_python({**tools, "id": "at_1"})
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(tools)
    assert _errors(exc) == [(("additional_tools", "role"), "literal_error")]

    output = _load(VALID / "output" / "computer_call_output.json")
    assert output["status"] == "failed"
    OUTPUT_ITEM.validate_python(output)
    del output["id"], output["created_by"]
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(output)
    assert _errors(exc) == [(("computer_call_output", "status"), "literal_error")]


@pytest.mark.parametrize("kind", ["compaction_trigger", "item_reference"])
def test_input_only_types_are_not_output_items(kind: str) -> None:
    with pytest.raises(ValidationError) as exc:
        OUTPUT_ITEM.validate_python({"type": kind, "id": "x"})
    assert _errors(exc) == [((), "union_tag_invalid")]


# --- §5.6 arguments are strings -------------------------------------------------------------


@pytest.mark.parametrize("tag", ["function_call", "mcp_call", "mcp_approval_request"])
def test_arguments_must_be_a_json_string(tag: str) -> None:
    item = _load(VALID / "input" / f"{tag}.json")
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({**item, "arguments": {"city": "Paris"}})
    assert _errors(exc) == [((tag, "arguments"), "string_type")]


def test_tool_search_arguments_are_an_object() -> None:
    item = _load(VALID / "input" / "tool_search_call.json")
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({**item, "arguments": "{}"})
    assert _errors(exc) == [(("tool_search_call", "arguments"), "dict_type")]


# --- §5.7 limits -----------------------------------------------------------------------------


def test_items_count_limits() -> None:
    one = {"role": "user", "content": "hi"}
    m.ItemCreateBody.model_validate({"items": [one] * 20})
    with pytest.raises(ValidationError) as exc:
        m.ItemCreateBody.model_validate({"items": [one] * 21})
    assert _errors(exc) == [(("items",), "too_long")]
    m.ItemCreateBody.model_validate({"items": []})  # no minItems in the OpenAPI document


@pytest.mark.parametrize(
    ("tag", "bounded"),
    [
        ("computer_call_output", True),
        ("function_call_output", True),
        ("shell_call", True),
        ("shell_call_output", True),
        ("apply_patch_call", True),
        ("apply_patch_call_output", True),
        ("program", True),
        ("program_output", True),
        ("tool_search_call", True),
        ("tool_search_output", True),
        ("function_call", False),
        ("computer_call", False),
        ("custom_tool_call", False),
        ("custom_tool_call_output", False),
    ],
)
def test_call_id_length(tag: str, bounded: bool) -> None:
    item = _load(VALID / "input" / f"{tag}.json")
    INPUT_ITEM.validate_python({**item, "call_id": "c" * 64})
    long = {**item, "call_id": "c" * 65}
    if not bounded:
        INPUT_ITEM.validate_python(long)
        return
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(long)
    assert _errors(exc) == [((tag, "call_id"), "string_too_long")]


def test_other_string_limits() -> None:
    fco = _load(VALID / "input" / "function_call_output.json")
    cases: list[tuple[dict[str, Any], tuple[Any, ...], str]] = [
        ({**fco, "name": "n" * 129}, ("function_call_output", "name"), "string_too_long"),
        (
            {**fco, "namespace": "has space"},
            ("function_call_output", "namespace"),
            "string_pattern_mismatch",
        ),
        (
            {**fco, "caller": {"type": "program", "caller_id": ""}},
            ("function_call_output", "caller", "program", "caller_id"),
            "string_too_short",
        ),
        (
            {
                "type": "apply_patch_call",
                "call_id": "c",
                "status": "completed",
                "operation": {"type": "delete_file", "path": ""},
            },
            ("apply_patch_call", "operation", "delete_file", "path"),
            "string_too_short",
        ),
    ]
    for item, loc, kind in cases:
        with pytest.raises(ValidationError) as exc:
            INPUT_ITEM.validate_python(item)
        assert _errors(exc) == [(loc, kind)]


def test_size_maxima() -> None:
    fco = _load(VALID / "input" / "function_call_output.json")
    INPUT_ITEM.validate_python({**fco, "output": "x" * MAX_10MB})
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({**fco, "output": "x" * (MAX_10MB + 1)})
    assert _errors(exc) == [(("function_call_output", "output", "text"), "string_too_long")]
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(
            {"type": "compaction", "encrypted_content": "x" * (MAX_20MB + 1)}
        )
    assert _errors(exc) == [(("compaction", "encrypted_content"), "string_too_long")]


def test_string_or_list_gives_one_error() -> None:
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({"role": "user", "content": 42})
    assert _errors(exc) == [(("message.easy", "content"), "string_or_list_type")]
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({"role": "user", "content": [{"type": "input_video"}]})
    assert _errors(exc) == [(("message.input", "content", 0), "union_tag_invalid")]


# --- §5.8 no coercion ------------------------------------------------------------------------


def test_no_coercion() -> None:
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python(
            {"type": "mcp_approval_response", "approval_request_id": "r", "approve": "true"}
        )
    assert _errors(exc) == [(("mcp_approval_response", "approve"), "bool_type")]
    with pytest.raises(ValidationError) as exc:
        TypeAdapter(m.ComputerActionParam).validate_json('{"type": "move", "x": "10", "y": 2}')
    assert _errors(exc) == [(("move", "x"), "int_type")]
    conversation = _load(VALID / "envelopes" / "conversation.json")
    with pytest.raises(ValidationError) as exc:
        m.Conversation.model_validate_json(
            json.dumps({**conversation, "created_at": "2025-03-14T00:00:00Z"})
        )
    assert _errors(exc) == [(("created_at",), "int_type")]


# --- extras: forbidden on requests, kept on responses ------------------------------------------


def test_unknown_keys() -> None:
    fc = _load(VALID / "input" / "function_call--full.json")
    with pytest.raises(ValidationError) as exc:
        INPUT_ITEM.validate_python({**fc, "colour": "red"})
    assert _errors(exc) == [(("function_call", "colour"), "extra_forbidden")]
    out = _load(VALID / "output" / "message.json")
    out["content"][0]["annotations"][0]["brand_new"] = 1
    item = OUTPUT_ITEM.validate_python({**out, "also_new": True})
    assert _extras(item) == ["also_new", "brand_new"]


# --- query models ----------------------------------------------------------------------------


def test_list_query() -> None:
    q = m.ItemListQuery.model_validate({})
    assert (q.limit, q.order, q.after, q.include) == (20, "desc", None, None)
    q = m.ItemListQuery.model_validate(
        {
            "limit": "100",
            "order": "asc",
            "after": "msg_1",
            "include": ["reasoning.encrypted_content"],
        }
    )
    assert q.limit == 100
    for bad, kind in [
        ("101", "less_than_equal"),
        ("0", "greater_than_equal"),
        ("ten", "int_parsing"),
    ]:
        with pytest.raises(ValidationError) as exc:
            m.ItemListQuery.model_validate({"limit": bad})
        assert _errors(exc) == [(("limit",), kind)]
    with pytest.raises(ValidationError) as exc:
        m.ItemListQuery.model_validate({"order": "up", "include": ["nope"], "page": "2"})
    assert _errors(exc) == [
        (("include", 0), "literal_error"),
        (("order",), "literal_error"),
        (("page",), "extra_forbidden"),
    ]


def test_other_queries() -> None:
    m.ItemCreateQuery.model_validate({"include": ["message.output_text.logprobs"]})
    m.ItemRetrieveQuery.model_validate({"include": ["code_interpreter_call.outputs"]})
    m.ItemDeleteQuery.model_validate({})
    with pytest.raises(ValidationError) as exc:
        m.ItemDeleteQuery.model_validate({"include": ["x"]})
    assert _errors(exc) == [(("include",), "extra_forbidden")]


# --- conversation-level bodies -----------------------------------------------------------------


def test_metadata_limits() -> None:
    m.ConversationUpdateBody.model_validate({"metadata": {f"k{i}": "v" for i in range(16)}})
    for metadata, loc, kind in [
        ({f"k{i}": "v" for i in range(17)}, ("metadata",), "too_long"),
        ({"k" * 65: "v"}, ("metadata", "k" * 65, "[key]"), "string_too_long"),
        ({"k": "v" * 513}, ("metadata", "k"), "string_too_long"),
        ({"k": 1}, ("metadata", "k"), "string_type"),
    ]:
        with pytest.raises(ValidationError) as exc:
            m.ConversationUpdateBody.model_validate({"metadata": metadata})
        assert _errors(exc) == [(loc, kind)]
    with pytest.raises(ValidationError):
        m.ConversationUpdateBody.model_validate({})
    m.ConversationCreateBody.model_validate({})
    with pytest.raises(ValidationError) as exc:
        m.ConversationCreateBody.model_validate({"items": [{"id": "x"}] * 21})
    assert _errors(exc) == [(("items",), "too_long")]


def test_error_response_requires_all_four_keys() -> None:
    m.ErrorResponse.model_validate(
        {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}
    )
    with pytest.raises(ValidationError) as exc:
        m.ErrorResponse.model_validate({"error": {"message": "m", "type": "server_error"}})
    assert _errors(exc) == [(("error", "param"), "missing"), (("error", "code"), "missing")]


# --- the SDK the reference follows --------------------------------------------------------------


def _sdk_fields_param(td: Any) -> tuple[set[str], set[str]]:
    import typing_extensions as te

    hints = te.get_type_hints(td, include_extras=True)
    required = {k for k, v in hints.items() if te.get_origin(v) is te.Required}
    return required, set(hints) - required


def _model_fields(cls: type[BaseModel]) -> tuple[set[str], set[str]]:
    fields = {(f.alias or n): f for n, f in cls.model_fields.items()}
    required = {k for k, f in fields.items() if f.is_required()}
    return required, set(fields) - required


def _sdk_357() -> None:
    import openai

    if openai.__version__ != "3.57.0":
        pytest.skip(f"the reference follows openai 3.57.0, installed is {openai.__version__}")


def test_input_variants_have_the_sdk_field_sets() -> None:
    """Required and optional keys of all 33 variants equal SDK 3.57.0's param TypedDicts."""
    import typing

    _sdk_357()
    from openai.types.responses import response_input_item_param as sdk

    by_name = {
        "EasyInputMessageParam": "message.easy",
        "Message": "message.input",
        "ResponseOutputMessageParam": "message.output",
        "ItemReference": "item_reference",
    }
    members = typing.get_args(sdk.ResponseInputItemParam)
    assert len(members) == 33
    for td in members:
        required, optional = _sdk_fields_param(td)
        tag = by_name.get(td.__name__) or typing.get_args(_type_hint(td))[0]
        assert _model_fields(INPUT_VARIANTS[tag]) == (required, optional), tag


def _type_hint(td: Any) -> Any:
    import typing_extensions as te

    return te.get_type_hints(td)["type"]


def test_output_variants_have_the_sdk_field_sets() -> None:
    import typing

    _sdk_357()
    from openai.types.conversations import conversation_item as sdk

    members = typing.get_args(typing.get_args(sdk.ConversationItem)[0])
    assert len(members) == 29
    for model in members:
        kind = typing.get_args(model.model_fields["type"].annotation)[0]
        assert _model_fields(OUTPUT_VARIANTS[kind]) == _model_fields(model), kind
