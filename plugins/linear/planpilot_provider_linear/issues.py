"""An issue as the provider reads it: one frozen value built from any of the operations that select the issue
fields (every read and write answer selects the same ones), and Linear's sizes in both directions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from planpilot_provider_linear.estimates import estimate_scale
from planpilot_providers_core.errors import ProviderError

__all__ = ["IssueState", "TeamScale", "issue_state", "stable_url"]

_TSHIRT: tuple[str, ...] = ("XS", "S", "M", "L", "XL", "XXL", "XXXL")
"""T-shirt sizes in order: position n is the n-th value of a team's estimate scale (0 left out)."""


@attrs.frozen(kw_only=True)
class IssueState:
    """The fields of one Linear issue this provider reads."""

    id: str
    identifier: str
    url: str
    title: str
    description: str
    label_ids: tuple[str, ...]
    estimate: int | None
    priority: int
    state_id: str | None
    state_type: str | None
    parent_id: str | None
    project_id: str | None
    cycle_id: str | None
    team_id: str | None
    archived: bool
    trashed: bool


def stable_url(url: str, identifier: str) -> str:
    """An issue's URL without the title slug Linear appends (``.../issue/ENG-12/fix-login`` -> ``.../issue/ENG-12``):
    the slug follows the title, and Linear serves the URL without it, so the item's URL stays the same."""
    marker = f"/issue/{identifier}/"
    cut = url.find(marker)
    return url[: cut + len(marker) - 1] if cut >= 0 else url


def _id(node: Any) -> str | None:
    """The id of a related object, or None: sgqlc gives a JSON null as an empty, falsy object."""
    return str(node.id) if node else None


def issue_state(node: Any) -> IssueState:
    """An :class:`IssueState` from a typed issue node of any of the provider's operations."""
    try:
        estimate = node.estimate
        state = node.state
        return IssueState(
            id=str(node.id),
            identifier=str(node.identifier),
            url=stable_url(str(node.url), str(node.identifier)),
            title=str(node.title),
            description=node.description or "",
            label_ids=tuple(str(label_id) for label_id in node.label_ids),
            estimate=None if estimate is None else round(float(estimate)),
            priority=round(float(node.priority or 0)),
            state_id=_id(state),
            state_type=str(state.type) if state else None,
            parent_id=_id(node.parent),
            project_id=_id(node.project),
            cycle_id=_id(node.cycle),
            team_id=_id(node.team),
            archived=node.archived_at is not None,
            trashed=bool(node.trashed),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ProviderError(f"Linear answered with an issue this provider cannot read: {exc!r}") from exc


@attrs.frozen
class TeamScale:
    """A team's estimate scale and the t-shirt sizes mapped onto it by position (notes §5).

    XS is the scale's first value, S the second, and so on: on the t-shirt (and Fibonacci) scale that is
    XS 1, S 2, M 3, L 5, XL 8, XXL 13, XXXL 21; linear 1..7; exponential 1, 2, 4, 8, 16, 32, 64. XXL and
    XXXL exist only on an extended scale; 0 (when allowed) is no t-shirt size.
    """

    estimation_type: str
    values: tuple[int, ...]

    @classmethod
    def of(cls, estimation_type: str, *, extended: bool, allow_zero: bool) -> TeamScale:
        values = estimate_scale(estimation_type, extended=extended, allow_zero=allow_zero)
        return cls(estimation_type, tuple(v for v in values if v > 0))

    @property
    def used(self) -> bool:
        return bool(self.values)

    @property
    def sizes(self) -> Mapping[str, int]:
        """T-shirt size -> the estimate it is stored as, for this team."""
        return dict(zip(_TSHIRT, self.values, strict=False))

    def estimate(self, size: str) -> int:
        """The estimate ``size`` (a t-shirt size, any case; or a number on the scale) is stored as."""
        wanted = size.strip().upper()
        sizes = self.sizes
        if wanted in sizes:
            return sizes[wanted]
        if wanted.isdigit() and int(wanted) in self.values:
            return int(wanted)
        offered = ", ".join(f"{name} ({value})" for name, value in sizes.items())
        hint = " (XXL and XXXL need the team's extended estimates)" if wanted in _TSHIRT else ""
        raise ProviderError(
            f"size {size!r} is not on the team's {self.estimation_type} estimate scale{hint}; it offers {offered}"
        )

    def size(self, estimate: int | None) -> str | None:
        """The t-shirt size an estimate reads back as; ``None`` when unset or off the scale."""
        if estimate is None:
            return None
        return next((name for name, value in self.sizes.items() if value == estimate), None)
