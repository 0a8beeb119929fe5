"""lrkit.compat.deepspeed where the golden cases do not reach: phase boundaries (where DeepSpeed
switches formula, found by stepping DeepSpeed itself), error messages that name the class and
the argument, arguments normalised to plain floats (JSON-safe configs), and from_config's
optimizer, lr and params handling."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import lrkit
from lrkit.compat import deepspeed as ds

lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
torch = pytest.importorskip("torch")


def _optimizer(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def _deepspeed_rates(name, n, lr=0.1, **kw):
    """The lr DeepSpeed's scheduler sets after t = 0..n-1 calls of step()."""
    opt = _optimizer(lr)
    sched = getattr(lr_schedules, name)(opt, **kw)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        sched.step()
    return out


# -- phase boundaries ------------------------------------------------------------------------------
@pytest.mark.parametrize("steps", [1, 2, 5, 10])
def test_warmup_lr_boundary_is_the_first_step_at_the_top(steps):
    kw = dict(warmup_min_lr=0.01, warmup_max_lr=0.1, warmup_num_steps=steps, warmup_type="linear")
    ref = _deepspeed_rates("WarmupLR", 20, **kw)
    first_top = next(t for t, v in enumerate(ref) if v == 0.1)
    assert ds.WarmupLR(**kw).phase_boundaries() == (float(first_top),)
    assert first_top == max(2, steps) + 1
    np.testing.assert_allclose(ds.WarmupLR(**kw)(np.arange(20.0)), ref, rtol=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 6])
def test_warmup_cosine_boundary_is_where_the_cosine_takes_over(steps):
    # DeepSpeed warms up while last_batch_iteration (t - 1) < max(2, warmup_num_steps): the
    # cosine branch starts at t = W + 1, where the rate first falls
    kw = dict(total_num_steps=30, warmup_num_steps=steps, warmup_type="linear", warmup_min_ratio=0.2)
    ref = _deepspeed_rates("WarmupCosineLR", 30, lr=0.5, **kw)
    w = max(2, steps)
    assert ds.WarmupCosineLR(lr=0.5, **kw).phase_boundaries() == (float(w + 1),)
    assert ref[w] < ref[w + 1] > ref[w + 2]  # the last warmup value is below the first cosine one
    np.testing.assert_allclose(ds.WarmupCosineLR(lr=0.5, **kw)(np.arange(30.0)), ref, rtol=1e-12)


# -- messages --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, msg", [
    (lambda: ds.WarmupCosineLR(total_num_steps=10, warmup_num_steps=0), ValueError,
     "WarmupCosineLR: warmup_num_steps must be a positive integer, got 0"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, warmup_min_ratio=-0.1), ValueError,
     "WarmupCosineLR: warmup_min_ratio must be >= 0, got -0.1"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, warmup_min_ratio=[0.1, 0.2]), TypeError,
     "WarmupCosineLR: warmup_min_ratio must be one number (build one schedule per parameter group), "
     "got [0.1, 0.2]"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, cos_min_ratio=-0.5), ValueError,
     "WarmupCosineLR: cos_min_ratio must be >= 0, got -0.5"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, cos_min_ratio=(0.1,)), TypeError,
     "WarmupCosineLR: cos_min_ratio must be one number"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, warmup_type="cubic"), ValueError,
     "WarmupCosineLR: warmup_type must be one of 'log', 'linear', got 'cubic'"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, last_batch_iteration=4), ValueError,
     "WarmupCosineLR: last_batch_iteration must be -1 (to resume, evaluate the schedule at the step "
     "instead), got 4"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, lr=[0.1, 0.2]), TypeError,
     "WarmupCosineLR: lr must be one number (build one schedule per parameter group), got [0.1, 0.2]"),
    (lambda: ds.WarmupCosineLR(total_num_steps=10, relative="yes"), TypeError,
     "WarmupCosineLR: relative must be True or False, got 'yes'"),
    (lambda: ds.LRRangeTest(lr_range_test_min_lr=-1.0), ValueError,
     "LRRangeTest: lr_range_test_min_lr must be >= 0, got -1.0"),
    (lambda: ds.LRRangeTest(lr_range_test_min_lr=[0.1]), TypeError,
     "LRRangeTest: lr_range_test_min_lr must be one number"),
    (lambda: ds.LRRangeTest(lr_range_test_step_size=0), ValueError,
     "LRRangeTest: lr_range_test_step_size must be a positive integer, got 0"),
    (lambda: ds.LRRangeTest(lr_range_test_step_rate=-2.0), ValueError,
     "LRRangeTest: lr_range_test_step_rate must be >= 0, got -2.0"),
    (lambda: ds.LRRangeTest(lr_range_test_staircase=1), TypeError,
     "LRRangeTest: lr_range_test_staircase must be True or False, got 1"),
    (lambda: ds.LRRangeTest(last_batch_iteration=0), ValueError,
     "LRRangeTest: last_batch_iteration must be -1"),
])
def test_errors_name_the_class_and_the_argument(call, exc, msg):
    with pytest.raises(exc, match="^" + re.escape(msg)):
        call()


# -- arguments are kept as plain floats: configs stay JSON-safe --------------------------------------
def test_numpy_scalars_become_floats():
    cos = ds.WarmupCosineLR(total_num_steps=20, warmup_min_ratio=np.float32(0.25),
                            cos_min_ratio=np.float32(0.5), lr=0.1)
    rng = ds.LRRangeTest(lr_range_test_min_lr=np.float32(0.5), lr_range_test_step_rate=np.float32(2.0))
    for s, names in ((cos, ("warmup_min_ratio", "cos_min_ratio")),
                     (rng, ("lr_range_test_min_lr", "lr_range_test_step_rate"))):
        for name in names:
            assert type(getattr(s, name)) is float, name
        cfg = json.loads(json.dumps(s.to_config()))
        assert lrkit.from_config(cfg) == s
    assert (cos.warmup_min_ratio, cos.cos_min_ratio) == (0.25, 0.5)
    assert rng(2000) == pytest.approx(0.5 * (1 + 2.0))


def test_warmup_cosine_without_a_rate_is_relative():
    s = ds.WarmupCosineLR(total_num_steps=20, warmup_num_steps=4)
    assert s.relative is True and s.lr == 1.0
    ref = _deepspeed_rates("WarmupCosineLR", 25, lr=1.0, total_num_steps=20, warmup_num_steps=4)
    np.testing.assert_allclose(s(np.arange(25.0)), ref, rtol=1e-12)


# -- from_config -----------------------------------------------------------------------------------
o = "deepspeed.from_config"


def test_from_config_with_the_optimizer_follows_its_rate():
    opt = _optimizer(0.05)
    cfg = {"type": "WarmupCosineLR", "params": {"total_num_steps": 20, "warmup_num_steps": 5}}
    s = ds.from_config(cfg, optimizer=opt)
    assert s.relative is True and s.lr == 0.05
    ref = _deepspeed_rates("WarmupCosineLR", 25, lr=0.05, total_num_steps=20, warmup_num_steps=5)
    np.testing.assert_allclose(s(np.arange(25.0)), ref, rtol=1e-12)
    with pytest.raises(TypeError, match=f"^{re.escape(o)}: give the optimizer or lr=, not both"):
        ds.from_config(cfg, optimizer=opt, lr=0.1)


def test_from_config_keeps_a_rate_written_in_the_params():
    cfg = {"type": "WarmupCosineLR", "params": {"total_num_steps": 20, "lr": 0.5}}
    assert ds.from_config(cfg, lr=0.2).lr == 0.5
    assert ds.from_config({"type": "WarmupCosineLR", "params": {"total_num_steps": 20}}, lr=0.2).lr == 0.2


@pytest.mark.parametrize("cfg, exc, msg", [
    ([("type", "WarmupLR")], TypeError,
     f"{o}: scheduler must be the 'scheduler' mapping of a DeepSpeed config, got [('type', 'WarmupLR')]"),
    ({"type": "Cosine"}, ValueError, f"{o}: type must be one of 'WarmupLR', 'WarmupDecayLR', "
     "'WarmupCosineLR', 'OneCycle', 'LRRangeTest', got 'Cosine'"),
    ({"type": ["WarmupLR"]}, ValueError, f"{o}: type must be one of 'WarmupLR', 'WarmupDecayLR', "
     "'WarmupCosineLR', 'OneCycle', 'LRRangeTest', got ['WarmupLR']"),
    ({"type": "WarmupLR", "params": [("warmup_max_lr", 0.1)]}, TypeError,
     f"{o}: params must be a mapping, got [('warmup_max_lr', 0.1)]"),
    ({"type": "WarmupLR", "params": {"warmup_max": 0.1, "lr_max": 1}}, ValueError,
     f"{o}: WarmupLR has no parameter 'lr_max', 'warmup_max'; valid: last_batch_iteration, relative, "
     "warmup_max_lr, warmup_min_lr, warmup_num_steps, warmup_type"),
])
def test_from_config_errors(cfg, exc, msg):
    with pytest.raises(exc, match=f"^{re.escape(msg)}$"):
        ds.from_config(cfg)


@pytest.mark.parametrize("name, kw", [
    ("WarmupLR", dict(warmup_min_lr=0.01, warmup_max_lr=0.1, warmup_num_steps=5)),
    ("WarmupDecayLR", dict(warmup_min_lr=0.0, warmup_max_lr=0.1, warmup_num_steps=4, total_num_steps=12)),
])
def test_tensor_evaluation_after_the_warmup(name, kw):
    ref = _deepspeed_rates(name, 16, **kw)
    s = getattr(ds, name)(**kw)
    out = s(torch.arange(16, dtype=torch.float64))
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-18)
    arr = s(np.arange(16.0))
    assert arr.dtype == np.float64 and arr.shape == (16,)


# -- the warmup schedules and OneCycle: messages and values off the golden grid -------------------------
@pytest.mark.parametrize("call, exc, msg", [
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, warmup_num_steps=0), ValueError,
     "WarmupLR: warmup_num_steps must be a positive integer, got 0"),
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, warmup_num_steps=True), ValueError,
     "WarmupLR: warmup_num_steps must be a positive integer, got True"),
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, warmup_num_steps=5.0), ValueError,
     "WarmupLR: warmup_num_steps must be a positive integer, got 5.0"),
    (lambda: ds.WarmupLR(warmup_max_lr=0.1, warmup_num_steps=2**1100), ValueError,
     "WarmupLR: warmup_num_steps must be an integer within the float range"),
    (lambda: ds.WarmupLR(warmup_min_lr=-0.1), ValueError, "WarmupLR: warmup_min_lr must be >= 0, got -0.1"),
    (lambda: ds.WarmupLR(warmup_min_lr=[0.0]), TypeError,
     "WarmupLR: warmup_min_lr must be one number (build one schedule per parameter group), got [0.0]"),
    (lambda: ds.WarmupLR(lr=-1), ValueError, "WarmupLR: lr must be >= 0, got -1"),
    (lambda: ds.WarmupLR(lr=(0.1,)), TypeError, "WarmupLR: lr must be one number"),
    (lambda: ds.WarmupLR(relative=1), TypeError, "WarmupLR: relative must be True or False, got 1"),
    (lambda: ds.WarmupLR(warmup_max_lr=-0.5), ValueError, "WarmupLR: warmup_max_lr must be >= 0, got -0.5"),
    (lambda: ds.WarmupLR(warmup_max_lr=[0.1, 0.2]), TypeError, "WarmupLR: warmup_max_lr must be one number"),
    (lambda: ds.WarmupLR(warmup_type="exp"), ValueError,
     "WarmupLR: warmup_type must be one of 'log', 'linear', got 'exp'"),
    (lambda: ds.WarmupLR(last_batch_iteration=True), ValueError,
     "WarmupLR: last_batch_iteration must be -1 (to resume, evaluate the schedule at the step instead), "
     "got True"),
    (lambda: ds.WarmupDecayLR(warmup_max_lr=0.1), TypeError,
     "WarmupDecayLR: total_num_steps is required (the step at which the decay ends)"),
    (lambda: ds.WarmupDecayLR(total_num_steps=-1), ValueError,
     "WarmupDecayLR: total_num_steps must be >= 0, got -1"),
    (lambda: ds.WarmupDecayLR(total_num_steps=10, warmup_num_steps=-2), ValueError,
     "WarmupDecayLR: warmup_num_steps must be a positive integer, got -2"),
    (lambda: ds.WarmupDecayLR(total_num_steps=10, warmup_type="cos"), ValueError,
     "WarmupDecayLR: warmup_type must be one of 'log', 'linear', got 'cos'"),
    (lambda: ds.WarmupCosineLR(), TypeError, "WarmupCosineLR: total_num_steps is required"),
    (lambda: ds.WarmupCosineLR(total_num_steps="10"), TypeError,
     "WarmupCosineLR: total_num_steps must be a number, got '10' (str)"),
    (lambda: ds.OneCycle(-1, 0.1), ValueError, "OneCycle: cycle_min_lr must be >= 0, got -1"),
    (lambda: ds.OneCycle([0.01], 0.1), TypeError,
     "OneCycle: cycle_min_lr must be one number (build one schedule per parameter group), got [0.01]"),
    (lambda: ds.OneCycle(0.01, -0.1), ValueError, "OneCycle: cycle_max_lr must be >= 0, got -0.1"),
    (lambda: ds.OneCycle(0.01, (0.1,)), TypeError, "OneCycle: cycle_max_lr must be one number"),
    (lambda: ds.OneCycle(0.01, 0.1, decay_lr_rate=-1), ValueError,
     "OneCycle: decay_lr_rate must be >= 0, got -1"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_first_step_size=0), ValueError,
     "OneCycle: cycle_first_step_size must be > 0, got 0"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_second_step_size=-1), ValueError,
     "OneCycle: cycle_second_step_size must be >= 0, got -1"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_first_stair_count=-1), ValueError,
     "OneCycle: cycle_first_stair_count must be >= 0, got -1"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_first_stair_count=1.5), TypeError,
     "OneCycle: cycle_first_stair_count must be an integer, got 1.5 (float)"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_second_stair_count=-2), ValueError,
     "OneCycle: cycle_second_stair_count must be >= 0, got -2"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_second_stair_count=0.5), TypeError,
     "OneCycle: cycle_second_stair_count must be an integer, got 0.5 (float)"),
    (lambda: ds.OneCycle(0.01, 0.1, decay_step_size=-3), ValueError,
     "OneCycle: decay_step_size must be >= 0, got -3"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_momentum="no"), TypeError,
     "OneCycle: cycle_momentum must be True or False, got 'no'"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_min_mom=-0.8), ValueError,
     "OneCycle: cycle_min_mom must be >= 0, got -0.8"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_min_mom=[0.8]), TypeError,
     "OneCycle: cycle_min_mom must be one number"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_max_mom=-0.9), ValueError,
     "OneCycle: cycle_max_mom must be >= 0, got -0.9"),
    (lambda: ds.OneCycle(0.01, 0.1, cycle_max_mom=[0.9]), TypeError,
     "OneCycle: cycle_max_mom must be one number"),
    (lambda: ds.OneCycle(0.01, 0.1, decay_mom_rate=-0.1), ValueError,
     "OneCycle: decay_mom_rate must be >= 0, got -0.1"),
    (lambda: ds.OneCycle(0.01, 0.1, last_batch_iteration=10), ValueError,
     "OneCycle: last_batch_iteration must be -1"),
])
def test_warmup_and_one_cycle_errors_name_the_class_and_the_argument(call, exc, msg):
    with pytest.raises(exc, match="^" + re.escape(msg)):
        call()


def test_one_cycle_numpy_arguments_become_floats():
    kw = dict(cycle_min_lr=np.float32(0.25), cycle_max_lr=np.float32(0.5), decay_lr_rate=np.float32(0.5),
              cycle_first_step_size=np.int64(4), cycle_second_step_size=np.int64(6),
              decay_step_size=np.int64(2), cycle_min_mom=np.float32(0.75), cycle_max_mom=np.float32(0.875),
              decay_mom_rate=np.float32(0.125))
    s = ds.OneCycle(**kw)
    for name in kw:
        assert type(getattr(s, name)) is float, name
    w = ds.WarmupLR(warmup_min_lr=np.float32(0.25), warmup_max_lr=np.float32(0.5), lr=np.float32(1.0))
    assert type(w.warmup_min_lr) is float and type(w.warmup_max_lr) is float and type(w.lr) is float
    for x in (s, w):
        assert lrkit.from_config(json.loads(json.dumps(x.to_config()))) == x


def _one_cycle_reference(n, **kw):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = lr_schedules.OneCycle(opt, **kw)
    lrs, moms = [], []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["betas"][0])
        sched.step()
    return lrs, moms


@pytest.mark.parametrize("kw", [
    dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=5),
    dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=6, cycle_second_step_size=3,
         decay_lr_rate=0.5, decay_step_size=2, decay_mom_rate=0.05),
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=8, cycle_second_step_size=4,
         cycle_first_stair_count=4, decay_lr_rate=1.0, decay_step_size=3),
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=6, cycle_second_step_size=9,
         cycle_first_stair_count=0, cycle_second_stair_count=3, cycle_min_mom=0.85, cycle_max_mom=0.95),
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=6, cycle_second_step_size=6,
         cycle_first_stair_count=2, cycle_second_stair_count=0),
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=7, cycle_second_step_size=0,
         cycle_first_stair_count=3, decay_lr_rate=0.0, decay_step_size=5, decay_mom_rate=0.1),
    dict(cycle_min_lr=0.03, cycle_max_lr=0.1, cycle_first_step_size=4.5, cycle_second_step_size=2.5,
         decay_lr_rate=0.3, decay_step_size=0),
    # one stair in one half only
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=4, cycle_second_step_size=4,
         cycle_first_stair_count=1, cycle_second_stair_count=0),
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=4, cycle_second_step_size=4,
         cycle_first_stair_count=0, cycle_second_stair_count=1),
    # a second half shorter than one step, on the way down
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=2.5, cycle_second_step_size=1,
         cycle_first_stair_count=2),
    # the peak, where up + down - up falls a hair below down: DeepSpeed counts it on the way up
    dict(cycle_min_lr=0.02, cycle_max_lr=0.2, cycle_first_step_size=2, cycle_second_step_size=0.3,
         cycle_first_stair_count=3),
    # momentum decay: needs both a decay_step_size and a decay_mom_rate
    dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=3, decay_step_size=0, decay_mom_rate=0.1),
    dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=3, decay_step_size=1, decay_mom_rate=0.1,
         decay_lr_rate=0.2),
    dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=3, decay_step_size=3, decay_mom_rate=1.0,
         decay_lr_rate=1.0),
])
def test_one_cycle_rate_and_momentum_match_deepspeed(kw):
    n = 40
    lrs, moms = _one_cycle_reference(n, **kw)
    s = ds.OneCycle(**kw)
    steps = np.arange(float(n))
    np.testing.assert_allclose(s(steps), lrs, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose([s(t) for t in range(n)], lrs, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(s.momentum(steps), moms, rtol=1e-12)
    np.testing.assert_allclose(s(torch.arange(n, dtype=torch.float64)).numpy(), lrs, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(s.momentum(torch.arange(n, dtype=torch.float64)).numpy(), moms, rtol=1e-12)
    up = float(kw["cycle_first_step_size"])
    total = up + float(kw.get("cycle_second_step_size", up))
    assert s.phase_boundaries() == (up, total) and s.horizon == total


@pytest.mark.parametrize("name, kw, lr", [
    ("WarmupLR", dict(warmup_num_steps=1), 0.5),  # log warmup with W = max(2, 1)
    ("WarmupLR", dict(warmup_num_steps=7, warmup_min_lr=0.01), 0.3),  # up to the optimizer's rate
    ("WarmupDecayLR", dict(warmup_num_steps=5, total_num_steps=5, warmup_max_lr=0.1), 0.5),
    ("WarmupDecayLR", dict(warmup_num_steps=4, total_num_steps=5, warmup_max_lr=0.1), 0.5),  # N - W = 1
    ("WarmupDecayLR", dict(warmup_num_steps=4, total_num_steps=3, warmup_max_lr=0.1,
                           warmup_type="linear"), 0.5),
    ("WarmupDecayLR", dict(warmup_num_steps=3, total_num_steps=9, warmup_min_lr=0.02,
                           warmup_max_lr=0.1), 0.5),
    ("WarmupCosineLR", dict(warmup_num_steps=3, total_num_steps=3), 0.4),
    ("WarmupCosineLR", dict(warmup_num_steps=5, total_num_steps=12, cos_min_ratio=0.2,
                            warmup_min_ratio=0.1), 0.4),
])
def test_warmup_family_matches_deepspeed(name, kw, lr):
    ref = _deepspeed_rates(name, 20, lr=lr, **kw)
    s = getattr(ds, name)(**kw) if "warmup_max_lr" in kw else getattr(ds, name)(lr=lr, **kw)
    np.testing.assert_allclose(s(np.arange(20.0)), ref, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose([s(t) for t in range(20)], ref, rtol=1e-12, atol=1e-18)
    from_opt = getattr(ds, name)(_optimizer(lr), **kw)
    np.testing.assert_allclose(from_opt(np.arange(20.0)), ref, rtol=1e-12, atol=1e-18)


def test_one_cycle_just_before_the_peak_is_on_the_way_up():
    # x <= r picks the first half's stairs: a step a hair below cycle_first_step_size still counts
    # floor(m k1 / U) / k1 stairs (DeepSpeed's rule, here at a fractional step)
    s = ds.OneCycle(0.0, 1.0, cycle_first_step_size=4, cycle_second_step_size=4,
                    cycle_first_stair_count=2, cycle_second_stair_count=3)
    t = float(np.nextafter(4.0, 0.0))
    assert s(t) == 0.5  # floor(3.999... * 2 / 4) / 2
    assert s(4.0) == 1.0 and s(6.0) == pytest.approx(1 / 3)  # the way down: floor((8 - 6) * 3 / 4) / 3
