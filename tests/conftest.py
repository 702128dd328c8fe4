"""Shared fixtures. Each fixture starts real parts on loopback and stops them by itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

# httpx and httpx2 map httpcore's exceptions through a table built once, from the first
# httpcore they meet. A pytester in-process run drops the modules it imported from
# sys.modules afterwards, so an httpcore first imported there comes back as a second copy
# whose exceptions the table no longer knows: a dropped connection then surfaces as a raw
# httpcore.ReadError instead of httpx.ReadError. Imported here, there is only one.
import httpcore  # noqa: F401
import pytest

# The same for PyYAML (through our parser): its C extension is not re-imported, and a fresh
# `yaml` package beside it raises errors an `except yaml.YAMLError` no longer matches (a
# corrupt cassette then escaped as a raw ParserError in a test run after a pytester one).
import pytest_convitems.cassette_parse  # noqa: F401

if TYPE_CHECKING:
    from pytest_convitems.server import RunningServer

FAKE_API_KEY = "sk-convitems-FAKE-test-key-000000000000"
"""Obviously fake, but token-shaped: redaction must catch it."""


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """The embedded items API (`current` profile) on a free loopback port."""
    from pytest_convitems.server import running_server

    with running_server(profile="current") as srv:
        yield srv


@pytest.fixture
def seed_server() -> Iterator[RunningServer]:
    """The embedded items API answering as the seed page's release."""
    from pytest_convitems.server import running_server

    with running_server(profile="seed") as srv:
        yield srv
