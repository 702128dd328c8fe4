"""The embedded Conversations items API behind `convitems serve` (starlette + uvicorn).

Stateful and in memory, on loopback: conversations (create, retrieve, update metadata,
delete) and the four item endpoints, with the API's errors. Routes match on the path
suffix like `routes.match_route`, so `/v1`, `/openai/v1` or no prefix all work.
Request checks are our validation's findings (`validation.error_body` shapes the 400);
the `seed` profile then refuses and reshapes per `server_profiles.SEED_PROFILE_DIFFERENCES`.

    with running_server(profile="current") as srv:
        client = openai.OpenAI(base_url=srv.api_base, api_key="sk-fake")
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, Final, TextIO

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import InputError
from .exchange import is_json_content_type
from .models import ConversationCreateBody, ConversationUpdateBody
from .routes import match_route, parse_query
from .server_items import ConversionError, Item, apply_include, to_output_item
from .server_profiles import (
    PROFILES,
    SEED_PROFILE_DIFFERENCES,
    Profile,
    ProfileDifference,
    ProfileName,
)
from .server_store import NotFound, Order, Store
from .validation import error_body, openai_param, validate_request

__all__ = [
    "MAX_BODY_BYTES",
    "PROFILES",
    "SEED_PROFILE_DIFFERENCES",
    "ProfileDifference",
    "RunningServer",
    "build_app",
    "running_server",
    "serve_forever",
]

MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""Larger request bodies get 413."""

_DRAIN_LIMIT: Final = 64 * 1024 * 1024
"""An oversized body is read and dropped up to here so the client sees the 413 rather
than a reset; past it the connection is simply closed after the answer."""

_METHODS: Final = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_CONVERSATIONS: Final = re.compile(r"(?P<prefix>.*?)/conversations/?\Z")
_CONVERSATION: Final = re.compile(r"(?P<prefix>.*?)/conversations/(?P<conversation_id>[^/]+)/?\Z")


class ApiError(Exception):
    """An error answer in the OpenAI shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type, "param": param, "code": code}}
        self.headers = headers

    @classmethod
    def from_body(cls, status: int, body: dict[str, Any]) -> ApiError:
        err = body["error"]
        return cls(status, err["message"], param=err["param"], code=err["code"], type=err["type"])


def _ok(body: Any) -> JSONResponse:
    return JSONResponse(body)


# --- the application -------------------------------------------------------------------


class _Api:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.store = Store()

    async def dispatch(self, request: Request) -> Response:
        try:
            _check_auth(request)
            return await self._route(request)
        except ApiError as exc:
            return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
        except NotFound as exc:
            body = {
                "error": {
                    "message": exc.message,
                    "type": "invalid_request_error",
                    "param": exc.param,
                    "code": None,
                }
            }
            return JSONResponse(body, status_code=404)

    async def _route(self, request: Request) -> Response:
        method, path = request.method.upper(), request.url.path
        query = request.url.query
        match = match_route(method, path)
        if match is not None:
            if match.endpoint == "create":
                body = await _read_json(request)
                return self.create_items(match.conversation_id, query, body)
            if request.headers.get("content-length", "0") not in ("", "0"):
                await _read_body(request)  # enforce the size limit on stray bodies too
            if match.endpoint == "list":
                return self.list_items(match.conversation_id, query)
            assert match.item_id is not None
            if match.endpoint == "retrieve":
                return self.retrieve_item(match.conversation_id, match.item_id, query)
            return self.delete_item(match.conversation_id, match.item_id, query)
        if _CONVERSATIONS.match(path):
            if method != "POST":
                raise _not_allowed(method, path, "POST")
            return self.create_conversation(await _read_json(request, empty_ok=True))
        m = _CONVERSATION.match(path)
        if m is not None:
            cid = m["conversation_id"]
            if method == "GET":
                return _ok(self.store.get_conversation(cid))
            if method == "POST":
                return self.update_conversation(cid, await _read_json(request))
            if method == "DELETE":
                self.store.delete_conversation(cid)
                return _ok({"id": cid, "object": "conversation.deleted", "deleted": True})
            raise _not_allowed(method, path, "GET, POST, DELETE")
        allowed = _allowed_item_methods(path)
        if allowed:
            raise _not_allowed(method, path, allowed)
        raise ApiError(
            404,
            f"Invalid URL ({method} {path}): no such endpoint on this server.",
            code="unknown_url",
        )

    # --- conversations ---------------------------------------------------------------

    def create_conversation(self, body: Any) -> Response:
        # Items are checked by our validation (pointers, OpenAI params); the rest here.
        parsed = _model_check(
            ConversationCreateBody, {k: v for k, v in body.items() if k != "items"}
        )
        items = body.get("items")
        builder = None
        if items:
            self._check_items(body={"items": items}, query="")
            builder = self._builder(items)
        conversation, _ = self.store.create_conversation(parsed.metadata, builder)
        return _ok(conversation)

    def update_conversation(self, conversation_id: str, body: Any) -> Response:
        parsed = _model_check(ConversationUpdateBody, body)
        return _ok(self.store.update_conversation(conversation_id, parsed.metadata))

    # --- items -------------------------------------------------------------------------

    def create_items(self, conversation_id: str, query: str, body: Any) -> Response:
        self._check_items(body=body, query=query)
        include = _include(query)
        added = self.store.add_items(conversation_id, self._builder(body["items"]))
        return _ok(_item_list([apply_include(i, include) for i in added], has_more=False))

    def list_items(self, conversation_id: str, query: str) -> Response:
        _check_query("list", query)
        params = parse_query(query)
        limit = int(str(params.get("limit", "20")))
        order: Order = "asc" if params.get("order") == "asc" else "desc"
        after = params.get("after")
        page = self.store.list_items(
            conversation_id,
            after=after if isinstance(after, str) and after else None,
            limit=limit,
            order=order,
        )
        include = _include(query)
        return _ok(_item_list([apply_include(i, include) for i in page.data], page.has_more))

    def retrieve_item(self, conversation_id: str, item_id: str, query: str) -> Response:
        _check_query("retrieve", query)
        return _ok(apply_include(self.store.get_item(conversation_id, item_id), _include(query)))

    def delete_item(self, conversation_id: str, item_id: str, query: str) -> Response:
        _check_query("delete", query)
        return _ok(self.store.delete_item(conversation_id, item_id))

    def _check_items(self, *, body: Any, query: str) -> None:
        raw = json.dumps(body).encode()
        findings = validate_request("create", query_string=query, body=raw)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise ApiError.from_body(400, error_body(errors))
        if not isinstance(body.get("items"), list) or not all(
            isinstance(i, dict) for i in body["items"]
        ):
            raise ApiError(
                400,
                "Invalid 'items': expected an array of objects.",
                param="items",
                code="invalid_type",
            )
        refusal = self.profile.check_input(body["items"])
        if refusal is not None:
            raise _conversion_error(refusal)

    def _builder(self, items: list[Any]) -> Callable[[Callable[[str], Item | None]], list[Item]]:
        profile = self.profile

        def build(resolve: Callable[[str], Item | None]) -> list[Item]:
            out: list[Item] = []
            last = len(items) - 1
            for index, given in enumerate(items):
                try:
                    stored = to_output_item(
                        given, index=index, is_last=index == last, resolve=resolve
                    )
                except ConversionError as exc:
                    raise _conversion_error(exc) from None
                out.append(profile.shape_output(given, stored))
            return out

        return build


def _conversion_error(exc: ConversionError) -> ApiError:
    return ApiError(exc.status, exc.message, param=exc.param, code=exc.code)


def _item_list(data: list[Item], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": str(data[0]["id"]) if data else "",
        "last_id": str(data[-1]["id"]) if data else "",
        "has_more": has_more,
    }


def _include(query: str) -> frozenset[str]:
    values = parse_query(query).get("include", [])
    return frozenset(values if isinstance(values, list) else [values])


def _check_query(endpoint: Any, query: str) -> None:
    errors = [f for f in validate_request(endpoint, query_string=query) if f.severity == "error"]
    if errors:
        raise ApiError.from_body(400, error_body(errors))


def _model_check(model: Any, body: Any) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        pointer = "".join(f"/{part}" for part in first["loc"])
        param = openai_param(pointer) or None
        kind = first["type"]
        code = {
            "missing": "missing_required_parameter",
            "extra_forbidden": "unknown_parameter",
        }.get(kind, "invalid_value")
        if kind == "missing":
            message = f"Missing required parameter: '{param}'."
        elif kind == "extra_forbidden":
            message = f"Unknown parameter: '{param}'."
        else:
            message = f"Invalid '{param or 'body'}': {first['msg']}."
        raise ApiError(400, message, param=param, code=code) from None


def _check_auth(request: Request) -> None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "You didn't provide an API key. Send it in the Authorization header as "
            "'Authorization: Bearer YOUR_KEY' (any key works on this local server).",
            code="invalid_api_key",
        )


def _not_allowed(method: str, path: str, allowed: str) -> ApiError:
    return ApiError(
        405,
        f"Method {method} is not allowed on {path}; allowed: {allowed}.",
        code="method_not_allowed",
        headers={"Allow": allowed},
    )


def _allowed_item_methods(path: str) -> str:
    allowed = [m for m in ("GET", "POST", "DELETE") if match_route(m, path) is not None]
    return ", ".join(allowed)


async def _read_body(request: Request) -> bytes:
    """The request body, read in chunks and refused with 413 past `MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length")
    too_big = declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            too_big = True
        if too_big:
            chunks.clear()
            if size > _DRAIN_LIMIT:
                break
            continue
        chunks.append(chunk)
    if too_big:
        raise ApiError(
            413,
            f"Request body too large: the limit is {MAX_BODY_BYTES} bytes.",
            code="request_too_large",
            headers={"Connection": "close"} if size > _DRAIN_LIMIT else None,
        )
    return b"".join(chunks)


async def _read_json(request: Request, *, empty_ok: bool = False) -> Any:
    body = await _read_body(request)
    if not body.strip():
        if empty_ok:
            return {}
        raise ApiError(
            400,
            'The request has no body; send a JSON object, e.g. {"items": [...]}.',
            code="missing_required_parameter",
        )
    content_type = request.headers.get("content-type")
    if not is_json_content_type(content_type):
        raise ApiError(
            415,
            f"Unsupported Content-Type {content_type or '(none)'!r}: send application/json.",
            code="unsupported_media_type",
        )
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            400,
            f"We could not parse the JSON body of your request ({exc}). Send valid JSON.",
            code="invalid_json",
        ) from None
    if not isinstance(parsed, dict):
        raise ApiError(
            400,
            f"The request body must be a JSON object, not {type(parsed).__name__}.",
            code="invalid_type",
        )
    return parsed


def build_app(profile: ProfileName = "current") -> Starlette:
    """The ASGI app; every path goes through one dispatcher that routes on the suffix."""
    api = _Api(Profile(profile))
    app = Starlette(routes=[Route("/{path:path}", api.dispatch, methods=_METHODS)])
    app.state.api = api
    return app


# --- running it --------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn, but SIGINT/SIGTERM end `run()` normally instead of being re-raised."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, stop) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _config(profile: ProfileName, *, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        build_app(profile),
        http="h11",
        ws="none",
        lifespan="off",
        loop="asyncio",
        log_config=None,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "pick another --port, or --port 0 for a free one."
        ) from None
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningServer:
    """A server running in a background thread of this process."""

    profile: ProfileName
    host: str
    port: int
    _server: _Server
    _thread: threading.Thread

    @property
    def base_url(self) -> str:
        return _url(self.host, self.port)

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def stop(self) -> None:
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=10)


_STARTUP_TIMEOUT: Final = 10.0


def start_server(
    profile: ProfileName = "current", host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Start a server in a daemon thread and return once it accepts connections."""
    sock = _bind(host, port)
    bound_port = int(sock.getsockname()[1])
    server = _Server(_config(profile))
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"convitems-serve-{bound_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=2)
            sock.close()
            raise RuntimeError(f"the embedded server on port {bound_port} did not start")
        time.sleep(0.002)
    return RunningServer(profile, host, bound_port, server, thread)


@contextlib.contextmanager
def running_server(
    profile: ProfileName = "current", host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningServer]:
    """The embedded API on `host:port` (0: a free port) for the `with` block."""
    srv = start_server(profile, host, port)
    try:
        yield srv
    finally:
        srv.stop()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 0,
    profile: ProfileName = "current",
    *,
    out: TextIO | None = None,
) -> int:
    """Serve in this thread until SIGINT/SIGTERM; prints the URL first. Returns 0."""
    stream = out if out is not None else sys.stdout
    if profile not in PROFILES:
        raise InputError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    sock = _bind(host, port)
    url = _url(host, int(sock.getsockname()[1]))
    print(
        f"convitems serve: listening on {url} (profile {profile}); use base_url {url}/v1",
        file=stream,
        flush=True,
    )
    _Server(_config(profile)).run(sockets=[sock])
    print("convitems serve: stopped", file=stream, flush=True)
    return 0
