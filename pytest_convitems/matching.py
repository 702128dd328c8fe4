"""Replay matching: which recorded exchange answers a request, and why none does.

Shared by the pytest plugin and the proxy's replay mode. A request matches a recorded one
when method, path, query (parsed, so `include[]=` and repeated `include=` agree, order of
keys ignored) and body (JSON-equal, so key order and whitespace do not count) are equal.
The host is ignored: a cassette recorded through the proxy against the upstream replays
against whatever base URL the client uses now.

Lookups are dictionary hits, never a scan, so replaying from a large cassette costs the
same per call as from a small one.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .exchange import Exchange, Request
from .findings import pointer
from .routes import match_route, parse_query

if TYPE_CHECKING:
    from .redact import Redactor

_MISSING = "(absent)"
_CLOSEST_CANDIDATES = 25
"""How many same-method candidates get a body diff when nothing matched: bounds the cost."""


def _canonical_query(query_string: str) -> tuple[tuple[str, Any], ...]:
    if not query_string:  # most requests: a per-call cost on replay
        return ()
    parsed = parse_query(query_string)
    # Array values sorted: `include` is a set to the API, and vcrpy's matcher sorts too.
    return tuple(
        sorted((k, tuple(sorted(v)) if isinstance(v, list) else v) for k, v in parsed.items())
    )


def _canonical_body(body: bytes) -> str | bytes:
    if not body:
        return b""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep enough: compared as bytes
        return body


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _upper_escape(match: re.Match[str]) -> str:
    return match.group().upper()


def normal_escapes(path: str) -> str:
    """`path` with its percent-escapes in uppercase hex: `%c3%bc` and `%C3%BC` are the same
    character (RFC 3986 §6.2.2.1), and clients differ on which they send (Node, Python)."""
    if "%" not in path:  # nearly every path: no regex on the replay's per-request path
        return path
    return _PERCENT_ESCAPE.sub(_upper_escape, path)


def _normal_path(path: str) -> str:
    return normal_escapes(path).rstrip("/") or "/"


def _endpoint(method: str, path: str) -> str | None:
    route = match_route(method, path)
    return route.endpoint if route is not None else None


def request_key(request: Request) -> Hashable:
    """What two requests must share to be the same request on replay."""
    return (
        request.method.upper(),
        _normal_path(request.path),
        _canonical_query(request.query_string),
        _canonical_body(request.body),
    )


def redacted_key(
    redactor: Redactor | None, key: Callable[[Request], Hashable] = request_key
) -> Callable[[Request], Hashable]:
    """`key` of the request as a cassette stores it (`Redactor.for_matching`): recordings
    hold `token=REDACTED` where the live request has the token. Idempotent on recorded
    requests, so one key serves both sides."""
    if redactor is None:
        return key
    view = redactor.for_matching
    return lambda request: key(view(request))


@dataclass(frozen=True)
class Mismatch:
    """The recorded request nearest to one that had no match, and how they differ."""

    recorded: Exchange
    index: int
    """Position of `recorded` among the interactions the index was built from."""
    differences: list[str] = field(default_factory=list)
    used_up: bool = False
    """The very same request was recorded, and every recording of it has been replayed."""

    def describe(self, where: str | None = None) -> str:
        """`where`: how to name the recording (default `interaction N` of the index)."""
        req = self.recorded.request
        where = where or f"interaction {self.index}"
        lines = [f"closest recorded request ({where}): {req.method} {req.url}"]
        lines += [f"  - {d}" for d in self.differences]
        return "\n".join(lines)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return body.decode("utf-8", "replace")


def _short(value: Any) -> str:
    if value is _MISSING or (isinstance(value, str) and value == _MISSING):
        return _MISSING
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _value_differences(part: str, recorded: Any, sent: Any) -> list[str]:
    """JSON-pointer differences between two JSON values, via deepdiff's tree view."""
    if recorded == sent:
        return []
    if not isinstance(recorded, dict | list) or not isinstance(sent, dict | list):
        return [f"{part}: recorded {_short(recorded)}, sent {_short(sent)}"]
    # Imported here: only a miss needs it, and it costs a replay run's startup otherwise.
    from deepdiff import DeepDiff

    tree = DeepDiff(recorded, sent, view="tree", ignore_order=False)
    out: list[str] = []
    for kind, levels in tree.items():
        for level in levels:
            where = pointer(*level.path(output_format="list")) or "/"
            if "removed" in kind:
                out.append(f"{part} {where}: recorded {_short(level.t1)}, not sent")
            elif "added" in kind:
                out.append(f"{part} {where}: not recorded, sent {_short(level.t2)}")
            else:
                out.append(f"{part} {where}: recorded {_short(level.t1)}, sent {_short(level.t2)}")
    return out


def describe_differences(recorded: Request, sent: Request) -> list[str]:
    """Every way `sent` differs from `recorded`, most decisive first."""
    diffs: list[str] = []
    if recorded.method.upper() != sent.method.upper():
        diffs.append(f"method: recorded {recorded.method}, sent {sent.method}")
    if _normal_path(recorded.path) != _normal_path(sent.path):
        diffs.append(f"path: recorded {recorded.path}, sent {sent.path}")
    rq, sq = (
        dict(_canonical_query(recorded.query_string)),
        dict(_canonical_query(sent.query_string)),
    )
    for key in sorted(rq.keys() | sq.keys()):
        if rq.get(key, _MISSING) != sq.get(key, _MISSING):
            diffs.append(
                f"query {pointer(key)}: recorded {_short(rq.get(key, _MISSING))}, "
                f"sent {_short(sq.get(key, _MISSING))}"
            )
    if _canonical_body(recorded.body) != _canonical_body(sent.body):
        try:
            diffs += _value_differences("body", _json(recorded.body), _json(sent.body))
        except RecursionError:
            diffs.append("body: differs, nested too deeply to say where")
    return diffs


class ReplayIndex:
    """Recorded exchanges indexed by `request_key`; each plays once, in recorded order."""

    def __init__(
        self,
        exchanges: Iterable[Exchange],
        *,
        key: Callable[[Request], Hashable] = request_key,
    ) -> None:
        # `key` lets a caller match on fewer parts (e.g. the plugin's `match_on`).
        self._key = key
        self._exchanges = list(exchanges)
        self._queues: dict[Hashable, deque[int]] = {}
        self._last: dict[Hashable, int] = {}
        """Key -> the recording of it played last: a miss on a used-up key names it."""
        self._played: set[int] = set()
        for i, ex in enumerate(self._exchanges):
            self._queues.setdefault(key(ex.request), deque()).append(i)

    def __len__(self) -> int:
        return len(self._exchanges)

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self._exchanges)

    def take(self, request: Request) -> Exchange | None:
        """The next unplayed recording of this request, or None."""
        key = self._key(request)
        queue = self._queues.get(key)
        if queue:
            i = queue.popleft()
            self._played.add(i)
            self._last[key] = i
            return self._exchanges[i]
        return None

    def unused(self) -> list[Exchange]:
        return [ex for i, ex in enumerate(self._exchanges) if i not in self._played]

    def closest(
        self, request: Request, view: Callable[[Request], Request] | None = None
    ) -> Mismatch | None:
        """The recorded request nearest to `request` (which had no match), or None if empty.

        `view`: how recorded requests are compared and quoted (`Redactor.for_matching`, as
        `request` already is): an old cassette may hold a secret a miss must not print."""
        if not self._exchanges:
            return None

        def recorded(i: int) -> Request:
            r = self._exchanges[i].request
            return view(r) if view is not None else r

        def shown(i: int) -> Exchange:
            return replace(self._exchanges[i], request=recorded(i))

        key = self._key(request)
        if key in self._last:
            i = self._last[key]
            times = sum(1 for j in self._played if self._key(self._exchanges[j].request) == key)
            return Mismatch(
                shown(i),
                i,
                [
                    # no advice here: the plugin says re-record, the proxy says rewind
                    f"this exact request was recorded {times} time(s), and every recording "
                    "of it was already replayed"
                ],
                used_up=True,
            )
        method, path = request.method.upper(), _normal_path(request.path)
        endpoint = _endpoint(method, path)

        def rank(i: int) -> tuple[bool, bool, bool]:
            # Same method, same path, else the same endpoint (a list call on another
            # conversation is nearer than a retrieve on this one).
            r = self._exchanges[i].request
            return (
                r.method.upper() != method,
                _normal_path(r.path) != path,
                _endpoint(r.method, r.path) != endpoint,
            )

        played = self._played
        ranks = [rank(i) for i in range(len(self._exchanges))]  # a route match each: once
        shortlist = sorted(range(len(ranks)), key=lambda i: (ranks[i], i in played))
        shortlist = shortlist[:_CLOSEST_CANDIDATES]
        diffs = {i: describe_differences(recorded(i), request) for i in shortlist}
        best = min(shortlist, key=lambda i: (ranks[i], len(diffs[i]), i in played))
        return Mismatch(shown(best), best, diffs[best])
