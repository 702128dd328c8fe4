"""What never reaches disk: secrets are replaced by fixed placeholders at write time.

vcrpy's `filter_headers` covers request headers only; a recorded `Set-Cookie`, a key in a
query string or an `sk-...` echoed inside a JSON body still leaks. A `Redactor` covers
all of them. Placeholders are fixed strings (`REDACTED`, `Bearer REDACTED`,
`sk-REDACTED`), so a redacted cassette replays the same way every time, and redacting
twice changes nothing.

Token-shaped strings are found with one compiled regex pass per text (built-in shapes and
the user's patterns joined into a single alternation), so redaction stays cheap on
megabyte cassettes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from .exchange import Headers, Request
from .findings import Finding

PLACEHOLDER: Final = "REDACTED"
BEARER_PLACEHOLDER: Final = "Bearer REDACTED"
SK_PLACEHOLDER: Final = "sk-REDACTED"

DEFAULT_REQUEST_HEADERS: Final[tuple[str, ...]] = (
    "Authorization",
    "api-key",
    "OpenAI-Organization",
    "OpenAI-Project",
    "Cookie",
    "Proxy-Authorization",
)
DEFAULT_RESPONSE_HEADERS: Final[tuple[str, ...]] = (
    "Set-Cookie",
    # The API answers with the caller's organization and project: what `convitems validate`
    # calls a credential on the request side is one on this side too.
    "OpenAI-Organization",
    "OpenAI-Project",
)
DEFAULT_QUERY_PARAMS: Final[tuple[str, ...]] = ("api_key", "key", "token")

# `sk-` and `sk-proj-` keys (and any other `sk-` prefixed secret of realistic length);
# the placeholder `sk-REDACTED` is too short to match again.
# Preceded by a non-word character, a JSON escape such as `\n` inside a body string, or a
# percent-escape in a URL (`/items/x%20sk-...`).
_SK: Final = r"(?:(?<![A-Za-z0-9])|(?<=\\[nrtbf])|(?<=%[0-9A-Fa-f]{2}))sk-[A-Za-z0-9_\-]{16,}"
_PCT: Final = r"%[0-9A-Fa-f]{2}"
# `Bearer <token>`, except the placeholder itself; the same boundaries as `sk-`.
_BEARER: Final = (
    # the space also as a URL writes it (`?after=Bearer%20...`, `Bearer+...`)
    r"(?:(?<![A-Za-z0-9])|(?<=\\[nrtbf])|(?<=%[0-9A-Fa-f]{2}))Bearer(?:[ \t]+|%20|\+)"
    rf"(?!REDACTED(?![A-Za-z0-9._~+/=\-]|{_PCT}))"
    # token-shaped: a digit in it, or long; "Bearer authentication" and the API's own
    # "Bearer YOUR_KEY" are prose
    # (in a URL a base64 token's + / = are percent-escaped: %2B %2F %3D)
    rf"(?=(?:[A-Za-z._~+/=\-]|{_PCT})*[0-9]|(?:[A-Za-z0-9._~+/=\-]|{_PCT}){{24}})"
    rf"(?:[A-Za-z0-9._~+/=\-]|{_PCT}){{8,}}"
)

SECRET_PATTERN: Final[re.Pattern[str]] = re.compile(f"(?P<sk>{_SK})|(?P<bearer>{_BEARER})")
"""The built-in token shapes: what `convitems validate` reports as a secret on disk."""


@dataclass(frozen=True)
class RedactionRules:
    """What to redact, beyond the built-in token shapes (which are always on).

    Header and query names match case-insensitively. `json_pointers` are RFC 6901
    pointers into JSON request and response bodies; a `*` token matches every key or
    array index at that level (`/data/*/content/*/text`). `patterns` are regular
    expressions; each match becomes `REDACTED` (use non-capturing groups only: the
    patterns are joined into one alternation, so numbered back-references do not work).
    """

    request_headers: tuple[str, ...] = DEFAULT_REQUEST_HEADERS
    response_headers: tuple[str, ...] = DEFAULT_RESPONSE_HEADERS
    query_params: tuple[str, ...] = DEFAULT_QUERY_PARAMS
    json_pointers: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _lists_not_strings(vars(self))

    def extended(
        self,
        *,
        request_headers: Iterable[str] = (),
        response_headers: Iterable[str] = (),
        query_params: Iterable[str] = (),
        json_pointers: Iterable[str] = (),
        patterns: Iterable[str] = (),
    ) -> RedactionRules:
        """These rules plus the user's: what configuration adds to the defaults."""
        _lists_not_strings(
            {
                "request_headers": request_headers,
                "response_headers": response_headers,
                "query_params": query_params,
                "json_pointers": json_pointers,
                "patterns": patterns,
            }
        )
        return RedactionRules(
            request_headers=(*self.request_headers, *request_headers),
            response_headers=(*self.response_headers, *response_headers),
            query_params=(*self.query_params, *query_params),
            json_pointers=(*self.json_pointers, *json_pointers),
            patterns=(*self.patterns, *patterns),
        )


def _lists_not_strings(fields: Mapping[str, object]) -> None:
    # A str is an iterable of str: it would be read as one-letter names and redact nothing.
    for name, value in fields.items():
        if isinstance(value, str):
            raise TypeError(
                f"RedactionRules {name} takes a list of strings, not one string: "
                f"[{value!r}], not {value!r}"
            )


def _split_pointer(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/' (RFC 6901)")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


@dataclass
class Redactor:
    """Applies `RedactionRules` to exchanges, texts and URIs. Stateless after construction."""

    rules: RedactionRules = field(default_factory=RedactionRules)

    def __post_init__(self) -> None:
        user = "|".join(f"(?:{p})" for p in self.rules.patterns)
        source = SECRET_PATTERN.pattern + (f"|(?P<user>{user})" if user else "")
        try:
            self._pattern = re.compile(source)
        except re.error as exc:
            raise ValueError(f"a redaction pattern does not compile: {exc}") from exc
        self._always = bool(user)
        self._request_headers = frozenset(h.lower() for h in self.rules.request_headers)
        self._response_headers = frozenset(h.lower() for h in self.rules.response_headers)
        self._query_params = frozenset(q.lower() for q in self.rules.query_params)
        self._pointers = [_split_pointer(p) for p in self.rules.json_pointers]

    # --- texts ------------------------------------------------------------------------

    def text(self, value: str) -> str:
        """`value` with every token-shaped string (and user pattern match) replaced."""
        # Substring tests run at memory speed; the regex only runs where a token may be.
        if self._always or "sk-" in value or "Bearer" in value:
            return self._pattern.sub(_replacement, value)
        return value

    def free_text(self, text: str) -> str:
        """A line of prose (a log line, an error quoting what it could not parse): token
        shapes, and the secret query parameters of any URL in it, by name."""
        if "?" in text:
            text = _WORD.sub(lambda m: self._url_word(m.group()), text)
        return self.text(text)

    def _url_word(self, word: str) -> str:
        if "?" not in word:
            return word
        url = word.rstrip(_TRAILING)
        return self.uri(url) + word[len(url) :]

    def finding(self, finding: Finding) -> Finding:
        """The finding with any token its message quotes replaced: a message quotes the
        value it refuses, and a key sent in the wrong field must not leave through it
        (test output, reports, the proxy's log, CI logs of `convitems validate`)."""
        message, ptr = self.text(finding.message), self.text(finding.pointer)
        if message is finding.message and ptr is finding.pointer:
            return finding
        return replace(finding, message=message, pointer=ptr)  # a key used as a field name

    def uri(self, uri: str) -> str:
        """The URI with secret query parameters and token-shaped strings replaced."""
        head, sep, query = uri.partition("?")
        if sep and self._query_params:
            fragment = ""
            if "#" in query:
                query, _, frag = query.partition("#")
                fragment = "#" + frag
            parts = []
            for part in query.split("&"):
                name, eq, _value = part.partition("=")
                if eq and _unquote(name).lower() in self._query_params:
                    part = f"{name}={PLACEHOLDER}"
                parts.append(part)
            uri = head + "?" + "&".join(parts) + fragment
        return self.text(uri)

    def headers(self, headers: Headers, names: frozenset[str]) -> Headers:
        out: Headers = {}
        for name, values in headers.items():
            if name.lower() in names:
                out[name] = [_header_placeholder(v) for v in values]
            else:
                out[name] = [self.text(v) for v in values]
        return out

    # --- bodies -----------------------------------------------------------------------

    def json_value(self, value: Any) -> Any:
        """A parsed JSON body with user pointers replaced (token shapes are done on text)."""
        for tokens in self._pointers:
            value = _redact_pointer(value, tokens)
        return value

    @property
    def request_header_names(self) -> frozenset[str]:
        return self._request_headers

    @property
    def response_header_names(self) -> frozenset[str]:
        return self._response_headers

    @property
    def has_pointers(self) -> bool:
        return bool(self._pointers)

    def body_text(self, text: str) -> str:
        return self.text(text)

    def body_bytes(self, data: bytes) -> bytes:
        """A body that is not UTF-8: tokens are ASCII, so they are found and replaced byte
        for byte (latin-1 maps every byte to one character and back), the rest untouched."""
        text = data.decode("latin-1")
        redacted = self.text(text)
        return data if redacted == text else redacted.encode("latin-1")

    def pointers_in_text(self, text: str) -> str:
        """A body not labelled JSON (`text/plain`, no Content-Type) that parses as JSON,
        with the pointer rules applied and written back; as it was when it is not JSON or
        no rule changes it. A client that sends JSON so still sends the secret the rule
        names, and replay matching (`for_matching`) already reads it as JSON."""
        if not self._pointers:
            return text
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        try:
            parsed = json.loads(text[len(bom) :])
            redacted = self.json_value(parsed)
            if redacted == parsed:
                return text
            return bom + escape_lone_surrogates(json.dumps(redacted, ensure_ascii=False))
        except (ValueError, RecursionError):  # not JSON, or past Python's reach: patterns only
            return text

    # --- requests ---------------------------------------------------------------------

    def for_matching(self, request: Request) -> Request:
        """The request's URI and body as a cassette would store them (headers untouched:
        matching ignores them). Replay compares this, so a request whose secret was
        redacted on disk still finds its recording, and a miss message quotes no secret.
        The request itself when nothing changes (the common case, checked cheaply)."""
        url, body = self.uri(request.url), self._body(request.body)
        if url == request.url and body == request.body:
            return request
        return replace(request, url=url, body=body)

    def _body(self, body: bytes) -> bytes:
        """A request body as the cassette writer would redact it (the writer has decoded
        its content codings first; so has the request here)."""
        if not body:
            return body
        try:
            original = text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self.body_bytes(body)
        if self._pointers or "\\u" in text:
            # Pointers need the parsed body; so does a token behind `\uXXXX` escapes
            # (`caf\u00e9sk-...`, as Python's and Go's encoders write), which the cassette
            # writer stores decoded: matching must see the same characters.
            bom = "\ufeff" if text.startswith("\ufeff") else ""  # as `pointers_in_text`
            try:
                redacted_value = self.json_value(json.loads(text[len(bom) :]))
                # Escaped as the cassette writer stores it, or it would fail to encode.
                decoded = escape_lone_surrogates(json.dumps(redacted_value, ensure_ascii=False))
            except (ValueError, RecursionError):  # not JSON, or past Python's reach
                pass
            else:
                if self._pointers or self.text(decoded) != decoded:
                    text = bom + decoded
        redacted = self.text(text)
        # Against the original: a body only a JSON pointer changed is changed too.
        return body if redacted == original else redacted.encode("utf-8")


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_WORD: Final = re.compile(r"[^\s'\"<>]+")
"""A run of characters a URL may hold: matched once each, so a line costs its length (a
pattern anchored on the `?` took time growing with the square of a 40 KB bad request line,
and stalled the proxy for seconds)."""
_TRAILING: Final = ").,;:!]}"
"""Punctuation after a URL in prose, kept out of it (and so kept)."""


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in decoded JSON text (`"\\ud83d"` decodes to one), or None."""
    found = _LONE_SURROGATE.search(text)
    return found.group() if found is not None else None


def escape_lone_surrogates(json_text: str) -> str:
    """JSON text with every lone surrogate written `\\uXXXX` again: `"\\ud800"` is valid
    JSON (a JavaScript client cut an emoji in two) that no UTF-8 can hold. Only inside
    strings can one occur, where the escape means the same."""
    if not _LONE_SURROGATE.search(json_text):
        return json_text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def _replacement(match: re.Match[str]) -> str:
    if match.start() == match.end():
        return ""  # a zero-width match (`\b`, a lookahead) marks no secret
    group = match.lastgroup
    if group == "sk":
        return SK_PLACEHOLDER
    if group == "bearer":
        sep = match.group()[6:9]  # kept as it was written: a URL must not gain a space
        return (
            "Bearer%20REDACTED"
            if sep == "%20"
            else "Bearer+REDACTED"
            if sep[0] == "+"
            else BEARER_PLACEHOLDER
        )
    return PLACEHOLDER


def _header_placeholder(value: str) -> str:
    scheme, sep, _rest = value.partition(" ")
    if sep and scheme.lower() in ("bearer", "basic", "token"):
        return f"{scheme} {PLACEHOLDER}"
    return PLACEHOLDER


def _unquote(name: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(name)


def _redact_pointer(value: Any, tokens: list[str]) -> Any:
    if not tokens:
        return PLACEHOLDER
    head, rest = tokens[0], tokens[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        if not keys:
            return value
        value = dict(value)
        for key in keys:
            value[key] = _redact_pointer(value[key], rest)
        return value
    if isinstance(value, list):
        if head == "*":
            indices = range(len(value))
        elif head.isdigit() and int(head) < len(value):
            indices = range(int(head), int(head) + 1)
        else:
            return value
        value = list(value)
        for i in indices:
            value[i] = _redact_pointer(value[i], rest)
        return value
    return value


DEFAULT_REDACTOR: Final[Redactor] = Redactor()
"""The redactor every writer uses unless told otherwise."""

SETTINGS: Final[dict[str, str]] = {
    "convitems_redact_headers": "header names (requests and responses)",
    "convitems_redact_query": "query parameter names",
    "convitems_redact_json": "JSON pointers into request and response bodies (* for any key)",
    "convitems_redact_patterns": "regular expressions, anywhere",
}
"""A project's rules, as the pytest plugin's ini keys and the proxy's options name them."""


# An odd run of backslashes before a digit: `\1` refers back, `\\1` is a backslash and 1.
_BACKREFERENCE: Final = re.compile(r"(?<!\\)(?:\\\\)*\\[1-9]|\(\?P=")


def _pattern_problem(pattern: str) -> str | None:
    """Why a pattern cannot be one of the alternatives all patterns are joined into."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"is not a regular expression ({exc})"
    if compiled.fullmatch(""):
        return (
            "matches the empty string, so it would write REDACTED between every character; "
            "make it match at least one (+ instead of *)"
        )
    if compiled.groupindex:
        return "has a named group; the patterns are joined into one: use (?:...)"
    if _BACKREFERENCE.search(pattern):
        return "has a back-reference; the patterns are joined into one, which renumbers groups"
    return None


def configured_redactor(settings: Mapping[str, Sequence[str]]) -> Redactor:
    """The defaults plus the rules in `settings` (keys from `SETTINGS`, missing = none).

    Raises ValueError naming the setting and the value that cannot work."""
    values = {name: list(settings.get(name) or ()) for name in SETTINGS}
    if not any(values.values()):
        return DEFAULT_REDACTOR
    for pattern in values["convitems_redact_patterns"]:
        problem = _pattern_problem(pattern)
        if problem:
            raise ValueError(f"convitems_redact_patterns: {pattern!r} {problem}")
    for pointer in values["convitems_redact_json"]:
        try:
            _split_pointer(pointer)
        except ValueError as exc:
            raise ValueError(f"convitems_redact_json: {exc}") from None
    headers = values["convitems_redact_headers"]
    return Redactor(
        RedactionRules().extended(
            request_headers=headers,
            response_headers=headers,
            query_params=values["convitems_redact_query"],
            json_pointers=values["convitems_redact_json"],
            patterns=values["convitems_redact_patterns"],
        )
    )
