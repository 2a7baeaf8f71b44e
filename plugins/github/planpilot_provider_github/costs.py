"""What one request costs in each of GitHub's budgets, worked out once per operation.

* secondary points: 1 for a query, 5 for a request with mutations (GitHub's table counts per request);
* content creations: every ``create*``/``add*`` mutation field of the document, once per field (aliased
  ``addBlockedBy`` x 20 = 20): the conservative reading the emulator uses, as GitHub lists none;
* primary points: GitHub's formula, read from the rendered document: each connection (a field with
  ``first``/``last``) needs one request per node its enclosing connections may return; the sum over 100,
  rounded, at least 1. A ``$variable`` page size counts as the maximum, 100.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator, Mapping
from typing import Final

import attrs
from sgqlc.operation import Operation

from planpilot_provider_github.budgets import CONTENT_PER_HOUR, CONTENT_PER_MINUTE, PRIMARY, SECONDARY
from planpilot_providers_core.sgqlc_runtime import render

__all__ = ["CONTENT_MUTATION", "RequestCost", "primary_points", "request_cost"]

CONTENT_MUTATION: Final = re.compile(r"^(create|add)[A-Z]")
QUERY_POINTS: Final = 1
MUTATION_POINTS: Final = 5
MAX_PAGE: Final = 100

_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\.\.\.|[{}():]|\$?[_A-Za-z][_0-9A-Za-z]*|-?\d+')
_PAGE_ARGS: Final = ("first", "last")


@attrs.frozen
class RequestCost:
    """The budget units one request of an operation spends."""

    mutation: bool
    primary: int
    content: int

    @property
    def secondary(self) -> int:
        return MUTATION_POINTS if self.mutation else QUERY_POINTS

    def units(self) -> dict[str, float]:
        """Units per budget name, as :meth:`BudgetTracker.acquire` takes them."""
        return {
            PRIMARY: self.primary,
            SECONDARY: self.secondary,
            CONTENT_PER_MINUTE: self.content,
            CONTENT_PER_HOUR: self.content,
        }


def _tokens(document: str) -> Iterator[str]:
    return iter(_TOKEN.findall(document))


def _page_size(arguments: Mapping[str, str]) -> int | None:
    for name in _PAGE_ARGS:
        value = arguments.get(name)
        if value is not None:
            return MAX_PAGE if value.startswith("$") else min(MAX_PAGE, max(0, int(value)))
    return None


def _arguments(tokens: Iterator[str]) -> dict[str, str]:
    """The scalar arguments up to the closing parenthesis (nested input objects are skipped over)."""
    found: dict[str, str] = {}
    depth = 1
    name: str | None = None
    expecting_value = False
    for token in tokens:
        if token == "(" or token == "{":
            depth += 1
        elif token == ")" or token == "}":
            depth -= 1
            if depth == 0:
                return found
        elif token == ":":
            expecting_value = True
            continue
        elif depth == 1 and expecting_value and name is not None:
            found[name] = token
        elif depth == 1:
            name = token
        expecting_value = False
    return found


def primary_points(document: str) -> int:
    """GitHub's primary cost of ``document`` (one operation, as ``sgqlc_runtime.render`` writes it)."""
    tokens = _tokens(document)
    requests = 0
    stack = [1]  # multiplier of each open selection set
    pending = 1  # the multiplier the next "{" opens with
    for token in tokens:
        if token == "{":
            stack.append(pending)
            pending = stack[-1]
        elif token == "}":
            stack.pop()
            pending = stack[-1] if stack else 1
        elif token == "(":
            size = _page_size(_arguments(tokens))
            if size is not None:
                requests += stack[-1]
                pending = stack[-1] * size
        elif token[0].isalpha() or token[0] == "_":
            pending = stack[-1]  # a new field: its selection set opens with the enclosing multiplier
    return max(1, (requests + 50) // 100)


_COSTS: weakref.WeakKeyDictionary[Operation, RequestCost] = weakref.WeakKeyDictionary()


def request_cost(op: Operation) -> RequestCost:
    """The cost of one request of ``op`` (cached: operations are built once and sent many times)."""
    cost = _COSTS.get(op)
    if cost is None:
        document = render(op)
        mutation = document.startswith("mutation")
        content = sum(1 for field in op if CONTENT_MUTATION.match(field.__field__.graphql_name)) if mutation else 0
        cost = RequestCost(mutation=mutation, primary=primary_points(document), content=content)
        _COSTS[op] = cost
    return cost
