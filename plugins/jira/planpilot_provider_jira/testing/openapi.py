"""Atlassian's OpenAPI description as the emulator's contract: which operation a request is, whether the request
conforms (path, method, parameters, body), and whether an answer conforms (status, body).

Two documents: the platform REST v3 API and the Jira Software agile API. The package ships a pruned subset
(the operations the emulator implements, with every schema they reference; :mod:`tools/prune_openapi.py`
writes it from the full files vendored in ``plugins/jira/openapi/``); tests load the full files, and a test
fails when the subset drifts from them.

Schemas are checked with ``openapi-schema-validator`` (jsonschema with the OAS 3.0 dialect: ``nullable``,
``readOnly`` refused in requests, ``writeOnly`` refused in answers, OAS formats), one validator per schema,
compiled on first use. Parameters are read as the spec declares them (query: form, exploded; path: simple)
and cast to their schema's type. A few places where the published description disagrees with what Jira
accepts are corrected by :data:`ERRATA`, each with its reason; a test checks every erratum still applies.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import frozen

__all__ = [
    "APIS",
    "ERRATA",
    "IMPLEMENTED_OPERATIONS",
    "SCHEMA_ERRATA",
    "Contract",
    "Erratum",
    "Operation",
    "ParsedRequest",
    "RequestRefused",
    "SchemaErratum",
    "load_document",
    "packaged_contract",
    "prune",
    "subset_resource",
]

APIS = {"platform": "swagger-v3.v3.json", "software": "software-swagger.v3.json"}
"""Each API's name and the file name of its full description (``plugins/jira/openapi/``)."""

IMPLEMENTED_OPERATIONS: Mapping[str, frozenset[str]] = {
    "platform": frozenset(
        {
            "getCurrentUser",
            "getProject",
            "getAllStatuses",
            "getFields",
            "getCreateIssueMetaIssueTypes",
            "getCreateIssueMetaIssueTypeId",
            "createIssue",
            "createIssues",
            "getIssue",
            "editIssue",
            "deleteIssue",
            "bulkFetchIssues",
            "getTransitions",
            "doTransition",
            "getIssuePropertyKeys",
            "getIssueProperty",
            "setIssueProperty",
            "getIssueLinkTypes",
            "linkIssues",
            "getIssueLink",
            "deleteIssueLink",
            "searchAndReconsileIssuesUsingJql",
            "searchAndReconsileIssuesUsingJqlPost",
            "countIssues",
            "searchForIssuesUsingJql",
            "searchForIssuesUsingJqlPost",
            "getAllLabels",
            "getPriorities",
            "searchPriorities",
            "submitBulkMove",
            "getBulkOperationProgress",
        }
    ),
    "software": frozenset(
        {
            "getAllBoards",
            "getBoard",
            "getConfiguration",
            "getAllSprints",
            "getSprint",
            "moveIssuesToSprintAndRank",
            "moveIssuesToBacklog",
        }
    ),
}
"""The operations (by ``operationId``) the emulator answers; the pruned subset holds exactly these."""

_SUBSET_PACKAGE = "planpilot_provider_jira.testing.schemas"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@frozen
class Erratum:
    """One correction of the published description, applied when a document is loaded."""

    api: str
    operation_id: str
    parameter: str
    published: Mapping[str, Any]
    """The parameter schema as published (the erratum fails loudly once Atlassian changes it)."""
    corrected: Mapping[str, Any]
    reason: str


ERRATA: tuple[Erratum, ...] = (
    Erratum(
        "software",
        "getAllBoards",
        "type",
        {"additionalProperties": False, "type": "object"},
        {"type": "string"},
        "The description says 'Valid values: scrum, kanban, simple' (comma-separated); an object schema would "
        "refuse ?type=scrum, which Jira accepts.",
    ),
    Erratum(
        "software",
        "getAllSprints",
        "state",
        {"additionalProperties": False, "type": "object"},
        {"type": "string"},
        "The description says 'e.g. state=active,closed' (comma-separated); an object schema would refuse it.",
    ),
)


@frozen
class SchemaErratum:
    """One correction of a component schema of the published description, applied when a document is loaded."""

    api: str
    schema: str
    key: str
    published: Any
    """The value as published (the erratum fails loudly once Atlassian changes it)."""
    corrected: Any
    reason: str


SCHEMA_ERRATA: tuple[SchemaErratum, ...] = (
    SchemaErratum(
        "platform",
        "IssueBulkMovePayload",
        "required",
        ["targetToMultipleSourceMapping"],
        ["targetToSourcesMapping"],
        "The schema requires a property it does not define (and refuses undefined ones): no request could pass. "
        "Its own example, and the operation's description, send targetToSourcesMapping.",
    ),
    SchemaErratum(
        "platform",
        "targetToSourcesMapping",
        "required",
        [
            "inferClassificationDefaults",
            "inferFieldDefaults",
            "inferStatusDefaults",
            "inferSubtaskTypeDefault",
            "issueIdOrKeys",
        ],
        [
            "inferClassificationDefaults",
            "inferFieldDefaults",
            "inferStatusDefaults",
            "inferSubtaskTypeDefault",
            "issueIdsOrKeys",
        ],
        "The schema requires 'issueIdOrKeys', a misspelling of the property it defines, 'issueIdsOrKeys' (and "
        "refuses undefined ones): no request could pass. Its example sends issueIdsOrKeys.",
    ),
)


def load_document(path: Path) -> dict[str, Any]:
    """A description file as JSON (no errata applied)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def subset_resource(api: str) -> str:
    """File name of ``api``'s pruned subset inside the package."""
    return f"{api}-subset.json"


# ----------------------------------------------------------------------------------------- pruning
def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _pointer_get(document: Mapping[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def prune(document: Mapping[str, Any], operation_ids: Iterable[str]) -> dict[str, Any]:
    """The part of ``document`` that ``operation_ids`` need: their paths and operations, and every component
    they reference, transitively. Raises ``ValueError`` naming any operation the document lacks."""
    wanted = set(operation_ids)
    paths: dict[str, Any] = {}
    for template, item in document["paths"].items():
        kept = {
            key: value
            for key, value in item.items()
            if key in _METHODS and isinstance(value, dict) and value.get("operationId") in wanted
        }
        if kept:
            extras = {key: value for key, value in item.items() if key not in _METHODS}
            paths[template] = {**extras, **kept}
            wanted -= {value["operationId"] for value in kept.values()}
    if wanted:
        raise ValueError(f"operations not in the description: {', '.join(sorted(wanted))}")
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = _pointer_get(document, ref)
        components.setdefault(kind, {})[name] = target
        pending.extend(_refs(target))
    schemes = document.get("components", {}).get("securitySchemes")
    if schemes is not None:
        components["securitySchemes"] = schemes
    head = {key: document[key] for key in ("openapi", "info", "servers", "security") if key in document}
    return {**head, "paths": paths, "components": {kind: dict(sorted(v.items())) for kind, v in components.items()}}


def dump_subset(document: Mapping[str, Any]) -> str:
    """The subset's file text (stable: sorted keys, one line per path would not help diffs of generated JSON)."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


# ----------------------------------------------------------------------------------------- matching
@frozen
class Operation:
    api: str
    operation_id: str
    method: str  # upper case
    template: str
    spec: Mapping[str, Any]
    parameters: tuple[tuple[Mapping[str, Any], str], ...]
    """Each parameter (path-level ones included) with the JSON pointer of its schema."""
    pointer: str  # JSON pointer of the operation object, for schema references

    @property
    def deprecated(self) -> bool:
        return bool(self.spec.get("deprecated"))


@frozen
class ParsedRequest:
    """A request as its operation reads it: path and query parameters cast to their schema types (query
    parameters the operation does not declare are left out, as Jira ignores them), and the JSON body."""

    path: Mapping[str, Any]
    query: Mapping[str, Any]
    body: Any


class RequestRefused(Exception):
    """The request does not conform: ``status`` (400, 404, 405, 415) and the problems, as Jira would refuse it."""

    def __init__(self, status: int, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = tuple(problems)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _compile_template(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def _literal_weight(template: str) -> tuple[int, int]:
    """Concrete paths before templated ones (OpenAPI's rule): more literal segments first."""
    segments = template.strip("/").split("/")
    return (-sum(not s.startswith("{") for s in segments), len(segments))


class Contract:
    """The operations of both descriptions (errata applied), matched by method and path, with validators."""

    def __init__(self, documents: Mapping[str, Mapping[str, Any]], *, validate: bool = True) -> None:
        """``documents``: each API's description (see :data:`APIS`); ``validate=False`` only routes and casts."""
        self.validate = validate
        self.documents = {api: _with_errata(api, document) for api, document in documents.items()}
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Operation]]] = []
        self.operations: dict[str, Operation] = {}
        for api, document in self.documents.items():
            for template, item in document["paths"].items():
                base = f"#/paths/{_escape(template)}"
                shared = [(p, f"{base}/parameters/{i}/schema") for i, p in enumerate(item.get("parameters", ()))]
                methods: dict[str, Operation] = {}
                for method, spec in item.items():
                    if method not in _METHODS or not isinstance(spec, dict):
                        continue
                    own = [
                        (p, f"{base}/{method}/parameters/{i}/schema") for i, p in enumerate(spec.get("parameters", ()))
                    ]
                    names = {(p["in"], p["name"]) for p, _ in own}
                    op = Operation(
                        api=api,
                        operation_id=spec["operationId"],
                        method=method.upper(),
                        template=template,
                        spec=spec,
                        parameters=tuple((p, at) for p, at in shared if (p["in"], p["name"]) not in names) + tuple(own),
                        pointer=f"{base}/{method}",
                    )
                    methods[op.method] = op
                    self.operations[op.operation_id] = op
                self._routes.append((_compile_template(template), template, methods))
        self._routes.sort(key=lambda route: _literal_weight(route[1]))
        self._validators: dict[tuple[str, str, bool], Any] = {}
        self._lock = threading.Lock()
        self._registry: Any = None

    # ------------------------------------------------------------------------------------- routing
    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation ``method path`` names and its raw path parameters; :class:`RequestRefused` with 404
        (no such path) or 405 (the path exists, not with this method)."""
        for pattern, _template, methods in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            op = methods.get(method.upper())
            if op is None:
                allowed = ", ".join(sorted(methods))
                raise RequestRefused(405, [f"Method {method.upper()} is not allowed on {path} (allowed: {allowed})."])
            return op, found.groupdict()
        raise RequestRefused(404, [f"No REST resource at {path}."])

    # ------------------------------------------------------------------------------------- requests
    def parse_request(
        self,
        op: Operation,
        raw_path: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        content_type: str | None,
        body: bytes,
    ) -> ParsedRequest:
        """Read and check a request against ``op``; :class:`RequestRefused` names every problem found."""
        problems: list[str] = []
        path_values: dict[str, Any] = {}
        query_values: dict[str, Any] = {}
        path_problems: list[str] = []
        for param, pointer in op.parameters:
            location, name = param["in"], param["name"]
            schema = param.get("schema", {})
            if location == "path":
                value, problem = _cast(raw_path.get(name, ""), schema)
                if problem:
                    path_problems.append(f"path parameter '{name}': {problem}")
                else:
                    path_values[name] = value
                    path_problems.extend(self._check(op.api, pointer, value, write=True, at=name))
            elif location == "query":
                given = [value for key, value in query if key == name]
                if not given:
                    if param.get("required"):
                        problems.append(f"query parameter '{name}' is required")
                    continue
                if schema.get("type") == "array":
                    items = [_cast(value, schema.get("items", {})) for value in given]
                    bad = [problem for _, problem in items if problem]
                    if bad:
                        problems.append(f"query parameter '{name}': {bad[0]}")
                        continue
                    value = [item for item, _ in items]
                else:
                    value, problem = _cast(given[0], schema)
                    if problem:
                        problems.append(f"query parameter '{name}': {problem}")
                        continue
                query_values[name] = value
                problems.extend(self._check(op.api, pointer, value, write=True, at=name))
        if path_problems:  # Jira (JAX-RS) answers 404 when a path parameter cannot be read
            raise RequestRefused(404, path_problems)
        parsed_body: Any = None
        request_body = op.spec.get("requestBody")
        if request_body is not None and (body.strip() or request_body.get("required")):
            media = (content_type or "").split(";", 1)[0].strip().lower()
            if "application/json" not in request_body.get("content", {}) or media != "application/json":
                raise RequestRefused(
                    415, [f"Unsupported Media Type: send the body as application/json, not {media!r}."]
                )
            try:
                parsed_body = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise RequestRefused(400, [f"The request body is not valid JSON: {exc}"]) from None
            pointer = f"{op.pointer}/requestBody/content/application~1json/schema"
            problems.extend(self._check(op.api, pointer, parsed_body, write=True, at="body"))
        elif body.strip() and request_body is None and op.method in {"GET", "DELETE"}:
            pass  # a body on GET/DELETE is ignored by Jira
        if problems:
            raise RequestRefused(400, problems)
        return ParsedRequest(path=path_values, query=query_values, body=parsed_body)

    # ------------------------------------------------------------------------------------- answers
    def response_problems(self, op: Operation, status: int, content_type: str | None, body: bytes) -> list[str]:
        """What is wrong with an answer of ``op`` (empty: it conforms). A status the operation does not
        document has no schema to meet; whether it may be sent at all is the caller's rule."""
        responses = op.spec.get("responses", {})
        key = str(status) if str(status) in responses else ("default" if "default" in responses else None)
        if key is None:
            return []
        content = responses[key].get("content") or {}
        schema_holder = content.get("application/json")
        if not schema_holder or not schema_holder.get("schema"):  # no schema, or {}: anything (even nothing)
            return []
        if not body:
            if status == 204:
                return []
            return [f"{op.operation_id} {status}: the description promises a JSON body, the answer has none"]
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            return [f"{op.operation_id} {status}: content type {media!r}, the description says application/json"]
        try:
            document = json.loads(body)
        except ValueError as exc:
            return [f"{op.operation_id} {status}: the body is not JSON ({exc})"]
        pointer = f"{op.pointer}/responses/{key}/content/application~1json/schema"
        return [f"{op.operation_id} {status}: {p}" for p in self._check(op.api, pointer, document, write=False)]

    def documents_status(self, op: Operation, status: int) -> bool:
        responses = op.spec.get("responses", {})
        return str(status) in responses or "default" in responses

    # ------------------------------------------------------------------------------------- schemas
    def _check(self, api: str, pointer: str, instance: Any, *, write: bool, at: str = "") -> list[str]:
        if not self.validate:
            return []
        from jsonschema.exceptions import best_match

        validator = self._validator(api, pointer, write)
        errors = list(validator.iter_errors(instance))
        if not errors:
            return []
        error = best_match(errors)
        where = "/".join(str(part) for part in error.absolute_path)
        place = f"{at}/{where}" if at and where else (at or where or "body")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return [f"{place}: {error.message}{more}"]

    def _validator(self, api: str, pointer: str, write: bool) -> Any:
        key = (api, pointer, write)
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

                cls = OAS30WriteValidator if write else OAS30ReadValidator
                validator = cls(
                    {"$ref": f"urn:jira:{api}{pointer}"}, registry=self._schemas(), format_checker=oas30_format_checker
                )
                self._validators[key] = validator
            return validator

    def _schemas(self) -> Any:
        if self._registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT4

            registry: Any = Registry()
            for api, document in self.documents.items():
                registry = registry.with_resource(
                    f"urn:jira:{api}", Resource.from_contents(document, default_specification=DRAFT4)
                )
            self._registry = registry
        return self._registry


def _cast(raw: str, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    kind = schema.get("type")
    if kind == "integer":
        try:
            return int(raw), None
        except ValueError:
            return None, f"{raw!r} is not an integer"
    if kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return None, f"{raw!r} is not a number"
    if kind == "boolean":
        if raw.lower() in {"true", "false"}:
            return raw.lower() == "true", None
        return None, f"{raw!r} is not true or false"
    return raw, None


def _with_errata(api: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with the errata for ``api`` applied (only the corrected parameters are copied)."""
    patched = dict(document)
    schema_errata = [e for e in SCHEMA_ERRATA if e.api == api and e.schema in patched["components"]["schemas"]]
    if schema_errata:
        components = dict(patched["components"])
        schemas = dict(components["schemas"])
        for fix in schema_errata:
            schemas[fix.schema] = {**schemas[fix.schema], fix.key: fix.corrected}
        patched["components"] = {**components, "schemas": schemas}
    errata = [e for e in ERRATA if e.api == api]
    if not errata:
        return patched
    paths = dict(patched["paths"])
    for erratum in errata:
        for template, item in paths.items():
            for method, spec in item.items():
                if not isinstance(spec, dict) or spec.get("operationId") != erratum.operation_id:
                    continue
                params = [dict(p) for p in spec.get("parameters", ())]
                for param in params:
                    if param["name"] == erratum.parameter:
                        param["schema"] = dict(erratum.corrected)
                paths[template] = {**item, method: {**spec, "parameters": params}}
    patched["paths"] = paths
    return patched


@cache
def packaged_contract(*, validate: bool = True) -> Contract:
    """The contract over the subset shipped in the package (loaded once per process)."""
    folder = resources.files(_SUBSET_PACKAGE)
    documents = {api: json.loads(folder.joinpath(subset_resource(api)).read_text(encoding="utf-8")) for api in APIS}
    return Contract(documents, validate=validate)
