"""What every GraphQL emulator shares: the pinned schema built once per process with its resolvers attached,
a cache of parsed-and-validated documents (clients send the same few operations over and over), and the
default way a field reads a plain model object.

Needs graphql-core (each GraphQL plugin's ``emulator`` extra); ``planpilot_providers_core.emulation`` does not
import this module, so core itself stays free of it.
"""

from __future__ import annotations

import gc
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    parse,
    validate,
)

__all__ = ["PreparedDocument", "ResolverRegistry", "SchemaHost", "attribute_resolver"]

PreparedDocument = tuple[DocumentNode | None, list[GraphQLError]]
"""``(document, [])`` when valid; ``(None, [syntax error])`` or ``(document, [validation errors])`` when not."""
Resolver = Callable[..., Any]
F = TypeVar("F", bound=Resolver)


class ResolverRegistry:
    """Resolvers by ``"Type.field"``, registered at import time and installed on the schema once it is built."""

    def __init__(self) -> None:
        self._resolvers: dict[tuple[str, str], Resolver] = {}

    def register(self, target: str, fn: Resolver) -> None:
        type_name, _, field_name = target.partition(".")
        if not type_name or not field_name:
            raise ValueError(f"a resolver target is 'Type.field', got {target!r}")
        self._resolvers[(type_name, field_name)] = fn

    def resolves(self, *targets: str) -> Callable[[F], F]:
        """Decorator: ``@registry.resolves("Query.issue", "Team.issues")``."""

        def register(fn: F) -> F:
            for target in targets:
                self.register(target, fn)
            return fn

        return register

    def attach(self, schema: GraphQLSchema) -> None:
        """Install every resolver (a target the schema lacks is an emulator bug, reported by name), and resolve
        interfaces and unions by the model object's ``graphql_typename``."""
        for (type_name, field_name), fn in self._resolvers.items():
            graphql_type = schema.get_type(type_name)
            if not isinstance(graphql_type, GraphQLObjectType) or field_name not in graphql_type.fields:
                raise RuntimeError(f"resolver registered for unknown field {type_name}.{field_name}")
            graphql_type.fields[field_name].resolve = fn
        for graphql_type in schema.type_map.values():
            if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
                graphql_type.resolve_type = _typename_of


def _typename_of(value: Any, _info: GraphQLResolveInfo, _abstract: Any) -> str | None:
    return cast(str | None, getattr(value, "graphql_typename", None))


@cache
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def attribute_resolver(unsupported: Callable[[str], Exception]) -> Resolver:
    """The default field resolver for a model of plain objects: a payload dict's key, else the object's
    snake_case attribute (``labelIds`` reads ``label_ids``). A field the model lacks raises
    ``unsupported("Type.field")``, so the emulator says it does not model it instead of answering null."""

    def resolve(source: Any, info: GraphQLResolveInfo, **_args: Any) -> Any:
        if isinstance(source, Mapping):
            return source.get(info.field_name)
        try:
            return getattr(source, _snake(info.field_name))
        except AttributeError:
            raise unsupported(f"{info.parent_type.name}.{info.field_name}") from None

    return resolve


class SchemaHost:
    """One pinned schema per process, shared by every emulator of that tracker (state travels in the context).

    Building a large SDL takes seconds, so it happens once, on first use, with ``prepare`` (attach resolvers,
    type resolution, scalar serialisation) run on it before anyone sees it. :meth:`document` parses and
    validates a query against it, keeping the last ``cache_size`` results.
    """

    def __init__(self, sdl_path: Path, prepare: Callable[[GraphQLSchema], None], *, cache_size: int = 512) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.sdl_path = sdl_path
        self._prepare = prepare
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._schema: GraphQLSchema | None = None
        self._documents: OrderedDict[str, PreparedDocument] = OrderedDict()

    def schema(self) -> GraphQLSchema:
        """The executable schema, built on the first call."""
        with self._lock:
            if self._schema is None:
                sdl = self.sdl_path.read_text(encoding="utf-8")
                gc.disable()  # the SDL builds ~10^6 objects; the cyclic collector only slows that down
                try:
                    schema = build_schema(sdl, assume_valid=True)
                finally:
                    gc.enable()
                self._prepare(schema)
                self._schema = schema
            return self._schema

    def document(self, query: str) -> PreparedDocument:
        """``query`` parsed and validated against :meth:`schema` (cached by its exact text)."""
        schema = self.schema()
        with self._lock:
            cached = self._documents.get(query)
            if cached is not None:
                self._documents.move_to_end(query)
                return cached
        try:
            document = parse(query)
        except GraphQLError as error:
            result: PreparedDocument = (None, [error])
        else:
            result = (document, list(validate(schema, document)))
        with self._lock:
            self._documents[query] = result
            if len(self._documents) > self._cache_size:
                self._documents.popitem(last=False)
        return result
