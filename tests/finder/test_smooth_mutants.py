"""first_crossing (lrkit.finder._smooth), the reading both lrkit's rule and the trained edge share:
strictly above, held for ``hold`` more points (or to the end), interpolated in log rate against the
threshold at both points, the first rate when already above, the last when never. Rates are powers
of ten, so every expected rate is 10 to a hand-computed power.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrkit.finder._smooth import centered, centered_noise, first_crossing, half_width, log_noise, robust_floor

LRS = 10.0 ** np.arange(7)


def fc(z, thr, **kw) -> float:
    n = len(z)
    thr = np.full(n, float(thr)) if np.isscalar(thr) else np.asarray(thr, dtype=float)
    return first_crossing(LRS[:n], np.asarray(z, dtype=float), thr, **kw)


def test_one_point_above_is_a_crossing_by_default():
    # z - thr = -1 then +1: half way between 10^0 and 10^1
    assert fc([0, 2, 0, 0, 0], 1) == pytest.approx(10 ** 0.5, rel=1e-12)


def test_touching_the_threshold_is_not_rising_above_it():
    assert fc([0, 1, 0, 0, 0], 1) == LRS[4]
    assert fc([0, 1, 1, 0, 0], 1, hold=1) == LRS[4]


def test_a_rise_must_hold_for_hold_more_points():
    # with hold=1 the lone point above at index 1 does not count; the pair at 3-4 does
    assert fc([0, 2, 0, 2, 2], 1, hold=1) == pytest.approx(10 ** 2.5, rel=1e-12)
    # a pair is enough for hold=1 (a triple is not needed)
    assert fc([0, 2, 2, 0, 2, 2, 2], 1, hold=1) == pytest.approx(10 ** 0.5, rel=1e-12)
    # hold=2 needs a triple, or the points to the end
    assert fc([0, 2, 2, 0, 2, 2, 2], 1, hold=2) == pytest.approx(10 ** 3.5, rel=1e-12)
    assert fc([0, 2, 2, 0, 0, 0, 2], 1, hold=2) == pytest.approx(10 ** 5.5, rel=1e-12)


def test_already_above_at_the_first_point_is_the_first_rate():
    assert fc([2, 0, 0, 0, 0], 1) == 1.0
    assert fc([2, 2, 2, 0, 0], 1, hold=2) == 1.0


def test_interpolation_reads_the_threshold_at_both_points():
    # at the crossing (index 1 -> 2): z - thr = 0 - 1 = -1 and 3 - 1 = 2: a third of the way
    assert fc([0, 0, 3, 0, 0], [0.5, 1, 1, 5, 7]) == pytest.approx(10 ** (1 + 1 / 3), rel=1e-12)
    assert fc([0, 0, 3, 0, 0], [0.5, 2, 1, 5, 7]) == pytest.approx(10 ** (1 + 2 / 4), rel=1e-12)


def test_never_above_is_the_last_rate():
    assert fc([0, 0, 0], 1) == 100.0


# ----------------------------------------------------------------------------- the centred smoother
def test_centered_is_a_triangular_average_shrinking_at_both_ends():
    # h = 2: weights 1 2 3 2 1 in the middle, 1 2 1 one point from an end, the point itself at the ends
    np.testing.assert_allclose(centered(np.array([0.0, 0, 4, 0, 0]), 2), [0, 1, 4 / 3, 1, 0], rtol=1e-15)
    np.testing.assert_allclose(centered(np.array([1.0, 0, 0, 0, 0, 0, 8]), 2),
                               [1, 0.25, 1 / 9, 0, 8 / 9, 2, 8], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(centered([3, 0, 0, 0, 0], 1), [3, 0.75, 0, 0, 0], rtol=1e-15)
    assert centered(np.array([5.0]), 3).tolist() == [5.0]


def test_centered_noise_is_the_standard_error_of_each_average():
    np.testing.assert_allclose(centered_noise(5, 2),
                               [1, 6 ** 0.5 / 4, 19 ** 0.5 / 9, 6 ** 0.5 / 4, 1], rtol=1e-15)
    np.testing.assert_allclose(centered_noise(3, 1), [1, 6 ** 0.5 / 4, 1], rtol=1e-15)
    # the kernel is at most 2 h + 1 points wide, however far from the ends
    np.testing.assert_allclose(centered_noise(7, 1), [1] + [6 ** 0.5 / 4] * 5 + [1], rtol=1e-15)
    assert centered_noise(1, 2).tolist() == [1.0]


@pytest.mark.parametrize("n, decades, half", [
    (41, 2.0, 5),      # 20 points per decade: a quarter decade is 5
    (101, 4.0, 6),     # 25 per decade: 6.25 -> 6
    (12, 1.0, 3),      # 11 per decade: 2.75 -> 3 (rounded, not truncated)
    (3, 2.0, 1),       # 1 per decade: at least 1
    (5, 0.5, 2),       # 8 per decade over half a decade: 2
])
def test_half_width_is_a_quarter_decade_of_points(n, decades, half):
    assert half_width(np.geomspace(1e-3, 1e-3 * 10 ** decades, n)) == half
    # the same on a linear sweep spanning the same decades: only the ends count
    assert half_width(np.concatenate([[1e-3], np.linspace(2e-3, 1e-3 * 10 ** decades, n - 1)])) == half


def test_log_noise_is_the_robust_spread_of_second_log_differences():
    # log of 1 2 3 4: second differences log(3/4) and log(8/9), median log(3/2) / 2
    expected = 1.4826 * math.log(1.5) / 2 / math.sqrt(6)
    assert log_noise(np.array([1.0, 2, 3, 4])) == pytest.approx(expected, rel=1e-12)
    # alternating 1, e: second differences of +-2, median 2; a non-finite loss is skipped
    alt = np.array([1.0, math.e, 1, math.e, 1, math.e])
    assert log_noise(alt) == pytest.approx(1.4826 * 2 / math.sqrt(6), rel=1e-12)
    assert log_noise(np.insert(alt, 1, math.nan)) == pytest.approx(1.4826 * 2 / math.sqrt(6), rel=1e-12)
    # a straight piece (geometric) has none; fewer than four finite losses have none
    assert log_noise(np.array([1.0, 2, 4, 8, 16])) == pytest.approx(0.0, abs=1e-15)
    assert log_noise(np.array([1.0, 2, math.nan, 3])) == 0.0
    # a zero loss counts as 1e-12 of the largest (ln 1e12 = 12 ln 10 apart)
    assert log_noise(np.array([0.0, 1, 0, 1])) == pytest.approx(1.4826 * 24 * math.log(10) / math.sqrt(6),
                                                                 rel=1e-12)
    assert log_noise(np.zeros(6)) == 0.0


def test_robust_floor_is_the_running_minimum_of_upper_bounds():
    z = np.array([2.0, 1.0, 3.0, 0.5])
    assert robust_floor(z, 0.0, np.ones(4)).tolist() == [2.0, 1.0, 1.0, 0.5]
    se = np.array([1.0, 0.5, 0.5, 1.0])
    e = math.exp
    np.testing.assert_allclose(robust_floor(z, 0.1, se), [2 * e(0.3), e(0.15), e(0.15), 0.5 * e(0.3)],
                               rtol=1e-14)
    np.testing.assert_allclose(robust_floor(z, 0.1, se, k=1.0), [2 * e(0.1), e(0.05), e(0.05), 0.5 * e(0.1)],
                               rtol=1e-14)
