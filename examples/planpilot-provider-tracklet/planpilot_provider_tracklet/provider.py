"""The Tracklet provider: plan items as issues of one Tracklet team, over Tracklet's HTTP/JSON API.

Tracklet (a Linear-like tracker) has no native issue types, so the plan type is a type label (from
``FieldConfig.create_type_map``: ``Epic``, ``Story``, ``Task``). An issue can have a parent and blockers,
and can be created in a project, which is what ``board_url`` names. Issue ids are UUIDs the client may choose,
which is how a create whose answer was lost is resolved: read the id back before sending it again.

Written only against the public API of ``planpilot_providers_core``.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote, urlsplit

import attrs
import httpx

from planpilot_provider_tracklet.plugin import CAPABILITIES
from planpilot_providers_core import (
    AuthenticationError,
    CreateItemInput,
    CreateProgress,
    CreateStep,
    Estimate,
    Item,
    ItemNotFoundError,
    ItemRelations,
    ItemSearchFilters,
    PlanItemType,
    ProjectURLError,
    Provider,
    ProviderConfig,
    ProviderConfigError,
    ProviderContext,
    ProviderError,
    UpdateItemInput,
    Workload,
    frozen_mapping,
    merge_labels,
    parse_options,
)
from planpilot_providers_core.reliability import (
    DEFAULT_RETRY_POLICY,
    NOT_APPLIED,
    Applied,
    Budget,
    HttpClientConfig,
    NotApplied,
    PooledClient,
    RateLimitHeaders,
    RequestBudgets,
    RetryPolicy,
    raise_for_status,
    retry_call,
)

__all__ = ["TrackletContext", "TrackletItem", "TrackletOptions", "TrackletProvider", "TrackletRelations"]

DEFAULT_API_URL: Final = "https://api.tracklet.example/v1"
MAX_PAGE_SIZE: Final = 50
_TEAM_KEY = re.compile(r"[A-Z][A-Z0-9]{1,9}")
_PROJECT_PATH = re.compile(r"/[\w.-]+/projects/([a-z0-9][a-z0-9-]*)/?")

REQUESTS: Final = "requests per hour"
WRITES: Final = "writes per minute"
_WRITE_METHODS: Final = frozenset({"POST", "PATCH", "PUT", "DELETE"})

Json = dict[str, Any]
Resolver = Callable[[BaseException], Awaitable[Applied[Json] | NotApplied]]


def _http_url(text: str) -> tuple[str, str] | None:
    """``(scheme, path)`` of an absolute http(s) URL, else None."""
    try:
        url = urlsplit(text)
    except ValueError:
        return None
    return (url.scheme, url.path) if url.scheme in ("http", "https") and url.hostname else None


def _api_url(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if _http_url(value) is None:
        raise ValueError(f"api_url must be an absolute http(s) URL such as {DEFAULT_API_URL}, got {value!r}")


# --8<-- [start:options]
@attrs.frozen(kw_only=True)
class TrackletOptions:
    """The provider's own keywords (``create_provider(..., api_url=...)``; the CLI's ``--api-url``)."""

    api_url: str = attrs.field(default=DEFAULT_API_URL, validator=[attrs.validators.instance_of(str), _api_url])
    page_size: int = attrs.field(
        default=MAX_PAGE_SIZE, validator=[attrs.validators.instance_of(int), attrs.validators.in_(range(1, 51))]
    )
    retry_policy: RetryPolicy = attrs.field(
        default=DEFAULT_RETRY_POLICY, validator=attrs.validators.instance_of(RetryPolicy)
    )
    max_connections: int = attrs.field(
        default=10, validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)]
    )
    requests_per_hour: int = attrs.field(
        default=5000, validator=[attrs.validators.instance_of(int), attrs.validators.ge(10)]
    )
    """Tracklet's request budget per credential (its ``X-RateLimit-Requests-*`` headers narrow it)."""
    writes_per_minute: int = attrs.field(
        default=300, validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)]
    )
    """Tracklet asks clients to keep writes under this pace."""


# --8<-- [end:options]
# --8<-- [start:budgets]
def request_cost(request: httpx.Request) -> Mapping[str, float]:
    """What one request spends: a request, and a write unless it only reads."""
    return {REQUESTS: 1.0, WRITES: 1.0 if request.method in _WRITE_METHODS else 0.0}


def tracklet_budgets(options: TrackletOptions) -> RequestBudgets:
    """Tracklet's published limits, each with a small margin, narrowed by what its answers say is left."""
    return RequestBudgets(
        (
            Budget(
                name=REQUESTS, limit=options.requests_per_hour, window=3600.0, margin=options.requests_per_hour // 100
            ),
            Budget(name=WRITES, limit=options.writes_per_minute, window=60.0, margin=options.writes_per_minute // 20),
        ),
        cost=request_cost,
        headers=(
            RateLimitHeaders(
                budget=REQUESTS,
                limit="X-RateLimit-Requests-Limit",
                remaining="X-RateLimit-Requests-Remaining",
                reset="X-RateLimit-Requests-Reset",
                reset_format="epoch-ms",
            ),
        ),
    )


# --8<-- [end:budgets]
def project_slug(board_url: str) -> str | None:
    """The project a board URL names (``https://tracklet.example/acme/projects/roadmap``), None for none."""
    if not board_url:
        return None
    url = _http_url(board_url)
    match = None if url is None else _PROJECT_PATH.fullmatch(url[1])
    if match is None:
        raise ProjectURLError(
            f"board URL {board_url!r} is not a Tracklet project URL; "
            "expected https://tracklet.example/<workspace>/projects/<project-slug>"
        )
    return match.group(1)


# --8<-- [start:context]
@attrs.frozen(kw_only=True)
class TrackletContext(ProviderContext):
    """What entering resolved; frozen all the way down (the base class checks it)."""

    team: str
    team_name: str
    project_id: str | None
    label: str
    type_labels: Mapping[PlanItemType, str] = attrs.field(converter=frozen_mapping)


# --8<-- [end:context]
# --8<-- [start:api]
class TrackletApi:
    """Tracklet's HTTP API: each call retried per the policy, each failure mapped to a core error."""

    def __init__(self, client: PooledClient, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy

    async def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        item_id: str | None = None,
        resolve: Resolver | None = None,
        **kwargs: Any,
    ) -> Json:
        """The JSON answer (``{}`` for none). ``resolve`` marks a write that must not be sent twice."""

        async def attempt() -> Json:
            response = await self._client.request(operation, method, path, **kwargs)
            raise_for_status(response, operation, item_id=item_id)
            if not response.content:
                return {}
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if not isinstance(answer, dict):
                raise ProviderError(f"{operation}: Tracklet answered HTTP {response.status_code} without a JSON object")
            return answer

        return await retry_call(
            operation,
            attempt,
            policy=self._policy,
            idempotent=resolve is None,
            resolve_ambiguous=resolve,
            gate=self._client.gate,
        )

    async def issue(self, issue_id: str) -> Json:
        return await self.call("get issue", "GET", f"/issues/{quote(issue_id, safe='')}", item_id=issue_id)


# --8<-- [end:api]
class TrackletRelations:
    """What a :class:`TrackletItem`'s relation methods need: the API, behind the provider's guards.

    ``api(write)`` raises ``ProviderError`` unless the provider is entered (and writable, for a write).
    """

    def __init__(self, api: Callable[[bool], TrackletApi]) -> None:
        self._api = api

    async def get(self, item_id: str) -> ItemRelations:
        issue = await self._api(False).issue(item_id)
        return ItemRelations(parent_id=issue["parent"], blocker_ids=issue["blocked_by"])

    async def set_parent(self, item_id: str, parent_id: str | None) -> None:
        path = f"/issues/{quote(item_id, safe='')}"
        await self._api(True).call("set parent", "PATCH", path, item_id=item_id, json={"parent": parent_id})

    async def add_blocker(self, item_id: str, blocker_id: str) -> None:
        if blocker_id not in (await self.get(item_id)).blockers:
            await self._link(item_id, blocker_id)

    async def _link(self, item_id: str, blocker_id: str) -> None:
        api = self._api(True)

        async def resolve(exc: BaseException) -> Applied[Json] | NotApplied:
            # Tracklet keeps a second identical link, so an answer lost after linking must not be re-sent.
            return Applied({}) if blocker_id in (await self.get(item_id)).blockers else NOT_APPLIED

        path = f"/issues/{quote(item_id, safe='')}/blockers"
        await api.call("add blocker", "POST", path, item_id=item_id, json={"blocker": blocker_id}, resolve=resolve)

    async def _unlink(self, item_id: str, blocker_id: str) -> None:
        path = f"/issues/{quote(item_id, safe='')}/blockers/{quote(blocker_id, safe='')}"
        await self._api(True).call("remove blocker", "DELETE", path, item_id=item_id)

    async def reconcile(self, item_id: str, parent_id: str | None, blocker_ids: Sequence[str]) -> None:
        self._api(True)  # refuse before reading when the provider cannot write
        current = await self.get(item_id)
        if current.parent_id != parent_id:
            await self.set_parent(item_id, parent_id)
        have = Counter(current.blocker_ids)
        wanted = set(blocker_ids)
        for blocker_id, times in have.items():
            if blocker_id not in wanted or times > 1:  # stale, or linked twice (by someone else): start over
                await self._unlink(item_id, blocker_id)
        for blocker_id in sorted(wanted):
            if have[blocker_id] != 1:
                await self._link(item_id, blocker_id)


# --8<-- [start:item]
@attrs.frozen(kw_only=True)
class TrackletItem(Item):
    """An issue as last read. Its relation methods act on Tracklet through ``relations``."""

    relations: TrackletRelations = attrs.field(eq=False, repr=False)

    async def set_parent(self, parent: Item) -> None:
        await self.relations.set_parent(self.id, parent.id)

    async def add_dependency(self, blocker: Item) -> None:
        await self.relations.add_blocker(self.id, blocker.id)

    async def reconcile_relations(self, *, parent: Item | None, blockers: Sequence[Item]) -> None:
        await self.relations.reconcile(self.id, None if parent is None else parent.id, [b.id for b in blockers])

    async def get_relations(self) -> ItemRelations:
        return await self.relations.get(self.id)


# --8<-- [end:item]
class TrackletProvider(Provider[TrackletContext]):
    """Plan items as issues of the Tracklet team ``target`` (e.g. ``ENG``), optionally in a project."""

    # --8<-- [start:init]
    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)  # runs validate_config
        self._options = parse_options(TrackletOptions, config)
        self._budgets = tracklet_budgets(self._options)  # kept across entries: the windows outlive one enter
        self._api: TrackletApi | None = None
        self._relations = TrackletRelations(self._checked_api)

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> None:
        if not _TEAM_KEY.fullmatch(config.target):
            raise ProviderConfigError(
                f"Tracklet target must be a team key such as ENG (2-10 capital letters or digits), "
                f"got {config.target!r}"
            )
        project_slug(config.board_url)
        parse_options(TrackletOptions, config)

    def _checked_api(self, write: bool) -> TrackletApi:
        self.ensure_writable() if write else self.ensure_entered()
        if self._api is None:
            raise ProviderError(f"provider {self.name!r} is still entering")
        return self._api

    # --8<-- [end:init]
    # -- lifecycle ---------------------------------------------------------------------------------

    # --8<-- [start:enter]
    async def resolve_context(self) -> TrackletContext:
        credential = self.config.credential
        if not credential:
            raise AuthenticationError(
                f"provider {self.name!r} needs a Tracklet API key (TRACKLET_EMAIL and TRACKLET_API_KEY) "
                "or an OAuth token (TRACKLET_OAUTH_TOKEN)"
            )
        http = HttpClientConfig(
            base_url=self._options.api_url,
            headers={"Authorization": credential.authorization()},  # Basic, or Bearer for the OAuth token
            max_connections=self._options.max_connections,
        )
        client = await self.open_resource(PooledClient(http, budgets=self._budgets))
        self._api = api = TrackletApi(client, self._options.retry_policy)
        team_key = self.config.target
        try:
            team = await api.call("get team", "GET", f"/teams/{team_key}", item_id=team_key)
            slug = project_slug(self.config.board_url)
            project = None
            if slug is not None:
                project = await api.call("get project", "GET", f"/teams/{team_key}/projects/{slug}", item_id=slug)
        except ItemNotFoundError:
            raise ProviderError(
                f"Tracklet has no team {team_key!r}"
                + (f" with project {self.config.board_url!r}" if self.config.board_url else "")
                + " that this API key can see; check --target and --board-url"
            ) from None
        return TrackletContext(
            provider=self.name,
            capabilities=CAPABILITIES,  # all of them, whatever the team: Tracklet has no optional features
            team=team_key,
            team_name=str(team["name"]),
            project_id=None if project is None else str(project["id"]),
            label=self.config.label,
            type_labels=self.config.field_config.create_type_map,
        )

    # --8<-- [end:enter]
    async def aclose(self) -> None:
        self._api = None  # the client itself was opened with open_resource, so it is closed for us

    # -- budgets -------------------------------------------------------------------------------------

    # --8<-- [start:estimate]
    def estimate(self, work: Workload) -> Estimate:
        """The requests ``work`` sends (a create: one; an update or a relation write: a read and a write)."""
        writes = work.creates + work.updates + work.relation_writes
        requests = writes + work.updates + work.relation_writes + work.reads
        return self._budgets.estimate({REQUESTS: requests, WRITES: writes})

    def budget_report(self) -> Mapping[str, float]:
        return self._budgets.report()

    # --8<-- [end:estimate]
    # -- items ---------------------------------------------------------------------------------------

    def _item(self, issue: Json) -> TrackletItem:
        """An issue as the contract's item; the plan type is read from the type label."""
        try:
            labels = tuple(issue["labels"])
            have = {label.casefold() for label in labels}
            types = self.context.type_labels
            item_type = next((t for t in PlanItemType if types[t].casefold() in have), PlanItemType.TASK)
            return TrackletItem(
                id=issue["id"],
                key=issue["key"],
                url=issue["url"],
                title=issue["title"],
                body=issue["description"],
                item_type=item_type,
                labels=labels,
                size=issue.get("estimate"),
                relations=self._relations,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(f"Tracklet answered with an issue this provider cannot read: {exc!r}") from exc

    # --8<-- [start:search]
    async def search_items(self, filters: ItemSearchFilters) -> list[TrackletItem]:
        api = self._checked_api(False)
        query = [("label", label) for label in filters.labels]
        query += [("q", filters.body_contains)] if filters.body_contains else []
        found: dict[str, TrackletItem] = {}
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page_query = [*query, ("limit", str(self._options.page_size))] + ([("after", cursor)] if cursor else [])
            page = await api.call("search issues", "GET", f"/teams/{self.context.team}/issues", params=page_query)
            for issue in page["issues"]:
                item = self._item(issue)
                if filters.matches(item.labels, item.body):  # Tracklet's filter, checked again
                    found.setdefault(item.id, item)
            cursor = page.get("next")
            if cursor is None:
                return list(found.values())
            if cursor in seen:  # never return what we have so far as if it were everything
                raise ProviderError(f"search issues: Tracklet returned page cursor {cursor!r} twice; stopping")
            seen.add(cursor)

    # --8<-- [end:search]
    # --8<-- [start:create]
    async def create_item(self, item: CreateItemInput) -> TrackletItem:
        """One request: the issue with its type label, labels, estimate, parent and project, so nothing is half done.

        Its steps are recorded with ``CreateProgress`` all the same: should anything fail once the issue
        exists (here, only an unreadable answer could), it is a ``CreateItemPartialFailureError``.
        """
        api, context = self._checked_api(True), self.context
        issue_id = str(uuid.uuid4())  # chosen here, so a lost answer can be looked up by id

        async def resolve(exc: BaseException) -> Applied[Json] | NotApplied:
            try:
                return Applied(await api.issue(issue_id))
            except ItemNotFoundError:
                return NOT_APPLIED

        payload = {
            "id": issue_id,
            "title": item.title,
            "description": item.body,
            "labels": list(merge_labels((context.label,), item.labels, (context.type_labels[item.item_type],))),
            "estimate": item.size,
            "parent": item.parent_id,
            "project": context.project_id,
        }
        steps = [CreateStep.ISSUE_TYPE_SET, CreateStep.LABELS_SET]  # the type is a label
        steps += [CreateStep.PARENT_SET] if item.parent_id is not None else []
        steps += [CreateStep.PROJECT_ITEM_ADDED] if context.project_id is not None else []
        progress = CreateProgress()
        with progress:
            path = f"/teams/{context.team}/issues"
            issue = await api.call("create issue", "POST", path, json=payload, resolve=resolve)
            progress.created(issue_id, str(issue.get("key", issue_id)), str(issue.get("url", "")), *steps)
            return self._item(issue)

    # --8<-- [end:create]
    # --8<-- [start:update]
    async def update_item(self, item_id: str, item: UpdateItemInput) -> TrackletItem:
        """Writes only what differs. Labels are only added; a type change swaps our own type label."""
        api, types = self._checked_api(True), self.context.type_labels
        current = self._item(await api.issue(item_id))
        change: Json = {}
        for field, wanted, have in (
            ("title", item.title, current.title),
            ("description", item.body, current.body),
            ("estimate", item.size, current.size),
        ):
            if wanted is not None and wanted != have:
                change[field] = wanted
        have_labels = {label.casefold() for label in current.labels}
        wanted_labels = merge_labels(item.labels or (), () if item.item_type is None else (types[item.item_type],))
        if added := [label for label in wanted_labels if label.casefold() not in have_labels]:
            change["add_labels"] = added
        if item.item_type is not None:
            stale = {types[t].casefold() for t in PlanItemType if t is not item.item_type}
            if removed := [label for label in current.labels if label.casefold() in stale]:
                change["remove_labels"] = removed
        if not change:
            return current
        path = f"/issues/{quote(item_id, safe='')}"
        return self._item(await api.call("update issue", "PATCH", path, item_id=item_id, json=change))

    # --8<-- [end:update]
    async def get_item(self, item_id: str) -> TrackletItem:
        issue = await self._checked_api(False).issue(item_id)
        if issue.get("team") != self.context.team:
            raise ItemNotFoundError(f"get issue: {item_id!r} is not an issue of team {self.context.team}")
        return self._item(issue)

    # --8<-- [start:close-duplicate]
    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        """One request: the issue is closed as a duplicate of ``kept`` and loses the discovery label, so no
        search for the label finds it again. Repeating it changes nothing."""
        api = self._checked_api(True)
        current = await self.get_item(item_id)  # ItemNotFoundError for a missing id, or another team's issue
        if current.id == kept.id:
            raise ProviderError(f"cannot close {current.key} as a duplicate of itself")
        change: Json = {"state": "duplicate", "duplicate_of": kept.id}
        if stale := [name for name in current.labels if name.casefold() == label.casefold()]:
            change["remove_labels"] = stale
        path = f"/issues/{quote(item_id, safe='')}"
        await api.call("close issue as duplicate", "PATCH", path, item_id=item_id, json=change)

    # --8<-- [end:close-duplicate]
    async def delete_item(self, item_id: str) -> None:
        api = self._checked_api(True)
        await self.get_item(item_id)  # ItemNotFoundError for a missing id, or an issue of another team

        async def resolve(exc: BaseException) -> Applied[Json] | NotApplied:
            try:
                await api.issue(item_id)
            except ItemNotFoundError:
                return Applied({})  # gone: the lost answer was a success
            return NOT_APPLIED

        path = f"/issues/{quote(item_id, safe='')}"
        await api.call("delete issue", "DELETE", path, item_id=item_id, resolve=resolve)
