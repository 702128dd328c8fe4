"""Compare two shapes with DeepDiff and classify what changed by what it breaks.

Responses (what clients read):
  breaking  field_removed (of a field that was always present), became_optional (no longer
            always present), type_changed (a new JSON type; a body no longer JSON),
            became_nullable, status_changed (an endpoint's 2xx answers became errors)
  warning   variant_added, enum_value_added (exhaustive client code breaks);
            variant_removed, enum_value_removed, field_removed of a field only sometimes
            present: no client breaks when the API stops sending what it may send (the SDK
            and our models accept a response without it), but a test asserting on it does,
            and a recording that merely did not cover it looks the same (oasdiff: a removed
            optional response property is a warning, a removed required one an error);
            status_changed between error codes, or from an error to a success; a 4xx/5xx
            body no longer JSON (a gateway's page: clients handle it as the error anyway)
  info      field_added, became_required, type_changed that only narrows; an error
            body's error.type values (which errors a run met: not a variant)
Requests (what our own client sends; the API, not a reader, sees them):
  warning   type_changed (the API may refuse the new type)
  info      everything else (e.g. a new variant sent)

Where nothing was seen to compare with (a field only ever null, an array only ever empty),
the models say what a client expects: a value of a kind they do not allow is a type change
(breaking), one they allow stays info. Where they declare a float, an integer and a
number are one kind (a score 1 in OLD, 0.93 in NEW).

A context (endpoint, direction, status class) seen on one side only is not compared, unless
the same endpoint answers with another status class on the other side (`status_changed`).
One change is reported once: what lies inside a container whose kind changed (`data` now
null, an object, or a body no longer JSON) is not reported again as removed, nor is an enum
value whose field no longer holds strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deepdiff import DeepDiff

from ..redact import DEFAULT_REDACTOR
from .changes import Change, Severity, fingerprint
from .shapes import BODY, ITEM_ARRAYS, UNTYPED, FieldShape, Shape, plain_path
from .untyped import pair_untyped, type_dropped

if TYPE_CHECKING:
    from .model_types import Allowed

_RESPONSE_SEVERITY: dict[str, Severity] = {
    "field_removed": "breaking",
    "became_optional": "breaking",
    "type_changed": "breaking",
    "became_nullable": "breaking",
    "status_changed": "breaking",
    "enum_value_removed": "warning",
    "variant_removed": "warning",
    "variant_added": "warning",
    "enum_value_added": "warning",
    "field_added": "info",
    "became_required": "info",
}

_CONTAINERS = frozenset({"object", "array"})
_NUMBERS = frozenset({"integer", "number"})


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
    old, new = pair_untyped(old, new)
    result = Comparison(
        compared=sorted(set(old) & set(new)),
        only_old=sorted(set(old) - set(new)),
        only_new=sorted(set(new) - set(old)),
    )
    # threshold 0: deepdiff 8 reports a dict sharing under a third of its keys as one new
    # value, which hid a restructured item, a wrapped body or renamed part fields.
    diff = DeepDiff(old, new, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    emitter = _Emitter(old, new)
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
                continue
            if path[2] == BODY:
                continue  # statuses and body kinds: `answers` compares them
            if len(path) == 3:
                emitter.kind(context, variant, path[2], report_type == "dictionary_item_added")
            elif "/" in path[3]:
                continue  # an array's elements: `elements` compares them, whole
            elif len(path) == 4:
                emitter.field(context, variant, path[2], path[3], report_type)
            elif path[4] == "types":
                type_fields.add((context, variant, path[2], path[3]))
            elif path[4] == "presence":
                emitter.presence(context, variant, path[2], path[3], level.t1, level.t2)
            elif path[4] == "nullable":
                if level.t2 is True:
                    emitter.nullable(context, variant, path[2], path[3])
            elif path[4] == "values":
                emitter.values(context, variant, path[2], path[3], report_type, level)
    for context, variant, kind, name in sorted(type_fields):
        emitter.types(context, variant, kind, name)
    for context in result.compared:
        for variant in sorted(set(old[context]) & set(new[context])):
            emitter.elements(context, variant)
    for context, variant, place, typed, change in type_dropped(old, new):
        emitter.type_dropped(context, variant, place, typed, change)
    emitter.answers(result)
    result.changes = sorted(emitter.kept(), key=Change.sort_key)
    return result


def _element_types(
    kinds: dict[str, dict[str, FieldShape]], items: str | None = None
) -> dict[tuple[str, str], set[str]]:
    """(object kind, array segment such as `tags/*`) -> what its elements were seen as
    (`null` among them when one was null).

    The shape files an array's scalar elements as a field `tags/*` of the object holding it,
    its object elements as object kinds of their own (`/tags/*` or `/tags/*<type>`), and an
    array of arrays one `/*` deeper: this gathers the three, so that strings becoming objects
    (which no single field of the shape records) is a type change like any other. `items`:
    the body's item array segment (`data/*`) when items were seen, which the shape files as
    variants of their own."""
    out: dict[tuple[str, str], set[str]] = {}
    if items is not None:
        out[("", items)] = {"object"}
    for kind, fields in kinds.items():
        for name, entry in fields.items():
            if "/" in name:  # scalars in an array; each `/*` above them holds arrays
                seen = out.setdefault((kind, name), set())
                seen.update(entry["types"])
                if entry["nullable"]:
                    seen.add("null")
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


def _within(types: set[str], allowed: frozenset[str] | set[str]) -> bool:
    """Every type in `types` is allowed (an integer is a number)."""
    return all(t in allowed or (t == "integer" and "number" in allowed) for t in types)


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


def _items_segment(context: str) -> str | None:
    """The item array's element segment of a context's body (`data/*`), if it has one."""
    endpoint, direction, *rest = context.split(" ")
    key = ITEM_ARRAYS.get((endpoint, direction))
    return f"{key}/*" if key is not None and rest in ([], ["2xx"]) else None


_BODY_WORDS = {
    "object": "a JSON object",
    "array": "a JSON array",
    "string": "a JSON string",
    "integer": "a JSON number",
    "number": "a JSON number",
    "boolean": "a JSON boolean",
    "null": "JSON null",
    "text": "not JSON",
    "empty": "empty",
}


def _bodies(kinds: set[str]) -> str:
    return " or ".join(sorted({_BODY_WORDS.get(k, k) for k in kinds}))


@dataclass(frozen=True)
class _Cover:
    """Changes one reported change already says: not reported again."""

    context: str
    variants: frozenset[str] | None
    """None: every variant, the body's too."""
    under: str | None
    """Only what lies under this place (`/data` covers `/data/*`, `/action<click>/x`);
    None: everything in those variants."""
    by: int
    """The covering change (never dropped by its own cover)."""

    def covers(self, index: int, context: str, variant: str, where: str) -> bool:
        if index == self.by or context != self.context:
            return False
        if self.variants is not None and variant not in self.variants:
            return False
        if self.under is None:
            return True
        n = len(self.under)
        return len(where) > n and where.startswith(self.under) and where[n] in "/<"


class _Emitter:
    def __init__(self, old: Shape, new: Shape) -> None:
        self.old = old
        self.new = new
        self.out: list[Change] = []
        self.places: list[tuple[str, str, str]] = []
        self.covers: list[_Cover] = []

    def kept(self) -> list[Change]:
        return [
            change
            for i, (change, place) in enumerate(zip(self.out, self.places, strict=True))
            if not any(cover.covers(i, *place) for cover in self.covers)
        ]

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
        severity: Severity | None = None,
        message: str = "",
        by_status: bool = False,
    ) -> int:
        """Record one change; its index (for a cover). `key`: the (old, new) the fingerprint
        hashes, when what is shown says it better; `message`: one that says it better than
        the generic sentence; `by_status`: the status class enters the fingerprint."""
        endpoint, direction, *rest = context.split(" ")
        status = rest[0] if rest else None
        where = kind if name is None else f"{kind}/{name}"
        path = plain_path(where)
        # The fingerprint is of what was seen; what is shown never repeats a key that a live
        # run or an old cassette carried in an enum-like field (reports reach CI logs).
        seen = fingerprint(
            endpoint,
            direction,
            variant or None,
            where,
            change,
            *(key or (old, new)),
            status=status if by_status else None,
        )
        old, new = _shown(old), _shown(new)
        path, shown_variant = _shown(path), _shown(variant)  # a key as a field name or type
        if severity is None:
            severity = classify(change, direction, narrowing=narrowing, optional=optional)
        if not message:
            who = f"`{shown_variant}` items" if variant else "the body"
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
                variant=shown_variant or None,
                path=path,
                old=old,
                new=new,
                message=_shown(message),
                fingerprint=seen,
                status=status,
            )
        )
        self.places.append((context, variant, where))
        return len(self.out) - 1

    def cover_inside(self, by: int, context: str, variant: str, where: str, lost: set[str]) -> None:
        """A container kind (`lost`: object, array) went from `where`: what was inside it
        (and, for the body's item array, every item variant) is said by change `by`."""
        if not lost & _CONTAINERS:
            return
        self.covers.append(_Cover(context, frozenset({variant}), where, by))
        segment = _items_segment(context)
        if variant == "" and segment is not None and where in (f"/{segment[:-2]}", f"/{segment}"):
            items = {v for shape in (self.old, self.new) for v in shape.get(context, {}) if v}
            self.covers.append(_Cover(context, frozenset(items), None, by))

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

    def type_dropped(
        self, context: str, variant: str, place: str, typed: list[str], change: str
    ) -> None:
        """What became of `/type` where no one-for-one pairing said it (`untyped.py`)."""
        listed = ", ".join(typed)
        if variant == UNTYPED:
            fields = sorted(n for n in self.new[context][UNTYPED].get("", {}) if "/" not in n)
            by = self.emit(
                context,
                UNTYPED,
                "",
                "type",
                "field_removed",
                "string",
                None,
                detail=(
                    f" (items that were {listed} carry no `type` now; they hold: "
                    f"{', '.join(fields) or 'nothing'})"
                ),
            )
            self.covers.append(_Cover(context, frozenset({*typed, UNTYPED}), None, by))
            return
        old: Any
        new: Any
        old, new, detail = {
            "field_removed": ("string", None, f"objects there that were {listed} carry none now"),
            "became_optional": ("always", "sometimes", "some objects there carry none now"),
            "field_added": (None, "string", f"objects there untyped before are {listed} now"),
            "became_required": ("sometimes", "always", "objects there untyped before carry one"),
        }[change]
        self.emit(context, variant, place, "type", change, old, new, detail=f" ({detail})")

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

    def values(
        self, context: str, variant: str, kind: str, name: str, report_type: str, level: Any
    ) -> None:
        # error.type (a rate limit's "requests" or "tokens"): which errors a run met, read
        # by a client as the error it already is
        kind_of_error = (
            kind == "/error" and name == "type" and context.endswith(("4xx", "5xx")) and not variant
        )
        severity: Severity | None = "info" if kind_of_error else None
        if report_type == "set_item_added":
            self.emit(
                context, variant, kind, name, "enum_value_added", None, level.t2, severity=severity
            )
        elif report_type == "set_item_removed":
            if "string" not in self.new[context][variant][kind][name]["types"]:
                return  # no strings at all now: the type change (or became_nullable) says it
            self.emit(
                context,
                variant,
                kind,
                name,
                "enum_value_removed",
                level.t1,
                None,
                severity=severity,
            )

    def nullable(self, context: str, variant: str, kind: str, name: str) -> None:
        old: set[str] = self.old[context][variant][kind][name]["types"]
        new: set[str] = self.new[context][variant][kind][name]["types"]
        # Shown as types ("string" -> "null|string"); hashed as the flag it always was, so
        # reviewed ignore entries keep matching.
        by = self.emit(
            context,
            variant,
            kind,
            name,
            "became_nullable",
            _types_text(old),
            _types_text(new | {"null"}),
            key=(False, True),
        )
        self.cover_inside(by, context, variant, f"{kind}/{name}", old - new)

    def presence(
        self, context: str, variant: str, kind: str, name: str, old: Any, new: Any
    ) -> None:
        if old == "always" and new == "sometimes":
            self.emit(context, variant, kind, name, "became_optional", old, new)
        elif old == "sometimes" and new == "always":
            self.emit(context, variant, kind, name, "became_required", old, new)

    def elements(self, context: str, variant: str) -> None:
        """Arrays whose elements changed: in kind (scalars, objects, arrays), or null now."""
        items = _items_segment(context) if variant == "" else None
        old_kinds, new_kinds = self.old[context][variant], self.new[context][variant]
        has_items = [v for v in self.old[context] if v] if items else []
        old = _element_types(old_kinds, items if has_items else None)
        new_items = [v for v in self.new[context] if v] if items else []
        new = _element_types(new_kinds, items if new_items else None)
        for kind, segment in sorted(set(new)):
            after = new[kind, segment] - {"null"}
            became_null = "null" in new[kind, segment]
            if (kind, segment) not in old:
                self._first_elements(context, variant, kind, segment, after, became_null)
                continue
            before = old[kind, segment] - {"null"}
            if became_null and "null" not in old[kind, segment] and before:
                self.emit(
                    context,
                    variant,
                    kind,
                    segment,
                    "became_nullable",
                    _types_text(before),
                    _types_text(before | {"null"}),
                    key=(False, True),
                )
            if not after or before == after:
                continue
            if not before:  # only null elements before
                self._from_null(context, variant, kind, segment, after)
                continue
            added = after - before
            removed = before - after
            if "integer" in added and "number" in before:
                added.discard("integer")
            if "integer" in removed and "number" in after:
                removed.discard("integer")
            if not added and not removed:
                continue
            by = self.emit(
                context,
                variant,
                kind,
                segment,
                "type_changed",
                _types_text(before),
                _types_text(after),
                narrowing=not added,
            )
            self.cover_inside(by, context, variant, f"{kind}/{segment}", removed)

    def _first_elements(
        self, context: str, variant: str, kind: str, segment: str, after: set[str], null: bool
    ) -> None:
        """Elements of an array only ever seen empty before: coverage, unless the models
        say a client expects something else there (strings where objects go)."""
        array = segment.split("/", 1)[0]
        held = self.old[context][variant].get(kind, {}).get(array)
        if held is None or "array" not in held["types"]:
            return  # a new field, or an object kind only NEW has: that change says it
        allowed = _allowed(context, variant, kind, segment)
        if allowed is None:
            return
        expected = allowed.kinds - {"null"}
        if after and not _within(after, expected):
            self.emit(
                context,
                variant,
                kind,
                segment,
                "type_changed",
                _types_text(expected),
                _types_text(after),
                detail=(
                    f" (only ever seen empty before; {allowed.model} holds "
                    f"{_types_text(expected)} there)"
                ),
            )
        if null and "null" not in allowed.kinds:
            self.emit(
                context,
                variant,
                kind,
                segment,
                "became_nullable",
                _types_text(expected),
                _types_text(expected | {"null"}),
                key=(False, True),
                detail=f" ({allowed.model} holds no null there)",
            )

    def types(self, context: str, variant: str, kind: str, name: str) -> None:
        old: set[str] = self.old[context][variant][kind][name]["types"]
        new: set[str] = self.new[context][variant][kind][name]["types"]
        if not new:
            return  # now only null: `became_nullable` says it
        if not old:
            self._from_null(context, variant, kind, name, new)
            return
        added = new - old
        removed = old - new
        if "integer" in added and "number" in old:
            added.discard("integer")  # an int is a number
        if "integer" in removed and "number" in new:
            removed.discard("integer")
        if (added | removed) & _NUMBERS and old & _NUMBERS and new & _NUMBERS:
            # 1 in OLD, 0.93 in NEW: where the models declare a float, one kind
            allowed = _allowed(context, variant, kind, name)
            if allowed is not None and "number" in allowed.kinds:
                added -= _NUMBERS
                removed -= _NUMBERS
        if not added and not removed:
            return
        by = self.emit(
            context,
            variant,
            kind,
            name,
            "type_changed",
            _types_text(old),
            _types_text(new),
            narrowing=not added,
        )
        self.cover_inside(by, context, variant, f"{kind}/{name}", removed)

    def _from_null(self, context: str, variant: str, kind: str, name: str, new: set[str]) -> None:
        """Only null was seen before. The field was there and nullable, so a value of a kind
        it may hold is no break (info: a reader never saw its shape); one of a kind the
        models (or, where they say nothing, the same field elsewhere) do not allow is."""
        allowed = _allowed(context, variant, kind, name)
        if allowed is not None:
            expected: set[str] = set(allowed.kinds - {"null"})
            why = f"{allowed.model} allows {_types_text(allowed.kinds)}"
        else:
            expected = self._elsewhere(context, variant, kind, name)
            why = f"it holds {_types_text(expected)} elsewhere"
        narrowing = not expected or _within(new, expected)
        self.emit(
            context,
            variant,
            kind,
            name,
            "type_changed",
            "null",
            _types_text(new),
            narrowing=narrowing,
            detail="" if narrowing else f" (only null was seen before; {why})",
        )

    def _elsewhere(self, context: str, variant: str, kind: str, name: str) -> set[str]:
        """What the same field held in the other contexts (create vs list), either side."""
        out: set[str] = set()
        for shape in (self.old, self.new):
            for other, variants in shape.items():
                if other != context:
                    entry = variants.get(variant, {}).get(kind, {}).get(name)
                    if entry is not None:
                        out |= entry["types"]
        return out

    def answers(self, result: Comparison) -> None:
        """Per endpoint: status classes that changed, and bodies no longer of their kind.

        A list whose every answer became a 404, or a page of HTML, leaves no field to
        compare: these are the changes then, and the contexts count as compared.
        """
        groups: dict[tuple[str, str], tuple[dict[str, str], dict[str, str]]] = {}
        for side, shape in enumerate((self.old, self.new)):
            for context in shape:
                endpoint, direction, *rest = context.split(" ")
                pair = groups.setdefault((endpoint, direction), ({}, {}))
                pair[side][rest[0] if rest else ""] = context
        moved: set[str] = set()
        for (endpoint, direction), (olds, news) in sorted(groups.items()):
            for cls in sorted(set(olds) & set(news)):
                self._body_kinds(olds[cls])
                if direction == "response":
                    self._codes(olds[cls], cls)
            lost = sorted(set(olds) - set(news))
            gained = sorted(set(news) - set(olds))
            if direction != "response" or not lost or not news:
                continue
            if not gained:
                # NEW answers this endpoint only with classes OLD had too: its 2xx gone is
                # the change (OLD also held a 404: a test retrieving a deleted item); a
                # lost error class alone is a test NEW did not run.
                lost = [c for c in lost if c == "2xx"]
                if not lost:
                    continue
            now = " and ".join(
                f"{c} ({self._codes_of(self.new, news[c])})" for c in (gained or sorted(news))
            )
            for cls in lost:
                before = f"{cls} ({self._codes_of(self.old, olds[cls])})"
                self.emit(
                    olds[cls],
                    "",
                    "",
                    None,
                    "status_changed",
                    cls,
                    "|".join(gained or sorted(news)),
                    severity="breaking" if cls == "2xx" else "warning",
                    message=(
                        f"{endpoint} {direction}s were {before}, are now {now}"
                        + (": the calls that succeeded fail now" if cls == "2xx" else "")
                    ),
                )
            moved |= {olds[c] for c in lost} | {news[c] for c in gained}
        result.compared = sorted(set(result.compared) | moved)
        result.only_old = [c for c in result.only_old if c not in moved]
        result.only_new = [c for c in result.only_new if c not in moved]

    @staticmethod
    def _record(shape: Shape, context: str, name: str) -> FieldShape | None:
        return shape.get(context, {}).get("", {}).get(BODY, {}).get(name)

    def _codes_of(self, shape: Shape, context: str) -> str:
        entry = self._record(shape, context, "status")
        return ", ".join(sorted(entry["values"])) if entry else "?"

    def _codes(self, context: str, cls: str) -> None:
        """Within one status class: every old code gone and others in their place."""
        old, new = (
            self._record(self.old, context, "status"),
            self._record(self.new, context, "status"),
        )
        if old is None or new is None or old["values"] & new["values"]:
            return
        endpoint, direction, *_ = context.split(" ")
        was, now = ", ".join(sorted(old["values"])), ", ".join(sorted(new["values"]))
        self.emit(
            context,
            "",
            "",
            None,
            "status_changed",
            was,
            now,
            severity="warning",
            message=f"{endpoint} {direction}s {cls} were {was}, are now {now}",
        )

    def _body_kinds(self, context: str) -> None:
        """A body of a kind not seen before: text (HTML, not JSON), empty, or another JSON type."""
        old, new = self._record(self.old, context, "body"), self._record(self.new, context, "body")
        if old is None or new is None:
            return
        before: set[str] = old["types"]
        after: set[str] = new["types"]
        added = after - before
        if not added:
            return
        endpoint, direction, *rest = context.split(" ")
        cls = rest[0] if rest else ""
        codes = self._codes_of(self.new, context) if cls else ""
        status = f" {cls} ({codes})" if codes and codes != "?" else (f" {cls}" if cls else "")
        # An error answer that is not JSON (a gateway's 429 or 502 page the SDK retried):
        # clients handle it as the error it is, whatever its body.
        error_page = cls in ("4xx", "5xx") and added <= {"text", "empty"}
        by = self.emit(
            context,
            "",
            "",
            None,
            "type_changed",
            _types_text(before),
            _types_text(after),
            # An object where only text or nothing was: a body that parses again. An object
            # where an array was is as breaking as the other way round.
            narrowing=added <= {"object"} and not (before - {"text", "empty"}),
            severity="warning" if error_page else None,
            by_status=True,
            message=(
                f"{endpoint} {direction}{status}: the body is {_bodies(after)}, "
                f"where it was {_bodies(before)}"
                + (
                    "; an error answer whose body is not JSON is still handled as the error "
                    "(probably a gateway's page)"
                    if error_page
                    else ""
                )
            ),
        )
        if ("object" in before) != ("object" in after):
            # Fields on one side only: what they hold is this change, not one per variant.
            self.covers.append(_Cover(context, None, None, by))


def _allowed(context: str, variant: str, kind: str, name: str) -> Allowed | None:
    # Lazy: only an array first seen non-empty or a field first seen non-null pays for the
    # models' tables.
    from .model_types import allowed

    return allowed(context, variant, kind, name)


def _shown(value: Any) -> Any:
    return DEFAULT_REDACTOR.text(value) if isinstance(value, str) else value


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
