"""Every fenced block of the docs runs (or is checked by a documented rule), page by page, in a sandbox.

The rules are in ``tools/docs_snippets.py`` (its docstring lists them; the development page of the docs says
the same). The last tests here show that the harness fails where it should: a block no rule covers, a command
hidden in a text block, an exit code other than the page's, output the commands did not print, a pip line
naming a path or extra that does not exist.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import docs_snippets  # noqa: E402 -- a repository script (tools/), not an installed package
from docs_snippets import PageRun, SnippetError  # noqa: E402

PAGES = docs_snippets.pages()


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per test worker: the pages' type checks share what they learnt of core and its deps."""
    return tmp_path_factory.mktemp("docs-mypy-cache")


def run(page: Path, tmp_path: Path, mypy_cache: Path) -> None:
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    PageRun.create(sandbox, mypy_cache).run_page(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_block_of_the_page_runs(page: Path, tmp_path: Path, mypy_cache: Path) -> None:
    assert docs_snippets.blocks(page) or page.name == "index.md" or "reference" in page.parts, (
        f"{page}: expected code on this page"
    )
    run(page, tmp_path, mypy_cache)


@pytest.mark.parametrize("module", docs_snippets.documented_modules())
def test_docstring_examples_on_the_reference_pages_compile(module: str) -> None:
    for where, code in docs_snippets.docstring_examples(module):
        docs_snippets.check_compiles(where, code)


def test_docstring_examples_are_found_and_a_broken_one_fails() -> None:
    examples = dict(docs_snippets.docstring_examples("planpilot_providers_core.progress"))
    assert any("progress = CreateProgress()" in code for code in examples.values()), examples
    with pytest.raises(SnippetError, match="does not compile"):
        docs_snippets.check_compiles("a docstring", "def broken(:\n")


def test_the_pages_are_the_docs_the_readme_and_the_examples_readme() -> None:
    names = {str(p.relative_to(REPO)) for p in PAGES}
    assert {"README.md", "docs/getting-started.md", "docs/authoring.md"} <= names
    assert "examples/planpilot-provider-tracklet/README.md" in names


def test_every_docs_page_is_in_the_sites_navigation() -> None:
    """A page left out of ``nav`` is built but found by nobody (mkdocs only mentions it, even with --strict)."""
    nav = (REPO / "mkdocs.yml").read_text()
    pages = [p.relative_to(REPO / "docs") for p in (REPO / "docs").rglob("*.md")]
    missing = [str(p) for p in pages if f": {p}" not in nav]
    assert missing == [], f"add these pages to mkdocs.yml's nav: {missing}"


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    readme_commands = [
        code
        for block in docs_snippets.blocks(REPO / "README.md")
        if block.lang == "sh"
        for code, _ in docs_snippets.logical_lines(block.code)
    ]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert "python3 -m pip install -c constraints.txt nox && python3 -m nox -s tests" in readme_commands
    assert "python3 -m pip install -c constraints.txt nox && python3 -m nox -s tests" in ci


def test_the_docs_session_installs_what_the_lock_pins() -> None:
    """``nox -s docs`` builds from locked versions: the lock session installs the docs tools too."""
    pins = docs_snippets.locked()
    for name in ("mkdocs", "mkdocs-material", "mkdocstrings", "mkdocstrings-python", "pymdown-extensions"):
        assert name in pins, f"{name} is not in constraints.txt: run nox -s lock"
    assert "docs" in docs_snippets.nox_sessions()
    assert "docs" in (REPO / ".ci" / "run").read_text()


# -- the harness fails where it should --------------------------------------------------------------------


CheckPage = Callable[[str], None]


@pytest.fixture
def check_page(tmp_path: Path, mypy_cache: Path) -> CheckPage:
    """``check_page(markdown)``: run a page made of ``markdown`` as the docs' pages are run."""
    count = iter(range(1000))

    def check(text: str) -> None:
        number = next(count)
        page = tmp_path / f"page-{number}.md"
        page.write_text(text)
        work = tmp_path / f"run-{number}"
        work.mkdir()
        run(page, work, mypy_cache)

    return check


def test_a_block_in_a_language_without_a_rule_fails(check_page: CheckPage) -> None:
    with pytest.raises(SnippetError, match="no rule runs a 'ruby' block"):
        check_page("```ruby\nputs 1\n```\n")


def test_a_command_hidden_in_a_text_block_fails(check_page: CheckPage) -> None:
    with pytest.raises(SnippetError, match="is a command"):
        check_page("```\nplanpilot-providers sync examples/roadmap.json\n```\n")


def test_an_unknown_shell_command_fails(check_page: CheckPage) -> None:
    with pytest.raises(SnippetError, match="no rule runs 'curl'"):
        check_page("```sh\ncurl https://example.org\n```\n")


def test_an_exit_code_other_than_the_pages_fails(check_page: CheckPage) -> None:
    check_page("```sh\nplanpilot-providers sync examples/roadmap.json --dry-run   # exits 5: changes pending\n```\n")
    with pytest.raises(SnippetError, match="exited 5, the page says 0"):
        check_page("```sh\nplanpilot-providers sync examples/roadmap.json --dry-run\n```\n")


def test_output_the_commands_did_not_print_fails(check_page: CheckPage) -> None:
    command = "```sh\nplanpilot-providers sync examples/roadmap.json\n```\n"
    check_page(command + '```text title="Output"\n...\ntotal       43        0          0       0        0\n```\n')
    with pytest.raises(SnippetError, match="did not print"):
        check_page(command + '```text title="Output"\ntotal       44        0          0       0        0\n```\n')


def test_a_failing_python_block_fails_and_one_that_does_not_type_check_too(check_page: CheckPage) -> None:
    with pytest.raises(SnippetError, match="the Python block failed"):
        check_page("```python\nraise SystemExit(3)\n```\n")
    with pytest.raises(SnippetError, match="mypy --strict"):
        check_page("```python\ndef untyped(x):\n    return x\n```\n")


def test_a_real_tracker_command_must_get_as_far_as_the_network(check_page: CheckPage) -> None:
    # A bad option is refused before the network (exit 2): not "as far as the network".
    with pytest.raises(SnippetError, match="as far as the network"):
        check_page("```sh\nexport GITHUB_TOKEN=...\nplanpilot-providers check --provider github --target acme\n```\n")


def test_pip_lines_are_checked_against_the_repository() -> None:
    check = docs_snippets.check_pip_install
    assert check([".", "./plugins/dry-run", "./plugins/github[emulator]"], REPO) == []
    assert check(["-c", "constraints.txt", "nox"], REPO) == []
    assert check(["planpilot-providers-core", "planpilot-provider-github"], REPO) == []
    assert check(["./plugins/nothing"], REPO) == [
        "./plugins/nothing: not a distribution of this repository (no pyproject.toml there)"
    ]
    assert check(["./plugins/github[nothing]"], REPO) == [
        "./plugins/github[nothing]: planpilot-provider-github has no extra 'nothing'"
    ]
    assert check(["requests-oauthlib"], REPO) == [
        "requests-oauthlib: neither a distribution of this repository nor pinned in constraints.txt"
    ]
    assert check(["-c", "nothing.txt", "nox"], REPO) == ["-c nothing.txt: no such file"]


def test_a_fragment_needs_its_whole_file_on_the_page(check_page: CheckPage) -> None:
    provider = "examples/planpilot-provider-tracklet/planpilot_provider_tracklet/provider.py"
    fragment = f'```python\n--8<-- "{provider}:options"\n```\n'
    with pytest.raises(SnippetError, match="does not include the whole file"):
        check_page(fragment)


def test_the_distribution_names_in_the_harness_are_the_pyproject_names() -> None:
    names = set(docs_snippets.our_projects())
    root = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
    assert {root, "planpilot-provider-dry-run", "planpilot-provider-github", "planpilot-provider-tracklet"} <= names
