"""The role boundaries written in pyproject.toml hold, and a forbidden import breaks them.

``lint-imports`` (import-linter) runs in ``make lint``; these tests run it on the package as it is
and on a copy with one import that crosses a boundary, so a contract that stopped checking
anything would fail here.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.helpers import PROCESS_TIMEOUT

REPO = pathlib.Path(__file__).resolve().parent.parent
CONNECTORS_CONTRACT = "Connectors never import storage, metadata or capture"
LINT_IMPORTS = pathlib.Path(sys.executable).with_name("lint-imports")


def _lint(root: pathlib.Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts, reading the package under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


@pytest.fixture
def package_copy(tmp_path: pathlib.Path) -> pathlib.Path:
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "archive_lib", tmp_path / "archive_lib", ignore=ignore)
    return tmp_path


def test_the_package_keeps_every_contract(package_copy: pathlib.Path) -> None:
    result = _lint(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert f"{CONNECTORS_CONTRACT} KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("connectors/paths.py", "import archive_lib.storage.base", CONNECTORS_CONTRACT),
        ("registry/render.py", "import archive_lib.capture.versions", "The registry never imports capture"),
        ("metadata/schema.py", "import airflow", "Only the Airflow glue imports Airflow"),
        ("storage/file.py", "import archive_lib.audit.report", "Each role imports only the roles below it"),
        ("clock.py", "import archive_lib.search.query", "The shared core imports no role"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    package_copy: pathlib.Path, module: str, statement: str, contract: str
) -> None:
    path = package_copy / "archive_lib" / module
    path.write_text(path.read_text() + f"\n{statement}  # crosses a boundary\n")
    result = _lint(package_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout


def test_every_module_but_the_glue_is_kept_from_airflow() -> None:
    """A new top-level module or package is named in the Airflow contract, so it is checked too."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    checked = set(contracts["Only the Airflow glue imports Airflow"]["source_modules"])
    package = REPO / "archive_lib"
    modules = {
        f"archive_lib.{path.stem}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert modules - checked == {"archive_lib.airflow_glue"}
    assert checked <= modules
