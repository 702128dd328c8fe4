"""The vcrpy side of recording: one long-lived cassette object for vcrpy's stubs.

vcrpy patches every HTTP library it knows (httpx2 for the openai client, httpx, urllib /
http.client, aiohttp, ...); its stubs ask a *cassette object* whether to play a response,
and hand it what they recorded. `Switchboard` is that object: a vcrpy `Cassette` subclass
that forwards to the active test's `recording.CassetteRecorder`. vcrpy's patch list is built
once per process; per test only the attributes are swapped in and out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from vcr.cassette import Cassette as _VcrCassette

from .cassette_body import decode_content
from .errors import InputError
from .exchange import Exchange, Headers, Request, Response

if TYPE_CHECKING:
    from .recording import CassetteRecorder


TESTED_VCRPY: Final = "9.4.2"
"""The vcrpy release this code was last tested with, named when a newer one breaks it."""


def _vcrpy_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vcrpy")
    except PackageNotFoundError:
        return "(unknown version)"


def decoded_response(status: int, reason: str, headers: Headers, body: bytes) -> Response:
    """The response as a reader sees it: body decoded, so validation and cassettes see JSON.
    Decoded as cassettes and the proxy decode (every zstd frame, every gzip member)."""
    decoded_headers, decoded = decode_content(headers, body)
    return Response(status, reason, decoded_headers, decoded)


_HOP_HEADERS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _vcr_response(response: Response) -> dict[str, Any]:
    """A recorded response in the dict shape vcrpy's stubs build real responses from."""
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
    headers["Content-Length"] = [str(len(response.body))]
    return {
        "status": {"code": response.status, "message": response.reason},
        "headers": headers,
        "body": {"string": response.body},
    }


def _request_from_vcr(vcr_request: Any) -> Request:
    body = vcr_request.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = getattr(vcr_request, "body_bytes", b"") or b""
    headers: Headers = {}
    for name, value in vcr_request.headers.items():
        headers.setdefault(name, []).append(value if isinstance(value, str) else str(value))
    if body:
        # A gzip-encoded request is validated, matched and stored decoded, as the proxy does
        # (and the cassette stores it): raw, it failed as invalid UTF-8 and never replayed.
        headers, body = decode_content(headers, body)
    return Request(vcr_request.method, vcr_request.uri, headers, body)


def _response_from_vcr(data: dict[str, Any]) -> Response:
    status = data.get("status") or {}
    raw_headers = data.get("headers") or {}
    headers: Headers = {
        str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
        for k, v in raw_headers.items()
    }
    body = (data.get("body") or {}).get("string") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return decoded_response(
        int(status.get("code", 0)), str(status.get("message") or ""), headers, body
    )


class Switchboard(_VcrCassette):  # type: ignore[misc]
    """The one cassette object vcrpy's stubs talk to; forwards to the active recorder.

    With no recorder active (between tests) the patches are not installed at all.
    """

    def __init__(self, ignore_hosts: Iterable[str] = ()) -> None:
        super().__init__(path="<convitems>")
        self.ignore_hosts = frozenset(h.lower() for h in ignore_hosts)
        """Host names whose requests pass to the network untouched, as vcrpy's
        `ignore_hosts`: never replayed, never recorded, never refused."""
        self.active: CassetteRecorder | None = None
        self._pending: dict[int, tuple[Any, Exchange]] = {}
        self._reserved: dict[int, tuple[Any, int]] = {}
        """Requests gone to the network -> their place in the recording (vcrpy's request
        object is kept with it: its id is the key)."""
        self._patches: list[tuple[Any, str, Any]] | None = None
        self._saved: list[tuple[Any, str, bool, Any]] = []

    # vcrpy's stubs: can_play_response_for -> play_response, else write_protected ->
    # filter_request (raise), else real request -> append.
    def _ignored(self, vcr_request: Any) -> bool:
        return bool(self.ignore_hosts) and (vcr_request.host or "").lower() in self.ignore_hosts

    def can_play_response_for(self, vcr_request: Any) -> bool:
        recorder = self.active
        if recorder is None or self._ignored(vcr_request):
            return False
        if id(vcr_request) in self._pending:
            return True
        if id(vcr_request) in self._reserved:
            return False  # asked again (http.client's stub asks at connect and at response)
        found = recorder.take(_request_from_vcr(vcr_request))
        if found is None:
            if recorder.network_allowed:
                self._reserved[id(vcr_request)] = (vcr_request, recorder.reserve())
            return False
        self._pending[id(vcr_request)] = (vcr_request, found)
        return True

    def play_response(self, vcr_request: Any) -> dict[str, Any]:
        _, found = self._pending.pop(id(vcr_request))
        assert found.response is not None
        return _vcr_response(found.response)

    @property
    def write_protected(self) -> bool:
        return self.active is not None and not self.active.network_allowed

    def filter_request(self, vcr_request: Any) -> Any:
        if self._ignored(vcr_request):
            return None  # vcrpy then sends it on instead of refusing it
        recorder = self.active
        if recorder is not None and not recorder.network_allowed:
            raise recorder.refuse(_request_from_vcr(vcr_request))
        return vcr_request

    def append(self, vcr_request: Any, response: dict[str, Any]) -> None:
        if self.active is not None and not self._ignored(vcr_request):
            _, slot = self._reserved.pop(id(vcr_request), (None, None))
            request = _request_from_vcr(vcr_request)
            self.active.record(request, _response_from_vcr(response), slot)

    def _patch_triples(self) -> list[tuple[Any, str, Any]]:
        if self._patches is None:
            from vcr.patch import CassettePatcherBuilder

            try:
                # vcrpy's patch list is not public API: a release that reshapes it must
                # fail here with what to do, not as an AttributeError inside a test.
                self._patches = [
                    (p.getter(), p.attribute, p.new) for p in CassettePatcherBuilder(self).build()
                ]
            except (AttributeError, TypeError) as exc:
                raise InputError(
                    f"cannot install vcrpy {_vcrpy_version()}'s patches ({exc!r}); this "
                    f"pytest-convitems was last tested with vcrpy {TESTED_VCRPY}: install that "
                    f"(pip install 'vcrpy=={TESTED_VCRPY}') and report the newer one"
                ) from exc
        return self._patches

    @contextmanager
    def activate(self, recorder: CassetteRecorder) -> Iterator[CassetteRecorder]:
        """Route this process's HTTP through `recorder` for the duration of the block."""
        self.start(recorder)
        try:
            yield recorder
        finally:
            self.stop()

    def start(self, recorder: CassetteRecorder) -> None:
        """Install vcrpy's patches and route through `recorder` until `stop`."""
        if self.active is not None:
            raise InputError(
                f"a convitems cassette is already active ({self.active.path}); "
                "one cassette per test"
            )
        saved = self._saved = []
        try:
            for target, name, new in self._patch_triples():
                attrs = vars(target)
                saved.append((target, name, name in attrs, attrs.get(name)))
                setattr(target, name, new)
        except BaseException:
            self.stop()
            raise
        self.active = recorder

    def stop(self) -> None:
        """Put back what `start` patched (idempotent)."""
        self.active = None
        self._pending.clear()
        self._reserved.clear()
        saved, self._saved = self._saved, []
        for target, name, local, original in reversed(saved):
            if local:
                setattr(target, name, original)
            else:
                delattr(target, name)


class ConvItemsPersister:
    """A vcrpy persister that reads and writes through `pytest_convitems.cassette`.

    For plain vcrpy and pytest-recording users who want our cassettes (redacted, pretty
    JSON bodies, atomic writes) without the plugin:

        my_vcr = vcr.VCR()
        my_vcr.register_persister(ConvItemsPersister)
        # pytest-recording: in conftest.py, def pytest_recording_configure(config, vcr):
        #     vcr.register_persister(ConvItemsPersister)
    """

    @classmethod
    def load_cassette(cls, cassette_path: Any, serializer: Any) -> tuple[list[Any], list[Any]]:
        from pathlib import Path

        from vcr.persisters.filesystem import CassetteNotFoundError
        from vcr.request import Request as VcrRequest
        from vcr.serializers import compat

        from .cassette import exchange_to_interaction, load_cassette

        path = Path(cassette_path)
        try:
            if path.stat().st_size == 0:
                raise CassetteNotFoundError()
        except FileNotFoundError as exc:
            raise CassetteNotFoundError() from exc
        interactions = [exchange_to_interaction(e, redactor=None) for e in load_cassette(path)]
        requests = [VcrRequest._from_dict(i["request"]) for i in interactions]
        responses = [compat.convert_to_bytes(i["response"]) for i in interactions]
        return requests, responses

    @staticmethod
    def save_cassette(cassette_path: Any, cassette_dict: dict[str, Any], serializer: Any) -> None:
        from .cassette import write_cassette

        exchanges = [
            Exchange(_request_from_vcr(request), _response_from_vcr(response))
            for request, response in zip(
                cassette_dict["requests"], cassette_dict["responses"], strict=True
            )
        ]
        write_cassette(cassette_path, exchanges)
