"""``JiraProvider``: Jira Cloud issues behind the core provider contract.

The class wires the parts together and keeps the contract's order of events; the work is done by
:mod:`.resolve` (enter), :mod:`.search` (discovery), :mod:`.writes` with :mod:`.creates` and :mod:`.workflow`
(creates and updates), :mod:`.relations` (parents and "Blocks" links), :mod:`.mapping`, :mod:`.bodies` and
:mod:`.labels` (the contract's terms in Jira's), and :mod:`.budgets` (Jira's rate limits, paced by core).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import ClassVar

from planpilot_provider_jira.bodies import canonical_markdown
from planpilot_provider_jira.budgets import IssueWritePacer, estimate_workload, jira_budgets
from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import JiraContext
from planpilot_provider_jira.creates import BULK_LIMIT, Created, Creator
from planpilot_provider_jira.item import JiraItem
from planpilot_provider_jira.labels import encode_label
from planpilot_provider_jira.mapping import PROPERTY, IssueView, field_write, item_fields, read_issue
from planpilot_provider_jira.options import JiraOptions, board_id, parse_site_url, project_key
from planpilot_provider_jira.plugin import CAPABILITIES
from planpilot_provider_jira.relations import JiraRelations
from planpilot_provider_jira.resolve import resolve_project
from planpilot_provider_jira.search import Discovery, bulk_fetch, newer_issues
from planpilot_provider_jira.workflow import Workflow
from planpilot_provider_jira.writes import IssueWrites
from planpilot_providers_core import (
    AuthenticationError,
    CreateItemInput,
    Estimate,
    Item,
    ItemLimits,
    ItemNotFoundError,
    ItemRelations,
    ItemSearchFilters,
    Provider,
    ProviderConfig,
    ProviderError,
    RelationChange,
    UpdateItemInput,
    Workload,
    parse_options,
)
from planpilot_providers_core.reliability import HttpClientConfig, PooledClient, RequestBudgets

__all__ = ["JiraProvider"]

_MIN_CREATE_LOOKBACK = 600.0
"""Seconds an unanswered create is looked for even with ``index_lag`` 0 (it happened moments ago)."""


class JiraProvider(Provider[JiraContext]):
    """Plan items as issues of one Jira Cloud project (``--target PROJ --api-url https://SITE.atlassian.net``).

    Options are the fields of :class:`~.options.JiraOptions`.
    """

    item_limits: ClassVar[ItemLimits] = ItemLimits(title=255, body=32_767)
    """Jira refuses longer summaries ("Summary can't exceed 255 characters.") and text fields."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.options = options = parse_options(JiraOptions, config)
        self._key = project_key(config.target)
        self._board = board_id(config.board_url, self._key)
        oauth = config.credential.sent_as == "bearer" and bool(config.credential)
        # Kept across entries, like Jira's windows; they pace only when options.paced (Jira, not the emulator).
        self._budgets: RequestBudgets = jira_budgets(
            quota_points=options.quota_points if oauth else None, clock=options.clock
        )
        self._pacer = IssueWritePacer(clock=options.clock) if options.paced else None
        self._api: JiraApi | None = None
        self._browse = ""
        self._workflow = Workflow()
        self._discovery = Discovery(
            lambda: self._access(False)[0],
            page_size=options.page_size,
            index_lag=options.index_lag,
            clock=options.clock,
        )
        self._creator = Creator(lambda: self._access(True)[0], self._find_created, bulk=options.bulk_create)
        self._writes = IssueWrites(
            self._access, self._creator, self._workflow, self._discovery.wrote, clock=options.clock
        )
        self._relations = JiraRelations(self._access, self._discovery.wrote, self._level, options.clock)

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> None:
        """Target, board URL and options, before any credential is read."""
        parse_options(JiraOptions, config)
        board_id(config.board_url, project_key(config.target))

    def __repr__(self) -> str:
        return f"JiraProvider(target={self._key!r}, board={self._board!r}, api_url={self.options.api_url!r})"

    def _access(self, write: bool) -> tuple[JiraApi, JiraContext]:
        self.ensure_writable() if write else self.ensure_entered()
        if self._api is None:
            raise ProviderError(f"provider {self.name!r} is still entering")
        return self._api, self.context

    async def _level(self, issue_id: str) -> int:
        api, context = self._access(False)
        return await self._writes.level(api, context, issue_id)

    def _url(self, key: str) -> str:
        return f"{self._browse}/browse/{key}"

    # -- lifecycle ---------------------------------------------------------------------------------------
    async def resolve_context(self) -> JiraContext:
        credential = self.config.credential
        if not credential:
            raise AuthenticationError(
                f"provider {self.name!r} needs a Jira API token (JIRA_EMAIL and JIRA_API_TOKEN) or an OAuth 2.0 "
                "access token (JIRA_OAUTH_TOKEN)"
            )
        options = self.options
        site = options.site
        base = self._browse = site.base
        if credential.sent_as == "bearer" and site.cloud_id is None:
            # OAuth tokens reach a site only through the gateway, by the site's cloud id (asked without them).
            cloud_id = await self._cloud_id(site.base)
            base = f"{parse_site_url(options.gateway_url).base}/ex/jira/{cloud_id}"
        http = HttpClientConfig(
            base_url=base,
            headers={"Authorization": credential.authorization()},
            max_connections=options.max_connections,
            timeout=options.timeout,
        )
        budgets = self._budgets if options.paced else None
        client = await self.open_resource(PooledClient(http, transport=options.transport, budgets=budgets))
        self._api = api = JiraApi(client, options.retry_policy, pacer=self._pacer, clock=options.clock)
        if site.cloud_id is not None and credential.sent_as == "bearer":
            self._browse = await self._site_of(api, site.base.split("/ex/jira/")[0], site.cloud_id) or site.base
        try:
            resolved = await resolve_project(api, options, self.config.field_config, self._key, self._board)
        except ItemNotFoundError:
            where = f"project {self._key}" + (f" or board {self._board}" if self._board is not None else "")
            raise ProviderError(
                f"Jira at {site.base} has no {where} that this account can see; check --target and --board-url"
            ) from None
        return JiraContext(
            provider=self.name,
            capabilities=CAPABILITIES,
            site=self._browse,
            project_id=resolved.project_id,
            project_key=resolved.project_key,
            project_style=resolved.project_style,
            label=encode_label(self.config.label),
            types=resolved.types,
            subtask=resolved.subtask,
            known_types=resolved.known_types,
            create_screens=resolved.create_screens,
            size=resolved.size,
            size_from_tshirt=self.config.field_config.size_from_tshirt,
            priority=resolved.priority,
            status=resolved.status,
            statuses=resolved.statuses,
            sprint=resolved.sprint,
            sprint_field=resolved.sprint_field,
            board_id=resolved.board_id,
            link_type=resolved.link_type,
            duplicate_link=resolved.duplicate_link,
            fields=resolved.fields,
            read_only=self.read_only,
        )

    async def _cloud_id(self, site: str) -> str:
        async with PooledClient(HttpClientConfig(base_url=site), transport=self.options.transport) as anonymous:
            api = JiraApi(anonymous, self.options.retry_policy, clock=self.options.clock)
            answer = await api.call("getTenantInfo", "GET", "/_edge/tenant_info")
        cloud_id = answer.get("cloudId") if isinstance(answer, Mapping) else None
        if not isinstance(cloud_id, str) or not cloud_id:
            raise ProviderError(f"{site} did not say its cloud id (GET /_edge/tenant_info); is it a Jira Cloud site?")
        return cloud_id

    @staticmethod
    async def _site_of(api: JiraApi, gateway: str, cloud_id: str) -> str | None:
        """The site URL behind a cloud id, for browse links (an OAuth token lists the sites it may reach)."""
        sites = await api.call("getAccessibleResources", "GET", f"{gateway}/oauth/token/accessible-resources")
        for resource in sites if isinstance(sites, list) else ():
            if isinstance(resource, Mapping) and resource.get("id") == cloud_id and resource.get("url"):
                return str(resource["url"]).rstrip("/")
        return None

    async def aclose(self) -> None:
        await self._creator.close()
        self._api = None  # the client itself was opened with open_resource, so it is closed for us

    # -- items ---------------------------------------------------------------------------------------------
    def _item(self, view: IssueView) -> JiraItem:
        return JiraItem(
            id=view.id,
            key=view.key,
            url=self._url(view.key),
            title=view.summary,
            body=view.body,
            item_type=view.item_type,
            labels=view.labels,
            size=view.size,
            fields=view.fields,
            complete=not view.pending,
            relations=self._relations,
        )

    def canonical_body(self, body: str) -> str:
        """Markdown -> ADF -> Markdown, to a fixed point: what Jira shows and what the plan renders compare
        equal after a faithful round trip."""
        return canonical_markdown(body)

    async def search_items(self, filters: ItemSearchFilters) -> list[Item]:
        views = await self._discovery.search(self.context, filters)
        self._writes.seen(views)
        return [self._item(view) for view in views]

    async def get_item(self, item_id: str) -> JiraItem:
        return self._item(await self._writes.read(item_id))

    async def create_item(self, item: CreateItemInput) -> JiraItem:
        """One request (or a share of a bulk one) for nearly everything; see :mod:`.writes`."""
        return self._item(await self._writes.create(item, self.config.label, self._url))

    async def update_item(self, item_id: str, item: UpdateItemInput) -> JiraItem:
        view = await self._writes.read(item_id)
        return self._item(await self._writes.update(view, item))

    async def update_items(self, updates: Sequence[tuple[str, UpdateItemInput]]) -> list[Item | Exception]:
        """One batched read (100 issues a request), then a write per issue that differs."""
        api, context = self._access(True)
        ids = list(dict.fromkeys(item_id for item_id, _ in updates))
        try:
            issues, _missing = await bulk_fetch(api, ids, item_fields(context), properties=[PROPERTY])
        except Exception as exc:
            return [exc] * len(updates)
        views: dict[str, IssueView | Exception] = {}
        for issue in issues:
            try:
                view = read_issue(context, issue)
            except ProviderError as exc:
                views[str(issue.get("id"))] = exc
                continue
            if view.project_id in (None, context.project_id):
                views[view.id] = view
        self._writes.seen([v for v in views.values() if isinstance(v, IssueView)])
        results = await self._writes.update_many(views, updates)
        return [result if isinstance(result, Exception) else self._item(result) for result in results]

    async def delete_item(self, item_id: str) -> None:
        api, _context = self._access(True)
        await self._writes.read(item_id)  # ItemNotFoundError for a missing id, or an issue of another project
        # Sent again after a lost answer, a deleted issue answers 404: it is gone either way.
        await api.call("deleteIssue", "DELETE", f"/rest/api/3/issue/{item_id}", issues=[item_id], accept=(404,))

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        """The Jira way: the discovery label comes off, a "Duplicate" link says it duplicates ``kept``, and the
        workflow takes it to a done status (its resolution is whatever that transition sets); never deleted."""
        view = await self._writes.read(item_id)
        if item_id == kept.id:
            raise ProviderError(f"cannot close {view.key} as a duplicate of itself")
        await self._writes.close_duplicate(view, kept.id, label)

    def field_problems(self, fields: Mapping[str, str]) -> list[str]:
        """Each plan field checked against the project: an unknown field or value names the choices."""
        context = self.context
        problems = []
        for name, value in fields.items():
            ref = next((r for key, r in context.fields.items() if key.casefold() == name.casefold()), None)
            if ref is None:
                problems.append(f"Jira has no field {name!r} a plan can set; fields: {', '.join(context.fields)}")
            elif ref.kind in ("status", "sprint"):
                if ref.option(value) is None:
                    what = "status" if ref.kind == "status" else "open sprint"
                    problems.append(f"Jira has no {what} {value!r}; choices: {', '.join(ref.options) or 'none'}")
            else:
                try:
                    field_write(ref, value)
                except ProviderError as exc:
                    problems.append(str(exc))
        return problems

    # -- relations -----------------------------------------------------------------------------------------
    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        found = await self._relations.read([item.id for item in items])
        missing = [item.key for item in items if item.id not in found]
        if missing:
            raise ItemNotFoundError(f"fetch relations: Jira has no issue {', '.join(missing)} that this account sees")
        return {item_id: links.relations() for item_id, links in found.items()}

    async def reconcile_many(self, changes: Sequence[RelationChange]) -> list[Exception | None]:
        desired = [
            (
                change.item.id,
                ItemRelations(
                    parent_id=change.parent.id if change.parent else None, blocker_ids=[b.id for b in change.blockers]
                ),
            )
            for change in changes
        ]
        return await self._relations.reconcile_many(desired)

    # -- creates that lost their answer --------------------------------------------------------------------
    async def _find_created(self, tokens: Collection[str]) -> dict[str, Created]:
        """The issues carrying these create tokens, read by key without the search index."""
        api, context = self._access(True)
        lookback = max(self.options.index_lag, _MIN_CREATE_LOOKBACK)
        wanted = set(tokens)
        issues = await newer_issues(
            api, context, index_lag=lookback, fields=["summary", "project"], properties=[PROPERTY]
        )
        found: dict[str, Created] = {}
        for issue in issues:
            marker = (issue.get("properties") or {}).get(PROPERTY)
            token = marker.get("token") if isinstance(marker, Mapping) else None
            if token in wanted:
                found[str(token)] = Created(id=str(issue["id"]), key=str(issue["key"]))
        return found

    # -- budgets -------------------------------------------------------------------------------------------
    def estimate(self, work: Workload) -> Estimate:
        """How long ``work`` takes at Jira's published pace (creates go 50 to a request)."""
        bulk = BULK_LIMIT if self.options.bulk_create else 1
        return estimate_workload(self._budgets, work, bulk=bulk)

    def budget_report(self) -> Mapping[str, float] | None:
        """Requests and points spent, limit responses met and seconds waited (when pacing by Jira's limits)."""
        return self._budgets.report() if self.options.paced else None
