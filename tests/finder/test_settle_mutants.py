"""The settled sweep's details (lrkit.finder.settle), on tiny hand-made curves and step functions:
the trained edge of two- and three-point sweeps (written out by hand), the noise allowance, the
second sweep's stop rule, the constant rate's three terms, and when find_lr runs the sweep at all.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lrkit.finder import find_lr
from lrkit.finder import settle as S


# ----------------------------------------------------------------------------- the trained edge
def test_trained_edge_of_two_points_reads_both_raw_losses():
    # too few points to smooth: z is the raw loss; floor 1, threshold 1 + 0.2 (2 - 1) = 1.2, crossed
    # between the points at u = (1 - 1.2) / (1 - 3) = 0.1 of the way in log rate
    te = S.trained_edge(np.array([0.1, 1.0]), np.array([1.0, 3.0]), loss0=2.0)
    assert te == pytest.approx(0.1 * 10 ** 0.1, rel=1e-12)


def test_trained_edge_of_three_points_is_read_on_the_smoothed_middle_and_end():
    # half width 1 (two decades, 1 point per decade): z = (1, (1 + 2 + 3) / 4, 3) = (1, 1.5, 3); the
    # search starts at the smoother's full width, point 1: floor 1.5, threshold 1.5 + 0.2 (2 - 1.5)
    # = 1.6, crossed at u = (1.5 - 1.6) / (1.5 - 3) = 1/15 between rates 0.1 and 1
    te = S.trained_edge(np.array([0.01, 0.1, 1.0]), np.array([1.0, 1.0, 3.0]), loss0=2.0)
    assert te == pytest.approx(0.1 * 10 ** (1 / 15), rel=1e-12)


def test_trained_edge_search_starts_at_most_at_the_second_of_three_points():
    # a quarter decade of three points: half width 2, more than the curve has: the search still
    # starts at point 1 (the last point is never the only one), same z as above
    lrs = np.array([1.0, 10 ** 0.125, 10 ** 0.25])
    te = S.trained_edge(lrs, np.array([1.0, 1.0, 3.0]), loss0=2.0)
    assert te == pytest.approx(10 ** (0.125 + 0.125 / 15), rel=1e-12)


def test_a_wobble_within_the_noise_is_not_a_rise():
    # batch losses alternating 1.0 / 1.3 (30% batch-to-batch noise) at the untrained level: the
    # centred average ripples, but never by more than its noise allows -- no trained edge
    lrs = np.geomspace(0.01, 10, 60)
    wobble = np.where(np.arange(60) % 2 == 0, 1.0, 1.3)
    assert S.trained_edge(lrs, wobble, loss0=1.0) == lrs[-1]


# ----------------------------------------------------------------------------- the constant rate
@pytest.mark.parametrize("trained_edge, edge, cap, expected", [
    (12.0, 40.0, 100.0, 1.0),     # the trained edge / 12
    (120.0, 4.0, 5.0, 2.0),       # the first test's edge / 2
    (120.0, 4.0, 0.5, 0.5),       # the cap
])
def test_constant_rate_is_the_least_of_three_terms(trained_edge, edge, cap, expected):
    s = S.Settled(edge, 1.0, (), (), (), trained_edge)
    assert s.constant(cap) == expected


# ----------------------------------------------------------------------------- the second sweep
def scripted(settle_loss: float, sweep: list[float]):
    """A step function: ``settle_loss`` for the SETTLE_STEPS settle steps, then ``sweep`` (then 1.0)."""
    calls: list[float] = []
    it = itertools.chain([settle_loss] * S.SETTLE_STEPS, sweep, itertools.repeat(1.0))

    def step(lr: float) -> float:
        calls.append(lr)
        return next(it)

    return step, calls


def test_second_sweep_stops_only_above_twice_the_reference_loss():
    # loss0 = 4: a loss of exactly 8 is not a stop, 8.5 is (the stopping step is recorded)
    step, calls = scripted(1.0, [1.0] * 5 + [8.0, 1.0, 8.5])
    s = S.run_settled(step, 1.0, 4.0)
    assert s.losses == (1.0,) * 5 + (8.0, 1.0, 8.5)
    assert len(s.settle_losses) == S.SETTLE_STEPS and len(calls) == S.SETTLE_STEPS + 8
    assert s.lrs == tuple(np.geomspace(1.0 / 20, 10.0, 60)[:8])


def test_second_sweep_stops_at_a_non_finite_loss():
    step, calls = scripted(1.0, [1.0, 1.0, math.nan])
    s = S.run_settled(step, 1.0, 4.0)
    assert len(s.losses) == 3 and math.isnan(s.losses[-1]) and len(calls) == S.SETTLE_STEPS + 3


def test_second_sweep_that_never_stops_runs_all_its_steps():
    step, calls = scripted(1.0, [])
    s = S.run_settled(step, 1.0, 4.0)
    assert len(s.losses) == S.SWEEP_STEPS and s.trained_edge == pytest.approx(10.0)


def test_two_finite_points_of_the_second_sweep_give_a_trained_edge():
    # reference loss 1: the sweep stops at its second step (3 > 2); both points are finite, so the
    # trained edge is read off them (floor 0.5, threshold 0.6, u = 0.1 / 2.5 = 0.04 of the first
    # step of the sweep, a ratio of 200^(1/59)), not the settle rate 1/20
    step, _ = scripted(1.0, [0.5, 3.0])
    s = S.run_settled(step, 1.0, 1.0)
    assert s.losses == (0.5, 3.0)
    assert s.trained_edge == pytest.approx(0.05 * 200 ** (0.04 / 59), rel=1e-9)


def test_one_finite_point_of_the_second_sweep_gives_the_settle_rate():
    step, _ = scripted(1.0, [0.5, math.nan])
    s = S.run_settled(step, 2.0, 1.0)
    assert len(s.losses) == 2 and s.trained_edge == 0.1


# ----------------------------------------------------------------------------- when find_lr runs it
def falling(n: int, last_factor: float | None = None):
    """A loss falling all along (times ``last_factor`` at the last step), then 1.0 forever."""
    vals = list(2.0 * np.exp(-np.linspace(0, 1.5, n - 1)))
    vals.append(vals[-1] * (last_factor if last_factor is not None else math.exp(-1.5 / (n - 2))))
    it = itertools.chain(vals, itertools.repeat(1.0))
    return lambda lr: next(it)


def test_settle_true_skips_the_sweep_when_the_test_never_broke_down():
    resets = []
    r = find_lr(falling(40), start=1e-4, end=1.0, num_steps=40, settle=True, reset=lambda: resets.append(1),
                widen=0)
    assert r.stop_reason == "completed" and r.settled is None and resets == []


def test_settle_true_runs_the_sweep_when_the_loss_breaks_down_at_the_last_step():
    # the loss jumps 70% at the last rate tested: the test broke down inside its last step, so its
    # edge (between the last two rates) is a real one and the settled sweep runs from it
    resets = []
    r = find_lr(falling(40, 1.7), start=1e-4, end=1.0, num_steps=40, settle=True,
                reset=lambda: resets.append(1))
    assert r.stop_reason == "completed" and resets == [1]
    assert r.settled is not None and r.lrs[-2] < r.settled.edge < r.lrs[-1]
