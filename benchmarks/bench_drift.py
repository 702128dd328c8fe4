"""Drift cost, side by side with loading the traffic and with plain DeepDiff.

    .venv/bin/python benchmarks/bench_drift.py [--interactions 1000] [--deepdiff-sample 12]

Two sets of N list-response interactions, each body 100 items (messages with parts and
annotations, function calls and outputs, reasoning, MCP and computer calls), written as
cassettes with our writer; NEW differs in shape in a few places, and in every id and text.

  (a) load   both sets: `load_cassette` (warm parse cache, and cold) + json-decoding bodies
  (b) drift  both sets: shape extraction + DeepDiff over the aggregated shapes + classify
  (c) deepdiff on every pair of full bodies; a sample of pairs, extrapolated linearly

Targets: drift <= 3x load (warm: the stricter figure), drift <= 1/20 of (c), and linear
growth (time per interaction at N no more than 1.5x that at N/4).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from pytest_convitems.cassette import load_cassette, write_cassette
from pytest_convitems.cassette_cache import CassetteCache
from pytest_convitems.drift import compare_exchanges
from pytest_convitems.exchange import Exchange, Request, Response

ITEMS_PER_BODY = 100
URL = "https://api.openai.com/v1/conversations/conv_{n:048x}/items?limit=100&order=asc"


def _item(rng: random.Random, i: int, new: bool) -> dict[str, Any]:
    word = "".join(rng.choice("abcdefghij klmnop") for _ in range(rng.randint(20, 80)))
    kind = i % 6
    if kind == 0:
        parts: list[dict[str, Any]] = [
            {
                "type": "output_text",
                "text": word,
                "annotations": [
                    {
                        "type": "url_citation",
                        "url": f"https://example.com/{rng.randint(0, 10**6)}",
                        "title": word[:10],
                        "start_index": 0,
                        "end_index": rng.randint(1, 20),
                    }
                ],
            }
        ]
        item: dict[str, Any] = {
            "id": f"msg_{rng.getrandbits(96):024x}",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": parts,
        }
        if new:
            item["phase"] = "final_answer"
        return item
    if kind == 1:
        return {
            "id": f"msg_{rng.getrandbits(96):024x}",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [
                {"type": "input_text", "text": word},
                {"type": "input_image", "detail": "auto", "image_url": None, "file_id": "file_1"},
            ],
        }
    if kind == 2:
        return {
            "id": f"fc_{rng.getrandbits(96):024x}",
            "type": "function_call",
            "call_id": f"call_{rng.getrandbits(64):016x}",
            "name": "get_weather",
            "arguments": json.dumps({"city": word[:12]}),
            "status": "completed",
        }
    if kind == 3:
        return {
            "id": f"fco_{rng.getrandbits(96):024x}",
            "type": "function_call_output",
            "call_id": f"call_{rng.getrandbits(64):016x}",
            "output": word,
            "status": "completed",
        }
    if kind == 4:
        return {
            "id": f"rs_{rng.getrandbits(96):024x}",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": word}],
            "encrypted_content": None,
        }
    error: Any = {"type": "http_error", "code": 502, "message": word} if new else f"failed: {word}"
    return {
        "id": f"mcp_{rng.getrandbits(96):024x}",
        "type": "mcp_call",
        "name": "lookup",
        "arguments": "{}",
        "server_label": "docs",
        "output": None,
        "error": error,
        "status": "failed",
    }


def make_set(n: int, *, new: bool, seed: int) -> list[Exchange]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        items = [_item(rng, i, new) for i in range(ITEMS_PER_BODY)]
        body = {
            "object": "list",
            "data": items,
            "first_id": items[0]["id"],
            "last_id": items[-1]["id"],
            "has_more": True,
        }
        out.append(
            Exchange(
                Request("GET", URL.format(n=k), {"Accept": ["application/json"]}),
                Response(
                    200,
                    "OK",
                    {"Content-Type": ["application/json"]},
                    json.dumps(body).encode(),
                ),
            )
        )
    return out


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def load_both(old: Path, new: Path, cache: CassetteCache | None) -> tuple[list[Exchange], ...]:
    sets = []
    for path in (old, new):
        exchanges = load_cassette(path, cache=cache)
        for e in exchanges:
            assert e.response is not None
            json.loads(e.response.body)
        sets.append(exchanges)
    return tuple(sets)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interactions", type=int, default=1000)
    ap.add_argument("--deepdiff-sample", type=int, default=12)
    args = ap.parse_args()
    n = args.interactions

    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        root = Path(tmp)
        cache = CassetteCache(root / "cache")
        print(f"building two sets of {n} interactions x {ITEMS_PER_BODY} items ...", flush=True)
        old_set, new_set = make_set(n, new=False, seed=1), make_set(n, new=True, seed=2)
        old_path, new_path = root / "old.yaml", root / "new.yaml"
        write_cassette(old_path, old_set, cache=cache)
        write_cassette(new_path, new_set, cache=cache)
        size = (old_path.stat().st_size + new_path.stat().st_size) / 1e6
        print(f"cassettes: {size:.1f} MB in total")

        t_cold, _ = timed(lambda: load_both(old_path, new_path, None))
        t_load, (old_ex, new_ex) = timed(lambda: load_both(old_path, new_path, cache), repeat=3)
        t_drift, report = timed(lambda: compare_exchanges(old_ex, new_ex), repeat=3)
        changes = sorted((c.change, c.variant, c.path) for c in report.changes)

        sample = min(args.deepdiff_sample, n)
        bodies = [
            (json.loads(a.response.body), json.loads(b.response.body))
            for a, b in zip(old_ex[:sample], new_ex[:sample], strict=True)
        ]
        t_sample, _ = timed(lambda: [DeepDiff(a, b) for a, b in bodies])
        t_deepdiff = t_sample / sample * n

        # Rounds interleave the sizes, so a burst of load on a shared machine hits all alike.
        growth = {m: float("inf") for m in (n // 4, n // 2, n)}
        for _ in range(3):
            for m in growth:
                t, _ = timed(partial(compare_exchanges, old_ex[:m], new_ex[:m]))
                growth[m] = min(growth[m], t)

    print()
    print(f"changes found: {len(changes)}")
    for c in changes:
        print(f"  {c}")
    print()
    print(f"(a) load both sets, warm cache + json.loads : {t_load * 1000:9.1f} ms")
    print(f"    load both sets, cold (YAML parse)       : {t_cold * 1000:9.1f} ms")
    print(f"(b) drift (extract + deepdiff + classify)   : {t_drift * 1000:9.1f} ms")
    print(
        f"(c) DeepDiff of every pair of full bodies   : {t_deepdiff * 1000:9.1f} ms "
        f"(extrapolated from {sample} pairs: {t_sample / sample * 1000:.1f} ms per pair)"
    )
    print()
    r_load = t_drift / t_load
    r_cold = t_drift / t_cold
    r_dd = t_drift / t_deepdiff
    ok_load = r_load <= 3.0
    ok_dd = r_dd <= 1 / 20
    print(f"drift / load (warm) = {r_load:6.2f}x  target <= 3x    {'PASS' if ok_load else 'FAIL'}")
    print(f"drift / load (cold) = {r_cold:6.2f}x  (for information)")
    print(f"drift / DeepDiff    = {r_dd:6.4f}x  target <= 0.05  {'PASS' if ok_dd else 'FAIL'}")
    base = growth[n // 4] / (n // 4)
    ok_lin = True
    for m, t in growth.items():
        per = t / m
        ok_lin = ok_lin and per <= 1.5 * base
        print(f"growth: {m:5d} interactions {t * 1000:8.1f} ms  {per * 1e6:7.1f} us/interaction")
    print(f"linear growth (per-interaction <= 1.5x at N/4)      {'PASS' if ok_lin else 'FAIL'}")
    return 0 if ok_load and ok_dd and ok_lin else 1


if __name__ == "__main__":
    sys.exit(main())
