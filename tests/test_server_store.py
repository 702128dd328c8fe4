"""The server's store on its own: paging is exact for any adds, deletes, limits and orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_convitems.server_items import Item
from pytest_convitems.server_store import Order, Store


def _adder(n: int) -> Callable[[Callable[[str], Item | None]], list[Item]]:
    def make(resolve: Callable[[str], Item | None]) -> list[Item]:
        return [{"id": f"msg_{n}", "type": "message"}]

    return make


def _page_all(store: Store, cid: str, limit: int, order: Order) -> list[str]:
    seen: list[str] = []
    after: str | None = None
    for _ in range(1000):  # bounded
        page = store.list_items(cid, after=after, limit=limit, order=order)
        seen += [str(i["id"]) for i in page.data]
        if not page.has_more:
            return seen
        after = str(page.data[-1]["id"])
    raise AssertionError("paging did not end")


@settings(max_examples=60, deadline=None)
@given(
    adds=st.integers(min_value=0, max_value=40),
    deletions=st.sets(st.integers(min_value=0, max_value=39)),
    limit=st.integers(min_value=1, max_value=7),
    order=st.sampled_from(["asc", "desc"]),
)
def test_paging_returns_every_live_item_once_in_order(
    adds: int, deletions: set[int], limit: int, order: Any
) -> None:
    store = Store()
    conversation, _ = store.create_conversation(None)
    cid = str(conversation["id"])
    ids = [str(store.add_items(cid, _adder(n))[0]["id"]) for n in range(adds)]
    for n in sorted(deletions):
        if n < adds:
            store.delete_item(cid, ids[n])
    live = [i for n, i in enumerate(ids) if n not in deletions]
    expected = live if order == "asc" else live[::-1]
    assert _page_all(store, cid, limit, order) == expected
    for n, cursor in enumerate(ids):  # a cursor at any item, deleted or not
        rest = store.list_items(cid, after=cursor, limit=100, order=order).data
        after_ids = [str(i["id"]) for i in rest]
        later = [i for m, i in enumerate(ids) if m > n and m not in deletions]
        earlier = [i for m, i in enumerate(ids) if m < n and m not in deletions]
        assert after_ids == (later if order == "asc" else earlier[::-1])
