"""The items API's route table, as data, and query-string parsing.

Routes match on the path *suffix*, so `/v1/...`, `/openai/v1/...` (Azure) and a bare
`/conversations/...` behind a prefix-stripping gateway are all recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from .findings import Endpoint


@dataclass(frozen=True)
class Route:
    endpoint: Endpoint
    method: str
    pattern: re.Pattern[str]
    has_body: bool


@dataclass(frozen=True)
class RouteMatch:
    endpoint: Endpoint
    conversation_id: str
    item_id: str | None
    prefix: str
    """What stood before `/conversations/...` in the path (e.g. `/v1`)."""


_SEGMENT = r"[^/]+"
_ITEMS = rf"(?P<prefix>.*?)/conversations/(?P<conversation_id>{_SEGMENT})/items/?"
_ITEM = rf"(?P<prefix>.*?)/conversations/(?P<conversation_id>{_SEGMENT})/items/(?P<item_id>{_SEGMENT})/?"

ROUTES: Final[tuple[Route, ...]] = (
    Route("create", "POST", re.compile(_ITEMS + r"\Z"), has_body=True),
    Route("list", "GET", re.compile(_ITEMS + r"\Z"), has_body=False),
    Route("retrieve", "GET", re.compile(_ITEM + r"\Z"), has_body=False),
    Route("delete", "DELETE", re.compile(_ITEM + r"\Z"), has_body=False),
)

ENDPOINTS: Final[tuple[Endpoint, ...]] = tuple(r.endpoint for r in ROUTES)


_BY_ENDPOINT: Final[dict[Endpoint, Route]] = {r.endpoint: r for r in ROUTES}


def route_for(endpoint: Endpoint) -> Route:
    return _BY_ENDPOINT[endpoint]


def match_route(method: str, path: str) -> RouteMatch | None:
    """The items endpoint a request goes to, or None for any other traffic."""
    method = method.upper()
    for route in ROUTES:
        if route.method != method:
            continue
        m = route.pattern.match(path)
        if m is not None:
            groups = m.groupdict()
            return RouteMatch(
                endpoint=route.endpoint,
                conversation_id=groups["conversation_id"],
                item_id=groups.get("item_id"),
                prefix=groups["prefix"],
            )
    return None


# Query keys that are arrays on the wire. The SDK sends `include[]=a&include[]=b`,
# other clients repeat `include=a&include=b`; both mean the same list.
ARRAY_PARAMS: Final[frozenset[str]] = frozenset({"include"})


def parse_query(query_string: str) -> dict[str, str | list[str]]:
    """Query string -> {name: value}, with array parameters always as lists.

    A repeated scalar keeps its last value (what most servers do); values stay text,
    the query models parse them.
    """
    result: dict[str, str | list[str]] = {}
    for raw_key, value in parse_qsl(query_string, keep_blank_values=True):
        key = raw_key[:-2] if raw_key.endswith("[]") else raw_key
        if key in ARRAY_PARAMS or raw_key.endswith("[]"):
            existing = result.get(key)
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[key] = [value]
        else:
            result[key] = value
    return result
