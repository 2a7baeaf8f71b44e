"""Jira's error answer: an ``ErrorCollection`` (``errorMessages`` and per-field ``errors``) with a status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["JiraError", "error_body"]


def error_body(messages: Sequence[str] = (), errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{"errorMessages": [...], "errors": {...}}``, as Jira sends both keys even when one is empty."""
    return {"errorMessages": list(messages), "errors": dict(errors or {})}


class JiraError(Exception):
    """A refusal as Jira answers it; raised by the state's rules and turned into the HTTP answer."""

    def __init__(self, status: int, messages: Sequence[str] = (), errors: Mapping[str, str] | None = None) -> None:
        super().__init__("; ".join([*messages, *(f"{k}: {v}" for k, v in (errors or {}).items())]))
        self.status = status
        self.messages = tuple(messages)
        self.errors = dict(errors or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.messages, self.errors)

    @classmethod
    def field(cls, name: str, message: str, status: int = 400) -> JiraError:
        return cls(status, (), {name: message})
