"""Generate the GitHub plugin's typed sgqlc layer (``planpilot_provider_github/graphql/generated/``).

The generator is shared by every GraphQL plugin (``tools/graphql_codegen.py``); this script names the
plugin. From the repository root::

    python plugins/github/tools/codegen.py            # write graphql/generated/
    python plugins/github/tools/codegen.py --check    # exit 1 and list files that differ
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))
import graphql_codegen  # a repository script (tools/), not an installed package

TARGET = graphql_codegen.Target.for_plugin("github")


def main(argv: Sequence[str] | None = None) -> int:
    return graphql_codegen.main(TARGET, argv)


if __name__ == "__main__":
    sys.exit(main())
