"""The embedded items API as an ASGI app (starlette): routing, bodies, errors.

One dispatcher routes every path on its suffix like `routes.match_route`, so `/v1`,
`/openai/v1` or no prefix all work. Request checks are our validation's findings
(`validation.error_body` shapes the 400); the profile then refuses and reshapes per
`server_profiles`; state lives in `server_store`. Every error is in the OpenAI shape.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, Final

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api_error import api_error
from .exchange import is_json_content_type
from .models import ConversationCreateBody, ConversationUpdateBody
from .routes import match_route, parse_query
from .server_items import ConversionError, Item, apply_include, to_output_item
from .server_profiles import Profile, ProfileName
from .server_store import NotFound, Order, Store
from .validation import error_body, openai_param, strict_json, validate_request

log = logging.getLogger(__name__)

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
        self.body = api_error(message, code=code, param=param, type=type)
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
        except RecursionError:
            # JSON nested past Python's reach (free-form arguments): refused, not a 500
            message = "The body nests too deeply for the embedded server; nest less."
            return JSONResponse(api_error(message, code="invalid_value"), status_code=400)
        except NotFound as exc:
            return JSONResponse(api_error(exc.message, param=exc.param), status_code=404)
        except Exception:
            # A bug of ours must still answer in the API's shape and keep the server up.
            log.exception("convitems serve: %s %s failed", request.method, request.url.path)
            message = "The server had an error while processing your request."
            return JSONResponse(api_error(message, type="server_error"), status_code=500)

    async def _route(self, request: Request) -> Response:
        method, path = request.method.upper(), request.url.path
        query = request.url.query
        match = match_route(method, path)
        if match is not None:
            if match.endpoint == "create":
                raw = await _read_body(request)
                return self.create_items(
                    match.conversation_id, query, raw, _parse_json(request, raw)
                )
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
            return self.create_conversation(
                _parse_json(request, await _read_body(request), empty_ok=True)
            )
        m = _CONVERSATION.match(path)
        if m is not None:
            cid = m["conversation_id"]
            if method == "GET":
                return _ok(self.store.get_conversation(cid))
            if method == "POST":
                return self.update_conversation(
                    cid, _parse_json(request, await _read_body(request))
                )
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
        if items is not None and not isinstance(items, list):
            # `{}`, `0`, `false` and `""` are not "no items": the API refuses them.
            raise ApiError(
                400,
                f"Invalid 'items': expected an array of objects, not {type(items).__name__}.",
                param="items",
                code="invalid_type",
            )
        if items:
            self._check_items(body={"items": items}, query="")
            builder = self._builder(items)
        conversation, _ = self.store.create_conversation(parsed.metadata, builder)
        return _ok(conversation)

    def update_conversation(self, conversation_id: str, body: Any) -> Response:
        parsed = _model_check(ConversationUpdateBody, body)
        return _ok(self.store.update_conversation(conversation_id, parsed.metadata))

    # --- items -------------------------------------------------------------------------

    def create_items(self, conversation_id: str, query: str, raw: bytes, body: Any) -> Response:
        self._check_items(body=body, query=query, raw=raw)
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

    def _check_items(self, *, body: Any, query: str, raw: bytes | None = None) -> None:
        if raw is None:
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


def _parse_json(request: Request, body: bytes, *, empty_ok: bool = False) -> Any:
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
        parsed = strict_json(body)  # NaN stored would make every later answer a 500
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
