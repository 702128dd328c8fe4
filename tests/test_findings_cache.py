"""The findings cache: memoized validation of recorded interactions never differs from
validating for real, misses when the validator or the request changes, ignores what it
cannot trust, and never hides an error from a test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx  # noqa: F401  (kept for pytester's in-process runs, as in test_plugin)
import pytest

import pytest_convitems.recording
from pytest_convitems import findings_cache
from pytest_convitems.cassette import load_cassette_entry, write_cassette
from pytest_convitems.cassette_cache import CassetteCache
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.findings import Finding
from pytest_convitems.findings_cache import FindingsMemo, same_for_validation, validation_view
from pytest_convitems.fingerprint import PACKAGE, version
from pytest_convitems.validation import validate_exchange

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "data" / "invalid"
API = "https://api.openai.com/v1/conversations/conv_1/items"
JSON = {"content-type": ["application/json"]}
ITEM = {
    "id": "msg_1",
    "type": "message",
    "role": "user",
    "status": "completed",
    "content": [{"type": "input_text", "text": "hi"}],
}
LISTING = {"object": "list", "data": [ITEM], "first_id": "msg_1", "last_id": "msg_1"}
LISTING["has_more"] = False
REQUESTS: dict[str, tuple[str, str]] = {
    "create": ("POST", API),
    "list": ("GET", API),
    "retrieve": ("GET", API + "/msg_1"),
    "delete": ("DELETE", API + "/msg_1"),
}
VALID_RESPONSES: dict[str, Any] = {
    "create": LISTING,
    "list": LISTING,
    "retrieve": ITEM,
    "delete": {"id": "conv_1", "object": "conversation", "created_at": 1, "metadata": {}},
}


def _body(case: dict[str, Any]) -> bytes:
    if "body" in case:
        return json.dumps(case["body"]).encode()
    if "body_text" in case:
        return str(case["body_text"]).encode()
    return bytes.fromhex(case.get("body_hex", ""))


def corpus_exchange(case: dict[str, Any]) -> Exchange:
    endpoint = case["endpoint"]
    method, url = REQUESTS[endpoint]
    if case["direction"] == "request":
        query = case.get("query")
        body = _body(case) if method == "POST" else b""
        request = Request(method, url + (f"?{query}" if query else ""), dict(JSON), body)
        valid = json.dumps(VALID_RESPONSES[endpoint]).encode()
        return Exchange(request, Response(200, "OK", dict(JSON), valid))
    body = json.dumps({"items": [{"role": "user", "content": "hi"}]}).encode()
    request = Request(method, url, dict(JSON), body if method == "POST" else b"")
    return Exchange(request, Response(case.get("status", 200), "OK", dict(JSON), _body(case)))


def corpus(name: str, count: int, direction: str) -> list[dict[str, Any]]:
    cases = json.loads((DATA / name).read_text())["cases"]
    picked = [c for c in cases if c["direction"] == direction and "body_hex" not in c]
    return picked[:count]


CASES = [
    *corpus("request_bodies.json", 5, "request"),
    *corpus("queries.json", 3, "request"),
    *corpus("output_items.json", 3, "response"),
    *corpus("envelopes.json", 2, "response"),
]


def fresh(exchange: Exchange) -> list[Finding]:
    return validate_exchange(Exchange(exchange.request, exchange.response))


def refuse(exchange: Exchange) -> list[Finding]:
    raise AssertionError("validated for real although the cache should have answered")


def store(tmp_path: Path) -> CassetteCache:
    return CassetteCache(tmp_path / "cache")


def memo_for(path: Path, cache: CassetteCache, validate: Any = validate_exchange) -> FindingsMemo:
    loaded = load_cassette_entry(path, cache=cache)
    assert loaded is not None
    entry, key, used = loaded
    return FindingsMemo(entry.exchanges, validate, store=used, key=key, annotation=entry.annotation)


def recorded(path: Path, cache: CassetteCache) -> list[Exchange]:
    loaded = load_cassette_entry(path, cache=cache)
    assert loaded is not None
    return loaded[0].exchanges


def replay(memo: FindingsMemo, live: Request, found: Exchange) -> list[Finding]:
    return memo.findings_for(Exchange(live, found.response, found.source), found)


@pytest.mark.parametrize(
    "exchange",
    [
        Exchange(
            Request("POST", API, dict(JSON), b'{"items": [{"role": "user", "content": "hi"}]}'),
            Response(200, "OK", dict(JSON), json.dumps(LISTING).encode()),
        ),
        Exchange(
            Request("GET", API + "/msg_1"),
            Response(200, "OK", dict(JSON), json.dumps(ITEM).encode()),
        ),
        *[corpus_exchange(c) for c in CASES],
    ],
    ids=["valid create", "valid retrieve", *[c["name"] for c in CASES]],
)
def test_cached_findings_equal_fresh_findings(tmp_path: Path, exchange: Exchange) -> None:
    path = tmp_path / "c.yaml"
    cache = store(tmp_path)
    write_cassette(path, [exchange], cache=cache)
    expected = fresh(exchange)

    cold = memo_for(path, cache)
    found = recorded(path, cache)[0]
    assert replay(cold, exchange.request, cold._recorded[0]) == expected
    assert cold.computed

    warm = memo_for(path, cache, validate=refuse)
    assert replay(warm, exchange.request, warm._recorded[0]) == expected
    assert not warm.computed
    assert expected == fresh(Exchange(found.request, found.response))


def test_corpus_cases_are_invalid() -> None:
    # The parametrisation above would prove little if the corpus cases validated clean here.
    assert all(
        any(f.severity in ("error", "drift") for f in fresh(corpus_exchange(c))) for c in CASES
    )


def invalid_create() -> Exchange:
    body = json.dumps({"items": [{"type": "mesage", "role": "user", "content": "hi"}]})
    return Exchange(
        Request("POST", API, dict(JSON), body.encode()),
        Response(200, "OK", dict(JSON), json.dumps(LISTING).encode()),
    )


def test_a_changed_validator_fingerprint_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache, exchange = tmp_path / "c.yaml", store(tmp_path), invalid_create()
    write_cassette(path, [exchange], cache=cache)
    first = memo_for(path, cache)
    assert replay(first, exchange.request, first._recorded[0]) == fresh(exchange)
    assert memo_for(path, cache, validate=refuse)._annotation is not None

    monkeypatch.setattr(findings_cache, "validator_fingerprint", lambda: "0" * 64)
    calls: list[Exchange] = []

    def counting(ex: Exchange) -> list[Finding]:
        calls.append(ex)
        return validate_exchange(ex)

    again = memo_for(path, cache, validate=counting)
    assert replay(again, exchange.request, again._recorded[0]) == fresh(exchange)
    assert again.computed and len(calls) == 1


def test_fingerprint_reads_the_validator_sources_without_importing_them() -> None:
    fingerprint = findings_cache.validator_fingerprint()
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    sources = {
        p.relative_to(PACKAGE).as_posix()
        for pattern in findings_cache._SOURCES
        for p in PACKAGE.glob(pattern)
    }
    assert {"validation.py", "models/__init__.py", "routes.py"} <= sources


def test_fingerprint_versions_are_the_installed_ones() -> None:
    # Read from METADATA's header block, not through metadata.version(): the same answer.
    from importlib import metadata

    for dist in findings_cache._DISTRIBUTIONS:
        assert version(dist) == metadata.version(dist)
    assert version("no-such-distribution-convitems") == "?"


def test_a_request_that_differs_in_content_type_is_validated_fresh(tmp_path: Path) -> None:
    path, cache = tmp_path / "c.yaml", store(tmp_path)
    exchange = Exchange(
        Request("POST", API, dict(JSON), b'{"items": [{"role": "user", "content": "hi"}]}'),
        Response(200, "OK", dict(JSON), json.dumps(LISTING).encode()),
    )
    write_cassette(path, [exchange], cache=cache)
    memo_for(path, cache)._findings()  # warm the cache

    calls: list[Exchange] = []

    def counting(ex: Exchange) -> list[Finding]:
        calls.append(ex)
        return validate_exchange(ex)

    memo = memo_for(path, cache, validate=counting)
    found = memo._recorded[0]
    live = Request("POST", API, {"content-type": ["text/plain"]}, exchange.request.body)
    findings = replay(memo, live, found)
    assert [f.rule for f in findings] == ["content_type"]
    assert len(calls) == 1 and calls[0].request is live
    # JSON-equal body, other key order and spacing: the same request to the validator.
    same = Request("POST", API, dict(JSON), b'{ "items":[{"content":"hi","role":"user"}] }')
    assert replay(memo, same, found) == [] and len(calls) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (b'{"limit": 1}', b'{"limit": 1.0}'),
        (b'{"a": true}', b'{"a": 1}'),
        (b"{}", b"\xff\xfe{\x00}\x00"),
    ],
)
def test_validation_view_keeps_what_validation_tells_apart(a: bytes, b: bytes) -> None:
    ra, rb = Request("POST", API, dict(JSON), a), Request("POST", API, dict(JSON), b)
    assert validation_view(ra) != validation_view(rb)
    assert not same_for_validation(ra, rb)


def test_validation_view_tells_paths_and_queries_apart() -> None:
    def view(url: str) -> object:
        return validation_view(Request("GET", url))

    assert view(API + "?limit=2") != view(API + "?limit=3")
    assert view(API + "?include[]=a") == view(API + "?include=a")
    assert view(API + "/") != view(API)
    for a, b in [("?limit=2", "?limit=3"), ("?include[]=a", "?include=a"), ("/", "")]:
        same = same_for_validation(Request("GET", API + a), Request("GET", API + b))
        assert same == (view(API + a) == view(API + b))
    assert same_for_validation(
        Request("GET", "http://127.0.0.1:9/v1/conversations/conv_1/items"), Request("GET", API)
    )


def _entry_file(cache: CassetteCache) -> Path:
    (entry,) = cache.directory.glob("*.json")
    return entry


@pytest.mark.parametrize(
    "spoil",
    [
        lambda data: b"{not json",
        lambda data: data.decode("utf-8").encode("utf-16"),
        lambda data: data.replace(b'"rows":[[', b'"rows":[[{"severity":1},'),
        lambda data: data.replace(b'"rows":[', b'"rows":[[],'),
        lambda data: data.replace(b'"rows":', b'"rowz":'),
    ],
    ids=[
        "entry not JSON",
        "entry not UTF-8",
        "finding of the wrong shape",
        "row count differs",
        "no rows",
    ],
)
def test_a_corrupt_cache_entry_is_ignored(tmp_path: Path, spoil: Any) -> None:
    path, cache, exchange = tmp_path / "c.yaml", store(tmp_path), invalid_create()
    write_cassette(path, [exchange], cache=cache)
    memo_for(path, cache)._findings()
    entry = _entry_file(cache)
    entry.write_bytes(spoil(entry.read_bytes()))

    memo = memo_for(path, cache)
    assert replay(memo, exchange.request, memo._recorded[0]) == fresh(exchange)
    assert memo.computed
    # ...and the entry is whole again afterwards.
    assert not memo_for(path, cache, validate=refuse).computed


def test_no_cache_still_validates(tmp_path: Path) -> None:
    path, exchange = tmp_path / "c.yaml", invalid_create()
    write_cassette(path, [exchange], cache=None)
    loaded = load_cassette_entry(path, cache=None)
    assert loaded is not None and loaded[2] is None
    memo = FindingsMemo(loaded[0].exchanges, validate_exchange)
    assert replay(memo, exchange.request, memo._recorded[0]) == fresh(exchange)


TEST_FILE = """
import httpx, pytest

@pytest.mark.convitems
def test_bad():
    httpx.post("http://127.0.0.1:9/v1/conversations/conv_1/items",
               json={"items": [{"type": "mesage", "role": "user", "content": "hi"}]})
"""


def test_an_invalid_recorded_request_fails_cold_and_warm(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "findings-cache"
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(cache))
    write_cassette(pytester.path / "cassettes/test_a/test_bad.yaml", [invalid_create()])
    pytester.makepyfile(test_a=TEST_FILE)
    for run in ("cold", "warm"):
        if run == "warm":
            # The warm run must answer from the cache: validating for real would raise.
            monkeypatch.setattr(pytest_convitems.recording, "validate_exchange", refuse)
        result = pytester.runpytest("--convitems-replay")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "convitems: 1 validation error(s) in this test's items traffic:",
                "  interaction 0: body:/items/0/type *'mesage' is not a known type*",
            ]
        )
        (entry,) = cache.glob("*.json")
        assert "annotation" in json.loads(entry.read_bytes()), run


def test_a_cold_replay_writes_the_cache_entry_once_with_its_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_convitems.recording import CassetteRecorder

    path, exchange = tmp_path / "c.yaml", invalid_create()
    write_cassette(path, [exchange], cache=None)  # nothing cached: the replay parses the YAML
    cache = store(tmp_path)
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(cache.directory))
    puts: list[Any] = []
    real_put = CassetteCache.put

    def counting_put(self: CassetteCache, key: str, exchanges: Any, **kw: Any) -> None:
        puts.append(kw.get("annotation"))
        real_put(self, key, exchanges, **kw)

    monkeypatch.setattr(CassetteCache, "put", counting_put)
    recorder = CassetteRecorder(path, "none", nodeid="t", validate=validate_exchange)
    assert recorder.take(exchange.request) is not None
    recorder.save()
    assert len(puts) == 1 and puts[0] is not None
    assert [f.rule for f in recorder.errors()] == ["unknown_type"]

    # A test that sends nothing still leaves the parsed entry for the next run.
    puts.clear()
    _entry_file(cache).unlink()
    idle = CassetteRecorder(path, "none", nodeid="t", validate=validate_exchange)
    idle.save()
    assert puts == [None]
    import pytest_convitems.cassette_parse

    monkeypatch.setattr(pytest_convitems.cassette_parse, "parse_cassette", refuse)
    again = CassetteRecorder(path, "none", nodeid="t", validate=validate_exchange)
    assert again.take(exchange.request) is not None
    assert len(puts) == 2 and puts[1] is not None  # the findings join the entry


def test_prune_drops_entries_unread_for_a_month_at_most_once_a_day(tmp_path: Path) -> None:
    import os
    import time

    cache = store(tmp_path)
    listing = Exchange(
        Request("GET", API, dict(JSON)),
        Response(200, "OK", dict(JSON), json.dumps(LISTING).encode()),
    )
    old, fresh = "a" * 64, "b" * 64
    cache.put(old, [listing])
    cache.put(fresh, [listing])
    now = time.time()
    month_ago = now - 31 * 86400
    os.utime(cache.directory / f"{old}.json", (month_ago, month_ago))
    for name in ("notes.txt", "settings.json"):  # not ours, however old: kept
        (cache.directory / name).write_text("not ours")
        os.utime(cache.directory / name, (month_ago, month_ago))
    assert cache.prune(now=now) == 1
    assert cache.get_entry(old, "x") is None
    assert cache.get_entry(fresh, "x") is not None
    assert (cache.directory / "notes.txt").exists()
    assert (cache.directory / "settings.json").exists()
    os.utime(cache.directory / f"{fresh}.json", (month_ago, month_ago))
    assert cache.prune(now=now + 3600) is None, "pruned an hour ago: not again today"
    assert cache.prune(now=now + 25 * 3600) == 1
    assert CassetteCache(tmp_path / "missing").prune() == 0


def test_a_run_prunes_the_cache_it_used(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    cache_dir = pytester.path / "cache"
    old = time.time() - 40 * 86400
    cache_dir.mkdir()
    (cache_dir / ("0" * 64 + ".json")).write_text("{}")
    os.utime(cache_dir / ("0" * 64 + ".json"), (old, old))
    listing = Exchange(
        Request("GET", API, {"accept": ["application/json"]}),
        Response(200, "OK", dict(JSON), json.dumps(LISTING).encode()),
    )
    write_cassette(pytester.path / "cassettes" / "test_a" / "test_one.yaml", [listing])
    pytester.makepyfile(
        test_a=f"""
import httpx, pytest

@pytest.mark.convitems
def test_one():
    httpx.get({API!r}, headers={{"accept": "application/json"}})
"""
    )
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(cache_dir))
    result = pytester.runpytest("--convitems-replay", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (cache_dir / ("0" * 64 + ".json")).exists()
    assert (cache_dir / ".pruned").exists()
