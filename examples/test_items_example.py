"""What a user's test looks like: the real openai client, recorded once, replayed in CI.

    # record (against the real API, or `convitems serve` as here)
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 pytest examples \
        --convitems-record-mode=all --convitems-cassette-dir cassettes
    # replay: no network, requests still validated
    pytest examples --convitems-replay --convitems-cassette-dir cassettes
"""

from __future__ import annotations

import os

import openai
import pytest


@pytest.fixture
def client() -> openai.OpenAI:
    return openai.OpenAI(
        base_url=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        api_key=os.environ.get("OPENAI_API_KEY", "sk-example-FAKE-key-for-replay-000000"),
        max_retries=0,
    )


@pytest.mark.convitems
def test_add_items_and_read_them_back(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(metadata={"topic": "example"})
    created = client.conversations.items.create(
        conversation.id,
        items=[
            {"type": "message", "role": "user", "content": "What is the weather in Paris?"},
            {
                "type": "function_call_output",
                "call_id": "call_weather_1",
                "output": '{"temperature_c": 18}',
            },
        ],
    )
    assert [item.type for item in created.data] == ["message", "function_call_output"]

    listed = client.conversations.items.list(conversation.id, order="asc")
    assert [item.id for item in listed.data] == [item.id for item in created.data]

    first = client.conversations.items.retrieve(created.data[0].id, conversation_id=conversation.id)
    assert first.type == "message"


@pytest.mark.convitems
def test_delete_returns_the_parent_conversation(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    created = client.conversations.items.create(
        conversation.id, items=[{"role": "user", "content": "soon gone"}]
    )
    parent = client.conversations.items.delete(created.data[0].id, conversation_id=conversation.id)
    assert parent.id == conversation.id
