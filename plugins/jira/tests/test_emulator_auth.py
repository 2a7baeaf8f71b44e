"""Credentials: any by default; only the given ones once required; Basic at the site URL, Bearer only through the
OAuth 2.0 gateway form ``/ex/jira/{cloudId}``; 401 with Jira's body otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from planpilot_provider_jira.testing import UNAUTHENTICATED_MESSAGE, JiraEmulator


def test_any_credential_works_by_default_but_none_does_not(emulator: JiraEmulator) -> None:
    me = emulator.request("GET", "/rest/api/3/myself", auth=("someone@example.org", "whatever"))
    assert me.status == 200
    assert me.json()["emailAddress"] == "someone@example.org"
    refused = emulator.request("GET", "/rest/api/3/myself", auth=None)
    assert refused.status == 401
    assert refused.json() == {"errorMessages": [UNAUTHENTICATED_MESSAGE], "errors": {}}
    assert (
        emulator.request("GET", "/rest/api/3/myself", headers={"authorization": "Basic !!!"}, auth=None).status == 401
    )


def test_required_basic_credentials(make_emulator: Any) -> None:
    emulator = make_emulator(basic=[("me@example.com", "right-token")])
    assert emulator.request("GET", "/rest/api/3/myself", auth=("me@example.com", "right-token")).status == 200
    assert emulator.request("GET", "/rest/api/3/myself", auth=("me@example.com", "wrong")).status == 401
    assert emulator.request("GET", "/rest/api/3/myself", auth=("you@example.com", "right-token")).status == 401
    cloud = emulator.state.cloud_id
    assert emulator.request("GET", f"/ex/jira/{cloud}/rest/api/3/myself", auth="any-oauth").status == 401


def test_bearer_tokens_work_through_the_gateway_only(make_emulator: Any) -> None:
    emulator = make_emulator(bearer=["oauth-token"])
    cloud = emulator.request("GET", "/_edge/tenant_info", auth=None).json()["cloudId"]
    assert cloud == emulator.state.cloud_id
    me = emulator.request("GET", f"/ex/jira/{cloud}/rest/api/3/myself", auth="oauth-token")
    assert me.status == 200
    assert me.json()["self"].startswith(f"http://jira.example.test/ex/jira/{cloud}/")
    assert emulator.request("GET", "/rest/api/3/myself", auth="oauth-token").status == 401  # not at the site URL
    assert emulator.request("GET", f"/ex/jira/{cloud}/rest/api/3/myself", auth="other").status == 401
    assert emulator.request("GET", "/rest/api/3/myself", auth=("me@example.com", "t")).status == 401  # Basic not given
    assert emulator.request("GET", "/ex/jira/not-this-site/rest/api/3/myself", auth="oauth-token").status == 404
    resources = emulator.request("GET", "/oauth/token/accessible-resources", auth="oauth-token")
    assert [r["id"] for r in resources.json()] == [cloud]
    assert emulator.request("GET", "/oauth/token/accessible-resources", auth="other").status == 401


@pytest.mark.parametrize("path", ["/rest/api/3/issue/PROJ-1", "/rest/api/3/nothing"])
def test_unauthenticated_requests_learn_nothing_about_the_site(emulator: JiraEmulator, path: str) -> None:
    assert emulator.request("GET", path, auth=("", "")).status == 401


def test_credentials_can_be_required_later(emulator: JiraEmulator) -> None:
    emulator.require_credentials(basic=[("a@example.com", "t1")])
    assert emulator.request("GET", "/rest/api/3/myself", auth=("a@example.com", "t1")).status == 200
    assert emulator.request("GET", "/rest/api/3/myself").status == 401
