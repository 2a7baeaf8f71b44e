"""``LinearContext``: what entering resolved, frozen all the way down (labels, which change, live on the provider)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from planpilot_provider_linear.issues import TeamScale
from planpilot_providers_core.context import ProviderContext, frozen_mapping
from planpilot_providers_core.contracts import PlanItemType

__all__ = ["CreationDefaults", "LinearContext"]


@attrs.frozen(kw_only=True)
class CreationDefaults:
    """Workflow state, priority, cycle and project a new issue starts with (``FieldConfig`` and the board
    URL); afterwards they are the team's to change, and a sync never sets them again."""

    state_id: str | None = None
    state_name: str | None = None
    priority: int | None = None
    """Linear's number: 0 none, 1 urgent, 2 high, 3 medium, 4 low."""
    cycle_id: str | None = None
    cycle_name: str | None = None
    project_id: str | None = None
    project_name: str | None = None

    def fields(self) -> dict[str, object]:
        """The ``IssueCreateInput`` fields they set."""
        values = {
            "stateId": self.state_id,
            "priority": self.priority,
            "cycleId": self.cycle_id,
            "projectId": self.project_id,
        }
        return {name: value for name, value in values.items() if value is not None}


@attrs.frozen(kw_only=True)
class LinearContext(ProviderContext):
    team_id: str
    team_key: str
    team_name: str
    scale: TeamScale
    """The team's estimate scale, which plan sizes map onto."""
    discovery_label: str
    type_labels: Mapping[PlanItemType, str] = attrs.field(converter=frozen_mapping)
    """The label that carries each plan type (``FieldConfig.create_type_map``: Epic, Story, Task)."""
    defaults: CreationDefaults
    duplicate_state_id: str | None = None
    """Where an issue closed as a duplicate goes: the team's first ``duplicate`` state, else its first
    ``canceled`` one (``None``: the team has neither, and the issue keeps its state)."""
