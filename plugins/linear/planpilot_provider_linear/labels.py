"""Labels by name: the team's and the workspace's, found ignoring case, missing ones created once.

Linear keeps label names unique per team and per workspace, ignoring case; an issue of a team may carry the
team's labels and the workspace's (not a label group: those only hold labels). A name is looked up team
first, then workspace. A missing one is created as a team label with a client-chosen id, once however many
creates ask for it at the same time (core's single-flight cache); before creating, Linear is asked again
(``LabelsNamed``), so a label an interrupted run or a colleague made meanwhile is used, not duplicated, and a
create that lost its answer is found by its name.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from planpilot_provider_linear.client import LinearGraphQL
from planpilot_provider_linear.errors import LinearGraphQLError
from planpilot_provider_linear.graphql.generated import label_mutations, workspace
from planpilot_providers_core.errors import ProviderError
from planpilot_providers_core.singleflight import SingleFlightCache

__all__ = ["Label", "LabelCatalog", "label_of"]


@attrs.frozen
class Label:
    id: str
    name: str
    team_id: str | None
    """``None``: a workspace label, which every team may use."""
    is_group: bool = False


def label_of(node: Any, team_id: str | None) -> Label:
    """A :class:`Label` from a typed label node of a team (``team_id``) or of the workspace (``None``)."""
    return Label(id=str(node.id), name=str(node.name), team_id=team_id, is_group=bool(node.is_group))


def _owned(node: Any) -> Label:
    """A label node that selects its ``team`` (JSON null, an empty falsy object in sgqlc: the workspace)."""
    return label_of(node, str(node.team.id) if node.team else None)


class LabelCatalog:
    """The labels this provider has seen, by id and by name; :meth:`ids` creates the missing ones."""

    def __init__(self, gql: LinearGraphQL) -> None:
        self._gql = gql
        self._team_id = ""
        self._by_id: dict[str, Label] = {}
        self._by_name: SingleFlightCache[str, Label] = SingleFlightCache()

    def reset(self, team_id: str, labels: Iterable[Label]) -> None:
        """What entering read: the team's labels and the workspace's."""
        self._team_id = team_id
        self._by_id = {}
        named: dict[str, Label] = {}
        for label in labels:
            self._by_id[label.id] = label
            if label.is_group or label.team_id not in (team_id, None):
                continue
            key = label.name.casefold()
            if key not in named or (named[key].team_id is None and label.team_id is not None):
                named[key] = label  # the team's label wins over the workspace's of the same name
        self._by_name = SingleFlightCache(named)

    def name_of(self, label_id: str) -> str | None:
        label = self._by_id.get(label_id)
        return None if label is None else label.name

    def known(self, name: str) -> Label | None:
        """The label ``name`` resolves to without asking Linear (``None`` if not seen yet)."""
        return self._by_name.peek(name.casefold())

    async def names(self, label_ids: Iterable[str]) -> dict[str, str]:
        """Names of ``label_ids``; labels not seen yet (made since entering) are read from Linear."""
        wanted = list(dict.fromkeys(label_ids))
        unknown = [label_id for label_id in wanted if label_id not in self._by_id]
        for start in range(0, len(unknown), 50):
            chunk = unknown[start : start + 50]
            answer = await self._gql.query(workspace.Operations.query.labels_by_ids, {"ids": chunk, "first": 50})
            for node in answer.data.issue_labels.nodes:
                label = _owned(node)
                self._by_id[label.id] = label
        return {label_id: self._by_id[label_id].name for label_id in wanted if label_id in self._by_id}

    async def ids(self, names: Sequence[str], *, create: bool = True) -> dict[str, str]:
        """Name -> label id for each of ``names`` (case-insensitive); missing ones are created when ``create``,
        else left out."""
        found: dict[str, str] = {}
        for name in dict.fromkeys(names):
            key = name.casefold()
            label = await self._by_name.get(key, functools.partial(self._ensure, name)) if create else self.known(name)
            if label is not None:
                found[name] = label.id
        return found

    async def _lookup(self, name: str) -> Label | None:
        answer = await self._gql.query(
            workspace.Operations.query.labels_named, {"name": name, "teamId": self._team_id, "first": 20}
        )
        labels = [_owned(node) for node in answer.data.issue_labels.nodes]
        usable = [label for label in labels if not label.is_group and label.name.casefold() == name.casefold()]
        usable.sort(key=lambda label: label.team_id is None)  # the team's first
        for label in labels:
            self._by_id[label.id] = label
        if not usable and labels:
            raise ProviderError(
                f"Linear label {name!r} is a label group, which issues cannot carry; rename the group or choose "
                "another label name"
            )
        return usable[0] if usable else None

    async def _ensure(self, name: str) -> Label:
        found = await self._lookup(name)
        if found is not None:
            return found
        variables = {"input": {"id": str(uuid.uuid4()), "name": name, "teamId": self._team_id}}
        try:
            answer = await self._gql.mutate(label_mutations.Operations.mutation.issue_label_create, variables)
        except LinearGraphQLError:
            # made meanwhile (by a colleague, a concurrent run, or this create before its answer was lost)
            found = await self._lookup(name)
            if found is None:
                raise
            return found
        label = _owned(answer.data.issue_label_create.issue_label)
        self._by_id[label.id] = label
        return label
