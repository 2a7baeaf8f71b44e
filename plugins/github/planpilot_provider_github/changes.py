"""Deciding what to write to an issue: one pure decision for create, update and "is it finished?".

``create_item`` and ``update_item`` both end the same way: compare the issue as read (:class:`IssueState`)
with what the plan wants (:class:`Wanted`) and the board's rules (:class:`GitHubContext`), and send only the
difference (:class:`Changes`, applied by :mod:`.writes`). A create that stopped midway is finished by the
same decision, so an issue is *complete* exactly when deciding with no plan fields finds nothing to do.

Rules, from the providers spec ("Reconciliation ownership"):

* title, body, type, labels and size are the plan's; ``None`` leaves a field as it is;
* labels are only added, except our own type label of another type when the type is being set;
* status, priority and iteration are creation defaults: filled where the read saw the field empty,
  never over a value, and never on the strength of a read that paged off the board state;
* a plan item's own ``fields`` override those defaults on create and are set again whenever the board
  shows another value.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from planpilot_provider_github.context import FieldValue, GitHubContext
from planpilot_provider_github.convert import IssueState, infer_item_type
from planpilot_provider_github.fields import plan_field_value, size_value
from planpilot_providers_core.context import frozen_mapping
from planpilot_providers_core.contracts import CreateItemInput, PlanItemType, UpdateItemInput, merge_labels


@attrs.frozen(kw_only=True)
class Wanted:
    """What the plan asks of one issue; ``None`` (no labels) leaves that part as the issue has it."""

    title: str | None = None
    body: str | None = None
    item_type: PlanItemType | None = None
    labels: tuple[str, ...] = ()
    """Plan labels besides the discovery label, which every issue gets."""
    size: FieldValue | None = None
    """The size as the board's size field holds it (``display`` is the plan's spelling)."""
    fields: tuple[FieldValue, ...] = ()
    """The item's own board field values: over the creation defaults, and set again whenever they differ."""

    @classmethod
    def for_create(cls, item: CreateItemInput, context: GitHubContext) -> Wanted:
        """Raises ``ProviderError`` for a size or field the board cannot hold, before anything is written."""
        return cls(
            title=item.title,
            body=item.body,
            item_type=item.item_type,
            labels=item.labels,
            size=_size(item.size, context),
            fields=_fields(item.fields, context),
        )

    @classmethod
    def for_update(cls, item: UpdateItemInput, context: GitHubContext) -> Wanted:
        """Raises ``ProviderError`` for a size or field the board cannot hold, before anything is written."""
        return cls(
            title=item.title,
            body=item.body,
            item_type=item.item_type,
            labels=item.labels or (),
            size=_size(item.size, context),
            fields=_fields(item.fields or {}, context),
        )


def _fields(fields: Mapping[str, str], context: GitHubContext) -> tuple[FieldValue, ...]:
    return tuple(plan_field_value(context.fields, name, value) for name, value in fields.items())


def _size(size: str | None, context: GitHubContext) -> FieldValue | None:
    return None if size is None else size_value(context.field_config, context.size_field, size)


@attrs.frozen(kw_only=True)
class Changes:
    """The writes that take an issue from how it was read to how plan and board want it."""

    title: str | None = None
    body: str | None = None
    issue_type_id: str | None = None
    add_labels: tuple[str, ...] = ()
    """Label names to add (created in the repository when missing)."""
    remove_labels: Mapping[str, str] = attrs.field(factory=dict, converter=frozen_mapping)
    """Label name -> id to remove: our type labels of another type."""
    add_to_project: bool = False
    set_fields: tuple[FieldValue, ...] = ()
    size: str | None = None
    """The size the issue shows once applied, as the plan spells it (None: as read). Not a write."""

    @property
    def issue_fields(self) -> dict[str, str]:
        """The ``UpdateIssueInput`` fields to send (without ``id``); empty when the issue itself stays."""
        fields = {"title": self.title, "body": self.body, "issueTypeId": self.issue_type_id}
        return {key: value for key, value in fields.items() if value is not None}

    @property
    def nothing_to_do(self) -> bool:
        return not (
            self.issue_fields or self.add_labels or self.remove_labels or self.add_to_project or self.set_fields
        )

    def applied_to(self, state: IssueState, *, label_ids: Mapping[str, str], project_item_id: str) -> IssueState:
        """The issue as it reads once these changes are written: ``label_ids`` are the added labels'
        ids, ``project_item_id`` the board item (new or as read)."""
        labels = {name: lid for name, lid in state.labels.items() if name not in self.remove_labels}
        labels.update((name, label_ids[name]) for name in self.add_labels)
        values = {**state.field_values, **{v.field_id: dict(v.value) for v in self.set_fields}}
        return attrs.evolve(
            state,
            title=self.title if self.title is not None else state.title,
            body=self.body if self.body is not None else state.body,
            issue_type_id=self.issue_type_id or state.issue_type_id,
            labels=labels,
            project_item_id=project_item_id,
            field_values=values,
            size=self.size if self.size is not None else state.size,
        )


def plan_type(state: IssueState, context: GitHubContext) -> PlanItemType:
    """The plan type the issue shows: a native type of ours, else a type label, else TASK.

    Under native types the mapped names count as labels too (a person may have labelled it so)."""
    type_labels = context.type_labels or context.field_config.create_type_map
    return infer_item_type(state, context.issue_type_ids, type_labels)


def has_own_type(state: IssueState, context: GitHubContext) -> bool:
    """Whether the issue carries its type the way a create sets it under this strategy: a native type of
    ours, or one of our type labels. Without it the issue reads as TASK by default only."""
    if context.create_type_strategy == "issue-type":
        return state.issue_type_id in context.issue_type_ids.values()
    return any(state.has_label(label) for label in context.type_labels.values())


def create_marks(wanted: Wanted, context: GitHubContext) -> tuple[str | None, tuple[str, ...]]:
    """The native type id (None under type labels) and the labels ``createIssue`` sets in the create
    request itself: the discovery label, the plan's labels and, under type labels, the type label."""
    if wanted.item_type is None:
        raise ValueError("a create needs the item type")
    if context.create_type_strategy == "label":
        return None, merge_labels([context.discovery_label, *wanted.labels, context.type_labels[wanted.item_type]])
    return context.issue_type_ids[wanted.item_type], merge_labels([context.discovery_label, *wanted.labels])


def decide_changes(state: IssueState, wanted: Wanted, context: GitHubContext) -> Changes:
    """The writes that make ``state`` show ``wanted`` and a finished create; pure, no I/O."""
    item_type = wanted.item_type or plan_type(state, context)
    labels = [context.discovery_label, *wanted.labels]
    type_id: str | None = None
    stale: dict[str, str] = {}
    if context.create_type_strategy == "label":
        # Without a type to set, an issue with no type label is not given the TASK it only defaults to.
        if wanted.item_type is not None or has_own_type(state, context):
            labels.append(context.type_labels[item_type])
        if wanted.item_type is not None:  # our own label of another type goes
            others = {label.casefold() for t, label in context.type_labels.items() if t != item_type}
            stale = {name: label_id for name, label_id in state.labels.items() if name.casefold() in others}
    elif wanted.item_type is not None and state.issue_type_id != context.issue_type_ids[item_type]:
        type_id = context.issue_type_ids[item_type]
    fields: list[FieldValue] = []
    declared = {v.field_id for v in wanted.fields}
    if state.project_state_complete:  # only a value seen to be empty is filled in; the item's own win
        fields += [v for v in context.creation_defaults if v.field_id not in {*state.field_values, *declared}]
    for value in (wanted.size, *wanted.fields):
        if value is not None and not value.matches(state.field_values.get(value.field_id)):
            fields.append(value)
    return Changes(
        title=wanted.title if wanted.title is not None and wanted.title != state.title else None,
        body=wanted.body if wanted.body is not None and wanted.body != state.body else None,
        issue_type_id=type_id,
        add_labels=tuple(name for name in merge_labels(labels) if not state.has_label(name)),
        remove_labels=stale,
        add_to_project=state.project_item_id is None,
        set_fields=tuple(fields),
        size=wanted.size.display if wanted.size is not None else None,
    )


def is_complete(state: IssueState, context: GitHubContext) -> bool:
    """Whether the issue shows everything a create sets: on the board, its type, the discovery label, and
    every creation default. A read that paged off the board state cannot tell, so it is not complete:
    ``update_item`` then reads again and finishes what it can."""
    if not state.project_state_complete or not has_own_type(state, context):
        return False
    return decide_changes(state, Wanted(), context).nothing_to_do
