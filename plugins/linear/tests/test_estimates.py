"""Linear's estimate scales, one table the provider and the emulator share (Linear's "Estimates" help page)."""

from __future__ import annotations

import pytest

from planpilot_provider_linear.estimates import ESTIMATE_SCALES, TSHIRT_SIZES, estimate_scale


@pytest.mark.parametrize(
    ("kind", "extended", "allow_zero", "expected"),
    [
        ("fibonacci", False, False, (1, 2, 3, 5, 8)),
        ("fibonacci", True, True, (0, 1, 2, 3, 5, 8, 13, 21)),
        ("exponential", True, False, (1, 2, 4, 8, 16, 32, 64)),
        ("linear", False, True, (0, 1, 2, 3, 4, 5)),
        ("tShirt", True, False, (1, 2, 3, 5, 8, 13, 21)),
        ("notUsed", True, True, ()),
    ],
)
def test_a_teams_scale_follows_its_type_and_flags(
    kind: str, extended: bool, allow_zero: bool, expected: tuple[int, ...]
) -> None:
    assert estimate_scale(kind, extended=extended, allow_zero=allow_zero) == expected


def test_tshirt_sizes_are_the_tshirt_scale_in_order() -> None:
    base, more = ESTIMATE_SCALES["tShirt"]
    assert tuple(TSHIRT_SIZES.values()) == base + more
    assert list(TSHIRT_SIZES) == ["XS", "S", "M", "L", "XL", "XXL", "XXXL"]
