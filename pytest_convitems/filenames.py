"""File names the product's parts agree on (no imports: the plugin reads this at load)."""

from __future__ import annotations

from typing import Final

DRIFT_IGNORE_FILE: Final = "convitems-drift-ignore.yaml"
"""Reviewed drift changes (fingerprint + reason): read from the rootdir by the plugin, from
the current folder by `convitems drift`, and kept beside the cassettes (`examples/drift/`)."""
DRIFT_IGNORE_STEM: Final = "convitems-drift-ignore."
"""Any format of that list (.yaml, .yml, .json): never a cassette, wherever it sits."""
