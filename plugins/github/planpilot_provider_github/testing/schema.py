"""The pinned GitHub schema, built once per process (about a second) with the resolvers attached, plus a
small cache of parsed-and-validated documents because clients send the same few operations over and over
(core's :class:`~planpilot_providers_core.emulation.graphql.SchemaHost`)."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLSchema

from planpilot_providers_core.emulation.graphql import PreparedDocument, SchemaHost

from .resolvers import attach_resolvers

__all__ = ["SCHEMA_PATH", "github_schema", "prepare_document"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "graphql" / "schema" / "github.graphql"
_HOST = SchemaHost(SCHEMA_PATH, attach_resolvers)


def github_schema() -> GraphQLSchema:
    """The executable schema (shared by every emulator in the process; state travels in the context)."""
    return _HOST.schema()


def prepare_document(query: str) -> PreparedDocument:
    """Parse and validate ``query`` against the schema: (document, []) or (None|document, errors)."""
    return _HOST.document(query)
