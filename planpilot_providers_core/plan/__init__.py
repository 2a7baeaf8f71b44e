"""PlanPilot plans: the item model (:mod:`.model`), the validated graph (:mod:`.graph`), plan files
(:mod:`.files`) and the plan id (:mod:`.identity`)."""

from planpilot_providers_core.plan.files import load_plan, load_split_plan, load_unified_plan
from planpilot_providers_core.plan.graph import Plan, validate_items
from planpilot_providers_core.plan.identity import compute_plan_id
from planpilot_providers_core.plan.model import (
    LEVELS,
    MAX_ID_LENGTH,
    MAX_ITEMS,
    Estimate,
    PlanError,
    PlanItem,
    PlanProblem,
    Scope,
    SpecRef,
    Verification,
)

__all__ = [
    "LEVELS",
    "MAX_ID_LENGTH",
    "MAX_ITEMS",
    "Estimate",
    "Plan",
    "PlanError",
    "PlanItem",
    "PlanProblem",
    "Scope",
    "SpecRef",
    "Verification",
    "compute_plan_id",
    "load_plan",
    "load_split_plan",
    "load_unified_plan",
    "validate_items",
]
