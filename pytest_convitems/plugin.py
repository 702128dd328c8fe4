"""pytest wiring for pytest-convitems (options, marker, fixture, hooks); the work lives elsewhere."""

from __future__ import annotations
