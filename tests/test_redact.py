"""Redaction: a distinct secret in every place a secret goes, recorded, found nowhere on disk."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import openai
import pytest

from pytest_convitems.cassette import load_cassette, write_cassette
from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.redact import (
    DEFAULT_REDACTOR,
    SECRET_PATTERN,
    RedactionRules,
    Redactor,
)
from pytest_convitems.server import RunningServer
from tests.test_cassette import Recorder

# Each secret carries a marker no placeholder or other text contains.
SECRETS = {
    "api_key_sk": "sk-proj-AAAAmarker01AAAAAAAAAAAAAAAAAAAAAAAAAA",
    "organization": "org-marker02BBBBBBBB",
    "project": "proj_marker03CCCCCCCC",
    "api_key_header": "marker04DDDDDDDD",
    "cookie": "session=marker05EEEE",
    "proxy_auth": "Basic marker06FFFFFFFF",
    "set_cookie": "sid=marker07GGGG; HttpOnly",
    "query_api_key": "marker08HHHH",
    "query_key": "marker09IIII",
    "query_token": "marker10JJJJ",
    "header_token": "sk-marker11KKKKKKKKKKKKKKKKKK",
    "body_sk": "sk-marker12LLLLLLLLLLLLLLLLLL",
    "body_bearer": "Bearer marker13MMMMMMMMMM",
    "text_body": "sk-marker14NNNNNNNNNNNNNNNNNN",
    "path_sk": "sk-marker15OOOOOOOOOOOOOOOOOO",
    "user_header": "marker16PPPP",
    "user_query": "marker17QQQQ",
    "user_pointer": "marker18RRRR",
    "user_regex": "ghp_marker19SSSSSSSSSS",
}
MARKERS = [v.split("marker", 1)[1][:2] for v in SECRETS.values()]

USER_RULES = RedactionRules().extended(
    request_headers=["X-Custom-Secret"],
    query_params=["sig"],
    json_pointers=["/data/*/secret"],
    patterns=[r"ghp_[A-Za-z0-9]{10,}"],
)


def _all_bytes(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_no_planted_secret_reaches_disk(
    server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(cache))
    recorder = Recorder()
    client = openai.OpenAI(
        base_url=server.api_base,
        api_key=SECRETS["api_key_sk"],
        organization=SECRETS["organization"],
        project=SECRETS["project"],
        default_headers={
            "api-key": SECRETS["api_key_header"],
            "Cookie": SECRETS["cookie"],
            "Proxy-Authorization": SECRETS["proxy_auth"],
            "X-Debug-Token": SECRETS["header_token"],
            "X-Custom-Secret": SECRETS["user_header"],
        },
        http_client=httpx2.Client(event_hooks={"response": [recorder.hook]}),
        max_retries=0,
    )
    conv = client.conversations.create()
    text = f"my keys: {SECRETS['body_sk']} and {SECRETS['body_bearer']} and {SECRETS['user_regex']}"
    client.conversations.items.create(
        conv.id,
        items=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        ],
    )
    with pytest.raises(openai.APIStatusError):  # the server refuses unknown query parameters
        client.conversations.items.list(
            conv.id,
            extra_query={
                "api_key": SECRETS["query_api_key"],
                "key": SECRETS["query_key"],
                "token": SECRETS["query_token"],
                "sig": SECRETS["user_query"],
            },
        )
    recorded = recorder.exchanges
    # what the embedded server does not send: a cookie, a text body, a user-pointed field
    recorded.append(
        Exchange(
            Request("GET", f"http://127.0.0.1:9/v1/files/{SECRETS['path_sk']}", {}, b""),
            Response(
                200,
                "OK",
                {"Set-Cookie": [SECRETS["set_cookie"]], "Content-Type": ["text/plain"]},
                f"token={SECRETS['text_body']}\n".encode(),
            ),
        )
    )
    recorded.append(
        Exchange(
            Request("GET", "http://127.0.0.1:9/v1/x", {}, b""),
            Response(
                200,
                "OK",
                {"Content-Type": ["application/json"]},
                json.dumps({"data": [{"secret": SECRETS["user_pointer"], "id": 1}]}).encode(),
            ),
        )
    )
    everything = b"".join(
        repr(e).encode() for e in recorded
    )  # the secrets really were in the traffic
    for name, secret in SECRETS.items():
        if name not in ("set_cookie", "text_body", "path_sk", "user_pointer"):
            assert secret.split("marker")[1].encode() in everything, name

    path = tmp_path / "cassettes" / "secrets.yaml"
    write_cassette(path, recorded, redactor=Redactor(USER_RULES))
    load_cassette(path)
    on_disk = _all_bytes(tmp_path)
    assert cache.is_dir() and any(cache.iterdir())
    for name, secret in SECRETS.items():
        marker = "marker" + secret.split("marker", 1)[1][:2]
        assert marker.encode() not in on_disk, f"{name} leaked"
    text_on_disk = path.read_text()
    assert "Bearer REDACTED" in text_on_disk and "sk-REDACTED" in text_on_disk
    assert "api_key=REDACTED" in text_on_disk and "sig=REDACTED" in text_on_disk
    assert SECRET_PATTERN.search(text_on_disk) is None


def test_redaction_is_idempotent_and_keeps_shape() -> None:
    r = Redactor(USER_RULES)
    text = "Authorization: Bearer abc.def-ghi_123 and sk-proj-0123456789abcdefghij"
    once = r.text(text)
    assert once == "Authorization: Bearer REDACTED and sk-REDACTED"
    assert r.text(once) == once
    assert (
        r.uri("http://h/p?a=1&token=x%20y&key=k#frag")
        == "http://h/p?a=1&token=REDACTED&key=REDACTED#frag"
    )
    assert r.uri("http://h/p?KEY=1&keys=2") == "http://h/p?KEY=REDACTED&keys=2"


def test_header_placeholders_keep_the_scheme() -> None:
    e = Exchange(
        Request(
            "GET",
            "http://h/",
            {"authorization": ["Bearer short"], "Proxy-Authorization": ["Basic Zm9vOmJhcg=="]},
            b"",
        ),
        Response(200, "OK", {"set-cookie": ["a=1", "b=2"]}, b""),
    )
    r = DEFAULT_REDACTOR
    assert r.headers(e.request.headers, r.request_header_names) == {
        "authorization": ["Bearer REDACTED"],
        "Proxy-Authorization": ["Basic REDACTED"],
    }
    assert e.response is not None
    assert r.headers(e.response.headers, r.response_header_names) == {
        "set-cookie": ["REDACTED", "REDACTED"]
    }


def test_not_every_sk_is_a_secret() -> None:
    for harmless in ("task-0123456789abcdefghijkl", "sk-short", "risk-assessment-and-more-words"):
        assert DEFAULT_REDACTOR.text(harmless) == harmless


def test_json_pointer_wildcards_and_raw_bodies() -> None:
    r = Redactor(RedactionRules(json_pointers=("/a/*/b", "/c/1", "/missing/x")))
    body = json.dumps(
        {"a": [{"b": 1}, {"b": 2, "k": 3}], "c": ["x", "y"], "sk": "sk-0123456789abcdefghij"}
    )
    out = json.loads(r._body(body.encode()))
    assert out == {
        "a": [{"b": "REDACTED"}, {"b": "REDACTED", "k": 3}],
        "c": ["x", "REDACTED"],
        "sk": "sk-REDACTED",
    }
    # A body only a pointer changes (no token shape in it) is redacted too.
    assert json.loads(r._body(b'{"c": ["x", "y"]}')) == {"c": ["x", "REDACTED"]}


def test_bad_rules_are_reported() -> None:
    with pytest.raises(ValueError, match="does not compile"):
        Redactor(RedactionRules(patterns=("(",)))
    with pytest.raises(ValueError, match="must start with '/'"):
        Redactor(RedactionRules(json_pointers=("a/b",)))


def test_redaction_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", "off")
    e = Exchange(
        Request("GET", "http://h/?token=t", {"Authorization": ["Bearer keepme123456"]}, b""),
        Response(200, "OK", {}, b""),
    )
    write_cassette(tmp_path / "c.yaml", [e], redactor=None)
    assert "keepme123456" in (tmp_path / "c.yaml").read_text()


# --- what a tester found slipping past (each once a leak) ------------------------------

FAKE = "sk-proj-FAKEmarker20QQQQQQQQQQQQQQQQQQQQ"
OK = Response(204, "No Content", {}, b"")


def _stored(tmp_path: Path, exchange: Exchange) -> str:
    path = tmp_path / "c.yaml"
    write_cassette(path, [exchange])
    return path.read_text(encoding="utf-8")


def test_a_bearer_token_after_a_json_escape_is_redacted(tmp_path: Path) -> None:
    body = json.dumps({"items": [{"role": "user", "content": "token:\nBearer eyJmarker21RRRR"}]})
    request = Request("POST", "http://h/v1/conversations/c/items", {}, body.encode())
    stored = _stored(tmp_path, Exchange(request, OK))
    assert "marker21" not in stored
    assert SECRET_PATTERN.search(r'"x\nBearer eyJmarker21RRRR"') is not None  # validate too


def test_a_key_behind_unicode_escapes_is_redacted_for_matching_too() -> None:
    """Python's json.dumps writes `caf\\u00e9sk-...`; the cassette stores it decoded (and
    redacted), so replay must compare the decoded text, and a miss must not quote it."""
    body = json.dumps({"items": [{"role": "user", "content": f"caf\u00e9{FAKE} end"}]})
    request = Request("POST", "http://h/v1/conversations/c/items", {}, body.encode())
    seen = DEFAULT_REDACTOR.for_matching(request)
    assert b"marker20" not in seen.body
    assert json.loads(seen.body)["items"][0]["content"] == "caf\u00e9sk-REDACTED end"
    plain = Request("POST", request.url, {}, json.dumps({"a": "caf\u00e9"}).encode())
    assert DEFAULT_REDACTOR.for_matching(plain) is plain  # no secret: left as it was sent


def test_a_binary_body_is_redacted_byte_for_byte(tmp_path: Path) -> None:
    blob = b"\x00\xff" + FAKE.encode() + b"\xfe\x01"
    request = Request(
        "POST", "http://h/upload", {"Content-Type": ["application/octet-stream"]}, blob
    )
    (loaded,) = [e.request.body for e in _load_one(tmp_path, Exchange(request, OK))]
    assert loaded == b"\x00\xffsk-REDACTED\xfe\x01"


def _load_one(tmp_path: Path, exchange: Exchange) -> list[Exchange]:
    path = tmp_path / "b.yaml"
    write_cassette(path, [exchange])
    return load_cassette(path, cache=None)


def test_the_api_s_organization_and_project_response_headers_are_redacted(
    tmp_path: Path,
) -> None:
    """`convitems validate` calls them credentials; the recorder kept them on responses."""
    response = Response(
        200,
        "OK",
        {"openai-organization": ["org-marker22SSSS"], "openai-project": ["proj_marker23TTTT"]},
        b"",
    )
    stored = _stored(tmp_path, Exchange(Request("GET", "http://h/x", {}), response))
    assert "marker22" not in stored and "marker23" not in stored


def test_a_quoted_value_is_redacted_before_it_is_cut_short() -> None:
    from pytest_convitems.validation import validate_request

    role = "a" * 22 + " " + FAKE
    body = {"items": [{"role": role, "content": "x"}]}
    (finding,) = validate_request("create", body=json.dumps(body).encode())
    assert "sk-REDACTED" in finding.message and "FAKEmar" not in finding.message
    assert "sk-proj-" not in finding.message


def test_a_key_used_as_a_field_name_leaves_no_trace_in_findings_or_drift() -> None:
    from pytest_convitems.drift import compare_exchanges
    from pytest_convitems.validation import validate_request

    body = {"items": [{"role": "user", "content": "x", FAKE: 1}]}
    (finding,) = validate_request("create", body=json.dumps(body).encode())
    redacted = DEFAULT_REDACTOR.finding(finding)
    assert "marker20" not in redacted.pointer + redacted.message
    url = "http://h/v1/conversations/c/items"

    def listing(extra: dict[str, int]) -> Exchange:
        item = {"id": "m", "type": "message", "role": "user", "status": "completed", **extra}
        data = {"object": "list", "data": [item], "first_id": "m", "last_id": "m"}
        body = json.dumps({**data, "has_more": False}).encode()
        return Exchange(
            Request("GET", url, {}),
            Response(200, "OK", {"Content-Type": ["application/json"]}, body),
        )

    changes = compare_exchanges([listing({})], [listing({FAKE: 1})]).changes
    assert changes and all("marker20" not in json.dumps(c.to_dict()) for c in changes)


def test_rules_refuse_one_string_where_a_list_goes() -> None:
    """A str is an iterable of str: read as one-letter header names, it redacted nothing."""
    with pytest.raises(TypeError, match=r"request_headers takes a list.*\['X-Token'\]"):
        RedactionRules().extended(request_headers="X-Token")
    with pytest.raises(TypeError, match="patterns takes a list"):
        RedactionRules(patterns="acct_[0-9]+")  # type: ignore[arg-type]


def test_bearer_in_prose_is_not_a_token() -> None:
    """The API's own 401 says `Bearer YOUR_KEY`; conversations talk about Bearer auth."""
    for prose in ("Use Bearer authentication here", "Authorization: Bearer YOUR_KEY"):
        assert DEFAULT_REDACTOR.text(prose) == prose
        assert SECRET_PATTERN.search(prose) is None
    assert DEFAULT_REDACTOR.text("Bearer abcdefghijklmnopqrstuvwxyz") == "Bearer REDACTED"


def test_a_key_after_a_percent_escape_in_a_url_is_redacted() -> None:
    url = f"http://h/v1/conversations/c/items/Bearer%20{FAKE}"
    assert "marker20" not in DEFAULT_REDACTOR.uri(url)


def test_a_lone_surrogate_escape_in_a_json_body_is_matched_not_a_crash() -> None:
    """`"\\ud800"` is valid JSON that no UTF-8 can hold (a JavaScript client cut an emoji
    in two): matching a request with one, and a key beside it, must not fail the call."""
    body = b'{"items": [{"role": "user", "content": "\\ud800 sk-abcdefghijklmnopqrstuvwxyz"}]}'
    request = Request("POST", "http://h/v1/conversations/c/items", {}, body)
    redacted = DEFAULT_REDACTOR.for_matching(request).body
    assert b"abcdefghijklmnop" not in redacted
    assert json.loads(redacted)["items"][0]["content"].startswith("\ud800")


def test_a_zero_width_pattern_redacts_nothing_rather_than_everything() -> None:
    """`\\b` or a bare lookahead passes the empty-string check (not a full match of ""),
    and wrote REDACTED between words."""
    from pytest_convitems.redact import configured_redactor

    redactor = configured_redactor({"convitems_redact_patterns": [r"\b"]})
    assert redactor.text("my plain words") == "my plain words"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "text/json; charset=utf-8"],
    ids=["none", "text", "text-json"],
)
def test_pointer_rules_redact_json_not_labelled_json(
    tmp_path: Path, content_type: str | None
) -> None:
    # `requests.post(url, data=json.dumps(...))` sends no Content-Type: the secret the rule
    # names is in the body all the same, and replay matching already reads it as JSON.
    redactor = Redactor(RedactionRules(json_pointers=("/items/0/content",)))
    body = json.dumps({"items": [{"role": "user", "content": "password hunter2"}]}).encode()
    headers = {} if content_type is None else {"Content-Type": [content_type]}
    request = Request("POST", "http://h/v1/conversations/conv_1/items", headers, body)
    path = tmp_path / "c.yaml"
    write_cassette(path, [Exchange(request, Response(200, "OK", {}, b""))], redactor=redactor)
    assert b"hunter2" not in path.read_bytes()
    (stored,) = load_cassette(path)
    assert json.loads(stored.request.body) == {"items": [{"role": "user", "content": "REDACTED"}]}
    # and the live request still finds it
    assert json.loads(redactor.for_matching(request).body) == json.loads(stored.request.body)


def test_pointer_rules_leave_other_text_bodies_as_sent(tmp_path: Path) -> None:
    redactor = Redactor(RedactionRules(json_pointers=("/items/0/content",)))
    path = tmp_path / "c.yaml"
    for body in (b"not json at all", b'{"other": 1}', b'"a string"'):
        request = Request("POST", "http://h/x", {"Content-Type": ["text/plain"]}, body)
        write_cassette(path, [Exchange(request, Response(200, "OK", {}, b""))], redactor=redactor)
        assert load_cassette(path)[0].request.body == body


def test_a_json_body_behind_a_bom_not_labelled_json_is_redacted_and_still_matches(
    tmp_path: Path,
) -> None:
    # The writer stripped the BOM to apply the pointer rules; matching did not, and missed.
    from pytest_convitems.matching import request_key

    redactor = Redactor(RedactionRules(json_pointers=("/metadata/user",)))
    body = "\ufeff".encode() + b'{"metadata": {"user": "alice"}}'
    request = Request("POST", "http://h/v1/conversations", {"Content-Type": ["text/plain"]}, body)
    path = tmp_path / "c.yaml"
    write_cassette(path, [Exchange(request, Response(200, "OK", {}, b""))], redactor=redactor)
    assert b"alice" not in path.read_bytes()
    (stored,) = load_cassette(path)
    assert request_key(redactor.for_matching(request)) == request_key(stored.request)


@pytest.mark.parametrize("sep", ["%20", "+"])
def test_a_bearer_token_in_a_url_is_redacted_with_the_space_as_the_url_writes_it(
    sep: str,
) -> None:
    # `?after=Bearer%20abc...` reached cassettes, the proxy's log and reports: the pattern
    # wanted a literal space.
    url = f"http://h/v1/conversations/c/items?after=Bearer{sep}abcdefgh12345678&limit=2"
    for redacted in (DEFAULT_REDACTOR.uri(url), DEFAULT_REDACTOR.text(url)):
        assert "abcdefgh12345678" not in redacted
        assert f"after=Bearer{sep}REDACTED&limit=2" in redacted  # no space put in a URL
    assert DEFAULT_REDACTOR.text(f"Bearer{sep}REDACTED") == f"Bearer{sep}REDACTED"


def test_a_percent_escaped_base64_bearer_token_in_a_url_is_redacted_whole() -> None:
    for token in ("ab%2Bcdefghijk1234567890", "abcdefgh12%2Fxyzsecretpart%3D"):
        url = f"http://h/v1/conversations/c/items?after=Bearer%20{token}&limit=2"
        assert DEFAULT_REDACTOR.uri(url).endswith("?after=Bearer%20REDACTED&limit=2")
