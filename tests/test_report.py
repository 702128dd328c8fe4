"""The run report as a pure object: the summary lines and their next step."""

from __future__ import annotations

from pytest_convitems.findings import Finding
from pytest_convitems.report import RunReport


def _error(direction: str) -> Finding:
    return Finding("error", "list", direction, "body", "/data/0/type", "unknown_type", "x")  # type: ignore[arg-type]


def _use(report: RunReport, findings: list[Finding], recorded: int = 0) -> None:
    report.add_test(
        nodeid="t.py::test_x",
        cassette="cassettes/t/test_x.yaml",
        record_mode="none" if not recorded else "all",
        interactions=1,
        played=[0],
        replayed=0 if recorded else 1,
        recorded=recorded,
        findings=findings,
        needs_rerecord=False,
    )


def test_the_next_step_for_errors_depends_on_who_broke_the_models() -> None:
    report = RunReport()
    _use(report, [_error("response")])
    assert report.lines[-1].startswith("next: the API's responses at the pointers above")
    report.findings.append(_error("request"))
    assert report.lines[-1].startswith("next: fix the requests at the pointers above")


def test_a_live_drift_run_says_nothing_was_written() -> None:
    report = RunReport(drift_mode="report")
    _use(report, [], recorded=3)
    lines = report.lines
    assert lines[0] == "1 cassette read for comparison: 3 live interactions, nothing written"
    assert not any("recorded into" in line for line in lines)


def test_a_live_drift_run_says_which_cassettes_it_had_nothing_to_compare_with() -> None:
    report = RunReport(drift_mode="report")
    _use(report, [], recorded=3)
    report.add_test(
        nodeid="t.py::test_new",
        cassette="cassettes/t/test_new.yaml",
        record_mode="live",
        interactions=0,
        played=[],
        replayed=0,
        recorded=2,
        findings=[],
        needs_rerecord=False,
        existed=False,
    )
    merged = RunReport(drift_mode="report")
    merged.merge(report.to_dict())  # as from an xdist worker
    for lines in (report.lines, merged.lines):
        assert lines[0] == "1 cassette read for comparison: 5 live interactions, nothing written"
        assert lines[1].startswith("  1 test cassette not recorded yet: that live traffic is not")
