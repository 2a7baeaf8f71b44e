"""Entering: what the project, its issue types, create screens, workflow statuses, link types and the board
are, resolved once into a :class:`~.context.JiraContext`. Every misconfiguration is reported here, before any
write, naming what the site has instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

import attrs

from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import FieldRef, IssueTypeRef, LinkTypeRef, SprintRef, StatusRef
from planpilot_provider_jira.options import JiraOptions
from planpilot_providers_core import (
    FieldConfig,
    PlanItemType,
    ProviderCapabilityError,
    ProviderError,
    frozen_mapping,
)
from planpilot_providers_core.contracts import TSHIRT_POINTS

__all__ = ["Resolved", "resolve_project"]

log = logging.getLogger("planpilot.providers.jira")

CORE_DEFAULTS: Final = FieldConfig()
"""Core's defaults were made for GitHub boards ("Backlog", "P1", a "Size" field): where a Jira project has no
such status, priority or field, the default is not applied (Jira's own defaults stand), while a value set on
purpose that the project lacks is an error."""
_STORY_POINT_NAMES: Final = ("story points", "story point estimate")
_SETTABLE_CUSTOM: Final = {"number", "option", "string"}


@attrs.frozen
class Resolved:
    project_id: str
    project_key: str
    project_style: str
    types: Mapping[PlanItemType, IssueTypeRef]
    subtask: IssueTypeRef | None
    known_types: Mapping[str, IssueTypeRef]
    create_screens: Mapping[str, frozenset[str]]
    size: FieldRef | None
    priority: tuple[str, str] | None
    status: str | None
    statuses: Mapping[str, Mapping[str, StatusRef]]
    sprint: SprintRef | None
    sprint_field: str | None
    board_id: int | None
    link_type: LinkTypeRef
    duplicate_link: LinkTypeRef | None
    fields: Mapping[str, FieldRef]


def _type_ref(raw: Mapping[str, Any]) -> IssueTypeRef:
    subtask = bool(raw.get("subtask"))
    level = raw.get("hierarchyLevel")
    return IssueTypeRef(
        id=str(raw["id"]),
        name=str(raw["name"]),
        level=int(level) if isinstance(level, int) else (-1 if subtask else 0),
        subtask=subtask,
    )


def _by_name(types: Sequence[IssueTypeRef], name: str) -> IssueTypeRef | None:
    wanted = name.casefold()
    return next((t for t in types if t.name.casefold() == wanted), None)


async def resolve_project(
    api: JiraApi, options: JiraOptions, config: FieldConfig, key: str, board: int | None
) -> Resolved:
    """Read the project (and board) and decide every mapping the provider uses."""
    project = await api.call("getProject", "GET", f"/rest/api/3/project/{quote(key)}", item_id=key)
    project_key = str(project["key"])
    all_types = [_type_ref(t) for t in project.get("issueTypes") or ()]
    types, subtask = _plan_types(config, options, all_types, project_key)
    used = {t.id: t for t in (*types.values(), *([subtask] if subtask else []))}

    screens: dict[str, frozenset[str]] = {}
    meta: dict[str, dict[str, Mapping[str, Any]]] = {}
    for type_id in used:
        fields = await _create_meta(api, project_key, type_id)
        meta[type_id] = fields
        screens[type_id] = frozenset(fields)
    every_field: dict[str, Mapping[str, Any]] = {}
    for fields in meta.values():
        every_field.update(fields)

    statuses = await _statuses(api, project_key)
    status = _creation_status(config, statuses, used)
    priority_field = _priority_field(every_field)
    priority = _creation_priority(config, priority_field)

    board_config: Mapping[str, Any] | None = None
    sprints: list[SprintRef] = []
    if board is not None:
        board_config, sprints = await _board(api, board, project_key)
    sprint_field = next(
        (fid for fid, f in every_field.items() if (f.get("schema") or {}).get("custom", "").endswith(":gh-sprint")),
        None,
    )
    sprint = _creation_sprint(config, sprints, board)
    size = _size_field(options, config, every_field, board_config)
    link_type, duplicate_link = await _link_types(api, options.link_type)

    settable: dict[str, FieldRef] = {}
    settable["Status"] = FieldRef(
        id="status",
        name="Status",
        kind="status",
        options={s.name: s.id for per_type in statuses.values() for s in per_type.values()},
    )
    if priority_field is not None:
        settable["Priority"] = priority_field
    if board is not None:
        settable["Sprint"] = FieldRef(
            id=sprint_field or "sprint", name="Sprint", kind="sprint", options={s.name: str(s.id) for s in sprints}
        )
    for field_id, raw in every_field.items():
        ref = _custom_ref(field_id, raw)
        if ref is not None and ref.name not in settable:
            settable[ref.name] = ref
    return Resolved(
        project_id=str(project["id"]),
        project_key=project_key,
        project_style=str(project.get("style") or "classic"),
        types=frozen_mapping(types),
        subtask=subtask,
        known_types=frozen_mapping({t.id: t for t in all_types}),
        create_screens=frozen_mapping(screens),
        size=size,
        priority=priority,
        status=status,
        statuses=frozen_mapping({tid: frozen_mapping(per) for tid, per in statuses.items()}),
        sprint=sprint,
        sprint_field=sprint_field,
        board_id=board,
        link_type=link_type,
        duplicate_link=duplicate_link,
        fields=frozen_mapping(settable),
    )


def _plan_types(
    config: FieldConfig, options: JiraOptions, all_types: Sequence[IssueTypeRef], key: str
) -> tuple[dict[PlanItemType, IssueTypeRef], IssueTypeRef | None]:
    names = ", ".join(t.name for t in all_types) or "none"
    types: dict[PlanItemType, IssueTypeRef] = {}
    for plan_type, name in config.create_type_map.items():
        found = _by_name(all_types, name)
        if found is None:
            raise ProviderCapabilityError(
                f"Jira project {key} has no issue type {name!r} for plan {plan_type.value}s (its types: {names}); "
                "map the plan types to types it has with field_config.create_type_map",
                capability="types.native",
            )
        types[plan_type] = found
    if options.subtask_type is not None:
        subtask = _by_name(all_types, options.subtask_type)
        if subtask is None or subtask.level >= 0:
            raise ProviderCapabilityError(
                f"Jira project {key} has no sub-task issue type {options.subtask_type!r} (its types: {names}); "
                "set --option subtask_type=NAME to one of its sub-task types",
                capability="types.native",
            )
    else:
        subtask = next((t for t in all_types if t.subtask or t.level < 0), None)
    return types, subtask


async def _create_meta(api: JiraApi, key: str, type_id: str) -> dict[str, Mapping[str, Any]]:
    """The create screen of one issue type: field id -> its metadata (every page)."""
    fields: dict[str, Mapping[str, Any]] = {}
    start = 0
    path = f"/rest/api/3/issue/createmeta/{quote(key)}/issuetypes/{quote(type_id)}"
    while True:
        page = await api.call(
            "getCreateIssueMetaIssueTypeId", "GET", path, params={"startAt": start, "maxResults": 200}
        )
        values = page.get("fields") or page.get("values") or []
        for raw in values:
            fields[str(raw.get("fieldId") or raw.get("key"))] = raw
        start += len(values)
        total = page.get("total")
        if not values or not isinstance(total, int) or start >= total:
            return fields


async def _statuses(api: JiraApi, key: str) -> dict[str, dict[str, StatusRef]]:
    answer = await api.call("getAllStatuses", "GET", f"/rest/api/3/project/{quote(key)}/statuses")
    statuses: dict[str, dict[str, StatusRef]] = {}
    for per_type in answer or ():
        refs = {}
        for raw in per_type.get("statuses") or ():
            category = (raw.get("statusCategory") or {}).get("key") or "new"
            ref = StatusRef(id=str(raw["id"]), name=str(raw["name"]), category=str(category))
            refs[ref.name.casefold()] = ref
        statuses[str(per_type["id"])] = refs
    return statuses


def _creation_status(
    config: FieldConfig, statuses: Mapping[str, Mapping[str, StatusRef]], used: Mapping[str, IssueTypeRef]
) -> str | None:
    if config.status is None:
        return None
    wanted = config.status.casefold()
    missing = [t.name for tid, t in used.items() if wanted not in statuses.get(tid, {})]
    if not missing:
        return config.status
    if config.status == CORE_DEFAULTS.status:
        log.info("Jira workflow has no status %r; new issues keep the workflow's initial status", config.status)
        return None
    names = sorted({s.name for tid in used for s in statuses.get(tid, {}).values()})
    raise ProviderError(
        f"the workflow of issue type(s) {', '.join(missing)} has no status {config.status!r} (statuses: "
        f"{', '.join(names) or 'none'}); set field_config.status to one of them, or to None"
    )


def _priority_field(fields: Mapping[str, Mapping[str, Any]]) -> FieldRef | None:
    raw = fields.get("priority")
    if raw is None:
        return None
    options = {str(v["name"]): str(v["id"]) for v in raw.get("allowedValues") or () if "name" in v and "id" in v}
    return FieldRef(id="priority", name="Priority", kind="priority", options=options)


def _creation_priority(config: FieldConfig, field: FieldRef | None) -> tuple[str, str] | None:
    if config.priority is None or field is None:
        return None
    found = field.option(config.priority)
    if found is not None:
        return found
    if config.priority == CORE_DEFAULTS.priority:
        return None  # Jira's default priority stands
    raise ProviderError(
        f"Jira has no priority {config.priority!r} (priorities: {', '.join(field.options) or 'none'}); "
        "set field_config.priority to one of them, or to None"
    )


async def _board(api: JiraApi, board: int, key: str) -> tuple[Mapping[str, Any], list[SprintRef]]:
    found = await api.call("getBoard", "GET", f"/rest/agile/1.0/board/{board}", item_id=str(board))
    location = found.get("location") or {}
    if location.get("projectKey") not in (None, key):
        raise ProviderError(
            f"board {board} belongs to project {location.get('projectKey')}, not to the target {key}; "
            "give a board of the target project"
        )
    configuration = await api.call("getConfiguration", "GET", f"/rest/agile/1.0/board/{board}/configuration")
    sprints: list[SprintRef] = []
    start = 0
    if found.get("type") == "scrum":
        while True:
            page = await api.call(
                "getAllSprints",
                "GET",
                f"/rest/agile/1.0/board/{board}/sprint",
                params={"state": "active,future", "startAt": start, "maxResults": 50},
            )
            values = page.get("values") or []
            sprints += [SprintRef(id=int(s["id"]), name=str(s["name"]), state=str(s["state"])) for s in values]
            start += len(values)
            if page.get("isLast", True) or not values:
                break
    return configuration, sprints


def _creation_sprint(config: FieldConfig, sprints: Sequence[SprintRef], board: int | None) -> SprintRef | None:
    if config.iteration is None or board is None:
        return None
    if config.iteration.casefold() == "active":
        active = next((s for s in sprints if s.state == "active"), None)
        if active is None:
            log.warning("board %s has no active sprint; new issues go to the backlog", board)
        return active
    wanted = config.iteration.casefold()
    found = next((s for s in sprints if s.name.casefold() == wanted), None)
    if found is None:
        names = ", ".join(s.name for s in sprints) or "none"
        raise ProviderError(
            f"board {board} has no open sprint {config.iteration!r} (active and future sprints: {names}); "
            "set field_config.iteration to one of them, 'active', or None"
        )
    return found


def _custom_ref(field_id: str, raw: Mapping[str, Any]) -> FieldRef | None:
    schema = raw.get("schema") or {}
    kind = schema.get("type")
    if not str(schema.get("custom", "")) or kind not in _SETTABLE_CUSTOM:
        return None
    name = str(raw.get("name") or field_id)
    if kind == "option":
        options = {str(v["value"]): str(v["id"]) for v in raw.get("allowedValues") or () if "value" in v}
        return FieldRef(id=field_id, name=name, kind="select", options=options)
    return FieldRef(id=field_id, name=name, kind="number" if kind == "number" else "text")


def _size_field(
    options: JiraOptions,
    config: FieldConfig,
    fields: Mapping[str, Mapping[str, Any]],
    board_config: Mapping[str, Any] | None,
) -> FieldRef | None:
    """The size field: configured (option, or a non-default ``field_config.size_field``), else the board's
    estimation field, else a story-points field, else a select field whose options are t-shirt sizes."""
    refs = {fid: ref for fid, raw in fields.items() if (ref := _custom_ref(fid, raw)) is not None}
    wanted = options.size_field or (config.size_field if config.size_field != CORE_DEFAULTS.size_field else None)
    if wanted is not None:
        found = refs.get(wanted) or next((r for r in refs.values() if r.name.casefold() == wanted.casefold()), None)
        if found is None:
            names = ", ".join(sorted(r.name for r in refs.values())) or "none"
            raise ProviderError(
                f"Jira has no field {wanted!r} on the create screens that could hold sizes (number, select or "
                f"text fields there: {names}); set --option size_field=NAME to one of them"
            )
        return found
    estimation = ((board_config or {}).get("estimation") or {}).get("field") or {}
    if estimation.get("fieldId") in refs:
        return refs[str(estimation["fieldId"])]
    points = next((r for r in refs.values() if r.kind == "number" and r.name.casefold() in _STORY_POINT_NAMES), None)
    if points is not None:
        return points
    tshirts = {size.casefold() for size in TSHIRT_POINTS}
    return next(
        (r for r in refs.values() if r.kind == "select" and r.options and {o.casefold() for o in r.options} <= tshirts),
        None,
    )


async def _link_types(api: JiraApi, name: str) -> tuple[LinkTypeRef, LinkTypeRef | None]:
    """The blocked-by link type, and the "Duplicate" one (by name, else by its "duplicates" phrase)."""
    answer = await api.call("getIssueLinkTypes", "GET", "/rest/api/3/issueLinkType")
    kinds = [
        LinkTypeRef(id=str(t["id"]), name=str(t["name"]), inward=str(t["inward"]), outward=str(t["outward"]))
        for t in answer.get("issueLinkTypes") or ()
    ]
    wanted = name.casefold()
    found = next((k for k in kinds if k.name.casefold() == wanted), None)
    if found is None and wanted == "blocks":  # renamed by an admin: the phrases still say what it is
        found = next((k for k in kinds if k.outward.casefold() == "blocks"), None)
    if found is None:
        names = ", ".join(k.name for k in kinds) or "none"
        raise ProviderCapabilityError(
            f"Jira has no issue link type {name!r} for blocked-by relations (link types: {names}); "
            "set --option link_type=NAME, or ask an admin to enable issue linking",
            capability="relations.blocked-by",
        )
    duplicate = next((k for k in kinds if k.name.casefold() == "duplicate"), None) or next(
        (k for k in kinds if k.inward.casefold() == "duplicates" or k.outward.casefold() == "duplicates"), None
    )
    return found, duplicate
