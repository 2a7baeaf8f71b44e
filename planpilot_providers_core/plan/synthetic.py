"""A generated plan of any size, shaped like a real roadmap: for scale tests and benchmarks.

Each epic has ``stories`` stories of ``tasks`` tasks. Tasks mostly follow the one before them in their
story, and every fourth story's first task waits for the last task of the story before, so stories and
epics block each other too (PlanPilot's roll-ups): about 0.58 blocked-by links per item. Task sizes
cycle through S, M and L.
"""

from __future__ import annotations

from planpilot_providers_core.plan.graph import Plan
from planpilot_providers_core.plan.model import Estimate, PlanItem

__all__ = ["layered_plan"]


def layered_plan(epics: int, stories: int = 9, tasks: int = 10) -> Plan:
    """``epics`` x ``stories`` x ``tasks`` items (50 epics: 5,000 items)."""
    items = [PlanItem(id=f"E{e}", type="EPIC", title=f"Epic {e}", goal=f"Outcome {e}") for e in range(epics)]
    story_ids = []
    for e in range(epics):
        for s in range(stories):
            story_ids.append(f"S{e}.{s}")
            items.append(PlanItem(id=f"S{e}.{s}", type="STORY", title=f"Story {e}.{s}", parent_id=f"E{e}"))
    for n, story_id in enumerate(story_ids):
        for t in range(tasks):
            depends = [f"T{n}.{t - 1}"] if t % 3 else []
            if t == 0 and n % 4 == 0 and n:
                depends.append(f"T{n - 1}.{tasks - 1}")
            items.append(
                PlanItem(
                    id=f"T{n}.{t}",
                    type="TASK",
                    title=f"Task {n}.{t}",
                    parent_id=story_id,
                    depends_on=depends,
                    estimate=Estimate(tshirt=("S", "M", "L")[t % 3]),
                )
            )
    return Plan(items=items)
