"""planpilot_providers_core.emulation.graphql: one schema per process with resolvers attached, cached documents."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from graphql import GraphQLSchema, execute_sync

from planpilot_providers_core.emulation.graphql import ResolverRegistry, SchemaHost, attribute_resolver

SDL = """
type Query { hello(name: String!): String!  count: Int! }
"""


@pytest.fixture
def sdl_path(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.graphql"
    path.write_text(SDL, encoding="utf-8")
    return path


def test_schema_is_built_once_and_prepared_before_use(sdl_path: Path) -> None:
    registry = ResolverRegistry()

    @registry.resolves("Query.hello")
    def hello(_root: object, _info: object, name: str) -> str:
        return f"hi {name}"

    prepared: list[GraphQLSchema] = []

    def prepare(schema: GraphQLSchema) -> None:
        registry.attach(schema)
        prepared.append(schema)

    host = SchemaHost(sdl_path, prepare)
    schemas: list[GraphQLSchema] = []
    threads = [threading.Thread(target=lambda: schemas.append(host.schema())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(prepared) == 1
    assert all(schema is prepared[0] for schema in schemas)
    document, errors = host.document('{ hello(name: "ada") }')
    assert errors == []
    assert document is not None
    assert execute_sync(host.schema(), document).data == {"hello": "hi ada"}


def test_documents_are_cached_by_text_and_evicted_oldest_first(sdl_path: Path) -> None:
    host = SchemaHost(sdl_path, lambda _schema: None, cache_size=2)
    first = host.document("{ count }")
    assert host.document("{ count }") is first
    host.document('{ hello(name: "a") }')
    host.document('{ hello(name: "b") }')  # evicts "{ count }", the least recently used
    assert host.document("{ count }") is not first


def test_syntax_and_validation_errors_are_returned_not_raised(sdl_path: Path) -> None:
    host = SchemaHost(sdl_path, lambda _schema: None)
    document, errors = host.document("{ count")
    assert document is None
    assert "Syntax Error" in errors[0].message
    document, errors = host.document("{ cont }")
    assert document is not None
    assert "Cannot query field 'cont' on type 'Query'. Did you mean 'count'?" in [e.message for e in errors]
    with pytest.raises(ValueError, match="cache_size"):
        SchemaHost(sdl_path, lambda _schema: None, cache_size=0)


def test_registry_refuses_targets_the_schema_lacks(sdl_path: Path) -> None:
    registry = ResolverRegistry()
    registry.register("Query.missing", lambda *_: None)
    with pytest.raises(RuntimeError, match=r"unknown field Query\.missing"):
        SchemaHost(sdl_path, registry.attach).schema()
    with pytest.raises(ValueError, match=r"'Type\.field'"):
        registry.register("Query", lambda *_: None)


def test_attribute_resolver_reads_dicts_and_snake_case_attributes_and_refuses_the_rest(sdl_path: Path) -> None:
    sdl_path.write_text(
        """type Query { thing: Thing  named: Named  payload: Payload }
        interface Named { name: String }
        type Thing implements Named { name: String  labelIds: [String!]  missing: Int }
        type Payload { success: Boolean }""",
        encoding="utf-8",
    )

    class Thing:
        graphql_typename = "Thing"
        name = "a thing"
        label_ids = ["l1"]

    registry = ResolverRegistry()
    registry.register("Query.thing", lambda *_: Thing())
    registry.register("Query.named", lambda *_: Thing())
    registry.register("Query.payload", lambda *_: {"success": True})
    host = SchemaHost(sdl_path, registry.attach)
    resolver = attribute_resolver(lambda field: LookupError(f"no model for {field}"))

    def run(query: str) -> object:
        document, errors = host.document(query)
        assert errors == []
        assert document is not None
        return execute_sync(host.schema(), document, field_resolver=resolver)

    ok = run("{ thing { name labelIds } named { __typename name } payload { success } }")
    assert ok.data == {  # type: ignore[attr-defined]
        "thing": {"name": "a thing", "labelIds": ["l1"]},
        "named": {"__typename": "Thing", "name": "a thing"},  # the interface resolves by graphql_typename
        "payload": {"success": True},
    }
    refused = run("{ thing { missing } }")
    assert [e.message for e in refused.errors] == ["no model for Thing.missing"]  # type: ignore[attr-defined]
