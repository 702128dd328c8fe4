"""Validating a 100-item ConversationItemList body: ours against json.loads and openai-python.

    .venv/bin/python benchmarks/bench_validation.py [--items 100] [--repeat 7]

One run, side by side, on the same bytes (a realistic agent conversation: user and
assistant messages with annotations, reasoning, function calls and outputs, web and file
search calls), best of `--repeat` rounds:
- `json.loads(body)`: parsing alone, the floor;
- ours: `validate_response("list", 200, body)`: strict models, every unknown field
  looked for (drift), findings out;
- openai-python: `openai.types.conversations.ConversationItemList.model_validate_json`.
Targets (issue 2): ours <= 2x json.loads and <= 1/20 of openai-python's.
Also printed (no target): ours on a body with one unknown field (the drift path) and on
a body with one error (the error path), which parse the body a second time.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openai.types.conversations import ConversationItemList as OpenAIItemList

from pytest_convitems.validation import validate_response

JSON_TARGET = 2.0
OPENAI_TARGET = 1 / 20


def _item(i: int) -> dict[str, Any]:
    kind = i % 8
    hexid = f"{i:048x}"
    if kind == 0:
        text = "Please look up the weather in Paris and summarise it for me, with sources. "
        return {
            "type": "message",
            "id": f"msg_{hexid}",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_text", "text": text * 2}],
        }
    if kind == 1:
        return {
            "type": "reasoning",
            "id": f"rs_{hexid}",
            "summary": [{"type": "summary_text", "text": "Deciding which tool to call first."}],
            "encrypted_content": None,
        }
    if kind == 2:
        return {
            "type": "web_search_call",
            "id": f"ws_{hexid}",
            "status": "completed",
            "action": {
                "type": "search",
                "query": "weather Paris today",
                "sources": [{"type": "url", "url": "https://weather.example.com/paris"}],
            },
        }
    if kind == 3:
        return {
            "type": "function_call",
            "id": f"fc_{hexid}",
            "status": "completed",
            "call_id": f"call_{i}",
            "name": "get_weather",
            "arguments": json.dumps({"city": "Paris", "unit": "celsius"}),
        }
    if kind == 4:
        return {
            "type": "function_call_output",
            "id": f"fco_{hexid}",
            "status": "completed",
            "call_id": f"call_{i - 1}",
            "output": json.dumps({"temperature": 18, "sky": "cloudy", "wind_kmh": 12}),
        }
    if kind == 5:
        return {
            "type": "file_search_call",
            "id": f"fs_{hexid}",
            "status": "completed",
            "queries": ["paris climate"],
            "results": [
                {
                    "file_id": "file_1",
                    "filename": "climate.pdf",
                    "score": 0.87,
                    "text": "Paris has an oceanic climate.",
                    "attributes": {"year": 2024},
                }
            ],
        }
    answer = "It is 18 degrees and cloudy in Paris today, with a light breeze. "
    return {
        "type": "message",
        "id": f"msg_{hexid}",
        "status": "completed",
        "role": "assistant",
        "content": [
            {
                "type": "output_text",
                "text": answer * 3,
                "annotations": [
                    {
                        "type": "url_citation",
                        "url": "https://weather.example.com/paris",
                        "title": "Paris weather",
                        "start_index": 0,
                        "end_index": 30,
                    }
                ],
                "logprobs": [],
            }
        ],
    }


def build_body(n: int) -> dict[str, Any]:
    items = [_item(i) for i in range(n)]
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"],
        "last_id": items[-1]["id"],
        "has_more": False,
    }


def best_per_call(fn: Callable[[], object], repeat: int, budget_s: float = 0.25) -> float:
    """Seconds per call: best of `repeat` rounds, each sized to about `budget_s`."""
    fn()
    number = max(1, int(budget_s / max(timeit.timeit(fn, number=3) / 3, 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    doc = build_body(args.items)
    body = json.dumps(doc).encode()
    assert validate_response("list", 200, body) == [], "the benchmark body must be valid"
    OpenAIItemList.model_validate_json(body)  # builds openai's deferred schema

    drift_doc = json.loads(body)
    drift_doc["data"][7]["content"][0]["brand_new"] = True
    drift_body = json.dumps(drift_doc).encode()
    error_doc = json.loads(body)
    error_doc["data"][3]["arguments"] = {"city": "Paris"}
    error_body = json.dumps(error_doc).encode()

    t_json = best_per_call(lambda: json.loads(body), args.repeat)
    t_ours = best_per_call(lambda: validate_response("list", 200, body), args.repeat)
    t_openai = best_per_call(lambda: OpenAIItemList.model_validate_json(body), args.repeat)
    t_drift = best_per_call(lambda: validate_response("list", 200, drift_body), args.repeat)
    t_error = best_per_call(lambda: validate_response("list", 200, error_body), args.repeat)

    ratio_json = t_ours / t_json
    ratio_openai = t_ours / t_openai
    ok_json = ratio_json <= JSON_TARGET
    ok_openai = ratio_openai <= OPENAI_TARGET
    us = 1e6
    print(f"body: {args.items}-item ConversationItemList, {len(body):,} bytes")
    print(f"  json.loads                              {t_json * us:10.1f} us")
    print(f"  ours validate_response (valid)          {t_ours * us:10.1f} us")
    print(f"  openai ConversationItemList.validate    {t_openai * us:10.1f} us")
    print(f"  ours, one unknown field (drift path)    {t_drift * us:10.1f} us")
    print(f"  ours, one error (error path)            {t_error * us:10.1f} us")
    print(
        f"ours / json.loads = {ratio_json:.2f}x (target <= {JSON_TARGET:.0f}x): "
        f"{'PASS' if ok_json else 'FAIL'}"
    )
    print(
        f"ours / openai     = {ratio_openai:.3f} = 1/{1 / ratio_openai:.0f} "
        f"(target <= 1/{1 / OPENAI_TARGET:.0f}): {'PASS' if ok_openai else 'FAIL'}"
    )
    return 0 if ok_json and ok_openai else 1


if __name__ == "__main__":
    sys.exit(main())
