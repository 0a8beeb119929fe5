"""Schedule formulas the catalogue's oracles did not pin down (found by mutation testing,
docs/testing.md): each checked against a plain-Python oracle written from the peer's published
definition, or against the peer itself, or against an exact value worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrkit
from lrkit._ops import PY
from lrkit.schedules import _noise
from tests import oracles as o

STEPS = [0, 1, 2, 3, 5, 7, 9, 10, 11, 15, 19, 20, 21, 29, 30, 31, 50, 69, 70, 71, 100, 149, 150, 151, 300]


def tf_cosine_decay_restarts(t, lr, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """tf.compat.v1.train.cosine_decay_restarts, from its documented algorithm."""
    frac = t / first
    if t_mul == 1.0:
        i = math.floor(frac)
        frac -= i
    else:
        i = math.floor(math.log(1.0 - frac * (1.0 - t_mul)) / math.log(t_mul))
        done = (1.0 - t_mul ** i) / (1.0 - t_mul)
        frac = (frac - done) / t_mul ** i
    cosine = 0.5 * m_mul ** i * (1.0 + math.cos(math.pi * frac))
    return lr * ((1.0 - alpha) * cosine + alpha)


@pytest.mark.parametrize("t_mul,m_mul,alpha", [(1.0, 0.9, 0.1), (2.0, 0.8, 0.05), (1.5, 1.0, 0.2)])
def test_cosine_restarts_tensorflow_form_with_alpha(t_mul, m_mul, alpha):
    s = lrkit.CosineRestarts(start=0.4, period=10, period_mult=t_mul, peak_decay=m_mul, alpha=alpha)
    # away from the restart boundaries (where TF's float log may land one cycle off)
    steps = [t + 0.5 for t in STEPS]
    want = [tf_cosine_decay_restarts(t, 0.4, 10, t_mul, m_mul, alpha) for t in steps]
    np.testing.assert_allclose([s(t) for t in steps], want, rtol=1e-12)
    np.testing.assert_allclose(s(np.asarray(steps)), want, rtol=1e-12)
    # the floor alpha * start stays, and every restart peaks at start * m_mul ** i above it
    assert s(0) == pytest.approx(0.4)
    assert s(10) == pytest.approx(0.4 * ((1 - alpha) * m_mul + alpha), rel=1e-12)


def test_noisy_linear_cosine_formula():
    # tf.compat.v1.train.noisy_linear_cosine_decay: a * ((alpha + linear + eps_t) * cosine + beta),
    # eps_t ~ N(0, initial_variance / (1 + t) ** variance_decay); lrkit's eps_t uses its own
    # deterministic normal z_t (lrkit.schedules._noise), floored at 0.
    s = lrkit.NoisyLinearCosine(start=0.2, steps=100, initial_variance=0.3, variance_decay=0.7,
                                num_periods=1.5, alpha=0.05, beta=0.01, seed=4)
    for t in STEPS:
        tau = min(t, 100)
        linear = (100 - tau) / 100
        cosine = 0.5 * (1 + math.cos(math.pi * 2 * 1.5 * tau / 100))
        std = math.sqrt(0.3 / (1 + t) ** 0.7)
        z = _noise.normal(float(t), PY, 4)
        want = 0.2 * max((0.05 + linear + std * z) * cosine + 0.01, 0.0)
        assert s(t) == pytest.approx(want, rel=1e-12, abs=1e-15), t


def test_one_cycle_three_phase_momentum_is_torchs():
    import torch

    total, peak = 50, 0.5
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=peak, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peak, total_steps=total, three_phase=True,
                                                base_momentum=0.8, max_momentum=0.95)
    lrs, moms = [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    s = lrkit.OneCycle(peak=peak, total_steps=total, three_phase=True, base_momentum=0.8, max_momentum=0.95)
    np.testing.assert_allclose([s(t) for t in range(total)], lrs, rtol=1e-12)
    np.testing.assert_allclose([s.momentum(t) for t in range(total)], moms, rtol=1e-12)
    # the third phase keeps the momentum at its maximum
    assert s.momentum(total - 1) == pytest.approx(0.95, rel=1e-12)


def test_exponential_end_is_a_floor_when_decaying_and_a_cap_when_growing():
    # optax.exponential_decay's end_value: clipped with max when decay_rate < 1, min otherwise
    grow = lrkit.Exponential(start=0.1, rate=1.5, decay_steps=1, end=1.0)
    shrink = lrkit.Exponential(start=0.1, rate=0.5, decay_steps=1, end=0.01)
    flat = lrkit.Exponential(start=0.1, rate=1.0, decay_steps=1, end=0.05)
    for t in (0, 1, 3, 5, 6, 7, 20):
        assert grow(t) == pytest.approx(o.exponential(t, 0.1, 1.5, 1, end=1.0), rel=1e-12)
        assert shrink(t) == pytest.approx(o.exponential(t, 0.1, 0.5, 1, end=0.01), rel=1e-12)
        # rate 1 is not a decay: end caps it, as optax clips every value (init_value included)
        # with min unless decay_rate < 1
        assert flat(t) == 0.05
    assert grow(20) == 1.0 and shrink(20) == 0.01


def test_wsd_stable_phase_is_exactly_the_peak():
    # values chosen so that 0.03 + (0.3 - 0.03) * 1 is not 0.3 in floating point: the stable
    # phase (W <= t < T - D) must be the peak itself, not a warm-up or decay formula at its end
    for shape in ("linear", "cosine", "1-sqrt", "exponential"):
        s = lrkit.WarmupStableDecay(peak=0.3, total=100, decay_steps=20, warmup_steps=10, start=0.03,
                                    end=0.03, decay_shape=shape)
        for t in (10, 10.0, 11, 50, 79, 79.5):
            assert s(t) == 0.3, (shape, t)
        assert list(s(np.array([10.0, 50.0, 79.0]))) == [0.3, 0.3, 0.3]
        assert s(0) == 0.03 and s(5) == pytest.approx(0.165, rel=1e-12)


def test_wsd_warmup_of_one_step():
    s = lrkit.WarmupStableDecay(peak=0.3, total=100, decay_steps=20, warmup_steps=1, start=0.0)
    assert s(0) == 0.0 and s(0.5) == pytest.approx(0.15) and s(1) == 0.3
    s = lrkit.WarmupStableDecay(peak=0.3, total=100, decay_steps=20, warmup_steps=0.5, start=0.1)
    assert s(0) == 0.1 and s(0.25) == pytest.approx(0.2) and s(0.5) == 0.3


def test_multistep_switch_after_keeps_the_value_at_the_milestone():
    # switch="after": the value at a milestone step is still the previous one (TF's boundaries);
    # "at" (torch's MultiStepLR): it has already changed
    after = lrkit.MultiStep(start=1.0, milestones=(10, 20), factor=0.5, switch="after")
    at = lrkit.MultiStep(start=1.0, milestones=(10, 20), factor=0.5)
    assert [after(t) for t in (9, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert [at(t) for t in (9, 10, 11, 20, 21)] == [1.0, 0.5, 0.5, 0.25, 0.25]
    assert list(after(np.array([10.0, 20.0, 21.0]))) == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("mode,gamma", [("triangular", 1.0), ("exp_range", 1.5)])
def test_cyclic_with_equal_ends_is_flat(mode, gamma):
    # base == peak (and momentum ends equal): a flat curve on every path, even where exp_range
    # with gamma > 1 has grown the triangle to inf (0 * inf would be NaN)
    s = lrkit.Cyclic(base=0.1, peak=0.1, step_size_up=5, mode=mode, gamma=gamma, base_momentum=0.9,
                     max_momentum=0.9)
    t = np.array([0.0, 2.5, 5.0, 7.0, 1e4])
    assert list(s(t)) == [0.1] * 5 and [s(x) for x in t] == [0.1] * 5
    assert list(s.momentum(t)) == [0.9] * 5 and s.momentum(7) == 0.9


@pytest.mark.parametrize("make", [
    lambda: lrkit.Exponential(0.0, rate=1.5, decay_steps=1.0),
    lambda: lrkit.StepDecay(0.0, factor=3.0, step_size=2.0),
    lambda: lrkit.GeometricStep(0.0, total=64, factor=0.5),
    lambda: lrkit.MultiStep(0.0, milestones=(1, 2, 3), factor=1e300),
], ids=["exponential", "step", "geometric_step", "multistep"])
def test_a_zero_start_is_zero_on_arrays_and_tensors_where_the_factor_overflows(make):
    # 0 * inf is NaN; a zero start must stay exactly 0 however far the growing factor goes,
    # on every array kind, with the array's shape (written by hand: 0 everywhere)
    s = make()
    t = np.array([0.0, 1.0, 5.0, 3000.0])
    out = s(t)
    assert isinstance(out, np.ndarray) and out.shape == (4,)
    np.testing.assert_array_equal(out, np.zeros(4))
    torch = pytest.importorskip("torch")
    tt = torch.tensor([0.0, 1.0, 5.0, 3000.0], dtype=torch.float64)
    got = s(tt)
    assert isinstance(got, torch.Tensor) and tuple(got.shape) == (4,)
    assert not got.any()
