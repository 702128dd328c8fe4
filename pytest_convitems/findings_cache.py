"""Validation findings of recorded interactions, memoized with the cassette's parse cache.

Validation is a pure function of the bytes it reads, so the findings of a recorded
interaction are stored in the cassette's parse-cache entry (`cassette_cache`, keyed by
the sha256 of the cassette's bytes) under a *validator fingerprint*: a sha256 over the
source of everything `validation.validate_exchange` runs (the models, the validation
modules, routes, exchange and findings) and the versions of this package and pydantic.
Any edit to the validator, or a different pydantic, changes the fingerprint and misses.

On replay a live request reuses the findings of the recorded interaction that answers it
only when everything validation reads from the request is equal (`validation_view`):
method, exact path, parsed query in order, every `Content-Type` value and the body as
canonical JSON (strict UTF-8; anything else compares as bytes); the response replayed is
the recorded one itself. Otherwise it is validated for real. A warm replay therefore
never imports pydantic or the models (~0.3 s per process); an entry that does not decode
is recomputed, never trusted. Recording always validates for real.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

from .cassette_cache import CassetteCache
from .exchange import Exchange, Request
from .findings import Finding
from .fingerprint import source_fingerprint
from .routes import parse_query

FORMAT: Final = "pytest-convitems-findings"
VERSION: Final = 1
Validator = Callable[[Exchange], list[Finding]]

_SOURCES: Final = (
    "validation*.py",
    "models/**/*.py",
    "routes.py",
    "exchange.py",
    "findings.py",
    "redact.py",  # messages quote values redacted
)
_DISTRIBUTIONS: Final = ("pytest-convitems", "pydantic", "pydantic-core")


@functools.cache
def validator_fingerprint() -> str:
    """sha256 over the validator's source files and versions; read, never imported."""
    return source_fingerprint(f"{FORMAT}/{VERSION}", _SOURCES, _DISTRIBUTIONS)


def _canonical_body(body: bytes) -> str | bytes:
    if not body:
        return b""
    try:
        # Strict UTF-8: json.loads would also accept UTF-16/32 bytes the validator refuses.
        return json.dumps(json.loads(body.decode("utf-8")), sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return body


def _query(request: Request) -> Hashable:
    return tuple(
        (k, tuple(v) if isinstance(v, list) else v)
        for k, v in parse_query(request.query_string).items()
    )


def _content_types(request: Request) -> tuple[str, ...]:
    return tuple(
        value
        for name, values in request.headers.items()
        if name.lower() == "content-type"
        for value in values
    )


def validation_view(request: Request) -> Hashable:
    """Everything validation reads from a request: equal views, equal findings."""
    return (
        request.method.upper(),
        request.path,
        _query(request),
        _content_types(request),
        _canonical_body(request.body),
    )


def same_for_validation(a: Request, b: Request) -> bool:
    """`validation_view(a) == validation_view(b)`, without parsing what is byte-equal."""
    return (
        a.method.upper() == b.method.upper()
        and a.path == b.path
        and (a.query_string == b.query_string or _query(a) == _query(b))
        and _content_types(a) == _content_types(b)
        and (a.body == b.body or _canonical_body(a.body) == _canonical_body(b.body))
    )


def encode(table: Sequence[Sequence[Finding]]) -> dict[str, Any]:
    rows = [[{**f.to_dict(), "source": None} for f in findings] for findings in table]
    return {"format": FORMAT, "v": VERSION, "fingerprint": validator_fingerprint(), "rows": rows}


def decode(annotation: Any, count: int) -> list[list[Finding]] | None:
    """The findings per interaction, or None when `annotation` is not for this validator."""
    try:
        if (
            annotation.get("format") != FORMAT
            or annotation.get("v") != VERSION
            or annotation.get("fingerprint") != validator_fingerprint()
        ):
            return None
        rows = annotation["rows"]
        if not isinstance(rows, list) or len(rows) != count:
            return None
        table = []
        for row in rows:
            findings = []
            for data in row:
                finding = Finding.from_dict({**data, "source": None})
                if not all(isinstance(v, str) for v in finding.to_dict().values()):
                    return None
                findings.append(finding)
            table.append(findings)
        return table
    except (AttributeError, TypeError, KeyError, ValueError):
        return None


class FindingsMemo:
    """The findings of one cassette's recorded interactions, computed at most once.

    `store`/`key`: the parse-cache entry the cassette was loaded from (None: no cache, the
    memo then lives for this object only); `annotation`: what that entry carried;
    `stored=False`: the entry is not written yet (the memo writes it, once, see `flush`).
    """

    def __init__(
        self,
        recorded: Sequence[Exchange],
        validate: Validator,
        *,
        store: CassetteCache | None = None,
        key: str = "",
        annotation: Any = None,
        stored: bool = True,
    ) -> None:
        self._recorded = list(recorded)
        self._validate = validate
        self._store = store
        self._key = key
        self._annotation = annotation
        self._table: list[list[Finding]] | None = None
        self._stored = stored
        self.computed = False
        """True once the findings were validated for real here (a cache miss)."""

    def findings_for(self, live: Exchange, recorded: Exchange) -> list[Finding]:
        """Findings of `live` (a live request and the response replayed from `recorded`)."""
        index = (recorded.source or {}).get("interaction")
        if (
            isinstance(index, int)
            and 0 <= index < len(self._recorded)
            and self._recorded[index] is recorded
            and live.response is recorded.response
            and same_for_validation(live.request, recorded.request)
        ):
            return list(self._findings()[index])
        return self._validate(Exchange(live.request, live.response))

    def _findings(self) -> list[list[Finding]]:
        if self._table is None:
            table = decode(self._annotation, len(self._recorded)) if self._annotation else None
            if table is None:
                table = [self._validate(Exchange(e.request, e.response)) for e in self._recorded]
                self.computed = True
                if self._store is not None and self._key:
                    self._store.put(self._key, self._recorded, annotation=encode(table))
                    self._stored = True
            self._table = table
        return self._table

    def flush(self) -> None:
        """Store the cassette's parse-cache entry if nothing stored it yet (no findings were
        needed): the next run then still skips the YAML."""
        if not self._stored and self._store is not None and self._key:
            self._store.put(self._key, self._recorded)
            self._stored = True
