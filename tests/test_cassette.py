"""Cassettes: what we write, plain vcrpy replays; what vcrpy wrote, we read; lengths stay true.

Done-when (issue 4): plain `vcr.use_cassette(path, record_mode="none")` replays every
cassette we write to the openai client (httpx2) and to httpx, and the client sees JSON
equal to what was recorded. Traffic is recorded from the embedded server with the real
openai client, written with our writer, and replayed with the server stopped.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import httpx2
import openai
import pytest
import vcr
import yaml
import zstandard
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import jsonserializer, yamlserializer

from pytest_convitems.cassette import (
    CassetteCache,
    append_to_cassette,
    exchange_to_interaction,
    interaction_to_exchange,
    load_cassette,
    write_cassette,
)
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.server import RunningServer
from tests.conftest import FAKE_API_KEY


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(cache))
    return cache


class Recorder:
    """Turns every httpx2 exchange the openai client makes into an `Exchange`."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def hook(self, response: httpx2.Response) -> None:
        response.read()
        req = response.request
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            headers.setdefault(name, []).append(value)
        # the hook sees the decoded body: the coding header no longer describes it
        headers = {k: v for k, v in headers.items() if k.lower() != "content-encoding"}
        req_headers: dict[str, list[str]] = {}
        for name, value in req.headers.multi_items():
            req_headers.setdefault(name, []).append(value)
        self.exchanges.append(
            Exchange(
                Request(req.method, str(req.url), req_headers, req.content),
                Response(response.status_code, response.reason_phrase, headers, response.content),
            )
        )


def _client(base_url: str, hooks: list[Any] | None = None) -> openai.OpenAI:
    http = httpx2.Client(event_hooks={"response": hooks or []})
    return openai.OpenAI(base_url=base_url, api_key=FAKE_API_KEY, http_client=http, max_retries=0)


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def _drive(client: openai.OpenAI, conv_id: str) -> list[Any]:
    """The same calls, recorded or replayed: create, list, retrieve, delete."""
    items = client.conversations.items
    created = items.with_raw_response.create(
        conv_id, items=[_message("héllo ☃"), _message("second\nline")]
    )
    first_id = json.loads(created.http_response.content)["data"][0]["id"]
    listed = items.with_raw_response.list(conv_id, limit=10, order="asc")
    got = items.with_raw_response.retrieve(first_id, conversation_id=conv_id)
    deleted = items.with_raw_response.delete(first_id, conversation_id=conv_id)
    return [json.loads(r.http_response.content) for r in (created, listed, got, deleted)]


@pytest.fixture
def recorded(server: RunningServer, tmp_path: Path) -> tuple[Path, str, list[Any], list[Exchange]]:
    """A cassette of real traffic (the server is stopped once it is written)."""
    recorder = Recorder()
    client = _client(server.api_base, [recorder.hook])
    conv_id = client.conversations.create().id
    seen = _drive(client, conv_id)
    path = tmp_path / "cassettes" / "items.yaml"
    write_cassette(path, recorder.exchanges)
    server.stop()
    return path, conv_id, seen, recorder.exchanges


def test_vcrpy_replays_our_cassette_to_the_openai_client(
    recorded: tuple[Path, str, list[Any], list[Exchange]], server: RunningServer
) -> None:
    path, conv_id, seen, _ = recorded
    client = _client(server.api_base)
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        assert client.conversations.create().id == conv_id
        replayed = _drive(client, conv_id)
    assert replayed == seen
    assert cassette.all_played


def test_vcrpy_replays_our_cassette_to_httpx(
    recorded: tuple[Path, str, list[Any], list[Exchange]],
) -> None:
    path, _, _, exchanges = recorded
    with vcr.use_cassette(str(path), record_mode="none") as cassette, httpx.Client() as http:
        for e in exchanges:
            assert e.response is not None
            r = http.request(
                e.request.method,
                e.request.url,
                content=e.request.body or None,
                headers={"Authorization": f"Bearer {FAKE_API_KEY}"},
            )
            assert r.status_code == e.response.status
            assert r.json() == json.loads(e.response.body)
            assert int(r.headers["content-length"]) == len(r.content)
    assert cassette.all_played


def test_stored_json_is_pretty_sorted_and_lengths_are_true(
    recorded: tuple[Path, str, list[Any], list[Exchange]],
) -> None:
    path, _, _, exchanges = recorded
    text = path.read_text(encoding="utf-8")
    assert "string: |-\n        {\n" in text
    assert "héllo ☃" in text  # readable, not \u-escaped
    assert FAKE_API_KEY not in text
    loaded = load_cassette(path, cache=None)
    assert [e.request.method for e in loaded] == [e.request.method for e in exchanges]
    for before, after in zip(exchanges, loaded, strict=True):
        assert before.response is not None and after.response is not None
        assert json.loads(after.response.body) == json.loads(before.response.body)
        body = after.response.body
        assert after.response.body.decode() == json.dumps(
            json.loads(body), indent=2, sort_keys=True, ensure_ascii=False
        )
        assert after.response.header("Content-Length") == str(len(body))
        if before.request.body:
            assert json.loads(after.request.body) == json.loads(before.request.body)
    assert [e.source for e in loaded] == [
        {"cassette": str(path), "interaction": i} for i in range(len(loaded))
    ]


def _json_exchange(i: int, encoding: str | None = None, body: bytes | None = None) -> Exchange:
    payload = {"object": "list", "data": [{"id": f"msg_{i}", "type": "message"}], "n": i}
    raw = json.dumps(payload).encode() if body is None else body
    headers = {"Content-Type": ["application/json"], "Content-Length": [str(len(raw))]}
    if encoding is not None:
        raw = {
            "gzip": gzip.compress,
            "deflate": zlib.compress,
            "br": brotli.compress,
            "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
        }[encoding](raw)
        headers["Content-Encoding"] = [encoding]
        headers["Content-Length"] = [str(len(raw))]
        headers["Transfer-Encoding"] = ["chunked"]
    return Exchange(
        Request("GET", f"http://127.0.0.1:9/v1/conversations/conv_1/items?n={i}", {}, b""),
        Response(200, "OK", headers, raw),
    )


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_compressed_bodies_are_stored_decoded_and_replay(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / f"{encoding}.yaml"
    write_cassette(path, [_json_exchange(1, encoding)])
    stored = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    headers = stored["interactions"][0]["response"]["headers"]
    assert "Content-Encoding" not in headers and "Transfer-Encoding" not in headers
    body = stored["interactions"][0]["response"]["body"]["string"]
    assert headers["Content-Length"] == [str(len(body.encode()))]
    assert json.loads(body)["n"] == 1
    with vcr.use_cassette(str(path), record_mode="none"), httpx.Client() as http:
        r = http.get("http://127.0.0.1:9/v1/conversations/conv_1/items?n=1")
    assert r.json()["n"] == 1


def test_the_plugin_decodes_every_zstd_frame_of_a_response() -> None:
    """A body in several zstd frames (legal, and what streaming encoders send) is decoded
    whole, as httpx hands it to the client: the plugin's recorder once kept the first
    frame, then called the valid response not JSON."""
    from pytest_convitems.recording_vcr import decoded_response

    body = json.dumps({"object": "list", "data": []}).encode()
    raw = b"".join(zstandard.ZstdCompressor().compress(x) for x in (body[:5], body[5:]))
    headers = {"Content-Encoding": ["zstd"], "Content-Type": ["application/json"]}
    response = decoded_response(200, "OK", headers, raw)
    sent = httpx.Response(200, headers={"Content-Encoding": "zstd"}, content=raw)
    assert response.body == body == sent.read()
    assert response.header("Content-Encoding") is None


def test_vcrpy_compressed_cassette_loads_decoded(tmp_path: Path) -> None:
    """A vcrpy cassette keeps gzip bytes and the header; we hand out the decoded body."""
    e = _json_exchange(3, "gzip")
    assert e.response is not None
    vcr_dict = {
        "requests": [vcr.request.Request("GET", e.request.url, None, {})],
        "responses": [
            {
                "status": {"code": 200, "message": "OK"},
                "headers": e.response.headers,
                "body": {"string": e.response.body},
            }
        ],
    }
    path = tmp_path / "vcrpy.yaml"
    FilesystemPersister.save_cassette(path, vcr_dict, yamlserializer)
    (loaded,) = load_cassette(path)
    assert loaded.response is not None
    assert json.loads(loaded.response.body)["n"] == 3
    assert loaded.response.header("Content-Encoding") is None
    assert loaded.response.header("Content-Length") == str(len(loaded.response.body))


def test_reads_vcrpy_json_serializer_cassettes(tmp_path: Path) -> None:
    vcr_dict = {
        "requests": [vcr.request.Request("POST", "http://h/v1/x", '{"a": 1}', {"A": "b"})],
        "responses": [
            {
                "status": {"code": 201, "message": "Created"},
                "headers": {"Content-Type": ["application/json"]},
                "body": {"string": '{"ok": true}'},
            }
        ],
    }
    path = tmp_path / "c.json"
    FilesystemPersister.save_cassette(path, vcr_dict, jsonserializer)
    (e,) = load_cassette(path)
    assert e.request.body == b'{"a": 1}' and e.request.headers == {"A": ["b"]}
    assert e.response is not None and e.response.status == 201
    # and we write that format for .json paths, which vcrpy reads back
    write_cassette(tmp_path / "ours.json", [e])
    _requests, responses = FilesystemPersister.load_cassette(tmp_path / "ours.json", jsonserializer)
    assert json.loads(responses[0]["body"]["string"]) == {"ok": True}


def test_binary_and_text_bodies_round_trip_through_vcrpy(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 3
    exchanges = [
        Exchange(
            Request("PUT", "http://127.0.0.1:9/blob", {"Content-Type": ["image/png"]}, blob),
            Response(200, "OK", {"Content-Type": ["application/octet-stream"]}, blob[::-1]),
        ),
        Exchange(
            Request("GET", "http://127.0.0.1:9/text", {}, b""),
            Response(200, "OK", {"Content-Type": ["text/plain"]}, b"line 1\nline 2\n  indented\n"),
        ),
        Exchange(
            Request("GET", "http://127.0.0.1:9/empty", {}, b""),
            Response(204, "No Content", {}, b""),
        ),
    ]
    path = tmp_path / "mixed.yaml"
    write_cassette(path, exchanges)
    assert "!!binary" in path.read_text()
    for cache in (None, CassetteCache(tmp_path / "c2")):
        loaded = load_cassette(path, cache=cache)
        assert [e.request.body for e in loaded] == [blob, b"", b""]
        assert [e.response.body for e in loaded if e.response] == [
            blob[::-1],
            b"line 1\nline 2\n  indented\n",
            b"",
        ]
        assert loaded[2].response is not None
        assert loaded[2].response.header("Content-Length") is None  # never added to a 204
    requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
    assert requests[0].body == blob
    assert responses[0]["body"]["string"] == blob[::-1]
    assert responses[1]["body"]["string"] == b"line 1\nline 2\n  indented\n"


def test_append_keeps_what_was_there_and_orders_by_request(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    write_cassette(path, [_json_exchange(0)])
    append_to_cassette(path, [_json_exchange(1)])
    append_to_cassette(path, [_json_exchange(2), _json_exchange(3)])
    append_to_cassette(path, [])
    loaded = load_cassette(path)
    assert [json.loads(e.response.body)["n"] for e in loaded if e.response] == [0, 1, 2, 3]
    assert loaded == load_cassette(path, cache=None)
    # the spliced file is exactly what one write of all four produces
    whole = tmp_path / "whole.yaml"
    write_cassette(whole, [_json_exchange(i) for i in range(4)])
    assert whole.read_bytes() == path.read_bytes()
    requests, _ = FilesystemPersister.load_cassette(path, yamlserializer)
    assert [r.uri.rsplit("=", 1)[1] for r in requests] == ["0", "1", "2", "3"]


def test_append_creates_a_missing_cassette_and_extends_a_vcrpy_one(tmp_path: Path) -> None:
    path = tmp_path / "new" / "c.yaml"
    append_to_cassette(path, [_json_exchange(5)])
    assert len(load_cassette(path)) == 1
    vcr_path = tmp_path / "vcr.yaml"
    vcr_dict = {
        "requests": [vcr.request.Request("GET", "http://h/v1/conversations/c/items", None, {})],
        "responses": [
            {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "hi"}}
        ],
    }
    FilesystemPersister.save_cassette(vcr_path, vcr_dict, yamlserializer)
    append_to_cassette(vcr_path, [_json_exchange(6)])
    loaded = load_cassette(vcr_path, cache=None)
    assert [e.response.body[:2] for e in loaded if e.response] == [b"hi", b"{\n"]


def test_append_to_a_cassette_a_formatter_indented_stays_valid_yaml(tmp_path: Path) -> None:
    """yamlfmt indents the list (`  - request:`); splicing at column 0 broke the file,
    and a warm cache hid it until a fresh CI runner parsed the YAML."""
    path = tmp_path / "a.yaml"
    write_cassette(path, [_json_exchange(0)])
    head, _, rest = path.read_text().partition("\n")
    items, _, tail = rest.rpartition("version: 1")
    indented = "".join(f"  {line}\n" if line else "\n" for line in items.splitlines())
    path.write_text(f"{head}\n{indented}version: 1{tail}")
    assert len(load_cassette(path, cache=None)) == 1
    append_to_cassette(path, [_json_exchange(1)])
    loaded = load_cassette(path, cache=None)
    assert [json.loads(e.response.body)["n"] for e in loaded if e.response] == [0, 1]
    FilesystemPersister.load_cassette(path, yamlserializer)  # vcrpy reads it too


def test_cache_is_keyed_by_content_and_never_trusted_over_the_yaml(
    tmp_path: Path, _private_cache: Path
) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [_json_exchange(1)])
    entries = list(_private_cache.glob("*.json"))
    assert len(entries) == 1  # filled at write time: the first load is warm
    # an edited cassette misses the cache
    path.write_text(path.read_text().replace('"n": 1', '"n": 7'))
    (e,) = load_cassette(path)
    assert e.response is not None and json.loads(e.response.body)["n"] == 7
    # a corrupt or foreign entry is ignored, not an error
    for entry in _private_cache.glob("*.json"):
        entry.write_text("{not json")
    (e,) = load_cassette(path)
    assert e.response is not None and json.loads(e.response.body)["n"] == 7
    for entry in _private_cache.glob("*.json"):
        entry.write_text(json.dumps({"format": "other"}))
    assert load_cassette(path) == load_cassette(path, cache=None)
    # rewriting a cassette drops the old entry, so the cache does not grow per write
    for entry in _private_cache.glob("*.json"):
        entry.unlink()
    write_cassette(path, [_json_exchange(2)])
    write_cassette(path, [_json_exchange(3)])
    assert len(list(_private_cache.glob("*.json"))) == 1


def test_an_entry_made_by_another_parser_is_a_miss(
    tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is the bytes' hash, which a fixed decoder does not change: entries carry the
    parser's fingerprint, or a user would keep what the old code made of a cassette."""
    from pytest_convitems import cassette_cache

    path = tmp_path / "c.yaml"
    write_cassette(path, [_json_exchange(1)])
    (entry,) = _private_cache.glob("*.json")
    assert json.loads(entry.read_text())["parser"] == cassette_cache.parser_fingerprint()
    parsed: list[object] = []
    real = cassette_cache.CassetteCache.put
    monkeypatch.setattr(
        cassette_cache.CassetteCache, "put", lambda *a, **k: parsed.append(a) or real(*a, **k)
    )
    load_cassette(path)
    assert parsed == []  # same parser: the entry serves
    monkeypatch.setattr(cassette_cache, "parser_fingerprint", lambda: "0" * 64)
    assert load_cassette(path) == load_cassette(path, cache=None)
    assert len(parsed) == 1  # another parser's entry: parsed again, and stored anew


def test_cache_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", "off")
    write_cassette(tmp_path / "c.yaml", [_json_exchange(1)])
    assert len(load_cassette(tmp_path / "c.yaml")) == 1
    assert not (tmp_path / "cache").exists()


def test_interaction_dict_round_trip() -> None:
    e = _json_exchange(4, "gzip")
    item = exchange_to_interaction(e)
    assert item["response"]["status"] == {"code": 200, "message": "OK"}
    assert isinstance(item["response"]["body"]["string"], str)
    back = interaction_to_exchange(item)
    assert back.response is not None and json.loads(back.response.body)["n"] == 4
    assert back.source is None


def test_empty_cassette_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    write_cassette(path, [])
    assert path.read_text() == "interactions: []\nversion: 1\n"
    assert load_cassette(path) == []
    requests, _responses = FilesystemPersister.load_cassette(path, yamlserializer)
    assert requests == []
    path.write_text("")
    assert load_cassette(path) == []


def test_writes_leave_no_temp_files_and_keep_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [_json_exchange(1)])
    path.chmod(0o640)
    append_to_cassette(path, [_json_exchange(2)])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["c.yaml"]
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.fixture
def many() -> Iterator[list[Exchange]]:
    yield [_json_exchange(i) for i in range(50)]


def test_repeated_identical_requests_replay_in_order(tmp_path: Path, many: list[Exchange]) -> None:
    same = [
        Exchange(
            Request("GET", "http://127.0.0.1:9/v1/conversations/c/items", {}, b""),
            Response(
                200, "OK", {"Content-Type": ["application/json"]}, json.dumps({"n": i}).encode()
            ),
        )
        for i in range(3)
    ]
    path = tmp_path / "same.yaml"
    write_cassette(path, same)
    with vcr.use_cassette(str(path), record_mode="none"), httpx.Client() as http:
        got = [
            http.get("http://127.0.0.1:9/v1/conversations/c/items").json()["n"] for _ in range(3)
        ]
    assert got == [0, 1, 2]


def test_a_lone_surrogate_escape_is_stored_escaped(tmp_path: Path) -> None:
    """`"\\ud800"` is valid JSON (a JavaScript client cut an emoji in two) but no UTF-8:
    the recorder failed on it with a raw UnicodeEncodeError at the test's teardown."""
    body = b'{"items": [{"role": "user", "content": "\\ud800 x"}]}'
    exchange = Exchange(
        Request(
            "POST",
            "http://h/v1/conversations/c/items",
            {"Content-Type": ["application/json"]},
            body,
        ),
        Response(200, "OK", {"Content-Type": ["application/json"]}, b"{}"),
    )
    write_cassette(tmp_path / "c.yaml", [exchange])
    (loaded,) = load_cassette(tmp_path / "c.yaml", cache=None)
    assert json.loads(loaded.request.body) == json.loads(body)
    assert b"\\ud800" in loaded.request.body


@pytest.mark.parametrize("depth", [700, 50_000])
def test_json_nested_past_pythons_reach_is_stored_as_it_came(tmp_path: Path, depth: int) -> None:
    # Valid JSON (free-form tool arguments, say) that json.dumps(indent=...) or json.loads
    # cannot recurse through: recorded as sent, not a RecursionError at the end of a test.
    nested = b"[" * depth + b"]" * depth
    body = b'{"items": [{"type": "tool_search_call", "arguments": {"a": ' + nested + b"}}]}"
    headers = {"Content-Type": ["application/json"]}
    exchange = Exchange(
        Request("POST", "https://api.openai.com/v1/conversations/c/items", headers, body),
        Response(200, "OK", headers, body),
    )
    path = tmp_path / "deep.yaml"
    write_cassette(path, [exchange])
    (loaded,) = load_cassette(path)
    assert loaded.response is not None
    for stored in (loaded.request.body, loaded.response.body):
        # pretty where Python's encoder reaches (JSON-equal), else the bytes as sent
        assert stored == body or json.loads(stored) == json.loads(body)


@pytest.mark.parametrize("depth", [300, 990, 7000])
def test_a_deep_body_is_not_pretty_printed_into_a_cassette_the_square_of_its_size(
    tmp_path: Path, depth: int
) -> None:
    # 7,000 levels of a 21 KB body pretty-printed made a 196 MB cassette (a line a level,
    # each indented by its depth).
    nested = b"[" * depth + b"]" * depth
    body = b'{"items": [{"type": "tool_search_call", "arguments": {"a": ' + nested + b"}}]}"
    headers = {"Content-Type": ["application/json"]}
    url = "https://api.openai.com/v1/conversations/c/items"
    exchange = Exchange(Request("POST", url, headers, body), Response(200, "OK", headers, body))
    path = tmp_path / "deep.yaml"
    write_cassette(path, [exchange])
    assert path.stat().st_size < 5 * len(body)
    (loaded,) = load_cassette(path)
    assert loaded.request.body == body


def test_a_large_body_with_a_lone_surrogate_is_still_stored_pretty(tmp_path: Path) -> None:
    # Past 1,000 brackets the writer asks pydantic-core for the depth; its refusal of a
    # lone surrogate is no depth.
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}]
    body = json.dumps({"items": items * 400, "note": "\ud800"}).encode()  # 1,200 brackets
    headers = {"Content-Type": ["application/json"]}
    url = "https://api.openai.com/v1/conversations/c/items"
    exchange = Exchange(Request("POST", url, headers, body), Response(200, "OK", headers, b""))
    path = tmp_path / "c.yaml"
    write_cassette(path, [exchange])
    assert '\n        "items": [\n' in path.read_text()  # pretty
