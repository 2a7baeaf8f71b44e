"""The budget units a sync's remaining work costs, per the requests this provider sends for each call.

* a create: one ``createIssue`` (body, labels, type, parent and board in one request; 1 content unit),
  then one request setting the board fields when the board has creation defaults or a size field;
* an update: its share of a ``nodes(ids:)`` read of the sync's batch of 50, and of an aliased mutation
  of 20 writes (one write each: the body, which is what a sync updates);
* a relation write: its share of an aliased mutation of 20 links; each link added is a content unit;
* a read: one query.

:meth:`BudgetTracker.eta` turns the units into time from the windows as they stand.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Final

from planpilot_provider_github.aliases import MAX_ALIASES, Kind, aliased
from planpilot_provider_github.costs import RequestCost, request_cost
from planpilot_provider_github.graphql.generated import issue_mutations, issues, search
from planpilot_provider_github.graphql.generated import project_mutations as project
from planpilot_providers_core.contracts import Workload

__all__ = ["UPDATES_PER_CALL", "workload_units", "write_requests"]

UPDATES_PER_CALL: Final = 50
"""Updates a sync hands ``update_items`` at once (its batch size): one batched read each."""


def _share(cost: RequestCost, calls: float) -> Counter[str]:
    return Counter({name: units * calls for name, units in cost.units().items()})


def write_requests(work: Workload, *, field_requests: int = 1) -> int:
    """The mutations ``work`` sends, one after another (GitHub asks for writes one at a time)."""
    return (
        work.creates * (1 + field_requests)
        + math.ceil(work.updates / MAX_ALIASES)
        + math.ceil(work.relation_writes / MAX_ALIASES)
    )


def workload_units(work: Workload, *, field_requests: int = 1) -> dict[str, float]:
    """Units per budget name for ``work``; ``field_requests``: requests setting board fields per create."""
    total: Counter[str] = Counter()
    total += _share(request_cost(issue_mutations.Operations.mutation.create_issue), work.creates)
    total += _share(request_cost(project.Operations.mutation.set_project_fields4), work.creates * field_requests)
    total += _share(request_cost(issues.Operations.query.get_issues), work.updates / UPDATES_PER_CALL)
    updates = aliased("UpdateItems", (Kind.UPDATE_ISSUE,) * MAX_ALIASES)
    total += _share(request_cost(updates), work.updates / MAX_ALIASES)
    links = aliased("ReconcileRelations", (Kind.ADD_BLOCKED_BY,) * MAX_ALIASES)
    total += _share(request_cost(links), work.relation_writes / MAX_ALIASES)
    total += _share(request_cost(search.Operations.query.search_issues), work.reads)
    return {name: round(units, 2) for name, units in total.items()}
