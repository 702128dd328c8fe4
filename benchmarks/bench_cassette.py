"""Cassette load and write: ours against plain vcrpy, side by side, on one cassette.

    .venv/bin/python benchmarks/bench_cassette.py [--interactions 1000] [--repeat 5]

Builds a ~3 MB, 1,000-interaction cassette of realistic items traffic (create, list,
retrieve, delete; JSON bodies), then times, best of `--repeat`:
- load: vcrpy (`FilesystemPersister.load_cassette`, libyaml) vs our `load_cassette`,
  cold (cache emptied before each run: parse YAML + fill the cache) and warm (cache hit:
  read + sha256 + JSON decode). The 0.3x target refers to the warm figure, the normal
  case: our writer fills the cache, so the first load after a record is already warm.
- write: vcrpy (`FilesystemPersister.save_cassette`) vs our `write_cassette`, which
  also decodes, pretty-prints, redacts, fsyncs, renames and fills the cache.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

from pytest_convitems.cassette import (
    CassetteCache,
    append_to_cassette,
    load_cassette,
    write_cassette,
)
from pytest_convitems.exchange import Exchange, Request, Response

LOAD_TARGET = 0.3
WRITE_TARGET = 1.0
BASE = "https://api.openai.com/v1/conversations"
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "conversations",
    "hold",
    "many",
    "items",
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _message(rng: random.Random, i: int) -> dict[str, object]:
    return {
        "id": f"msg_{i:040x}",
        "type": "message",
        "status": "completed",
        "role": rng.choice(["user", "assistant"]),
        "content": [
            {"type": "output_text", "text": _text(rng, 60), "annotations": [], "logprobs": []}
        ],
    }


def _headers(length: int) -> dict[str, list[str]]:
    return {
        "Content-Type": ["application/json"],
        "Content-Length": [str(length)],
        "Date": ["Tue, 24 Nov 2026 20:00:00 GMT"],
        "openai-processing-ms": ["42"],
        "x-request-id": ["req_0123456789abcdef"],
        "openai-version": ["2020-10-01"],
    }


def build_exchanges(n: int) -> list[Exchange]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        conv = f"conv_{i % 50:032x}"
        kind = i % 4
        req_headers = {
            "Authorization": ["Bearer sk-convitems-FAKE-bench-key-0000000000"],
            "Accept": ["application/json"],
            "User-Agent": ["OpenAI/Python 3.57.0"],
        }
        body = b""
        if kind == 0:
            method, url = "POST", f"{BASE}/{conv}/items"
            payload = {
                "items": [
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": _text(rng, 40)}],
                    }
                    for _ in range(3)
                ]
            }
            body = json.dumps(payload).encode()
            req_headers["Content-Type"] = ["application/json"]
            resp = {
                "object": "list",
                "data": [_message(rng, i * 10 + k) for k in range(3)],
                "first_id": "msg_a",
                "last_id": "msg_c",
                "has_more": False,
            }
        elif kind == 1:
            method, url = "GET", f"{BASE}/{conv}/items?limit=3&order=asc"
            resp = {
                "object": "list",
                "data": [_message(rng, i * 10 + k) for k in range(3)],
                "first_id": "msg_a",
                "last_id": "msg_c",
                "has_more": True,
            }
        elif kind == 2:
            method, url = "GET", f"{BASE}/{conv}/items/msg_{i:040x}"
            resp = _message(rng, i) | {
                "content": [_message(rng, i)["content"][0] for _ in range(4)]
            }  # type: ignore[index]
        else:
            method, url = "DELETE", f"{BASE}/{conv}/items/msg_{i:040x}"
            resp = {
                "id": conv,
                "object": "conversation",
                "created_at": 1_764_000_000 + i,
                "metadata": {"topic": _text(rng, 5)},
            }
        resp_body = json.dumps(resp, indent=2, sort_keys=True).encode()
        out.append(
            Exchange(
                Request(method, url, req_headers, body),
                Response(200, "OK", _headers(len(resp_body)), resp_body),
            )
        )
    return out


def to_vcr_dict(exchanges: list[Exchange]) -> dict[str, object]:
    requests = [
        VcrRequest(
            e.request.method,
            e.request.url,
            e.request.body or None,
            {k: v[0] for k, v in e.request.headers.items()},
        )
        for e in exchanges
    ]
    responses = [
        {
            "status": {"code": e.response.status, "message": e.response.reason},
            "headers": e.response.headers,
            "body": {"string": e.response.body},
        }
        for e in exchanges
        if e.response is not None
    ]
    return {"requests": requests, "responses": responses}


def best(
    fn: Callable[[], object], repeat: int, before: Callable[[], object] | None = None
) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-cassette-"))
    try:
        exchanges = build_exchanges(args.interactions)
        cache = CassetteCache(work / "cache")
        ours = work / "ours.yaml"
        theirs = work / "vcrpy.yaml"
        vcr_dict = to_vcr_dict(exchanges)

        write_vcr = best(
            lambda: FilesystemPersister.save_cassette(theirs, vcr_dict, yamlserializer), args.repeat
        )
        write_ours = best(lambda: write_cassette(ours, exchanges, cache=cache), args.repeat)

        size_ours = ours.stat().st_size
        size_vcr = theirs.stat().st_size
        assert len(load_cassette(ours, cache=None)) == args.interactions

        load_vcr = best(
            lambda: FilesystemPersister.load_cassette(ours, yamlserializer), args.repeat
        )
        load_vcr_own = best(
            lambda: FilesystemPersister.load_cassette(theirs, yamlserializer), args.repeat
        )

        def clear() -> None:
            shutil.rmtree(cache.directory, ignore_errors=True)

        load_cold = best(lambda: load_cassette(ours, cache=cache), args.repeat, before=clear)
        load_cassette(ours, cache=cache)
        load_warm = best(lambda: load_cassette(ours, cache=cache), args.repeat)
        load_nocache = best(lambda: load_cassette(ours, cache=None), args.repeat)

        # appending one interaction (what a recording proxy does per flow): ours splices
        # text; vcrpy's only way is load + save of the whole cassette
        extra = build_exchanges(1)
        appended = work / "appended.yaml"
        appended_vcr = work / "appended-vcrpy.yaml"
        extra_dict = to_vcr_dict(extra)

        def reset() -> None:
            shutil.copyfile(ours, appended)
            shutil.copyfile(ours, appended_vcr)
            load_cassette(appended, cache=cache)

        def vcr_append() -> None:
            requests, responses = FilesystemPersister.load_cassette(appended_vcr, yamlserializer)
            FilesystemPersister.save_cassette(
                appended_vcr,
                {
                    "requests": [*requests, *extra_dict["requests"]],  # type: ignore[list-item]
                    "responses": [*responses, *extra_dict["responses"]],  # type: ignore[list-item]
                },
                yamlserializer,
            )

        append_vcr = best(vcr_append, args.repeat, before=reset)
        append_ours = best(
            lambda: append_to_cassette(appended, extra, cache=cache), args.repeat, before=reset
        )

        print(
            f"cassette: {args.interactions} interactions; ours {size_ours / 1e6:.2f} MB, "
            f"vcrpy's {size_vcr / 1e6:.2f} MB; best of {args.repeat}"
        )
        print(f"load  vcrpy (libyaml), our file      {load_vcr * 1000:8.1f} ms")
        print(f"load  vcrpy (libyaml), vcrpy's file  {load_vcr_own * 1000:8.1f} ms")
        print(
            f"load  ours, no cache                 {load_nocache * 1000:8.1f} ms  "
            f"{load_nocache / load_vcr:5.2f}x"
        )
        print(
            f"load  ours, cold cache (parse+fill)  {load_cold * 1000:8.1f} ms  "
            f"{load_cold / load_vcr:5.2f}x"
        )
        print(
            f"load  ours, warm cache               {load_warm * 1000:8.1f} ms  "
            f"{load_warm / load_vcr:5.2f}x"
        )
        print(f"write vcrpy                          {write_vcr * 1000:8.1f} ms")
        print(
            f"write ours                           {write_ours * 1000:8.1f} ms  "
            f"{write_ours / write_vcr:5.2f}x"
        )
        print(f"append 1: vcrpy load+save            {append_vcr * 1000:8.1f} ms")
        print(
            f"append 1: ours (splice, warm cache)  {append_ours * 1000:8.1f} ms  "
            f"{append_ours / append_vcr:5.2f}x"
        )
        load_ok = load_warm / load_vcr <= LOAD_TARGET
        write_ok = write_ours / write_vcr <= WRITE_TARGET
        print(
            f"target load (warm) <= {LOAD_TARGET}x vcrpy: {'PASS' if load_ok else 'FAIL'} "
            f"({load_warm / load_vcr:.2f}x)"
        )
        print(
            f"target write <= {WRITE_TARGET}x vcrpy: {'PASS' if write_ok else 'FAIL'} "
            f"({write_ours / write_vcr:.2f}x)"
        )
        return 0 if load_ok and write_ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
