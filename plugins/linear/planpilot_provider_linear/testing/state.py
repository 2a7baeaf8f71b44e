"""The emulator's in-memory Linear workspace and the rules every write obeys.

:class:`Workspace` holds the object graph (:mod:`.model`), resolves ids the way Linear does (a UUID, or an
issue identifier such as ``ENG-12``), and applies the mutations with typed arguments. Each mutation validates
everything first and writes after, so a refused write leaves no trace; the resolvers (:mod:`.resolvers`)
unpack GraphQL inputs into these calls, and the seeding helpers (:class:`~.seeding.LinearState`) go
through them too.
Mutation methods expect the caller to hold :attr:`lock` (the request executor does).

Linear behaviours modelled, with their sources (notes/linear-api.md; [sdl] = the pinned schema):

* client-chosen ids: ``IssueCreateInput.id`` (and the relation and label inputs) take a UUID; a second
  create with an id already used is refused (§7: undocumented, a uniqueness error is the likely outcome);
  a string that is not a UUID is refused too (the field asks for "UUID v4");
* ``issueBatchCreate``: at most 50 issues, one transaction, all or nothing (§1.3) [sdl];
* an issue's state, cycle and labels must belong to its team (labels: the team's, a parent team's, or the
  workspace's); group labels cannot be applied (§2, §5); without ``stateId`` the issue goes to triage when
  the team uses it, else to the first backlog state (§1.1);
* ``parentId`` takes a UUID or an identifier; sub-issues nest at most 10 levels and never in a circle (§3);
* estimates: values off the team's scale are refused by default (§5 says undocumented; the strict choice
  makes a client snap sizes to the scale); priority is 0..4 [sdl];
* ``issueUpdate``: only given fields change, ``null`` clears; ``labelIds`` replaces, ``addedLabelIds`` and
  ``removedLabelIds`` add and remove (§1.2);
* labels: names are unique per team and per workspace, ignoring case; a team label and a workspace label
  may share a name (``replaceTeamLabels``, §2);
* relations: ``{issueId: B, relatedIssueId: A, type: blocks}`` is "B blocks A" (§3); a relation of an issue
  to itself is refused; a second identical relation is stored (§3: undocumented), or refused with
  ``refuse_duplicate_relations`` (both behaviours a client must survive);
* ``issueArchive`` archives, ``issueDelete`` trashes (archived and ``trashed: true``; ``permanentlyDelete``
  removes); archived and trashed issues stay readable by id and with ``includeArchived`` (§1.4).
"""

from __future__ import annotations

import random
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final, TypeVar

from attrs import frozen

from planpilot_providers_core.emulation import Clock, SystemClock

from .errors import entity_not_found, invalid_input
from .model import Cycle, Issue, Label, Organization, Project, Relation, Team, User, WorkflowState

__all__ = ["BATCH_CREATE_LIMIT", "KEEP", "SUB_ISSUE_DEPTH_LIMIT", "Keep", "Workspace"]

BATCH_CREATE_LIMIT = 50
SUB_ISSUE_DEPTH_LIMIT = 10
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IDENTIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
_DEFAULT_COLOR = "#bec2c8"
T = TypeVar("T")


@frozen
class _Draft:
    """A validated ``IssueCreateInput``, ready to insert (a batch validates every one before inserting any)."""

    id: str
    team: Team
    title: str
    description: str | None
    labels: list[Label]
    priority: int
    estimate: int | None
    state: WorkflowState
    parent: Issue | None
    cycle: Cycle | None
    project: Project | None


class Keep(Enum):
    """``KEEP``: an update argument that was not given (``None`` would clear the value)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


class Workspace:
    """One Linear workspace (organization) with its viewer, teams, labels, projects, issues and relations."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        seed: int = 0,
        lock: threading.RLock | None = None,
        strict_estimates: bool = True,
        refuse_duplicate_relations: bool = False,
        organization: str = "Acme",
        url_key: str = "acme",
        viewer: str = "Ada Lovelace",
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.lock = lock or threading.RLock()
        self.strict_estimates = strict_estimates
        self.refuse_duplicate_relations = refuse_duplicate_relations
        self._rng = random.Random(seed)
        self.last_sync_id = 0
        self.teams: dict[str, Team] = {}
        self.states: dict[str, WorkflowState] = {}
        self.labels: dict[str, Label] = {}
        self.cycles: dict[str, Cycle] = {}
        self.projects: dict[str, Project] = {}
        self.issues: dict[str, Issue] = {}  # by UUID, in creation order
        self.relations: dict[str, Relation] = {}
        now = self.now()
        self.organization = Organization(id=self.new_id(), name=organization, url_key=url_key, created_at=now)
        email = f"{viewer.split()[0].lower()}@{url_key}.example"
        self.viewer = User(
            id=self.new_id(),
            name=viewer,
            display_name=viewer.split()[0].lower(),
            email=email,
            organization=self.organization,
            created_at=now,
            admin=True,
        )

    # ----------------------------------------------------------------------------------------- ids, time
    def now(self) -> datetime:
        """The clock's time at millisecond precision (as Linear's timestamps)."""
        now = self.clock.now().astimezone(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def new_id(self) -> str:
        """A UUID v4 from the seeded generator, so a seeded emulator gives the same ids every run."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _sync(self) -> float:
        self.last_sync_id += 1
        return float(self.last_sync_id)

    def _client_id(self, value: str | None, taken: Iterable[str], entity: str) -> str:
        if value is None:
            return self.new_id()
        if not _UUID.match(value):
            raise invalid_input(f"id must be a UUID (got {value!r}).")
        value = value.lower()
        if value in taken:
            raise invalid_input(f"{entity} with id {value} already exists.")
        return value

    # ----------------------------------------------------------------------------------------- lookups
    def _get(self, registry: dict[str, T], key: str | None, entity: str) -> T:
        found = registry.get((key or "").lower())
        if found is None:
            raise entity_not_found(entity)
        return found

    def get_team(self, team_id: str) -> Team:
        return self._get(self.teams, team_id, "Team")

    def get_label(self, label_id: str) -> Label:
        return self._get(self.labels, label_id, "IssueLabel")

    def get_state(self, state_id: str) -> WorkflowState:
        return self._get(self.states, state_id, "WorkflowState")

    def get_cycle(self, cycle_id: str) -> Cycle:
        return self._get(self.cycles, cycle_id, "Cycle")

    def get_project(self, project_id: str) -> Project:
        return self._get(self.projects, project_id, "Project")

    def get_relation(self, relation_id: str) -> Relation:
        return self._get(self.relations, relation_id, "IssueRelation")

    def find_issue(self, ref: str) -> Issue | None:
        """An issue by UUID or identifier (``ENG-12``, also an identifier it had before a team move)."""
        found = self.issues.get(ref.lower())
        if found is not None:
            return found
        match = _IDENTIFIER.match(ref)
        if match is None:
            return None
        identifier = f"{match.group(1).upper()}-{int(match.group(2))}"
        return next(
            (i for i in self.issues.values() if i.identifier == identifier or identifier in i.previous_identifiers),
            None,
        )

    def get_issue(self, ref: str) -> Issue:
        found = self.find_issue(ref)
        if found is None:
            raise entity_not_found("Issue")
        return found

    def team_by_key(self, key: str) -> Team:
        """The team with ``key`` (seeding and inspection; ``KeyError`` when there is none)."""
        found = next((t for t in self.teams.values() if t.key.lower() == key.lower()), None)
        if found is None:
            raise KeyError(f"no team with key {key!r}")
        return found

    def team_issues(self, key: str) -> list[Issue]:
        """A team's issues in creation order, archived and trashed ones included."""
        with self.lock:
            team = self.team_by_key(key)
            return [issue for issue in self.issues.values() if issue.team is team]

    # ----------------------------------------------------------------------------------------- validation
    def _labels_for(self, team: Team, label_ids: Iterable[str]) -> list[Label]:
        labels: list[Label] = []
        for label_id in dict.fromkeys(label_ids):
            label = self.get_label(label_id)
            if label.is_group:
                raise invalid_input(f"Label '{label.name}' is a group and cannot be applied to issues.")
            if label.archived_at is not None or label.retired_at is not None:
                raise invalid_input(f"Label '{label.name}' is archived.")
            if label.team is not None and label.team not in _lineage(team):
                raise invalid_input(f"Label '{label.name}' belongs to another team.")
            labels.append(label)
        return labels

    def _state_for(self, team: Team, state_id: str) -> WorkflowState:
        state = self.get_state(state_id)
        if state.team is not team:
            raise invalid_input(f"Workflow state '{state.name}' does not belong to team {team.key}.")
        return state

    def _cycle_for(self, team: Team, cycle_id: str) -> Cycle:
        cycle = self.get_cycle(cycle_id)
        if cycle.team is not team:
            raise invalid_input(f"Cycle {cycle.number} does not belong to team {team.key}.")
        return cycle

    def _check_priority(self, priority: int) -> None:
        if not 0 <= priority <= 4:
            raise invalid_input(f"priority must be 0 (none), 1 (urgent), 2, 3 or 4 (low), got {priority}.")

    def _check_estimate(self, team: Team, estimate: int) -> None:
        if not self.strict_estimates:
            return
        scale = team.estimate_scale
        if not scale:
            raise invalid_input(f"Team {team.key} does not use estimates.")
        if estimate not in scale:
            allowed = ", ".join(str(v) for v in scale)
            raise invalid_input(f"Estimate {estimate} is not on team {team.key}'s scale ({allowed}).")

    def _check_parent(self, child: Issue | None, parent: Issue) -> None:
        """No circle, and at most :data:`SUB_ISSUE_DEPTH_LIMIT` levels counting ``child``'s own sub-issues."""
        depth = 1
        ancestor: Issue | None = parent
        while ancestor is not None:
            if ancestor is child:
                raise invalid_input("An issue cannot be a sub-issue of itself or of its own sub-issues.")
            depth += 1
            ancestor = ancestor.parent
        if depth + (_height(child) if child is not None else 0) > SUB_ISSUE_DEPTH_LIMIT + 1:
            raise invalid_input(f"Sub-issues can be nested at most {SUB_ISSUE_DEPTH_LIMIT} levels deep.")

    @staticmethod
    def _check_title(title: str | None) -> str:
        if title is None or not title.strip():
            raise invalid_input("title is required (or a template).")
        return title

    # ----------------------------------------------------------------------------------------- issues
    def _draft_issue(self, fields: Mapping[str, Any], taken: set[str]) -> _Draft:
        """Validate one ``IssueCreateInput`` (:meth:`create_issue`'s keyword arguments)."""
        team = self.get_team(fields["team_id"])
        priority = fields.get("priority") or 0
        self._check_priority(priority)
        estimate = fields.get("estimate")
        if estimate is not None:
            self._check_estimate(team, estimate)
        state = self._state_for(team, fields["state_id"]) if fields.get("state_id") else team.default_issue_state
        if state is None:
            raise invalid_input(f"Team {team.key} has no workflow states.")
        parent = self.get_issue(fields["parent_id"]) if fields.get("parent_id") else None
        if parent is not None:
            self._check_parent(None, parent)
        return _Draft(
            id=self._client_id(fields.get("id"), taken, "Issue"),
            team=team,
            title=self._check_title(fields.get("title")),
            description=fields.get("description"),
            labels=self._labels_for(team, fields.get("label_ids") or ()),
            priority=priority,
            estimate=estimate,
            state=state,
            parent=parent,
            cycle=self._cycle_for(team, fields["cycle_id"]) if fields.get("cycle_id") else None,
            project=self.get_project(fields["project_id"]) if fields.get("project_id") else None,
        )

    def _insert(self, draft: _Draft, at: datetime) -> Issue:
        team = draft.team
        team.issue_count += 1
        issue = Issue(
            id=draft.id,
            team=team,
            number=team.issue_count,
            title=draft.title,
            description=draft.description,
            state=draft.state,
            creator=self.viewer,
            created_at=at,
            updated_at=at,
            priority=draft.priority,
            estimate=draft.estimate,
            labels=draft.labels,
            project=draft.project,
            cycle=draft.cycle,
            sort_order=float(-team.issue_count),
        )
        if draft.parent is not None:
            issue.parent = draft.parent
            draft.parent.children.append(issue)
        self.issues[issue.id] = issue
        issue.search_history.append((at, issue.title, issue.description or ""))
        return issue

    def create_issue(
        self,
        *,
        team_id: str,
        title: str | None = None,
        description: str | None = None,
        id: str | None = None,
        label_ids: Sequence[str] = (),
        parent_id: str | None = None,
        state_id: str | None = None,
        priority: int | None = None,
        estimate: int | None = None,
        cycle_id: str | None = None,
        project_id: str | None = None,
        created_at: datetime | None = None,
    ) -> Issue:
        """``issueCreate``: validate, then insert (``created_at``: an import's past time, seeding only)."""
        fields = {
            "team_id": team_id,
            "title": title,
            "description": description,
            "id": id,
            "label_ids": label_ids,
            "parent_id": parent_id,
            "state_id": state_id,
            "priority": priority,
            "estimate": estimate,
            "cycle_id": cycle_id,
            "project_id": project_id,
        }
        draft = self._draft_issue(fields, set(self.issues))
        issue = self._insert(draft, created_at or self.now())
        self._sync()
        return issue

    def create_issues(self, inputs: Sequence[dict[str, Any]]) -> list[Issue]:
        """``issueBatchCreate``: each input as :meth:`create_issue`'s keyword arguments; all or nothing."""
        if not inputs:
            raise invalid_input("issues must contain at least one issue.")
        if len(inputs) > BATCH_CREATE_LIMIT:
            raise invalid_input(f"Up to {BATCH_CREATE_LIMIT} issues can be created in a single batch.")
        taken = set(self.issues)
        drafts = []
        for fields in inputs:
            draft = self._draft_issue(fields, taken)
            taken.add(draft.id)
            drafts.append(draft)
        at = self.now()
        issues = [self._insert(draft, at) for draft in drafts]
        self._sync()
        return issues

    def update_issue(
        self,
        issue_id: str,
        *,
        title: str | Keep = KEEP,
        description: str | Keep | None = KEEP,
        label_ids: Sequence[str] | Keep = KEEP,
        added_label_ids: Sequence[str] = (),
        removed_label_ids: Sequence[str] = (),
        parent_id: str | Keep | None = KEEP,
        state_id: str | Keep = KEEP,
        priority: int | Keep = KEEP,
        estimate: int | Keep | None = KEEP,
        cycle_id: str | Keep | None = KEEP,
        project_id: str | Keep | None = KEEP,
        trashed: bool | Keep | None = KEEP,
    ) -> Issue:
        """``issueUpdate``: arguments left at :data:`KEEP` stay as they are; ``None`` clears."""
        issue = self.get_issue(issue_id)
        team = issue.team
        changes: dict[str, Any] = {}
        if not isinstance(title, Keep):
            changes["title"] = self._check_title(title)
        if not isinstance(description, Keep):
            changes["description"] = description
        labels = list(issue.labels) if isinstance(label_ids, Keep) else self._labels_for(team, label_ids)
        added = self._labels_for(team, added_label_ids)
        removed = {label.id for label in self._labels_for(team, removed_label_ids)}
        labels = [label for label in labels + [a for a in added if a not in labels] if label.id not in removed]
        if labels != issue.labels:
            changes["labels"] = labels
        if not isinstance(parent_id, Keep):
            parent = self.get_issue(parent_id) if parent_id else None
            if parent is not None:
                self._check_parent(issue, parent)
            changes["parent"] = parent
        if not isinstance(state_id, Keep):
            changes["state"] = self._state_for(team, state_id)
        if not isinstance(priority, Keep):
            self._check_priority(priority)
            changes["priority"] = priority
        if not isinstance(estimate, Keep):
            if estimate is not None:
                self._check_estimate(team, estimate)
            changes["estimate"] = estimate
        if not isinstance(cycle_id, Keep):
            changes["cycle"] = self._cycle_for(team, cycle_id) if cycle_id else None
        if not isinstance(project_id, Keep):
            changes["project"] = self.get_project(project_id) if project_id else None

        now = self.now()
        if "parent" in changes and changes["parent"] is not issue.parent:
            if issue.parent is not None:
                issue.parent.children.remove(issue)
            if changes["parent"] is not None:
                changes["parent"].children.append(issue)
        for name, value in changes.items():
            setattr(issue, name, value)
        if not isinstance(trashed, Keep):
            issue.trashed = True if trashed else None
            issue.archived_at = now if trashed else None
        if "title" in changes or "description" in changes:
            issue.search_history.append((now, issue.title, issue.description or ""))
        issue.updated_at = now
        self._sync()
        return issue

    def archive_issue(self, issue_id: str, *, trash: bool = False) -> Issue:
        issue = self.get_issue(issue_id)
        now = self.now()
        issue.archived_at = issue.archived_at or now
        if trash:
            issue.trashed = True
        issue.updated_at = now
        self._sync()
        return issue

    def unarchive_issue(self, issue_id: str) -> Issue:
        issue = self.get_issue(issue_id)
        issue.archived_at = None
        issue.trashed = None
        issue.updated_at = self.now()
        self._sync()
        return issue

    def delete_issue(self, issue_id: str, *, permanently: bool = False) -> Issue:
        """``issueDelete``: trash the issue, or with ``permanently`` remove it and its relations."""
        issue = self.get_issue(issue_id)
        if not permanently:
            return self.archive_issue(issue_id, trash=True)
        for relation in [*issue.relations, *issue.inverse_relations]:
            self._unlink(relation)
        if issue.parent is not None:
            issue.parent.children.remove(issue)
        for child in issue.children:
            child.parent = None
        del self.issues[issue.id]
        self._sync()
        return issue

    # ----------------------------------------------------------------------------------------- labels
    def create_label(
        self,
        *,
        name: str,
        team_id: str | None = None,
        id: str | None = None,
        color: str | None = None,
        description: str | None = None,
        is_group: bool = False,
        parent_id: str | None = None,
        replace_team_labels: bool = False,
    ) -> Label:
        """``issueLabelCreate``: a team label with ``team_id``, a workspace label without."""
        team = self.get_team(team_id) if team_id else None
        label_id = self._client_id(id, self.labels, "IssueLabel")
        if not name.strip():
            raise invalid_input("name must not be empty.")
        same_scope = [
            label
            for label in self.labels.values()
            if label.team is team and label.name.lower() == name.lower() and label.archived_at is None
        ]
        if same_scope:
            where = f"team {team.key}" if team else "the workspace"
            raise invalid_input(f"A label named '{same_scope[0].name}' already exists in {where}.")
        parent = self.get_label(parent_id) if parent_id else None
        if parent is not None and not parent.is_group:
            raise invalid_input(f"Label '{parent.name}' is not a group.")
        now = self.now()
        label = Label(
            id=label_id,
            name=name,
            color=color or _DEFAULT_COLOR,
            team=team,
            organization=self.organization,
            created_at=now,
            updated_at=now,
            is_group=is_group,
            parent=parent,
            description=description,
        )
        if team is None and replace_team_labels:
            for old in [
                lab for lab in self.labels.values() if lab.team is not None and lab.name.lower() == name.lower()
            ]:
                for issue in self.issues.values():
                    issue.labels = [label if lab is old else lab for lab in issue.labels]
                old.team.labels.remove(old)  # type: ignore[union-attr]
                del self.labels[old.id]
        self.labels[label.id] = label
        if team is not None:
            team.labels.append(label)
        self._sync()
        return label

    def workspace_labels(self) -> list[Label]:
        return [label for label in self.labels.values() if label.team is None]

    # ----------------------------------------------------------------------------------------- relations
    def create_relation(self, *, issue_id: str, related_issue_id: str, type: str, id: str | None = None) -> Relation:
        """``issueRelationCreate``: ``issue`` <type> ``related_issue`` (``blocks``: the first blocks the second)."""
        source = self.get_issue(issue_id)
        target = self.get_issue(related_issue_id)
        relation_id = self._client_id(id, self.relations, "IssueRelation")
        if source is target:
            raise invalid_input("An issue cannot be related to itself.")
        if self.refuse_duplicate_relations and any(
            r.related_issue is target and r.type == type for r in source.relations
        ):
            raise invalid_input(f"{source.identifier} already has a '{type}' relation to {target.identifier}.")
        now = self.now()
        relation = Relation(
            id=relation_id, type=type, issue=source, related_issue=target, created_at=now, updated_at=now
        )
        self.relations[relation.id] = relation
        source.relations.append(relation)
        target.inverse_relations.append(relation)
        self._sync()
        return relation

    def delete_relation(self, relation_id: str) -> Relation:
        relation = self.get_relation(relation_id)
        self._unlink(relation)
        self._sync()
        return relation

    def _unlink(self, relation: Relation) -> None:
        relation.issue.relations.remove(relation)
        relation.related_issue.inverse_relations.remove(relation)
        self.relations.pop(relation.id, None)

    # ----------------------------------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """A JSON-able picture of the workspace (the admin ``/_emulator/state`` endpoint)."""
        with self.lock:
            return {
                "organization": self.organization.url_key,
                "teams": {
                    team.key: {
                        "id": team.id,
                        "issues": [
                            {
                                "id": issue.id,
                                "identifier": issue.identifier,
                                "title": issue.title,
                                "state": issue.state.name,
                                "labels": [label.name for label in issue.labels],
                                "parent": issue.parent.identifier if issue.parent else None,
                                "estimate": issue.estimate,
                                "archived": issue.archived_at is not None,
                                "trashed": bool(issue.trashed),
                                "blocks": [r.related_issue.identifier for r in issue.relations if r.type == "blocks"],
                            }
                            for issue in self.issues.values()
                            if issue.team is team
                        ],
                    }
                    for team in self.teams.values()
                },
                "workspace_labels": [label.name for label in self.workspace_labels()],
                "relations": len(self.relations),
                "last_sync_id": self.last_sync_id,
            }


def _lineage(team: Team) -> list[Team]:
    """The team and its parent teams (whose labels it inherits)."""
    chain: list[Team] = []
    node: Team | None = team
    while node is not None and node not in chain:
        chain.append(node)
        node = node.parent
    return chain


def _height(issue: Issue) -> int:
    """Levels of sub-issues below ``issue`` (0 for a leaf)."""
    return 1 + max(_height(child) for child in issue.children) if issue.children else 0
