"""The cassette writer thread and the `convitems proxy` launcher, without a proxy."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path

import pytest

from proxy_addon import launch
from proxy_addon.naming import cassette_files, part_path, safe_name
from proxy_addon.recorder import CassetteWriter
from pytest_convitems.cassette import load_cassette
from pytest_convitems.cli import main
from pytest_convitems.exchange import Exchange, Request, Response


def exchange(n: int, body: bytes = b'{"n": 1}') -> Exchange:
    return Exchange(
        Request("GET", f"https://api.openai.com/v1/conversations/conv_1/items?after=m{n}"),
        Response(200, "OK", {"Content-Type": ["application/json"]}, body),
    )


class FakeAppend:
    def __init__(self, fail_on: set[int] | None = None) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        self.fail_on = fail_on or set()

    def __call__(self, path: Path, exchanges: list[Exchange]) -> None:
        ns = [int(e.request.query_string.split("m")[1]) for e in exchanges]
        if self.fail_on & set(ns):
            raise ValueError(f"cannot store {sorted(self.fail_on & set(ns))}")
        self.calls.append((path.name, ns))


def test_batches_are_flushed_in_order_and_split_into_parts(tmp_path: Path) -> None:
    append = FakeAppend()
    writer = CassetteWriter(
        tmp_path, flush_every=4, flush_seconds=60, max_per_file=6, append=append
    )
    for n in range(10):
        writer.put("conv_1", exchange(n))
    stats = writer.close()
    assert stats.written == 10
    assert stats.failures == []
    assert append.calls == [
        ("conv_1.yaml", [0, 1, 2, 3]),
        ("conv_1.yaml", [4, 5]),
        ("conv_1.part002.yaml", [6, 7]),
        ("conv_1.part002.yaml", [8, 9]),
    ]


def test_a_part_is_also_closed_by_size_and_one_big_exchange_still_gets_its_own(
    tmp_path: Path,
) -> None:
    append = FakeAppend()
    # an exchange counts ~2x its bodies (pretty JSON) + 1 KB: 3,000 bytes count ~7 KB
    writer = CassetteWriter(
        tmp_path, flush_every=100, flush_seconds=60, max_part_bytes=16_000, append=append
    )
    for n in range(3):
        writer.put("conv_1", exchange(n, b"x" * 3000))
    writer.put("conv_1", exchange(3, b"x" * 50_000))  # alone over the limit
    writer.put("conv_1", exchange(4))
    writer.close()
    assert append.calls == [
        ("conv_1.yaml", [0, 1]),
        ("conv_1.part002.yaml", [2]),
        ("conv_1.part003.yaml", [3]),
        ("conv_1.part004.yaml", [4]),
    ]


def test_the_proxy_option_sets_the_part_size_in_megabytes(tmp_path: Path) -> None:
    from mitmproxy.test import taddons

    from proxy_addon.addon import ConvItems

    addon = ConvItems()
    with taddons.context(addon) as ctx:
        ctx.configure(
            addon,
            convitems_mode="record",
            convitems_writer="thread",
            convitems_cassette_dir=str(tmp_path),
            convitems_cassette_max_mb=2,
        )
        assert addon.writer is not None
        assert addon.writer.settings.max_part_bytes == 2 * 1024 * 1024
        addon.done()


def test_time_based_flush_without_close(tmp_path: Path) -> None:
    import time

    append = FakeAppend()
    writer = CassetteWriter(tmp_path, flush_every=1000, flush_seconds=0.02, append=append)
    writer.put("a", exchange(1))
    deadline = time.monotonic() + 5
    while not append.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert append.calls == [("a.yaml", [1])]
    writer.close()


def test_one_unstorable_exchange_does_not_cost_the_batch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    append = FakeAppend(fail_on={2})
    writer = CassetteWriter(tmp_path, flush_every=100, flush_seconds=60, append=append)
    for n in range(4):
        writer.put("conv_1", exchange(n))
    stats = writer.close()
    assert [ns for _, ns in append.calls] == [[0], [1], [3]]
    assert stats.written == 3
    assert len(stats.failures) == 1
    assert (
        "could not record GET https://api.openai.com/v1/conversations/conv_1/items?after=m2"
        in (stats.failures[0])
    )
    assert "cannot store [2]" in caplog.text


def test_a_failure_names_the_url_without_the_key_in_its_query(tmp_path: Path) -> None:
    append = FakeAppend(fail_on={0})
    writer = CassetteWriter(tmp_path, flush_every=100, flush_seconds=60, append=append)
    leaky = Exchange(
        Request("GET", "https://api.openai.com/v1/conversations/conv_1/items?api_key=marker40"),
        Response(200, "OK", {"Content-Type": ["application/json"]}, b'{"n": 0}'),
    )
    writer.put("conv_1", leaky)
    (failure,) = writer.close().failures
    assert "marker40" not in failure and "api_key=REDACTED" in failure


def test_put_after_close_is_an_error(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, append=FakeAppend())
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.put("a", exchange(1))


def test_real_cassettes_load_and_list_in_written_order(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, flush_every=3, flush_seconds=60, max_per_file=4)
    for n in range(10):
        writer.put("run", exchange(n))
    assert writer.close().failures == []
    files = cassette_files(tmp_path)
    assert [p.name for p in files] == ["run.yaml", "run.part002.yaml", "run.part003.yaml"]
    queries = [e.request.query_string for p in files for e in load_cassette(p)]
    assert queries == [f"after=m{n}" for n in range(10)]


def test_appends_keep_the_cassette_private_and_sweep_a_killed_writers_temp_file(
    tmp_path: Path,
) -> None:
    import os
    import time

    from proxy_addon.appender import Appender

    append = Appender()
    path = tmp_path / "conv_1.yaml"
    leftover = tmp_path / ".conv_1.yaml.abc123.tmp"  # a writer killed mid-write, long ago
    leftover.write_text("partial")
    os.utime(leftover, (time.time() - 3600,) * 2)
    append(path, [exchange(0)])
    assert not leftover.exists()
    path.chmod(0o600)  # the user made it private
    append(path, [exchange(1)])
    assert path.stat().st_mode & 0o777 == 0o600
    assert [e.request.query_string for e in load_cassette(path)] == ["after=m0", "after=m1"]


def test_a_cassette_deleted_while_recording_is_started_afresh(tmp_path: Path) -> None:
    import shutil

    from proxy_addon.appender import Appender

    append = Appender()
    folder = tmp_path / "cassettes"
    append(folder / "conv_1.yaml", [exchange(0)])
    shutil.rmtree(folder)  # the user cleans up while the proxy records
    append(folder / "conv_1.yaml", [exchange(1)])
    assert [e.request.query_string for e in load_cassette(folder / "conv_1.yaml")] == ["after=m1"]


def test_names_are_safe_file_stems(tmp_path: Path) -> None:
    assert safe_name("conv_abc123") == "conv_abc123"
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("") == "unnamed"
    # a key sent where the conversation id goes: the file name is committed too
    assert safe_name("sk-test-FAKE-0000marker41AAAAAAAA") == "sk-REDACTED"
    assert part_path(tmp_path, "x", 12).name == "x.part012.yaml"
    # one id whichever case its percent-escapes came in: one cassette, not two
    assert safe_name("conv_%c3%a9t%c3%a9") == safe_name("conv_%C3%A9t%C3%A9")
    assert safe_name("conv_%c3%a9t%c3%a9") == "conv__C3_A9t_C3_A9"


# --- the launcher and `convitems proxy` -------------------------------------------------


def test_mitmdump_argv_runs_reverse_mode_on_loopback_with_the_addon() -> None:
    argv = launch.mitmdump_argv(
        launch.ProxyOptions(
            mode="record",
            cassette_dir="c",
            block_invalid=True,
            report="r.jsonl",
            redaction=(("convitems_redact_headers", "X-A"), ("convitems_redact_headers", "X-B")),
        )
    )
    assert argv[:7] == [
        "mitmdump", "--mode", "reverse:https://api.openai.com",
        "--listen-host", "127.0.0.1", "--listen-port", "8080",
    ]  # fmt: skip
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert {
        "convitems_mode=record",
        "convitems_cassette_dir=c",
        "convitems_block_invalid=true",
        "convitems_report=r.jsonl",
        "connection_strategy=lazy",
        "flow_detail=0",  # mitmdump's lines would print a query's key: the addon's instead
        "convitems_flow_log=true",
        "convitems_redact_headers=X-A",
        "convitems_redact_headers=X-B",  # a list option: one --set a value
    } <= set(sets)
    assert argv[argv.index("-s") + 1] == str(launch.ADDON_PATH)
    assert launch.ADDON_PATH.is_file()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--listen", "8080"], "--listen wants HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "--listen wants HOST:PORT"),
        (["--upstream", "api.openai.com"], "--upstream wants an http:// or https:// URL"),
    ],
)
def test_bad_proxy_arguments_exit_2_with_the_fix(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["proxy", *args]) == 2
    assert says in capsys.readouterr().err


def test_replay_from_cassettes_that_cannot_load_exits_2_before_mitmdump_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (a folder that loads would exec mitmdump in place of this test: the e2e tests run it)
    missing = tmp_path / "nosuchdir"
    assert main(["proxy", "--mode", "replay", "--cassette-dir", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"--cassette-dir {missing} is not a folder: record into it first" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    (tmp_path / "conv_1.yaml").write_text("interactions: [\n")
    assert main(["proxy", "--mode", "replay", "--cassette-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "conv_1.yaml: line 2" in err and "not valid YAML" in err


def test_options_the_addon_would_refuse_exit_2_in_one_line_before_mitmdump_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """From inside mitmdump they came as a traceback after "listening at", and exit 1."""
    afile = tmp_path / "afile"
    afile.write_text("")
    cases = [
        (["--mode", "record", "--cassette-dir", str(afile / "sub")], "cannot create it"),
        (["--report", str(afile / "x.jsonl")], "--report"),
        (["--redact-pattern", "("], "not a regular expression"),
        (["--redact-json", "metadata"], "must start with '/'"),
    ]
    for args, says in cases:
        assert main(["proxy", *args]) == 2, args
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_base_url_as_upstream_and_a_taken_port_exit_2_in_our_terms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mitmdump refused both with exit 1, one with advice about a flag this command does
    not have. (Replay from a missing folder: were the checks to pass, the command would
    still stop before exec'ing mitmdump in place of this test.)"""
    missing = str(tmp_path / "nosuchdir")
    replay = ["--mode", "replay", "--cassette-dir", missing]
    assert main(["proxy", "--upstream", "https://api.openai.com/v1", *replay]) == 2
    assert "give https://api.openai.com, not https://api.openai.com/v1" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["proxy", "--listen", f"127.0.0.1:{port}", *replay]) == 2
    err = capsys.readouterr().err
    assert f"--listen 127.0.0.1:{port}: cannot listen there" in err and "pick another" in err


def _no_mitmproxy_here(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "mitmproxy" else real(name, *a),
    )
    monkeypatch.setenv("PATH", str(path))


def test_missing_mitmproxy_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _no_mitmproxy_here(monkeypatch, tmp_path)  # and no mitmdump on PATH
    assert main(["proxy"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'pytest-convitems[proxy]'" in err
    assert "pipx inject --include-apps mitmproxy pytest-convitems" in err


def test_a_mitmdump_on_path_serves_when_mitmproxy_is_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # pipx install mitmproxy + pipx inject pytest-convitems: mitmproxy lives in pipx's
    # environment, and the hint sent the user round in a circle.
    fake = tmp_path / "mitmdump"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    _no_mitmproxy_here(monkeypatch, tmp_path)
    assert launch.mitmdump_executable() == str(fake)


def test_a_mitmdump_elsewhere_must_hold_the_addon_or_the_proxy_does_not_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Without pytest-convitems beside it, mitmdump would run as a bare proxy: in replay
    # mode forwarding the client's key upstream, recording nothing.
    _no_mitmproxy_here(monkeypatch, tmp_path)
    bare = tmp_path / "bare"
    bare.mkdir()
    python = bare / "python"
    python.write_text("#!/bin/sh\nexit 1\n")  # no pytest-convitems there
    python.chmod(0o755)
    fake = tmp_path / "mitmdump"
    fake.write_text(f"#!{python}\n")
    with pytest.raises(launch.LaunchError, match="without pytest-convitems in it"):
        launch.addon_path_for(str(fake))
    fake.write_text(f"#!/usr/bin/env {sys.executable}\n")  # one that has it (this venv)
    assert launch.addon_path_for(str(fake)) == str(launch.ADDON_PATH)


def test_process_writer_records_and_reports_failures_from_the_child(tmp_path: Path) -> None:
    writer = CassetteWriter(tmp_path, flush_every=2, isolation="process")
    assert writer.pid is not None
    writer.put("conv_1", exchange(0))
    writer.put("conv_1", exchange(1, body=b"not json"))  # claims JSON: a cassette refuses it
    writer.put("conv_1", exchange(2))
    stats = writer.close()
    assert stats.written == 2
    assert len(stats.failures) == 1
    assert "could not record GET" in stats.failures[0]
    assert "after=m1" in stats.failures[0]
    queries = [e.request.query_string for e in load_cassette(tmp_path / "conv_1.yaml")]
    assert queries == ["after=m0", "after=m2"]


def test_process_writer_ignores_ctrl_c_and_flushes_when_its_input_ends(tmp_path: Path) -> None:
    import signal as sig

    writer = CassetteWriter(tmp_path, flush_every=1000, flush_seconds=60, isolation="process")
    writer.put("conv_1", exchange(0))
    child = writer._child
    assert child is not None
    assert writer.ready.wait(30)
    child.send_signal(sig.SIGINT)  # Ctrl-C reaches the whole group: it must not cost the batch
    stats = writer.close()  # closes the child's stdin, as a killed proxy's pipe would
    assert child.returncode == 0
    assert stats.written == 1
    assert [e.request.query_string for e in load_cassette(tmp_path / "conv_1.yaml")] == ["after=m0"]


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_process_writer_survives_a_signal_to_the_group_and_writes_all_it_was_given(
    tmp_path: Path, name: str
) -> None:
    """`timeout`, systemd (KillMode=control-group) and a cancelled CI job send SIGTERM to
    every process of the proxy's group: the writer died with everything it held unwritten,
    before the proxy's done() could close its input."""
    import signal as sig
    import time

    writer = CassetteWriter(tmp_path, flush_every=1000, flush_seconds=60, isolation="process")
    child = writer._child
    assert child is not None
    assert writer.ready.wait(30)
    for n in range(5):
        writer.put("conv_1", exchange(n))
    deadline = time.monotonic() + 20
    while writer._sent < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer._sent == 5, "the feeder did not hand the exchanges to the child"
    child.send_signal(getattr(sig, name))  # the group's signal reaches the child too
    time.sleep(0.2)
    assert child.poll() is None, f"{name} ended the writer before its input did"
    stats = writer.close()  # closes the child's stdin, as the proxy's done() does
    assert child.returncode == 0
    assert (stats.written, stats.lost, stats.dropped, stats.failures) == (5, 0, 0, [])
    queries = [e.request.query_string for e in load_cassette(tmp_path / "conv_1.yaml")]
    assert queries == [f"after=m{n}" for n in range(5)]


def test_a_signal_to_the_group_while_the_writer_starts_waits_instead_of_killing_it(
    tmp_path: Path,
) -> None:
    """Before the child's interpreter has started it cannot ignore anything: a proxy
    stopped in its first moments lost its writer, and all it was then given."""
    import signal as sig

    writer = CassetteWriter(tmp_path, flush_every=1000, flush_seconds=60, isolation="process")
    child = writer._child
    assert child is not None
    child.send_signal(sig.SIGTERM)  # at once: its interpreter is still starting
    writer.put("conv_1", exchange(0))
    stats = writer.close()
    assert child.returncode == 0
    assert (stats.written, stats.lost, stats.failures) == (1, 0, [])


def test_a_killed_writer_process_counts_what_it_was_sent_and_never_wrote_as_lost(
    tmp_path: Path,
) -> None:
    """The proxy said "1 exchange(s) written, 0 dropped" when 5 more had died with the
    writer: only exchanges given after it stopped were counted."""
    import signal as sig
    import time

    writer = CassetteWriter(tmp_path, flush_every=6, flush_seconds=60, isolation="process")
    assert writer.ready.wait(30)
    for n in range(6):
        writer.put("conv_1", exchange(n))
    deadline = time.monotonic() + 20
    while writer.stats.written < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.stats.written == 6  # one flush, reported
    for n in range(6, 11):
        writer.put("conv_1", exchange(n))  # held by the child: fewer than flush_every
    while writer._sent < 11 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer._sent == 11
    assert writer.pid is not None
    os.kill(writer.pid, sig.SIGKILL)
    stats = writer.close()
    assert (stats.written, stats.lost, stats.dropped) == (6, 5, 0)
    assert stats.failures[-1] == (
        f"the cassette writer process stopped before it finished (exit code -9): 6 "
        f"exchange(s) written to {tmp_path}, 5 lost (sent to it, never written), 0 dropped "
        "(given after it had stopped)"
    )
    assert len(load_cassette(tmp_path / "conv_1.yaml")) == 6


def test_process_writer_flushes_on_time_while_running(tmp_path: Path) -> None:
    import time

    writer = CassetteWriter(tmp_path, flush_every=1000, flush_seconds=0.05, isolation="process")
    try:
        writer.put("conv_1", exchange(0))
        deadline = time.monotonic() + 20
        while not (tmp_path / "conv_1.yaml").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (tmp_path / "conv_1.yaml").exists(), "a lone exchange waited for close()"
    finally:
        writer.close()


def test_a_dead_writer_process_costs_the_proxy_no_memory_and_its_stats_say_what_was_written(
    tmp_path: Path,
) -> None:
    """After the child died, `put` queued without bound (a long-running proxy grew), the
    stats said 0 written, and close() waited 5 s and called a dead child slow."""
    import signal as sig
    import time

    writer = CassetteWriter(
        tmp_path, flush_every=1, flush_seconds=0.05, max_queue=5, isolation="process"
    )
    writer.put("conv_1", exchange(0))
    deadline = time.monotonic() + 20
    while writer.stats.written < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.stats.written == 1, "reported as written when written, not only at the end"
    assert writer.pid is not None
    os.kill(writer.pid, sig.SIGKILL)  # the OOM killer, say
    deadline = time.monotonic() + 20
    sent = 1
    while not writer._stopped.is_set() and time.monotonic() < deadline:
        writer.put("conv_1", exchange(sent))  # the feeder finds the pipe broken
        sent += 1
    for n in range(1000):
        writer.put("conv_1", exchange(n))  # none of these waits, none is held
    sent += 1000
    assert len(writer._pending) == 0
    started = time.monotonic()
    stats = writer.close()
    assert time.monotonic() - started < 3
    assert stats.written == 1 and stats.dropped == sent - 1
    assert "within" not in " ".join(stats.failures)
    assert (
        f"stopped before it finished (exit code -9): 1 exchange(s) written to {tmp_path}"
        in (stats.failures[-1])
    )
    assert [e.request.query_string for e in load_cassette(tmp_path / "conv_1.yaml")] == ["after=m0"]


def test_a_report_in_a_folder_not_made_yet_is_accepted_as_the_addon_accepts_it(
    tmp_path: Path,
) -> None:
    """The addon creates the report's folder: the launcher refused it, before mitmdump."""
    from proxy_addon.launch import ProxyOptions, check_options

    report = tmp_path / "new" / "deeper" / "findings.jsonl"
    check_options(ProxyOptions(report=str(report)))
    assert report.parent.is_dir() and not report.exists()  # checked, not written


def test_a_later_run_goes_on_in_the_last_part_so_replay_keeps_the_order(tmp_path: Path) -> None:
    for run in ([0, 1, 2], [3], [4, 5, 6]):
        writer = CassetteWriter(tmp_path, flush_every=1, flush_seconds=60, max_per_file=2)
        for n in run:
            writer.put("conv_A", exchange(n))
        assert writer.close().failures == []
    files = cassette_files(tmp_path)
    queries = [e.request.query_string for p in files for e in load_cassette(p)]
    assert queries == [f"after=m{n}" for n in range(7)]
    assert [p.name for p in files] == [
        "conv_A.yaml",
        "conv_A.part002.yaml",
        "conv_A.part003.yaml",
        "conv_A.part004.yaml",
    ]


def test_a_part_an_earlier_run_filled_by_size_is_not_grown(tmp_path: Path) -> None:
    big = b'{"n": "' + b"x" * 3000 + b'"}'
    for n in range(2):
        writer = CassetteWriter(tmp_path, flush_every=1, flush_seconds=60, max_part_bytes=8000)
        writer.put("conv_A", exchange(n, big))
        assert writer.close().failures == []
    assert [p.name for p in cassette_files(tmp_path)] == ["conv_A.yaml", "conv_A.part002.yaml"]


def test_a_mitmdump_behind_pips_sh_launcher_is_read_through_its_exec_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # pip (distlib) and uv write `#!/bin/sh` and an `'''exec' "python" "$0" "$@"` line for
    # a long or spaced interpreter path: /bin/sh was taken for the Python and refused.
    _no_mitmproxy_here(monkeypatch, tmp_path)
    fake = tmp_path / "mitmdump"
    fake.write_text(f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''\n")
    assert launch.addon_path_for(str(fake)) == str(launch.ADDON_PATH)
