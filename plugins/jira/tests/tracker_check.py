"""What the emulated Jira holds for a plan, checked field by field against the plan: copies of an item, and
fields that are not what the plan says (title, type, body, discovery label, parent, blockers, size)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from planpilot_provider_jira.bodies import adf_to_markdown, canonical_markdown
from planpilot_provider_jira.testing import BLOCKS, JiraEmulator
from planpilot_provider_jira.testing.model import Issue
from planpilot_providers_core.contracts import TSHIRT_POINTS, PlanItemType
from planpilot_providers_core.plan import Plan, PlanItem
from planpilot_providers_core.sync.body import References, parse_metadata, render_body

TYPES = {PlanItemType.EPIC: {"Epic"}, PlanItemType.STORY: {"Story"}, PlanItemType.TASK: {"Task", "Sub-task"}}


@attrs.frozen
class TrackerCheck:
    copies: dict[str, list[Issue]]
    duplicates: int
    missing: list[str]
    wrong: list[str]
    """One line per field that differs: ``"T1 parent: PROJ-3, plan PROJ-2"``."""


def plan_issues(emulator: JiraEmulator, plan_id: str) -> dict[str, list[Issue]]:
    copies: dict[str, list[Issue]] = {}
    for issue in emulator.state.issues.values():
        meta = parse_metadata(adf_to_markdown(issue.description)) if not issue.deleted else None
        if meta is not None and meta.copy_key == plan_id:
            copies.setdefault(meta.item_id, []).append(issue)
    return copies


def check_tracker(
    emulator: JiraEmulator, plan: Plan, plan_id: str, *, content_id: str | None = None, label: str = "planpilot"
) -> TrackerCheck:
    """``plan_id`` is the plan's lasting id (the sync result's ``plan_id``), ``content_id`` its version's
    content hash (default: the plan's own)."""
    copies = plan_issues(emulator, plan_id)
    issues = {item_id: found[0] for item_id, found in copies.items() if found}
    blockers = plan.blockers()
    wrong: list[str] = []

    for item in plan:
        issue = issues.get(item.id)
        if issue is None:
            continue
        version = content_id or plan.plan_id
        wrong += _differences(emulator, plan, item, issue, (version, plan_id), label, blockers[item.id], issues)
    return TrackerCheck(
        copies=copies,
        duplicates=sum(len(found) - 1 for found in copies.values()),
        missing=[item.id for item in plan if item.id not in issues],
        wrong=wrong,
    )


def _differences(
    emulator: JiraEmulator,
    plan: Plan,
    item: PlanItem,
    issue: Issue,
    ids: tuple[str, str],
    label: str,
    blocking: Iterable[str],
    issues: dict[str, Issue],
) -> list[str]:
    wrong: list[str] = []

    def differs(field: str, have: object, want: object) -> None:
        if have != want:
            wrong.append(f"{item.id} {field}: {have!r}, plan {want!r}")

    refs = References(
        parent=issues[item.parent_id].key if item.parent_id in issues else None,
        sub_items=[(issues[c.id].key, c.title) for c in plan.children(item.id) if c.id in issues],
        blocked_by={d: issues[d].key for d in item.depends_on if d in issues},
    )
    differs("title", issue.summary, item.title)
    differs("type", issue.issue_type.name in TYPES[item.type], True)
    differs(
        "body",
        canonical_markdown(adf_to_markdown(issue.description)),
        canonical_markdown(render_body(item, ids[0], refs, lineage=ids[1])),
    )
    differs("label", label in issue.labels, True)
    differs("parent", issue.parent.key if issue.parent else None, refs.parent)
    links = [
        link.inward.key for link in emulator.state.links_of(issue) if link.type is BLOCKS and link.outward is issue
    ]
    differs("blockers", sorted(links), sorted(issues[b].key for b in blocking if b in issues))
    if item.size is not None:
        differs("size", issue.custom.get("customfield_10016"), TSHIRT_POINTS.get(item.size.upper()))
    return wrong
