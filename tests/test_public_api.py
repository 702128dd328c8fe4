"""The names `pytest_convitems` promises, and that importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest_convitems


def test_every_name_in_all_resolves() -> None:
    for name in pytest_convitems.__all__:
        assert getattr(pytest_convitems, name) is not None, name


def test_unknown_names_raise_attribute_error() -> None:
    try:
        pytest_convitems.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_does_not_build_the_models() -> None:
    code = (
        "import sys, pytest_convitems; "
        "print(sorted(m for m in ('pytest_convitems.models', 'yaml', 'deepdiff', 'vcr') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dir_lists_every_public_name() -> None:
    import pytest_convitems

    assert set(pytest_convitems.__all__) <= set(dir(pytest_convitems))
