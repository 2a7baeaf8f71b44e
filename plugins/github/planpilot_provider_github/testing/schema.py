"""The pinned GitHub schema, built once per process (about a second) with the resolvers attached, plus a
small cache of parsed-and-validated documents because clients send the same few operations over and over."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from graphql import DocumentNode, GraphQLError, GraphQLSchema, build_schema, parse, validate

from .resolvers import attach_resolvers

__all__ = ["SCHEMA_PATH", "github_schema", "prepare_document"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "graphql" / "schema" / "github.graphql"
_DOCUMENT_CACHE_SIZE = 512

_lock = threading.Lock()
_schema: GraphQLSchema | None = None
_documents: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = OrderedDict()


def github_schema() -> GraphQLSchema:
    """The executable schema (shared by every emulator in the process; state travels in the context)."""
    global _schema
    with _lock:
        if _schema is None:
            schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"), assume_valid=True)
            attach_resolvers(schema)
            _schema = schema
        return _schema


def prepare_document(query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """Parse and validate ``query`` against the schema: (document, []) or (None|document, errors)."""
    schema = github_schema()
    with _lock:
        cached = _documents.get(query)
        if cached is not None:
            _documents.move_to_end(query)
            return cached
    try:
        document = parse(query)
    except GraphQLError as error:
        result: tuple[DocumentNode | None, list[GraphQLError]] = (None, [error])
    else:
        result = (document, list(validate(schema, document)))
    with _lock:
        _documents[query] = result
        if len(_documents) > _DOCUMENT_CACHE_SIZE:
            _documents.popitem(last=False)
    return result
