"""Live vs cassette, for `pytest --convitems-drift=report|fail`.

The plugin feeds each test's committed (recorded) exchanges and the exchanges the test just
made against the live upstream; the collector pools their shapes per side and compares once
at the end of the run. It never writes a cassette. Wiring, for `plugin.py`:

    collector = DriftCollector()                          # once per run (config.stash)
    # per test, in live-drift mode: the recorder reads the cassette but never saves it
    collector.add(recorder.loaded, recorder.recorded, test_id=item.nodeid)
    # xdist: worker -> workeroutput["convitems_drift"] = collector.to_json()
    #        controller -> collector.merge_json(part) in pytest_testnodedown
    report = collector.report(ignore=load_ignore(path) if path else None)
    run_report.drift = report.to_dict()                   # {"changes": [...], "summary": {...}}
    lines = summary_lines(report)                         # terminal summary section
    failed = mode == "fail" and report.exit_code("breaking") == 1
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from .changes import FailOn
from .compare import compare_shapes
from .ignore import IgnoreList
from .render import headline, stale_line
from .report import DriftReport, build_report
from .shapes import Shape, ShapeSet, merge_shapes, shape_from_json, shape_to_json


class DriftCollector:
    """Run-wide accumulator: add per test, report once."""

    def __init__(self) -> None:
        self._recorded = ShapeSet()
        self._live = ShapeSet()
        self._merged: list[tuple[Shape, Shape]] = []
        self.tests: list[str] = []

    def add(
        self,
        recorded: Iterable[Exchange],
        live: Iterable[Exchange],
        *,
        test_id: str | None = None,
    ) -> None:
        """One test's committed exchanges (OLD) and the live ones it produced now (NEW)."""
        self._recorded.add_exchanges(recorded)
        self._live.add_exchanges(live)
        if test_id is not None:
            self.tests.append(test_id)

    def shapes(self) -> tuple[Shape, Shape]:
        old = self._recorded.aggregate()
        new = self._live.aggregate()
        for other_old, other_new in self._merged:
            old = merge_shapes(old, other_old)
            new = merge_shapes(new, other_new)
        return old, new

    def to_json(self) -> dict[str, Any]:
        old, new = self.shapes()
        return {"recorded": shape_to_json(old), "live": shape_to_json(new), "tests": self.tests}

    def merge_json(self, data: dict[str, Any]) -> None:
        """Fold in another collector's `to_json()` (e.g. from an xdist worker)."""
        self._merged.append((shape_from_json(data["recorded"]), shape_from_json(data["live"])))
        self.tests.extend(data.get("tests", []))

    def report(self, *, ignore: IgnoreList | None = None) -> DriftReport:
        old, new = self.shapes()
        return build_report(compare_shapes(old, new), ignore=ignore)


def compare_exchanges(
    old: Iterable[Exchange], new: Iterable[Exchange], *, ignore: IgnoreList | None = None
) -> DriftReport:
    """Drift between two sets of exchanges (e.g. one test's cassette and its live run)."""
    collector = DriftCollector()
    collector.add(old, new)
    return collector.report(ignore=ignore)


def summary_lines(
    report: DriftReport, *, limit: int = 20, fail_on: FailOn = "breaking"
) -> list[str]:
    """Lines for pytest's terminal summary: the headline, the changes, and what to do next."""
    lines = [f"drift against the committed cassettes: {headline(report)}"]
    for change in report.changes[:limit]:
        lines.append(f"  {change.severity}: {change.message} [{change.fingerprint}]")
    if len(report.changes) > limit:
        lines.append(f"  ... and {len(report.changes) - limit} more (see the report file)")
    stale = stale_line(report)
    if stale:
        lines.append(stale)
    # As the CLI's text says: "no drift" covers only what both sides held.
    if report.only_old or report.only_new:
        lines.append("  not compared (seen on one side only):")
        lines += [f"    recorded only: {c}" for c in report.only_old[:limit]]
        lines += [f"    live only: {c}" for c in report.only_new[:limit]]
    if report.failing(fail_on):
        lines.append(
            "next: if the API really changed, re-record the affected tests with "
            "--convitems-record-mode=all; to accept a change, list its fingerprint with a "
            "reason in the drift ignore file"
        )
    return lines
