"""What ``--target`` and ``--board-url`` name in Linear: a team by its key, a project by its URL.

Linear has no board object in its API: the plan's container is a team (``ENG``, the prefix of its issue
identifiers), optionally a project, named by the URL Linear shows for it
(``https://linear.app/<workspace>/project/<name>-<slugId>``, maybe followed by a tab such as ``/overview``).
The project is looked up by its ``slugId``, the last dash-separated part of that path segment.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from planpilot_providers_core.errors import ProjectURLError, ProviderConfigError

__all__ = ["PROJECT_URL_SHAPE", "parse_project_url", "parse_team_key"]

_TEAM_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,9}")
_SLUG_ID = re.compile(r"[0-9a-zA-Z]{6,32}")
LINEAR_HOSTS: Final = frozenset({"linear.app", "www.linear.app"})
PROJECT_URL_SHAPE: Final = "https://linear.app/<workspace>/project/<project-name>-<id>"


def parse_team_key(target: str) -> str:
    """The team key ``target`` names, in Linear's upper case (``eng`` -> ``ENG``)."""
    key = target.strip()
    if not _TEAM_KEY.fullmatch(key):
        raise ProviderConfigError(
            f"Linear target must be a team key such as ENG (the prefix of the team's issue identifiers, "
            f"ENG-123: a letter, then up to 9 letters, digits or underscores), got {target!r}"
        )
    return key.upper()


def parse_project_url(board_url: str) -> str | None:
    """The ``slugId`` of the project ``board_url`` names; ``None`` for no board URL."""
    if not board_url.strip():
        return None
    try:
        url = urlsplit(board_url.strip())
    except ValueError:
        url = None
    parts = [] if url is None else [part for part in url.path.split("/") if part]
    if (
        url is None
        or url.scheme not in ("http", "https")
        or (url.hostname or "").lower() not in LINEAR_HOSTS
        or len(parts) < 3
        or parts[1] != "project"
    ):
        raise ProjectURLError(
            f"board URL {board_url!r} is not a Linear project URL; expected {PROJECT_URL_SHAPE} "
            "(copy it from the project's page in Linear), or leave --board-url out to use no project"
        )
    slug_id = parts[2].rsplit("-", 1)[-1]
    if not _SLUG_ID.fullmatch(slug_id):
        raise ProjectURLError(
            f"board URL {board_url!r} does not end its project segment with the project's id "
            f"({PROJECT_URL_SHAPE}); copy the URL from the project's page in Linear"
        )
    return slug_id
