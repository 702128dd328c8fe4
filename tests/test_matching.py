import json
from pathlib import Path

from pytest_convitems.exchange import Exchange, Request, Response
from pytest_convitems.matching import ReplayIndex, request_key

BASE = "https://api.openai.com/v1/conversations/conv_1/items"


def _ex(method: str, url: str, body: object = None, answer: str = "ok") -> Exchange:
    raw = json.dumps(body).encode() if body is not None else b""
    return Exchange(Request(method, url, {}, raw), Response(200, "OK", {}, answer.encode()))


def test_host_key_order_whitespace_and_include_encoding_do_not_count() -> None:
    a = Request("POST", BASE + "?include%5B%5D=x&include%5B%5D=y", {}, b'{"a": 1, "b": [1, 2]}')
    b = Request(
        "post",
        "http://127.0.0.1:8080/v1/conversations/conv_1/items?include=x&include=y",
        {},
        b'{"b":[1,2],"a":1}',
    )
    assert request_key(a) == request_key(b)


def test_different_array_order_or_value_is_a_different_request() -> None:
    a = Request("POST", BASE, {}, b'{"items": [1, 2]}')
    b = Request("POST", BASE, {}, b'{"items": [2, 1]}')
    assert request_key(a) != request_key(b)


def test_the_order_of_include_values_does_not_count() -> None:
    """`include` is a set to the API, and vcrpy's query matcher sorts repeated values: a
    suite moving from pytest-recording must not miss on their order."""
    a = Request("GET", BASE + "?include=b.x&include=a.y&limit=2", {}, b"")
    b = Request("GET", BASE + "?limit=2&include[]=a.y&include[]=b.x", {}, b"")
    assert request_key(a) == request_key(b)
    c = Request("GET", BASE + "?include=a.y&limit=2", {}, b"")
    assert request_key(a) != request_key(c)


def test_repeated_identical_requests_replay_in_recorded_order_once_each() -> None:
    index = ReplayIndex([_ex("GET", BASE, answer="first"), _ex("GET", BASE, answer="second")])
    req = Request("GET", "http://localhost/v1/conversations/conv_1/items")
    first, second = index.take(req), index.take(req)
    assert first is not None and first.response is not None
    assert second is not None and second.response is not None
    assert (first.response.body, second.response.body) == (b"first", b"second")
    assert index.take(req) is None
    assert index.unused() == []
    mismatch = index.closest(req)
    assert mismatch is not None
    assert "already replayed" in mismatch.differences[0]


def test_the_closest_recording_is_the_same_endpoint_before_the_fewest_differences() -> None:
    conversations = "https://api.openai.com/v1/conversations"
    index = ReplayIndex(
        [
            _ex("GET", f"{conversations}/conv_A/items?limit=10"),  # list, another conversation
            _ex("GET", f"{conversations}/conv_B/items/msg_1"),  # retrieve, this conversation
        ]
    )
    mismatch = index.closest(Request("GET", f"{conversations}/conv_B/items"))
    assert mismatch is not None and mismatch.index == 0  # one difference fewer, not the call
    assert [d.split(":")[0] for d in mismatch.differences] == ["path", "query /limit"]


def test_closest_names_the_body_pointer_that_differs() -> None:
    recorded = {"items": [{"role": "user", "content": "hi"}]}
    sent = {"items": [{"role": "assistant", "content": "hi"}]}
    index = ReplayIndex([_ex("GET", BASE), _ex("POST", BASE, recorded)])
    req = Request("POST", BASE, {}, json.dumps(sent).encode())
    assert index.take(req) is None
    mismatch = index.closest(req)
    assert mismatch is not None and mismatch.index == 1
    assert mismatch.differences == ["body /items/0/role: recorded 'user', sent 'assistant'"]
    assert "interaction 1" in mismatch.describe()


def test_closest_reports_query_and_path_differences() -> None:
    index = ReplayIndex([_ex("GET", BASE + "?limit=10")])
    req = Request("GET", BASE.replace("conv_1", "conv_2") + "?limit=20")
    mismatch = index.closest(req)
    assert mismatch is not None
    assert mismatch.differences[0].startswith("path: recorded /v1/conversations/conv_1/items")
    assert "query /limit: recorded '10', sent '20'" in mismatch.differences


def test_empty_index_has_no_closest_and_unused_lists_unplayed() -> None:
    assert ReplayIndex([]).closest(Request("GET", BASE)) is None
    index = ReplayIndex([_ex("GET", BASE), _ex("DELETE", BASE + "/msg_1")])
    index.take(Request("GET", BASE))
    assert [e.request.method for e in index.unused()] == ["DELETE"]


def test_a_request_whose_secret_the_cassette_redacted_still_matches(tmp_path: Path) -> None:
    from pytest_convitems.cassette import load_cassette, write_cassette
    from pytest_convitems.matching import redacted_key
    from pytest_convitems.redact import DEFAULT_REDACTOR, RedactionRules, Redactor

    live = [
        Request("GET", BASE + "?limit=2&token=tok-live-0001", {}, b""),
        Request("POST", BASE, {}, b'{"items": [{"content": "sk-live0002AAAAAAAAAAAAAAAA"}]}'),
    ]
    path = tmp_path / "c.yaml"
    write_cassette(path, [Exchange(r, Response(200, "OK", {}, b"{}")) for r in live], cache=None)
    assert b"live000" not in path.read_bytes()
    recorded = load_cassette(path, cache=None)

    blind = ReplayIndex(recorded)
    assert [blind.take(r) for r in live] == [None, None]  # what replay did before
    index = ReplayIndex(recorded, key=redacted_key(DEFAULT_REDACTOR))
    assert [index.take(r) for r in live] == recorded
    # A miss is explained from the redacted view: no secret in the message.
    other = Request("POST", BASE, {}, b'{"items": [{"content": "sk-live0003BBBBBBBBBBBBBBBB"}]}')
    closest = index.closest(DEFAULT_REDACTOR.for_matching(other))
    assert closest is not None and "live0003" not in closest.describe()
    # Nothing to redact: the request itself, not a copy.
    plain = Request("GET", BASE + "?limit=2", {}, b"")
    assert DEFAULT_REDACTOR.for_matching(plain) is plain
    # User rules count as much as the defaults.
    user = Redactor(RedactionRules().extended(json_pointers=["/metadata/session"]))
    a = Request("POST", BASE, {}, b'{"metadata": {"session": "s-1"}}')
    b = Request("POST", BASE, {}, b'{"metadata": {"session": "s-2"}}')
    assert redacted_key(user)(a) == redacted_key(user)(b) != request_key(a)


def test_a_body_nested_past_pythons_recursion_limit_is_compared_as_bytes() -> None:
    deep = b'{"items": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}"
    index = ReplayIndex([_ex("POST", BASE)])
    req = Request("POST", BASE, {}, deep)
    assert index.take(req) is None
    mismatch = index.closest(req)
    assert mismatch is not None and mismatch.differences  # said, not a RecursionError
