"""A parse cache for cassettes, keyed by the sha256 of the cassette's bytes.

Parsing YAML costs about as much as vcrpy's whole load; hashing the bytes and decoding a
JSON form of the same interactions costs a fraction of it. The YAML stays the truth: an
entry is found only by the hash of the exact bytes on disk, so an edited cassette misses
the cache and is parsed again; an entry that does not decode, or does not have our shape,
is ignored. Entries are written atomically and hold only what the cassette already holds
(redacted at write time), so the cache never has a secret the cassette does not.

An entry may also carry an opaque `annotation` (`findings_cache` keeps the validation
findings of the interactions there, under its validator's fingerprint): derived from the
same bytes, so it lives and dies with the entry.

Where: `$CONVITEMS_CACHE_DIR` if set (`0`/`off`/empty disables the cache), else
`$XDG_CACHE_HOME/pytest-convitems`, else `~/.cache/pytest-convitems`. Content-addressed,
so one cache serves every project on the machine.

Every re-recorded cassette leaves its old entry behind, so `prune` deletes entries nobody
has read for `PRUNE_AFTER_DAYS` (by access time: with `relatime`, the Linux default, a read
refreshes it at most once a day; on a `noatime` mount an entry that is still used is parsed
again once). The pytest plugin calls it at the end of a run, and it looks at the folder at
most once a day.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .exchange import Exchange, Request, Response
from .fingerprint import source_fingerprint
from .pruning import prune_folder

FORMAT: Final = "pytest-convitems-cassette-cache"
VERSION: Final = 1
_DISABLED: Final = frozenset({"", "0", "off", "false", "no"})
PRUNE_AFTER_DAYS: Final = 30.0
PRUNE_EVERY_HOURS: Final = 24.0
_OURS: Final = re.compile(r"[0-9a-f]{64}\.json|\.[0-9a-f]{16}\..+\.tmp")


_PARSER_SOURCES: Final = (
    "cassette_parse.py",
    "cassette_body.py",
    "cassette_cache.py",
    "exchange.py",
)


@functools.cache
def parser_fingerprint() -> str:
    """What turns a cassette's bytes into exchanges: an entry made by other code is a miss
    (the key, the bytes' hash, cannot tell a fixed decoder from the one that made it)."""
    return source_fingerprint(
        f"{FORMAT}/{VERSION}", _PARSER_SOURCES, ("pytest-convitems", "PyYAML")
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class CacheEntry:
    exchanges: list[Exchange]
    annotation: Any = None
    """What a reader added for these bytes (see `put`); never trusted without checking."""
    stored: bool = True
    """False when the bytes were parsed and the entry is left for the caller to `put`."""


_CHUNK: Final = 1 << 16


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes; a small file in one `read` (a per-test cost on replay)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunk = os.read(fd, _CHUNK)
        if len(chunk) < _CHUNK:
            return chunk
        chunks = [chunk]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class CassetteCache:
    """One cache folder. Every failure to read or write an entry is a miss, never an error."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._prefix = os.path.join(self.directory, "")

    def __repr__(self) -> str:
        return f"CassetteCache({str(self.directory)!r})"

    def _entry(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get_entry(self, key: str, source: str) -> CacheEntry | None:
        try:
            # Decoded first: given bytes, `json.loads` sniffs the encoding in Python code,
            # a third of its cost on an entry this size (we write UTF-8 only).
            data = json.loads(read_bytes(f"{self._prefix}{key}.json").decode("utf-8"))
            if (
                data.get("format") != FORMAT
                or data.get("v") != VERSION
                or data.get("key") != key
                or data.get("parser") != parser_fingerprint()
            ):
                return None
            exchanges = [_exchange(row, source, i) for i, row in enumerate(data["interactions"])]
            return CacheEntry(exchanges, data.get("annotation"))
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    def put(self, key: str, exchanges: Sequence[Exchange], *, annotation: Any = None) -> None:
        """Store the entry for `key` (replacing it); `annotation` must be JSON-serialisable."""
        payload: dict[str, Any] = {
            "format": FORMAT,
            "v": VERSION,
            "key": key,
            "parser": parser_fingerprint(),
            "interactions": [_row(e) for e in exchanges],
        }
        if annotation is not None:
            payload["annotation"] = annotation
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{key[:16]}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self._entry(key))
            tmp = None
        except OSError:
            pass  # a cache that cannot be written is only slower
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def discard(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._entry(key).unlink()

    def prune(
        self,
        *,
        after_days: float = PRUNE_AFTER_DAYS,
        every_hours: float = PRUNE_EVERY_HOURS,
        now: float | None = None,
    ) -> int | None:
        """Delete entries last read more than `after_days` ago; returns how many, or None
        when the folder was pruned less than `every_hours` ago (one `stat` then)."""
        now = time.time() if now is None else now
        cutoff = now - after_days * 86400

        def stale(entry: os.DirEntry[str]) -> bool:
            # Only our own files (`<sha256>.json`, and temp files a crash left): the
            # variable may point at a folder that holds other things too.
            return bool(_OURS.fullmatch(entry.name)) and entry.stat().st_atime < cutoff

        def remove(path: str) -> bool:
            os.unlink(path)
            return True

        return prune_folder(
            self.directory,
            stale,
            remove,
            every_hours=every_hours,
            now=now,
        )


def default_cache() -> CassetteCache | None:
    """The cache the environment asks for (read at call time, so tests can point it away)."""
    env = os.environ
    configured = env.get("CONVITEMS_CACHE_DIR")
    wanted = (
        (configured,)
        if configured is not None
        else (None, env.get("XDG_CACHE_HOME"), env.get("HOME"))
    )
    if wanted not in _DEFAULTS:
        _DEFAULTS[wanted] = _default_cache(wanted[0])
    return _DEFAULTS[wanted]


_DEFAULTS: dict[tuple[str | None, ...], CassetteCache | None] = {}
"""One cache object per environment: asked for once per cassette load."""


def _default_cache(configured: str | None) -> CassetteCache | None:
    if configured is not None:
        if configured.strip().lower() in _DISABLED:
            return None
        return CassetteCache(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return CassetteCache(os.path.join(base, "pytest-convitems"))


def _encode_body(body: bytes) -> Any:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(body).decode("ascii")}


def _decode_body(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return base64.b64decode(value["b64"], validate=True)


def _row(e: Exchange) -> list[Any]:
    req, resp = e.request, e.response
    assert resp is not None  # cassettes hold complete exchanges only
    row = [
        req.method,
        req.url,
        req.headers,
        _encode_body(req.body),
        resp.status,
        resp.reason,
        resp.headers,
        _encode_body(resp.body),
    ]
    if e.recorded_at is not None:
        row.append(e.recorded_at)  # a ninth column only when the interaction has one
    return row


def _headers(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise TypeError("headers")
    for v in value.values():
        if not isinstance(v, list):
            raise TypeError("header values")
    return value


def _exchange(row: list[Any], source: str, index: int) -> Exchange:
    recorded_at: str | None = None
    if len(row) == 8:  # the common case (no recorded_at): no list built for a star
        method, uri, req_headers, req_body, status, reason, resp_headers, resp_body = row
    else:  # a wrong length raises ValueError: the entry is read anew from the cassette
        method, uri, req_headers, req_body, status, reason, resp_headers, resp_body, at = row
        if not isinstance(at, str):
            raise TypeError("row")
        recorded_at = at
    if not (isinstance(method, str) and isinstance(uri, str) and isinstance(status, int)):
        raise TypeError("row")
    return Exchange(
        request=Request(method, uri, _headers(req_headers), _decode_body(req_body)),
        response=Response(status, str(reason), _headers(resp_headers), _decode_body(resp_body)),
        source={"cassette": source, "interaction": index},
        recorded_at=recorded_at,
    )
