"""Replay speed of the pytest plugin, side by side with pytest-recording / vcrpy, in one run.

    .venv/bin/python benchmarks/bench_plugin.py [--tests 1000] [--calls 1000] [--repeat 5]
                                                [--instructions]

(a) Per-test overhead: a generated project of N one-cassette tests, run three ways with
    `pytest -p no:cacheprovider` in a subprocess: no-op tests; pytest-recording
    (`@pytest.mark.vcr`, `--record-mode=none`) replaying a 1-interaction cassette; ours
    (`@pytest.mark.convitems`, `--convitems-replay`) replaying the same cassette. Each test
    body makes one httpx call (the no-op body makes none). Overhead per test = (run time -
    no-op run time) / N, best of `--repeat` runs.
    Also run, for information: the same call answered by `httpx.MockTransport` with no plugin
    (the call's own cost), and the vcrpy floor (`FLOOR_CONFTEST`: vcrpy's import, patches and
    stub answering from memory, no cassette), below which no plugin built on vcrpy can go.
    Target: our overhead <= 0.25x pytest-recording's, with a warm cache: the normal CI
    case after one run (`$CONVITEMS_CACHE_DIR` holds each cassette's parsed form and the
    validation findings of its interactions, keyed by the cassette's bytes; a warm replay
    neither parses YAML nor builds the pydantic models). Also printed: the same run with
    an empty cache each time (parses every cassette and validates every exchange).
(b) Per-call time: one cassette of M interactions (distinct GETs), M calls replayed in
    order through httpx inside one cassette context, in this process: plain vcrpy
    (`vcr.use_cassette`, record mode none, default matching) against ours
    (`recording.Switchboard` + `CassetteRecorder`, which also validates every exchange:
    run with the cache off, so every recorder validates for real).
    Targets: ours <= 0.1x vcrpy's per call at M; ours at M <= 1.5x ours at 10 (no
    quadratic growth).

`--instructions` adds (a) counted in instructions under valgrind's callgrind: exact and
repeatable on this noisy machine, blind to cache misses; information, for comparing
changes to the plugin (see `bench_instructions`).

The machine is shared: figures are noisy, the ratios are what to read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from pytest_convitems.cassette import write_cassette  # noqa: E402
from pytest_convitems.exchange import Exchange, Request, Response  # noqa: E402

HOST = "http://127.0.0.1:9"
"""Nothing listens there: a request that escapes replay fails instead of timing the network."""
PER_MODULE = 100
PLUGIN_FLAGS = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist", "-q"]
ARGS: dict[str, list[str]] = {
    "noop": [],
    "inmemory": [],
    "vcr": ["--record-mode=none"],
    "floor": [],
    "convitems": ["--convitems-replay"],
}
"""The pytest arguments each kind of project (`make_project`) replays with."""


@contextlib.contextmanager
def cache_dir(value: str) -> Iterator[None]:
    """`$CONVITEMS_CACHE_DIR` as `value` in this process for the block, then as it was."""
    saved = os.environ.get("CONVITEMS_CACHE_DIR")
    os.environ["CONVITEMS_CACHE_DIR"] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CONVITEMS_CACHE_DIR", None)
        else:
            os.environ["CONVITEMS_CACHE_DIR"] = saved


def item_exchange(i: int) -> Exchange:
    item = {
        "id": f"msg_{i}",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_text", "text": f"hello {i}"}],
    }
    return Exchange(
        Request(
            "GET", f"{HOST}/v1/conversations/conv_1/items/msg_{i}", {"accept": ["application/json"]}
        ),
        Response(200, "OK", {"content-type": ["application/json"]}, json.dumps(item).encode()),
    )


# -- (a) per-test overhead --------------------------------------------------------------


MOCK_HEADER = """
BODIES = {}

def answer(request):
    # What a replay hands back, built in memory: the same httpx call, no plugin at all.
    return httpx.Response(200, headers={"content-type": "application/json"}, content=BODY)

BODY = b'{"id": "msg_0", "type": "message"}'
mock = httpx.Client(transport=httpx.MockTransport(answer))
"""


FLOOR_CONFTEST = """
# The floor of any replay built on vcrpy: vcrpy imported, its patches installed and removed
# around each marked test, its stub answering every request from memory. No cassette, no
# matching, no validation, no report: what a plugin built on vcrpy cannot go below.
import pytest

_patches = None
BODY = {"status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": b'{"id": "msg_0", "type": "message"}'}}

def _build():
    from vcr.cassette import Cassette
    from vcr.patch import CassettePatcherBuilder

    class Floor(Cassette):
        def can_play_response_for(self, request):
            return True

        def play_response(self, request):
            return BODY

    floor = Floor(path="<floor>")
    return [(p.getter(), p.attribute, p.new) for p in CassettePatcherBuilder(floor).build()]

def pytest_configure(config):
    config.addinivalue_line("markers", "floor: answered by vcrpy from memory")

@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    global _patches
    if item.get_closest_marker("floor") is not None:
        _patches = _patches or _build()
        saved = item.stash.setdefault(SAVED, [])
        for target, name, new in _patches:
            saved.append((target, name, name in vars(target), vars(target).get(name)))
            setattr(target, name, new)
    return (yield)

@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        for target, name, local, original in reversed(item.stash.get(SAVED, [])):
            if local:
                setattr(target, name, original)
            else:
                delattr(target, name)

SAVED = pytest.StashKey()
"""


def make_project(root: Path, kind: str, tests: int) -> None:
    """`kind`: noop | inmemory | vcr | floor | convitems. Cassettes sit where both plugins
    look; `floor` has none (vcrpy answers from memory, see `FLOOR_CONFTEST`)."""
    root.mkdir(parents=True)
    (root / "conftest.py").write_text(FLOOR_CONFTEST if kind == "floor" else "")
    for m in range(0, tests, PER_MODULE):
        name = f"test_{kind}{m // PER_MODULE}"
        lines = ["import httpx, pytest", "client = httpx.Client()", ""]
        if kind == "inmemory":
            lines.append(MOCK_HEADER)
        for i in range(m, min(m + PER_MODULE, tests)):
            url = HOST + f"/v1/conversations/conv_1/items/msg_{i}"
            if kind == "noop":
                lines += [f"def test_{i}():", "    pass", ""]
                continue
            if kind == "inmemory":
                lines += [f"def test_{i}():", f"    mock.get({url!r})", ""]
                continue
            mark = {"vcr": "@pytest.mark.vcr", "floor": "@pytest.mark.floor"}.get(
                kind, "@pytest.mark.convitems"
            )
            # No `assert`: the body costs the same in every variant but the one HTTP call
            # (an unmatched call fails the test in both plugins anyway).
            lines += [mark, f"def test_{i}():", f"    client.get({url!r})", ""]
            if kind != "floor":
                write_cassette(root / "cassettes" / name / f"test_{i}.yaml", [item_exchange(i)])
        (root / f"{name}.py").write_text("\n".join(lines))


def run_project(
    root: Path,
    extra: list[str],
    tests: int,
    env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stderr) of one pytest run in a subprocess, behind
    `prefix` (a valgrind command, say) when given."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "pytest", *PLUGIN_FLAGS, *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1800,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | (env or {}),
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    if proc.returncode != 0 or f"{tests} passed" not in proc.stdout:
        raise SystemExit(
            f"benchmark run failed in {root}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        )
    return elapsed, used, proc.stderr


def bench_per_test(tests: int, repeat: int) -> bool:
    work = Path(tempfile.mkdtemp(prefix="bench-plugin-"))
    small = max(tests // 10, 1)
    warm = {"CONVITEMS_CACHE_DIR": str(work / "cache")}

    def cold() -> dict[str, str]:
        return {"CONVITEMS_CACHE_DIR": tempfile.mkdtemp(dir=work, prefix="cold-cache-")}

    stack = contextlib.ExitStack()
    try:
        # the cassettes written below go into the warm cache
        stack.enter_context(cache_dir(warm["CONVITEMS_CACHE_DIR"]))
        replay = ARGS["convitems"]
        variants: dict[str, tuple[str, list[str], Callable[[], dict[str, str]] | None]] = {
            "no-op": ("noop", ARGS["noop"], None),
            "no-op + call": ("inmemory", ARGS["inmemory"], None),
            "pytest-recording": ("vcr", ARGS["vcr"], None),
            "vcrpy floor": ("floor", ARGS["floor"], None),
            "convitems": ("convitems", replay, lambda: warm),
            "convitems, cold": ("convitems", replay, cold),
        }
        # Best of `repeat` for each (variant, size), wall time and the run's CPU time apart:
        # the machine is shared, and CPU time is what the process itself spent.
        best: dict[tuple[str, int], tuple[float, float]] = {}
        rounds: list[dict[str, float]] = []  # CPU of each variant at N tests, per repeat
        for kind, _, _ in variants.values():
            if not (work / f"{kind}{tests}").exists():
                make_project(work / f"{kind}{tests}", kind, tests)
                make_project(work / f"{kind}{small}", kind, small)
        for n in (tests, small):  # one untimed run fills the findings cache
            run_project(work / f"convitems{n}", replay, n, warm)
        for _ in range(repeat):
            rounds.append({})
            for label, (kind, extra, env) in variants.items():
                for n in (tests, small):
                    wall, cpu, _ = run_project(
                        work / f"{kind}{n}", extra, n, env() if env else None
                    )
                    old = best.get((label, n), (wall, cpu))
                    best[label, n] = (min(old[0], wall), min(old[1], cpu))
                    if n == tests:
                        rounds[-1][label] = cpu

        def overhead(label: str, base: str, i: int) -> float:
            return (best[label, tests][i] - best[base, tests][i]) / tests

        def marginal(label: str, base: str, i: int) -> float:
            slope = (best[label, tests][i] - best[label, small][i]) / (tests - small)
            return slope - (best[base, tests][i] - best[base, small][i]) / (tests - small)

        print(f"(a) {tests} one-cassette tests, best of {repeat} runs (and {small} tests)")
        print(f"    {'':17s} {'wall':>7s}   {'CPU':>7s}   ({small} tests: wall, CPU)")
        for label in variants:
            (w, c), (ws, cs) = best[label, tests], best[label, small]
            print(f"    {label:17s} {w:7.2f} s {c:7.2f} s   ({ws:.2f} s, {cs:.2f} s)")
        print(
            "    'no-op + call' makes the same httpx call, answered in memory by httpx.MockTransport"
        )
        print(
            "    'convitems' replays with a warm cache (after one run); 'convitems, cold' starts "
            "each run with an empty cache"
        )
        print(
            "    'vcrpy floor': vcrpy imported, its patches on and off around each test, its stub "
            "answering from memory (no cassette): what any plugin built on vcrpy pays"
        )
        ok = True
        for base, what in (
            ("no-op", "above no-op tests (the HTTP client's own cost included): the target"),
            ("no-op + call", "above the same call answered in memory (the plugin alone)"),
        ):
            print(f"    per-test overhead {what}:")
            for i, clock in enumerate(("wall", "CPU ")):
                theirs, ours = overhead("pytest-recording", base, i), overhead("convitems", base, i)
                m_theirs = marginal("pytest-recording", base, i)
                m_ours = marginal("convitems", base, i)
                cold_cost = overhead("convitems, cold", base, i)
                ratio = ours / theirs if theirs > 0 else float("inf")
                verdict = ("PASS" if ratio <= 0.25 else "FAIL") if base == "no-op" else "info"
                print(
                    f"      {clock}: pytest-recording {theirs * 1e3:.3f} ms, ours {ours * 1e3:.3f} ms"
                    f" -> ratio {ratio:.3f} (target <= 0.25): {verdict}; cold cache "
                    f"{cold_cost * 1e3:.3f} ms ({cold_cost / theirs if theirs > 0 else float('inf'):.3f}); "
                    f"marginal {m_theirs * 1e3:.3f} vs {m_ours * 1e3:.3f} ms"
                )
                if base == "no-op":
                    ok = ok and ratio <= 0.25
        floor = overhead("vcrpy floor", "no-op", 1)
        theirs_cpu = overhead("pytest-recording", "no-op", 1)
        print(
            f"    the vcrpy floor, CPU above no-op: {floor * 1e3:.3f} ms -> ratio "
            f"{floor / theirs_cpu if theirs_cpu > 0 else float('inf'):.3f}; ours above the floor "
            f"{(overhead('convitems', 'no-op', 1) - floor) * 1e3:.3f} ms a test (information)"
        )
        # The verdict compares best runs, each variant's from whichever repeat it came;
        # the ratio within each repeat (variants run back to back) shows the spread.
        for label in ("convitems", "vcrpy floor"):
            paired = sorted(
                (r[label] - r["no-op"]) / (r["pytest-recording"] - r["no-op"]) for r in rounds
            )
            print(
                f"    the ratio within each repeat (CPU, above no-op), {label}: median "
                f"{statistics.median(paired):.3f}, range {paired[0]:.3f}-{paired[-1]:.3f} "
                "(information)"
            )
        return ok
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


# -- (a) in instructions ------------------------------------------------------------------


def bench_instructions(sizes: tuple[int, int] = (100, 300)) -> None:
    """(a) counted in instructions under callgrind: the same for every run of the same code,
    whatever else the machine does, so a change to the plugin can be compared exactly. It
    does not see cache misses, part of what a test costs in time, so it is information
    only. Per-test and per-run parts come from two sizes; the total is extrapolated to
    1,000 tests."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("(a) in instructions: valgrind not found, skipped")
        return
    work = Path(tempfile.mkdtemp(prefix="bench-plugin-instr-"))
    env = {"CONVITEMS_CACHE_DIR": str(work / "cache"), "PYTHONHASHSEED": "0"}
    prefix = (valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null")
    variants = {"no-op": "noop", "pytest-recording": "vcr", "convitems": "convitems"}
    stack = contextlib.ExitStack()
    try:
        stack.enter_context(cache_dir(env["CONVITEMS_CACHE_DIR"]))  # for make_project
        counts: dict[tuple[str, int], int] = {}
        for n in sizes:
            for label, kind in variants.items():
                make_project(work / f"{kind}{n}", kind, n)
                if kind == "convitems":
                    run_project(work / f"{kind}{n}", ARGS[kind], n, env)  # fills the cache
                err = run_project(work / f"{kind}{n}", ARGS[kind], n, env, prefix)[2]
                found = re.search(r"Collected : (\d+)", err)
                if found is None:
                    raise SystemExit(f"no instruction count from callgrind:\n{err[-2000:]}")
                counts[label, n] = int(found.group(1))
        small, large = sizes
        slope = {k: (counts[k, large] - counts[k, small]) / (large - small) for k in variants}
        fixed = {k: counts[k, small] - small * slope[k] for k in variants}

        def per_test(label: str, tests: int) -> float:
            extra = fixed[label] - fixed["no-op"]
            return (extra + tests * (slope[label] - slope["no-op"])) / tests

        theirs, ours = per_test("pytest-recording", 1000), per_test("convitems", 1000)
        m_theirs, m_ours = (
            slope["pytest-recording"] - slope["no-op"],
            slope["convitems"] - slope["no-op"],
        )
        print(f"(a) in instructions (callgrind, {small} and {large} tests, extrapolated to 1000)")
        print(
            f"    per test above no-op: pytest-recording {theirs / 1e6:.2f} M, ours "
            f"{ours / 1e6:.2f} M -> ratio {ours / theirs:.3f} (information)"
        )
        print(
            f"    of which per test (slope): {m_theirs / 1e6:.2f} M vs {m_ours / 1e6:.2f} M "
            f"({m_ours / m_theirs:.3f}); once a run: {(fixed['pytest-recording'] - fixed['no-op']) / 1e6:.0f} M "
            f"vs {(fixed['convitems'] - fixed['no-op']) / 1e6:.0f} M"
        )
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


# -- (b) per-call time -----------------------------------------------------------------


def timed_calls(client: httpx.Client, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        response = client.get(f"{HOST}/v1/conversations/conv_1/items/msg_{i}")
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - start) / n


def vcrpy_per_call(path: Path, n: int) -> float:
    import vcr

    with httpx.Client() as client, vcr.use_cassette(str(path), record_mode="none"):
        return timed_calls(client, n)


def ours_per_call(path: Path, n: int) -> float:
    from pytest_convitems.recording import CassetteRecorder
    from pytest_convitems.recording_vcr import Switchboard
    from pytest_convitems.validation import validate_exchange

    board = Switchboard()
    recorder = CassetteRecorder(path, "none", nodeid="bench", validate=validate_exchange)
    with httpx.Client() as client, board.activate(recorder):
        per_call = timed_calls(client, n)
    assert recorder.replayed == n and not recorder.errors(), recorder.findings[:3]
    return per_call


def best_of(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def bench_per_call(calls: int, repeat: int) -> bool:
    work = Path(tempfile.mkdtemp(prefix="bench-plugin-calls-"))
    stack = contextlib.ExitStack()
    try:
        stack.enter_context(cache_dir("off"))  # every recorder validates for real
        big, small = work / "big.yaml", work / "small.yaml"
        write_cassette(big, [item_exchange(i) for i in range(calls)])
        write_cassette(small, [item_exchange(i) for i in range(10)])
        ours_per_call(small, 10)  # warm imports and the validators once
        theirs = best_of(lambda: vcrpy_per_call(big, calls), repeat)
        ours = best_of(lambda: ours_per_call(big, calls), repeat)
        ours_small = best_of(lambda: ours_per_call(small, 10), max(repeat, 20))
        print(f"(b) one cassette of {calls} interactions, {calls} calls replayed, best of {repeat}")
        print(f"    vcrpy per call            {theirs * 1e3:8.3f} ms")
        print(f"    ours per call             {ours * 1e3:8.3f} ms  (validating every exchange)")
        print(f"    ours per call at 10       {ours_small * 1e3:8.3f} ms")
        r1, r2 = ours / theirs, ours / ours_small
        ok1, ok2 = r1 <= 0.1, r2 <= 1.5
        print(f"    ratio ours/vcrpy = {r1:.3f} (target <= 0.1): {'PASS' if ok1 else 'FAIL'}")
        print(
            f"    ratio ours@{calls}/ours@10 = {r2:.3f} (target <= 1.5): {'PASS' if ok2 else 'FAIL'}"
        )
        return ok1 and ok2
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count (a) in instructions under valgrind's callgrind (~5 minutes)",
    )
    args = parser.parse_args()
    ok_b = bench_per_call(args.calls, args.repeat)
    ok_a = bench_per_test(args.tests, args.repeat)
    if args.instructions:
        bench_instructions()
    print("all targets hold" if ok_a and ok_b else "some targets missed")
    return 0 if ok_a and ok_b else 1


if __name__ == "__main__":
    raise SystemExit(main())
