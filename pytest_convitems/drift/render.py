"""Pure renderers: a DriftReport -> text for a terminal, JSON for tools, Markdown for a PR."""

from __future__ import annotations

import json
import re
from itertools import groupby
from typing import Any, Literal

from .changes import SEVERITIES, Change
from .report import DriftReport

Format = Literal["text", "json", "markdown"]


def headline(report: DriftReport) -> str:
    counts = report.counts()
    if not report.changes and not report.compared and (report.only_old or report.only_new):
        text = "nothing compared: no items endpoint was seen on both sides"
    elif not report.changes and not report.compared:
        text = "nothing compared: no items traffic on either side"
    elif not report.changes and report.ignored:
        # The shapes do differ: every difference is one the ignore file accepts.
        n = len(report.ignored)
        return f"no unignored drift: {n} change{'' if n == 1 else 's'} ignored"
    elif not report.changes:
        text = "no drift: the shapes match"
    else:
        text = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    if report.ignored:
        text += f" ({len(report.ignored)} ignored)"
    return text


def stale_line(report: DriftReport) -> str | None:
    """The ignore file's entries that matched no change, or None."""
    if not report.stale_ignores:
        return None
    return (
        f"{len(report.stale_ignores)} stale ignore entr{'y' if len(report.stale_ignores) == 1 else 'ies'} "
        f"(they match no change; delete them once reviewed): {', '.join(report.stale_ignores)}"
    )


def _value(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


def render_text(report: DriftReport) -> str:
    """Grouped by endpoint and direction, then by variant; fingerprints for the ignore file."""
    lines = [f"convitems drift: {headline(report)}"]
    ordered = sorted(
        report.changes, key=lambda c: (c.endpoint, c.direction, c.variant or "", c.sort_key())
    )
    for (endpoint, direction), in_endpoint in groupby(
        ordered, key=lambda c: (c.endpoint, c.direction)
    ):
        lines.append("")
        lines.append(f"{endpoint} {direction}")
        for variant, in_variant in groupby(in_endpoint, key=lambda c: c.variant):
            lines.append(f"  {variant or '(body)'}")
            for c in in_variant:
                lines.append(
                    f"    {c.severity.upper():8} {c.change:18} {c.path or '/'}  "
                    f"{_value(c.old)} -> {_value(c.new)}  [{c.fingerprint}]"
                )
                lines.append(f"             {c.message}")
    if report.ignored:
        lines.append("")
        lines.append("ignored (accepted in the ignore file):")
        for c, reason in report.ignored:
            lines.append(f"  {c.fingerprint} {c.change} {c.endpoint} {c.path or '/'}: {reason}")
    stale = stale_line(report)
    if stale:
        lines += ["", stale]
    if report.only_old or report.only_new:
        lines.append("")
        lines.append("not compared (seen on one side only):")
        lines.extend(f"  old only: {c}" for c in report.only_old)
        lines.extend(f"  new only: {c}" for c in report.only_new)
    if report.changes:
        lines.append("")
        lines.append(
            "To accept a change, add `- {fingerprint: <fp>, reason: <why>}` to a file "
            "and pass it with --ignore FILE."
        )
    return "\n".join(lines) + "\n"


def render_json(report: DriftReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"


def _cell(value: Any) -> str:
    text = _value(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(value: Any) -> str:
    if value in (None, ""):
        return "-"
    text = _cell(value)
    if "`" not in text:
        return f"`{text}`"
    # A backtick inside (a value the API sent): a longer fence, padded, per CommonMark.
    fence = "`" * (max(len(run) for run in re.findall("`+", text)) + 1)
    return f"{fence} {text} {fence}"


def render_markdown(report: DriftReport) -> str:
    """A heading and one table (GitHub renders it in a PR comment or $GITHUB_STEP_SUMMARY)."""
    lines = [f"### convitems drift: {headline(report)}", ""]
    if report.changes:
        lines.append(
            "| Severity | Change | Endpoint | Direction | Status | Variant | Path | Old | New "
            "| Fingerprint |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for c in report.changes:
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"**{c.severity}**" if c.severity == "breaking" else c.severity,
                        _code(c.change),
                        c.endpoint,
                        c.direction,
                        c.status or "-",
                        _code(c.variant),
                        _code(c.path or "/"),
                        _cell(c.old),
                        _cell(c.new),
                        _code(c.fingerprint),
                    ]
                )
                + " |"
            )
    if report.ignored:
        lines.append("")
        lines.append(f"<details><summary>{len(report.ignored)} ignored</summary>")
        lines.append("")
        lines.append("| Fingerprint | Change | Endpoint | Variant | Path | Reason |")
        lines.append("|---|---|---|---|---|---|")
        for c, reason in report.ignored:
            where = f"{c.endpoint} {c.direction}" + (f" {c.status}" if c.status else "")
            cells = [c.fingerprint, c.change, where, c.variant, c.path or "/"]
            lines.append("| " + " | ".join([*map(_code, cells), _cell(reason)]) + " |")
        lines.append("")
        lines.append("</details>")
    stale = stale_line(report)
    if stale:
        lines += ["", stale]
    if report.only_old or report.only_new:
        # A reviewer of the PR comment sees what the gate did not look at, as the text does.
        lines += ["", "Not compared (seen on one side only):", ""]
        lines.extend(f"- old only: {_code(c)}" for c in report.only_old)
        lines.extend(f"- new only: {_code(c)}" for c in report.only_new)
    return "\n".join(lines) + "\n"


def render(report: DriftReport, fmt: Format | str = "text") -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)


def change_line(change: Change) -> str:
    """One line for pytest's terminal summary."""
    return f"{change.severity.upper()} {change.message} [{change.fingerprint}]"
