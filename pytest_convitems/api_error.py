"""The API's error body, `{"error": {"message", "type", "param", "code"}}`: one builder for
every answer we make in its place (the embedded server, the proxy's refusals and replay
misses, `error_body` of a finding), so the SDKs read ours as they read the API's."""

from __future__ import annotations

from typing import Any


def api_error(
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    type: str = "invalid_request_error",
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
