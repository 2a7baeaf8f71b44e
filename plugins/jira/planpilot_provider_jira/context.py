"""What entering resolves about the Jira site, the project and the board: frozen, shared by every call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

from planpilot_providers_core import PlanItemType, ProviderContext, frozen_mapping

__all__ = ["FieldRef", "IssueTypeRef", "JiraContext", "LinkTypeRef", "SprintRef", "StatusRef"]

FieldKind = Literal["number", "select", "text", "priority", "sprint", "status"]


@attrs.frozen
class IssueTypeRef:
    id: str
    name: str
    level: int
    """Jira's ``hierarchyLevel``: 1 epic, 0 standard (story, task), -1 sub-task."""
    subtask: bool


@attrs.frozen
class StatusRef:
    id: str
    name: str
    category: str
    """``new``, ``indeterminate`` or ``done``."""


@attrs.frozen
class SprintRef:
    id: int
    name: str
    state: str


@attrs.frozen
class LinkTypeRef:
    id: str
    name: str
    inward: str
    outward: str


@attrs.frozen
class FieldRef:
    """A field a plan can set: the size field, or one named in a plan item's ``fields``."""

    id: str
    name: str
    kind: FieldKind
    options: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_mapping)
    """Select fields, priorities and sprints: each option's name -> its id."""

    def option(self, value: str) -> tuple[str, str] | None:
        """``(name, id)`` of the option named ``value`` (compared ignoring case)."""
        wanted = value.casefold()
        return next(((name, oid) for name, oid in self.options.items() if name.casefold() == wanted), None)


@attrs.frozen(kw_only=True)
class JiraContext(ProviderContext):
    site: str
    """The site's own URL (for browse links), whatever base the API calls use."""
    project_id: str
    project_key: str
    project_style: str
    """``classic`` (company-managed) or ``next-gen`` (team-managed)."""
    label: str
    """The discovery label as Jira holds it (see :mod:`.labels`)."""
    types: Mapping[PlanItemType, IssueTypeRef] = attrs.field(converter=frozen_mapping)
    subtask: IssueTypeRef | None
    """The type a plan task gets under a standard-level parent (a story)."""
    known_types: Mapping[str, IssueTypeRef] = attrs.field(converter=frozen_mapping)
    """Every issue type of the project, by id."""
    create_screens: Mapping[str, frozenset[str]] = attrs.field(converter=frozen_mapping)
    """Issue type id -> the field ids its create screen takes."""
    size: FieldRef | None
    size_from_tshirt: bool
    priority: tuple[str, str] | None
    """``(name, id)`` of the creation default priority; ``None``: Jira's default."""
    status: str | None
    """The creation default status name; ``None``: the workflow's initial status."""
    statuses: Mapping[str, Mapping[str, StatusRef]] = attrs.field(converter=frozen_mapping)
    """Issue type id -> status name (case-folded) -> status."""
    sprint: SprintRef | None
    """The creation default sprint (from the board); ``None``: none."""
    sprint_field: str | None
    board_id: int | None
    link_type: LinkTypeRef
    duplicate_link: LinkTypeRef | None
    """The link type a closed duplicate points at the kept issue with ("Duplicate"), if the site has one."""
    fields: Mapping[str, FieldRef] = attrs.field(converter=frozen_mapping)
    """Fields a plan item's ``fields`` may set, by name: Status, Priority, Sprint (with a board) and the
    number, select and text fields on the create screens."""
    read_only: bool = False
