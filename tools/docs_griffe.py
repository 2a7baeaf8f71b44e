"""A griffe extension for the docs site's reference pages: the code's docstrings use Sphinx's roles
(``:class:`~planpilot_providers_core.steps.CreateStep```) and reST's ``text::`` before a literal block; the
site renders docstrings as Markdown, where those would show as raw markup. They become code spans (``~``
keeps the last name, as Sphinx does) and a plain colon.

Loaded by mkdocstrings (``mkdocs.yml``: ``extensions: [tools/docs_griffe.py:SphinxRoles]``); griffe is
installed with the docs tools only, so this module is imported by nothing else.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|mod|func|meth|attr|data|exc|obj|const|ref):`(~?)([^`]+)`")
_LITERAL_MARKER = re.compile(r"(?<=\S)::$", re.M)


def markdown_docstring(text: str) -> str:
    """``text`` with Sphinx roles as Markdown code spans and reST's ``::`` literal markers as ``:``."""

    def role(match: re.Match[str]) -> str:
        short, target = match.groups()
        target = target.strip()
        if "<" in target and target.endswith(">"):  # :class:`title <target>`
            target = target[: target.index("<")].strip()
        elif short:
            target = target.rsplit(".", 1)[-1]
        return f"`{target.lstrip('.')}`"

    return _LITERAL_MARKER.sub(":", _ROLE.sub(role, text))


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring of a loaded package (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._rewrite(pkg, seen=set())

    def _rewrite(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._rewrite(member, seen)  # type: ignore[arg-type]
