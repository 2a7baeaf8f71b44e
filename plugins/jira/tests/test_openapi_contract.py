"""The emulator's contract: the packaged subset is exactly what the pruning script makes from the published files,
the errata still correct something the published files say, and requests the description forbids are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planpilot_provider_jira.testing import ERRATA, IMPLEMENTED_OPERATIONS, Contract, JiraEmulator
from planpilot_provider_jira.testing.api import ROUTES
from planpilot_provider_jira.testing.builders import create_body
from planpilot_provider_jira.testing.openapi import (
    APIS,
    SCHEMA_ERRATA,
    RequestRefused,
    dump_subset,
    load_document,
    prune,
)

PLUGIN = Path(__file__).resolve().parents[1]
FULL_SPECS = PLUGIN / "openapi"
PACKAGE_SCHEMAS = PLUGIN / "planpilot_provider_jira" / "testing" / "schemas"


def test_vendored_descriptions_are_atlassians_pinned_files() -> None:
    import hashlib

    digests = {name: hashlib.sha256((FULL_SPECS / name).read_bytes()).hexdigest() for name in APIS.values()}
    assert digests == {
        "swagger-v3.v3.json": "ae5e7e6d5e8078c44055f28741e865bd99114d211180173922dec292a25af1fa",
        "software-swagger.v3.json": "2aaf78263730deea491ac6909620c74ef49478affae51e6fef2d68c819fc5f99",
    }


@pytest.mark.parametrize("api", sorted(APIS))
def test_packaged_subset_is_what_the_pruning_script_writes(api: str) -> None:
    expected = dump_subset(prune(load_document(FULL_SPECS / APIS[api]), IMPLEMENTED_OPERATIONS[api]))
    actual = (PACKAGE_SCHEMAS / f"{api}-subset.json").read_text(encoding="utf-8")
    assert actual == expected, "stale subset: run python plugins/jira/tools/prune_openapi.py"


def test_prune_refuses_an_operation_the_description_lacks() -> None:
    with pytest.raises(ValueError, match="noSuchOperation"):
        prune(load_document(FULL_SPECS / APIS["software"]), {"getBoard", "noSuchOperation"})


def test_every_implemented_operation_has_a_handler_and_exists_in_the_published_files(full_contract: Contract) -> None:
    implemented = set().union(*IMPLEMENTED_OPERATIONS.values())
    assert set(ROUTES) == implemented
    assert implemented <= set(full_contract.operations)


@pytest.mark.parametrize("erratum", ERRATA, ids=lambda e: f"{e.operation_id}.{e.parameter}")
def test_each_erratum_still_corrects_what_the_published_file_says(erratum: Any) -> None:
    document = load_document(FULL_SPECS / APIS[erratum.api])
    published = [
        param["schema"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("operationId") == erratum.operation_id
        for param in op.get("parameters", ())
        if param["name"] == erratum.parameter
    ]
    assert published == [dict(erratum.published)], "the published file changed: drop or revise this erratum"


@pytest.mark.parametrize("erratum", SCHEMA_ERRATA, ids=lambda e: f"{e.schema}.{e.key}")
def test_each_schema_erratum_still_corrects_what_the_published_file_says(erratum: Any) -> None:
    document = load_document(FULL_SPECS / APIS[erratum.api])
    schema = document["components"]["schemas"][erratum.schema]
    assert schema[erratum.key] == erratum.published, "the published file changed: drop or revise this erratum"
    # What the published schema requires is indeed not among what it allows: no request could pass it.
    assert not set(erratum.published) <= set(schema["properties"])
    assert set(erratum.corrected) <= set(schema["properties"])


def _refusal(contract: Contract, method: str, path: str, query: list[tuple[str, str]], body: Any) -> RequestRefused:
    op, raw = contract.match(method, path)
    data = json.dumps(body).encode() if body is not None else b""
    with pytest.raises(RequestRefused) as refused:
        contract.parse_request(op, raw, query, "application/json", data)
    return refused.value


def test_requests_the_description_forbids_are_refused(full_contract: Contract) -> None:
    refused = _refusal(full_contract, "POST", "/rest/api/3/issue/bulkfetch", [], {"fields": ["summary"]})
    assert refused.status == 400
    assert "'issueIdsOrKeys' is a required property" in refused.problems[0]
    refused = _refusal(full_contract, "POST", "/rest/api/3/search/jql", [], {"jql": "project = PROJ", "limit": 5})
    assert "'limit' was unexpected" in refused.problems[0]
    refused = _refusal(full_contract, "GET", "/rest/api/3/search/jql", [("maxResults", "ten")], None)
    assert refused.status == 400
    assert "maxResults" in refused.problems[0]
    refused = _refusal(full_contract, "POST", "/rest/api/3/issue", [], {"fields": "summary"})
    assert "fields: 'summary' is not of type 'object'" in refused.problems[0]
    # A read-only property in a request: the description says Jira sets it, so a client must not send it.
    link = {
        "type": {"name": "Blocks"},
        "inwardIssue": {"key": "PROJ-1", "self": "x"},
        "outwardIssue": {"key": "PROJ-2"},
    }
    refused = _refusal(full_contract, "POST", "/rest/api/3/issueLink", [], link)
    assert "read-only" in refused.problems[0] or "readOnly" in refused.problems[0]
    refused = _refusal(full_contract, "GET", "/rest/agile/1.0/board/abc", [], None)
    assert refused.status == 404
    assert "boardId" in refused.problems[0]


def test_routing_prefers_concrete_paths_and_reports_wrong_methods(full_contract: Contract) -> None:
    assert full_contract.match("POST", "/rest/api/3/issue/bulk")[0].operation_id == "createIssues"
    assert full_contract.match("GET", "/rest/api/3/issue/PROJ-1")[0].operation_id == "getIssue"
    with pytest.raises(RequestRefused) as refused:
        full_contract.match("PATCH", "/rest/api/3/issue/PROJ-1")
    assert refused.value.status == 405
    with pytest.raises(RequestRefused) as refused:
        full_contract.match("GET", "/rest/api/3/nothing/here")
    assert refused.value.status == 404


def test_an_answer_that_breaks_the_description_is_caught(full_contract: Contract) -> None:
    op, _ = full_contract.match("POST", "/rest/api/3/issue")
    good = json.dumps({"id": "10000", "key": "PROJ-1", "self": "https://x/rest/api/3/issue/10000"}).encode()
    assert full_contract.response_problems(op, 201, "application/json", good) == []
    bad = json.dumps({"id": 10000, "key": "PROJ-1", "url": "x"}).encode()
    problems = full_contract.response_problems(op, 201, "application/json", bad)
    assert problems
    assert problems[0].startswith("createIssue 201:")


def test_the_emulator_refuses_a_nonconforming_request_with_jiras_error_shape(emulator: JiraEmulator) -> None:
    response = emulator.request("POST", "/rest/api/3/search/jql", {"jql": "project = PROJ", "maxResults": "5"})
    assert response.status == 400
    body = response.json()
    assert set(body) == {"errorMessages", "errors"}
    assert "maxResults" in body["errorMessages"][0]
    assert emulator.stats.refused_by_contract == 1
    assert (
        emulator.request("POST", "/rest/api/3/issue", create_body("x"), headers={"content-type": "text/plain"}).status
        == 415
    )


def test_an_operation_the_emulator_does_not_implement_answers_501(emulator: JiraEmulator) -> None:
    response = emulator.request("GET", "/rest/api/3/dashboard")
    assert response.status == 501
    assert "getAllDashboards" in response.json()["errorMessages"][0]


def test_the_packaged_contract_routes_without_the_full_files() -> None:
    emulator = JiraEmulator.with_default_scenario()
    assert emulator.request("GET", "/rest/api/3/myself").status == 200
    assert emulator.request("GET", "/rest/api/3/dashboard").status == 404  # not in the subset at all
