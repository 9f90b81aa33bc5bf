"""generated/ is reproducible from the contract, and the drift check catches staleness."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _copy_project(destination: Path) -> Path:
    """A minimal copy able to run ``make check-generated``, reusing the installed tools."""
    for name in ("openapi", "generated"):
        shutil.copytree(REPO_ROOT / name, destination / name)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO_ROOT / name, destination / name)
    (destination / "frontend").mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(REPO_ROOT / "frontend" / name, destination / "frontend" / name)
    (destination / ".venv").symlink_to(REPO_ROOT / ".venv")
    (destination / "frontend" / "node_modules").symlink_to(REPO_ROOT / "frontend" / "node_modules")
    return destination


def _check_generated(project: Path) -> subprocess.CompletedProcess[str]:
    # Stamps are "new enough" in the copy: -o makes make treat them as up to date.
    return subprocess.run(
        ["make", "-o", ".venv/.installed", "-o", "frontend/node_modules/.installed",
         "check-generated"],
        cwd=project, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO_ROOT / "frontend" / "node_modules").is_dir():
        pytest.skip("frontend/node_modules is not installed (run via make test)")
    return _copy_project(tmp_path_factory.mktemp("project"))


def test_check_generated_passes_on_the_committed_tree(project_copy: Path) -> None:
    result = _check_generated(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_generated_fails_after_an_unregenerated_contract_change(
    project_copy: Path,
) -> None:
    contract = project_copy / "openapi" / "openapi.yaml"
    original = contract.read_text(encoding="utf-8")
    changed = original.replace("enum: [ok, degraded]", "enum: [ok, degraded, starting]", 1)
    assert changed != original
    contract.write_text(changed, encoding="utf-8")
    try:
        result = _check_generated(project_copy)
    finally:
        contract.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "starting" in result.stdout
    assert "generated/ is stale" in result.stderr
