"""The unique label pair and body text that let each test find only its own items on a shared backend."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import attrs

from planpilot_providers_core.contracts import CreateItemInput, ItemSearchFilters, PlanItemType


@attrs.frozen
class _Marker:
    """A unique label pair and body text, so a test finds only its own items on a shared backend."""

    label: str
    other_label: str
    body: str

    @classmethod
    def new(cls) -> _Marker:
        token = uuid.uuid4().hex
        return cls(label=f"ppc-{token[:20]}", other_label=f"ppc-{token[20:]}-and", body=f"ppc{token}")

    def create(
        self,
        title: str,
        *,
        labels: Sequence[str] | None = None,
        in_body: bool = True,
        item_type: PlanItemType = PlanItemType.TASK,
    ) -> CreateItemInput:
        """A create input carrying this marker's label (unless ``labels`` says otherwise) and body text."""
        marker = self.body if in_body else f"ppc-unrelated-{uuid.uuid4().hex}"
        return CreateItemInput(
            title=f"[conformance] {title}",
            body=f"Created by the planpilot provider conformance suite.\n\nmarker: {marker}\n",
            item_type=item_type,
            labels=(self.label,) if labels is None else labels,
        )

    def filters(self, *labels: str, body: bool = True) -> ItemSearchFilters:
        return ItemSearchFilters(labels=labels or (self.label,), body_contains=self.body if body else "")
