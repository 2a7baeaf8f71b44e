"""Parsing of the ``target`` repository and the Projects v2 ``board_url``."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

import attrs

from planpilot_providers_core.errors import ProjectURLError, ProviderError

ACCEPTED_BOARD_URLS: Final = (
    "https://github.com/orgs/<org>/projects/<number>",
    "https://github.com/users/<user>/projects/<number>",
)
_BOARD_PATH = re.compile(
    r"^/(?P<kind>orgs|users)/(?P<login>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/projects/(?P<number>[1-9][0-9]*)(?:/views/[0-9]+)?/?$"
)
_TARGET = re.compile(r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/(?P<name>[A-Za-z0-9._-]+)$")


@attrs.frozen
class BoardRef:
    """A Projects v2 board: who owns it and its number."""

    owner_is_org: bool
    login: str
    number: int


@attrs.frozen
class RepoRef:
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def parse_board_url(url: str) -> BoardRef:
    """``https://github.com/orgs/acme/projects/3`` -> BoardRef; anything else raises ``ProjectURLError``."""
    parts = urlsplit(url.strip())
    match = _BOARD_PATH.match(parts.path) if parts.scheme in ("https", "http") and parts.netloc else None
    if match is None:
        shapes = " or ".join(ACCEPTED_BOARD_URLS)
        raise ProjectURLError(f"board URL {url!r} is not a GitHub Projects v2 URL; use {shapes}")
    return BoardRef(owner_is_org=match["kind"] == "orgs", login=match["login"], number=int(match["number"]))


def parse_target(target: str) -> RepoRef:
    """``owner/name`` -> RepoRef; anything else raises a ``ProviderError`` saying what is expected."""
    match = _TARGET.match(target.strip())
    if match is None:
        raise ProviderError(f"target {target!r} is not a GitHub repository; use OWNER/REPO, e.g. acme/roadmap")
    return RepoRef(owner=match["owner"], name=match["name"])
