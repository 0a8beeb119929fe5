"""The finder's classic rules checked from the outside, on fixed curves whose suggestion is worked
out by hand in the comments (no lrkit code computes an expected value here).

Every curve is given as the smoothed loss itself (``smoothed == losses``), on an exponential
grid of ten points per decade, so a rule's answer is one of the grid rates and can be named by
its index. The reference articles' two classic readings of the plot are:

* "go one order of magnitude before the minimum" (reference 000): the ``minimum`` rule;
* "pick the learning rate associated with the fastest decrease in loss (not the point where loss
  is actually lowest)" (reference 004): the ``steepest`` rule.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrkit.finder import FinderResult, NoSuggestion, rules
from tests.finder.fastai_rules import fastai_valley_index

# 10 points per decade from 1e-4: grid[i] = 10 ** (-4 + i / 10).
PER_DECADE = 10


def grid(n: int) -> np.ndarray:
    return 10.0 ** (-4.0 + np.arange(n) / PER_DECADE)


def result(losses: list[float], usable: int | None = None) -> FinderResult:
    loss = np.asarray(losses, dtype=np.float64)
    n = len(loss)
    return FinderResult(grid(n), loss, loss.copy(), n if usable is None else usable, "completed")


def rate(i: int) -> float:
    return 10.0 ** (-4.0 + i / PER_DECADE)


def curve_from_drops(start: float, drops: list[float], rises: list[float]) -> list[float]:
    """A loss that starts at ``start``, falls by ``drops[k]`` between point k and k+1, then rises
    by ``rises[k]``: the shape of a range test written down point by point."""
    out = [start]
    for d in drops:
        out.append(out[-1] - d)
    for r in rises:
        out.append(out[-1] + r)
    return out


# Curve A: 30 points. A flat start (points 0-5), a descent whose largest single drop is between
# points 12 and 13, the minimum at point 20, then a rise to well past 1.5x the minimum.
#   drops (point k -> k+1), k = 0..19:
DROPS_A = [0.0] * 6 + [0.01, 0.02, 0.04, 0.06, 0.08, 0.12, 0.30, 0.20, 0.10, 0.06, 0.04, 0.02, 0.01, 0.005]
RISES_A = [0.05, 0.15, 0.4, 0.8, 1.5, 2.0, 3.0, 4.0, 5.0]
LOSS_A = curve_from_drops(3.0, DROPS_A, RISES_A)
# minimum: the loss is 3.0 - sum(DROPS_A) = 1.935 at point 20 (the last drop ends there).
ARGMIN_A = 20


def test_curve_a_is_what_the_comments_say():
    assert len(LOSS_A) == 30
    assert int(np.argmin(LOSS_A)) == ARGMIN_A
    assert LOSS_A[ARGMIN_A] == pytest.approx(1.935)


def test_minimum_rule_is_one_order_of_magnitude_before_the_minimum():
    # reference 000: "go one order of magnitude before the minimum is the best learning rate".
    # The minimum is at point 20, rate 10 ** (-4 + 2) = 1e-2; a decade before is 1e-3.
    r = result(LOSS_A)
    assert r.suggest("minimum") == pytest.approx(1e-3, rel=1e-12)


def test_steepest_rule_is_the_fastest_decrease_not_the_lowest_loss():
    # reference 004: the rate "associated with the fastest decrease in loss".
    # The slope at point i (central difference in log rate, uniform grid) is proportional to
    # -(drop[i-1] + drop[i]): point 12 -> 0.12 + 0.30 = 0.42, point 13 -> 0.30 + 0.20 = 0.50,
    # point 14 -> 0.20 + 0.10 = 0.30. The fastest decrease is at point 13.
    r = result(LOSS_A)
    assert r.suggest("steepest") == pytest.approx(rate(13), rel=1e-12)
    # and it is not the minimum, nor the flattest point of the descent
    assert r.suggest("steepest") < rate(ARGMIN_A) / 10 ** 0.5


def test_steepest_rule_ignores_a_steep_first_tenth():
    # Curve B, 40 points: a sharp drop in the first points (a warm-up transient), then the real
    # descent. The window ends before the final rise (point 32 is the first above 1.5x the
    # minimum), so it has 32 points and its first tenth is 3 points: points 0-2 are not
    # candidates.
    #   drops: 0->1: 0.5, 1->2: 0.5, then 0.01 x 6 (points 2-8), then the descent.
    drops = [0.5, 0.5] + [0.01] * 6 + [0.02, 0.05, 0.10, 0.15, 0.12, 0.08, 0.05, 0.03, 0.02, 0.01,
                                        0.01, 0.01, 0.005, 0.005, 0.002, 0.002, 0.001, 0.001, 0.001, 0.001,
                                        0.001]
    rises = [0.2, 0.6, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    loss = curve_from_drops(4.0, drops, rises)
    # minimum at point 29 (after 29 drops), loss 4 - 1.0 - 0.06 - 0.63 - 0.039 = 2.271;
    # 1.5 x 2.271 = 3.4065 lies between point 31 (3.071) and point 32 (4.071)
    assert int(np.argmin(loss)) == 29 and loss[29] == pytest.approx(2.271)
    assert loss[32] > 1.5 * loss[29] > loss[31]
    # slopes ~ -(drop[i-1] + drop[i]): point 1 -> 1.0 (excluded: first tenth), point 2 ->
    # 0.51 (excluded), point 11 -> 0.10 + 0.15 = 0.25, point 12 -> 0.15 + 0.12 = 0.27,
    # point 13 -> 0.12 + 0.08 = 0.20. Answer: point 12.
    r = result(loss)
    assert r.suggest("steepest") == pytest.approx(rate(12), rel=1e-12)


def test_steepest_rule_with_the_minimum_at_the_second_point_is_the_first_rate():
    # The rule itself, on a window given by hand: the loss falls 10% at once and then creeps up.
    # The only descent is from point 0 to 1; with fewer than three points up to the minimum
    # there is no slope to compare and the rule answers the first rate (which the result then
    # refuses as an edge of the sweep).
    loss = np.asarray([2.0, 1.8] + [1.8 + 0.01 * k for k in range(1, 14)])
    lrs = grid(len(loss))
    w = rules.Window(lrs, loss, loss, lrs, loss)
    assert rules.steepest(w, "one_cycle") == lrs[0]
    with pytest.raises(NoSuggestion):
        result(list(loss)).suggest("steepest")


def test_steepest_rule_searches_up_to_the_minimum_only():
    # On a window given by hand (no cut): the steepest fall of all is past the minimum of the
    # smoothed loss... which cannot be (a fall after the minimum would make a new minimum),
    # but a steep *rise then fall* after it can: the slope right after the minimum is positive,
    # the fall after the bump is steeper than anything before the minimum yet ends higher.
    loss = np.asarray([2.0, 2.0, 1.95, 1.9, 1.8, 1.7, 1.65, 1.6, 1.58, 1.57, 1.56,  # min 1.56 at 10
                       3.0, 1.9, 1.8, 1.75])  # a bump and a steep fall, all above 1.56
    lrs = grid(len(loss))
    w = rules.Window(lrs, loss, loss, lrs, loss)
    assert w.argmin == 10
    # first tenth: 15 // 10 = 1 point. Slopes ~ -(drop[i-1] + drop[i]) for i = 1..9:
    # i=1: 0+0.05, 2: 0.10, 3: 0.15, 4: 0.20, 5: 0.15, 6: 0.10, 7: 0.07, 8: 0.03, 9: 0.02 -> point 4
    # (point 12, after the bump, falls 1.1 + 0.1 and is never a candidate)
    assert rules.steepest(w, "one_cycle") == lrs[4]


# Curve C, for the valley rule: 30 points, window = all 30 (never rises 1.5x), skip = 3.
# Points 3-9 sit on a plateau of 2.0, points 10-25 fall strictly (by 0.05 each) to the minimum
# 1.2 at point 25, then points 26-29 rise a little.
# Points 0-2 (the skipped tenth) are higher still, so skipping fewer of them would lengthen the
# valley.
LOSS_C = [3.0, 2.9, 2.8] + [2.0] * 7 + [2.0 - 0.05 * k for k in range(1, 17)] + [1.25, 1.3, 1.35, 1.4]


def test_valley_rule_is_a_half_third_into_the_longest_valley():
    # fastai's valley, after lrkit skips the window's first tenth (3 points): in the trimmed
    # curve s = LOSS_C[3:], index j = point j + 3. The plateau points (j = 0..6) are equal, so
    # a strictly decreasing run takes at most one of them; the longest one is
    # [one plateau point, points 10..25] = 1 + 16 = 17 points, ending at the minimum j = 22.
    # fastai then sets start = end - length = 22 - 17 = 5, sections = (22 - 5) / 3 = 5.67,
    # idx = 5 + int(5.67) + int(2.83) = 5 + 5 + 2 = 12 -> point 15.
    assert int(np.argmin(LOSS_C)) == 25
    r = result(LOSS_C)
    assert r.suggest("valley") == pytest.approx(rate(15), rel=1e-12)
    # inside the valley, not at its start (point 10) nor at its end (the minimum, point 25)
    assert rate(10) < r.suggest("valley") < rate(25)


def test_valley_rule_follows_the_longest_valley_not_the_deepest():
    # Two valleys: a short deep one (points 4-9, 5 steep drops) and, after a partial recovery,
    # a long shallow one (points 12-29). 30 points, skip = 3.
    loss = ([3.0] * 4 + [2.5, 2.0, 1.5, 1.0, 0.9, 0.85]        # points 0-9: short valley to 0.85
            + [1.1, 1.2]                                          # points 10-11: recovery
            + [1.2 - 0.019 * k for k in range(1, 19)])            # points 12-29: 18 small drops
    assert loss[29] == pytest.approx(0.858) and int(np.argmin(loss)) == 9
    # The window: the loss never exceeds 1.5 x its running minimum (1.2 / 0.85 < 1.5), 30 points.
    # Trimmed s = loss[3:] (j = point - 3). The longest strictly decreasing subsequence: one
    # plateau point (3.0), 2.5, 2.0, 1.5 (points 4-6), then 1.2 (point 11 -- or 10's 1.1 cannot
    # precede 1.2), then points 12-29: values 1.181 ... 0.858, all < 1.2 and > 1.0. Length
    # 1 + 3 + 1 + 18 = 23, ending at point 29 (j = 26). start = 26 - 23 = 3,
    # sections = 23 / 3 = 7.67, idx = 3 + 7 + 3 = 13 -> point 16.
    # Point 16 is past the minimum (point 9), so the rule keeps it below: point 9 - 1 = 8.
    r = result(loss)
    assert r.suggest("valley") == pytest.approx(rate(8), rel=1e-12)


def test_valley_rule_clamped_only_when_past_the_minimum():
    # the same long shallow valley without the deep one: then the half-third point stands.
    loss = [3.0] * 4 + [2.5, 2.0, 1.5, 1.3, 1.25, 1.22, 1.21, 1.2] + [1.2 - 0.019 * k for k in range(1, 19)]
    # minimum at point 29 (0.858). Trimmed j = point - 3; longest run: 3.0 (one plateau point),
    # then points 4..29 all strictly decreasing = 1 + 26 = 27 ending at j = 26:
    # start = 26 - 27 = -1, sections = 27 / 3 = 9, idx = -1 + 9 + 4 = 12 -> point 15.
    assert int(np.argmin(loss)) == 29
    r = result(loss)
    assert r.suggest("valley") == pytest.approx(rate(15), rel=1e-12)


def test_rules_see_only_the_window_before_the_rise():
    # Curve A with a second, deeper descent after the breakdown: the window ends at the first
    # point above 1.5x the running minimum, so the later descent changes no rule.
    tail = [LOSS_A[-1] - 1.0 * k for k in range(1, 8)]
    longer = LOSS_A + [max(t, 0.5) for t in tail]
    a, b = result(LOSS_A), result(longer)
    # (lrkit's own rule is left out: it reads the breakdown edge in every usable point)
    for rule in ("minimum", "steepest", "valley"):
        assert a.suggest(rule) == b.suggest(rule), rule


def test_no_suggestion_when_the_loss_never_falls_one_percent():
    flat = [2.0 - 0.0009 * k for k in range(20)]  # falls 0.95% in all, smoothly
    for rule in ("minimum", "steepest", "valley", "lrkit"):
        with pytest.raises(NoSuggestion, match="1% below"):
            result(flat).suggest(rule)
    # the same shape falling 5% in all has a minimum (at the last point, rate(19))
    falling = [2.0 - 0.005 * k for k in range(20)] + [3.5, 4.0]
    assert result(falling).suggest("minimum") == pytest.approx(rate(19) / 10, rel=1e-12)


def test_no_suggestion_with_fewer_than_ten_points_before_the_rise():
    loss = [2.0, 1.9, 1.8, 1.7, 1.6, 1.5, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0]  # breaks down at point 6
    for rule in ("minimum", "steepest", "valley", "lrkit"):
        with pytest.raises(NoSuggestion, match="usable point"):
            result(loss).suggest(rule)


def test_usable_excludes_the_stopping_step():
    # the last point (the step that stopped the test) is not usable: a minimum there is ignored
    loss = [2.0 - 0.05 * k for k in range(25)] + [0.1]
    r = result(loss, usable=25)
    assert r.suggest("minimum") == pytest.approx(rate(24) / 10, rel=1e-12)


def hand_window(loss: list[float], lrs: np.ndarray | None = None) -> rules.Window:
    """A window given by hand (no cut): the rule functions themselves."""
    v = np.asarray(loss, dtype=np.float64)
    x = grid(len(v)) if lrs is None else lrs
    return rules.Window(x, v, v, x, v)


def test_steepest_with_the_minimum_at_the_third_point():
    # minimum at point 2 (1.5); 15 points, first tenth 1 point: candidates are points 1 only
    # (up to, not including, the minimum). The slope is defined there: the answer is point 1,
    # not the first rate.
    w = hand_window([2.0, 1.7, 1.5] + [1.5 + 0.01 * k for k in range(1, 13)])
    assert w.argmin == 2
    assert rules.steepest(w, "one_cycle") == w.lrs[1]


def test_steepest_with_the_minimum_inside_the_first_tenth():
    # 30 points (first tenth: 3), minimum at point 3: the search starts one point before the
    # minimum, point 2 (slope (1.45 - 1.6) / 2), not at point 1, whose slope (1.5 - 2.0) / 2 is
    # steeper but lies in the first tenth... and not past the minimum.
    w = hand_window([2.0, 1.6, 1.5, 1.45] + [1.45 + 0.005 * k for k in range(1, 27)])
    assert w.argmin == 3
    assert rules.steepest(w, "one_cycle") == w.lrs[2]


def test_steepest_is_against_log_rate_on_a_linear_sweep():
    # a linear sweep (find_lr(mode="linear")): 0.01, 0.02, ..., 0.30, and a loss falling by the
    # same 0.125 per point to the minimum at point 20. Per point every slope is the same; per
    # log rate the slope is -0.125 / (log step), and the log step shrinks as the rate grows: the
    # steepest fall against log rate is at the last point before the minimum, point 19.
    lrs = np.arange(1, 31) * 0.01
    loss = [4.0 - 0.125 * k for k in range(21)] + [1.5 + 0.01 * k for k in range(1, 10)]
    w = hand_window(loss, lrs)
    assert w.argmin == 20
    assert rules.steepest(w, "one_cycle") == lrs[19]


def test_valley_is_kept_below_a_minimum_at_the_second_point():
    # minimum at point 1: the only rate below it is the first
    w = hand_window([2.0, 1.5] + [1.5 + 0.01 * k for k in range(1, 14)])
    assert w.argmin == 1
    assert rules.valley(w, "one_cycle") == w.lrs[0]


def test_valley_of_two_points_uses_fastais_start():
    # 20 points, skip 2. Trimmed (points 2..): 2.0, 1.5, then a slow rise that stays below 2.0:
    # every point after the first has a decreasing run of length 2 (from 2.0), first reached at
    # trimmed index 1. fastai's start = end - length = 1 - 2 = -1, L = 2, idx = -1 + 0 + 0 = -1:
    # point 2 - 1 = 1 (the minimum is point 3, so no clamping).
    w = hand_window([2.5, 2.4, 2.0, 1.5] + [1.5 + 0.02 * k for k in range(1, 17)])
    assert w.argmin == 3
    assert rules.valley(w, "one_cycle") == w.lrs[1]


def _curves(seed: int, count: int, ties: bool = True):
    """Random range-test-like curves: a noisy fall, a minimum, a noisy rise (all positive)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(12, 60))
        m = int(rng.integers(2, n - 1))
        fall = np.cumsum(rng.uniform(-0.02, 0.1, m))
        rise = np.cumsum(rng.uniform(-0.02, 0.1, n - m))
        loss = np.concatenate([3.0 - fall, 3.0 - fall[-1] + rise])
        # coarse rounding makes plateaus, ties of the valley's runs
        yield np.round(loss, int(rng.integers(1, 4))) if ties else loss


def test_valley_matches_fastais_algorithm_on_random_curves():
    # lrkit's valley = fastai's valley on the window after its first tenth, the index moved back
    # into the window and kept between the first rate and the point before the minimum.
    for loss in _curves(0, 300):
        w = hand_window(list(loss))
        skip = len(loss) // 10
        idx = skip + fastai_valley_index(loss[skip:])
        expected = w.lrs[max(0, min(idx, int(np.argmin(loss)) - 1))]
        assert rules.valley(w, "one_cycle") == expected, list(loss)


def test_steepest_matches_central_differences_on_random_curves():
    # uniform log grid: the slope at i is (l[i+1] - l[i-1]) / (2 h), one-sided at the ends;
    # the answer is the most negative slope for n // 10 <= i < argmin (one point before the
    # minimum when that range is empty), the first rate when the minimum is at point 0 or 1.
    for loss in _curves(1, 300, ties=False):  # (tied slopes would be decided by rounding)
        w = hand_window(list(loss))
        m = int(np.argmin(loss))
        if m < 2:
            expected = 0
        else:
            slopes = [loss[1] - loss[0]] + [(loss[i + 1] - loss[i - 1]) / 2 for i in range(1, m)]
            lo = min(len(loss) // 10, m - 1)
            expected = lo + int(np.argmin(slopes[lo:m]))
        assert rules.steepest(w, "one_cycle") == w.lrs[expected], list(loss)
