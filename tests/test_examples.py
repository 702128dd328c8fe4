"""The CI recipes in `examples/` stay runnable: each loads as YAML, each `convitems`
command parses, and each `--convitems-*` option it passes to pytest exists."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_convitems.cassette_cache import default_cache
from pytest_convitems.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "examples").glob("*.yml"))


def _commands(workflow: Path) -> list[list[str]]:
    """Every shell line of every `run:` step, split as the shell would (continuations joined)."""
    doc: Any = yaml.safe_load(workflow.read_text("utf-8"))
    out = []
    for job in doc["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "").replace("\\\n", " ")
            out += [shlex.split(line, comments=True) for line in script.splitlines()]
    return [words for words in out if words]


def _command(words: list[str]) -> list[str]:
    """The words before the first shell redirection or operator."""
    ends = [i for i, w in enumerate(words) if w in (">", ">>", "|", "&&", "||", ";")]
    return words[: ends[0]] if ends else words


def test_there_are_recipes() -> None:
    assert {p.name for p in WORKFLOWS} >= {"replay-on-pull-request.yml", "nightly-live-drift.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_recipe_commands_exist(workflow: Path, pytestconfig: pytest.Config) -> None:
    commands = _commands(workflow)
    assert any(words[0] == "pytest" for words in commands), "a recipe runs pytest"
    for words in map(_command, commands):
        if words[0] == "convitems":
            build_parser().parse_args(words[1:])  # exits 2 on an unknown option
        elif words[0] == "pytest":
            for before, word in itertools.pairwise(words):
                m = re.match(r"--(convitems-[a-z-]+)", word)
                if m:  # getoption raises ValueError for an option nobody registered
                    pytestconfig.getoption(m.group(1).replace("-", "_"))
                if before == "-o":  # getini raises ValueError for an unknown ini key
                    pytestconfig.getini(word.partition("=")[0])


def test_the_replay_recipe_caches_where_the_plugin_looks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    doc: Any = yaml.safe_load((ROOT / "examples" / "replay-on-pull-request.yml").read_text())
    (cached,) = [
        s["with"]["path"]
        for s in doc["jobs"]["replay"]["steps"]
        if "with" in s and s.get("uses", "").startswith("actions/cache@")
    ]
    # A GitHub-hosted runner sets HOME and neither of the others.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("CONVITEMS_CACHE_DIR", raising=False)
    cache = default_cache()
    assert cache is not None
    assert cache.directory == Path(cached.replace("~", str(tmp_path), 1))
