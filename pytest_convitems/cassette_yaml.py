"""The YAML text of a cassette, emitted directly.

vcrpy writes cassettes with `yaml.dump`, whose Python-side representer costs as much as
the whole write. Our layout is fixed and small (two top-level keys, a list of
interactions, string scalars), so we emit the text ourselves, in the same shape PyYAML
produces (sorted keys, block style, `- ` items at the parent's indentation), with one
difference that is the point: multi-line strings (the pretty-printed JSON bodies) are
literal block scalars (`|-`), so a re-record diffs line by line in review.

Every scalar is either plain (only when it is unmistakably a string), double-quoted
(JSON escaping, which YAML's double-quoted style accepts, plus escapes for what YAML
forbids raw), a literal block, or `!!binary` base64 for bytes. The round trip through
libyaml's and PyYAML's safe loaders is tested with generated strings.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

_PLAIN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_\-./;=+,()*:?&%@~ ]*")
_RESERVED: Final = frozenset(
    {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~", "nan", "inf"}
)
# Characters YAML does not allow raw in a scalar (non-printable), or reads as a line
# break inside a double-quoted one (NEL, LS, PS); BOM is refused mid-stream by libyaml.
_NEEDS_ESCAPE: Final = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_BLOCK_UNSAFE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_ASCII_BLOCK_SAFE: Final = b"\t\n" + bytes(range(0x20, 0x7F))

HEAD: Final = "interactions:\n"
TAIL: Final = "version: 1\n"
EMPTY: Final = "interactions: []\nversion: 1\n"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def quoted(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return _NEEDS_ESCAPE.sub(_escape, text) if _NEEDS_ESCAPE.search(text) else text


def flow(value: str) -> str:
    """A one-line scalar: plain when that cannot be read as anything but this string."""
    if (
        _PLAIN.fullmatch(value)
        and not value.endswith((" ", ":"))
        and ": " not in value
        and value.lower() not in _RESERVED
    ):
        return value
    return quoted(value)


def _block_unsafe(value: str) -> bool:
    """Whether a literal block cannot hold `value` as is (a space ending a line, or a
    character YAML would not keep)."""
    if " \n" in value:
        return True
    if value.isascii():
        # The usual case (pretty JSON bodies): deleting every safe byte is one C pass,
        # ~6x faster than the regex, which costs ~0.4 ms on a 100-item body.
        return bool(value.encode("ascii").translate(None, _ASCII_BLOCK_SAFE))
    return _BLOCK_UNSAFE.search(value) is not None


def block(value: str, indent: str) -> str:
    """What follows `key:` for a string value: a literal block when it has lines."""
    # A first line opening with a tab: libyaml takes it for indentation and refuses it.
    if "\n" not in value or value[0] in " \t\n" or value.endswith((" ", "\n\n")):
        return " " + flow(value)
    if _block_unsafe(value):
        return " " + flow(value)
    if value.endswith("\n"):
        indicator, value = "|", value[:-1]
    else:
        indicator = "|-"
    return f" {indicator}\n{indent}" + value.replace("\n", "\n" + indent)


def binary(value: bytes, indent: str) -> str:
    lines = base64.encodebytes(value).decode("ascii").rstrip("\n").split("\n")
    if not value:
        return " !!binary ''"
    return " !!binary |\n" + "".join(f"{indent}{line}\n" for line in lines).rstrip("\n")


def body_scalar(value: str | bytes | None, indent: str) -> str:
    if value is None:
        return " null"
    if isinstance(value, bytes):
        return binary(value, indent)
    if value == "":
        return " ''"
    return block(value, indent)


def headers(value: Mapping[str, Sequence[str]], indent: str) -> str:
    if not value:
        return " {}"
    out: list[str] = []
    for name in sorted(value, key=str.lower):
        values = value[name]
        if not values:
            out.append(f"\n{indent}{flow(name)}: []")
            continue
        out.append(f"\n{indent}{flow(name)}:")
        for v in values:
            out.append(f"\n{indent}- {flow(v)}")
    return "".join(out)


def interaction(item: Mapping[str, Any]) -> str:
    """One `- request: ... response: ...` list item (then `recorded_at`, when the item has
    one), ending with a newline."""
    req = item["request"]
    resp = item["response"]
    status = resp["status"]
    recorded_at = item.get("recorded_at")
    # always quoted: plain, YAML 1.1 (PyYAML, libyaml) reads a timestamp as a datetime
    when = "" if recorded_at is None else f"  recorded_at: {quoted(recorded_at)}\n"
    return (
        "- request:\n"
        f"    body:{body_scalar(req['body'], '      ')}\n"
        f"    headers:{headers(req['headers'], '      ')}\n"
        f"    method: {flow(req['method'])}\n"
        f"    uri: {flow(req['uri'])}\n"
        "  response:\n"
        "    body:\n"
        f"      string:{body_scalar(resp['body']['string'], '        ')}\n"
        f"    headers:{headers(resp['headers'], '      ')}\n"
        "    status:\n"
        f"      code: {int(status['code'])}\n"
        f"      message: {flow(status['message'] or '')}\n"
        f"{when}"
    )


def document(items: Sequence[Mapping[str, Any]]) -> str:
    if not items:
        return EMPTY
    return HEAD + "".join(interaction(i) for i in items) + TAIL


# Top-level lines of a block-style cassette: anything at column 0 that is not a list
# item or a comment. A cassette we may splice onto has exactly these two.
TOP_LEVEL_LINE: Final = re.compile(rb"^[^ \n#\-].*$", re.MULTILINE)
SPLICEABLE_TOP: Final = [b"interactions:", b"version: 1"]
FIRST_ITEM_AT_COLUMN_0: Final = re.compile(
    rb"^interactions:[ \t]*\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*- ", re.M
)
"""The list under `interactions:` starts at column 0 (blank and comment lines may come first)."""
