"""What the GitHub provider resolves on enter: ids, the type strategy and the board's fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from planpilot_providers_core.context import ProviderContext, frozen_mapping
from planpilot_providers_core.contracts import FieldConfig, PlanItemType


@attrs.frozen
class Iteration:
    id: str
    title: str
    start_date: dt.date
    duration: int

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day < self.start_date + dt.timedelta(days=self.duration)


@attrs.frozen(kw_only=True)
class ProjectField:
    """One Projects v2 field with what is needed to write it."""

    id: str
    name: str
    data_type: str
    options: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_mapping)
    """Single-select option name -> option id, in board order."""
    iterations: tuple[Iteration, ...] = ()

    def option_id(self, name: str) -> str | None:
        wanted = name.casefold()
        return next((oid for oname, oid in self.options.items() if oname.casefold() == wanted), None)


@attrs.frozen(kw_only=True)
class FieldValue:
    """A value ready for ``updateProjectV2ItemFieldValue``: ``value`` is a ``ProjectV2FieldValue``."""

    field_id: str
    field_name: str
    value: Mapping[str, Any] = attrs.field(converter=frozen_mapping)
    display: str

    def matches(self, current: Mapping[str, Any] | None) -> bool:
        """Whether the item's current value (same keys as ``value``) already equals this one."""
        return current is not None and all(current.get(k) == v for k, v in self.value.items())


@attrs.frozen(kw_only=True)
class GitHubContext(ProviderContext):
    """Resolved once per ``async with``; frozen, so concurrent calls read it without locks."""

    repository_id: str
    repository: str
    owner_is_org: bool
    project_id: str
    project_title: str
    project_url: str
    create_type_strategy: Literal["issue-type", "label"]
    type_strategy_reason: str
    issue_type_ids: Mapping[PlanItemType, str] = attrs.field(converter=frozen_mapping)
    type_labels: Mapping[PlanItemType, str] = attrs.field(converter=frozen_mapping)
    discovery_label: str
    fields: Mapping[str, ProjectField] = attrs.field(converter=frozen_mapping)
    field_config: FieldConfig
    """How plan items map onto the board, as configured."""
    size_field: ProjectField | None
    creation_defaults: tuple[FieldValue, ...]
    """Status, priority and iteration values set when an item is created; later only filled in
    where a read shows the field empty, never changed once it holds a value."""
    read_only: bool
