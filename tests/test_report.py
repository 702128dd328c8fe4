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
        assert lines[1].endswith(": cassettes/t/test_new.yaml")


def test_a_live_run_does_not_ask_to_record_a_test_that_sent_nothing() -> None:
    report = RunReport(drift_mode="report")
    report.add_test(
        nodeid="t.py::test_quiet",
        cassette="cassettes/t/test_quiet.yaml",
        record_mode="live",
        interactions=0,
        played=[],
        replayed=0,
        recorded=0,
        findings=[],
        needs_rerecord=False,
        existed=False,
    )
    assert not any("not recorded yet" in line for line in report.lines)
    assert (
        report.lines[0] == "0 cassettes read for comparison: 0 live interactions, nothing written"
    )


def test_a_cassette_whose_tests_sent_nothing_is_to_be_deleted_not_re_recorded() -> None:
    # Re-recording a test that sends no request writes nothing: the advice never worked.
    report = RunReport()
    for name, played in (("test_idle", []), ("test_some", [0])):
        report.add_test(
            nodeid=f"t.py::{name}",
            cassette=f"cassettes/t/{name}.yaml",
            record_mode="none",
            interactions=2,
            played=played,
            replayed=len(played),
            recorded=0,
            findings=[],
            needs_rerecord=False,
        )
    assert report.lines[-2:] == [
        "next: drop unused interactions by re-recording: pytest t.py::test_some "
        "--convitems-record-mode=all",
        "next: the tests of 1 cassette sent no request; if they no longer call the API, "
        "delete it: cassettes/t/test_idle.yaml",
    ]
