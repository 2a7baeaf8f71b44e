"""Every routine task is a nox session; each builds its own virtualenv and installs what it needs.

nox                     # tests, lint, typecheck
nox -s tests -- -k registry -x
nox -s isolation        # fresh venvs per plugin combination (needs the package index)
nox -s codegen          # regenerate the GitHub plugin's sgqlc code from its .graphql files
nox -s bench            # request counts, sync wall time and memory, CLI start-up, budgets (benchmarks/)
nox -s demo             # sync the example plan to the GitHub emulator twice; the second run writes nothing
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.error_on_missing_interpreters = True

CORE = "."
DRY_RUN = "./plugins/dry-run"
GITHUB = "./plugins/github[emulator]"
TEST_DEPS = ("pytest>=8", "pytest-asyncio>=0.24", "hypothesis>=6.100")


@nox.session
def tests(session: nox.Session) -> None:
    """Install core and both plugins as users get them (plain installs), then run the whole test suite."""
    session.install(CORE, DRY_RUN, GITHUB, *TEST_DEPS)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint rules and formatting, as configured in pyproject.toml."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over core and both plugins (the files listed in pyproject.toml)."""
    # Editable, so mypy sees each module once (the source tree) with its dependencies installed.
    session.install("-e", CORE, "-e", DRY_RUN, "-e", GITHUB, "mypy", *TEST_DEPS)
    session.run("mypy", *session.posargs)


@nox.session
def isolation(session: nox.Session) -> None:
    """Each plugin installs and is discovered on its own: core alone, core + dry-run, core + github.

    The script builds its own fresh virtualenvs (one per combination), so this session installs nothing.
    Pass scenario names to run some of them: ``nox -s isolation -- core-only dry-run``.
    """
    session.run("python", "tests/support/isolation_check.py", *session.posargs)


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate the GitHub plugin's typed GraphQL layer from the vendored schema and .graphql files."""
    session.install(CORE, GITHUB)
    session.run("python", "plugins/github/tools/codegen.py", *session.posargs)


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail if the committed generated code differs from what codegen would write now."""
    session.install(CORE, GITHUB)
    session.run("python", "plugins/github/tools/codegen.py", "--check")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (never run as tests): provider request costs, then sync of 50 and 500 items to the
    emulator on loopback (20 ms latency) at concurrency 1 and 10, plus CLI start-up, then the budget table:
    500 and 5,000 items against GitHub's budgets on the emulator's virtual clock, paced by the budgets
    vs 1 s between mutations. Plain installs, so modules are byte-compiled as users get them. Results: a
    table on stdout, JSON in benchmarks/results/."""
    session.install(CORE, DRY_RUN, GITHUB)
    session.run("python", "benchmarks/bench_provider.py", "--items", "100")
    session.run("python", "benchmarks/bench_sync.py", *session.posargs)
    session.run("python", "benchmarks/bench_budgets.py")


@nox.session
def demo(session: nox.Session) -> None:
    """Start the GitHub emulator on loopback, sync examples/roadmap.json to it through the CLI, then sync
    again and show that nothing changed (fails if the second sync writes anything)."""
    session.install(CORE, DRY_RUN, GITHUB)
    session.run("python", "examples/emulator_demo.py", *session.posargs)


@nox.session
def example(session: nox.Session) -> None:
    """The example third-party plugin (examples/planpilot-provider-tracklet), installed as a user would: its tests
    (the conformance suite, faults, end-to-end CLI syncs against its fake service) and mypy --strict on it."""
    plugin = "examples/planpilot-provider-tracklet"
    session.install(CORE, f"./{plugin}", *TEST_DEPS, "mypy")
    session.run("pytest", f"{plugin}/tests", *session.posargs)
    session.run("mypy", "--strict", f"{plugin}/planpilot_provider_tracklet", f"{plugin}/tests")
