"""Statuses: Jira sets them only by workflow transitions, which differ per project and issue type.

To reach a status, the transitions available from the issue's current status are read
(``GET …/transitions``), and the one leading to the status taken (``POST …/transitions``); when none leads
there directly, one leading to a status of the category between (To Do -> In Progress -> Done) is taken, and
the walk goes on from there, at most a few steps. What each (issue type, status) offers is remembered, so once
the initial status of a type is known, a create can carry its first transition itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from planpilot_provider_jira.client import JiraApi
from planpilot_provider_jira.context import StatusRef
from planpilot_providers_core import ProviderError

__all__ = ["Transition", "Workflow"]

_ORDER: Final = {"new": 0, "indeterminate": 1, "done": 2}
MAX_STEPS: Final = 6


@attrs.frozen
class Transition:
    id: str
    name: str
    to: StatusRef


def _transition(raw: Mapping[str, Any]) -> Transition:
    to = raw.get("to") or {}
    category = (to.get("statusCategory") or {}).get("key") or "new"
    return Transition(
        id=str(raw["id"]),
        name=str(raw.get("name", "")),
        to=StatusRef(id=str(to.get("id")), name=str(to.get("name")), category=str(category)),
    )


class Workflow:
    """Transitions by (issue type, status), learned as issues are moved; initial statuses by issue type."""

    def __init__(self) -> None:
        self._transitions: dict[tuple[str, str], tuple[Transition, ...]] = {}
        self.initial: dict[str, StatusRef] = {}

    def first_step(self, type_id: str, target: str) -> Transition | None:
        """The transition a create of ``type_id`` can carry to end in ``target`` (``None``: unknown, or more
        than one step; the walk after the create does it then)."""
        initial = self.initial.get(type_id)
        if initial is None or initial.name.casefold() == target.casefold():
            return None
        options = self._transitions.get((type_id, initial.id), ())
        return next((t for t in options if t.to.name.casefold() == target.casefold()), None)

    def needs_walk(self, type_id: str, target: str) -> bool:
        """Whether a new issue of ``type_id`` may need transitions after its create to be in ``target``."""
        initial = self.initial.get(type_id)
        return initial is None or (
            initial.name.casefold() != target.casefold() and self.first_step(type_id, target) is None
        )

    async def _available(self, api: JiraApi, issue_id: str, type_id: str, status: StatusRef) -> tuple[Transition, ...]:
        cached = self._transitions.get((type_id, status.id))
        if cached is not None:
            return cached
        answer = await api.call("getTransitions", "GET", f"/rest/api/3/issue/{issue_id}/transitions", item_id=issue_id)
        found = tuple(_transition(t) for t in answer.get("transitions") or () if t.get("isAvailable", True))
        self._transitions[(type_id, status.id)] = found
        return found

    async def move(
        self,
        api: JiraApi,
        issue_id: str,
        type_id: str,
        current: StatusRef,
        target: StatusRef,
        *,
        properties: Sequence[Mapping[str, Any]] = (),
    ) -> StatusRef:
        """Walk ``issue_id`` from ``current`` to ``target``; the status reached.

        ``properties`` go with the last transition (the create marker saying nothing is pending)."""
        wanted = target.name.casefold()
        for _ in range(MAX_STEPS):
            if current.name.casefold() == wanted:
                return current
            options = await self._available(api, issue_id, type_id, current)
            step = next((t for t in options if t.to.name.casefold() == wanted), None)
            if step is None:
                step = _towards(options, current, target)
            if step is None:
                names = ", ".join(f"{t.name} -> {t.to.name}" for t in options) or "none"
                raise ProviderError(
                    f"Jira's workflow offers no way from {current.name!r} towards {target.name!r} for issue {issue_id} "
                    f"(transitions available: {names})"
                )
            body: dict[str, Any] = {"transition": {"id": step.id}}
            if properties and step.to.name.casefold() == wanted:
                body["properties"] = [dict(p) for p in properties]
            await api.call(
                "doTransition",
                "POST",
                f"/rest/api/3/issue/{issue_id}/transitions",
                item_id=issue_id,
                issues=[issue_id],
                json=body,
            )
            current = step.to
        if current.name.casefold() != wanted:
            raise ProviderError(f"issue {issue_id} did not reach status {target.name!r} in {MAX_STEPS} transitions")
        return current


def _towards(options: Sequence[Transition], current: StatusRef, target: StatusRef) -> Transition | None:
    """With no direct transition: one to a status of a category on the way to the target's (To Do -> In
    Progress -> Done, or back), the nearest first."""
    here, there = _ORDER.get(current.category, 0), _ORDER.get(target.category, 0)
    if here == there:
        return None
    low, high = sorted((here, there))
    on_the_way = [t for t in options if low <= _ORDER.get(t.to.category, 0) <= high and t.to.id != current.id]
    return min(on_the_way, key=lambda t: abs(_ORDER.get(t.to.category, 0) - here) or 9, default=None)
