"""`recorded_at`: when the proxy saw a request sent, kept as an interaction-level key.

The proxy writes it (replay orders several cassettes by it); the plugin does not. vcrpy and
pytest-recording ignore a key they do not know in an interaction, so cassettes holding it
still replay there.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import vcr
import yaml
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import jsonserializer, yamlserializer

from pytest_convitems import cassette_cache
from pytest_convitems.cassette import (
    append_to_cassette,
    exchange_to_interaction,
    interaction_to_exchange,
    load_cassette,
    write_cassette,
)
from pytest_convitems.errors import CassetteError
from pytest_convitems.exchange import Exchange, Request, Response

URL = "http://127.0.0.1:9/v1/conversations"
WHEN = ["2026-11-25T15:20:01.123456Z", "2026-11-25T15:20:01.200000Z"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(cache))
    return cache


def created(n: int, recorded_at: str | None) -> Exchange:
    """`conversations.create()` as sent: the same request every time, another answer."""
    return Exchange(
        Request("POST", URL, {"Content-Type": ["application/json"]}, b"{}"),
        Response(200, "OK", {"Content-Type": ["application/json"]}, b'{"id": "conv_%d"}' % n),
        recorded_at=recorded_at,
    )


def test_the_key_round_trips_through_a_yaml_cassette_after_the_response(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [created(0, WHEN[0]), created(1, WHEN[1])])
    text = path.read_text()
    assert f'      message: OK\n  recorded_at: "{WHEN[0]}"\n- request:' in text
    assert [e.recorded_at for e in load_cassette(path, cache=None)] == WHEN
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):  # a string to both, not a datetime
        document = yaml.load(path.read_bytes(), Loader=loader)
        assert [i["recorded_at"] for i in document["interactions"]] == WHEN


def test_the_key_round_trips_through_a_json_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    write_cassette(path, [created(0, WHEN[0])])
    (item,) = json.loads(path.read_text())["interactions"]
    assert list(item) == ["request", "response", "recorded_at"]
    assert item["recorded_at"] == WHEN[0]
    assert [e.recorded_at for e in load_cassette(path, cache=None)] == WHEN[:1]
    requests, _ = FilesystemPersister.load_cassette(path, jsonserializer)
    assert len(requests) == 1


def test_interaction_dicts_carry_it_and_refuse_a_value_that_is_not_a_string() -> None:
    item = exchange_to_interaction(created(0, WHEN[0]))
    assert item["recorded_at"] == WHEN[0]
    assert interaction_to_exchange(item).recorded_at == WHEN[0]
    for wrong in (12345, ["x"]):
        with pytest.raises(CassetteError, match="`recorded_at` must be a string"):
            interaction_to_exchange({**item, "recorded_at": wrong})
    assert "recorded_at" not in exchange_to_interaction(created(0, None))


def test_an_unquoted_timestamp_names_the_key_and_the_interaction(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [created(0, WHEN[0])])
    path.write_text(path.read_text().replace(f'"{WHEN[0]}"', WHEN[0]))  # hand-edited
    with pytest.raises(CassetteError) as err:
        load_cassette(path, cache=None)
    assert "interaction 0" in str(err.value)
    assert "`recorded_at` must be a string" in str(err.value)
    assert "not datetime" in str(err.value)


def test_vcrpy_and_pytest_recordings_replay_ignore_the_key(tmp_path: Path) -> None:
    """pytest-recording replays through `vcr.use_cassette`, as here."""
    path = tmp_path / "c.yaml"
    write_cassette(path, [created(0, WHEN[0]), created(1, WHEN[1])])
    with vcr.use_cassette(str(path), record_mode="none") as cassette, httpx.Client() as http:
        got = [http.post(URL, json={}).json()["id"] for _ in range(2)]
        assert cassette.all_played
    assert got == ["conv_0", "conv_1"]
    requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
    assert len(requests) == len(responses) == 2


def test_the_parse_cache_keeps_it(tmp_path: Path, _private_cache: Path) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [created(0, WHEN[0]), created(1, None)])
    (entry,) = _private_cache.glob("*.json")
    rows = json.loads(entry.read_text())["interactions"]
    assert [len(row) for row in rows] == [9, 8]  # a ninth column only when there is one
    loaded = load_cassette(path)  # warm: from the entry, not the YAML
    assert [e.recorded_at for e in loaded] == [WHEN[0], None]
    assert loaded == load_cassette(path, cache=None)


def test_an_entry_from_before_the_key_loads_as_none_or_is_parsed_again(
    tmp_path: Path, _private_cache: Path
) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [created(0, WHEN[0])])
    (entry,) = _private_cache.glob("*.json")
    # the code that reads and writes the key is part of the parser's fingerprint, so an
    # entry the old code made is a miss
    sources = cassette_cache._PARSER_SOURCES
    assert {"exchange.py", "cassette_body.py", "cassette_cache.py"} <= set(sources)
    # and an eight-column row (the old shape) under today's fingerprint reads as no time
    data = json.loads(entry.read_text())
    data["interactions"] = [row[:8] for row in data["interactions"]]
    entry.write_text(json.dumps(data))
    (e,) = load_cassette(path)
    assert e.recorded_at is None
    # a tenth column, or a time that is not a string, is an entry we did not write: a miss
    for row in ([*data["interactions"][0], WHEN[0], "x"], [*data["interactions"][0], 5]):
        entry.write_text(json.dumps({**data, "interactions": [row]}))
        assert [e.recorded_at for e in load_cassette(path)] == [WHEN[0]]


def test_a_cassette_without_it_loads_with_none_and_the_plugins_writes_none(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.yaml"
    write_cassette(old, [created(0, None)])  # as the plugin writes: no time
    assert "recorded_at" not in old.read_text()
    assert [e.recorded_at for e in load_cassette(old)] == [None]


@pytest.mark.parametrize("splice", [True, False])
def test_appends_keep_the_times_already_there(tmp_path: Path, splice: bool) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [created(0, WHEN[0])])
    if not splice:  # a formatter's indented list: re-rendered, not spliced
        head, body = path.read_text().split("\n", 1)
        body = body.removesuffix("version: 1\n")
        indented = "".join("  " + line for line in body.splitlines(keepends=True))
        path.write_text(f"{head}\n{indented}version: 1\n")
        assert [e.recorded_at for e in load_cassette(path, cache=None)] == WHEN[:1]
    append_to_cassette(path, [created(1, WHEN[1]), created(2, None)])
    assert [e.recorded_at for e in load_cassette(path, cache=None)] == [*WHEN, None]
