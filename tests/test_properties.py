"""Hypothesis properties: finite and non-negative everywhere, monotone and continuous where
documented, and every invalid argument rejected with its name."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit

rate = st.floats(1e-6, 10.0)
steps = st.floats(1.0, 1e5)
frac = st.floats(0.01, 0.99)
grid = np.concatenate([np.arange(0, 2000, 7.0), np.geomspace(1, 1e7, 200)])


def _valid(s: lrkit.Schedule) -> np.ndarray:
    v = s(grid)
    assert np.all(np.isfinite(v)), s
    assert np.all(v >= 0), s
    return v


def _non_increasing(v: np.ndarray, s) -> None:
    order = np.argsort(grid, kind="stable")
    d = np.diff(v[order])
    assert np.all(d <= 1e-12 * np.max(np.abs(v))), s


decays = st.one_of(
    st.builds(lrkit.Linear, start=rate, end=st.just(0.0), steps=steps),
    st.builds(lrkit.Polynomial, start=rate, steps=steps, end=st.floats(0, 1e-6),
              power=st.floats(0.1, 5)),
    st.builds(lrkit.Exponential, start=rate, rate=frac, decay_steps=steps, staircase=st.booleans(),
              delay=st.floats(0, 1000)),
    st.builds(lrkit.NaturalExp, start=rate, rate=st.floats(0, 5), decay_steps=steps, staircase=st.booleans()),
    st.builds(lrkit.InverseTime, start=rate, rate=st.floats(0, 5), decay_steps=steps,
              staircase=st.booleans()),
    st.builds(lrkit.StepDecay, start=rate, factor=frac, step_size=steps),
    st.builds(lrkit.Cosine, start=rate, steps=steps, exponent=st.floats(0.2, 4), k=st.floats(0.2, 4)),
    st.builds(lrkit.LinearCosine, start=rate, steps=steps, num_periods=st.just(0.5), alpha=st.floats(0, 1),
              beta=st.floats(0, 0.01)),
    st.builds(lrkit.Tanh, start=rate, steps=steps),
    st.builds(lrkit.InverseSqrt, start=rate, timescale=steps),
    st.builds(lrkit.GeometricStep, start=rate, total=st.floats(2, 1e5), factor=frac),
    st.builds(lrkit.MultiStep, start=rate, milestones=st.lists(st.floats(0, 1e5), max_size=5),
              factor=frac),
)


@settings(max_examples=150, deadline=None)
@given(decays)
def test_decays_are_valid_and_non_increasing(s):
    _non_increasing(_valid(s), s)


anything = st.one_of(
    decays,
    st.builds(lrkit.Polynomial, start=rate, steps=steps, end=st.floats(0, 1e-3), power=st.floats(0.1, 5),
              cycle=st.just(True)),
    st.builds(lrkit.CosineRestarts, start=rate, period=steps, period_mult=st.floats(1, 3),
              peak_decay=st.floats(0.1, 1.0)),
    st.builds(lrkit.Cyclic, base=rate, peak=rate, step_size_up=steps, mode=st.sampled_from(
        ["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.9, 1.0)),
    st.builds(lrkit.OneCycle, peak=rate, total_steps=st.floats(100, 1e5), pct_start=st.floats(0.05, 0.45),
              three_phase=st.booleans(), anneal=st.sampled_from(["cos", "linear"])),
    st.builds(lrkit.NoisyLinearCosine, start=rate, steps=steps, seed=st.integers(0, 10**6)),
)


@settings(max_examples=150, deadline=None)
@given(anything, st.sampled_from(["linear", "cosine", "exponential"]), st.floats(1, 5000), st.booleans())
def test_warmed_schedules_are_valid_and_continuous_at_hand_over(s, shape, w, prefix):
    if shape == "exponential" and s(0 if prefix else w) <= 0:
        # a geometric ramp cannot reach 0: refused with a clear error (checked, not skipped)
        with pytest.raises(ValueError, match="must be > 0 where the warmup hands over"):
            lrkit.warmup(s, w, start=1e-7, shape=shape, prefix=prefix)
        return
    ws = lrkit.warmup(s, w, start=1e-7, shape=shape, prefix=prefix)
    _valid(ws)
    target = ws.target
    assert math.isclose(ws(w), target, rel_tol=1e-9)
    assert abs(ws(w - 1e-6 * w) - target) <= 1e-4 * target + 1e-12


@settings(max_examples=100, deadline=None)
@given(st.builds(lrkit.Cosine, start=rate, steps=steps), st.floats(0, 1e5))
def test_cosine_is_continuous(s, t):
    eps = 1e-6 * max(s.steps, 1.0)
    assert abs(s(t + eps) - s(t)) <= 1e-5 * s.start


@settings(max_examples=100, deadline=None)
@given(st.builds(lrkit.WarmupStableDecay, peak=rate, total=st.just(1000.0), decay_steps=st.floats(1, 500),
                 warmup_steps=st.floats(1, 400), decay_shape=st.sampled_from(["linear", "cosine", "1-sqrt"])))
def test_wsd_is_continuous_at_phase_changes(s):
    for b in s.phase_boundaries():
        assert abs(s(b) - s(b - 1e-9 * b)) <= 1e-5 * s.peak


# -- invalid arguments are rejected at construction, naming the argument ---------------------------------

INVALID = [
    (lambda: lrkit.Cosine(0.1, 0), "steps"),
    (lambda: lrkit.Cosine(-0.1, 10), "start"),
    (lambda: lrkit.Cosine(0.1, 10, alpha=1.5), "alpha"),
    (lambda: lrkit.Cosine(0.1, float("nan")), "steps"),
    (lambda: lrkit.Cosine("0.1", 10), "start"),
    (lambda: lrkit.warmup(lrkit.Cosine(0.1, 10), "5 epochs"), "Budget(...).steps"),
    (lambda: lrkit.Exponential(0.1, 0.9, 0), "decay_steps"),
    (lambda: lrkit.Exponential(0.1, -0.9, 10), "rate"),
    (lambda: lrkit.Exponential(0.1, 0.9, 10, staircase="yes"), "staircase"),
    (lambda: lrkit.Polynomial(0.1, 10, power=0), "power"),
    (lambda: lrkit.Piecewise((1.0, 0.5), (10, 20)), "values"),
    (lambda: lrkit.Piecewise((1.0, 0.5, 0.1), (20, 10)), "boundaries"),
    (lambda: lrkit.Piecewise((1.0, 0.5), (10,), switch="before"), "switch"),
    (lambda: lrkit.StepDecay(0.1, 0.5, 0), "step_size"),
    (lambda: lrkit.MultiStep(0.1, [-1], 0.1), "milestones"),
    (lambda: lrkit.CosineRestarts(0.1, 10, period_mult=0.5), "period_mult"),
    (lambda: lrkit.Cyclic(0.1, 1.0, 10, mode="sine"), "mode"),
    (lambda: lrkit.OneCycle(0.1, 100, pct_start=1.0), "pct_start"),
    (lambda: lrkit.OneCycle(0.1, 2, pct_start=0.3), "total_steps"),
    (lambda: lrkit.OneCycle(0.1, 100, anneal="cosine"), "anneal"),
    (lambda: lrkit.WarmupStableDecay(0.1, 100, 80, warmup_steps=30), "warmup_steps"),
    (lambda: lrkit.WarmupStableDecay(0.1, 100, 20, decay_shape="exponential"), "end"),
    (lambda: lrkit.Tanh(0.1, 10, lower=3, upper=-7), "lower"),
    (lambda: lrkit.GeometricStep(0.1, 1), "total"),
    (lambda: lrkit.NoisyLinearCosine(0.1, 10, seed=-1), "seed"),
    (lambda: lrkit.warmup(lrkit.Cosine(0.1, 10), -5), "steps"),
    (lambda: lrkit.warmup(lrkit.Cosine(0.1, 10), 5, shape="exponential"), "start"),
    (lambda: lrkit.warmup(0.1, 5), "schedule"),
    (lambda: lrkit.sequence([lrkit.Constant(1.0)], [10]), "phases"),
    (lambda: lrkit.sequence([lrkit.Constant(1.0), lrkit.Constant(0.5)], [0]), "boundaries"),
    (lambda: lrkit.Clip(lrkit.Constant(1.0), 0.5, 0.1), "maximum"),
    (lambda: lrkit.Constant(1.0) * -2, "factor"),
    (lambda: lrkit.Constant(1.0) / 0, "divisor"),
    (lambda: lrkit.time_based(0.1, -1), "decay"),
    (lambda: lrkit.resnet_step_decay(256, 256, 1000, [30], [1.0]), "decay_rates"),
]


@pytest.mark.parametrize("make,arg", INVALID, ids=[a for _, a in INVALID])
def test_invalid_arguments_name_themselves(make, arg):
    with pytest.raises((ValueError, TypeError)) as err:
        make()
    msg = str(err.value)
    assert arg in msg
    assert "got" in msg


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e6, 0.0, exclude_max=True))
def test_negative_step_counts_and_sizes_rejected(x):
    with pytest.raises(ValueError, match="steps must be > 0"):
        lrkit.Cosine(0.1, x)
    with pytest.raises(ValueError, match="start must be >= 0"):
        lrkit.Linear(x, 0.1, 10)
