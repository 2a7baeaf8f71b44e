"""Linear-style GraphQL errors: what the model and resolvers raise, and how a response writes them.

Linear's errors carry ``extensions`` with ``type`` (the SDK's classification, e.g. ``"invalid input"``),
``code``, ``statusCode``, ``userError`` and ``userPresentableMessage`` (notes/linear-api.md §8). Observed
shapes this module reproduces, all [obs]:

* an unknown entity: ``"Entity not found: Issue"``, ``INPUT_ERROR``, "Could not find referenced Issue."
  (a third-party CLI's recorded answer, HTTP 200 with ``data: null``);
* a refused credential: ``"Authentication required, not authenticated"``, ``AUTHENTICATION_ERROR``, HTTP 401;
* a query over the complexity cap: ``"Query too complex"``, ``INPUT_ERROR``, HTTP 400, "The query is too
  complex. Complexity: 12304.999999999998. Maximum allowed complexity: 10000."
  (https://github.com/mvanhorn/printing-press-library/issues/946);
* a rate limit: HTTP 400 with ``extensions.code: "RATELIMITED"`` and ``statusCode: 429`` (notes §6.4).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

__all__ = [
    "EMULATOR_UNSUPPORTED",
    "LinearError",
    "authentication_error",
    "entity_not_found",
    "format_error",
    "invalid_input",
    "is_internal",
    "request_error",
    "too_complex",
    "unsupported",
]

EMULATOR_UNSUPPORTED = "EMULATOR_UNSUPPORTED"
"""Not a Linear code: the emulator says so loudly instead of answering with a quiet null."""


class LinearError(Exception):
    """An error Linear reports in the ``errors`` list, with its ``extensions``."""

    def __init__(
        self, message: str, *, type_: str, code: str, status: int = 400, user_message: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type_
        self.code = code
        self.status = status
        self.user_message = user_message

    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "statusCode": self.status,
            "userError": self.type not in {"internal error", "unknown"},
        }
        if self.user_message is not None:
            extensions["userPresentableMessage"] = self.user_message
        return extensions


def entity_not_found(entity: str) -> LinearError:
    """An id (UUID or identifier) that resolves to nothing of that kind."""
    return LinearError(
        f"Entity not found: {entity}",
        type_="invalid input",
        code="INPUT_ERROR",
        user_message=f"Could not find referenced {entity}.",
    )


def invalid_input(user_message: str) -> LinearError:
    """Input Linear refuses (a wrong state for the team, a duplicate id, ...); nothing is applied."""
    return LinearError(
        "Argument Validation Error", type_="invalid input", code="INPUT_ERROR", user_message=user_message
    )


def unsupported(what: str) -> LinearError:
    return LinearError(
        f"The Linear emulator does not implement {what}.", type_="unknown", code=EMULATOR_UNSUPPORTED, status=500
    )


def authentication_error() -> dict[str, Any]:
    """The body of the 401 answer to a missing, unknown or wrongly sent credential."""
    error = LinearError(
        "Authentication required, not authenticated",
        type_="authentication error",
        code="AUTHENTICATION_ERROR",
        status=401,
        user_message="You need to authenticate to access this operation.",
    )
    return {"errors": [{"message": error.message, "extensions": error.extensions()}]}


def too_complex(complexity: float, cap: int) -> dict[str, Any]:
    """The body of the 400 answer to a query over the per-request complexity cap (nothing runs)."""
    error = LinearError(
        "Query too complex",
        type_="invalid input",
        code="INPUT_ERROR",
        user_message=f"The query is too complex. Complexity: {complexity:g}. Maximum allowed complexity: {cap}.",
    )
    return {"errors": [{"message": error.message, "extensions": error.extensions()}]}


def request_error(error: GraphQLError, code: str) -> dict[str, Any]:
    """A request refused before execution: syntax (``GRAPHQL_PARSE_FAILED``), schema validation
    (``GRAPHQL_VALIDATION_FAILED``) or variables (``BAD_USER_INPUT``), as Apollo-based servers write them."""
    formatted: dict[str, Any] = {"message": error.message}
    locations = _locations(error)
    if locations:
        formatted["locations"] = locations
    formatted["extensions"] = {"code": code, "type": "graphql error", "userError": True, "statusCode": 400}
    return formatted


def _locations(error: GraphQLError) -> list[dict[str, int]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


def is_internal(error: GraphQLError) -> bool:
    """True when a resolver crashed (an emulator bug, answered as Linear's internal error)."""
    original = error.original_error
    return original is not None and not isinstance(original, LinearError | GraphQLError)


def format_error(error: GraphQLError) -> dict[str, Any]:
    """An execution error: ``message``, ``path``, ``locations`` and Linear's ``extensions``."""
    formatted: dict[str, Any] = {"message": error.message}
    if error.path:
        formatted["path"] = list(error.path)
    locations = _locations(error)
    if locations:
        formatted["locations"] = locations
    original = error.original_error
    if isinstance(original, LinearError):
        formatted["extensions"] = original.extensions()
    elif is_internal(error):
        formatted["message"] = "Internal server error"
        formatted["extensions"] = {
            "type": "internal error",
            "code": "INTERNAL_SERVER_ERROR",
            "statusCode": 500,
            "userError": False,
            "emulatorException": repr(original),
        }
    else:  # argument coercion and the like, raised by graphql-core itself
        formatted["extensions"] = {
            "type": "graphql error",
            "code": "BAD_USER_INPUT",
            "statusCode": 400,
            "userError": True,
        }
    return formatted
