"""Batch-size scaling rules (lrkit.scale_lr) and batch-size schedules (lrkit.batch_schedule)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit


def test_scale_rules():
    assert lrkit.scale_lr(0.1, 1024) == pytest.approx(0.4, rel=1e-15)
    assert lrkit.scale_lr(0.1, 8192, reference_batch=256) == pytest.approx(3.2, rel=1e-15)
    assert lrkit.scale_lr(1e-3, 1024, rule="sqrt") == pytest.approx(2e-3, rel=1e-15)
    assert lrkit.scale_lr(1e-3, 64, rule="sqrt") == pytest.approx(5e-4, rel=1e-15)
    # a schedule is scaled value for value
    cos = lrkit.Cosine(0.1, 100)
    s = lrkit.scale_lr(cos, 512)
    t = np.arange(0, 120, dtype=np.float64)
    np.testing.assert_allclose(s(t), 2 * cos(t), rtol=1e-15)


def test_goyal_gradual_warmup_in_one_call():
    # Goyal et al.: from eta to k*eta linearly over 5 epochs, then the schedule (scaled)
    spe, k, eta = 20, 32, 0.1
    base = lrkit.MultiStep(eta, [30 * spe, 60 * spe, 80 * spe], 0.1)
    s = lrkit.scale_lr(base, 8192, warmup=5 * spe)
    w = 5 * spe
    for t in (0, 1, 37, w - 1):
        assert s(t) == pytest.approx(eta * (1 + (k - 1) * t / w), rel=1e-12)
    for t in (w, w + 1, 30 * spe - 1):
        assert s(t) == pytest.approx(k * eta, rel=1e-12)
    assert s(30 * spe) == pytest.approx(k * eta * 0.1, rel=1e-12)
    assert s(80 * spe + 5) == pytest.approx(k * eta * 1e-3, rel=1e-12)
    # a number and a warmup give a schedule too
    c = lrkit.scale_lr(0.1, 1024, warmup=10)
    assert c(0) == pytest.approx(0.1) and c(5) == pytest.approx(0.25) and c(10) == pytest.approx(0.4)


def test_scale_lr_from_config_with_units_and_round_trip():
    cfg = {"type": "scale_lr", "base_lr": {"type": "cosine", "start": 0.1, "steps": "90 epochs"},
           "batch_size": 1024, "rule": "linear", "warmup": "5 epochs"}
    s = lrkit.from_config(cfg, budget={"steps_per_epoch": 10})
    direct = lrkit.scale_lr(lrkit.Cosine(0.1, 900), 1024, warmup=50)
    t = np.arange(0, 1000, dtype=np.float64)
    np.testing.assert_array_equal(s(t), direct(t))
    np.testing.assert_array_equal(lrkit.from_config(s.to_config())(t), s(t))
    plain = lrkit.from_config({"type": "scale_lr", "base_lr": 0.1, "batch_size": 512})
    assert plain(7) == pytest.approx(0.2)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size must be > 0, got 0"),
    ({"batch_size": 256, "reference_batch": -1}, "reference_batch must be > 0"),
    ({"batch_size": 256, "rule": "cubic"}, "rule must be one of 'linear', 'sqrt', got 'cubic'"),
    ({"batch_size": 256, "warmup": -5}, "warmup must be >= 0"),
    ({"batch_size": float("inf")}, "batch_size must be .*finite"),
])
def test_scale_lr_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lrkit.scale_lr(0.1, **kwargs)
    with pytest.raises(TypeError, match="base_lr must be a number"):
        lrkit.scale_lr("0.1", 256)


def test_batch_schedule_grows_the_batch_by_the_rate_drop_then_decays_at_the_cap():
    rate = lrkit.warmup(lrkit.MultiStep(0.1, [30, 60, 80], 0.2), 5)  # peak 0.1 from step 5
    bs, lr = lrkit.batch_schedule(rate, batch_size=128, max_batch_size=2048, multiple_of=8)
    t = np.arange(0, 100, dtype=np.float64)
    b, r, y = bs(t), rate(t), lr(t)
    assert np.all(b[:5] == 128) and np.allclose(y[:5], r[:5])          # warmup: rate at B0
    assert np.all(b[5:35] == 128) and np.allclose(y[5:35], 0.1)
    assert np.all(b[35:65] == 640) and np.allclose(y[35:65], 0.1)      # 0.2x -> 5x batch
    assert np.all(b[65:] == 2048)                                      # capped (25x > 16x)
    np.testing.assert_allclose(y[65:85], 0.1 * 0.04 * 16, rtol=1e-12)  # the remaining factor
    np.testing.assert_allclose(y[85:], 0.1 * 0.008 * 16, rtol=1e-12)
    # the noise scale eta / B is that of the rate-decay run at every step
    np.testing.assert_allclose(y / b, r / 128, rtol=1e-12)
    assert np.all(b % 8 == 0)
    # both are lrkit schedules: round-trip through configs, evaluate in torch
    for s in (bs, lr):
        np.testing.assert_array_equal(lrkit.from_config(s.to_config())(t), s(t))
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(bs(torch.tensor(t)).numpy(), b)


def test_batch_schedule_rounds_to_multiple_and_rate_carries_the_rest():
    rate = lrkit.Cosine(0.1, 1000)
    bs, lr = lrkit.batch_schedule(rate, batch_size=64, max_batch_size=1024, multiple_of=32)
    t = np.arange(0, 1001, dtype=np.float64)
    b, y, r = bs(t), lr(t), rate(t)
    assert np.all(np.diff(b) >= 0) and b[0] == 64 and b[-1] == 1024 and np.all(b % 32 == 0)
    assert np.all(y <= 0.1 + 1e-15)  # rounding down never lifts the rate above the peak
    np.testing.assert_allclose(y * 64, r * b, rtol=1e-12)
    assert np.all(np.isfinite(y)) and y[-1] == 0.0  # a rate reaching 0 is capped, no division


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 256, "max_batch_size": 128}, r"max_batch_size must be >= batch_size \(256\), got 128"),
    ({"batch_size": 100, "max_batch_size": 1000, "multiple_of": 8},
     r"batch_size must be a multiple of multiple_of \(8\), got 100"),
    ({"batch_size": 0, "max_batch_size": 10}, "batch_size must be >= 1, got 0"),
])
def test_batch_schedule_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lrkit.batch_schedule(lrkit.Exponential(0.1, 100, 0.5), **kwargs)
    with pytest.raises(TypeError, match="rate must be an lrkit Schedule"):
        lrkit.batch_schedule(0.1, batch_size=8, max_batch_size=16)
    with pytest.raises(ValueError, match="positive peak"):
        lrkit.batch_schedule(lrkit.Constant(0.0), batch_size=8, max_batch_size=16)


def test_scale_factor_is_the_rule():
    from lrkit.scaling import scale_factor

    assert scale_factor(2048, reference_batch=256, rule="sqrt") == pytest.approx(math.sqrt(8))


@settings(max_examples=40, deadline=None)
@given(factor=st.floats(0.05, 0.9), b0_units=st.integers(1, 16), m=st.sampled_from([1, 2, 8]),
       cap_mult=st.integers(1, 64), warm=st.integers(0, 20))
def test_batch_schedule_properties(factor, b0_units, m, cap_mult, warm):
    b0 = b0_units * m
    cap = b0 * cap_mult
    rate = lrkit.MultiStep(0.1, [50, 100, 150], factor)
    if warm:
        rate = lrkit.warmup(rate, warm)
    bs, lr = lrkit.batch_schedule(rate, batch_size=b0, max_batch_size=cap, multiple_of=m)
    t = np.arange(0, 220, dtype=np.float64)
    b, y, r = bs(t), lr(t), rate(t)
    assert np.all((b >= b0) & (b <= cap)) and np.all(b % m == 0)
    assert np.all(np.diff(b) >= 0)                       # a decaying rate only grows the batch
    np.testing.assert_allclose(y * b0, r * b, rtol=1e-12)  # the noise scale eta / B is kept
    assert np.all(y <= 0.1 * (1 + 1e-12))                 # never above the peak
