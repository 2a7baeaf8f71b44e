"""Each distribution is ready for PyPI: its own README as the long description, with links that work from
PyPI and Python snippets that run, project URLs, and the classifiers users filter by.

(``nox -s dist`` builds the wheels and sdists and runs ``twine check --strict`` on them.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def _registers_a_provider(directory: Path) -> bool:
    """A plugin directory is a distribution to publish once it registers a provider (a plugin still being
    written, with no entry point yet, is not)."""
    meta = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
    return bool(meta.get("entry-points", {}).get("planpilot.providers"))


DISTRIBUTIONS = [
    REPO,
    *(d for d in sorted(REPO.glob("plugins/*/")) if (d / "pyproject.toml").is_file() and _registers_a_provider(d)),
    *(d for d in sorted(REPO.glob("examples/*/")) if (d / "pyproject.toml").is_file()),
]
LINK = re.compile(r"\]\(([^)\s]+)\)")
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def project(directory: Path) -> dict[str, Any]:
    meta: dict[str, Any] = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
    return meta


@pytest.mark.parametrize("directory", DISTRIBUTIONS, ids=lambda d: "core" if d == REPO else d.name)
def test_long_description_is_the_distributions_own_readme_with_absolute_links(directory: Path) -> None:
    meta = project(directory)
    readme = directory / str(meta["readme"])
    text = readme.read_text()
    assert text.startswith(f"# {meta['name']}"), f"{readme} should start with the distribution's name"
    relative = [link for link in LINK.findall(text) if not link.startswith(("https://", "http://"))]
    assert relative == [], f"{readme}: links relative to the repository do not work on PyPI: {relative}"
    assert "pip install" in text, f"{readme} should say how to install it"


@pytest.mark.parametrize("directory", DISTRIBUTIONS, ids=lambda d: "core" if d == REPO else d.name)
def test_metadata_has_urls_classifiers_and_a_licence(directory: Path) -> None:
    meta = project(directory)
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(meta["urls"])
    classifiers = meta["classifiers"]
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert meta["license"] == "MIT"
    assert (directory / "LICENSE").is_file()
    package = next(directory.glob("planpilot_provider*/py.typed"), None)
    assert package is not None, f"{directory}: the package should ship py.typed"


@pytest.mark.parametrize(
    "readme",
    [REPO / "PYPI.md", REPO / "plugins" / "dry-run" / "README.md", REPO / "plugins" / "linear" / "README.md"],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_python_snippets_in_pypi_readmes_run(readme: Path, tmp_path: Path) -> None:
    blocks = PYTHON_BLOCK.findall(readme.read_text())
    assert blocks, f"{readme} has no Python snippet"
    shutil.copy(REPO / "examples" / "roadmap.json", tmp_path / "roadmap.json")
    for block in blocks:
        run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, check=False)
        assert run.returncode == 0, f"snippet from {readme} failed:\n{block}\n{run.stderr}"
