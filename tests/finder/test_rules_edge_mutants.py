"""lrkit's own rule on hand-built analysis windows: the half-descent point's boundaries and the
edge rule's guards and messages, exactly (each expected value by hand; mutation testing of
``lrkit.finder.rules.edge`` / ``half_descent`` found them unpinned)."""

from __future__ import annotations

import numpy as np
import pytest

from lrkit.finder import NoSuggestion
from lrkit.finder.rules import Window, breakdown_edge, edge, half_descent


def hand_window(lrs: np.ndarray, losses: np.ndarray, centred: np.ndarray,
                usable_lrs: np.ndarray | None = None, usable_losses: np.ndarray | None = None) -> Window:
    """A window with its centred average given, not computed (so it can sit exactly on a level)."""
    return Window(lrs, losses, losses, lrs if usable_lrs is None else usable_lrs,
                  losses if usable_losses is None else usable_losses, centred)


FOUR_DECADES = np.geomspace(1e-4, 1.0, 41)  # 10 points per decade: the smoother's half-width is 2


def test_the_half_descent_level_is_reached_by_equality():
    # start 1 (the first five raw losses), lowest 0.5 past the half-width: level 0.75, met exactly
    # at index 3 (<=, not <)
    z = np.array([1.0, 1.0, 1.0, 0.75] + [0.5] * 37)
    w = hand_window(FOUR_DECADES, np.ones(41), z)
    assert half_descent(w) == FOUR_DECADES[3]
    assert half_descent(w, fraction=1.0) == FOUR_DECADES[4]  # all of the fall: the lowest point


def test_a_lowest_value_equal_to_the_start_is_no_fall():
    # the centred average dips only inside the first half-width (2 points); from there on it never
    # goes below the start level: no half-descent point, and the reason in full
    z = np.array([0.5, 0.5] + [1.0] * 39)
    w = hand_window(FOUR_DECADES, np.ones(41), z)
    with pytest.raises(NoSuggestion) as why:
        half_descent(w)
    assert str(why.value) == ("the loss fell only within the first quarter decade of the test, where it is "
                              "too close to its start to tell where it fell: start the test at a lower rate")


def test_a_window_shorter_than_the_half_width_reads_its_last_point():
    # a test over one decade in 100 steps has a half-width of 25 points; a window of 12 points is
    # all inside it, so only its last point counts: it is the half-descent point
    usable = np.geomspace(0.01, 0.1, 100)
    losses = 2.0 - 0.1 * np.arange(12)
    w = hand_window(usable[:12], losses, losses.copy(), usable, np.concatenate([losses, np.full(88, 9.0)]))
    assert half_descent(w) == usable[11]


# ----------------------------------------------------------------------------- edge's guards
def breaking_at_30(z: np.ndarray, lrs: np.ndarray = FOUR_DECADES) -> Window:
    """Flat usable losses that break down at index 30 (rate 0.1), with the given centred average
    of the window (which places the minimum)."""
    usable = np.concatenate([np.ones(30), np.full(11, 5.0)])
    return hand_window(lrs[:len(z)], np.ones(len(z)), z, lrs, usable)


def test_a_minimum_at_the_second_point_caps_the_rate_at_the_first_rate_no_suggestion():
    z = np.array([1.0, 0.5] + [0.9] * 28)  # the centred minimum at index 1: the cap is the first rate
    w = breaking_at_30(z)
    eta_e = breakdown_edge(w)
    assert eta_e / 5 > FOUR_DECADES[0]
    with pytest.raises(NoSuggestion) as why:
        edge(w, "one_cycle")
    eta = FOUR_DECADES[0]
    assert str(why.value) == (f"the loss started to break down at {eta_e:.3g}, less than "
                              f"{eta_e / eta:.3g}x the first rate of the test ({eta:.3g}), or had "
                              "its minimum there: start the test at a lower rate")


def test_a_minimum_at_the_third_point_suggests_the_second_rate():
    z = np.array([1.0, 0.9, 0.5] + [0.9] * 27)
    assert edge(breaking_at_30(z), "one_cycle") == FOUR_DECADES[1]


def test_a_rate_a_billionth_above_the_first_is_still_the_first_rate():
    # the guard is eta <= first * (1 + 1e-9): a rate exactly that far above it is no suggestion
    lrs = FOUR_DECADES.copy()
    lrs[1] = lrs[0] * (1.0 + 1e-9)
    z = np.array([1.0, 0.9, 0.5] + [0.9] * 27)
    with pytest.raises(NoSuggestion, match="the loss started to break down at"):
        edge(breaking_at_30(z, lrs), "one_cycle")


def test_a_censored_edge_says_where_the_test_ended():
    z = np.array([1.0, 0.9, 0.5] + [0.9] * 38)
    w = hand_window(FOUR_DECADES, np.ones(41), z)  # flat usable losses: the edge is the last rate
    with pytest.raises(NoSuggestion) as why:
        edge(w, "constant")
    assert str(why.value) == ("the loss never broke down up to the last rate of the test (1), so the test "
                              "found no upper limit to back off from: run it to a higher end rate")


# ----------------------------------------------------------------------------- why there is no window
def test_no_suggestion_says_nothing_of_a_window_unless_told():
    exc = NoSuggestion("some reason")
    assert (str(exc), exc.cause, exc.rose) == ("some reason", "other", False)


def test_too_few_points_names_its_cause_and_whether_the_loss_rose():
    from lrkit.finder import find_lr
    from lrkit.finder.rules import window

    # four points doubling each step: no noise (the log rises straight), a rise of 2.25x at once
    it = iter([1.0, 2.0, 4.0, 8.0])
    r = find_lr(lambda lr: next(it), start=1e-3, end=1e-1, num_steps=4, diverge=1e9, spike=1e9)
    assert len(r.lrs) == 4  # the loss rose: not widened
    with pytest.raises(NoSuggestion) as why:
        window(r.lrs, r.losses, r.smoothed, r.usable)
    assert (why.value.cause, why.value.rose) == ("few_points", True)
    assert str(why.value) == ("only 1 usable point(s) in the range test (at least 10 needed): the loss "
                              "broke down almost at once -- start the test at a lower rate or check the "
                              "step function")
    # nine flat points: too few, but no rise -- the rates ran out
    flat = np.ones(9)
    with pytest.raises(NoSuggestion) as why:
        window(np.geomspace(1e-3, 1e-1, 9), flat, flat, 9)
    assert (why.value.cause, why.value.rose) == ("few_points", False)


def test_ten_points_are_a_window():
    from lrkit.finder.rules import window

    lrs = np.geomspace(1e-4, 1e-1, 10)
    losses = np.linspace(2.0, 1.0, 10)
    w = window(lrs, losses, losses, 10)
    assert len(w.lrs) == 10


def test_a_loss_that_never_fell_names_its_cause():
    from lrkit.finder.rules import window

    lrs = np.geomspace(1e-4, 1e-1, 30)
    flat = np.ones(30)
    with pytest.raises(NoSuggestion) as why:
        window(lrs, flat, flat, 30)
    assert (why.value.cause, why.value.rose) == ("no_fall", False)


# ----------------------------------------------------------------------------- the fall, exactly
# Curves made of flat pieces have no batch noise (the median second difference of log loss is 0),
# so the robust floor is the running minimum of the centred average; 12 points over 2 decades
# give a half-width of 1 point (weights 1, 2, 1).
def _window_of(values: list[float]):
    from lrkit.finder.rules import window

    v = np.asarray(values, dtype=np.float64)
    return window(np.geomspace(1e-3, 10.0 ** (-3 + 2 * (len(v) - 1) / 11), len(v)), v, v, len(v))


def test_the_start_is_the_median_of_the_first_five_losses():
    # alternating 3 / 1.6, then flat at 3: the centred average is 2.3 where it alternates. The
    # first five losses have median 3 (the fall to 2.3 is 23%); the first six would have 2.3
    # (no fall)
    w = _window_of([3.0, 1.6, 3.0, 1.6, 3.0, 1.6] + [3.0] * 30)
    assert w.centred_argmin == 5


def test_the_fall_is_read_at_the_windows_last_point():
    # flat at 1, the last point 0.97: only the last centred value (0.97) is 1% below the start;
    # the one before it is (1 + 2 + 0.97) / 4 = 0.9925
    w = _window_of([1.0] * 11 + [0.97])
    assert w.centred_argmin == 11


def test_a_fall_of_exactly_one_percent_is_not_a_fall():
    flat = [1.0] * 6 + [0.99] * 30
    with pytest.raises(NoSuggestion) as why:
        _window_of(flat)
    assert why.value.cause == "no_fall"


def test_a_minimum_at_the_second_point_is_a_window():
    # 2, 1, then 1.6: the centred minimum is at index 1 ((2 + 2 + 1.6) / 4 = 1.4), the start 1.6
    w = _window_of([2.0, 1.0] + [1.6] * 30)
    assert w.centred_argmin == 1
