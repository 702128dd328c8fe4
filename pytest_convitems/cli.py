"""`convitems` command line: argument parsing only; the work lives in library modules.

Exit codes (every command): 0 nothing at or above the failing severity, 1 findings that
fail, 2 usage or input error (the message names the file and what to do).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .errors import InputError
from .filenames import DRIFT_IGNORE_FILE

Handler = Callable[[argparse.Namespace], int]


def _add_format(p: argparse.ArgumentParser, *extra: str) -> None:
    p.add_argument(
        "--format", choices=("text", "json", *extra), default="text", help="output format"
    )


# --- convitems check ---------------------------------------------------------------


def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="validate one request or response body (and query)",
        description=(
            "Validate one body (and query) against the models. Text output: one line per "
            "finding, pointer first. JSON output: "
            '{"findings": [finding, ...], "summary": {"endpoint", "direction", "errors", '
            '"drift", "ok"}}. Exit 0: no error findings (drift alone passes); 1: error '
            "findings; 2: bad input (missing/unreadable/empty file, not JSON, a body for "
            "an endpoint that takes none)."
        ),
    )
    p.add_argument("--endpoint", required=True, choices=("create", "list", "retrieve", "delete"))
    p.add_argument("--direction", required=True, choices=("request", "response"))
    p.add_argument("--status", type=int, default=None, help="response status (default 200)")
    p.add_argument(
        "--query", action="append", default=[], metavar="K=V", help="a query parameter (repeat)"
    )
    p.add_argument(
        "file",
        nargs="?",
        default=None,
        help="JSON body file, or - for stdin (leave out for list/retrieve/delete requests)",
    )
    _add_format(p)
    p.set_defaults(handler=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from .check import check, read_input, render

    if args.status is not None and args.direction != "response":
        raise InputError("--status applies to responses only; use --direction response.")
    if args.status is not None and not (200 <= args.status < 300 or 400 <= args.status < 600):
        # Nothing is checked for other statuses: "matches the models" would not be true.
        raise InputError(
            f"--status {args.status}: a success (2xx) or error (4xx, 5xx) status is checked; "
            "the API answers these endpoints with no other"
        )
    body, name = read_input(args.file, sys.stdin.buffer)
    result = check(
        args.endpoint,
        args.direction,
        body,
        name=name,
        status=200 if args.status is None else args.status,
        query=args.query,
    )
    print(render(result, args.format))
    return result.exit_code


# --- convitems validate ------------------------------------------------------------


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="validate cassettes (files or folders, recursive)",
        description="Run every interaction of every cassette (*.yaml, *.yml, *.json; folders "
        "recursively) through the models, and report any credential left on disk (rule "
        "`secret`). Exit 0: clean; 1: findings; 2: a cassette that does not load (the message "
        "names the file and the line or interaction).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="cassette file or folder")
    _add_format(p)
    p.set_defaults(handler=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from .cassette_check import render, validate_cassettes

    result = validate_cassettes(args.paths)
    print(render(result, args.format))
    for message in result.unreadable:
        print(f"convitems validate: {message}", file=sys.stderr)
    return result.exit_code


# --- convitems serve ---------------------------------------------------------------


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the embedded items API on loopback",
        description="A stateful, in-memory Conversations API (conversations and their items) "
        "for demos and tests. Prints its base URL; Ctrl-C or SIGTERM stops it. Any "
        "`Authorization: Bearer ...` is accepted; none gets 401.",
    )
    p.add_argument("--host", default="127.0.0.1", help="default %(default)s (loopback)")
    p.add_argument("--port", type=int, default=0, help="default 0: a free port (printed)")
    p.add_argument(
        "--profile",
        choices=("current", "seed"),
        default="current",
        help="current: as openai-python 3.57.0; seed: as the original 'Create items' page "
        "(--profile-differences lists how they differ)",
    )
    p.add_argument(
        "--profile-differences",
        action="store_true",
        help="print how the seed profile differs from current (a Markdown table) and exit",
    )
    p.set_defaults(handler=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    if args.profile_differences:
        # What docs/profiles.md shows, from the installed package (the docs are not in it).
        from .server_profiles import differences_markdown

        sys.stdout.write(differences_markdown())
        return 0
    from .server import serve_forever

    return serve_forever(args.host, args.port, args.profile)


# --- convitems proxy ---------------------------------------------------------------


_PROXY_EPILOG = """\
Reverse mode (what this runs): point the client at the proxy, e.g.
  convitems proxy --mode record --cassette-dir cassettes --report findings.jsonl
  OpenAI(base_url="http://127.0.0.1:8080/v1")
Regular (forward) mode, for clients you cannot re-point: run mitmdump yourself,
  mitmdump -s "$(python -c 'import proxy_addon.launch as l; print(l.ADDON_PATH)')" \\
      --listen-host 127.0.0.1 --set convitems_mode=observe \\
      --set flow_detail=0 --set convitems_flow_log=true
(the last two replace mitmdump's request lines, which quote a key sent in a URL, with the
addon's redacted ones); then set HTTPS_PROXY=http://127.0.0.1:8080 in the client and make it trust mitmproxy's CA,
~/.mitmproxy/mitmproxy-ca-cert.pem (SSL_CERT_FILE for Python, NODE_EXTRA_CA_CERTS for Node).
Replay plays each recording once; before running a client suite again, rewind:
  curl -X POST http://127.0.0.1:8080/__convitems/rewind
Needs mitmproxy: pip install 'pytest-convitems[proxy]'."""


def _add_proxy(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from proxy_addon.launch import DEFAULT_LISTEN, DEFAULT_UPSTREAM

    p = sub.add_parser(
        "proxy",
        help="run mitmproxy with the convitems addon",
        epilog=_PROXY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--upstream", default=DEFAULT_UPSTREAM, help="the API (default %(default)s)")
    p.add_argument(
        "--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help="default %(default)s"
    )
    p.add_argument(
        "--mode",
        choices=("observe", "record", "replay"),
        default="observe",
        help="default %(default)s: validate only",
    )
    p.add_argument("--cassette-dir", default="cassettes", help="default %(default)s")
    p.add_argument(
        "--cassette-per",
        choices=("conversation", "run"),
        default="conversation",
        help="one cassette per conversation (default) or per run",
    )
    p.add_argument(
        "--block-invalid",
        action="store_true",
        help="answer invalid requests with the API's 400 instead of forwarding them",
    )
    p.add_argument("--report", default="", metavar="FILE", help="append findings as JSON lines")
    from .redact import SETTINGS

    for flag, setting, metavar in _PROXY_REDACT:
        p.add_argument(
            flag,
            action="append",
            default=[],
            dest=setting,
            metavar=metavar,
            help=f"also redact in cassettes, logs and the report (repeatable): {SETTINGS[setting]}",
        )
    p.set_defaults(handler=_run_proxy)


_PROXY_REDACT = (
    ("--redact-header", "convitems_redact_headers", "HEADER"),
    ("--redact-query", "convitems_redact_query", "PARAM"),
    ("--redact-json", "convitems_redact_json", "POINTER"),
    ("--redact-pattern", "convitems_redact_patterns", "REGEX"),
)
"""`convitems proxy` flags for the addon's `redact.SETTINGS` options."""


def _run_proxy(args: argparse.Namespace) -> int:
    from proxy_addon.launch import LaunchError, ProxyOptions, exec_mitmdump

    options = ProxyOptions(
        upstream=args.upstream,
        listen=args.listen,
        mode=args.mode,
        cassette_dir=args.cassette_dir,
        cassette_per=args.cassette_per,
        block_invalid=args.block_invalid,
        report=args.report,
        redaction=tuple(
            (setting, value) for _, setting, _ in _PROXY_REDACT for value in getattr(args, setting)
        ),
    )
    try:
        return exec_mitmdump(options)
    except LaunchError as exc:
        raise InputError(str(exc)) from exc


# --- convitems drift ---------------------------------------------------------------


def _add_drift(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "drift",
        help="compare two cassettes or folders of cassettes",
        description=(
            "Compare the shapes (fields, types, enum values, item variants) of OLD and NEW "
            "traffic, per endpoint; folders are pooled. Exit 0: nothing at or above --fail-on; "
            "1: changes that fail; 2: unreadable input, or nothing on both sides to compare."
        ),
    )
    p.add_argument("old", metavar="OLD", help="cassette file or folder (the baseline)")
    p.add_argument("new", metavar="NEW", help="cassette file or folder (the candidate)")
    p.add_argument(
        "--ignore",
        metavar="FILE",
        help="YAML/JSON list of {fingerprint, reason}: accepted changes that no longer fail "
        f"(default: {DRIFT_IGNORE_FILE} here, when there is one, as the pytest plugin reads "
        "it from the rootdir)",
    )
    p.add_argument(
        "--fail-on",
        choices=("breaking", "warning", "info", "never"),
        default="breaking",
        help="lowest severity that makes the exit code 1 (default breaking)",
    )
    p.add_argument(
        "--models",
        action="store_true",
        help="also report fields and item variants in NEW that the models lack",
    )
    _add_format(p, "markdown")
    p.set_defaults(handler=_run_drift)


def _run_drift(args: argparse.Namespace) -> int:
    from .drift import check_fail_on, drift_between_paths, load_ignore, render

    fail_on = check_fail_on(args.fail_on)
    given = args.ignore or (DRIFT_IGNORE_FILE if os.path.isfile(DRIFT_IGNORE_FILE) else None)
    ignore = load_ignore(given) if given else None
    report = drift_between_paths(args.old, args.new, ignore=ignore, models=args.models)
    if not report.compared:
        # A gate that compared nothing must not pass: NEW empty, or another suite's traffic.
        raise InputError(_nothing_compared(args.old, args.new, report.only_old, report.only_new))
    sys.stdout.write(render(report, args.format))
    return report.exit_code(fail_on)


def _nothing_compared(old: str, new: str, only_old: list[str], only_new: list[str]) -> str:
    if not only_old and not only_new:
        return (
            f"nothing to compare: neither {old} nor {new} holds traffic of the items endpoints "
            "(/v1/conversations/{id}/items); pass recordings of them"
        )

    def held(contexts: list[str]) -> str:
        return ", ".join(contexts) if contexts else "no items traffic"

    return (
        f"nothing to compare: {old} has {held(only_old)}; {new} has {held(only_new)}; no "
        "endpoint and status class is on both sides. Compare recordings of the same suite"
    )


# --- convitems demo ----------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="the three jobs, end to end, on the embedded server")
    p.add_argument(
        "--dir",
        default="convitems-demo",
        help="folder for every file the demo writes (default %(default)s; replaced on each run)",
    )
    p.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .demo import run_demo

    return run_demo(Path(args.dir))


# -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convitems",
        description="Validate, record, replay and drift-check OpenAI Conversations items traffic.",
    )
    from .fingerprint import version

    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('pytest-convitems')}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_proxy, _add_serve, _add_validate, _add_check, _add_drift, _add_demo):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InputError as exc:
        print(f"convitems {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `convitems check ... | head`: the reader left; say nothing more, as POSIX tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
