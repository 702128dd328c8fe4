"""Objects that lost (or gained) their `type`: filed where they were, so the change is `/type`.

The shape files a typed object under its `type` (`/action<click>`, the `function_call`
variant) and an untyped one under its bare place (`/action`, `(untyped)`). When a `type`
goes, the two never meet: drift saw a variant or sub-variant vanish and nothing else, or
nothing at all. Where one side has a single typed object kind (or item variant) the other
lacks, and the other side has the untyped one in its place, the untyped one is renamed
into it before comparing: DeepDiff then names `/action/type` removed (or added), as it
does for a message, whose variant its role tells.

Several typed kinds against one untyped is no pairing, nor are typed and untyped objects
side by side: `type_dropped` lists those, and the comparison says what became of `/type`
once.
"""

from __future__ import annotations

from collections.abc import Iterator

from .shapes import UNTYPED, FieldShape, Shape

Kinds = dict[str, dict[str, FieldShape]]


def pair_untyped(old: Shape, new: Shape) -> tuple[Shape, Shape]:
    """Copies of `old` and `new` with each pairable untyped kind or variant renamed."""
    old_out: Shape = dict(old)
    new_out: Shape = dict(new)
    for context in set(old) & set(new):
        ov, nv = _pair_variants(old[context], new[context])
        for variant in set(ov) & set(nv):
            ok, nk = ov[variant], nv[variant]
            for base, typed in _lost_types(ok, nk):
                if len(typed) == 1:
                    nk = _renamed(nk, base, f"{base}<{typed[0]}>")
            for base, typed in _lost_types(nk, ok):
                if len(typed) == 1:
                    ok = _renamed(ok, base, f"{base}<{typed[0]}>")
            if ok is not ov[variant]:
                ov = {**ov, variant: ok}
            if nk is not nv[variant]:
                nv = {**nv, variant: nk}
        old_out[context], new_out[context] = ov, nv
    return old_out, new_out


def _pair_variants(
    ov: dict[str, Kinds], nv: dict[str, Kinds]
) -> tuple[dict[str, Kinds], dict[str, Kinds]]:
    if UNTYPED in nv and UNTYPED not in ov:
        lost = [v for v in ov if v and v not in nv]
        if len(lost) == 1 and _alike(ov[lost[0]], nv[UNTYPED]):
            nv = {(lost[0] if v == UNTYPED else v): k for v, k in nv.items()}
    elif UNTYPED in ov and UNTYPED not in nv:
        gained = [v for v in nv if v and v not in ov]
        if len(gained) == 1 and _alike(nv[gained[0]], ov[UNTYPED]):
            ov = {(gained[0] if v == UNTYPED else v): k for v, k in ov.items()}
    return ov, nv


def _alike(typed: Kinds, untyped: Kinds) -> bool:
    """The untyped items keep at least half the typed ones' fields (a wrapped body does not)."""
    fields = {n for n in typed.get("", {}) if "/" not in n and n != "type"}
    kept = fields & set(untyped.get("", {}))
    return bool(fields) and 2 * len(kept) >= len(fields)


def _lost_types(typed_side: Kinds, untyped_side: Kinds) -> Iterator[tuple[str, list[str]]]:
    """(place, types) where `untyped_side` alone has an untyped object kind and
    `typed_side` alone has typed ones at the same place."""
    for base in untyped_side:
        if not base or base.endswith(">") or base in typed_side:
            continue
        start = base + "<"
        typed = [
            k[len(start) : -1]
            for k in typed_side
            if k.startswith(start)
            and k.endswith(">")
            and k not in untyped_side
            and "/" not in k[len(start) :]
        ]
        if typed:
            yield base, sorted(typed)


def type_dropped(old: Shape, new: Shape) -> Iterator[tuple[str, str, str, list[str], str]]:
    """(context, variant, place, types, change) for `type`s no pairing explains:

    - `field_removed`: one untyped kind stands for several typed ones (items: variant
      `UNTYPED`, place "", when no item has a type any more);
    - `became_optional`: some objects at a place lost their type, others kept it;
    - `field_added` / `became_required`: the reverse, untyped objects now typed.

    Run on shapes `pair_untyped` already returned (it renamed the one-for-one cases)."""
    for context in sorted(set(old) & set(new)):
        ov, nv = old[context], new[context]
        if UNTYPED in nv and UNTYPED not in ov and not [v for v in nv if v and v != UNTYPED]:
            lost = sorted(v for v in ov if v and v not in nv)
            if lost:
                yield context, UNTYPED, "", lost, "field_removed"
        for variant in sorted(set(ov) & set(nv)):
            ok, nk = ov[variant], nv[variant]
            for base in _untyped_only(nk, ok):
                before, after = _typed_at(ok, base), _typed_at(nk, base)
                if before:
                    change = "became_optional" if after else "field_removed"
                    yield context, variant, base, sorted(before - after), change
            for base in _untyped_only(ok, nk):
                before, after = _typed_at(ok, base), _typed_at(nk, base)
                if after:
                    change = "became_required" if before else "field_added"
                    yield context, variant, base, sorted(after - before), change


def _untyped_only(kinds: Kinds, other: Kinds) -> list[str]:
    return [k for k in kinds if k and not k.endswith(">") and k not in other]


def _typed_at(kinds: Kinds, base: str) -> set[str]:
    start = base + "<"
    return {
        k[len(start) : -1]
        for k in kinds
        if k.startswith(start) and k.endswith(">") and "/" not in k[len(start) :]
    }


def _renamed(kinds: Kinds, base: str, target: str) -> Kinds:
    """`base` and every kind under it moved to `target`."""
    out: Kinds = {}
    for kind, fields in kinds.items():
        if kind == base:
            out[target] = fields
        elif kind.startswith(base + "/"):
            out[target + kind[len(base) :]] = fields
        else:
            out[kind] = fields
    return out
