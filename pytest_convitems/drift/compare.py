"""Compare two shapes with DeepDiff and classify what changed by what it breaks.

Responses (what clients read):
  breaking  field_removed (of a field that was always present), became_optional (no longer
            always present), type_changed (a new JSON type), became_nullable
  warning   variant_added, enum_value_added (exhaustive client code breaks);
            variant_removed, enum_value_removed, field_removed of a field only sometimes
            present: no client breaks when the API stops sending what it may send (the SDK
            and our models accept a response without it), but a test asserting on it does,
            and a recording that merely did not cover it looks the same (oasdiff: a removed
            optional response property is a warning, a removed required one an error)
  info      field_added, became_required, type_changed that only narrows
Requests (what our own client sends; the API, not a reader, sees them):
  warning   type_changed (the API may refuse the new type)
  info      everything else (e.g. a new variant sent)

A context (endpoint, direction, status class) seen on one side only, and objects that exist
only under a new field or variant, are not compared: the field or variant change covers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff

from ..redact import DEFAULT_REDACTOR
from .changes import Change, Severity, fingerprint
from .shapes import Shape, plain_path

_RESPONSE_SEVERITY: dict[str, Severity] = {
    "field_removed": "breaking",
    "became_optional": "breaking",
    "type_changed": "breaking",
    "became_nullable": "breaking",
    "enum_value_removed": "warning",
    "variant_removed": "warning",
    "variant_added": "warning",
    "enum_value_added": "warning",
    "field_added": "info",
    "became_required": "info",
}


def classify(
    change: str, direction: str, *, narrowing: bool = False, optional: bool = False
) -> Severity:
    """`optional`: the field removed was only sometimes present (a client already copes)."""
    if direction == "request":
        return "warning" if change == "type_changed" and not narrowing else "info"
    if narrowing:
        return "info"
    if change == "field_removed" and optional:
        return "warning"
    return _RESPONSE_SEVERITY.get(change, "info")


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)
    compared: list[str] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)


def compare_shapes(old: Shape, new: Shape) -> Comparison:
    result = Comparison(
        compared=sorted(set(old) & set(new)),
        only_old=sorted(set(old) - set(new)),
        only_new=sorted(set(new) - set(old)),
    )
    # threshold 0: deepdiff 8 reports a dict sharing under a third of its keys as one new
    # value, which hid a restructured item, a wrapped body or renamed part fields.
    diff = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    emitter = _Emitter(old, new, result.changes)
    type_fields: set[tuple[str, str, str, str]] = set()
    for report_type, levels in diff.items():
        for level in levels:
            path = level.path(output_format="list")
            if len(path) < 2:
                continue
            context, variant = path[0], path[1]
            if len(path) == 2:
                if variant:
                    added = report_type == "dictionary_item_added"
                    emitter.variant(context, variant, added)
            elif len(path) == 3:
                emitter.kind(context, variant, path[2], report_type == "dictionary_item_added")
            elif len(path) == 4:
                if "/" in path[3]:
                    continue  # element types of an array first seen non-empty: coverage
                emitter.field(context, variant, path[2], path[3], report_type)
            elif path[4] == "types":
                type_fields.add((context, variant, path[2], path[3]))
            elif path[4] == "presence":
                emitter.presence(context, variant, path[2], path[3], level.t1, level.t2)
            elif path[4] == "nullable":
                if level.t2 is True:
                    emitter.nullable(context, variant, path[2], path[3])
            elif path[4] == "values":
                if report_type == "set_item_added":
                    emitter.emit(
                        context, variant, path[2], path[3], "enum_value_added", None, level.t2
                    )
                elif report_type == "set_item_removed":
                    emitter.emit(
                        context, variant, path[2], path[3], "enum_value_removed", level.t1, None
                    )
    for context, variant, kind, name in sorted(type_fields):
        emitter.types(context, variant, kind, name)
    for context in result.compared:
        for variant in sorted(set(old[context]) & set(new[context])):
            emitter.elements(context, variant)
    result.changes.sort(key=Change.sort_key)
    return result


def _element_types(kinds: dict[str, dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(object kind, array segment such as `tags/*`) -> what its elements were seen as.

    The shape files an array's scalar elements as a field `tags/*` of the object holding it,
    its object elements as object kinds of their own (`/tags/*` or `/tags/*<type>`), and an
    array of arrays one `/*` deeper: this gathers the three, so that strings becoming objects
    (which no single field of the shape records) is a type change like any other."""
    out: dict[tuple[str, str], set[str]] = {}
    for kind, fields in kinds.items():
        for name, entry in fields.items():
            if "/" in name:  # scalars in an array; each `/*` above them holds arrays
                out.setdefault((kind, name), set()).update(entry["types"])
                _add_enclosing(out, kind, name, "array")
        # An object kind sitting in an array: its parent kind and segment get "object".
        parts = (kind[: kind.rindex("<")] if kind.endswith(">") else kind).split("/")
        depth = 0
        while parts and parts[-1] == "*":
            parts.pop()
            depth += 1
        if depth and len(parts) > 1:
            segment = parts.pop() + "/*" * depth
            parent = "/".join(parts)
            out.setdefault((parent, segment), set()).add("object")
            _add_enclosing(out, parent, segment, "array")
    return out


def _add_enclosing(out: dict[tuple[str, str], set[str]], kind: str, segment: str, t: str) -> None:
    """`grid/*/*` holds scalars, so `grid/*` holds arrays."""
    while segment.count("/") > 1:
        segment = segment.rsplit("/", 1)[0]
        out.setdefault((kind, segment), set()).add(t)


def _types_text(types: Any) -> str:
    return "|".join(sorted(types)) if types else "null"


def _parts(kind: str) -> list[str]:
    """The `<type>` markers on the way to an object kind: the sub-variants it sits in."""
    out: list[str] = []
    rest = kind
    while "<" in rest:
        start = rest.index("<")
        end = rest.index(">", start)
        out.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    return out


class _Emitter:
    def __init__(self, old: Shape, new: Shape, out: list[Change]) -> None:
        self.old = old
        self.new = new
        self.out = out

    def emit(
        self,
        context: str,
        variant: str,
        kind: str,
        name: str | None,
        change: str,
        old: Any,
        new: Any,
        *,
        narrowing: bool = False,
        optional: bool = False,
        detail: str = "",
        key: tuple[Any, Any] | None = None,
    ) -> None:
        """`key`: the (old, new) the fingerprint hashes, when what is shown says it better."""
        endpoint, direction, *rest = context.split(" ")
        status = rest[0] if rest else None
        where = kind if name is None else f"{kind}/{name}"
        path = plain_path(where)
        # The fingerprint is of what was seen; what is shown never repeats a key that a live
        # run or an old cassette carried in an enum-like field (reports reach CI logs).
        seen = fingerprint(
            endpoint, direction, variant or None, where, change, *(key or (old, new))
        )
        old, new = _shown(old), _shown(new)
        path, variant = _shown(path), _shown(variant)  # a key used as a field name or type
        severity = classify(change, direction, narrowing=narrowing, optional=optional)
        who = f"`{variant}` items" if variant else "the body"
        parts = _parts(kind)
        inside = f" (in `{'` > `'.join(parts)}` objects)" if parts else ""
        text = change.replace("_", " ")
        olds = "" if old is None else f" old: {_fmt(old)}"
        news = "" if new is None else f" new: {_fmt(new)}"
        message = (
            f"{endpoint} {direction}{' ' + status if status else ''}: {text} at "
            f"{path or '/'} of {who}{inside}{detail};{olds}{news}".rstrip(";")
        )
        self.out.append(
            Change(
                severity=severity,
                change=change,
                endpoint=endpoint,
                direction=direction,
                variant=variant or None,
                path=path,
                old=old,
                new=new,
                message=message,
                fingerprint=seen,
                status=status,
            )
        )

    def variant(self, context: str, variant: str, added: bool) -> None:
        if added:
            self.emit(context, variant, "", None, "variant_added", None, variant)
        else:
            self.emit(context, variant, "", None, "variant_removed", variant, None)

    def kind(self, context: str, variant: str, kind: str, added: bool) -> None:
        """A nested object kind on one side only: a new/gone sub-variant if its siblings exist."""
        if not kind.endswith(">"):
            return
        base = kind[: kind.rindex("<")]
        other = (self.old if added else self.new).get(context, {}).get(variant, {})
        siblings = any(
            k != kind and k.startswith(base + "<") and "/" not in k[len(base) :] for k in other
        )
        if not siblings:
            return
        objtype = kind[kind.rindex("<") + 1 : -1]
        if added:
            self.emit(context, variant, base, None, "variant_added", None, objtype)
        else:
            self.emit(context, variant, base, None, "variant_removed", objtype, None)

    def field(self, context: str, variant: str, kind: str, name: str, report_type: str) -> None:
        if report_type == "dictionary_item_added":
            f = self.new[context][variant][kind][name]
            self.emit(context, variant, kind, name, "field_added", None, _types_text(f["types"]))
        elif report_type == "dictionary_item_removed":
            f = self.old[context][variant][kind][name]
            self.emit(
                context,
                variant,
                kind,
                name,
                "field_removed",
                _types_text(f["types"]),
                None,
                optional=f["presence"] != "always",
            )

    def nullable(self, context: str, variant: str, kind: str, name: str) -> None:
        old: set[str] = self.old[context][variant][kind][name]["types"]
        new: set[str] = self.new[context][variant][kind][name]["types"]
        # Shown as types ("string" -> "null|string"); hashed as the flag it always was, so
        # reviewed ignore entries keep matching.
        self.emit(
            context,
            variant,
            kind,
            name,
            "became_nullable",
            _types_text(old),
            _types_text(new | {"null"}),
            key=(False, True),
        )

    def presence(
        self, context: str, variant: str, kind: str, name: str, old: Any, new: Any
    ) -> None:
        if old == "always" and new == "sometimes":
            self.emit(context, variant, kind, name, "became_optional", old, new)
        elif old == "sometimes" and new == "always":
            self.emit(context, variant, kind, name, "became_required", old, new)

    def elements(self, context: str, variant: str) -> None:
        """Arrays whose elements changed between scalars, objects and arrays."""
        old = _element_types(self.old[context][variant])
        new = _element_types(self.new[context][variant])
        for kind, segment in sorted(set(old) & set(new)):
            before, after = old[kind, segment], new[kind, segment]
            containers = {"object", "array"}
            both_scalars = before - containers and after - containers
            if both_scalars and (before & containers) == (after & containers):
                continue  # only the scalars differ, and `types` compares those
            if not before or not after or before == after:
                continue
            added = after - before
            if "integer" in added and "number" in before:
                added.discard("integer")
            self.emit(
                context,
                variant,
                kind,
                segment,
                "type_changed",
                _types_text(before),
                _types_text(after),
                narrowing=not added,
            )

    def types(self, context: str, variant: str, kind: str, name: str) -> None:
        old: set[str] = self.old[context][variant][kind][name]["types"]
        new: set[str] = self.new[context][variant][kind][name]["types"]
        if not new:
            return  # now only null: `became_nullable` says it
        if not old:
            # Only null was recorded before: not a break (the field was there and nullable),
            # but a reader never saw this value's shape, so it is shown.
            before, narrowing = "null", True
        else:
            added = new - old
            removed = old - new
            if "integer" in added and "number" in old:
                added.discard("integer")  # an int is a number
            if "integer" in removed and "number" in new:
                removed.discard("integer")
            if not added and not removed:
                return
            before, narrowing = _types_text(old), not added
        self.emit(
            context,
            variant,
            kind,
            name,
            "type_changed",
            before,
            _types_text(new),
            narrowing=narrowing,
        )


def _shown(value: Any) -> Any:
    return DEFAULT_REDACTOR.text(value) if isinstance(value, str) else value


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
