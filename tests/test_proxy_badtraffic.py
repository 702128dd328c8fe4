"""Bad traffic through a real recording mitmdump: never a crash, always a finding or a log line.

The upstream is the harness's canned server (its own process), which answers a conversation
id with the bad response that id names; bad requests are sent with raw httpx.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from proxy_addon.harness import Process, list_body, running_mitmdump, running_upstream
from proxy_addon.naming import cassette_files
from pytest_convitems.cassette import load_cassette

AUTH = {"authorization": "Bearer sk-convitems-FAKE-test-key-000000000000"}


@dataclass
class Proxied:
    proxy: Process
    report: Path
    cassettes: Path

    def url(self, path: str) -> str:
        return self.proxy.base_url + path

    def findings(self, conversation: str) -> list[dict[str, Any]]:
        lines = self.report.read_text().splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        return [r for r in rows if f"/conversations/{conversation}/" in r["source"]["url"]]


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    root = tmp_path_factory.mktemp("bad")
    report, cassettes = root / "findings.jsonl", root / "cassettes"
    options = {
        "convitems_mode": "record",
        "convitems_cassette_dir": str(cassettes),
        "convitems_report": str(report),
        "convitems_flush_ms": "50",
    }
    with (
        running_upstream(root) as upstream,
        running_mitmdump(upstream.base_url, root, options=options, name="bad") as proxy,
    ):
        yield Proxied(proxy, report, cassettes)
        assert proxy.popen.poll() is None, "the proxy died:\n" + proxy.output()[-3000:]
        # still serving after everything below
        ok = httpx.get(proxy.base_url + "/v1/conversations/conv_ok/items", headers=AUTH)
        assert ok.status_code == 200
        assert ok.headers["x-convitems-findings"] == "0"


def rules(found: list[dict[str, Any]], direction: str) -> list[str]:
    return [f["rule"] for f in found if f["direction"] == direction]


# --- bad responses -------------------------------------------------------------------

BAD_RESPONSES = [
    pytest.param("conv_notjson", "not_json", id="not-json"),
    pytest.param("conv_truncated", "not_json", id="truncated-json"),
    pytest.param("conv_wrongtype", "content_type", id="wrong-content-type"),
    pytest.param("conv_badutf8", "invalid_utf8", id="invalid-utf8"),
    pytest.param("conv_big", "unknown_field", id="20MB-body"),
]


@pytest.mark.parametrize(("conversation", "rule"), BAD_RESPONSES)
def test_bad_response_is_a_finding_and_passes_unaltered(
    proxied: Proxied, conversation: str, rule: str
) -> None:
    direct_len = None
    r = httpx.get(proxied.url(f"/v1/conversations/{conversation}/items"), headers=AUTH, timeout=60)
    assert r.status_code == 200
    direct_len = len(r.content)
    assert direct_len > 0
    found = proxied.findings(conversation)
    assert rule in rules(found, "response"), found
    assert r.headers["x-convitems-findings"] == str(len(found))


def test_twenty_megabyte_response_passes_whole(proxied: Proxied) -> None:
    r = httpx.get(proxied.url("/v1/conversations/conv_big/items"), headers=AUTH, timeout=60)
    assert len(r.content) > 20 * 1024 * 1024
    assert r.json()["object"] == "list"


def test_dropped_upstream_connection_is_a_502_and_a_log_line(proxied: Proxied) -> None:
    r = httpx.get(proxied.url("/v1/conversations/conv_drop/items"), headers=AUTH, timeout=30)
    assert r.status_code == 502
    assert "/conversations/conv_drop/items: no response" in proxied.proxy.output()


def test_compressed_response_is_validated_after_decoding(proxied: Proxied) -> None:
    r = httpx.get(
        proxied.url("/v1/conversations/conv_gzip/items"),
        headers={**AUTH, "accept-encoding": "gzip"},
        timeout=30,
    )
    assert r.headers["content-encoding"] == "gzip", "the proxy must not alter the response"
    assert r.content == list_body(20)
    assert proxied.findings("conv_gzip") == []
    assert r.headers["x-convitems-findings"] == "0"


def recorded(proxied: Proxied, name: str) -> Path | None:
    """The cassette `name` once the writer flushed it (bounded wait), or None."""
    import time

    path = proxied.cassettes / name
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not path.exists():
        time.sleep(0.05)
    return path if path.exists() else None


@pytest.mark.parametrize(
    ("conversation", "times"),
    [("conv_gzipgzip", 2), ("conv_gziplines", 2), ("conv_xgzip", 1), ("conv_idgzip", 1)],
)
def test_stacked_and_aliased_codings_are_validated_and_recorded_decoded(
    proxied: Proxied, conversation: str, times: int
) -> None:
    with httpx.stream(
        "GET", proxied.url(f"/v1/conversations/{conversation}/items"), headers=AUTH, timeout=30
    ) as r:
        raw = b"".join(r.iter_raw())
    body = raw
    for _ in range(times):
        body = gzip.decompress(body)
    assert body == list_body(20), "the proxy passes the bytes on as they came"
    assert proxied.findings(conversation) == []  # not a false invalid_utf8
    assert r.headers["x-convitems-findings"] == "0"
    path = recorded(proxied, f"{conversation}.yaml")
    assert path is not None
    (exchange,) = load_cassette(path)
    assert exchange.response is not None and exchange.response.body
    assert json.loads(exchange.response.body) == json.loads(list_body(20))
    assert "content-encoding" not in {h.lower() for h in exchange.response.headers}


def _rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


def _reset_peak_rss(pid: int) -> float | None:
    """The process's resident MB now, its peak reset to it (Linux); None elsewhere."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return _rss_mb(pid, "VmRSS")
    except OSError:
        return None


def test_a_decompression_bomb_passes_through_untouched_and_unrecorded(proxied: Proxied) -> None:
    """204 KB of gzip that decodes to 200 MB: decoded in full, it took the proxy to ~1 GB,
    its writer to 1.4 GB and wrote a 210 MB cassette."""
    before = _reset_peak_rss(proxied.proxy.pid)
    with httpx.stream(
        "GET", proxied.url("/v1/conversations/conv_bomb/items"), headers=AUTH, timeout=60
    ) as r:
        raw = b"".join(r.iter_raw())
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert len(raw) < 300_000, "passed on as sent, not decoded"
    assert "x-convitems-findings" not in r.headers, "untouched"
    assert proxied.findings("conv_bomb") == []
    said = "GET /v1/conversations/conv_bomb/items: response body over 64 MB once decoded"
    assert said in proxied.proxy.output()
    httpx.get(proxied.url("/v1/conversations/conv_after_bomb/items"), headers=AUTH, timeout=30)
    assert recorded(proxied, "conv_after_bomb.yaml") is not None  # written in order
    assert not (proxied.cassettes / "conv_bomb.yaml").exists()
    if before is not None:  # decoding stopped at the limit: ~64 MB, held twice at most
        grew = _rss_mb(proxied.proxy.pid, "VmHWM") - before
        print("grew", grew)
        assert grew < 300, f"the proxy grew by {grew:.0f} MB"


def test_event_stream_is_streamed_not_buffered_and_recorded_whole(proxied: Proxied) -> None:
    chunks = []
    with httpx.stream(
        "GET", proxied.url("/v1/conversations/conv_sse/items"), headers=AUTH, timeout=30
    ) as r:
        for chunk in r.iter_raw():
            chunks.append(chunk)
    # the upstream pauses between its three events; a buffering proxy sends them as one
    assert len(chunks) >= 3, chunks
    assert b"".join(chunks).count(b"data: ") == 3
    # recorded whole once the writer flushed (bounded wait)
    import time

    deadline = time.monotonic() + 10
    body = b""
    while time.monotonic() < deadline:
        path = proxied.cassettes / "conv_sse.yaml"
        if path.exists():
            body = load_cassette(path)[0].response.body  # type: ignore[union-attr]
            break
        time.sleep(0.05)
    assert body.count(b"data: ") == 3


# --- bad requests --------------------------------------------------------------------

JSON = {"content-type": "application/json"}
VALID = json.dumps(
    {
        "items": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}
        ]
    }
).encode()

BAD_REQUESTS = [
    pytest.param(b"this is not json", JSON, "not_json", id="not-json"),
    pytest.param(VALID[:20], JSON, "not_json", id="truncated-json"),
    pytest.param(VALID, {"content-type": "text/plain"}, "content_type", id="wrong-content-type"),
    pytest.param(b'{"items": ["\xff\xfe"]}', JSON, "invalid_utf8", id="invalid-utf8"),
    pytest.param(
        b'{"items": [], "pad": "' + b"x" * (20 * 1024 * 1024) + b'"}',
        JSON,
        "unknown_field",
        id="20MB-body",
    ),
    pytest.param(
        gzip.compress(b"[1, 2"),
        {**JSON, "content-encoding": "gzip"},
        "not_json",
        id="gzip-truncated",
    ),
]


@pytest.mark.parametrize(("body", "headers", "rule"), BAD_REQUESTS)
def test_bad_request_is_a_finding_and_is_forwarded(
    proxied: Proxied,
    request: pytest.FixtureRequest,
    body: bytes,
    headers: dict[str, str],
    rule: str,
) -> None:
    conversation = "conv_req_" + request.node.callspec.id.replace("-", "_")
    r = httpx.post(
        proxied.url(f"/v1/conversations/{conversation}/items"),
        content=body,
        headers={**AUTH, **headers},
        timeout=60,
    )
    assert r.status_code == 200, "observe mode forwards invalid requests"
    found = proxied.findings(conversation)
    assert rule in rules(found, "request"), found


def test_every_cassette_written_during_bad_traffic_loads(proxied: Proxied) -> None:
    import time

    # The traffic this test checks is sent here too (again, when the tests above ran), so
    # that it holds when run alone or selected with -k.
    for conversation in ("big", "gzip", "sse", "wrongtype", "notjson", "truncated", "badutf8"):
        url = proxied.url(f"/v1/conversations/conv_{conversation}/items")
        httpx.get(url, headers=AUTH, timeout=60)
    url = proxied.url("/v1/conversations/conv_req_not_json/items")
    httpx.post(url, content=b"this is not json", headers={**AUTH, **JSON}, timeout=60)
    httpx.get(proxied.url("/v1/conversations/conv_flushed/items"), headers=AUTH, timeout=60)
    deadline = time.monotonic() + 10
    names: set[str] = set()
    while time.monotonic() < deadline and "conv_flushed.yaml" not in names:
        names = {p.name for p in cassette_files(proxied.cassettes)}
        time.sleep(0.05)
    for path in cassette_files(proxied.cassettes):
        load_cassette(path)
    assert {"conv_big.yaml", "conv_gzip.yaml", "conv_sse.yaml", "conv_wrongtype.yaml"} <= names
    # a body that claims JSON but is not cannot go into a cassette that must load: said so
    log = proxied.proxy.output()
    for conversation in ("conv_notjson", "conv_truncated", "conv_badutf8", "conv_req_not_json"):
        said = rf"could not record (GET|POST) \S*/conversations/{conversation}/items"
        assert re.search(said, log), conversation
        assert f"{conversation}.yaml" not in names


# --- mitmproxy's own log -----------------------------------------------------------------


def _send_raw(proxied: Proxied, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", proxied.proxy.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError):
            while chunk := sock.recv(65536):
                received += chunk
    return received


def test_mitmproxys_own_lines_about_bad_traffic_quote_no_secret(proxied: Proxied) -> None:
    """mitmproxy quotes what it could not parse; its lines print through the redaction."""
    key = "sk-proj-convitemsFAKElogline0000000000000"
    _send_raw(
        proxied, f"GET /v1/conversations/c/items?api_key={key} HTTP/1.1 extra\r\n\r\n".encode()
    )
    _send_raw(
        proxied,
        f"GET /v1/conversations/c/items HTTP/1.1\r\nHost: x\r\nAuthorization Bearer {key}\r\n\r\n".encode(),
    )
    r = httpx.get(proxied.url("/v1/conversations/conv_trailing/items"), headers=AUTH, timeout=30)
    assert r.status_code == 200
    import time

    deadline = time.monotonic() + 10
    log = ""
    wanted = ("Bad HTTP request line", "Invalid header line", "Unexpected data from server")
    while time.monotonic() < deadline and not all(w in log for w in wanted):
        time.sleep(0.05)
        log = proxied.proxy.output()
    assert all(w in log for w in wanted), log[-3000:]
    assert "FAKE" not in log, [line for line in log.splitlines() if "FAKE" in line]
    assert "?api_key=REDACTED" in log and "Bearer REDACTED" in log and "key=sk-REDACTED" in log


def test_an_event_stream_cut_mid_body_is_not_called_no_response(proxied: Proxied) -> None:
    """The client got the 200 and an event; the log said "no response"."""
    got = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "GET", proxied.url("/v1/conversations/conv_sse_cut/items"), headers=AUTH, timeout=30
        ) as r,
    ):
        assert r.status_code == 200
        for chunk in r.iter_raw():
            got += chunk
    assert got == b'data: {"n": 0}\n\n'
    import time

    said = "/conversations/conv_sse_cut/items: response 200 cut after 16 bytes ("
    deadline = time.monotonic() + 10
    while said not in proxied.proxy.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = proxied.proxy.output()
    assert said in log and "); nothing recorded" in log
    assert "conv_sse_cut/items: no response" not in log
