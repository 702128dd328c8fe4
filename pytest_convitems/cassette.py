"""Read and write vcrpy cassettes (format version 1), reviewable, redacted and atomic.

Plain vcrpy loads and replays every cassette written here. Beyond vcrpy:
- bodies are stored decoded (gzip, deflate, br, zstd) without `Content-Encoding`, and
  `Content-Length` states the length of the body as stored;
- JSON bodies are pretty-printed with sorted keys as literal blocks, so a re-record
  diffs line by line; the stored body *is* the body replayed, JSON-equal to the recorded;
- secrets are redacted at write time (`redact.DEFAULT_REDACTOR`);
- a write goes to a temp file in the same folder, is fsynced and renamed over the
  cassette: a reader sees the old cassette or the new one, never a part;
- a load is a hash and a JSON decode when the parse cache has the bytes' hash;
- an interaction may end with `recorded_at` (when its request was sent; the proxy writes
  it, to replay several cassettes in the order recorded), a key vcrpy ignores.

Read errors are `CassetteError`s that name the file, the line or interaction, what is
wrong and what to do; a cassette that does not load is never written over.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from . import cassette_yaml
from .cassette_body import (
    InteractionError,
    decode_content,
    interaction_to_exchange,
    normalise_for_storage,
)
from .cassette_cache import CacheEntry, CassetteCache, default_cache, digest, read_bytes
from .errors import CassetteError
from .exchange import Exchange
from .redact import DEFAULT_REDACTOR, Redactor

__all__ = [
    "DEFAULT",
    "CassetteCache",
    "append_to_cassette",
    "decode_content",
    "exchange_to_interaction",
    "interaction_to_exchange",
    "load_cassette",
    "load_cassette_entry",
    "write_cassette",
]


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default()
"""Sentinel: the default redactor / the cache the environment configures."""

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _cache(cache: CassetteCache | _Default | None) -> CassetteCache | None:
    return default_cache() if isinstance(cache, _Default) else cache


def _redactor(redactor: Redactor | _Default | None) -> Redactor | None:
    return DEFAULT_REDACTOR if isinstance(redactor, _Default) else redactor


def exchange_to_interaction(
    exchange: Exchange, *, redactor: Redactor | _Default | None = DEFAULT
) -> dict[str, Any]:
    """A vcrpy v1 interaction dict, as it is stored: decoded, pretty, redacted."""
    if exchange.response is None:
        raise CassetteError(
            f"cannot record {exchange.request.method} {exchange.request.url}: it has no "
            "response (the request failed or is still in flight); record only completed exchanges"
        )
    req, resp = exchange.request, exchange.response
    red = _redactor(redactor)
    try:
        req_headers, req_body = normalise_for_storage(req.headers, req.body, red, response=None)
        resp_headers, resp_body = normalise_for_storage(
            resp.headers, resp.body, red, response=(req.method, resp.status)
        )
    except CassetteError as exc:
        url = red.uri(req.url) if red is not None else req.url
        raise CassetteError(f"{req.method} {url} (status {resp.status}): {exc}") from exc
    item: dict[str, Any] = {
        "request": {
            "body": req_body,
            "headers": req_headers,
            "method": req.method,
            "uri": red.uri(req.url) if red is not None else req.url,
        },
        "response": {
            "body": {"string": resp_body},
            "headers": resp_headers,
            "status": {"code": resp.status, "message": resp.reason},
        },
    }
    if exchange.recorded_at is not None:
        # after `response`, as Ruby VCR has it; vcrpy ignores a key it does not know
        item["recorded_at"] = exchange.recorded_at
    return item


def _is_json_path(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _render(path: Path, items: Sequence[Mapping[str, Any]]) -> bytes:
    try:
        if _is_json_path(path):
            data = {"interactions": list(items), "version": 1}
            return (json.dumps(data, indent=4, ensure_ascii=False) + "\n").encode("utf-8")
        return cassette_yaml.document(items).encode("utf-8")
    except (TypeError, UnicodeEncodeError) as exc:
        raise CassetteError(
            f"{path}: cannot store these exchanges ({exc}); a JSON cassette cannot hold binary "
            "bodies and text must be valid Unicode. Use a .yaml cassette. Nothing was written."
        ) from exc


_STALE_TEMP_SECONDS: Final = 300.0
_TEMP_NAME_HEAD: Final = 100


def _temp_prefix(path: Path) -> str:
    """`.<name>.`, the name cut to its head: beside a cassette named as long as the file
    system allows (pytest-recording's longest names are), a longer temp name cannot exist."""
    return f".{path.name[:_TEMP_NAME_HEAD]}."


def _remove_stale_temps(path: Path) -> None:
    """Temp files a killed writer left behind (old enough that no writer still owns them)."""
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for tmp in path.parent.glob(f"{glob.escape(_temp_prefix(path))}*.tmp"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def _write(path: Path, data: bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise CassetteError(
            f"{path}: cannot write the cassette ({exc.strerror or exc}); give a file path in "
            "a folder you can write to"
        ) from exc


def atomic_write(path: Path, data: bytes, *, sweep: bool = True) -> None:
    """Replace `path` with `data` all at once: a temp file beside it, fsynced, renamed over
    it, and the folder fsynced; the file keeps its permissions. `sweep=False` skips looking
    for temp files a killed writer left (a folder listing: a writer that appends to the same
    file again and again sweeps on its first write only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if sweep:
        _remove_stale_temps(path)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _stored_exchanges(path: Path, items: Sequence[Mapping[str, Any]], start: int) -> list[Exchange]:
    """What a load of the written items returns: the cache entry for the new bytes."""
    out = []
    for i, item in enumerate(items, start):
        try:
            out.append(interaction_to_exchange(item, source=str(path), index=i))
        except InteractionError as exc:
            raise CassetteError(
                f"{path}: interaction {i}: {exc}. Nothing was written: a cassette that could "
                "not be loaded back is never stored."
            ) from exc
    return out


def _old_key(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def write_cassette(
    path: str | os.PathLike[str],
    exchanges: Iterable[Exchange],
    *,
    redactor: Redactor | _Default | None = DEFAULT,
    cache: CassetteCache | _Default | None = DEFAULT,
) -> None:
    """Write `exchanges`, in order, as the cassette at `path` (atomically; overwrites).

    `.json` paths get vcrpy's JSON serializer format, anything else YAML.
    """
    path = Path(path)
    items = [exchange_to_interaction(e, redactor=redactor) for e in exchanges]
    data = _render(path, items)
    stored = _stored_exchanges(path, items, 0)
    store = _cache(cache)
    with _lock_for(path):
        old = _old_key(path) if store is not None else None
        _write(path, data)
    if store is not None:
        new = digest(data)
        if old is not None and old != new:
            store.discard(old)
        store.put(new, stored)


def append_to_cassette(
    path: str | os.PathLike[str],
    exchanges: Iterable[Exchange],
    *,
    redactor: Redactor | _Default | None = DEFAULT,
    cache: CassetteCache | _Default | None = DEFAULT,
) -> None:
    """Add `exchanges` after what the cassette at `path` holds (created when missing).

    The existing cassette must load: a corrupt one raises `CassetteError` and stays
    byte-identical. When it has our block layout, the new interactions are spliced in as
    text (no re-render of the old ones); the whole file is still replaced atomically.
    """
    path = Path(path)
    items = [exchange_to_interaction(e, redactor=redactor) for e in exchanges]
    store = _cache(cache)
    with _lock_for(path):
        try:
            old_bytes = path.read_bytes()
        except FileNotFoundError:
            old_bytes = b""
        except OSError as exc:
            raise CassetteError(f"{path}: cannot read the cassette to append to it: {exc}") from exc
        if not old_bytes.strip():
            data = _render(path, items)
            old_exchanges: list[Exchange] = []
        else:
            old_exchanges = _load_bytes(path, old_bytes, store)
            if not items:
                return
            top = cassette_yaml.TOP_LEVEL_LINE.findall(old_bytes)
            if (
                not _is_json_path(path)
                and old_bytes.endswith(b"\n" + cassette_yaml.TAIL.encode())
                and top == cassette_yaml.SPLICEABLE_TOP
                # items at column 0, as we and vcrpy write them: a formatter's indented
                # `  - request:` list would end up with the new items outside it
                and cassette_yaml.FIRST_ITEM_AT_COLUMN_0.search(old_bytes) is not None
            ):
                new_text = "".join(cassette_yaml.interaction(i) for i in items).encode("utf-8")
                cut = len(old_bytes) - len(cassette_yaml.TAIL)
                data = old_bytes[:cut] + new_text + old_bytes[cut:]
            else:
                old_items = [exchange_to_interaction(e, redactor=None) for e in old_exchanges]
                data = _render(path, [*old_items, *items])
        stored = [*old_exchanges, *_stored_exchanges(path, items, len(old_exchanges))]
        _write(path, data)
    if store is not None:
        if old_bytes.strip():
            store.discard(digest(old_bytes))
        store.put(digest(data), stored)


def _load_bytes(path: Path, data: bytes, store: CassetteCache | None) -> list[Exchange]:
    return _load_entry(path, data, store, digest(data) if store is not None else "").exchanges


def _load_entry(
    path: Path | str, data: bytes, store: CassetteCache | None, key: str, *, put: bool = True
) -> CacheEntry:
    if store is not None:
        cached = store.get_entry(key, str(path))
        if cached is not None:
            return cached
    # Imported here: a warm cache never parses YAML, and the parser pulls in PyYAML.
    from .cassette_parse import parse_cassette

    path = Path(path)
    exchanges = parse_cassette(path, data, json_format=_is_json_path(path))
    if store is not None and put:
        store.put(key, exchanges)
    return CacheEntry(exchanges, stored=put)


def _read_cassette(path: Path) -> bytes:
    try:
        return read_bytes(path)
    except FileNotFoundError as exc:
        raise CassetteError(
            f"{path}: no such cassette; record it first (e.g. --convitems-record-mode=once)"
        ) from exc
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read the cassette: {exc}") from exc


def load_cassette(
    path: str | os.PathLike[str], *, cache: CassetteCache | _Default | None = DEFAULT
) -> list[Exchange]:
    """The exchanges of the cassette at `path`, in order, each with its `source`.

    Reads our YAML, vcrpy's YAML and vcrpy's JSON serializer format (`.json`). An empty
    file is an empty cassette (vcrpy records it again). Raises `CassetteError` naming the
    file and the line or interaction for anything it cannot read.
    """
    path = Path(path)
    data = _read_cassette(path)
    if not data.strip():
        return []
    return _load_bytes(path, data, _cache(cache))


def load_cassette_entry(
    path: str | os.PathLike[str],
    *,
    cache: CassetteCache | _Default | None = DEFAULT,
    put: bool = True,
) -> tuple[CacheEntry, str, CassetteCache | None] | None:
    """`load_cassette` for a reader that annotates the cache entry of these bytes: the entry
    (exchanges and annotation), its key (sha256 of the bytes) and the cache used, or None
    when there is no cassette yet (no file, or an empty one). One read, no separate stat;
    given a `str`, a warm cache never builds a `Path` (pathlib's parse is a per-test cost).
    `put=False`: a parsed cassette's entry is left to the caller (`entry.stored` is False),
    who writes it once with its annotation instead of twice (a write costs ~0.2 ms)."""
    text = os.fspath(path)
    try:
        data = read_bytes(text)
    except FileNotFoundError:
        return None
    except OSError:
        data = _read_cassette(Path(text))  # raises the CassetteError that names the problem
    if not data:
        return None
    key = digest(data)
    if not data.strip():
        return CacheEntry([]), key, None
    store = _cache(cache)
    return _load_entry(text, data, store, key, put=put), key, store
