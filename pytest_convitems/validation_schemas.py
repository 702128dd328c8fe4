"""Validators derived from the models' core schemas (built once, at import, by `validation`).

`drift_validator` compiles a response schema a second time so that every unknown field is
an error: what the declared models keep as extras, this one reports, in the same single
pydantic-core pass that checks everything else.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import CoreSchema, SchemaValidator


def _model_configs(schema: Any) -> list[dict[str, Any]]:
    if isinstance(schema, list):
        return [c for s in schema for c in _model_configs(s)]
    if not isinstance(schema, dict):
        return []
    found = [c for v in schema.values() for c in _model_configs(v)]
    if schema.get("type") == "model":
        found.append(schema.get("config") or {})
    return found


def _unwrap_models(schema: Any) -> Any:
    """A copy of a core schema with every model node replaced by its fields, extras forbidden.

    Building model instances is a fifth of the cost of validating a list body, and only
    the errors matter here. Valid only when every model shares one config, which then
    applies to the whole validator (see `drift_validator`).
    """
    if isinstance(schema, list):
        return [_unwrap_models(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _unwrap_models(v) for k, v in schema.items()}
    kind = out.get("type")
    if kind == "model":
        inner = dict(out["schema"])
        if "ref" in out:
            inner["ref"] = out["ref"]
        out = inner
        kind = out.get("type")
    if kind in ("model-fields", "typed-dict") and out.get("extra_behavior", "allow") == "allow":
        out["extra_behavior"] = "forbid"
        out.pop("extras_schema", None)
    return out


def drift_validator(schema: CoreSchema) -> SchemaValidator:
    """The response schema, compiled again so that every unknown field is an error."""
    configs = [{k: v for k, v in c.items() if k != "title"} for c in _model_configs(schema)]
    if configs and all(c == configs[0] for c in configs):
        config = dict(configs[0], extra_fields_behavior="forbid")
        return SchemaValidator(_unwrap_models(schema), config)  # type: ignore[arg-type]
    return SchemaValidator(_stand_in_models(schema))


_STAND_INS: dict[type, type] = {}


def _stand_in_models(schema: Any) -> Any:
    """Fallback for mixed configs: keep model nodes (and their configs), forbid extras.

    pydantic-core reuses a complete model's own (extras-allowing) validator for any
    schema naming that class, so each class is swapped for a plain stand-in.
    """
    if isinstance(schema, list):
        return [_stand_in_models(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _stand_in_models(v) for k, v in schema.items()}
    if out.get("type") == "model":
        config = dict(out.get("config") or {})
        if config.get("extra_fields_behavior") == "allow":
            config["extra_fields_behavior"] = "forbid"
        cls = out["cls"]
        if cls not in _STAND_INS:
            _STAND_INS[cls] = type(cls.__name__, (), {"__module__": __name__})
        out.update(config=config, cls=_STAND_INS[cls], custom_init=False)
        out.pop("post_init", None)
    elif out.get("type") in ("model-fields", "typed-dict") and out.get("extra_behavior") == "allow":
        out["extra_behavior"] = "forbid"
    return out


def union_tags(schema: Any) -> set[str]:
    """Every tag of every tagged union in a core schema (`message.easy` -> `message`)."""
    if isinstance(schema, list):
        return {t for s in schema for t in union_tags(s)}
    if not isinstance(schema, dict):
        return set()
    found = {t for v in schema.values() for t in union_tags(v)}
    if schema.get("type") == "tagged-union":
        found |= {str(tag).split(".", 1)[0] for tag in schema["choices"]}
    return found
