"""The proxy end to end: a real mitmdump, the embedded API as upstream, the real openai client.

One module-scoped recording feeds the replay tests (plain vcrpy, the proxy's replay mode
with the upstream gone, curl through `convitems proxy`, the openai Node SDK).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
import uvicorn

from proxy_addon.harness import running_convitems_proxy, running_mitmdump
from proxy_addon.naming import cassette_files
from pytest_convitems.cassette import load_cassette
from pytest_convitems.server import build_app
from tests.conftest import FAKE_API_KEY

NODE_DIR = Path(__file__).parent / "node"


# --- an upstream that counts what reaches it -------------------------------------------


@dataclass
class CountingUpstream:
    """The embedded API (`build_app`), served by uvicorn, remembering every request path."""

    port: int
    seen: list[tuple[str, str]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url + "/v1", api_key=FAKE_API_KEY, max_retries=0)


@pytest.fixture(scope="module")
def upstream() -> Iterator[CountingUpstream]:
    app = build_app("current")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    counting = CountingUpstream(sock.getsockname()[1])

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            counting.seen.append((scope["method"], scope["path"]))
        await app(scope, receive, send)

    server = uvicorn.Server(uvicorn.Config(counted, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the embedded API did not start"
    try:
        yield counting
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def dead_url() -> str:
    """A loopback URL nothing listens on: a replaying proxy must never need it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def client_for(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key=FAKE_API_KEY, max_retries=0)


def message(role: str, text: str) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}


def run_session(client: openai.OpenAI) -> dict[str, Any]:
    """The session tests/node/replay.mjs replays: same calls, same bodies, same order."""
    headers: list[str | None] = []
    conv = client.conversations.create(items=[message("user", "hello from the session")])  # type: ignore[list-item]
    raw = client.conversations.items.with_raw_response.create(
        conv.id,
        items=[message("user", "first question"), message("assistant", "first answer")],  # type: ignore[list-item]
    )
    headers.append(raw.headers.get("x-convitems-findings"))
    created = raw.parse()
    raw_list = client.conversations.items.with_raw_response.list(conv.id, limit=10, order="asc")
    headers.append(raw_list.headers.get("x-convitems-findings"))
    listed = raw_list.parse()
    first = created.data[0].id
    item = client.conversations.items.retrieve(first, conversation_id=conv.id)
    after = client.conversations.items.delete(first, conversation_id=conv.id)
    return {
        "conversation": conv.id,
        "created": [i.id for i in created.data],
        "listed": [i.id for i in listed.data],
        "retrieved": item.id,
        "deleted_from": after.id,
        "findings_headers": headers,
    }


@dataclass
class Recorded:
    cassette_dir: Path
    report: Path
    result: dict[str, Any]
    log: str


@pytest.fixture(scope="module")
def recorded(upstream: CountingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    root = tmp_path_factory.mktemp("recorded")
    cassettes, report = root / "cassettes", root / "findings.jsonl"
    options = {
        "convitems_mode": "record",
        "convitems_cassette_dir": str(cassettes),
        "convitems_report": str(report),
    }
    with running_mitmdump(upstream.base_url, root, options=options, name="record") as proxy:
        result = run_session(client_for(proxy.base_url))
        # SIGTERM: mitmdump runs the addon's done(), which flushes the cassettes
        proxy.stop()
    return Recorded(cassettes, report, result, proxy.output())


def session_without_headers(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "findings_headers"}


# --- recording a valid session -------------------------------------------------------


def test_valid_session_has_no_findings(recorded: Recorded) -> None:
    assert recorded.report.read_text() == ""
    assert recorded.result["findings_headers"] == ["0", "0"]
    assert "convitems: error" not in recorded.log


def test_one_cassette_per_conversation_with_the_create_call(recorded: Recorded) -> None:
    files = cassette_files(recorded.cassette_dir)
    assert [f.name for f in files] == [recorded.result["conversation"] + ".yaml"]
    exchanges = load_cassette(files[0])
    assert [(e.request.method, e.request.path.rsplit("/v1", 1)[1]) for e in exchanges] == [
        ("POST", "/conversations"),
        ("POST", f"/conversations/{recorded.result['conversation']}/items"),
        ("GET", f"/conversations/{recorded.result['conversation']}/items"),
        (
            "GET",
            f"/conversations/{recorded.result['conversation']}/items/{recorded.result['created'][0]}",
        ),
        (
            "DELETE",
            f"/conversations/{recorded.result['conversation']}/items/{recorded.result['created'][0]}",
        ),
    ]
    text = files[0].read_text()
    assert FAKE_API_KEY not in text, "the API key reached the cassette"


def test_cassette_stores_the_upstream_url(recorded: Recorded, upstream: CountingUpstream) -> None:
    exchanges = load_cassette(cassette_files(recorded.cassette_dir)[0])
    assert all(e.request.url.startswith(upstream.base_url + "/v1/") for e in exchanges)


def test_plain_vcrpy_replays_the_cassette(recorded: Recorded, upstream: CountingUpstream) -> None:
    import vcr

    path = cassette_files(recorded.cassette_dir)[0]
    before = len(upstream.seen)
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        replayed = run_session(upstream.client())
        assert cassette.all_played
    assert len(upstream.seen) == before, "vcrpy let a request through to the upstream"
    assert session_without_headers(replayed) == session_without_headers(recorded.result)


# --- replaying through the proxy -----------------------------------------------------


def test_replay_mode_serves_the_session_with_no_upstream(
    recorded: Recorded, upstream: CountingUpstream, tmp_path: Path
) -> None:
    options = {"convitems_mode": "replay", "convitems_cassette_dir": str(recorded.cassette_dir)}
    before = len(upstream.seen)
    with running_mitmdump(dead_url(), tmp_path, options=options, name="replay") as proxy:
        replayed = run_session(client_for(proxy.base_url))
        # nothing is left to replay: the next identical call names what it matched last
        with pytest.raises(openai.NotFoundError) as excinfo:
            client_for(proxy.base_url).conversations.create(
                items=[message("user", "hello from the session")]
            )  # type: ignore[list-item]
        # a client suite run again: rewound, the proxy replays the whole session anew
        rewound = httpx2.post(f"{proxy.base_url}/__convitems/rewind", timeout=10)
        assert rewound.status_code == 200, rewound.text
        again = run_session(client_for(proxy.base_url))
    assert session_without_headers(replayed) == session_without_headers(recorded.result)
    assert session_without_headers(again) == session_without_headers(recorded.result)
    assert replayed["findings_headers"] == ["0", "0"]
    assert len(upstream.seen) == before, "replay reached the upstream API"
    error = excinfo.value.body
    assert isinstance(error, dict)
    assert error["code"] == "convitems_replay_miss"
    assert "already replayed" in error["message"]
    assert "rewind the replay first" in error["message"]


def test_replay_miss_names_the_closest_request_and_the_difference(
    recorded: Recorded, tmp_path: Path
) -> None:
    options = {"convitems_mode": "replay", "convitems_cassette_dir": str(recorded.cassette_dir)}
    conv = recorded.result["conversation"]
    with running_mitmdump(dead_url(), tmp_path, options=options, name="replay-miss") as proxy:
        client = client_for(proxy.base_url)
        with pytest.raises(openai.NotFoundError) as excinfo:
            client.conversations.items.list(conv, limit=11, order="asc")
    message_text = excinfo.value.body["message"]  # type: ignore[index]
    assert f"/v1/conversations/{conv}/items" in message_text
    assert "query /limit: recorded '10', sent '11'" in message_text
    assert excinfo.value.response.headers["x-convitems-replay"] == "miss"


def test_convitems_proxy_redaction_flags_reach_the_writer_process_and_replay(
    upstream: CountingUpstream, tmp_path: Path
) -> None:
    cassettes = tmp_path / "cassettes"
    rules = ["--redact-header", "X-Internal-Token", "--redact-json", "/metadata/session"]
    args = ["--mode", "record", "--cassette-dir", str(cassettes), *rules]

    def create(client: openai.OpenAI) -> str:
        return client.conversations.create(
            metadata={"session": "session-planted-1"},
            extra_headers={"X-Internal-Token": "tok-planted-2"},
        ).id

    with running_convitems_proxy(
        [*args, "--upstream", upstream.base_url], tmp_path, name="redact"
    ) as proxy:
        conv = create(client_for(proxy.base_url))
        proxy.stop()  # the child writer flushes on done()
    stored = (cassettes / f"{conv}.yaml").read_text()
    assert "planted" not in stored and '"session": "REDACTED"' in stored

    args[1] = "replay"
    with running_convitems_proxy(
        [*args, "--upstream", dead_url()], tmp_path, name="redact-replay"
    ) as proxy:
        assert create(client_for(proxy.base_url)) == conv  # matched despite the secret


def three_conversations(client: openai.OpenAI) -> list[str]:
    """The tester's session: three `conversations.create()` (each the same request, `POST
    /v1/conversations {}`), then "message N" into the Nth."""
    ids = [client.conversations.create().id for _ in range(3)]
    for n, conv in enumerate(ids, 1):
        client.conversations.items.create(conv, items=[message("user", f"message {n}")])  # type: ignore[list-item]
    return ids


def test_identical_creates_replay_in_the_order_recorded_not_by_file_name(
    upstream: CountingUpstream, tmp_path: Path
) -> None:
    """One cassette per conversation, named by its random id: replay served the three
    creates in the order of their ids, and "message 1" went to the wrong conversation."""
    for attempt in range(10):
        # until the ids do not sort as created (5 runs in 6 at once): sorted, a replay in
        # file-name order would pass too
        cassettes = tmp_path / f"cassettes-{attempt}"
        args = ["--mode", "record", "--cassette-dir", str(cassettes)]
        with running_convitems_proxy(
            [*args, "--upstream", upstream.base_url], tmp_path, name=f"order-record-{attempt}"
        ) as proxy:
            ids = three_conversations(client_for(proxy.base_url))
            proxy.stop()  # the child writer flushes on done()
        if ids != sorted(ids):
            break
    assert ids != sorted(ids)
    assert [p.name for p in cassette_files(cassettes)] == [f"{i}.yaml" for i in sorted(ids)]
    assert "recorded_at" in (cassettes / f"{ids[0]}.yaml").read_text()

    args[1] = "replay"
    with running_convitems_proxy(
        [*args, "--upstream", dead_url()], tmp_path, name="order-replay"
    ) as proxy:
        replayed = three_conversations(client_for(proxy.base_url))  # a miss raises a 404
    assert replayed == ids


def test_curl_replays_through_convitems_proxy(recorded: Recorded, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    conv = recorded.result["conversation"]
    args = [
        "--mode",
        "replay",
        "--upstream",
        dead_url(),
        "--cassette-dir",
        str(recorded.cassette_dir),
    ]
    with running_convitems_proxy(args, tmp_path, name="cli-replay") as proxy:
        # the recorded create first: replay plays each conversation's calls in order
        body = json.dumps({"items": [message("user", "hello from the session")]})
        created = subprocess.run(
            [curl, "-sS", "--max-time", "10", "-H", "Authorization: Bearer sk-fake",
             "-H", "content-type: application/json", "-d", body,
             f"{proxy.base_url}/v1/conversations"],
            capture_output=True, check=True, timeout=20,
        )  # fmt: skip
        listed = subprocess.run(
            [curl, "-sS", "--max-time", "10", "-i", "-H", "Authorization: Bearer sk-fake",
             f"{proxy.base_url}/v1/conversations/{conv}/items?order=asc&limit=10"],
            capture_output=True, check=True, timeout=20,
        )  # fmt: skip
    assert json.loads(created.stdout)["id"] == conv
    head, _, payload = listed.stdout.decode().partition("\r\n\r\n")
    assert "x-convitems-replay: hit" in head.lower()
    assert [i["id"] for i in json.loads(payload)["data"]] == recorded.result["listed"]


def node_skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed: install Node.js >= 18 to run the Node SDK replay"
    if not (NODE_DIR / "node_modules" / "openai").is_dir():
        return (
            "the openai Node SDK is missing: run `cd tests/node && npm install` (./dev setup does)"
        )
    return None


def test_openai_node_sdk_replays_through_the_proxy(recorded: Recorded, tmp_path: Path) -> None:
    reason = node_skip_reason()
    if reason is not None:
        pytest.skip(reason)
    node = shutil.which("node")
    assert node is not None
    options = {"convitems_mode": "replay", "convitems_cassette_dir": str(recorded.cassette_dir)}
    with running_mitmdump(dead_url(), tmp_path, options=options, name="replay-node") as proxy:
        done = subprocess.run(
            [node, str(NODE_DIR / "replay.mjs"), proxy.base_url + "/v1"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=NODE_DIR,
            env={**os.environ, "OPENAI_LOG": "off"},
        )
        log = proxy.output()
    assert done.returncode == 0, f"{done.stderr}\n--- proxy log ---\n{log[-3000:]}"
    assert json.loads(done.stdout) == session_without_headers(recorded.result)


# --- invalid requests: observed, then blocked -----------------------------------------


def read_report(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


INVALID = [
    pytest.param([message("wizard", "hi")], "/items/0/role", "items[0].role", id="bad-role"),
    pytest.param([message("user", f"m{i}") for i in range(21)], "/items", "items", id="21-items"),
]


@pytest.mark.parametrize(("items", "pointer", "param"), INVALID)
def test_observe_reports_an_invalid_create_at_its_pointer(
    upstream: CountingUpstream,
    tmp_path: Path,
    items: list[dict[str, Any]],
    pointer: str,
    param: str,
) -> None:
    conv = upstream.client().conversations.create()
    report = tmp_path / "findings.jsonl"
    options = {"convitems_mode": "observe", "convitems_report": str(report)}
    with running_mitmdump(upstream.base_url, tmp_path, options=options, name="observe") as proxy:
        before = len(upstream.seen)
        with pytest.raises(openai.BadRequestError) as excinfo:  # the API itself refuses it
            client_for(proxy.base_url).conversations.items.create(conv.id, items=items)  # type: ignore[arg-type]
        proxy.stop()
    assert len(upstream.seen) == before + 1, "observe mode must forward the request"
    assert "x-convitems-blocked" not in excinfo.value.response.headers
    found = read_report(report)
    assert [(f["direction"], f["pointer"]) for f in found if f["severity"] == "error"] == [
        ("request", pointer)
    ]
    assert found[0]["source"]["method"] == "POST"
    line = f"convitems: error POST /v1/conversations/{conv.id}/items request body:{pointer} "
    assert line in proxy.output()


@pytest.mark.parametrize(("items", "pointer", "param"), INVALID)
def test_block_refuses_an_invalid_create_before_the_upstream(
    upstream: CountingUpstream,
    tmp_path: Path,
    items: list[dict[str, Any]],
    pointer: str,
    param: str,
) -> None:
    conv = upstream.client().conversations.create()
    options = {"convitems_mode": "observe", "convitems_block_invalid": "true"}
    with running_mitmdump(upstream.base_url, tmp_path, options=options, name="block") as proxy:
        before = list(upstream.seen)
        client = client_for(proxy.base_url)
        with pytest.raises(openai.BadRequestError) as excinfo:
            client.conversations.items.create(conv.id, items=items)  # type: ignore[arg-type]
        assert upstream.seen == before, "a blocked request reached the upstream"
        # a valid request still goes through
        ok = client.conversations.items.create(conv.id, items=[message("user", "fine")])  # type: ignore[list-item]
    assert excinfo.value.status_code == 400
    assert excinfo.value.response.headers["x-convitems-blocked"] == "true"
    body = excinfo.value.body
    assert isinstance(body, dict)
    assert body["param"] == param
    assert body["type"] == "invalid_request_error"
    assert len(ok.data) == 1
    assert len(upstream.seen) == len(before) + 1


def test_regular_forward_mode_validates_a_client_configured_with_a_proxy(
    upstream: CountingUpstream, tmp_path: Path
) -> None:
    """Regular (forward) mode, for a client that keeps its base URL and is given a proxy.
    Plain HTTP to a loopback upstream, so no CA to trust; HTTPS adds only mitmproxy's CA."""
    conv = upstream.client().conversations.create()
    report = tmp_path / "findings.jsonl"
    options = {"convitems_mode": "observe", "convitems_report": str(report)}
    with running_mitmdump(None, tmp_path, options=options, name="forward") as proxy:
        http_client = openai.DefaultHttpxClient(proxy=proxy.base_url)
        client = openai.OpenAI(
            base_url=upstream.base_url + "/v1",
            api_key=FAKE_API_KEY,
            max_retries=0,
            http_client=http_client,
        )
        before = len(upstream.seen)
        raw = client.conversations.items.with_raw_response.list(conv.id)
        with pytest.raises(openai.BadRequestError):
            client.conversations.items.create(conv.id, items=[message("wizard", "hi")])  # type: ignore[list-item]
        http_client.close()
        proxy.stop()
    assert raw.headers["x-convitems-findings"] == "0", "the proxy saw the call"
    assert len(upstream.seen) == before + 2
    found = read_report(report)
    assert [(f["direction"], f["pointer"]) for f in found] == [("request", "/items/0/role")]
    assert found[0]["source"]["url"] == f"{upstream.base_url}/v1/conversations/{conv.id}/items"


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        (
            "convitems_block_invalid=yes",
            "convitems: Failed to parse option convitems_block_invalid",
        ),
        ("convitems_flush_every=abc", "convitems: Failed to parse option convitems_flush_every"),
        ("convitems_mdoe=record", "convitems: no option convitems_mdoe; the options are"),
    ],
)
def test_a_mistyped_set_value_stops_mitmdump_naming_the_option(setting: str, says: str) -> None:
    """mitmproxy reads `--set` values for a script's options once the script has loaded,
    and one it cannot parse dropped the whole addon without a word: the proxy then ran
    unvalidated and unrecorded."""
    from proxy_addon.harness import mitmdump_path
    from proxy_addon.launch import ADDON_PATH

    done = subprocess.run(
        [
            mitmdump_path(),
            "-s",
            str(ADDON_PATH),
            "--mode",
            "reverse:http://127.0.0.1:9",
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            "0",
            "--set",
            setting,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert says in done.stdout + done.stderr
