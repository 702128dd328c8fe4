"""Cassette folders and names for tests, as plain functions (`cassette_names`)."""

from __future__ import annotations

import os
from pathlib import Path

from pytest_convitems.cassette_names import (
    cassette_for_test,
    module_folder,
    named_cassette,
    package_name,
)


def test_names_are_pytest_recordings() -> None:
    assert cassette_for_test("f", "test_p[a/b:c]", None) == f"f{os.sep}test_p[a-b-c].yaml"
    assert cassette_for_test("f", "test_x", "TestK") == f"f{os.sep}TestK.test_x.yaml"
    assert cassette_for_test("f", "test_x[a b]", None) == f"f{os.sep}test_x[a b].yaml"


def test_a_name_too_long_for_the_file_system_keeps_its_head_and_gains_its_md5(
    tmp_path: Path,
) -> None:
    long = "test_" + "x" * 400
    name = Path(cassette_for_test(str(tmp_path), long, None)).name
    assert len(name) <= os.pathconf(tmp_path, "PC_NAME_MAX")
    assert name.startswith("test_xxx") and "..." in name and name.endswith(".yaml")


def test_a_named_cassette_is_relative_to_the_module_folder_and_gets_yaml(tmp_path: Path) -> None:
    folder = str(tmp_path / "cassettes" / "test_a")
    assert named_cassette("shared.v2", folder) == Path(folder) / "shared.v2.yaml"
    assert named_cassette("x.json", folder) == Path(folder) / "x.json"
    assert named_cassette("../common/x", folder) == tmp_path / "cassettes" / "common" / "x.yaml"
    assert named_cassette(str(tmp_path / "abs.yml"), folder) == tmp_path / "abs.yml"


def test_module_folders_beside_the_file_or_by_module_name_under_a_cassette_dir(
    tmp_path: Path,
) -> None:
    (tmp_path / "pkg" / "unit").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").touch()
    (tmp_path / "pkg" / "unit" / "__init__.py").touch()
    module = tmp_path / "pkg" / "unit" / "test_api.py"
    assert package_name(module) == "pkg.unit.test_api"
    assert package_name(tmp_path / "test_top.py") == "test_top"
    assert module_folder(module, None) == str(tmp_path / "pkg" / "unit" / "cassettes" / "test_api")
    assert module_folder(module, tmp_path / "cas") == str(tmp_path / "cas" / "pkg.unit.test_api")
