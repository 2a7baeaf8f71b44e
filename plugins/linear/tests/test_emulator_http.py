"""The HTTP face of the emulator: credentials as Linear takes them (a key bare, an OAuth token with Bearer),
Linear's 401, refused bodies and documents (400), routes, and the admin side door."""

from __future__ import annotations

import json

import pytest

from planpilot_provider_linear.testing import API_PATH, LinearEmulator

VIEWER = json.dumps({"query": "query Me { viewer { id } }"}).encode()
UNAUTHENTICATED = {
    "errors": [
        {
            "message": "Authentication required, not authenticated",
            "extensions": {
                "type": "authentication error",
                "code": "AUTHENTICATION_ERROR",
                "statusCode": 401,
                "userError": True,
                "userPresentableMessage": "You need to authenticate to access this operation.",
            },
        }
    ]
}


@pytest.fixture
def emulator() -> LinearEmulator:
    return LinearEmulator.with_default_scenario()


def post(emulator: LinearEmulator, body: bytes, authorization: str | None = "lin_api_key") -> tuple[int, object]:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = emulator.handle("POST", API_PATH, headers, body)
    return response.status, response.json()


@pytest.mark.parametrize(
    ("authorization", "accepted"),
    [
        ("lin_api_0123456789", True),  # a personal key, bare
        ("Bearer lin_oauth_0123", True),  # an OAuth token
        ("bearer   some-oauth-token ", True),
        ("Bearer lin_api_0123456789", False),  # a personal key must not carry Bearer (notes §0)
        ("", False),
        (None, False),
        ("two words", False),
    ],
)
def test_any_credential_sent_the_right_way_is_accepted_by_default(
    emulator: LinearEmulator, authorization: str | None, accepted: bool
) -> None:
    status, body = post(emulator, VIEWER, authorization)
    if accepted:
        assert status == 200
        assert body == {"data": {"viewer": {"id": emulator.state.viewer.id}}}
    else:
        assert (status, body) == (401, UNAUTHENTICATED)


def test_given_credentials_are_the_only_ones_accepted_each_in_its_form() -> None:
    emulator = LinearEmulator.with_default_scenario(api_keys=["lin_api_good"], oauth_tokens=["oauth-good"])
    assert post(emulator, VIEWER, "lin_api_good")[0] == 200
    assert post(emulator, VIEWER, "Bearer oauth-good")[0] == 200
    assert post(emulator, VIEWER, "lin_api_other")[0] == 401
    assert post(emulator, VIEWER, "oauth-good")[0] == 401  # an OAuth token sent as a key
    assert post(emulator, VIEWER, "Bearer lin_api_good")[0] == 401
    emulator.accept(api_keys=["lin_api_new"])
    assert post(emulator, VIEWER, "lin_api_good")[0] == 401
    assert post(emulator, VIEWER, "Bearer oauth-good")[0] == 401
    assert post(emulator, VIEWER, "lin_api_new")[0] == 200
    assert emulator.stats.unauthenticated == 5
    assert "lin_api_new" not in repr(emulator.auth)


@pytest.mark.parametrize(
    "body",
    [
        b"{oops",
        b"[]",
        b'{"variables": {}}',
        b'{"query": "{ viewer { id } }", "variables": 3}',
        b'{"query": "{ viewer { id } }", "operationName": 5}',
    ],
)
def test_a_body_that_is_not_a_graphql_request_is_refused(emulator: LinearEmulator, body: bytes) -> None:
    status, answer = post(emulator, body)
    assert status == 400
    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"  # type: ignore[index]


def test_documents_are_validated_against_the_pinned_schema(emulator: LinearEmulator) -> None:
    status, answer = post(emulator, json.dumps({"query": "query { viewer { nam } }"}).encode())
    assert status == 400
    (error,) = answer["errors"]  # type: ignore[index]
    assert error["message"] == "Cannot query field 'nam' on type 'User'. Did you mean 'name'?"
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    status, answer = post(emulator, json.dumps({"query": "query { viewer { id }"}).encode())
    assert status == 400
    assert answer["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"  # type: ignore[index]
    status, answer = post(emulator, json.dumps({"query": "query($k: String!) { team(id: $k) { id } }"}).encode())
    assert status == 400
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    assert "Variable '$k' of required type 'String!' was not provided" in answer["errors"][0]["message"]  # type: ignore[index]


def test_only_post_to_graphql_is_served(emulator: LinearEmulator) -> None:
    assert emulator.handle("GET", API_PATH, {"Authorization": "k"}, b"").status == 404
    assert emulator.handle("POST", "/rest/issues", {"Authorization": "k"}, VIEWER).status == 404
    assert emulator.handle("POST", f"{API_PATH}?x=1", {"Authorization": "k"}, VIEWER).status == 200


def test_admin_side_door(emulator: LinearEmulator) -> None:
    emulator.state.add_issue("ENG", "Seeded", labels=["Bug"])
    post(emulator, VIEWER)
    stats = emulator.handle("GET", "/_emulator/stats", {}, b"").json()
    assert (stats["requests"], stats["operations"]) == (1, {"Me": 1})
    state = emulator.handle("GET", "/_emulator/state", {}, b"").json()
    assert state["teams"]["ENG"]["issues"][0]["identifier"] == "ENG-1"
    assert state["teams"]["ENG"]["issues"][0]["labels"] == ["Bug"]
    assert emulator.handle("POST", "/_emulator/inject", {}, b'{"kind": "http_503"}').json() == {"pending": 1}
    assert emulator.handle("POST", "/_emulator/inject", {}, b'{"kind": "meteor"}').status == 400
    assert emulator.handle("POST", "/_emulator/inject", {}, b"[1]").status == 400
    edge = emulator.handle("POST", API_PATH, {"Authorization": "k"}, VIEWER)
    assert edge.status == 503
    assert edge.headers["content-type"].startswith("text/html")
    assert emulator.handle("POST", "/_emulator/reset-stats", {}, b"").json()["requests"] == 0
    assert emulator.handle("GET", "/_emulator/nothing", {}, b"").status == 404
