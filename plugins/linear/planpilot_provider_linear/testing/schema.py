"""The pinned Linear schema, built once per process (a couple of seconds for 1.25 MB of SDL) with the
resolvers attached, and its cache of parsed-and-validated documents (core's ``SchemaHost``)."""

from __future__ import annotations

from graphql import GraphQLSchema

from planpilot_provider_linear.graphql import SCHEMA_PATH
from planpilot_providers_core.emulation.graphql import PreparedDocument, SchemaHost

from .resolvers import attach_resolvers

__all__ = ["SCHEMA_PATH", "linear_schema", "prepare_document"]

_HOST = SchemaHost(SCHEMA_PATH, attach_resolvers)


def linear_schema() -> GraphQLSchema:
    """The executable schema (shared by every emulator in the process; state travels in the context)."""
    return _HOST.schema()


def prepare_document(query: str) -> PreparedDocument:
    """Parse and validate ``query`` against the schema: (document, []) or (None|document, errors)."""
    return _HOST.document(query)
