"""One HTTP request/response pair, in neutral form.

Neither mitmproxy nor vcrpy types appear here: the proxy addon, the pytest plugin and
the cassette module each convert their own representation into an `Exchange`, and
everything downstream (validation, recording, drift) reads only this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

Headers = dict[str, list[str]]
"""Header name -> values, as vcrpy stores them. Lookups go through `header()`."""


def header(headers: Headers, name: str) -> str | None:
    """The first value of a header, matched case-insensitively."""
    lowered = name.lower()
    for key, values in headers.items():
        if key.lower() == lowered and values:
            return values[0]
    return None


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def with_target(
        cls, method: str, url: str, target: str, headers: Headers, body: bytes = b""
    ) -> Request:
        """A request whose target (`path?query`, as on the request line) the caller has at
        hand, as a proxy does: `path` and `query_string` come from it, and the URL is never
        parsed again (inside the proxy `urlsplit` cost about as much as the rest of building
        the request)."""
        request = cls(method, url, headers, body)
        path, _, query = target.partition("#")[0].partition("?")
        request.__dict__["_target"] = (path, query)  # what the cached property would hold
        return request

    @cached_property
    def _target(self) -> tuple[str, str]:
        parts = urlsplit(self.url)
        return parts.path, parts.query

    @property
    def path(self) -> str:
        return self._target[0]

    @property
    def query_string(self) -> str:
        return self._target[1]

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass(frozen=True)
class Response:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


@dataclass(frozen=True)
class Exchange:
    """A request and, once it arrived, its response (`None` while in flight or on error)."""

    request: Request
    response: Response | None = None
    source: dict[str, Any] | None = None
    """Where this exchange was read from, e.g. {"cassette": path, "interaction": 3}."""
    recorded_at: str | None = None
    """When the request was sent, as the proxy recorded it: ISO-8601 UTC with microseconds
    (`2026-11-25T15:20:01.123456Z`), stored as the interaction's `recorded_at` key. Replay
    orders the interactions of several cassettes by it; the pytest plugin leaves it None."""


def is_json_content_type(value: str | None) -> bool:
    """True for `application/json` and `+json` media types (parameters ignored)."""
    if not value:
        return False
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def json_or_none(body: bytes) -> Any:
    """The parsed body, or None when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
