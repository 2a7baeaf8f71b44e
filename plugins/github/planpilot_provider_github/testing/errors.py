"""GitHub-style GraphQL errors: the types the domain model and resolvers raise, and how a response writes them."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

__all__ = [
    "EMULATOR_UNSUPPORTED",
    "EXCESSIVE_PAGINATION",
    "FORBIDDEN",
    "INTERNAL",
    "INVALID_CURSOR_ARGUMENTS",
    "MISSING_PAGINATION_BOUNDARIES",
    "NOT_FOUND",
    "RATE_LIMITED",
    "UNPROCESSABLE",
    "ApiError",
    "format_error",
    "is_internal",
    "node_not_found",
    "validation_error",
]

NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
UNPROCESSABLE = "UNPROCESSABLE"
INVALID_CURSOR_ARGUMENTS = "INVALID_CURSOR_ARGUMENTS"
MISSING_PAGINATION_BOUNDARIES = "MISSING_PAGINATION_BOUNDARIES"
EXCESSIVE_PAGINATION = "EXCESSIVE_PAGINATION"
RATE_LIMITED = "RATE_LIMITED"
INTERNAL = "INTERNAL"
# Not a GitHub type: the emulator says so loudly instead of answering with a silent null.
EMULATOR_UNSUPPORTED = "EMULATOR_UNSUPPORTED"


class ApiError(Exception):
    """An error GitHub reports inside a 200 response as ``{"type": ..., "message": ...}``."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message


def node_not_found(node_id: str) -> ApiError:
    """GitHub's wording for an id that does not resolve (unknown, deleted or of the wrong kind)."""
    return ApiError(NOT_FOUND, f"Could not resolve to a node with the global id of '{node_id}'.")


INTERNAL_MESSAGE = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be a "
    "GitHub bug. Please include `{request_id}` when reporting this issue."
)
_VALIDATION_CODES = (
    ("Syntax Error", "parseError"),
    ("Cannot query field", "undefinedField"),
    ("Unknown argument", "argumentNotAccepted"),
    ("is required, but it was not provided", "missingRequiredArguments"),
    ("of required type", "missingRequiredInputObjectAttribute"),
    ("Unknown type", "undefinedType"),
    ("Variable", "variableMismatch"),
    ("Fragment", "fragmentMismatch"),
)


def _locations(error: GraphQLError) -> list[dict[str, int]] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]


def validation_error(error: GraphQLError) -> dict[str, Any]:
    """A parse or schema-validation error: ``message``, ``locations`` and ``extensions.code`` as GitHub sends."""
    formatted: dict[str, Any] = {"message": error.message}
    locations = _locations(error)
    if locations:
        formatted["locations"] = locations
    code = next((code for needle, code in _VALIDATION_CODES if needle in error.message), "validationError")
    formatted["extensions"] = {"code": code}
    return formatted


def is_internal(error: GraphQLError) -> bool:
    """True when a resolver crashed (an emulator bug, answered as GitHub's "Something went wrong")."""
    original = error.original_error
    return original is not None and not isinstance(original, ApiError | GraphQLError)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """GitHub's shape for an execution error: ``type``, ``path``, ``locations``, ``message`` side by side."""
    formatted: dict[str, Any] = {}
    original = error.original_error
    message = error.message
    if isinstance(original, ApiError):
        formatted["type"] = original.type
    elif is_internal(error):
        message = INTERNAL_MESSAGE.format(request_id=request_id)
        formatted["extensions"] = {"emulatorException": repr(original)}
    if error.path:
        formatted["path"] = list(error.path)
    locations = _locations(error)
    if locations:
        formatted["locations"] = locations
    formatted["message"] = message
    if error.extensions and "extensions" not in formatted:
        formatted["extensions"] = dict(error.extensions)
    return formatted
