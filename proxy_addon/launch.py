"""How `convitems proxy` starts mitmdump with the addon; imports nothing from mitmproxy.

mitmdump runs as its own process (exec'd, so Ctrl-C and SIGTERM reach it directly and the
addon's `done()` flushes the cassettes), in reverse mode to the upstream, on loopback by
default: the proxy sees API keys in transit and must not listen on every interface unasked.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ADDON_PATH = Path(__file__).resolve().parent / "addon.py"
DEFAULT_UPSTREAM = "https://api.openai.com"
DEFAULT_LISTEN = "127.0.0.1:8080"

INSTALL_HINT = (
    "mitmproxy is not installed in this environment, and no mitmdump is on PATH. Install the "
    "proxy extra: pip install 'pytest-convitems[proxy]' (with pipx: pipx inject "
    "pytest-convitems mitmproxy; or, for a standalone mitmproxy from pipx: pipx inject "
    "--include-apps mitmproxy pytest-convitems)"
)


class LaunchError(ValueError):
    """An option `convitems proxy` cannot run with; the message says what to pass."""


@dataclass(frozen=True)
class ProxyOptions:
    upstream: str = DEFAULT_UPSTREAM
    listen: str = DEFAULT_LISTEN
    mode: str = "observe"
    cassette_dir: str = "cassettes"
    cassette_per: str = "conversation"
    block_invalid: bool = False
    report: str = ""
    redaction: tuple[tuple[str, str], ...] = ()
    """(setting, value) pairs of `redact.SETTINGS`, e.g. ("convitems_redact_headers", "X-Key")."""


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise LaunchError(f"--listen wants HOST:PORT such as {DEFAULT_LISTEN}, not {value!r}")
    return host.strip("[]"), int(port)


def mitmproxy_available() -> bool:
    return importlib.util.find_spec("mitmproxy") is not None


def mitmdump_executable() -> str:
    """mitmdump from this Python's environment first; else from PATH, where a standalone
    mitmproxy puts it (pipx, with pytest-convitems injected: it loads the addon there)."""
    beside = Path(sys.executable).parent / "mitmdump"
    if mitmproxy_available() and beside.exists():
        return str(beside)
    found = shutil.which("mitmdump")
    if found is None:
        raise LaunchError(INSTALL_HINT)
    return found


def addon_path_for(executable: str) -> str:
    """The addon `executable` (a mitmdump) is to load: ours when it is this environment's;
    else the one installed beside it (a standalone mitmproxy with pytest-convitems
    injected). A mitmdump whose Python cannot import the addon would run as a bare proxy,
    the addon's error in its log: in replay mode it would forward the client's key
    upstream, and record nothing."""
    if Path(executable).parent == Path(sys.executable).parent and mitmproxy_available():
        return str(ADDON_PATH)
    python = _interpreter_of(executable)
    import subprocess

    try:
        found = subprocess.run(
            # the addon's own imports (models, validation), not only this stdlib module
            [
                python or "",
                "-c",
                "import proxy_addon.addon, proxy_addon.launch as l; print(l.ADDON_PATH)",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        raise LaunchError(
            f"{executable} is mitmproxy from another environment, without pytest-convitems "
            "in it: pipx inject --include-apps mitmproxy pytest-convitems (and run the "
            "convitems that puts on PATH), or pip install 'pytest-convitems[proxy]' here"
        ) from None
    return found.stdout.strip()


_SH_EXEC = b"'''exec' "
"""How the `/bin/sh` launcher's second line starts (distlib's, which pip uses)."""


def _interpreter_of(executable: str) -> str | None:
    """The Python a console script runs with, from its `#!` line (or, in the `/bin/sh`
    launcher pip and uv write for a long or spaced path, from its `exec` line)."""
    try:
        with open(executable, "rb") as script:
            first, second = script.readline(4096), script.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    if second.startswith(_SH_EXEC):
        try:
            return shlex.split(second[len(_SH_EXEC) :].decode("utf-8", "replace"))[0]
        except (ValueError, IndexError):
            return None
    words = first[2:].decode("utf-8", "replace").split()
    if len(words) > 1 and Path(words[0]).name == "env":
        return words[1]  # `#!/usr/bin/env python3`
    return words[0] if words else None


def _check_upstream(options: ProxyOptions) -> None:
    if not options.upstream.startswith(("http://", "https://")):
        raise LaunchError(
            f"--upstream wants an http:// or https:// URL such as {DEFAULT_UPSTREAM}, "
            f"not {options.upstream!r}"
        )
    if urlsplit(options.upstream).path not in ("", "/"):
        # The SDK's base URL, pasted: mitmdump refused it as a server spec, exit 1.
        origin = urlunsplit((*urlsplit(options.upstream)[:2], "", "", ""))
        raise LaunchError(
            f"--upstream is the API's origin, without a path: give {origin}, not "
            f"{options.upstream} (the client's base URL keeps its /v1)"
        )


def mitmdump_argv(
    options: ProxyOptions, executable: str = "mitmdump", addon: str = str(ADDON_PATH)
) -> list[str]:
    _check_upstream(options)
    host, port = parse_listen(options.listen)
    argv = [
        executable,
        "--mode",
        f"reverse:{options.upstream}",
        "--listen-host",
        host,
        "--listen-port",
        str(port),
        # connect upstream only when a request needs it: replay never does
        "--set",
        "connection_strategy=lazy",
        # mitmdump's own flow lines print URLs as sent, a key in the query included: the
        # addon's line instead, redacted
        "--set",
        "flow_detail=0",
        "--set",
        "convitems_flow_log=true",
        "-s",
        addon,
        "--set",
        f"convitems_mode={options.mode}",
        "--set",
        f"convitems_cassette_dir={options.cassette_dir}",
        "--set",
        f"convitems_cassette_per={options.cassette_per}",
        "--set",
        f"convitems_block_invalid={'true' if options.block_invalid else 'false'}",
    ]
    if options.report:
        argv += ["--set", f"convitems_report={options.report}"]
    for name, value in options.redaction:
        argv += ["--set", f"{name}={value}"]  # a list option: each --set adds one
    return argv


def check_replay_source(options: ProxyOptions) -> None:
    """In replay, the cassettes must load before mitmdump starts: the addon would refuse
    them too, but inside mitmdump's own start-up traceback, after it said it was listening."""
    if options.mode != "replay":
        return
    from pytest_convitems.errors import InputError

    from .replayer import load_index

    folder = Path(options.cassette_dir)
    if not folder.is_dir():
        raise LaunchError(
            f"--cassette-dir {options.cassette_dir} is not a folder: record into it first "
            f"(convitems proxy --mode record --cassette-dir {options.cassette_dir}), or point "
            "--cassette-dir at the folder that holds the cassettes"
        )
    try:
        load_index(folder, redactor=None)
    except InputError as exc:
        raise LaunchError(str(exc)) from exc


def _check_listen(listen: str) -> None:
    """A port already taken, said in our terms: mitmdump's own message advises a
    `--mode reverse:...@PORT` flag this command does not have, and exits 1."""
    host, port = parse_listen(listen)
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return  # mitmdump says what is wrong with the host
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind(address)
        except OSError as exc:
            raise LaunchError(
                f"--listen {listen}: cannot listen there ({exc.strerror or exc}); pick another "
                "port (--listen HOST:PORT) or stop what uses it"
            ) from exc


def check_options(options: ProxyOptions) -> None:
    """What the addon would refuse at start-up, refused first, in one line: from inside
    mitmdump it came as a traceback after "listening at", and exit 1."""
    from pytest_convitems.redact import configured_redactor

    settings: dict[str, list[str]] = {}
    for name, value in options.redaction:
        settings.setdefault(name, []).append(value)
    try:
        configured_redactor(settings)
    except ValueError as exc:
        raise LaunchError(f"{exc}; fix the --redact-... value") from exc
    _check_upstream(options)
    if options.mode == "record":
        try:
            Path(options.cassette_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LaunchError(
                f"--cassette-dir {options.cassette_dir}: cannot create it "
                f"({exc.strerror or exc}); give a folder you can write to"
            ) from exc
    if options.report:
        report = Path(options.report)
        existed = report.exists()
        try:
            report.parent.mkdir(parents=True, exist_ok=True)  # as the addon does
            with open(report, "a"):
                pass
        except OSError as exc:
            raise LaunchError(
                f"--report {options.report}: cannot open it to append ({exc.strerror or exc}); "
                "give a file in a folder you can write to"
            ) from exc
        if not existed:
            report.unlink()  # only checked: the addon creates it
    _check_listen(options.listen)


def exec_mitmdump(options: ProxyOptions) -> int:
    """Replace this process with mitmdump (POSIX); elsewhere run it and wait."""
    executable = mitmdump_executable()  # before the options: without it, nothing can run
    addon = addon_path_for(executable)
    check_options(options)
    check_replay_source(options)
    argv = mitmdump_argv(options, executable, addon)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(argv[0], argv)
    import subprocess

    return subprocess.call(argv)
