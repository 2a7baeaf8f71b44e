"""Linear's estimate scales: the values a team's ``issueEstimationType`` offers, and what its flags add.

From Linear's help page "Estimates" (https://linear.app/docs/estimates; notes/linear-api.md §5): exponential
1 2 4 8 16 (extended: 32 64), Fibonacci 1 2 3 5 8 (13 21), linear 1 2 3 4 5 (6 7), t-shirt XS S M L XL
(XXL XXXL). T-shirt sizes are stored as numbers on the Fibonacci scale, XS = 1 ... XXXL = 21 (by position in
the two tables). ``issueEstimationAllowZero`` adds 0; ``notUsed`` offers nothing. The provider maps a plan's
size onto these values and the emulator refuses others, so both read this one table.
"""

from __future__ import annotations

from typing import Final

__all__ = ["ESTIMATE_SCALES", "TSHIRT_SIZES", "estimate_scale"]

ESTIMATE_SCALES: Final[dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {
    "exponential": ((1, 2, 4, 8, 16), (32, 64)),
    "fibonacci": ((1, 2, 3, 5, 8), (13, 21)),
    "linear": ((1, 2, 3, 4, 5), (6, 7)),
    "tShirt": ((1, 2, 3, 5, 8), (13, 21)),
}
"""``issueEstimationType`` -> (its base values, what ``issueEstimationExtended`` adds)."""

TSHIRT_SIZES: Final[dict[str, int]] = {"XS": 1, "S": 2, "M": 3, "L": 5, "XL": 8, "XXL": 13, "XXXL": 21}
"""The number a t-shirt team stores for each size (XXL and XXXL only when extended)."""


def estimate_scale(estimation_type: str, *, extended: bool, allow_zero: bool) -> tuple[int, ...]:
    """The estimate values a team accepts, ascending (empty when it does not use estimates)."""
    if estimation_type not in ESTIMATE_SCALES:
        return ()
    base, more = ESTIMATE_SCALES[estimation_type]
    return (0,) * allow_zero + base + (more if extended else ())
