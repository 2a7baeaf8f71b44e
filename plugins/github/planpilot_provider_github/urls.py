"""Parsing of the ``target`` repository and the Projects v2 ``board_url``."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final
from urllib.parse import urlsplit

import attrs

from planpilot_providers_core.errors import ProjectURLError, ProviderConfigError

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


def parse_board_url(url: str, hosts: Collection[str] = ("github.com",)) -> BoardRef:
    """``https://github.com/orgs/acme/projects/3`` -> BoardRef; anything else raises ``ProjectURLError``.

    ``hosts`` are the hosts a board may live on: github.com, plus a GitHub Enterprise host.
    """
    parts = urlsplit(url.strip())
    match = _BOARD_PATH.match(parts.path) if parts.scheme in ("https", "http") and parts.netloc else None
    if match is None:
        shapes = " or ".join(ACCEPTED_BOARD_URLS)
        raise ProjectURLError(f"board URL {url!r} is not a GitHub Projects v2 URL; use {shapes}")
    if (parts.hostname or "").lower() not in hosts:
        raise ProjectURLError(
            f"board URL {url!r} is on {parts.hostname}, not on {' or '.join(sorted(hosts))}; "
            "give the URL of a GitHub project (for GitHub Enterprise, set the api_url of that host)"
        )
    return BoardRef(owner_is_org=match["kind"] == "orgs", login=match["login"], number=int(match["number"]))


def parse_target(target: str) -> RepoRef:
    """``owner/name`` -> RepoRef; anything else raises ``ProviderConfigError`` saying what is expected."""
    match = _TARGET.match(target.strip())
    if match is None:
        raise ProviderConfigError(f"target {target!r} is not a GitHub repository; use OWNER/REPO, e.g. acme/roadmap")
    return RepoRef(owner=match["owner"], name=match["name"])
