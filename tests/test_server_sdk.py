"""The real openai-python client against the embedded server (issue 3, first "Done when").

Every response the server sends is captured by an httpx2 response hook and validated
against our models: items endpoints with `validate_response`, conversation endpoints
with the `Conversation` / `ConversationDeleted` models. The SDK parses each response
into its own types at the same time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai
import pytest
from openai.types.conversations import Conversation, ConversationItemList
from openai.types.conversations.conversation_deleted_resource import ConversationDeletedResource
from pydantic import BaseModel

from pytest_convitems.models import Conversation as ConversationModel
from pytest_convitems.models import ConversationDeleted, ErrorResponse
from pytest_convitems.routes import match_route
from pytest_convitems.server import RunningServer
from pytest_convitems.server_examples import (
    EXAMPLE_SHAPES,
    MUST_BE_LAST,
    NEEDS_EXISTING_ID,
    example_item,
)
from pytest_convitems.validation import validate_response
from tests.conftest import FAKE_API_KEY


@dataclass
class Seen:
    """Every (method, path, status, body) the server answered, in order."""

    responses: list[tuple[str, str, int, bytes]] = field(default_factory=list)

    def hook(self, response: httpx2.Response) -> None:
        response.read()
        request = response.request
        self.responses.append(
            (request.method, request.url.path, response.status_code, response.content)
        )

    def findings(self) -> list[str]:
        problems: list[str] = []
        for method, path, status, body in self.responses:
            route = match_route(method, path)
            if route is not None:
                problems += [
                    f"{method} {path}: {f.text()}"
                    for f in validate_response(route.endpoint, status, body)
                ]
                continue
            model: type[BaseModel] = ConversationModel
            if status >= 400:
                model = ErrorResponse
            elif method == "DELETE":
                model = ConversationDeleted
            data = json.loads(body)
            model.model_validate(data)
            extra = set(data) - set(model.model_fields)
            if extra:
                problems.append(f"{method} {path}: unknown fields {sorted(extra)}")
        return problems


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def client(server: RunningServer, seen: Seen) -> Iterator[openai.OpenAI]:
    http = httpx2.Client(event_hooks={"response": [seen.hook]})
    sdk = openai.OpenAI(base_url=server.api_base, api_key=FAKE_API_KEY, http_client=http)
    try:
        yield sdk
    finally:
        sdk.close()


def _every_shape(reference_id: str) -> list[list[dict[str, Any]]]:
    """The 33 shapes in batches of at most 20, `compaction_trigger` last in its batch."""
    shapes = [s for s in EXAMPLE_SHAPES if s != MUST_BE_LAST]
    items = [example_item(s, reference_id=reference_id) for s in shapes]
    first, rest = items[:20], items[20:]
    return [first, [*rest, example_item(MUST_BE_LAST)]]


def test_every_input_type_round_trips_through_the_sdk(client: openai.OpenAI, seen: Seen) -> None:
    conversation = client.conversations.create(
        items=[{"role": "user", "content": "hello"}], metadata={"suite": "server"}
    )
    assert isinstance(conversation, Conversation)
    assert conversation.id.startswith("conv_") and len(conversation.id) == 5 + 48
    assert conversation.metadata == {"suite": "server"}

    seeded = client.conversations.items.list(conversation.id)
    assert [i.type for i in seeded.data] == ["message"]
    reference_id = str(seeded.data[0].id)

    created: list[Any] = []
    for batch in _every_shape(reference_id):
        result = client.conversations.items.create(conversation.id, items=batch)  # type: ignore[arg-type]
        assert isinstance(result, ConversationItemList)
        assert len(result.data) == len(batch)
        assert result.first_id == result.data[0].id and result.last_id == result.data[-1].id
        assert result.has_more is False
        created += result.data
    assert len(created) == len(EXAMPLE_SHAPES) == 33

    by_shape = dict(zip([s for s in EXAMPLE_SHAPES if s != MUST_BE_LAST], created, strict=False))
    easy = by_shape["message.easy"]
    assert easy.type == "message" and easy.status == "completed"
    assert [p.type for p in easy.content] == ["input_text"]
    referenced = by_shape[NEEDS_EXISTING_ID]
    assert referenced.type == "message" and referenced.id != reference_id
    assert created[-1].type == "compaction"
    assert len({i.id for i in created}) == 33

    for item in created:
        again = client.conversations.items.retrieve(item.id, conversation_id=conversation.id)
        assert again.id == item.id and again.type == item.type

    victim = created[0]
    parent = client.conversations.items.delete(victim.id, conversation_id=conversation.id)
    assert isinstance(parent, Conversation) and parent.id == conversation.id
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(victim.id, conversation_id=conversation.id)

    updated = client.conversations.update(conversation.id, metadata={"suite": "done"})
    assert updated.metadata == {"suite": "done"}
    assert client.conversations.retrieve(conversation.id).metadata == {"suite": "done"}
    deleted = client.conversations.delete(conversation.id)
    assert isinstance(deleted, ConversationDeletedResource) and deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)

    assert seen.findings() == []


def test_paging_250_items_with_limit_100_in_both_orders(client: openai.OpenAI, seen: Seen) -> None:
    conversation = client.conversations.create()
    ids: list[str] = []
    for start in range(0, 250, 20):
        batch = [{"role": "user", "content": f"m{n}"} for n in range(start, min(start + 20, 250))]
        made = client.conversations.items.create(conversation.id, items=batch)  # type: ignore[arg-type]
        ids += [str(i.id) for i in made.data]
    assert len(ids) == len(set(ids)) == 250

    calls_before = len(seen.responses)
    ascending = [
        i.id for i in client.conversations.items.list(conversation.id, limit=100, order="asc")
    ]
    assert ascending == ids
    assert len(seen.responses) - calls_before == 3  # 100 + 100 + 50, has_more false on the last

    descending = [i.id for i in client.conversations.items.list(conversation.id, limit=100)]
    assert descending == ids[::-1]

    page = client.conversations.items.list(conversation.id, limit=100, order="asc")
    assert page.has_more is True and page.last_id == ids[99]
    assert page.model_extra is not None and page.model_extra["first_id"] == ids[0]
    last = client.conversations.items.list(conversation.id, limit=100, order="asc", after=ids[199])
    assert [i.id for i in last.data] == ids[200:] and last.has_more is False

    assert seen.findings() == []


def test_include_gates_what_the_api_leaves_out(client: openai.OpenAI, seen: Seen) -> None:
    conversation = client.conversations.create()
    reasoning = example_item("reasoning")
    made = client.conversations.items.create(conversation.id, items=[reasoning])  # type: ignore[list-item]
    assert getattr(made.data[0], "encrypted_content", None) is None
    item_id = str(made.data[0].id)
    plain = client.conversations.items.retrieve(item_id, conversation_id=conversation.id)
    assert getattr(plain, "encrypted_content", None) is None
    full = client.conversations.items.retrieve(
        item_id, conversation_id=conversation.id, include=["reasoning.encrypted_content"]
    )
    assert getattr(full, "encrypted_content", None) == reasoning["encrypted_content"]
    assert seen.findings() == []
