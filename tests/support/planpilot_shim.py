"""Run PlanPilot's own command line with its GitHub GraphQL endpoint taken from ``PLANPILOT_API_URL``.

PlanPilot 2.7 always talks to ``https://api.github.com/graphql`` (its GitHub provider builds its GraphQL
client with that URL and offers no setting for it). This shim, run by the Python of the virtualenv PlanPilot
is installed in, hands that client the emulator's URL instead and then runs ``planpilot`` unchanged, so
``tests/support/planpilot_compat.py`` can run the real PlanPilot against the GitHub emulator on loopback.

It imports nothing from this project: PlanPilot lives in its own virtualenv.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _point_at_emulator(url: str) -> None:
    from planpilot.core.providers.github import provider  # PlanPilot's module

    base = provider.GitHubGraphQLClient

    class ToEmulator(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["url"] = url
            super().__init__(*args, **kwargs)

    provider.GitHubGraphQLClient = ToEmulator  # type: ignore[misc]


def main() -> int:
    url = os.environ.get("PLANPILOT_API_URL")
    if not url:
        print("planpilot_shim: set PLANPILOT_API_URL to the GraphQL endpoint to use", file=sys.stderr)
        return 2
    _point_at_emulator(url)
    from planpilot.cli import main as planpilot

    return int(planpilot(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
