"""The repository's labels by name: ids known from enter, missing labels created once.

GitHub compares label names case-insensitively, so the catalog does too. Two concurrent writes that
need the same missing label share one ``createLabel``; one that loses a race with someone else's
create reads the winner's id.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Final

from planpilot_provider_github.client import GitHubGraphQL, error_message
from planpilot_provider_github.context import GitHubContext
from planpilot_provider_github.graphql.generated import issue_mutations as issue_mut
from planpilot_provider_github.graphql.generated import repository as repository_ops
from planpilot_provider_github.urls import RepoRef
from planpilot_providers_core.errors import ProviderError
from planpilot_providers_core.singleflight import SingleFlightCache

LABEL_COLORS: Final = {"discovery": "ededed", "EPIC": "3e4b9e", "STORY": "0e8a16", "TASK": "c5def5"}
_LABEL_TAKEN: Final = "already been taken"


class LabelCatalog:
    """Label ids of one repository; :meth:`reset` on every enter with the labels it resolved."""

    def __init__(self, gql: GitHubGraphQL, repo: RepoRef) -> None:
        self._gql = gql
        self._repo = repo
        self._ids: SingleFlightCache[str, str] = SingleFlightCache()

    def reset(self, labels: Mapping[str, str]) -> None:
        """Start from ``labels`` (name -> id), as read on enter."""
        self._ids = SingleFlightCache({name.casefold(): label_id for name, label_id in labels.items()})

    async def ids(self, names: Iterable[str], context: GitHubContext) -> dict[str, str]:
        """Name -> id for each of ``names``, creating the missing ones (once, however many callers)."""
        found: dict[str, str] = {}
        for name in dict.fromkeys(names):
            found[name] = await self._ids.get(name.casefold(), functools.partial(self._create, name, context))
        return found

    async def _create(self, name: str, context: GitHubContext) -> str:
        plan_type = next((t for t, label in context.type_labels.items() if label == name), None)
        color = LABEL_COLORS[plan_type.value if plan_type else "discovery"]
        response = await self._gql.mutate(
            issue_mut.Operations.mutation.create_label,
            {
                "input": {
                    "repositoryId": context.repository_id,
                    "name": name,
                    "color": color,
                    "description": "Managed by PlanPilot",
                }
            },
            tolerate=lambda e: _LABEL_TAKEN in error_message(e).lower(),
        )
        label = response.data.create_label
        if label and label.label:
            return str(label.label.id)
        # Someone else created it between our read and our write: fetch its id.
        found = await self._gql.query(
            repository_ops.Operations.query.repository_label,
            {"owner": self._repo.owner, "name": self._repo.name, "label": name},
        )
        if not found.data.repository.label:
            raise ProviderError(f"label {name!r} exists according to GitHub but cannot be read")
        return str(found.data.repository.label.id)
