"""Checks a plan against what the provider accepts, before the sync writes anything.

A plan that breaks a tracker's limits would otherwise fail item by item half-way through a sync,
leaving part of the roadmap written. Each problem names the item and what to change.
:func:`limit_problems` needs only the provider's class, so a caller can run it before entering the
provider (which may already write, e.g. a missing discovery label); :func:`preflight` adds the checks
that need the entered provider (board fields) and is what the sync runs before its first write.
"""

from __future__ import annotations

from typing import Any, Final

from planpilot_providers_core.plan import Plan, PlanItem, PlanProblem
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.sync.board import BoardValues
from planpilot_providers_core.sync.body import References, render_body

__all__ = ["LONGEST_PLAN_ID", "limit_problems", "preflight"]

#: Stands in for a tracker key not known before the item is created: longer than any real one.
_KEY_PLACEHOLDER: Final = "#" + "9" * 11
#: Stands in for the plan's lineage before discovery has found it: as long as a pinned one may be.
LONGEST_PLAN_ID: Final = "x" * 64


def _longest_body(plan: Plan, item: PlanItem, lineage: str) -> int:
    """The body's length once every reference is filled in, with keys as long as they could be."""
    references = References(
        parent=_KEY_PLACEHOLDER if item.parent_id else None,
        sub_items=[(_KEY_PLACEHOLDER, child.title) for child in plan.children(item.id)],
        blocked_by=dict.fromkeys(item.depends_on, _KEY_PLACEHOLDER),
    )
    return len(render_body(item, plan.plan_id, references, lineage=lineage))


def limit_problems(
    provider: type[Provider[Any]], name: str, plan: Plan, lineage: str = LONGEST_PLAN_ID
) -> list[PlanProblem]:
    """Every way ``plan`` breaks the ``item_limits`` the provider class declares (``name``: its name);
    ``lineage`` is the plan's lasting id as bodies will carry it (the longest possible until known)."""
    limits = provider.item_limits
    problems: list[PlanProblem] = []
    for item in plan:
        if limits.title is not None and len(item.title) > limits.title:
            problems.append(
                PlanProblem(
                    file=item.source,
                    item_id=item.id,
                    message=f"title has {len(item.title)} characters; {name} accepts at most {limits.title}",
                )
            )
        if limits.body is not None and (length := _longest_body(plan, item, lineage)) > limits.body:
            problems.append(
                PlanProblem(
                    file=item.source,
                    item_id=item.id,
                    message=f"its issue body would have {length} characters; {name} accepts at most "
                    f"{limits.body}: shorten the goal, requirements or other text of this item",
                )
            )
    return problems


def preflight(provider: Provider[Any], plan: Plan, *, lineage: str) -> list[PlanProblem]:
    """Every way ``plan`` breaks what the entered ``provider`` accepts: its limits, and the sizes and field
    values its board cannot hold (each names the choices), before anything is written."""
    problems = limit_problems(type(provider), provider.name, plan, lineage)
    size_field = provider.config.field_config.size_field
    for item in plan:
        board = BoardValues.of(item, size_field)
        if board.size is not None:
            for message in provider.size_problems(board.size):
                problems.append(PlanProblem(file=item.source, item_id=item.id, message=f"estimate.tshirt: {message}"))
        for message in provider.field_problems(board.fields) if board.fields else ():
            problems.append(PlanProblem(file=item.source, item_id=item.id, message=f"fields: {message}"))
    return problems
