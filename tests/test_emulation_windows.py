"""Core's rate-limit windows (planpilot_providers_core.emulation.windows), on explicit epoch seconds."""

from __future__ import annotations

import pytest

from planpilot_providers_core.emulation import SlidingWindow, TokenBucket


def test_sliding_window_frees_units_as_they_leave_the_window() -> None:
    window = SlidingWindow(limit=3, window=10.0)
    for at in (0.0, 1.0, 2.0):
        assert window.wait(at, 1) == 0.0
        window.add(at, 1)
    assert window.used(2.0) == 3
    assert window.wait(5.0, 1) == pytest.approx(5.0)  # the unit added at 0 leaves at 10
    assert window.wait(5.0, 2) == pytest.approx(6.0)
    assert window.wait(10.0, 1) == 0.0
    assert window.wait(0.0, 4) == 10.0  # never fits: a whole window


def test_token_bucket_starts_full_refills_at_its_rate_and_caps_at_capacity() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3.0)
    assert all(bucket.take(100.0) for _ in range(3))
    assert not bucket.take(100.0)
    assert bucket.wait(100.0) == pytest.approx(0.5)
    assert bucket.remaining(100.25) == pytest.approx(0.5)
    assert bucket.take(100.5)
    assert bucket.remaining(1000.0) == 3.0
    bucket.clear()
    assert bucket.remaining(1000.0) == 3.0


def test_token_bucket_drains_and_says_when_it_is_full_again() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3.0)
    assert bucket.full_in(10.0) == 0.0
    assert bucket.take(10.0, 2.0)
    assert bucket.full_in(10.0) == pytest.approx(1.0)
    bucket.drain(10.5)
    assert bucket.remaining(10.5) == 0.0
    assert not bucket.take(10.5)
    assert bucket.full_in(11.0) == pytest.approx(1.0)  # one token back after half a second, two to go


@pytest.mark.parametrize(("rate", "capacity"), [(0.0, 5.0), (-1.0, 5.0), (1.0, 0.5)])
def test_token_bucket_refuses_a_rate_or_capacity_that_could_never_admit(rate: float, capacity: float) -> None:
    with pytest.raises(ValueError, match="TokenBucket needs"):
        TokenBucket(rate=rate, capacity=capacity)
