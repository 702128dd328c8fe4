"""Replay mode's library half: cassettes in a folder -> a `ReplayIndex`, and the 404 a
request with no recording gets. No mitmproxy here; the addon turns these into responses.

404, not 599: OpenAI SDKs (Python, Node, ...) retry 5xx, so a 599 would be sent three times
and surface late as a generic server error; a 404 fails at once as `NotFoundError`, and the
`x-convitems-replay: miss` header tells it apart from an API 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proxy_addon.naming import cassette_files
from pytest_convitems.api_error import api_error
from pytest_convitems.cassette import load_cassette
from pytest_convitems.errors import CassetteError, InputError
from pytest_convitems.exchange import Exchange, Request
from pytest_convitems.matching import ReplayIndex, redacted_key
from pytest_convitems.redact import DEFAULT_REDACTOR, Redactor

MISS_STATUS = 404
MISS_CODE = "convitems_replay_miss"
REWIND_PATH = "/__convitems/rewind"
"""What a client POSTs to start the replay over (the addon answers it); under any prefix,
so an SDK whose base URL ends in `/v1` can send it too."""


def load_index(
    directory: Path, redactor: Redactor | None = DEFAULT_REDACTOR
) -> tuple[ReplayIndex, int]:
    """Every cassette under `directory`, in recorded order, and how many files that was;
    matched through `redactor` (what the recording redacted still matches).

    Recorded order is the order the requests were sent (`recorded_at`, which the proxy
    writes) when every interaction has one; else the cassettes' order (`cassette_files`),
    each in its own order. File order alone is not recorded order: a conversation's file is
    named by its random id, so three `POST /v1/conversations {}` would replay in the order
    of their ids, each client getting another's conversation.

    Raises `InputError` naming the folder, or the cassette and interaction that failed.
    """
    if not directory.is_dir():
        raise InputError(
            f"{directory} is not a folder; record into it first (convitems_mode=record) "
            "or point at the folder that holds the cassettes"
        )
    exchanges: list[Exchange] = []
    files = cassette_files(directory)
    for path in files:
        try:
            exchanges.extend(load_cassette(path))
        except CassetteError as exc:
            raise InputError(f"convitems replay: {exc}") from exc
    return ReplayIndex(in_sent_order(exchanges), key=redacted_key(redactor)), len(files)


def _instant(recorded_at: str | None) -> datetime | None:
    if recorded_at is None:
        return None
    try:
        when = datetime.fromisoformat(recorded_at)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def in_sent_order(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """`exchanges` with those that have a readable `recorded_at` put in time order among
    the places they hold (a stable sort: equal times keep their order); the others
    (cassettes from the plugin or vcrpy, or from before the proxy wrote it, say nothing of
    time across files) stay where they are. One untimed cassette in the folder must not
    turn the order off for all the rest."""
    timed = [(i, when) for i, e in enumerate(exchanges) if (when := _instant(e.recorded_at))]
    out = list(exchanges)
    by_time = sorted(timed, key=lambda pair: pair[1])
    for (place, _), (source, _) in zip(timed, by_time, strict=True):
        out[place] = exchanges[source]
    return out


def _where(recorded: Exchange, position: int, redactor: Redactor | None) -> str:
    source = recorded.source or {}
    cassette, at = source.get("cassette"), source.get("interaction")
    if cassette is None or at is None:
        return f"interaction {position}"
    name = redactor.text(str(cassette)) if redactor is not None else str(cassette)
    return f"interaction {at} of {name}"


def miss_body(
    index: ReplayIndex, request: Request, redactor: Redactor | None = DEFAULT_REDACTOR
) -> dict[str, Any]:
    """The OpenAI-shaped error for an unrecorded request: the closest recording and how
    the request differs from it, quoting the request as a cassette would store it (the
    message goes to the client and the log, so no secret in it)."""
    view = redactor.for_matching if redactor is not None else None
    if view is not None:
        request = view(request)
    closest = index.closest(request, view)  # an old cassette may hold a secret
    where = "The cassettes hold no requests."
    if closest is not None:
        # "interaction N" of the index means nothing to a reader of several files: the
        # cassette and the interaction's position in it, as `convitems validate` names it
        where = closest.describe(_where(closest.recorded, closest.index, redactor))
    query = f"?{request.query_string}" if request.query_string else ""
    fix = "Record it (convitems proxy --mode record) or fix the request."
    if closest is not None and closest.used_up:
        fix = (
            f"If the client started over, rewind the replay first (POST {REWIND_PATH}); "
            "if it makes this call once more than when it was recorded, record again "
            "(convitems proxy --mode record)."
        )
    message = (
        f"convitems replay: no recorded interaction matches {request.method} {request.path}"
        f"{query}. {where}\n{fix}"
    )
    return api_error(message, code=MISS_CODE)
