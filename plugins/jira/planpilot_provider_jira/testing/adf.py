"""Atlassian Document Format: the check Jira applies to a rich-text field written through REST v3, and the
plain text its search index reads from a document.

The structure is checked against Atlassian's ADF JSON schema (``@atlaskit/adf-schema`` ``json-schema/v1/full.json``,
Apache-2.0, vendored in ``schemas/``; see ``schemas/SOURCE.md``). Jira refuses a value that is not a document with
``"Operation value must be an Atlassian Document (see the Atlassian Document Format)"`` under the field's key.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["ADF_MESSAGE", "adf_problem", "adf_text", "is_adf"]

ADF_MESSAGE = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


@cache
def _validator() -> Any:
    from jsonschema import Draft4Validator

    schema = json.loads(
        resources.files("planpilot_provider_jira.testing.schemas").joinpath("adf-full.json").read_text()
    )
    return Draft4Validator(schema)


def adf_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid ADF document (None when it is)."""
    if not isinstance(value, dict) or value.get("type") != "doc":
        return "the value is not an ADF document ({'type': 'doc', 'version': 1, 'content': [...]})"
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "doc"
    return f"{where}: {error.message}"


def is_adf(value: Any) -> bool:
    return adf_problem(value) is None


_BLOCKS = {
    "paragraph",
    "heading",
    "codeBlock",
    "blockquote",
    "listItem",
    "taskItem",
    "decisionItem",
    "tableCell",
    "tableHeader",
    "panel",
    "rule",
}


def adf_text(document: Any) -> str:
    """The text of a document as the index sees it: text nodes in order, blocks and hard breaks on their own lines,
    mentions, emoji, dates and statuses by their text."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "text":
            out.append(str(node.get("text", "")))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind in {"mention", "emoji", "status"}:
            attrs = node.get("attrs") or {}
            out.append(str(attrs.get("text") or attrs.get("shortName") or ""))
        elif kind == "inlineCard":
            out.append(str((node.get("attrs") or {}).get("url", "")))
        walk(node.get("content"))
        if kind in _BLOCKS:
            out.append("\n")

    walk(document)
    return "".join(out).strip("\n")
