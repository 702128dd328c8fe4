"""`convitems check`: validate one body (and query) a user has at hand.

Input problems (nothing to validate, not JSON, a body for an endpoint that takes none)
raise `InputError`, which the CLI turns into exit code 2; everything else is a finding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode

from .errors import InputError
from .findings import Direction, Endpoint, Finding
from .redact import DEFAULT_REDACTOR
from .routes import route_for
from .validation import validate_request, validate_response


@dataclass(frozen=True)
class CheckResult:
    endpoint: Endpoint
    direction: Direction
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        """1 when any finding is an error; drift alone passes."""
        return 1 if self.errors else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "summary": {
                "endpoint": self.endpoint,
                "direction": self.direction,
                "errors": self.errors,
                "drift": len(self.findings) - self.errors,
                "ok": self.exit_code == 0,
            },
        }

    def text_lines(self) -> list[str]:
        if not self.findings:
            return [f"ok: the {self.endpoint} {self.direction} matches the models."]
        lines = [f.text() for f in self.findings]
        lines.append(
            f"{self.errors} error(s), {len(self.findings) - self.errors} drift "
            f"in the {self.endpoint} {self.direction}."
        )
        return lines


def read_input(file: str | None, stdin: BinaryIO) -> tuple[bytes | None, str]:
    """The body bytes (None: no file given) and a name for messages."""
    if file is None:
        return None, "no body"
    if file == "-":
        return stdin.read(), "stdin"
    path = Path(file)
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise InputError(
            f"{file}: no such file; give the path of a JSON body, or - for stdin."
        ) from None
    except IsADirectoryError:
        raise InputError(f"{file} is a folder; give the path of one JSON body file.") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot read it ({exc.strerror}).") from exc


def query_string(pairs: Sequence[str]) -> str:
    """`["limit=10", "include[]=a"]` -> a URL query string (values encoded)."""
    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--query {pair!r} is not KEY=VALUE (e.g. --query limit=10).")
        parsed.append((key, value))
    return urlencode(parsed)


def check(
    endpoint: Endpoint,
    direction: Direction,
    body: bytes | None,
    *,
    name: str = "the body",
    status: int = 200,
    query: Sequence[str] = (),
) -> CheckResult:
    """Validate one body; `InputError` when there is nothing sensible to validate."""
    takes_body = direction == "response" or route_for(endpoint).has_body
    if query and direction != "request":
        raise InputError("--query applies to requests only; drop it or use --direction request.")
    if body is not None and not body.strip():
        if takes_body:
            raise InputError(f"{name} is empty; give a JSON body.")
        body = None
    if body is None:
        if takes_body:
            raise InputError(
                f"a {endpoint} {direction} has a JSON body: give a FILE, or - to read stdin."
            )
    elif not takes_body:
        method = route_for(endpoint).method
        raise InputError(
            f"a {endpoint} request ({method}) takes no body, but {name} has one; "
            "drop the FILE argument (use --query for its parameters)."
        )
    else:
        _require_json(body, name)

    if direction == "request":
        findings = validate_request(endpoint, query_string=query_string(query), body=body)
    else:
        assert body is not None
        findings = validate_response(endpoint, status, body)
    # A key in the wrong field is quoted by its finding; this output goes to logs.
    return CheckResult(endpoint, direction, [DEFAULT_REDACTOR.finding(f) for f in findings])


def _require_json(body: bytes, name: str) -> None:
    try:
        json.loads(body.decode("utf-8"))  # bytes would let json guess UTF-16/32; the API won't
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 JSON."
        ) from None
    except ValueError as exc:
        raise InputError(f"{name} is not JSON ({exc}); give a JSON document.") from None
    except RecursionError:
        pass  # JSON nested past Python's reach: the validator reports it (too_deep)


def render(result: CheckResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2)
    return "\n".join(result.text_lines())
