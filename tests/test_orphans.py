"""Orphaned cassettes: files in a cassette folder that no collected test uses (a test renamed
or deleted), found by `pytest_convitems.orphans` and reported by the plugin.

A test claims its cassette by its marker, whether or not it sends anything: the tests here
send nothing, and their cassettes hold no interaction.
"""

from __future__ import annotations

import json
from pathlib import Path

# Kept imported: pytester's in-process runs would otherwise import them anew (see test_plugin).
import hypothesis  # noqa: F401
import pytest

import pytest_convitems.cassette_parse  # noqa: F401
from pytest_convitems.cassette import write_cassette
from pytest_convitems.orphans import (
    Orphan,
    cassettes_in,
    in_folders_of_missing_modules,
    sort_orphans,
    unused_in_module_folder,
)

pytest_plugins = ["pytester"]

SUITE = """
import pytest

@pytest.mark.convitems
def test_one():
    pass

@pytest.mark.convitems
def test_two():
    pass

def test_plain():
    pass
"""
ONE_ORPHAN = [
    "orphaned: 1 cassette no collected test uses (a test renamed or deleted?)",
    "  */test_a/test_old_name.yaml: no test of test_a.py uses it",
]
ORPHAN_LINES = [
    "orphaned: 2 cassettes no collected test uses (a test renamed or deleted?)",
    "  cassettes/test_a/test_old_name.yaml: no test of test_a.py uses it",
    "  cassettes/test_gone/test_x.yaml: test_gone.py does not exist",
]


def _cassettes(root: Path, *relative: str) -> None:
    for name in relative:
        write_cassette(root / name, [])


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """test_a.py's two cassettes, one left by a renamed test, the folder of a deleted test
    file, test_b.py's folder (its tests use no convitems cassette: not ours to judge) and a
    folder named after no test file (the proxy's recordings, say: nobody's module)."""
    _cassettes(
        pytester.path,
        "cassettes/test_a/test_one.yaml",
        "cassettes/test_a/test_two.yaml",
        "cassettes/test_a/test_old_name.yaml",
        "cassettes/test_gone/test_x.yaml",
        "cassettes/test_b/kept_by_hand.yaml",
        "cassettes/recorded-by-proxy/conv_1.yaml",
    )
    pytester.makepyfile(test_a=SUITE, test_b="def test_b():\n    pass\n")
    return pytester


# -- the library -------------------------------------------------------------------------


def test_cassettes_in_lists_cassette_files_only(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yml", "c.json", "d.txt", ".hidden.yaml", ".a.yaml.x1.tmp", "k.lock"):
        (tmp_path / name).write_text("")
    (tmp_path / "sub.yaml").mkdir()
    assert cassettes_in(str(tmp_path)) == {str(tmp_path / n) for n in ("a.yaml", "b.yml", "c.json")}
    assert cassettes_in(str(tmp_path / "missing")) == set()


def test_unused_and_missing_module_folders(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    for name in ("test_a/used.yaml", "test_a/old.yaml", "test_gone/x.yaml", "test_gone/y.yaml"):
        (cassettes / name).parent.mkdir(parents=True, exist_ok=True)
        (cassettes / name).write_text("")
    (tmp_path / "test_a.py").write_text("")
    module, folder = tmp_path / "test_a.py", str(cassettes / "test_a")
    claimed = {f"{folder}/used.yaml", str(cassettes / "test_gone/y.yaml")}  # y: named by a test
    assert unused_in_module_folder(module, folder, claimed) == [
        Orphan(f"{folder}/old.yaml", "no test of test_a.py uses it")
    ]
    assert in_folders_of_missing_modules(cassettes, {folder}, claimed) == [
        Orphan(str(cassettes / "test_gone/x.yaml"), "test_gone.py does not exist")
    ]
    assert in_folders_of_missing_modules(tmp_path / "nowhere", set(), set()) == []
    assert in_folders_of_missing_modules(cassettes, {folder}, claimed, ["check_*.py"]) == []
    twice = Orphan("b.yaml", "again")
    assert sort_orphans([twice, Orphan("a.yaml", "x"), twice]) == [Orphan("a.yaml", "x"), twice]


# -- the plugin --------------------------------------------------------------------------


def test_orphans_are_reported_and_written_to_the_report(project: pytest.Pytester) -> None:
    result = project.runpytest("--convitems-replay", "--convitems-report=report.json")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            *ORPHAN_LINES,
            "next: rename each orphaned cassette to its test's name, or delete it (git keeps it)",
        ]
    )
    report = json.loads((project.path / "report.json").read_text())
    assert report["summary"]["orphaned"] == 2
    assert report["orphaned_cassettes"] == [
        {"path": "cassettes/test_a/test_old_name.yaml", "why": "no test of test_a.py uses it"},
        {"path": "cassettes/test_gone/test_x.yaml", "why": "test_gone.py does not exist"},
    ]


def test_collect_only_finds_them_without_running_a_test(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*- convitems -*", *ORPHAN_LINES])
    assert "cassettes used" not in result.stdout.str()  # no counts: nothing was replayed


def test_xdist_workers_report_them_once(project: pytest.Pytester) -> None:
    result = project.runpytest("-n", "2", "-p", "no:hypothesispytest", "--convitems-replay")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(ORPHAN_LINES)
    assert result.stdout.str().count("test_old_name.yaml") == 1
    project.makeini("[pytest]\nconvitems_orphans = fail\n")
    result = project.runpytest("-n", "2", "-p", "no:hypothesispytest", "--convitems-replay")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the controller fails on the workers' finds
    # "4 passed" and exit 1: the summary says why
    result.stdout.fnmatch_lines(
        ["convitems: the run fails on orphaned cassettes (convitems_orphans = fail)"]
    )


def test_a_configured_cassette_dir_is_judged_per_test_file(pytester: pytest.Pytester) -> None:
    _cassettes(
        pytester.path,
        "recordings/test_a/test_one.yaml",
        "recordings/test_a/test_two.yaml",
        "recordings/test_a/test_old_name.yaml",
        "recordings/test_gone/test_x.yaml",
    )
    pytester.makepyfile(test_a=SUITE)
    result = pytester.runpytest("--convitems-replay", "--convitems-cassette-dir=recordings")
    result.stdout.fnmatch_lines(ONE_ORPHAN)
    assert "  recordings/test_a/test_old_name.yaml" in result.stdout.str()
    # One folder holds every test file's: a module name found nowhere in this run proves
    # nothing about the test files it did not collect.
    assert "test_gone" not in result.stdout.str()


def test_a_narrowed_run_judges_only_what_it_collected(project: pytest.Pytester) -> None:
    # A deselection or a `file::test` argument leaves tests out: their cassettes look unused.
    for narrowed in (["-k", "one"], ["test_a.py::test_one"], ["-m", "convitems"]):
        result = project.runpytest("--convitems-replay", *narrowed)
        assert result.ret == pytest.ExitCode.OK, narrowed
        assert "orphaned" not in result.stdout.str(), narrowed
    # A file argument: that file's folder is judged, not the folders of other files.
    result = project.runpytest("--convitems-replay", "test_a.py")
    result.stdout.fnmatch_lines(ONE_ORPHAN)
    assert "test_gone" not in result.stdout.str()


def test_convitems_orphans_fail_and_off(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nconvitems_orphans = fail\n")
    result = project.runpytest("--convitems-replay")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(ORPHAN_LINES)
    project.makeini("[pytest]\nconvitems_orphans = off\n")
    result = project.runpytest("--convitems-replay")
    assert result.ret == pytest.ExitCode.OK
    assert "orphaned" not in result.stdout.str()
    project.makeini("[pytest]\nconvitems_orphans = loud\n")
    result = project.runpytest("--convitems-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*convitems_orphans = 'loud': choose one of report, fail, off*"])


def test_folders_of_pytest_recording_tests_are_left_alone(project: pytest.Pytester) -> None:
    # pytest-recording names cassettes through fixtures this plugin does not see.
    project.makepyfile(test_a=SUITE + "\n@pytest.mark.vcr\ndef test_recorded_by_vcr():\n    pass\n")
    result = project.runpytest("--convitems-replay", "--record-mode=none")
    result.assert_outcomes(passed=5)
    assert "orphaned" not in result.stdout.str()


def test_a_cassette_named_by_a_marker_is_not_an_orphan(pytester: pytest.Pytester) -> None:
    _cassettes(pytester.path, "cassettes/test_a/shared.yaml", "cassettes/elsewhere/data.yaml")
    pytester.makepyfile(
        test_a="""
import pytest

@pytest.mark.convitems(cassette="shared")
def test_shared():
    pass

@pytest.mark.convitems(cassette="../elsewhere/data.yaml")
def test_elsewhere():
    pass
"""
    )
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2)
    assert "orphaned" not in result.stdout.str()


def test_a_cassette_another_file_uses_is_not_an_orphan(pytester: pytest.Pytester) -> None:
    """test_a names a cassette in test_b's folder: with both collected, nobody's orphan
    (each folder was judged against its own file's tests, and a green run failed under
    convitems_orphans = fail)."""
    _cassettes(pytester.path, "cassettes/test_b/shared.yaml", "cassettes/test_b/test_own.yaml")
    pytester.makepyfile(
        test_a="""
import pytest

@pytest.mark.convitems(cassette="../test_b/shared.yaml")
def test_uses_b():
    pass
""",
        test_b="""
import pytest

@pytest.mark.convitems
def test_own():
    pass
""",
    )
    pytester.makeini("[pytest]\nconvitems_orphans = fail\n")
    result = pytester.runpytest("--convitems-replay")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    assert "orphaned" not in result.stdout.str()
    # test_b's own cassette gone: the miss does not advise renaming the shared one
    (pytester.path / "cassettes/test_b/test_own.yaml").unlink()
    pytester.makepyfile(
        test_b="""
import httpx, pytest

@pytest.mark.convitems
def test_own():
    httpx.get("http://127.0.0.1:9/v1/conversations/conv_1/items")
"""
    )
    result = pytester.runpytest("--convitems-replay")
    assert "shared.yaml" not in result.stdout.str()


def test_the_summary_lists_ten_and_counts_the_rest() -> None:
    from pytest_convitems.report import RunReport

    report = RunReport(report_path="report.json")
    report.orphans = {f"cassettes/test_a/old_{i:02}.yaml": "no test uses it" for i in range(12)}
    lines = report.lines
    assert lines[0] == "orphaned: 12 cassettes no collected test uses (a test renamed or deleted?)"
    assert lines[1:11] == [
        f"  cassettes/test_a/old_{i:02}.yaml: no test uses it" for i in range(10)
    ]
    assert lines[11] == "  ... and 2 more in report.json"
