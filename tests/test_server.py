"""The embedded server over raw HTTP: semantics, errors, bad input, concurrency, lifecycle."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_convitems.routes import match_route
from pytest_convitems.server import MAX_BODY_BYTES, RunningServer, running_server
from pytest_convitems.server_examples import example_item
from pytest_convitems.validation import validate_response
from tests.conftest import FAKE_API_KEY

AUTH = {"Authorization": f"Bearer {FAKE_API_KEY}"}


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api_base, headers=AUTH, timeout=30) as client:
        yield client


def _conversation(http: httpx.Client, **body: Any) -> str:
    r = http.post("/conversations", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def _add(http: httpx.Client, cid: str, *items: dict[str, Any]) -> list[dict[str, Any]]:
    r = http.post(f"/conversations/{cid}/items", json={"items": list(items)})
    assert r.status_code == 200, r.text
    assert validate_response("create", 200, r.content) == []
    data: list[dict[str, Any]] = r.json()["data"]
    return data


def _error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    route = match_route(r.request.method, r.request.url.path)
    if route is not None:  # items endpoints: the error body passes our models too
        assert validate_response(route.endpoint, status, r.content) == []
    error: dict[str, Any] = body["error"]
    return error


def _still_serving(http: httpx.Client) -> None:
    cid = _conversation(http)
    assert http.get(f"/conversations/{cid}/items").status_code == 200


# --- semantics ---------------------------------------------------------------------------


def test_easy_messages_become_list_content_with_ids_and_status(http: httpx.Client) -> None:
    cid = _conversation(http)
    user, assistant = _add(
        http,
        cid,
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    )
    assert user["id"].startswith("msg_") and user["status"] == "completed"
    assert user["content"] == [{"type": "input_text", "text": "hi"}]
    assert assistant["content"] == [{"type": "output_text", "text": "hello", "annotations": []}]
    fc, fco = _add(
        http,
        cid,
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "output": "ok"},
    )
    assert fc["id"].startswith("fc_") and fc["status"] == "completed"
    assert fco["id"].startswith("fco_") and fco["status"] == "completed"
    assert fco["call_id"] is None


def test_server_ids_replace_client_ids(http: httpx.Client) -> None:
    cid = _conversation(http)
    (item,) = _add(http, cid, example_item("reasoning"))
    assert item["id"].startswith("rs_") and item["id"] != "rs_1"


def test_the_same_routes_answer_under_any_prefix(server: RunningServer) -> None:
    for prefix in ("/v1", "/openai/v1", ""):
        with httpx.Client(base_url=server.base_url + prefix, headers=AUTH) as client:
            cid = _conversation(client)
            (item,) = _add(client, cid, {"role": "user", "content": "x"})
            r = client.get(f"/conversations/{cid}/items/{item['id']}")
            assert r.status_code == 200 and r.json()["id"] == item["id"]


def test_list_after_limit_order_and_envelope(http: httpx.Client) -> None:
    cid = _conversation(http)
    ids = [
        i["id"] for i in _add(http, cid, *({"role": "user", "content": str(n)} for n in range(5)))
    ]
    r = http.get(f"/conversations/{cid}/items", params={"limit": "2"})
    body = r.json()
    assert [i["id"] for i in body["data"]] == ids[::-1][:2]  # default order desc
    assert body["object"] == "list" and body["has_more"] is True
    assert body["first_id"] == ids[4] and body["last_id"] == ids[3]
    r = http.get(f"/conversations/{cid}/items", params={"after": ids[1], "order": "asc"})
    assert [i["id"] for i in r.json()["data"]] == ids[2:]
    assert r.json()["has_more"] is False
    r = http.get(f"/conversations/{cid}/items", params={"after": ids[1]})
    assert [i["id"] for i in r.json()["data"]] == [ids[0]]
    # a cursor at a deleted item still pages on from where it stood
    http.delete(f"/conversations/{cid}/items/{ids[2]}")
    r = http.get(f"/conversations/{cid}/items", params={"after": ids[2], "order": "asc"})
    assert [i["id"] for i in r.json()["data"]] == ids[3:]
    empty = http.get(f"/conversations/{_conversation(http)}/items").json()
    assert empty["data"] == [] and empty["has_more"] is False
    assert validate_response("list", 200, json.dumps(empty).encode()) == []


def test_include_in_brackets_or_repeated(http: httpx.Client) -> None:
    cid = _conversation(http)
    out = example_item("message.output")
    out["content"][0]["logprobs"] = [
        {"token": "It", "bytes": [73, 116], "logprob": -0.1, "top_logprobs": []}
    ]
    (msg,) = _add(http, cid, out)
    assert "logprobs" not in msg["content"][0]
    for key in ("include[]", "include"):
        r = http.get(
            f"/conversations/{cid}/items/{msg['id']}",
            params={key: "message.output_text.logprobs"},
        )
        assert r.json()["content"][0]["logprobs"][0]["token"] == "It"


def test_item_reference_copies_the_item_and_unknown_ids_are_404(http: httpx.Client) -> None:
    cid = _conversation(http)
    (original,) = _add(http, cid, {"role": "user", "content": "remember me"})
    (copy,) = _add(http, cid, {"id": original["id"]})
    assert copy["content"] == original["content"] and copy["id"] != original["id"]
    error = _error(
        http.post(f"/conversations/{cid}/items", json={"items": [{"id": "msg_nope"}]}), 404
    )
    assert error["param"] == "items[0].id" and "msg_nope" in error["message"]


def test_compaction_trigger_must_come_last(http: httpx.Client) -> None:
    cid = _conversation(http)
    (compaction,) = _add(http, cid, {"type": "compaction_trigger"})
    assert compaction["type"] == "compaction" and compaction["id"].startswith("cmp_")
    r = http.post(
        f"/conversations/{cid}/items",
        json={"items": [{"type": "compaction_trigger"}, {"role": "user", "content": "x"}]},
    )
    assert _error(r, 400)["param"] == "items[0].type"
    assert len(http.get(f"/conversations/{cid}/items").json()["data"]) == 1  # nothing half-added


def test_conversation_lifecycle(http: httpx.Client) -> None:
    r = http.post(
        "/conversations",
        json={"items": [{"role": "user", "content": "x"}], "metadata": {"k": "v"}},
    )
    conv = r.json()
    assert conv["object"] == "conversation" and conv["metadata"] == {"k": "v"}
    assert isinstance(conv["created_at"], int)
    cid = conv["id"]
    assert http.post(f"/conversations/{cid}", json={"metadata": {"k": "w"}}).json()["metadata"] == {
        "k": "w"
    }
    deleted = http.delete(f"/conversations/{cid}").json()
    assert deleted == {"id": cid, "object": "conversation.deleted", "deleted": True}
    _error(http.get(f"/conversations/{cid}"), 404)
    _error(http.get(f"/conversations/{cid}/items"), 404)


# --- errors ------------------------------------------------------------------------------


def test_invalid_body_names_the_field_like_openai(http: httpx.Client) -> None:
    cid = _conversation(http)
    items: list[dict[str, Any]] = [{"role": "user", "content": "ok"} for _ in range(3)]
    items.append({"role": "user", "content": [{"type": "input_txt", "text": "typo"}]})
    error = _error(http.post(f"/conversations/{cid}/items", json={"items": items}), 400)
    assert error["param"] == "items[3].content[0].type"
    assert error["type"] == "invalid_request_error"
    error = _error(
        http.post(
            f"/conversations/{cid}/items",
            json={"items": [{"role": "user", "content": "x"}] * 21},
        ),
        400,
    )
    assert error["param"] == "items" and error["code"] == "array_above_max_length"
    error = _error(http.post(f"/conversations/{cid}/items", json={"itemz": []}), 400)
    assert error["param"] in ("itemz", "items")
    assert http.get(f"/conversations/{cid}/items").json()["data"] == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "5.0"}, "limit"),  # Python's int() would fail on it after the check: a 500
        ({"limit": "1_0"}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"include[]": "everything"}, "include"),
    ],
)
def test_invalid_query_is_400_with_the_param(
    http: httpx.Client, params: dict[str, str], param: str
) -> None:
    cid = _conversation(http)
    assert _error(http.get(f"/conversations/{cid}/items", params=params), 400)["param"] == param


def test_unknown_conversation_item_and_cursor_are_404(http: httpx.Client) -> None:
    _error(http.get("/conversations/conv_missing/items"), 404)
    _error(
        http.post(
            "/conversations/conv_missing/items", json={"items": [{"role": "user", "content": "x"}]}
        ),
        404,
    )
    cid = _conversation(http)
    _error(http.get(f"/conversations/{cid}/items/msg_missing"), 404)
    _error(http.delete(f"/conversations/{cid}/items/msg_missing"), 404)
    assert (
        _error(http.get(f"/conversations/{cid}/items", params={"after": "msg_x"}), 404)["param"]
        == "after"
    )
    other = _conversation(http)
    (item,) = _add(http, other, {"role": "user", "content": "x"})
    _error(http.get(f"/conversations/{cid}/items/{item['id']}"), 404)  # wrong conversation


def test_missing_or_malformed_authorization_is_401(server: RunningServer) -> None:
    url = f"{server.api_base}/conversations"
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        error = _error(httpx.post(url, json={}, headers=headers), 401)
        assert error["code"] == "invalid_api_key"
    assert httpx.post(url, json={}, headers=AUTH).status_code == 200


def test_malformed_json_is_400_and_the_server_stays_up(http: httpx.Client) -> None:
    cid = _conversation(http)
    r = http.post(
        f"/conversations/{cid}/items",
        content=b'{"items": [',
        headers={"Content-Type": "application/json"},
    )
    assert _error(r, 400)["code"] == "invalid_json"
    r = http.post(
        f"/conversations/{cid}/items",
        content=b"\xff\xfe not utf-8",
        headers={"Content-Type": "application/json"},
    )
    _error(r, 400)
    r = http.post(f"/conversations/{cid}/items", json=[1, 2])
    _error(r, 400)
    _still_serving(http)


@pytest.mark.parametrize("items", [{}, 0, False, ""])
def test_conversation_create_refuses_items_that_are_not_a_list(
    http: httpx.Client, items: Any
) -> None:
    error = _error(http.post("/conversations", json={"items": items}), 400)
    assert (error["param"], error["code"]) == ("items", "invalid_type")
    assert http.post("/conversations", json={"items": None}).status_code == 200
    assert http.post("/conversations", json={"items": []}).status_code == 200


def test_function_output_content_is_answered_in_the_output_shape(http: httpx.Client) -> None:
    """Input allows an image without `detail` and nulls nearly anywhere in function output
    content; the output side requires the detail and takes few nulls (`_add` validates)."""
    cid = _conversation(http)
    parts = [
        {"type": "input_text", "text": "21C", "prompt_cache_breakpoint": None},
        {"type": "input_image", "image_url": "https://example.com/c.png"},
        {"type": "input_image", "file_id": "file_1", "detail": None},
        {"type": "input_file", "file_id": "file_2", "filename": None, "file_url": None},
    ]
    item = {"type": "function_call_output", "call_id": "call_1", "output": parts}
    (out,) = _add(http, cid, item)
    assert [p.get("detail") for p in out["output"]] == [None, "auto", "auto", None]
    assert out["output"][3] == {"type": "input_file", "file_id": "file_2"}


def test_nan_and_infinity_are_not_json_and_change_nothing(http: httpx.Client) -> None:
    """Python's json reads them; stored, every later answer of the conversation was a 500."""
    cid = _conversation(http)
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        r = http.post(
            f"/conversations/{cid}/items",
            content=b'{"items": [{"type": "tool_search_call", "arguments": {"q": %s}}]}' % constant,
            headers={"Content-Type": "application/json"},
        )
        assert _error(r, 400)["code"] == "invalid_json"
        assert constant.decode().lstrip("-") in r.json()["error"]["message"]
    assert http.get(f"/conversations/{cid}/items").json()["data"] == []
    text = {"items": [{"role": "user", "content": "NaN and Infinity, as text"}]}
    assert http.post(f"/conversations/{cid}/items", json=text).status_code == 200


def test_wrong_content_type_is_415(http: httpx.Client) -> None:
    cid = _conversation(http)
    r = http.post(
        f"/conversations/{cid}/items",
        content=b'{"items": [{"role": "user", "content": "x"}]}',
        headers={"Content-Type": "text/plain"},
    )
    assert _error(r, 415)["code"] == "unsupported_media_type"
    r = http.post(f"/conversations/{cid}/items", data={"items": "x"})  # form-encoded
    _error(r, 415)
    _still_serving(http)


def test_a_10_mb_body_is_413(http: httpx.Client) -> None:
    cid = _conversation(http)
    text = "x" * (10 * 1024 * 1024)
    body = json.dumps({"items": [{"role": "user", "content": text}]}).encode()
    assert len(body) > MAX_BODY_BYTES
    r = http.post(
        f"/conversations/{cid}/items", content=body, headers={"Content-Type": "application/json"}
    )
    assert _error(r, 413)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    r = http.post(
        f"/conversations/{cid}/items",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    _error(r, 413)
    assert http.get(f"/conversations/{cid}/items").json()["data"] == []
    _still_serving(http)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/conversations/c/items/i/extra", 404),
        ("PUT", "/conversations/{cid}/items", 405),
        ("PATCH", "/conversations/{cid}/items/msg_x", 405),
        ("PUT", "/conversations/{cid}", 405),
        ("GET", "/conversations", 405),
    ],
)
def test_unknown_path_or_method(http: httpx.Client, method: str, path: str, status: int) -> None:
    cid = _conversation(http)
    r = http.request(method, path.format(cid=cid))
    _error(r, status)
    if status == 405:
        assert r.headers["allow"]
    _still_serving(http)


# --- concurrency -------------------------------------------------------------------------


def test_20_concurrent_clients_x_50_mixed_calls(server: RunningServer) -> None:
    clients, calls = 20, 50
    with httpx.Client(base_url=server.api_base, headers=AUTH) as setup:
        cid = _conversation(setup)
    created: list[list[str]] = [[] for _ in range(clients)]
    deleted: list[set[str]] = [set() for _ in range(clients)]
    failures: list[str] = []

    def work(n: int) -> None:
        with httpx.Client(base_url=server.api_base, headers=AUTH, timeout=30) as c:
            for k in range(calls):
                step = k % 5
                if step in (0, 1):
                    items = [{"role": "user", "content": f"t{n}-{k}-{j}"} for j in range(1 + k % 3)]
                    r = c.post(f"/conversations/{cid}/items", json={"items": items})
                    data = r.json()["data"]
                    if [d["content"][0]["text"] for d in data] != [i["content"] for i in items]:
                        failures.append(f"client {n}: create answered {data}")
                    created[n] += [d["id"] for d in data]
                elif step == 2:
                    page = c.get(f"/conversations/{cid}/items", params={"limit": 100}).json()
                    ids = [d["id"] for d in page["data"]]
                    if len(ids) != len(set(ids)):
                        failures.append(f"client {n}: duplicate ids in a list")
                    mine = [i for i in ids if i in set(created[n]) - deleted[n]]
                    expected = [i for i in created[n][::-1] if i not in deleted[n]]
                    if mine != [i for i in expected if i in set(mine)]:
                        failures.append(f"client {n}: own items out of order")
                elif step == 3:
                    victim = created[n][0] if created[n][0] not in deleted[n] else None
                    if victim is not None:
                        r = c.delete(f"/conversations/{cid}/items/{victim}")
                        if r.status_code != 200:
                            failures.append(f"client {n}: delete {victim}: {r.status_code}")
                        deleted[n].add(victim)
                else:
                    live = [i for i in created[n] if i not in deleted[n]]
                    r = c.get(f"/conversations/{cid}/items/{live[-1]}")
                    if r.status_code != 200 or r.json()["id"] != live[-1]:
                        failures.append(f"client {n}: retrieve {live[-1]}: {r.status_code}")

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client did not finish in 120 s"
    assert failures == []

    with httpx.Client(base_url=server.api_base, headers=AUTH) as c:
        everything: list[str] = []
        after: str | None = None
        for _ in range(100):  # bounded paging
            params: dict[str, Any] = {"limit": 100, "order": "asc"}
            if after:
                params["after"] = after
            page = c.get(f"/conversations/{cid}/items", params=params).json()
            everything += [d["id"] for d in page["data"]]
            if not page["has_more"]:
                break
            after = page["last_id"]
    expected = {i for n in range(clients) for i in created[n] if i not in deleted[n]}
    assert len(everything) == len(set(everything))  # nothing duplicated
    assert set(everything) == expected  # nothing lost, nothing resurrected
    position = {item_id: p for p, item_id in enumerate(everything)}
    for n in range(clients):  # each client's items kept in its creation order
        live = [i for i in created[n] if i not in deleted[n]]
        assert [position[i] for i in live] == sorted(position[i] for i in live)


# --- lifecycle ---------------------------------------------------------------------------


def test_running_server_gives_urls_and_frees_its_port() -> None:
    with running_server() as a, running_server(profile="seed") as b:
        assert a.port != b.port and b.profile == "seed"
        assert a.base_url == f"http://127.0.0.1:{a.port}" and a.api_base == a.base_url + "/v1"
        port = a.port
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(2)
        probe.connect(("127.0.0.1", port))


def test_a_bug_of_ours_is_a_500_in_the_api_shape_and_the_app_keeps_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from starlette.testclient import TestClient

    from pytest_convitems.server import build_app

    app = build_app()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(app.state.api.store, "get_conversation", broken)
    with TestClient(app, headers=AUTH) as client:
        cid = client.post("/v1/conversations", json={}).json()["id"]
        r = client.get(f"/v1/conversations/{cid}")
        assert _error(r, 500)["message"]  # type: ignore[arg-type]  # TestClient speaks httpx2
        assert r.json()["error"]["type"] == "server_error"
        assert client.get(f"/v1/conversations/{cid}/items").status_code == 200


def test_invalid_conversation_bodies_are_400_with_the_param(http: httpx.Client) -> None:
    too_many = {f"k{n}": "v" for n in range(17)}
    error = _error(http.post("/conversations", json={"metadata": too_many}), 400)
    assert error["param"] == "metadata"
    error = _error(http.post("/conversations", json={"metadatum": {}}), 400)
    assert error["param"] == "metadatum" and error["code"] == "unknown_parameter"
    error = _error(
        http.post("/conversations", json={"items": [{"role": "user", "content": 5}]}), 400
    )
    assert error["param"] is not None and error["param"].startswith("items[0].content")
    cid = _conversation(http)
    error = _error(http.post(f"/conversations/{cid}", json={}), 400)
    assert error["param"] == "metadata" and error["code"] == "missing_required_parameter"
    error = _error(http.post(f"/conversations/{cid}", json={"metadata": {"k": 1}}), 400)
    assert error["param"] == "metadata.k"


def test_an_empty_batch_of_items_is_answered_with_an_empty_list(http: httpx.Client) -> None:
    # The OpenAPI document sets no minItems on the create body (reference §1).
    response = http.post(f"/conversations/{_conversation(http)}/items", json={"items": []})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []
    assert validate_response("create", 200, response.content) == []


def test_a_body_nested_past_pythons_reach_is_refused_not_a_500(http: httpx.Client) -> None:
    nested = "[" * 50_000 + "]" * 50_000
    body = f'{{"items": [{{"type": "tool_search_call", "arguments": {{"a": {nested}}}}}]}}'
    response = http.post(
        f"/conversations/{_conversation(http)}/items",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert "nests too deeply" in response.json()["error"]["message"]
