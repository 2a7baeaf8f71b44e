"""Check that each plugin is a separately installable distribution, found only through its entry point.

For every scenario a fresh virtualenv gets a plain (non-editable) ``pip install`` of the core plus the
named plugins, nothing else; then ``planpilot-providers list --json`` must show exactly the providers of
the plugins installed, attributed to their distribution and version, with no plugin problems. Listing
must also stay import-light (no httpx/stamina/sgqlc, no provider module).

Usage (from anywhere; ``nox -s isolation`` runs it)::

    python tests/support/isolation_check.py                       # every scenario
    python tests/support/isolation_check.py core-only dry-run     # some of them
    python tests/support/isolation_check.py --keep                # keep the venvs for a look

Stdlib only: it runs in an empty nox session.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE_DIST = "planpilot-providers-core"

# Plugin directory -> the provider name its entry point registers.
PLUGINS = {"dry-run": "dry-run", "github": "github", "jira": "jira", "linear": "linear"}

HEAVY_MODULES = ("httpx", "stamina", "sgqlc", "markdown_it")
LIST_PROBE = """
import json, os, sys
os.environ["PLANPILOT_PROVIDERS_NO_CACHE"] = "1"  # discovery itself, not the listing the run before remembered
from planpilot_providers_core import cli
cli.main(["list", "--json"])
heavy = [m for m in sys.modules if m.split(".")[0] in {heavy!r} or m.endswith(".provider")]
print("IMPORTED=" + json.dumps(sorted(heavy)), file=sys.stderr)
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    plugins: tuple[str, ...]
    """Directories under ``plugins/`` to install next to the core."""


SCENARIOS = (
    Scenario("core-only", ()),
    Scenario("dry-run", ("dry-run",)),
    Scenario("github", ("github",)),
    Scenario("jira", ("jira",)),
    Scenario("linear", ("linear",)),
)


def project(path: Path) -> tuple[str, str]:
    """(distribution name, version) from a ``pyproject.toml``, so expectations follow the packages."""
    meta = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    return meta["name"], meta["version"]


def run(cmd: Sequence[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run outside the repository, without the caller's discovery switches or PYTHONPATH leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANPILOT_PROVIDERS_") and k != "PYTHONPATH"}
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, check=False)


def check(scenario: Scenario, workdir: Path) -> list[str]:
    """Build the scenario's venv and return what is wrong with it (empty when it passes)."""
    venv = workdir / scenario.name
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    failures: list[str] = []

    made = run([sys.executable, "-m", "venv", venv], cwd=workdir)
    if made.returncode:
        return [f"python -m venv failed:\n{made.stderr}"]
    install = run(
        [python, "-m", "pip", "install", "--quiet", REPO, *(REPO / "plugins" / p for p in scenario.plugins)],
        cwd=workdir,
    )
    if install.returncode:
        return [f"pip install failed:\n{install.stdout}{install.stderr}"]

    # Only the core and the scenario's plugins are installed; in particular no editable link to the repo.
    freeze = run([python, "-m", "pip", "list", "--format=json"], cwd=workdir)
    installed = {d["name"].lower(): d for d in json.loads(freeze.stdout)}
    expected_dists = {CORE_DIST, *(project(REPO / "plugins" / p)[0] for p in scenario.plugins)}
    present = {n for n in installed if n.startswith("planpilot-")}
    if present != expected_dists:
        failures.append(f"installed planpilot distributions {sorted(present)}, expected {sorted(expected_dists)}")
    for name in present:
        if installed[name].get("editable_project_location"):
            failures.append(f"{name} is installed editable; the check needs a plain install")

    listing = run([bindir / "planpilot-providers", "list", "--json"], cwd=workdir)
    if listing.returncode:
        return [*failures, f"planpilot-providers list --json exited {listing.returncode}:\n{listing.stderr}"]
    data = json.loads(listing.stdout)
    providers = {p["name"]: p for p in data["providers"]}
    if data["problems"]:
        failures.append(f"plugin problems: {data['problems']}")

    wanted = {PLUGINS[p]: project(REPO / "plugins" / p) for p in scenario.plugins}
    if set(providers) != set(wanted):
        failures.append(f"listed providers {sorted(providers)}, expected {sorted(wanted)}")
    for name, (dist, version) in wanted.items():
        row = providers.get(name)
        if row and (row["distribution"], row["version"]) != (dist, version):
            failures.append(f"{name} listed from {row['distribution']} {row['version']}, expected {dist} {version}")

    if not scenario.plugins:
        text = run([bindir / "planpilot-providers", "list"], cwd=workdir)
        if "No providers installed" not in text.stdout:
            failures.append(f"core alone should print the install hint, got:\n{text.stdout}")

    probe = run([python, "-c", LIST_PROBE.format(heavy=set(HEAVY_MODULES))], cwd=workdir)
    imported = [line for line in probe.stderr.splitlines() if line.startswith("IMPORTED=")]
    if probe.returncode or not imported:
        failures.append(f"import probe failed:\n{probe.stderr}")
    elif json.loads(imported[0].removeprefix("IMPORTED=")):
        failures.append(f"listing imported heavy modules: {imported[0].removeprefix('IMPORTED=')}")

    if not failures:
        shown = ", ".join(f"{n} ({providers[n]['distribution']} {providers[n]['version']})" for n in sorted(providers))
        print(f"  providers: {shown or 'none'}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    names = [s.name for s in SCENARIOS]
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"any of {', '.join(names)} (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the virtualenvs and print where they are")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.scenarios) - set(names))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios]

    workdir = Path(tempfile.mkdtemp(prefix="planpilot-isolation-"))
    failed = 0
    try:
        for scenario in chosen:
            started = time.monotonic()
            what = " + ".join(["core", *scenario.plugins])
            print(f"[{scenario.name}] fresh venv with {what}", flush=True)
            failures = check(scenario, workdir)
            status = "ok" if not failures else "FAILED"
            print(f"[{scenario.name}] {status} ({time.monotonic() - started:.0f}s)", flush=True)
            for failure in failures:
                print(f"  - {failure}")
            failed += bool(failures)
    finally:
        if args.keep:
            print(f"virtualenvs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{len(chosen) - failed} of {len(chosen)} scenario(s) passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
