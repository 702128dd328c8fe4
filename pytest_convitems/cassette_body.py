"""One interaction <-> one `Exchange`: bodies decoded, JSON pretty, lengths true.

Both directions normalise the same way, so a cassette vcrpy wrote (gzip bodies and all)
loads into the same `Exchange` our writer would store, and what we store loads back
unchanged: the body is identity-encoded, `Content-Encoding` is gone once decoded, and
`Content-Length` (when the message has one) is the length of the body as stored.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from .errors import CassetteError
from .exchange import Exchange, Headers, Request, Response, header, is_json_content_type
from .redact import Redactor, escape_lone_surrogates


class InteractionError(CassetteError):
    """One interaction is malformed; the loader adds the file and line."""


class BodyTooLarge(ValueError):
    """A body larger than the caller's limit once its codings are undone: decoding stopped
    at the limit (a 200 KB gzip body can hold 200 MB of zeros), nothing past it is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes once decoded")
        self.limit = limit


_CHUNK: Final = 1 << 20
"""Output asked of a streaming decoder at a time: a limit is overshot by this at most."""


def _room(out: bytearray, limit: int | None) -> int:
    """How much more output a decoder may make: one byte past `limit` proves it too big."""
    if limit is None:
        return _CHUNK
    if len(out) > limit:
        raise BodyTooLarge(limit)
    return min(_CHUNK, limit + 1 - len(out))


def _inflate(body: bytes, wbits: int, limit: int | None, *, members: bool) -> bytes:
    """zlib, gzip (`members`: concatenated members, as `gzip.decompress` reads them) or raw
    deflate, never producing more than `limit` + 1 bytes however small the input."""
    out = bytearray()
    data = body
    while True:
        inflater = zlib.decompressobj(wbits)
        while not inflater.eof:
            chunk = inflater.decompress(data, _room(out, limit))
            out += chunk
            data = inflater.unconsumed_tail
            if not chunk and not data:
                break
        _room(out, limit)
        if not inflater.eof:
            raise zlib.error("the compressed body ends before its end-of-stream marker")
        # gzip.decompress skips zero padding between and after members
        data = inflater.unused_data.lstrip(b"\0") if members else b""
        if not data:
            return bytes(out)


def _gzip(body: bytes, limit: int | None) -> bytes:
    return _inflate(body, 16 + zlib.MAX_WBITS, limit, members=True)


def _deflate(body: bytes, limit: int | None) -> bytes:
    # "deflate" is zlib-wrapped by the RFC, raw in what some servers send
    try:
        return _inflate(body, zlib.MAX_WBITS, limit, members=False)
    except zlib.error:
        return _inflate(body, -zlib.MAX_WBITS, limit, members=False)


def _br(body: bytes, limit: int | None) -> bytes:
    import brotli

    # brotli >= 1.2 (pyproject): older releases have no output limit, and one call could
    # turn 405 bytes into 256 MB.
    decompressor = brotli.Decompressor()
    out = bytearray()
    out += decompressor.process(body, output_buffer_limit=_room(out, limit))
    while not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=_room(out, limit))
        if not chunk:
            break
        out += chunk
    _room(out, limit)
    if not decompressor.is_finished():
        raise ValueError("the brotli body ends before its last block")
    return bytes(out)


def _zstd(body: bytes, limit: int | None) -> bytes:
    import zstandard

    # every frame: a multi-frame body (which httpx reads whole) is not cut at the first
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
    out = bytearray()
    while chunk := reader.read(_room(out, limit)):
        out += chunk
    _room(out, limit)
    return bytes(out)


Decoder = Callable[[bytes, int | None], bytes]
"""(body, limit) -> the body with one coding undone; raises `BodyTooLarge` past `limit`."""

DECODERS: Final[dict[str, Decoder]] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _br,
    "zstd": _zstd,
}


def _names(headers: Headers, name: str) -> list[str]:
    lowered = name.lower()
    return [k for k in headers if k.lower() == lowered]


def _set_length(headers: Headers, length: int, *, add: bool) -> None:
    names = _names(headers, "Content-Length")
    for n in names[1:]:
        del headers[n]
    if names:
        headers[names[0]] = [str(length)]
    elif add:
        headers["Content-Length"] = [str(length)]


def codings_of(values: Iterable[str]) -> list[str]:
    """The content codings named by `Content-Encoding` values, in the order applied: a list
    (`gzip, gzip`), several header lines, any case."""
    return [c.strip().lower() for v in values for c in v.split(",") if c.strip()]


def undo_codings(codings: Sequence[str], body: bytes, limit: int | None = None) -> bytes | None:
    """`body` with `codings` undone, last applied first; None when one is unknown or the
    body does not decode. Raises `BodyTooLarge` when the result would pass `limit` bytes."""
    decoded = body
    try:
        for coding in reversed(codings):
            if coding == "identity":
                continue
            decoder = DECODERS.get(coding)
            if decoder is None:
                return None
            decoded = decoder(decoded, limit)
    except BodyTooLarge:
        raise
    except Exception:
        return None
    return decoded


def decode_content(
    headers: Headers, body: bytes, *, limit: int | None = None
) -> tuple[Headers, bytes]:
    """The body without its content codings (last applied, first undone).

    An unknown coding, or a body that does not decode, is left exactly as it was: a
    recording keeps what arrived rather than guess. Past `limit` decoded bytes (None: no
    limit), `BodyTooLarge`.
    """
    names = _names(headers, "Content-Encoding")
    if not names or not body:
        return headers, body
    decoded = undo_codings(codings_of(v for n in names for v in headers[n]), body, limit)
    if decoded is None:
        return headers, body
    out = {k: v for k, v in headers.items() if k not in names}
    _set_length(out, len(decoded), add=False)
    return out, decoded


_UTF8_BOM: Final = b"\xef\xbb\xbf"
_NOT_PARSED: Final = object()


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _text_or_bytes(body: bytes) -> str | bytes:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


_FEW_BRACKETS: Final = 1000
"""Nesting is at most the count of brackets: up to this many, a pretty copy is at worst a
few MB (1,000 levels of a 5 KB body, a line a level); API bodies nest ten deep."""


def _deep(body: bytes) -> bool:
    """Nested past pydantic-core's reach (~200 levels): four times as fast as walking the
    parsed body in Python, which cost more than the pretty print it guards."""
    from pydantic_core import from_json

    try:
        from_json(body)
    except ValueError as exc:  # only its depth: a lone surrogate, say, stays pretty
        return "recursion limit" in str(exc)
    return False


def _pretty_stored(body: bytes, parsed: Any, redactor: Redactor | None) -> str | None:
    """A JSON body as stored: pretty, pointer rules applied; None when it nests too deeply
    to print pretty (a 21 KB body 7,000 deep made a 196 MB cassette)."""
    if body.count(b"{") + body.count(b"[") > _FEW_BRACKETS and _deep(body):
        return None  # pretty, each level a line indented by its depth: the square of it
    try:
        redacted = parsed
        if redactor is not None and redactor.has_pointers:
            redacted = redactor.json_value(parsed)
        if body.startswith(_UTF8_BOM):
            # json.loads reads past a BOM, the API's parsers and the validator do not: a
            # pretty copy would replay (and validate) clean what the client got broken.
            # As it came, unless a pointer rule redacts in it (then pretty, BOM kept).
            as_is = redacted is parsed or redacted == parsed
            stored = body.decode("utf-8") if as_is else "\ufeff" + _pretty(redacted)
        else:
            stored = _pretty(redacted)
    except RecursionError:
        return None
    if len(stored) > 8 * len(body) + 4096:
        return None  # nested: pretty JSON is twice the size of compact, not hundreds of times
    if b"\\u" in body:  # only an escape in the body can give a lone surrogate
        stored = escape_lone_surrogates(stored)
    return stored


def normalise_for_storage(
    headers: Headers,
    body: bytes,
    redactor: Redactor | None,
    *,
    response: tuple[str, int] | None,
) -> tuple[Headers, str | bytes]:
    """Headers and body as a cassette stores them. `response` is (method, status) or None."""
    for name, values in headers.items():
        if isinstance(values, (str, bytes)):
            # A dict of str (requests' and httpx's style) would store one letter a value.
            raise TypeError(
                f"header {name!r}: values are a list of strings here ({{name: [value]}}), "
                f"not {type(values).__name__}"
            )
    hdrs: Headers = {str(k): [str(v) for v in vs] for k, vs in headers.items()}
    hdrs, body = decode_content(hdrs, body)
    if response is not None:
        for n in _names(hdrs, "Transfer-Encoding"):
            del hdrs[n]  # the stored body is whole; framing is the replayer's business
    encoded = bool(_names(hdrs, "Content-Encoding"))
    stored: str | bytes | None
    parsed: Any = _NOT_PARSED
    if not encoded and body.strip() and is_json_content_type(header(hdrs, "Content-Type")):
        try:
            parsed = json.loads(body)
        except RecursionError:
            pass  # nested past Python's limit: stored as it came, not pretty
        except (ValueError, UnicodeDecodeError) as exc:
            what = "response" if response is not None else "request"
            raise CassetteError(
                f"the {what} body claims JSON (Content-Type: {header(hdrs, 'Content-Type')}) "
                f"but is not JSON ({exc}); a cassette holding it would not load. Fix the "
                "sender, or record this exchange with a non-JSON Content-Type"
            ) from exc
    stored = None if parsed is _NOT_PARSED else _pretty_stored(body, parsed, redactor)
    if stored is None:
        stored = _text_or_bytes(body)
        if redactor is not None and not encoded and isinstance(stored, str):
            stored = redactor.pointers_in_text(stored)
    if redactor is not None:
        if isinstance(stored, str):
            stored = redactor.body_text(stored)
        else:
            stored = redactor.body_bytes(stored)
        hdrs = redactor.headers(
            hdrs,
            redactor.response_header_names
            if response is not None
            else redactor.request_header_names,
        )
    add = False
    if response is not None:
        method, status = response
        if method.upper() == "HEAD" or status == 304:
            # no body, and the length the GET would have had (RFC 9110 §8.6): as sent
            return hdrs, stored
        add = status >= 200 and status != 204
    length = len(stored.encode("utf-8")) if isinstance(stored, str) else len(stored)
    _set_length(hdrs, length, add=add)
    return hdrs, stored


# --- reading ------------------------------------------------------------------------


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InteractionError(f"`{where}` is missing or not a mapping")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InteractionError(f"`{where}` is missing or not a string")
    return value


def _headers(value: Any, where: str) -> Headers:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InteractionError(f"`{where}` must map header names to lists of values")
    out: Headers = {}
    for name, values in value.items():
        if isinstance(values, list | tuple):
            out[str(name)] = [str(v) for v in values]
        elif values is None:
            out[str(name)] = []
        else:
            out[str(name)] = [str(values)]
    return out


def _body(value: Any, where: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, io.BytesIO):
        return value.getvalue()
    if isinstance(value, list) and all(isinstance(v, bytes) for v in value):
        return b"".join(value)
    raise InteractionError(
        f"`{where}` must be a string, binary or null, not {type(value).__name__}"
    )


def _check_json(headers: Headers, body: bytes, where: str) -> None:
    if not body.strip() or _names(headers, "Content-Encoding"):
        return
    content_type = header(headers, "Content-Type")
    if not is_json_content_type(content_type):
        return
    try:
        json.loads(body)
    except RecursionError:
        return  # nested past Python's limit: JSON all the same, stored as it came
    except (ValueError, UnicodeDecodeError) as exc:
        raise InteractionError(
            f"`{where}` claims JSON (Content-Type: {content_type}) but is not JSON ({exc}); "
            "fix the body or its Content-Type, or delete the cassette and record it again"
        ) from exc


def interaction_to_exchange(
    interaction: Mapping[str, Any], *, source: str | None = None, index: int | None = None
) -> Exchange:
    """A vcrpy v1 interaction dict (ours or vcrpy's) as an `Exchange`; bodies decoded.

    Raises `InteractionError` (a `CassetteError`) naming the key that is wrong.
    """
    item = _mapping(interaction, "interaction")
    req = _mapping(item.get("request"), "request")
    resp = _mapping(item.get("response"), "response")
    method = _str(req.get("method"), "request.method")
    uri = _str(req.get("uri"), "request.uri")
    if "body" not in req:
        raise InteractionError("`request.body` is missing (use `body: null` for none)")
    req_headers, req_body = decode_content(
        _headers(req.get("headers"), "request.headers"), _body(req["body"], "request.body")
    )
    _check_json(req_headers, req_body, "request.body")
    status = _mapping(resp.get("status"), "response.status")
    code = status.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        raise InteractionError("`response.status.code` is missing or not an integer")
    message = status.get("message")
    body = _mapping(resp.get("body"), "response.body")
    if "string" not in body:
        raise InteractionError("`response.body.string` is missing")
    resp_headers, resp_body = decode_content(
        _headers(resp.get("headers"), "response.headers"),
        _body(body["string"], "response.body.string"),
    )
    _check_json(resp_headers, resp_body, "response.body.string")
    recorded_at = item.get("recorded_at")
    if recorded_at is not None and not isinstance(recorded_at, str):
        raise InteractionError(
            f"`recorded_at` must be a string (ISO-8601, quoted in YAML: unquoted, a timestamp "
            f"is read as a date), not {type(recorded_at).__name__}"
        )
    return Exchange(
        request=Request(method, uri, req_headers, req_body),
        response=Response(code, "" if message is None else str(message), resp_headers, resp_body),
        source=None if source is None else {"cassette": source, "interaction": index},
        recorded_at=recorded_at,
    )
