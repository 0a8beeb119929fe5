"""first_crossing (lrkit.finder._smooth), the reading both lrkit's rule and the trained edge share:
strictly above, held for ``hold`` more points (or to the end), interpolated in log rate against the
threshold at both points, the first rate when already above, the last when never. Rates are powers
of ten, so every expected rate is 10 to a hand-computed power.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrkit.finder._smooth import first_crossing

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
