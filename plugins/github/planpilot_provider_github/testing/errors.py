"""GitHub-style GraphQL error types, raised by the domain model and resolvers."""

from __future__ import annotations

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
    "node_not_found",
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
