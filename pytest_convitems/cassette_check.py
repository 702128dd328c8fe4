"""`convitems validate`: every interaction of every cassette through the validation, plus
a `secret` rule for credentials already on disk: the gate a CI job or pre-commit hook runs.

Placeholders (`REDACTED`, `Bearer REDACTED`, `sk-REDACTED`) are not secrets; neither is a
short dummy value a vcrpy filter put in a credential header (`DUMMY`, `<API_KEY>`). What
is reported: a token-shaped string (`sk-...`, `Bearer ...`) anywhere in a URI, a header or
a body, and a credential-looking value in a header or query parameter that always holds
one (`Authorization`, `api_key`, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from .cassette import load_cassette
from .errors import CassetteError, InputError
from .exchange import Exchange, Headers
from .filenames import DRIFT_IGNORE_STEM
from .findings import Direction, Endpoint, Finding, Part, pointer
from .redact import (
    DEFAULT_QUERY_PARAMS,
    DEFAULT_REQUEST_HEADERS,
    DEFAULT_RESPONSE_HEADERS,
    SECRET_PATTERN,
)
from .routes import match_route

SUFFIXES: Final = (".yaml", ".yml", ".json")
_CREDENTIAL: Final = re.compile(r"[A-Za-z0-9._~+/=\-]{20,}")
_SENSITIVE_HEADERS: Final = frozenset(
    h.lower() for h in (*DEFAULT_REQUEST_HEADERS, *DEFAULT_RESPONSE_HEADERS)
)
_SENSITIVE_QUERY: Final = frozenset(DEFAULT_QUERY_PARAMS)
_INVALID_REQUEST: Final = frozenset({400, 422})
"""Statuses by which the API says the request itself was invalid (not 401, 404, 429...)."""
OTHER_ENDPOINT: Final[Endpoint] = "other"
"""Secrets are reported in any traffic; outside the items API the endpoint is `other`."""


def cassette_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; folders walked recursively for *.yaml, *.yml, *.json cassettes.

    Hidden files and folders (temp files, `.convitems-cache`) are skipped.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            # Named too when a hook passes every changed file under cassettes/.
            if not path.name.startswith(DRIFT_IGNORE_STEM):
                found.append(path)
        elif path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not p.name.startswith(DRIFT_IGNORE_STEM)
                and (p.suffix.lower() != ".json" or _looks_like_json_cassette(p))
            )
            if not inside:
                raise InputError(
                    f"{path}: no cassettes (*.yaml, *.yml, *.json) in this folder; give the "
                    "folder your cassettes are recorded into"
                )
            found.extend(inside)
        else:
            raise InputError(f"{path}: no such file or folder; give cassette files or folders")
    return found


def _looks_like_json_cassette(path: Path) -> bool:
    """In a folder walk, a JSON file that is clearly something else (a report, a config)
    is not a cassette; one that does not parse is, so it gets reported as unreadable."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return True
    if not isinstance(data, dict):
        return True
    # `version` alone: a cassette missing its interactions, not a package.json's "1.0.0"
    return "interactions" in data or isinstance(data.get("version"), int)


def _credential_like(value: str) -> bool:
    for token in _CREDENTIAL.findall(value):
        if re.search(r"[A-Za-z]", token) and re.search(r"[0-9]", token):
            return True
    return False


def _secret(
    endpoint: Endpoint, direction: Direction, part: Part, where: str, message: str, source: Any
) -> Finding:
    return Finding("error", endpoint, direction, part, where, "secret", message, source)


def _json_strings(value: Any, tokens: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer(*tokens), value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _json_strings(v, (*tokens, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_strings(v, (*tokens, i))


def _body_secrets(
    body: bytes, endpoint: Endpoint, direction: Direction, source: Any
) -> list[Finding]:
    text = body.decode("utf-8", "replace") if body else ""
    if not SECRET_PATTERN.search(text):
        return []
    try:
        parsed = json.loads(text)
    except ValueError:
        return [
            _secret(
                endpoint,
                direction,
                "body",
                "",
                f"the {direction} body holds a token-shaped string; replace it with "
                "sk-REDACTED or re-record with redaction on",
                source,
            )
        ]
    return [
        _secret(
            endpoint,
            direction,
            "body",
            where,
            f"the {direction} body holds a token-shaped string at {where}; replace it with "
            "sk-REDACTED or re-record with redaction on",
            source,
        )
        for where, value in _json_strings(parsed)
        if SECRET_PATTERN.search(value)
    ]


def _header_secrets(
    headers: Headers, endpoint: Endpoint, direction: Direction, source: Any
) -> list[Finding]:
    out = []
    for name, values in headers.items():
        for value in values:
            shaped = SECRET_PATTERN.search(value) is not None
            if shaped or (name.lower() in _SENSITIVE_HEADERS and _credential_like(value)):
                out.append(
                    _secret(
                        endpoint,
                        direction,
                        "headers",
                        pointer(name),
                        f"the {direction} header {name} holds a credential; replace its value "
                        "with REDACTED (Bearer REDACTED) or re-record with redaction on",
                        source,
                    )
                )
    return out


def _uri_secrets(uri: str, endpoint: Endpoint, source: Any) -> list[Finding]:
    out = []
    parts = urlsplit(uri)
    if SECRET_PATTERN.search(parts.path):
        out.append(
            _secret(
                endpoint,
                "request",
                "path",
                "",
                "the request path holds a token-shaped string; replace it with sk-REDACTED",
                source,
            )
        )
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if SECRET_PATTERN.search(value) or (
            name.lower() in _SENSITIVE_QUERY and _credential_like(value)
        ):
            out.append(
                _secret(
                    endpoint,
                    "request",
                    "query",
                    pointer(name),
                    f"the query parameter {name} holds a credential; replace it with REDACTED",
                    source,
                )
            )
    return out


def secret_findings(exchange: Exchange) -> list[Finding]:
    """Credentials stored in this exchange (its `source` carried onto each finding)."""
    req, resp, source = exchange.request, exchange.response, exchange.source
    route = match_route(req.method, req.path)
    endpoint = route.endpoint if route is not None else OTHER_ENDPOINT
    out = _uri_secrets(req.url, endpoint, source)
    out += _header_secrets(req.headers, endpoint, "request", source)
    out += _body_secrets(req.body, endpoint, "request", source)
    if resp is not None:
        out += _header_secrets(resp.headers, endpoint, "response", source)
        out += _body_secrets(resp.body, endpoint, "response", source)
    return out


@dataclass
class ValidateResult:
    cassettes: list[str] = field(default_factory=list)
    interactions: int = 0
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    """One message per cassette that could not be read (file, line/interaction, fix)."""
    refused: list[Finding] = field(default_factory=list)
    """Request errors of interactions the API answered with 400/422: it refused them too
    (a test that sends an invalid request on purpose), so they are shown, not counted."""

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def secrets(self) -> int:
        return sum(1 for f in self.findings if f.rule == "secret")

    @property
    def exit_code(self) -> int:
        if self.unreadable:
            return 2
        return 1 if self.errors else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "refused_by_the_api": [f.to_dict() for f in self.refused],
            "unreadable": self.unreadable,
            "summary": {
                "cassettes": len(self.cassettes),
                "interactions": self.interactions,
                "errors": self.errors,
                "drift": len(self.findings) - self.errors,
                "secrets": self.secrets,
                "unreadable": len(self.unreadable),
                "refused_by_the_api": len(self.refused),
                "ok": self.exit_code == 0,
            },
        }

    def text_lines(self) -> list[str]:
        lines = [f.text() for f in self.findings]
        summary = (
            f"{len(self.cassettes)} cassette(s), {self.interactions} interaction(s): "
            f"{self.errors} error(s) ({self.secrets} secret(s)), "
            f"{len(self.findings) - self.errors} drift"
        )
        if self.unreadable:
            summary += f", {len(self.unreadable)} unreadable cassette(s)"
        lines.append(summary + ".")
        if self.refused:
            lines.append(
                f"Not counted: {len(self.refused)} request error(s) in interactions the API "
                "refused with 400 as recorded (sent invalid on purpose):"
            )
            lines += [f"  {f.text()}" for f in self.refused]
        if self.secrets:
            lines.append(
                "Secrets on disk: rotate those keys, then re-record (redaction is on by default) "
                "or replace the values with REDACTED."
            )
        return lines


def validate_cassettes(paths: Sequence[str | Path]) -> ValidateResult:
    """Validate every cassette under `paths`; unreadable ones are listed, not raised."""
    from .redact import DEFAULT_REDACTOR
    from .validation import validate_exchange

    result = ValidateResult()
    for path in cassette_paths(paths):
        result.cassettes.append(str(path))
        try:
            exchanges = load_cassette(path)
        except CassetteError as exc:
            result.unreadable.append(str(exc))
            continue
        if not exchanges and not path.read_bytes().strip():
            # vcrpy records over it, so a commit of it (a truncated write, a bad merge) is a
            # cassette lost; its tests fail in CI's replay.
            result.unreadable.append(
                f"{path}: an empty file, not a cassette; record its tests again, or delete it"
            )
            continue
        result.interactions += len(exchanges)
        for exchange in exchanges:
            # A key in the wrong field is quoted by its finding; CI logs show this output.
            found = [DEFAULT_REDACTOR.finding(f) for f in validate_exchange(exchange)]
            if exchange.response is not None and exchange.response.status in _INVALID_REQUEST:
                expected = [f for f in found if f.direction == "request" and f.severity == "error"]
                result.refused += expected
                found = [f for f in found if f not in expected]
            result.findings += found
            result.findings += secret_findings(exchange)
    return result


def render(result: ValidateResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2)
    return "\n".join(result.text_lines())
