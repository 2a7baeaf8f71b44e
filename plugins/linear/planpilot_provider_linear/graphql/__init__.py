"""Typed GraphQL layer of the Linear provider.

- ``schema/linear.graphql``: the pinned Linear schema (SDL), see ``schema/SOURCE.md``;
- ``operations/*.graphql``: every operation the provider sends (the single source of truth);
- ``generated/``: sgqlc code generated from both by ``plugins/linear/tools/codegen.py`` (``nox -s codegen``):
  ``generated.schema`` (pruned schema, symbol ``linear_schema``) and one module per operations file, e.g.
  ``generated.issues``.

Importing this package is cheap: it loads neither sgqlc nor the generated code.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["OPERATIONS_DIR", "PINNED_VERSION", "SCHEMA_PATH", "operation_files"]

PINNED_VERSION = "linear/linear@d044ca658728"
"""Repository and commit of the vendored schema (keep in step with ``schema/SOURCE.md``)."""

_HERE = Path(__file__).resolve().parent
SCHEMA_PATH = _HERE / "schema" / "linear.graphql"
"""The vendored Linear GraphQL schema (SDL)."""
OPERATIONS_DIR = _HERE / "operations"


def operation_files() -> list[Path]:
    """All operation documents, sorted by name; ``<name>.graphql`` is generated into ``generated.<name>``."""
    return sorted(OPERATIONS_DIR.glob("*.graphql"))
