"""Small builders for request bodies, for tests and scripts that talk to the emulator by hand."""

from __future__ import annotations

from typing import Any

__all__ = ["adf_paragraphs", "create_body"]


def adf_paragraphs(*paragraphs: str) -> dict[str, Any]:
    """An ADF document of plain paragraphs."""
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs],
    }


def create_body(summary: str, issue_type: str = "Task", *, project: str = "PROJ", **fields: Any) -> dict[str, Any]:
    """A ``POST /rest/api/3/issue`` body: project, issue type (by name) and summary, plus ``fields``."""
    return {"fields": {"project": {"key": project}, "issuetype": {"name": issue_type}, "summary": summary, **fields}}
