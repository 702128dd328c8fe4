from pytest_convitems.routes import match_route, parse_query


def test_suffix_matching_across_prefixes() -> None:
    for prefix in ("/v1", "/openai/v1", ""):
        m = match_route("POST", f"{prefix}/conversations/conv_1/items")
        assert m is not None and m.endpoint == "create" and m.prefix == prefix
    assert match_route("GET", "/v1/conversations/conv_1/items").endpoint == "list"  # type: ignore[union-attr]
    r = match_route("GET", "/v1/conversations/conv_1/items/msg_2")
    assert r is not None and r.endpoint == "retrieve" and r.item_id == "msg_2"
    d = match_route("DELETE", "/v1/conversations/conv_1/items/msg_2")
    assert d is not None and d.endpoint == "delete"


def test_other_traffic_is_not_an_items_route() -> None:
    assert match_route("POST", "/v1/conversations") is None
    assert match_route("GET", "/v1/conversations/conv_1") is None
    assert match_route("PUT", "/v1/conversations/conv_1/items") is None
    assert match_route("GET", "/v1/responses") is None


def test_include_in_both_array_encodings() -> None:
    brackets = parse_query("include%5B%5D=a&include%5B%5D=b&limit=10")
    repeated = parse_query("include=a&include=b&limit=10")
    assert brackets == repeated == {"include": ["a", "b"], "limit": "10"}
    assert parse_query("include=a") == {"include": ["a"]}
