"""``JiraOptions``: the Jira provider's own keywords (``create_provider("jira", ..., api_url=...)``, the CLI's
``--api-url`` and ``--option KEY=VALUE``), and the site and board URLs they name."""

from __future__ import annotations

import math
import re
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import attrs
import httpx

from planpilot_providers_core import ProjectURLError, ProviderConfigError
from planpilot_providers_core.reliability import DEFAULT_RETRY_POLICY, SYSTEM_CLOCK, Clock, RetryPolicy, is_loopback

__all__ = ["GATEWAY_URL", "JiraOptions", "SiteUrl", "board_id", "parse_site_url", "project_key"]

GATEWAY_URL: Final = "https://api.atlassian.com"
"""Where OAuth 2.0 access tokens (and scoped API tokens) reach a site: ``{gateway}/ex/jira/{cloudId}``."""
MAX_SECONDS: Final = 86_400.0
_PROJECT_KEY: Final = re.compile(r"[A-Z][A-Z0-9_]{1,254}")
_GATEWAY_PATH: Final = re.compile(r"/ex/jira/([0-9A-Za-z-]+)/?")
_BOARD_PATH: Final = re.compile(r"/jira/software/(?:c/)?projects/([A-Za-z][A-Za-z0-9_]*)/boards/(\d+)(?:/.*)?")
_RAPID_BOARD: Final = re.compile(r"rapidView=(\d+)")


@attrs.frozen
class SiteUrl:
    """Where the API is: a site (``https://acme.atlassian.net``) or a gateway base with its cloud id."""

    base: str
    cloud_id: str | None = None
    """Set when the URL is already the gateway form (``https://api.atlassian.com/ex/jira/<cloudId>``)."""

    @property
    def host(self) -> str:
        return urlsplit(self.base).hostname or ""


def parse_site_url(value: str) -> SiteUrl:
    """``api_url`` read: an http(s) site URL, or the gateway form; anything else is a configuration error."""
    parts = urlsplit(value.strip()) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ProviderConfigError(
            f"api_url {value!r} is not a Jira Cloud site URL; give the site, e.g. https://acme.atlassian.net "
            "(or https://api.atlassian.com/ex/jira/CLOUD-ID for an OAuth token, or the emulator's "
            "http://127.0.0.1:PORT)"
        )
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if not path:
        return SiteUrl(base)
    gateway = _GATEWAY_PATH.fullmatch(path + "/")
    if gateway is not None:
        return SiteUrl(f"{base}/ex/jira/{gateway.group(1)}", cloud_id=gateway.group(1))
    raise ProviderConfigError(
        f"api_url {value!r} has a path ({path}); give the site alone, e.g. {base} "
        "(the provider adds /rest/api/3/... itself)"
    )


def project_key(target: str) -> str:
    """The project key ``--target`` names (``PROJ``), or a configuration error saying what one looks like."""
    key = target.strip()
    if not _PROJECT_KEY.fullmatch(key):
        raise ProviderConfigError(
            f"Jira target must be a project key such as PROJ (a capital letter, then capital letters, digits "
            f"or underscores), got {target!r}"
        )
    return key


def board_id(board_url: str, project: str) -> int | None:
    """The board a Jira Software board URL names (``https://acme.atlassian.net/jira/software/c/projects/PROJ/
    boards/7``), ``None`` for no URL; a URL of another project or shape is refused."""
    if not board_url:
        return None
    parts = urlsplit(board_url)
    match = _BOARD_PATH.fullmatch(parts.path) if parts.scheme in ("http", "https") else None
    if match is not None:
        if match.group(1).upper() != project:
            raise ProjectURLError(
                f"board URL {board_url!r} is a board of project {match.group(1)}, not of the target {project}"
            )
        return int(match.group(2))
    rapid = _RAPID_BOARD.search(parts.query) if parts.scheme in ("http", "https") else None
    if rapid is not None:  # the older RapidBoard.jspa?rapidView=7 form
        return int(rapid.group(1))
    raise ProjectURLError(
        f"board URL {board_url!r} is not a Jira Software board URL; expected "
        f"https://SITE.atlassian.net/jira/software/c/projects/{project}/boards/ID (team-managed: without /c)"
    )


def _api_url(instance: Any, attribute: attrs.Attribute[str], value: object) -> None:
    parse_site_url(value if isinstance(value, str) else repr(value))


def _seconds(*, positive: bool = False) -> Any:
    low = "> 0" if positive else ">= 0"

    def check(instance: Any, attribute: attrs.Attribute[float], value: object) -> None:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        if not (number > 0 if positive else number >= 0) or not number <= MAX_SECONDS:
            raise ProviderConfigError(
                f"option {attribute.name} must be a number of seconds {low}, at most {MAX_SECONDS:g}, got {value!r}"
            )

    return check


def _optional_text(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ProviderConfigError(f"option {attribute.name} must be a non-empty name or left out, got {value!r}")


@attrs.frozen(kw_only=True)
class JiraOptions:
    """What ``create_provider("jira", ...)`` accepts beyond the common configuration."""

    api_url: str = attrs.field(validator=_api_url)
    """The site, ``https://SITE.atlassian.net`` (the emulator: ``http://127.0.0.1:PORT``), or the OAuth
    gateway form ``https://api.atlassian.com/ex/jira/CLOUD-ID``."""
    gateway_url: str = attrs.field(default=GATEWAY_URL, validator=_api_url)
    """Where an OAuth token reaches the site given as ``api_url`` (its cloud id is looked up there)."""
    transport: httpx.AsyncBaseTransport | None = None
    """An httpx transport to use instead of the network (the in-process emulator)."""
    budgets: Literal["auto", "jira"] | None = attrs.field(
        default="auto", validator=attrs.validators.in_(("auto", "jira", None))
    )
    """``"auto"``: pace by Jira's published limits when talking to Jira, not to the emulator (a loopback
    ``api_url`` or a ``transport``); ``"jira"``: everywhere; ``None``: no pacing (429s are still waited out)."""
    quota_points: int = attrs.field(
        default=65_000, validator=[attrs.validators.instance_of(int), attrs.validators.ge(100)]
    )
    """The hourly points quota of an OAuth app (Tier 1: 65,000); API-token traffic has none."""
    max_connections: int = attrs.field(
        default=5, validator=[attrs.validators.instance_of(int), attrs.validators.in_(range(1, 51))]
    )
    """Requests in flight at once (Atlassian: "send at most 5-10 concurrent requests")."""
    timeout: float = attrs.field(default=30.0, validator=_seconds(positive=True))
    retry_policy: RetryPolicy = attrs.field(
        default=DEFAULT_RETRY_POLICY, validator=attrs.validators.instance_of(RetryPolicy)
    )
    page_size: int = attrs.field(
        default=100, validator=[attrs.validators.instance_of(int), attrs.validators.in_(range(1, 101))]
    )
    """Issues per search page (Jira returns at most 100 with fields, and may return fewer)."""
    bulk_create: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    """Creates that run at the same time go out together, up to 50 per request (``POST /issue/bulk``)."""
    size_field: str | None = attrs.field(default=None, validator=_optional_text)
    """The field sizes go to, by name or id (``Story Points``, ``customfield_10016``); default: the board's
    estimation field, else a "Story Points"/"Story point estimate" field, else a t-shirt select field."""
    subtask_type: str | None = attrs.field(default=None, validator=_optional_text)
    """The issue type of a plan task under a story (Jira allows only sub-tasks there); default: the project's."""
    link_type: str = attrs.field(default="Blocks", validator=[attrs.validators.instance_of(str), _optional_text])
    """The issue link type blocked-by relations use (found by name, or by its "blocks" phrases)."""
    index_lag: float = attrs.field(default=600.0, validator=_seconds())
    """Seconds Jira's search index may lag writes: issues written or created within it are also read directly,
    so a search right after a sync still finds them."""
    clock: Clock = SYSTEM_CLOCK
    """The clock budgets and waits follow (the emulator's virtual clock in tests)."""

    @property
    def site(self) -> SiteUrl:
        return parse_site_url(self.api_url)

    @property
    def paced(self) -> bool:
        """Whether requests are paced by Jira's published limits (see ``budgets``)."""
        if self.budgets == "auto":
            return self.transport is None and not is_loopback(self.site.host)
        return self.budgets == "jira"
