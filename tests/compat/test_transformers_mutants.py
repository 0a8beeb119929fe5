"""lrkit.compat.transformers against transformers' own lambdas at the edges the golden cases
miss: one-step warmups and decays, phase boundaries hit exactly, fractional steps, stages of
length 0; per-group rates (``for_rate``), phase boundaries, field normalisation, the
controllers' starting rate and the messages of bad arguments."""

from __future__ import annotations

import importlib.util
import json
import warnings

import numpy as np
import pytest

from lrkit.compat import transformers as H

HAS_PEER = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
if HAS_PEER:
    import torch
    import transformers
live = pytest.mark.skipif(not HAS_PEER, reason="transformers (and torch) not installed")


def _opt(*rates):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": r} for r in rates]
    return torch.optim.SGD(params, lr=rates[0])


def _peer_lambda(name, lr, warm, total, kw):
    """transformers' own lr_lambda (a plain Python function of the step)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = transformers.get_scheduler(name, _opt(lr), warm, total, scheduler_specific_kwargs=dict(kw))
    return sched.lr_lambdas[0]


def _check_against_peer(name, lr, warm, total, kw, horizon):
    peer = _peer_lambda(name, lr, warm, total, kw)
    ours = H.get_scheduler(name, warm, total, dict(kw), lr=lr)
    ts = np.arange(0.0, horizon + 3.0, 0.25)
    ref = np.array([lr * peer(float(t)) for t in ts])
    np.testing.assert_allclose(ours(ts), ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([ours(float(t)) for t in ts], ref, rtol=1e-12, atol=1e-15)


_SHORT = [(0, 1), (1, 2), (1, 3), (2, 3), (2, 4), (3, 8), (2, 2), (3, 1)]


@live
@pytest.mark.parametrize("warm, total", _SHORT)
@pytest.mark.parametrize("name, kw", [
    ("linear", {}),
    ("cosine", {}),
    ("cosine", {"num_cycles": 1.25}),
    ("cosine_with_restarts", {"num_cycles": 1}),
    ("cosine_with_restarts", {"num_cycles": 3}),
    ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
    ("cosine_with_min_lr", {"min_lr": 0.05, "num_cycles": 1.0}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.2, "warmup_lr_rate": 0.25}),
    ("cosine_warmup_with_min_lr", {"min_lr": 0.05, "num_cycles": 1.0}),
])
def test_short_stages_and_fractional_steps_match_transformers(name, kw, warm, total):
    _check_against_peer(name, 0.5, warm, total, kw, max(warm, total))


@live
@pytest.mark.parametrize("warm, total", [(0, 1), (1, 2), (1, 3), (2, 3), (3, 8)])
@pytest.mark.parametrize("kw", [{"lr_end": 0.05}, {"lr_end": 0.0, "power": 2.0},
                                {"lr_end": 0.1, "power": 0.5}, {"lr_end": 0.05, "power": 0.0}])
def test_polynomial_short_stages_match_transformers(kw, warm, total):
    _check_against_peer("polynomial", 0.5, warm, total, kw, total)


@live
@pytest.mark.parametrize("warm", [0, 1, 2, 3])
@pytest.mark.parametrize("name, kw", [("constant_with_warmup", {}), ("inverse_sqrt", {}),
                                      ("inverse_sqrt", {"timescale": 2}),
                                      ("inverse_sqrt", {"timescale": 7})])
def test_warmup_only_schedules_match_transformers(name, kw, warm):
    _check_against_peer(name, 0.5, warm, None, kw, warm + 6)


@live
@pytest.mark.parametrize("warm, decay, stable", [(0, 0, 0), (1, 1, 0), (1, 0, 2), (2, 0, 0), (2, 0, 3),
                                                 (2, 1, 2), (0, 3, 2), (2, 4, 3), (3, 2, 0)])
@pytest.mark.parametrize("kw", [
    {"min_lr_ratio": 0.25, "decay_type": "linear", "warmup_type": "linear"},
    {"min_lr_ratio": 0.25, "decay_type": "cosine", "warmup_type": "cosine", "num_cycles": 1.0},
    {"min_lr_ratio": 0.1, "decay_type": "1-sqrt", "warmup_type": "1-sqrt"},
    {"decay_type": "cosine", "num_cycles": 0.75},
    # a huge ratio: (1 - m) + m is not 1 in floats, the stable stage is 1 all the same
    {"min_lr_ratio": 1e16, "decay_type": "linear"},
])
def test_wsd_stage_edges_match_transformers(warm, decay, stable, kw):
    kw = dict(kw, num_decay_steps=decay, num_stable_steps=stable)
    _check_against_peer("warmup_stable_decay", 0.5, warm, None, kw, warm + decay + stable)
    # the same stages given by num_training_steps
    kw2 = {k: v for k, v in kw.items() if k != "num_stable_steps"}
    _check_against_peer("warmup_stable_decay", 0.5, warm, warm + decay + stable, kw2, warm + decay + stable)


def test_wsd_one_step_stages_at_fractional_steps_by_hand():
    # transformers: progress = t / max(1, W) in the warmup, (t - W - S) / max(1, D) in the decay
    s = H.get_wsd_schedule(1, 1, num_stable_steps=1, decay_type="linear", lr=1.0)
    assert s(0.5) == 0.5 and s(1.0) == 1.0 and s(2.0) == 1.0 and s(2.5) == 0.5 and s(3.0) == 0.0


def test_wsd_evaluates_without_warnings():
    s = H.get_wsd_schedule(4, 3, num_stable_steps=2, warmup_type="1-sqrt", decay_type="1-sqrt",
                           min_lr_ratio=0.1, lr=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = s.curve(20)
    assert np.all(np.isfinite(v))


def test_wsd_with_no_stable_stage_is_accepted():
    s = H.WarmupStableDecay(5, 5, num_training_steps=10, lr=1.0)
    assert s.stable == 0 and s.horizon == 10.0 and set(s.phase_boundaries()) == {5.0}


# -- per-group rates ---------------------------------------------------------------------------
@live
@pytest.mark.parametrize("name, kw", [("linear", {}), ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
                                      ("warmup_stable_decay", {"num_decay_steps": 4})])
def test_for_rate_is_each_param_groups_rate(name, kw):
    opt = _opt(0.1, 0.5)
    theirs = transformers.get_scheduler(name, opt, 3, 12, scheduler_specific_kwargs=dict(kw))
    ours = H.get_scheduler(name, 3, 12, dict(kw), optimizer=_opt(0.1, 0.5))
    groups = [ours.for_rate(0.1), ours.for_rate(0.5)]
    for g, rate in zip(groups, (0.1, 0.5)):
        assert g.horizon == ours.horizon and g.phase_boundaries() == ours.phase_boundaries()
        assert repr(g) == f"{ours!r}.for_rate({rate!r})"
    for t in range(16):
        for g, group in zip(groups, opt.param_groups):
            assert g(t) == pytest.approx(group["lr"], rel=1e-12, abs=1e-15)
            assert g(np.array([float(t)]))[0] == pytest.approx(group["lr"], rel=1e-12, abs=1e-15)
            assert float(g(torch.tensor([float(t)], dtype=torch.float64))[0]) == \
                pytest.approx(group["lr"], rel=1e-12, abs=1e-15)
        opt.step()
        theirs.step()


def test_for_rate_by_hand():
    g = H.get_linear_schedule_with_warmup(2, 10).for_rate(0.5)
    assert g(0) == 0.0 and g(1) == 0.25 and g(2) == 0.5 and g(6) == 0.25 and g(10) == 0.0
    np.testing.assert_array_equal(g(np.array([0.0, 1.0, 6.0])), [0.0, 0.25, 0.25])
    assert g.horizon == 10.0 and g.phase_boundaries() == (2.0,)


# -- phase boundaries ---------------------------------------------------------------------------
def test_phase_boundaries():
    assert H.ConstantWithWarmup(3).phase_boundaries() == (3.0,)
    assert H.ConstantWithWarmup(0).phase_boundaries() == (0.0,)
    assert H.Linear(0, 10).phase_boundaries() == ()
    assert H.Linear(1, 10).phase_boundaries() == (1.0,)
    assert H.Cosine(4, 10).phase_boundaries() == (4.0,)
    wsd = H.WarmupStableDecay
    assert wsd(0, 5, num_stable_steps=0).phase_boundaries() == ()
    assert set(wsd(1, 5, num_stable_steps=0).phase_boundaries()) == {1.0}
    assert wsd(2, 3, num_stable_steps=4).phase_boundaries() == (2.0, 6.0)
    assert wsd(0, 3, num_stable_steps=1).phase_boundaries() == (1.0,)
    assert wsd(2, 3, num_training_steps=10).phase_boundaries() == (2.0, 7.0)


# -- normalised fields ---------------------------------------------------------------------------
def test_step_fields_are_ints_and_rates_floats():
    cases = [
        (H.ConstantWithWarmup(2.0, lr=1), ("num_warmup_steps",), ("lr",)),
        (H.Linear(2.0, 10.0, lr=1), ("num_warmup_steps", "num_training_steps"), ("lr",)),
        (H.Cosine(2.0, 10.0, num_cycles=1, lr=1), ("num_warmup_steps", "num_training_steps"),
         ("num_cycles", "lr")),
        (H.CosineWithRestarts(2.0, 10.0, num_cycles=2), ("num_warmup_steps", "num_training_steps"),
         ("num_cycles",)),
        (H.Polynomial(2.0, 10.0, lr_end=0, power=2, lr=1), ("num_warmup_steps", "num_training_steps"),
         ("lr_end", "power", "lr")),
        (H.InverseSqrt(2.0, lr=1), ("num_warmup_steps",), ("lr",)),
        (H.CosineWithMinLR(2.0, 10.0, num_cycles=1, min_lr=0, lr=1),
         ("num_warmup_steps", "num_training_steps"), ("num_cycles", "min_lr", "lr")),
        (H.CosineWithMinLR(2.0, 10.0, min_lr_rate=0), ("num_warmup_steps",), ("min_lr_rate",)),
        (H.CosineWarmupWithMinLR(2.0, 10.0, num_cycles=1, min_lr_rate=0, warmup_lr_rate=0),
         ("num_warmup_steps", "num_training_steps"), ("num_cycles", "min_lr_rate", "warmup_lr_rate")),
        (H.WarmupStableDecay(2.0, 3.0, num_training_steps=10.0, min_lr_ratio=0, num_cycles=1, lr=1),
         ("num_warmup_steps", "num_decay_steps", "num_training_steps"),
         ("min_lr_ratio", "num_cycles", "lr")),
        (H.WarmupStableDecay(2.0, 3.0, num_stable_steps=4.0), ("num_stable_steps",), ()),
    ]
    for s, ints, floats in cases:
        for f in ints:
            assert type(getattr(s, f)) is int, (s, f)
        for f in floats:
            assert type(getattr(s, f)) is float, (s, f)
        cfg = json.dumps(s.to_config())
        for f in ints:
            assert f'"{f}": {getattr(s, f)},' in cfg or f'"{f}": {getattr(s, f)}}}' in cfg, (cfg, f)
    s = H.InverseSqrt(2, timescale=np.int64(3))  # a NumPy integer is stored as a Python number
    assert type(s.timescale) is float and s.timescale == 3.0
    assert json.loads(json.dumps(s.to_config()))["timescale"] == 3


# -- the controllers ----------------------------------------------------------------------------
@live
@pytest.mark.parametrize("name", ["greedy", "reduce_lr_on_plateau"])
def test_controllers_start_at_the_optimizers_rate(name):
    theirs_opt = _opt(0.3)
    transformers.get_scheduler(name, theirs_opt)
    for ours in (H.get_scheduler(name, _opt(0.3)), H.get_scheduler(name, optimizer=_opt(0.3))):
        assert ours.step(1.0) == theirs_opt.param_groups[0]["lr"] == 0.3
    helper = H.get_greedy_schedule if name == "greedy" else H.get_reduce_on_plateau_schedule
    assert helper(_opt(0.3)).step(1.0) == 0.3
    assert helper(lr=0.2).step(1.0) == 0.2
    assert helper().step(1.0) == 1.0  # no rate at all: 1
    assert H.get_scheduler(name).step(1.0) == 1.0
    assert H.get_scheduler(name, lr=0.2).step(1.0) == 0.2


@live
@pytest.mark.parametrize("call, owner", [
    (lambda o: H.get_greedy_schedule(o, lr=0.1), "get_greedy_schedule"),
    (lambda o: H.get_reduce_on_plateau_schedule(o, lr=0.1), "get_reduce_on_plateau_schedule"),
    (lambda o: H.get_scheduler("greedy", o, lr=0.1), "get_scheduler"),
    (lambda o: H.get_scheduler("reduce_lr_on_plateau", o, lr=0.1), "get_scheduler"),
    (lambda o: H.get_scheduler("linear", o, 2, 10, lr=0.1), "get_scheduler"),
    (lambda o: H.get_scheduler("constant", o, lr=0.1), "get_scheduler"),
    (lambda o: H.get_constant_schedule(o, lr=0.1), "get_constant_schedule"),
    (lambda o: H.get_constant_schedule_with_warmup(o, 2, lr=0.1), "get_constant_schedule_with_warmup"),
    (lambda o: H.get_linear_schedule_with_warmup(o, 2, 10, lr=0.1), "get_linear_schedule_with_warmup"),
    (lambda o: H.get_cosine_schedule_with_warmup(o, 2, 10, lr=0.1), "get_cosine_schedule_with_warmup"),
    (lambda o: H.get_cosine_with_hard_restarts_schedule_with_warmup(o, 2, 10, lr=0.1),
     "get_cosine_with_hard_restarts_schedule_with_warmup"),
    (lambda o: H.get_polynomial_decay_schedule_with_warmup(o, 2, 10, lr=0.1),
     "get_polynomial_decay_schedule_with_warmup"),
    (lambda o: H.get_inverse_sqrt_schedule(o, 2, lr=0.1), "get_inverse_sqrt_schedule"),
    (lambda o: H.get_cosine_with_min_lr_schedule_with_warmup(o, 2, 10, min_lr_rate=0.1, lr=0.1),
     "get_cosine_with_min_lr_schedule_with_warmup"),
    (lambda o: H.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(o, 2, 10, min_lr_rate=0.1, lr=0.1),
     "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"),
    (lambda o: H.get_wsd_schedule(o, 2, 3, 10, lr=0.1), "get_wsd_schedule"),
])
def test_optimizer_and_lr_together_named(call, owner):
    with pytest.raises(TypeError) as info:
        call(_opt(0.3))
    assert str(info.value).startswith(f"{owner}: give the optimizer or lr=, not both")


@live
def test_helpers_with_the_optimizer_are_relative_at_its_rate():
    o = _opt(0.3)
    for s in (H.get_constant_schedule(o), H.get_constant_schedule_with_warmup(o, 2),
              H.get_linear_schedule_with_warmup(o, 2, 10), H.get_cosine_schedule_with_warmup(o, 2, 10),
              H.get_cosine_with_hard_restarts_schedule_with_warmup(o, 2, 10),
              H.get_polynomial_decay_schedule_with_warmup(o, 2, 10),
              H.get_inverse_sqrt_schedule(o, 2),
              H.get_cosine_with_min_lr_schedule_with_warmup(o, 2, 10, min_lr=0.03),
              H.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(o, 2, 10, min_lr_rate=0.1),
              H.get_wsd_schedule(o, 2, 3, 10), H.get_scheduler("constant", o),
              H.get_scheduler("cosine", o, 2, 10)):
        assert s.relative is True and s.lr == 0.3, s


# -- messages ------------------------------------------------------------------------------------
_REF = ("is an absolute rate compared with the optimizer's rate; pass the optimizer (as in transformers) "
        "or lr=<the optimizer's lr>")


@pytest.mark.parametrize("build, exc, message", [
    (lambda: H.Constant(lr=-1), ValueError, "Constant: lr must be >= 0, got -1"),
    (lambda: H.Constant(lr=0.1, relative="x"), TypeError, "Constant: relative must be True or False"),
    (lambda: H.ConstantWithWarmup(-1), ValueError,
     "ConstantWithWarmup: num_warmup_steps must be >= 0, got -1"),
    (lambda: H.ConstantWithWarmup(1.5), TypeError, "ConstantWithWarmup: num_warmup_steps must be an integer"),
    (lambda: H.ConstantWithWarmup(2, lr=-1), ValueError, "ConstantWithWarmup: lr must be >= 0, got -1"),
    (lambda: H.Linear(-1, 5), ValueError, "Linear: num_warmup_steps must be >= 0, got -1"),
    (lambda: H.Linear(0, -1), ValueError, "Linear: num_training_steps must be >= 0, got -1"),
    (lambda: H.Linear(0, 5, lr=-1), ValueError, "Linear: lr must be >= 0, got -1"),
    (lambda: H.Cosine(0, 5, num_cycles=-1), ValueError, "Cosine: num_cycles must be >= 0, got -1"),
    (lambda: H.Cosine(-1, 5), ValueError, "Cosine: num_warmup_steps must be >= 0, got -1"),
    (lambda: H.CosineWithRestarts(0, 5, num_cycles=-1), ValueError,
     "CosineWithRestarts: num_cycles must be >= 0, got -1"),
    (lambda: H.CosineWithRestarts(0, -5), ValueError,
     "CosineWithRestarts: num_training_steps must be >= 0, got -5"),
    (lambda: H.Polynomial(0, 5, lr=0.5, lr_end=-1), ValueError, "Polynomial: lr_end must be >= 0, got -1"),
    (lambda: H.Polynomial(0, 5, lr=0.5, power=-1), ValueError, "Polynomial: power must be >= 0, got -1"),
    (lambda: H.Polynomial(-1, 5, lr=0.5), ValueError, "Polynomial: num_warmup_steps must be >= 0, got -1"),
    (lambda: H.Polynomial(0, 5, lr=0.5, lr_end=0.5), ValueError,
     "Polynomial: lr_end (0.5) must be smaller than the initial lr (0.5)"),
    (lambda: H.Polynomial(0, 5, lr=0.5, lr_end=0.75), ValueError,
     "Polynomial: lr_end (0.75) must be smaller than the initial lr (0.5)"),
    (lambda: H.Polynomial(5, 5, lr=0.5), ValueError,
     "Polynomial: num_training_steps must be > num_warmup_steps (transformers divides by their "
     "difference), got 5 and 5"),
    (lambda: H.Polynomial(6, 5, lr=0.5), ValueError,
     "Polynomial: num_training_steps must be > num_warmup_steps (transformers divides by their "
     "difference), got 5 and 6"),
    (lambda: H.Polynomial(0, 5), ValueError, f"Polynomial: lr_end {_REF} (got lr_end=1e-07 and no rate)"),
    (lambda: H.InverseSqrt(-1), ValueError, "InverseSqrt: num_warmup_steps must be >= 0, got -1"),
    (lambda: H.InverseSqrt(2, 0), ValueError, "InverseSqrt: timescale must be > 0, got 0"),
    (lambda: H.InverseSqrt(2, lr=-1), ValueError, "InverseSqrt: lr must be >= 0, got -1"),
    (lambda: H.CosineWithMinLR(0, 5, min_lr=0.1), ValueError,
     f"CosineWithMinLR: min_lr {_REF} (got min_lr=0.1 and no rate)"),
    (lambda: H.CosineWithMinLR(0, 5, lr=0.5, min_lr=0.1, min_lr_rate=0.2), ValueError,
     "CosineWithMinLR: give only one of min_lr or min_lr_rate, got min_lr=0.1 and min_lr_rate=0.2"),
    (lambda: H.CosineWithMinLR(0, 5, lr=0.5, min_lr=-1), ValueError,
     "CosineWithMinLR: min_lr must be >= 0, got -1"),
    (lambda: H.CosineWithMinLR(0, 5, lr=0.0, min_lr=0.1), ValueError,
     "CosineWithMinLR: min_lr needs lr > 0 (its rate is min_lr / lr), got lr=0"),
    (lambda: H.CosineWithMinLR(0, 5, lr=0.5), ValueError,
     "CosineWithMinLR: one of min_lr or min_lr_rate must be set (got neither)"),
    (lambda: H.CosineWithMinLR(0, 5, min_lr_rate=-1), ValueError,
     "CosineWithMinLR: min_lr_rate must be >= 0, got -1"),
    (lambda: H.CosineWithMinLR(0, 5, num_cycles=-1, min_lr_rate=0.1), ValueError,
     "CosineWithMinLR: num_cycles must be >= 0, got -1"),
    (lambda: H.CosineWithMinLR(0, -5, min_lr_rate=0.1), ValueError,
     "CosineWithMinLR: num_training_steps must be >= 0, got -5"),
    (lambda: H.CosineWarmupWithMinLR(0, 5, min_lr=0.1), ValueError,
     f"CosineWarmupWithMinLR: min_lr {_REF} (got min_lr=0.1 and no rate)"),
    (lambda: H.CosineWarmupWithMinLR(0, 5, lr=0.5, min_lr=0.1, min_lr_rate=0.2), ValueError,
     "CosineWarmupWithMinLR: give only one of min_lr or min_lr_rate, got min_lr=0.1 and min_lr_rate=0.2"),
    (lambda: H.CosineWarmupWithMinLR(0, 5), ValueError,
     "CosineWarmupWithMinLR: one of min_lr or min_lr_rate must be set (got neither)"),
    (lambda: H.CosineWarmupWithMinLR(0, 5, min_lr_rate=0.1, warmup_lr_rate=-1), ValueError,
     "CosineWarmupWithMinLR: warmup_lr_rate must be >= 0, got -1"),
    (lambda: H.CosineWarmupWithMinLR(0, 5, min_lr_rate=0.1, num_cycles=-1), ValueError,
     "CosineWarmupWithMinLR: num_cycles must be >= 0, got -1"),
    (lambda: H.CosineWarmupWithMinLR(-2, 5, min_lr_rate=0.1), ValueError,
     "CosineWarmupWithMinLR: num_warmup_steps must be >= 0, got -2"),
    (lambda: H.WarmupStableDecay(-1, 2, num_training_steps=10), ValueError,
     "WarmupStableDecay: num_warmup_steps must be >= 0, got -1"),
    (lambda: H.WarmupStableDecay(1.5, 2, num_training_steps=10), TypeError,
     "WarmupStableDecay: num_warmup_steps must be an integer"),
    (lambda: H.WarmupStableDecay(1, -2, num_training_steps=10), ValueError,
     "WarmupStableDecay: num_decay_steps must be >= 0, got -2"),
    (lambda: H.WarmupStableDecay(1, 2, num_training_steps=-10), ValueError,
     "WarmupStableDecay: num_training_steps must be >= 0, got -10"),
    (lambda: H.WarmupStableDecay(1, 2, num_stable_steps=-3), ValueError,
     "WarmupStableDecay: num_stable_steps must be >= 0, got -3"),
    (lambda: H.WarmupStableDecay(1, 2), ValueError,
     "WarmupStableDecay: either num_training_steps or num_stable_steps must be given"),
    (lambda: H.WarmupStableDecay(5, 10, num_training_steps=14), ValueError,
     "WarmupStableDecay: num_training_steps must be >= num_warmup_steps + num_decay_steps, got 14 < 5 + 10"),
    (lambda: H.WarmupStableDecay(1, 2, num_stable_steps=3, warmup_type="exp"), ValueError,
     "WarmupStableDecay: warmup_type must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (lambda: H.WarmupStableDecay(1, 2, num_stable_steps=3, decay_type="exp"), ValueError,
     "WarmupStableDecay: decay_type must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
    (lambda: H.WarmupStableDecay(1, 2, num_stable_steps=3, min_lr_ratio=-1), ValueError,
     "WarmupStableDecay: min_lr_ratio must be >= 0, got -1"),
    (lambda: H.WarmupStableDecay(1, 2, num_stable_steps=3, num_cycles=-1), ValueError,
     "WarmupStableDecay: num_cycles must be >= 0, got -1"),
    (lambda: H.WarmupStableDecay(1, 2, num_stable_steps=3, lr=-1), ValueError,
     "WarmupStableDecay: lr must be >= 0, got -1"),
    (lambda: H.get_scheduler("cosine_fast"), ValueError,
     "get_scheduler: name must be one of 'linear', 'cosine', 'cosine_with_restarts', 'polynomial', "
     "'constant', 'constant_with_warmup', 'inverse_sqrt', 'reduce_lr_on_plateau', 'cosine_with_min_lr', "
     "'cosine_warmup_with_min_lr', 'warmup_stable_decay', 'greedy', got 'cosine_fast'"),
    (lambda: H.get_scheduler("linear"), ValueError,
     "get_scheduler: linear requires `num_warmup_steps`, please provide that argument"),
    (lambda: H.get_scheduler("constant_with_warmup"), ValueError,
     "get_scheduler: constant_with_warmup requires `num_warmup_steps`, please provide that argument"),
    (lambda: H.get_scheduler("cosine", 2), ValueError,
     "get_scheduler: cosine requires `num_training_steps`, please provide that argument"),
    (lambda: H.get_scheduler("warmup_stable_decay", 2, None, {"num_decay_steps": 3}), ValueError,
     "WarmupStableDecay: either num_training_steps or num_stable_steps must be given"),
])
def test_bad_arguments_named(build, exc, message):
    with pytest.raises(exc) as info:
        build()
    assert str(info.value).startswith(message)


@live
def test_get_scheduler_by_enum_names_the_value():
    with pytest.raises(ValueError) as info:
        H.get_scheduler(transformers.SchedulerType.LINEAR)
    assert str(info.value).startswith("get_scheduler: linear requires `num_warmup_steps`")
    with pytest.raises(ValueError) as info:
        H.get_scheduler(transformers.SchedulerType.COSINE, 2)
    assert str(info.value).startswith("get_scheduler: cosine requires `num_training_steps`")


def test_get_scheduler_dispatch():
    assert H.get_scheduler("constant", 5, 10, {"ignored": 1}, lr=0.5) == H.Constant(lr=0.5)
    assert H.get_scheduler("constant_with_warmup", 3, 10, lr=0.5) == H.ConstantWithWarmup(3, lr=0.5)
    assert H.get_scheduler("inverse_sqrt", 3, None, {"timescale": 5}, lr=0.5) == H.InverseSqrt(3, 5, lr=0.5)
    assert H.get_scheduler("warmup_stable_decay", 2, None, {"num_decay_steps": 3, "num_stable_steps": 4}) \
        == H.WarmupStableDecay(2, 3, num_stable_steps=4)
    assert H.get_scheduler("polynomial", 2, 10, {"lr_end": 0.01}, lr=0.5) == \
        H.Polynomial(2, 10, lr_end=0.01, lr=0.5)
    assert H.get_scheduler("linear", 2, 10) == H.Linear(2, 10)
    assert H.get_scheduler("linear", 2, 10).relative is True
    assert H.get_scheduler("linear", 2, 10, lr=0.5).relative is False
    assert H.SCHEDULER_TYPES == ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                                 "constant_with_warmup", "inverse_sqrt", "reduce_lr_on_plateau",
                                 "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
                                 "greedy")
