"""Corrupt cassettes: a `CassetteError` naming the file, the line or interaction, and the fix;
the file is never written over (an append onto it leaves it byte-identical)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_convitems.cassette import append_to_cassette, load_cassette, write_cassette
from pytest_convitems.errors import CassetteError
from pytest_convitems.exchange import Exchange, Request, Response

GOOD_INTERACTION = """\
- request:
    body: null
    headers: {}
    method: GET
    uri: http://127.0.0.1:9/v1/conversations/c/items
  response:
    body:
      string: '{"object": "list", "data": []}'
    headers:
      Content-Type:
      - application/json
    status:
      code: 200
      message: OK
"""

CASES: dict[str, tuple[str, str, list[str]]] = {
    # name: (file text, suffix, what the message must contain)
    "bad_yaml": (
        "interactions:\n- request: {method: GET\nversion: 1\n",
        ".yaml",
        ["line 3", "not valid YAML", "a flow mapping at line 2, column 12"],
    ),
    "unclosed_quote": (
        'interactions:\n- request:\n    body: "abc\n    method: GET\n',
        ".yaml",
        ["line 5", "not valid YAML", "a quoted scalar at line 3, column 11"],
    ),
    "bad_yaml_tab": (
        "interactions:\n\t- request: x\nversion: 1\n",
        ".yaml",
        ["line 2", "not valid YAML"],
    ),
    "unknown_version": (
        "interactions:\n" + GOOD_INTERACTION + "version: 2\n",
        ".yaml",
        ["line 16", "unknown cassette format version 2", "version 1"],
    ),
    "missing_version": ("interactions:\n" + GOOD_INTERACTION, ".yaml", ["`version` is missing"]),
    "not_a_mapping": ("- just\n- a list\n", ".yaml", ["not a cassette"]),
    "old_vcrpy": ("- request: {}\n  response: {}\n", ".yaml", ["before 1.0"]),
    "interactions_not_list": (
        "interactions: 3\nversion: 1\n",
        ".yaml",
        ["`interactions` is missing or not a list"],
    ),
    "missing_response": (
        "interactions:\n"
        + GOOD_INTERACTION
        + "- request:\n    body: null\n    headers: {}\n    method: GET\n    uri: http://h/\n"
        + "version: 1\n",
        ".yaml",
        ["line 16", "interaction 1", "`response`"],
    ),
    "missing_status_code": (
        "interactions:\n" + GOOD_INTERACTION.replace("      code: 200\n", "") + "version: 1\n",
        ".yaml",
        ["line 2", "interaction 0", "response.status.code"],
    ),
    "missing_method": (
        "interactions:\n" + GOOD_INTERACTION.replace("    method: GET\n", "") + "version: 1\n",
        ".yaml",
        ["interaction 0", "request.method"],
    ),
    "json_claim_not_json": (
        "interactions:\n"
        + GOOD_INTERACTION
        + GOOD_INTERACTION.replace(
            """'{"object": "list", "data": []}'""", "'<html>502 Bad Gateway</html>'"
        )
        + "version: 1\n",
        ".yaml",
        ["line 16", "interaction 1", "claims JSON", "Content-Type: application/json"],
    ),
    "json_file_bad_json": ('{"interactions": [\n  {"request": }\n', ".json", ["line 2", "JSON"]),
    "json_file_missing_keys": (
        json.dumps({"interactions": [{"request": {"method": "GET"}}], "version": 1}),
        ".json",
        ["interaction 0", "`response`"],
    ),
    "not_utf8": ("interactions: []\nversion: 1\n# \udcff\n", ".yaml", ["YAML"]),
}


def _write_raw(path: Path, text: str) -> bytes:
    data = text.encode("utf-8", "surrogateescape")
    path.write_bytes(data)
    return data


def _exchange() -> Exchange:
    return Exchange(
        Request("GET", "http://127.0.0.1:9/v1/conversations/c/items", {}, b""),
        Response(200, "OK", {"Content-Type": ["application/json"]}, b'{"data": []}'),
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_corrupt_cassette_names_file_and_place_and_is_never_overwritten(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVITEMS_CACHE_DIR", str(tmp_path / "cache"))
    text, suffix, expected = CASES[case]
    path = tmp_path / f"{case}{suffix}"
    before = _write_raw(path, text)
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, message
    assert any(w in message for w in ("record", "Add it", "fix")), message
    with pytest.raises(CassetteError):
        append_to_cassette(path, [_exchange()])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [path.name]


def test_missing_cassette_says_to_record_it(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"no such cassette.*record"):
        load_cassette(tmp_path / "nope.yaml")


def test_writer_refuses_a_json_claim_it_could_not_load_back(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_cassette(path, [_exchange()])
    before = path.read_bytes()
    bad = Exchange(
        Request("GET", "http://127.0.0.1:9/x", {}, b""),
        Response(502, "Bad Gateway", {"Content-Type": ["application/json"]}, b"<html>"),
    )
    with pytest.raises(CassetteError, match="claims JSON"):
        write_cassette(path, [bad])
    with pytest.raises(CassetteError, match="claims JSON"):
        append_to_cassette(path, [bad])
    assert path.read_bytes() == before


def test_writer_refuses_exchanges_without_response(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="no response"):
        write_cassette(tmp_path / "c.yaml", [Exchange(Request("GET", "http://h/", {}, b""))])
    assert not (tmp_path / "c.yaml").exists()


def test_json_cassette_cannot_hold_binary(tmp_path: Path) -> None:
    blob = Exchange(
        Request("GET", "http://h/", {}, b""),
        Response(200, "OK", {"Content-Type": ["application/octet-stream"]}, b"\xff\xfe"),
    )
    with pytest.raises(CassetteError, match=r"\.yaml"):
        write_cassette(tmp_path / "c.json", [blob])
    assert not (tmp_path / "c.json").exists()


def test_a_cassette_that_cannot_be_written_is_a_cassette_error(tmp_path: Path) -> None:
    (tmp_path / "taken.yaml").mkdir()
    with pytest.raises(CassetteError, match=r"taken\.yaml: cannot write the cassette"):
        write_cassette(tmp_path / "taken.yaml", [])


def test_header_values_given_as_one_string_are_refused(tmp_path: Path) -> None:
    """requests' and httpx's {name: value} style stored one letter a value."""
    request = Request("POST", "http://h/v1/conversations/c/items", {"content-type": "a/b"}, b"{}")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="'content-type': values are a list"):
        write_cassette(tmp_path / "c.yaml", [Exchange(request, Response(204, "", {}, b""))])
    assert not (tmp_path / "c.yaml").exists()
