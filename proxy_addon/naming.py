"""Where recordings go: cassette file names from conversation ids, and their parts in order.

No mitmproxy here.
"""

from __future__ import annotations

import functools
import glob
import re
from pathlib import Path

from pytest_convitems.exchange import Exchange, json_or_none
from pytest_convitems.matching import normal_escapes
from pytest_convitems.redact import DEFAULT_REDACTOR

SUFFIX = ".yaml"
_PART = re.compile(r"^(?P<stem>.*?)(?:\.part(?P<part>\d+))?\.(?:ya?ml|json)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@functools.lru_cache(maxsize=4096)  # a proxy records the same few conversations over and over
def safe_name(name: str) -> str:
    """A cassette file stem from an id: path separators and odd characters replaced, and a
    key sent where the id goes redacted (a file name is committed like the contents).
    Percent-escapes in one case, as replay matches them: `%c3%a9` from one client and
    `%C3%A9` from another are one id, and must not make two cassettes."""
    cleaned = _UNSAFE.sub("_", DEFAULT_REDACTOR.text(normal_escapes(name))).strip("._")
    cleaned = cleaned or "unnamed"
    return cleaned[:120]


def part_path(directory: Path, name: str, part: int) -> Path:
    suffix = SUFFIX if part == 1 else f".part{part:03d}{SUFFIX}"
    return directory / f"{name}{suffix}"


def last_part(directory: Path, name: str) -> int:
    """The highest part of cassette `name` in `directory` (1 when it has no later part)."""
    parts = (_order(p) for p in directory.glob(glob.escape(name) + ".part*" + SUFFIX))
    return max((part for stem, part in parts if stem == name), default=1)


def _order(path: Path) -> tuple[str, int]:
    m = _PART.match(path.name)
    if m is None:
        return (path.name, 0)
    return (m.group("stem"), int(m.group("part") or 1))


def cassette_files(directory: Path) -> list[Path]:
    """Every cassette under `directory`, parts of one cassette in the order they were written.

    Found as `convitems validate`, drift and the plugin find them (one walker: hidden
    folders and the drift ignore list skipped, `.json` cassettes read): the proxy had its
    own, and refused to replay a folder holding a `convitems-drift-ignore.yaml`.
    """
    from pytest_convitems.cassette_check import cassette_paths
    from pytest_convitems.errors import InputError

    if not directory.is_dir():
        return []
    try:
        found = cassette_paths([directory])
    except InputError:  # a folder with no cassettes in it: nothing to list
        return []
    return sorted(found, key=lambda p: (str(p.parent), *_order(p)))


_CONVERSATION_IN_PATH = "/conversations/"


def conversation_id(exchange: Exchange) -> str | None:
    """The conversation an exchange belongs to: from its path, or the one it created."""
    path = exchange.request.path
    at = path.find(_CONVERSATION_IN_PATH)
    if at >= 0:
        ident = path[at + len(_CONVERSATION_IN_PATH) :].split("/", 1)[0]
        if ident:
            return ident
    if exchange.request.method == "POST" and path.rstrip("/").endswith("/conversations"):
        body = json_or_none(exchange.response.body) if exchange.response else None
        created = body.get("id") if isinstance(body, dict) else None
        if isinstance(created, str):
            return created
    return None


def cassette_name(
    exchange: Exchange, run_name: str, *, per_run: bool, conversation: str | None = None
) -> str:
    """The cassette an exchange is recorded in: its conversation's, or the run's.

    `conversation`: the id when the caller has it already (the proxy matched the route).
    """
    if per_run:
        return run_name
    return safe_name(conversation or conversation_id(exchange) or run_name)
