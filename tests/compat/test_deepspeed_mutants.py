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
