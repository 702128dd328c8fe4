"""The ignore file: a reviewed list of accepted changes, so they stop failing CI.

YAML or JSON, a list of `{fingerprint: ..., reason: ...}` (or `{"ignore": [...]}`):

    - fingerprint: 3f2a9c0d1e4b5a69
      reason: mcp_call.error became an object in 2025-09; our client handles both
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError


@dataclass(frozen=True)
class IgnoreEntry:
    fingerprint: str
    reason: str


@dataclass(frozen=True)
class IgnoreList:
    path: str
    entries: tuple[IgnoreEntry, ...]

    def reason_for(self, fingerprint: str) -> str | None:
        for entry in self.entries:
            if entry.fingerprint == fingerprint:
                return entry.reason
        return None

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


_EXAMPLE = (
    "expected a list of {fingerprint: <16 hex chars from the report>, reason: <why it is accepted>}"
)


def load_ignore(path: str | Path) -> IgnoreList:
    """Read and check an ignore file; InputError names the file and the bad entry."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"ignore file {p}: cannot read it ({exc.strerror or exc})") from exc
    try:
        data: Any = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"ignore file {p}: not valid YAML/JSON ({exc}); {_EXAMPLE}") from exc
    if data is None:
        data = []
    if isinstance(data, dict) and set(data) == {"ignore"}:
        data = data["ignore"] or []
    if not isinstance(data, list):
        raise InputError(f"ignore file {p}: top level is {type(data).__name__}; {_EXAMPLE}")
    entries: list[IgnoreEntry] = []
    for i, raw in enumerate(data):
        where = f"ignore file {p}, entry {i}"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: is {type(raw).__name__}, not a mapping; {_EXAMPLE}")
        unknown = set(raw) - {"fingerprint", "reason"}
        if unknown:
            raise InputError(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; {_EXAMPLE}"
            )
        fp = raw.get("fingerprint")
        reason = raw.get("reason")
        if not isinstance(fp, str) or not fp.strip():
            raise InputError(f"{where}: `fingerprint` is missing or not a string; {_EXAMPLE}")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(
                f"{where} (fingerprint {fp}): `reason` is required: say why this change is accepted"
            )
        entries.append(IgnoreEntry(fp.strip(), reason.strip()))
    return IgnoreList(str(p), tuple(entries))
