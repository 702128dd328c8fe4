"""What a cached result was derived with: a sha256 over source files and versions.

A cache keyed only by its input's bytes would serve results an older parser or validator
made; folding in the source of the code that made them (read, never imported) and the
versions of the distributions it relies on makes any change to either a miss.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Final

PACKAGE: Final = Path(__file__).resolve().parent


def source_fingerprint(tag: str, sources: Sequence[str], distributions: Sequence[str]) -> str:
    """sha256 over `tag`, the package files matching the `sources` globs, and the versions of
    `distributions`."""
    h = hashlib.sha256(f"{tag}\n".encode())
    files = sorted({p for pattern in sources for p in PACKAGE.glob(pattern)})
    for path in files:
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    for dist in distributions:
        h.update(f"{dist}={version(dist)}\n".encode())
    return h.hexdigest()


@functools.cache  # the validator's and the parser's fingerprints both read our own
def version(dist: str) -> str:
    """The `Version:` header of an installed distribution's METADATA, or "?".

    Read from the header block alone: `metadata.version()` parses the whole file with the
    email parser (~18 ms for pydantic's, its long description included), a cost every
    replay run would pay once. Not `email.parser.HeaderParser` on the block either:
    importing it costs ~7 ms, the whole saving. A `Version:` line is all this needs."""
    try:
        text = metadata.distribution(dist).read_text("METADATA") or ""
    except metadata.PackageNotFoundError:
        return "?"
    for line in text.partition("\n\n")[0].splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "version":
            return value.strip()
    return "?"
