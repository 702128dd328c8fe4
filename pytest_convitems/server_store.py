"""The embedded server's in-memory, thread-safe store of conversations and their items.

One lock guards everything: calls are short (dict and list operations), so a single
lock keeps every list consistent without costing the loopback server anything visible.
Items are kept per conversation in insertion order with an id -> sequence index, so
`after` cursors and retrieval are O(log n) / O(1) rather than scans.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .server_items import Item, new_id

Order = Literal["asc", "desc"]


class NotFound(LookupError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass
class _Conversation:
    id: str
    created_at: int
    metadata: dict[str, str]
    seqs: list[int] = field(default_factory=list)
    """Sequence numbers of live items, ascending (insertion order)."""
    items: dict[int, Item] = field(default_factory=dict)
    """Sequence number -> stored item."""

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "conversation",
            "created_at": self.created_at,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class Page:
    data: list[Item]
    has_more: bool


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conversations: dict[str, _Conversation] = {}
        self._seq = itertools.count(1)
        # Every item id ever minted -> (conversation id, sequence). Deleted ids stay so an
        # `after` cursor at a deleted item still pages on from where it stood.
        self._where: dict[str, tuple[str, int]] = {}

    # --- conversations -------------------------------------------------------------

    def create_conversation(
        self,
        metadata: dict[str, str] | None,
        make_items: Callable[[Callable[[str], Item | None]], list[Item]] | None = None,
    ) -> tuple[dict[str, Any], list[Item]]:
        with self._lock:
            conv = _Conversation(new_id("conv"), int(time.time()), dict(metadata or {}))
            added: list[Item] = []
            if make_items is not None:
                added = make_items(self._resolve_locked)
            self._conversations[conv.id] = conv
            self._append_locked(conv, added)
            return conv.resource(), added

    def get_conversation(self, conversation_id: str) -> dict[str, Any]:
        with self._lock:
            return self._conv(conversation_id).resource()

    def update_conversation(
        self, conversation_id: str, metadata: dict[str, str] | None
    ) -> dict[str, Any]:
        with self._lock:
            conv = self._conv(conversation_id)
            conv.metadata = dict(metadata or {})
            return conv.resource()

    def delete_conversation(self, conversation_id: str) -> None:
        with self._lock:
            conv = self._conv(conversation_id)
            del self._conversations[conversation_id]
            for item in conv.items.values():
                self._where.pop(str(item["id"]), None)

    # --- items ---------------------------------------------------------------------

    def add_items(
        self,
        conversation_id: str,
        make_items: Callable[[Callable[[str], Item | None]], list[Item]],
    ) -> list[Item]:
        """Append what `make_items` builds, atomically (it may resolve references)."""
        with self._lock:
            conv = self._conv(conversation_id)
            added = make_items(self._resolve_locked)
            self._append_locked(conv, added)
            return copy.deepcopy(added)

    def get_item(self, conversation_id: str, item_id: str) -> Item:
        with self._lock:
            conv = self._conv(conversation_id)
            seq = self._live_seq(conv, item_id)
            return copy.deepcopy(conv.items[seq])

    def delete_item(self, conversation_id: str, item_id: str) -> dict[str, Any]:
        with self._lock:
            conv = self._conv(conversation_id)
            seq = self._live_seq(conv, item_id)
            del conv.items[seq]
            del conv.seqs[bisect.bisect_left(conv.seqs, seq)]
            return conv.resource()

    def list_items(
        self, conversation_id: str, *, after: str | None, limit: int, order: Order
    ) -> Page:
        with self._lock:
            conv = self._conv(conversation_id)
            seqs = conv.seqs
            if order == "asc":
                start = 0
                if after is not None:
                    start = bisect.bisect_right(seqs, self._cursor(conv, after))
                chosen = seqs[start : start + limit]
                has_more = start + limit < len(seqs)
            else:
                stop = len(seqs)
                if after is not None:
                    stop = bisect.bisect_left(seqs, self._cursor(conv, after))
                begin = max(0, stop - limit)
                chosen = seqs[begin:stop][::-1]
                has_more = begin > 0
            return Page([copy.deepcopy(conv.items[s]) for s in chosen], has_more)

    # --- inside the lock -------------------------------------------------------------

    def _conv(self, conversation_id: str) -> _Conversation:
        conv = self._conversations.get(conversation_id)
        if conv is None:
            raise NotFound(f"Conversation with id '{conversation_id}' not found.")
        return conv

    def _live_seq(self, conv: _Conversation, item_id: str) -> int:
        where = self._where.get(item_id)
        if where is None or where[0] != conv.id or where[1] not in conv.items:
            raise NotFound(f"Item with id '{item_id}' not found.")
        return where[1]

    def _cursor(self, conv: _Conversation, after: str) -> int:
        where = self._where.get(after)
        if where is None or where[0] != conv.id:
            raise NotFound(f"Item with id '{after}' not found.", param="after")
        return where[1]

    def _resolve_locked(self, item_id: str) -> Item | None:
        where = self._where.get(item_id)
        if where is None:
            return None
        conv = self._conversations.get(where[0])
        if conv is None:
            return None
        return conv.items.get(where[1])

    def _append_locked(self, conv: _Conversation, added: list[Item]) -> None:
        for item in added:
            seq = next(self._seq)
            conv.seqs.append(seq)
            conv.items[seq] = item
            self._where[str(item["id"])] = (conv.id, seq)
