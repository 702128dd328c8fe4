"""Live vs cassette, for `pytest --convitems-drift=report|fail`.

The plugin feeds each test's committed (recorded) exchanges and the exchanges the test just
made against the live upstream; the collector pools their shapes per side and compares once
at the end of the run. It never writes a cassette. Under xdist, each worker sends
`to_json()` to the controller, which `merge_json()`s them before `report()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from .compare import compare_shapes
from .ignore import IgnoreList
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
