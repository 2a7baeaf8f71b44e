"""Write the emulator's pruned OpenAPI subset from Atlassian's full descriptions.

    python plugins/jira/tools/prune_openapi.py           # rewrite the subset files in the package
    python plugins/jira/tools/prune_openapi.py --check   # exit 1 if they differ from what would be written

The full files (``plugins/jira/openapi/``) stay in the repository for tests; the package ships only the
operations the emulator implements (``IMPLEMENTED_OPERATIONS``) and the components they reference, so an
installed emulator loads a few hundred kilobytes instead of three megabytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planpilot_provider_jira.testing.openapi import (
    APIS,
    IMPLEMENTED_OPERATIONS,
    dump_subset,
    load_document,
    prune,
    subset_resource,
)

PLUGIN = Path(__file__).resolve().parents[1]
FULL = PLUGIN / "openapi"
SUBSET = PLUGIN / "planpilot_provider_jira" / "testing" / "schemas"


def expected_subsets(full: Path = FULL) -> dict[Path, str]:
    """Each subset file and the text it should hold."""
    return {
        SUBSET / subset_resource(api): dump_subset(prune(load_document(full / name), IMPLEMENTED_OPERATIONS[api]))
        for api, name in APIS.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a subset is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected_subsets().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        verb = "is stale" if args.check else "written"
        print(f"{path.relative_to(PLUGIN)}: {verb}", file=sys.stderr)
    if args.check and stale:
        print("run: python plugins/jira/tools/prune_openapi.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
