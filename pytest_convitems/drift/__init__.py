"""Drift: compare the *shapes* of recorded traffic and classify what would break clients.

    from pytest_convitems.drift import drift_between_paths, render
    report = drift_between_paths("cassettes/v1", "cassettes/v2")
    print(render(report, "markdown")); sys.exit(report.exit_code("breaking"))

Three ways: cassette vs cassette (`drift_between_paths`, `convitems drift OLD NEW`),
live vs cassette (`DriftCollector`, used by `--convitems-drift`), traffic vs models
(`model_gaps`).
"""

from __future__ import annotations

from pathlib import Path

from .changes import CHANGE_IDS, SEVERITIES, Change, FailOn, Severity, fingerprint
from .compare import Comparison, classify, compare_shapes
from .ignore import IgnoreEntry, IgnoreList, load_ignore
from .live import DriftCollector, compare_exchanges, summary_lines
from .render import Format, change_line, headline, render, render_json, render_markdown, render_text
from .report import FAIL_ON_CHOICES, DriftReport, build_report, check_fail_on
from .shapes import Shape, ShapeSet, merge_shapes, shape_of
from .sources import cassette_files, load_exchanges


def drift_between_paths(
    old: str | Path,
    new: str | Path,
    *,
    ignore: IgnoreList | None = None,
    models: bool = False,
) -> DriftReport:
    """Cassette (or folder) vs cassette (or folder); `models=True` adds NEW's model gaps."""
    old_exchanges = load_exchanges(old)
    new_exchanges = load_exchanges(new)
    comparison = compare_shapes(shape_of(old_exchanges), shape_of(new_exchanges))
    extra: list[Change] = []
    if models:
        from .model_gaps import model_gaps

        extra = model_gaps(new_exchanges, old_exchanges)
    return build_report(comparison, ignore=ignore, extra=extra)


__all__ = [
    "CHANGE_IDS",
    "FAIL_ON_CHOICES",
    "SEVERITIES",
    "Change",
    "Comparison",
    "DriftCollector",
    "DriftReport",
    "FailOn",
    "Format",
    "IgnoreEntry",
    "IgnoreList",
    "Severity",
    "Shape",
    "ShapeSet",
    "build_report",
    "cassette_files",
    "change_line",
    "check_fail_on",
    "classify",
    "compare_exchanges",
    "compare_shapes",
    "drift_between_paths",
    "fingerprint",
    "headline",
    "load_exchanges",
    "load_ignore",
    "merge_shapes",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
    "shape_of",
    "summary_lines",
]
