"""Cassette bytes -> exchanges, with errors that name the file and the line.

YAML is parsed with libyaml's safe loader (as vcrpy does), plus the few harmless
Python tags old vcrpy cassettes carry. Lines of structural errors are found by composing
the document again, only on the error path, so the happy path pays for one parse.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import yaml

from .cassette_body import InteractionError, interaction_to_exchange
from .errors import CassetteError
from .exchange import Exchange

_BaseLoader: Any
try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader

_RERECORD = "fix it by hand, or delete the cassette and record it again"


class CassetteLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loading, plus the benign tags vcrpy's own loader accepts."""


def _python_str(loader: Any, node: Any) -> Any:
    return loader.construct_scalar(node)


def _python_tuple(loader: Any, node: Any) -> Any:
    return tuple(loader.construct_sequence(node))


def _bytesio(loader: Any, node: Any) -> Any:
    mapping = loader.construct_mapping(node, deep=True)
    state = mapping.get("state") or (b"",)
    data = state[0] if state else b""
    return io.BytesIO(data.encode("utf-8") if isinstance(data, str) else (data or b""))


def _iter(loader: Any, node: Any) -> Any:
    mapping = loader.construct_mapping(node, deep=True)
    args: Any = mapping.get("args") or ([],)
    return list(args[0] if args else [])


CassetteLoader.add_constructor("tag:yaml.org,2002:python/str", _python_str)
CassetteLoader.add_constructor("tag:yaml.org,2002:python/unicode", _python_str)
CassetteLoader.add_constructor("tag:yaml.org,2002:python/tuple", _python_tuple)
CassetteLoader.add_constructor("tag:yaml.org,2002:python/object/new:_io.BytesIO", _bytesio)
CassetteLoader.add_constructor("tag:yaml.org,2002:python/object/apply:builtins.iter", _iter)


def _yaml_lines(data: bytes) -> tuple[int | None, dict[int, int]]:
    """(line of `version`, {interaction index: line}), 1-based; best effort."""
    try:
        root = yaml.compose(data, Loader=CassetteLoader)
    except yaml.YAMLError:
        return None, {}
    version_line = None
    lines: dict[int, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "version":
                version_line = key.start_mark.line + 1
            elif key.value == "interactions" and isinstance(value, yaml.SequenceNode):
                lines = {i: n.start_mark.line + 1 for i, n in enumerate(value.value)}
    return version_line, lines


def _load_document(path: Path, data: bytes, json_format: bool) -> Any:
    if json_format:
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise CassetteError(
                f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); "
                + _RERECORD
            ) from exc
        except UnicodeDecodeError as exc:
            raise CassetteError(f"{path}: not UTF-8 text ({exc}); " + _RERECORD) from exc
    try:
        return yaml.load(data, Loader=CassetteLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        # An unclosed `[` or quote is noticed lines later; where it opened is the fix.
        start = exc.context_mark
        if exc.context and start is not None and mark is not None and start.line != mark.line:
            problem += f", {exc.context} at line {start.line + 1}, column {start.column + 1}"
        raise CassetteError(f"{path}: {where}not valid YAML ({problem}); " + _RERECORD) from exc
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path}: not valid YAML ({exc}); " + _RERECORD) from exc


def parse_cassette(path: Path, data: bytes, *, json_format: bool) -> list[Exchange]:
    document = _load_document(path, data, json_format)

    def lines() -> tuple[int | None, dict[int, int]]:
        return (None, {}) if json_format else _yaml_lines(data)

    if isinstance(document, list) and document and isinstance(document[0], dict):
        raise CassetteError(
            f"{path}: a cassette from vcrpy before 1.0 (a bare list, no `version`); "
            "delete it and record it again"
        )
    if not isinstance(document, dict):
        raise CassetteError(
            f"{path}: not a cassette (expected a mapping with `interactions` and `version`, "
            f"found {type(document).__name__}); " + _RERECORD
        )
    if "version" not in document:
        raise CassetteError(
            f"{path}: `version` is missing; a vcrpy cassette ends with `version: 1`. Add it if "
            "this is a version 1 cassette, else " + _RERECORD
        )
    version = document["version"]
    if version != 1:
        line = lines()[0]
        at = f"line {line}: " if line else ""
        raise CassetteError(
            f"{path}: {at}unknown cassette format version {version!r}; this reader knows "
            "version 1 (vcrpy >= 1.0). " + _RERECORD.capitalize()
        )
    interactions = document.get("interactions")
    if not isinstance(interactions, list):
        raise CassetteError(
            f"{path}: `interactions` is missing or not a list (use `interactions: []` for an "
            "empty cassette); " + _RERECORD
        )
    source = str(path)
    out = []
    for i, item in enumerate(interactions):
        try:
            out.append(interaction_to_exchange(item, source=source, index=i))
        except InteractionError as exc:
            line = lines()[1].get(i)
            at = f"line {line}, " if line else ""
            fix = "" if "record" in str(exc) else "; " + _RERECORD
            raise CassetteError(f"{path}: {at}interaction {i}: {exc}{fix}") from exc
    return out
