"""mitmproxy flows <-> neutral `Exchange`s, and the responses the proxy makes itself.

The only place that knows both mitmproxy's message types and the library's: everything
downstream (validation, cassettes, replay matching) sees an `Exchange`.

Bodies are stored decoded (gzip, x-gzip, deflate, br, zstd, stacked too), so the
`content-encoding` header goes and `content-length` is set to the decoded length: a cassette
must describe the body it holds, or vcrpy replays a body its headers contradict.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mitmproxy import http

from pytest_convitems.cassette_body import BodyTooLarge, codings_of, undo_codings
from pytest_convitems.exchange import Headers, Request, Response, header

_DROP_ON_DECODE = frozenset({"content-encoding", "content-length"})
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection"})
BODY_LIMIT = 64 * 1024 * 1024
"""A body larger than this (once decoded) is passed through, neither validated nor
recorded: a cassette is not the place for it, and decoding it costs the proxy its memory."""


def _message(
    message: http.Message, raw: bytes | None = None, limit: int = BODY_LIMIT
) -> tuple[Headers, bytes]:
    """The headers and body as stored: the content codings undone, when they can be.

    One pass over the raw header fields (mitmproxy's `headers.get` re-walks them per
    lookup, and this runs on every items request and response). The codings are undone by
    the cassettes' own decoder, which reads a list (`gzip, gzip`), repeated header lines
    and `x-gzip`, where mitmproxy's knows one name. A body that claims an encoding it does
    not have stays raw, with its headers: the validator then reports what it sees (not
    JSON) instead of the proxy failing. Past `limit` bytes, decoded or not,
    `BodyTooLarge`: neither validated nor recorded (a decompression bomb stops there).
    """
    headers: Headers = {}
    encodings: list[str] = []
    for raw_name, raw_value in message.headers.fields:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if name.lower() == "content-encoding":
            encodings.append(value)
        headers.setdefault(name, []).append(value)
    body = (message.raw_content or b"") if raw is None else raw
    if len(body) > limit:
        raise BodyTooLarge(limit)
    if not encodings or not body:
        return headers, body
    codings = codings_of(encodings)
    if all(c == "identity" for c in codings):
        return headers, body
    decoded = undo_codings(codings, body, limit)
    if decoded is None:
        return headers, body
    had_length = any(name.lower() == "content-length" for name in headers)
    headers = {k: v for k, v in headers.items() if k.lower() not in _DROP_ON_DECODE}
    if had_length:
        headers["content-length"] = [str(len(decoded))]
    return headers, decoded


def request_of(flow: http.HTTPFlow) -> Request:
    """The flow's request as the upstream sees it (reverse mode: the upstream's URL)."""
    req = flow.request
    headers, body = _message(req)
    return Request.with_target(req.method, req.url, req.path, headers, body)


def sent_at(flow: http.HTTPFlow) -> str | None:
    """When the client sent the request (its first byte reached the proxy), as a cassette's
    `recorded_at`: ISO-8601 UTC with microseconds. Replay orders the interactions of every
    cassette by it, so identical requests (each `conversations.create()` is `POST
    /v1/conversations {}`) replay in the order they were sent, not in file-name order."""
    start = flow.request.timestamp_start
    if not isinstance(start, int | float):
        return None
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def response_of(flow: http.HTTPFlow, streamed_body: bytes | None = None) -> Response | None:
    """The flow's response; `streamed_body` is what a stream callable saw go past."""
    resp = flow.response
    if resp is None:
        return None
    headers, body = _message(resp, streamed_body)
    return Response(status=resp.status_code, reason=resp.reason, headers=headers, body=body)


def _header_pairs(headers: Headers) -> Iterable[tuple[bytes, bytes]]:
    for name, values in headers.items():
        if name.lower() in _NOT_REPLAYED:
            continue
        for value in values:
            yield name.encode("latin-1", "replace"), value.encode("latin-1", "replace")


def replayed_response(recorded: Response, method: str = "GET") -> http.Response:
    """A recorded response, ready to send: the body as stored, headers that fit it.

    A stored body is decoded and has no content-encoding, unless it did not decode: then
    header and bytes go out as they came, and the client fails on them as it did live.
    Content-length is the stored body's, but a HEAD's or a 304's is the one recorded (the
    length a GET would have had), and a 204 or 1xx has none (RFC 9110 §8.6).
    """
    made = http.Response.make(recorded.status)
    # set, not passed to `make`: it would encode the body by its content-encoding again
    made.headers = http.Headers(list(_header_pairs(recorded.headers)))
    made.raw_content = recorded.body
    status = recorded.status
    if method == "HEAD" or status == 304:
        length = header(recorded.headers, "content-length")
        if length is not None:
            made.headers["content-length"] = length
    elif status >= 200 and status != 204:
        made.headers["content-length"] = str(len(recorded.body))
    if recorded.reason:
        made.reason = recorded.reason
    return made


def openai_error(status: int, body: dict[str, Any], extra: dict[str, str]) -> http.Response:
    """A JSON error response in the OpenAI shape, marked as made by the proxy."""
    headers = {"content-type": "application/json", **extra}
    return http.Response.make(status, json.dumps(body, indent=2).encode(), headers)
