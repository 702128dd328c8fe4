"""Replay on the wire: a real mitmdump replaying cassettes written here, read through a
raw socket where the exact bytes matter (which headers a replayed answer carries)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from proxy_addon.harness import Process, list_body, running_mitmdump
from pytest_convitems.cassette import write_cassette
from pytest_convitems.exchange import Exchange, Request, Response

UPSTREAM = "http://127.0.0.1:9"  # never contacted: replay
CONV = "conv_wire"
ITEMS = f"/v1/conversations/{CONV}/items"
JSON = {"content-type": ["application/json"]}
UML = "/v1/conversations/conv_%C3%BCn%C3%AF/items"  # conv_ünï


def _recorded(
    method: str, path: str, status: int, headers: dict[str, list[str]], body: bytes
) -> Exchange:
    return Exchange(Request(method, UPSTREAM + path), Response(status, "", headers, body))


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    root = tmp_path_factory.mktemp("replay")
    cassettes = root / "cassettes"
    cassettes.mkdir()
    write_cassette(
        cassettes / f"{CONV}.yaml",
        [
            _recorded("HEAD", ITEMS, 200, {**JSON, "content-length": ["1234"]}, b""),
            _recorded("DELETE", ITEMS + "/msg_1", 204, {"x-request-id": ["req_1"]}, b""),
            # `gzip` that is not gzip: the cassette keeps the header, the body as it came
            _recorded("GET", ITEMS, 200, {**JSON, "content-encoding": ["gzip"]}, list_body(1)),
        ],
    )
    # as Python's clients escape: lowercase hex
    write_cassette(
        cassettes / "conv__c3_bcn_c3_af.yaml",
        [_recorded("GET", UML.lower(), 200, JSON, list_body(1))],
    )
    options = {"convitems_mode": "replay", "convitems_cassette_dir": str(cassettes)}
    with running_mitmdump(UPSTREAM, root, options=options, name="replay") as proxy:
        yield proxy


def exchange(proxy: Process, method: str, path: str) -> tuple[str, dict[str, str], bytes]:
    """One request on its own connection: the status line, the headers (lowercased names;
    a repeated one keeps its last value) and the body, as the proxy sent them."""
    request = f"{method} {path} HTTP/1.1\r\nhost: api\r\nconnection: close\r\n\r\n"
    received = b""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(request.encode())
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


def test_a_head_replays_the_length_the_upstream_sent_and_no_body(replay: Process) -> None:
    status, headers, body = exchange(replay, "HEAD", ITEMS)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == "1234" and body == b""


def test_a_204_replays_without_a_content_length(replay: Process) -> None:
    status, headers, body = exchange(replay, "DELETE", ITEMS + "/msg_1")
    assert status.startswith("HTTP/1.1 204")
    assert "content-length" not in headers, "RFC 9110 §8.6: a 204 MUST NOT send it"
    assert headers["x-request-id"] == "req_1" and body == b""


def test_a_body_that_did_not_decode_replays_as_it_came_with_its_encoding(replay: Process) -> None:
    status, headers, body = exchange(replay, "GET", ITEMS)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-encoding"] == "gzip"
    assert json.loads(body) == json.loads(list_body(1))
    assert headers["content-length"] == str(len(body))


def test_percent_escapes_match_in_either_case(replay: Process) -> None:
    """RFC 3986 §6.2.2.1: recorded from Python as %c3%bc, replayed from Node as %C3%BC."""
    status, headers, _ = exchange(replay, "GET", UML)
    assert status == "HTTP/1.1 200 OK", headers
    assert headers["x-convitems-replay"] == "hit"


@pytest.mark.parametrize("path", ["/__convitems/rewind/", "/v1/__convitems/rewind/"])
def test_rewind_takes_a_trailing_slash(replay: Process, path: str) -> None:
    status, _, body = exchange(replay, "POST", path)
    assert status == "HTTP/1.1 200 OK", body
    assert json.loads(body)["rewound"] is True
