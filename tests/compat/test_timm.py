"""lrkit.compat.timm against timm's schedulers (golden files and live; timm is loaded without
torchvision, see tests/golden/generate_torch_hf_timm.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
from lrkit.compat import timm as T
from tests.compat import _golden

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = json.loads((GOLDEN / "timm_schedulers.json").read_text())["cases"]
RTOL = 1e-12  # timm computes in Python floats (float64)
HAS_TORCH = importlib.util.find_spec("torch") is not None  # timm's noise is drawn with torch


def _generator():
    return _golden.generator("timm")


_assert_rel = _golden.assert_rel


# -- golden -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_values(case):
    if case["config"].get("noise_range_t") is not None and not HAS_TORCH:
        pytest.skip("timm's noise is drawn with torch")
    s = lrkit.from_config(case["config"])
    ref = case["lr"]
    _assert_rel([s(t) for t in range(len(ref))], ref)
    _assert_rel(s.curve(len(ref)), ref)


FAR = _golden.far_points(CASES)


@pytest.mark.parametrize("case, t, value", FAR, ids=[f"{c['name']}@{t}" for c, t, _ in FAR])
def test_golden_far_past_the_end(case, t, value):
    _golden.assert_far(case, t, value)


def test_golden_covers_every_scheduler():
    types = {c["config"]["type"] for c in CASES}
    assert types == {"timm.cosine", "timm.tanh", "timm.step", "timm.multistep", "timm.poly",
                     "timm.wsd"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_config_round_trip(case):
    s = lrkit.from_config(case["config"])
    cfg = json.loads(json.dumps(s.to_config()))
    assert lrkit.from_config(cfg) == s and cfg["type"] == case["config"]["type"]


# -- quirks --------------------------------------------------------------------------------------
def test_float_log_cycle_index_misses_a_boundary_like_timm_native_is_exact():
    s = T.CosineLRScheduler(0.1, t_initial=1, cycle_mul=3.0, cycle_limit=10, lr_min=0.001)
    golden = next(c for c in CASES if c["name"] == "cosine_mul3_logmiss")["lr"]
    # cycle 5 starts at t = 121, but log(243) / log(3) = 4.999...: timm stays in cycle 4
    assert s(121) == golden[121] == 0.001
    assert s(np.array([120.0, 121.0, 122.0]))[1] == 0.001
    assert lrkit.CosineRestarts(0.1, 1, 3, end=0.001)(121) == 0.1
    # the misses are found once with timm's own arithmetic (CPython's math.log) ...
    assert T.missed_restarts(1, 3.0, 10) == (121.0, 29524.0)
    assert T.missed_restarts(20, 3.0, 10) == (2420.0, 590480.0)
    assert T.missed_restarts(4, 2.0, 10) == ()
    # ... so a backend whose log rounds differently still gives timm's values
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    with jax.enable_x64(True):
        _assert_rel(np.asarray(jax.jit(s)(jnp.arange(131.0))), golden, rtol=1e-13)


def test_multistep_decays_one_step_before_the_milestone():
    s = T.MultiStepLRScheduler(1.0, decay_t=[5], decay_rate=0.1)
    assert s(3) == 1.0 and s(4) == pytest.approx(0.1)
    assert lrkit.MultiStep(1.0, [5], 0.1)(4) == 1.0


def test_tanh_warmup_without_prefix_rises_to_the_curve_not_the_base():
    s = T.TanhLRScheduler(0.1, t_initial=10, warmup_t=4, warmup_lr_init=0.0)
    assert s(4) == pytest.approx(T.TanhLRScheduler(0.1, t_initial=10)(4), rel=1e-15)
    assert s(2) == pytest.approx(s(4) / 2, rel=1e-12)


@pytest.mark.skipif(not HAS_TORCH, reason="timm's noise is drawn with torch")
def test_noise_is_deterministic_and_seeded():
    a = T.CosineLRScheduler(0.1, t_initial=50, noise_range_t=0, noise_seed=3)
    b = T.CosineLRScheduler(0.1, t_initial=50, noise_range_t=0, noise_seed=3)
    c = T.CosineLRScheduler(0.1, t_initial=50, noise_range_t=0, noise_seed=4)
    clean = T.CosineLRScheduler(0.1, t_initial=50)
    np.testing.assert_array_equal(a.curve(40), b.curve(40))
    assert not np.allclose(a.curve(40), c.curve(40))
    ratio = a.curve(40) / clean.curve(40) - 1
    assert np.all(np.abs(ratio) < 0.67) and np.std(ratio) > 0.05


@pytest.mark.parametrize("build, exc, words", [
    (lambda: T.CosineLRScheduler(0.1, t_initial=10, cycle_mul=0.5), ValueError,
     "cycle_mul must be >= 1"),
    (lambda: T.CosineLRScheduler(0.1, t_initial=10, warmup_t=-1), ValueError,
     "warmup_t must be >= 0"),
    (lambda: T.CosineLRScheduler(0.1, t_initial=10, noise_range_t=[1, 2, 3]), ValueError,
     "noise_range_t must be an int or a [start, end) pair"),
    (lambda: T.StepLRScheduler(0.1, decay_t=5, t_in_epochs=False, steps_per_epoch=10),
     ValueError, "steps_per_epoch only applies with t_in_epochs=True"),
    (lambda: T.MultiStepLRScheduler(0.1, decay_t=[5, 3]), ValueError,
     "decay_t must be non-decreasing"),
    (lambda: T.WSDLRScheduler(0.1, t_initial=10, decay_t=5, decay_fn=lambda u: 1 - u),
     TypeError, "decay_fn must be one of"),
    (lambda: T.WSDLRScheduler(0.1, t_initial=10, decay_t=5, decay_fn="sqrt"), ValueError,
     "decay_fn must be one of"),
])
def test_bad_arguments_named(build, exc, words):
    with pytest.raises(exc) as info:
        build()
    assert words in str(info.value)


def test_jax_jit_matches_numpy():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    with jax.enable_x64(True):
        for case in CASES:
            if case["config"].get("noise_range_t") is not None:
                continue  # noise is drawn on the host: not traceable (documented)
            s = lrkit.from_config(case["config"])
            _assert_rel(np.asarray(jax.jit(s)(jnp.arange(60.0))), s.curve(60), rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["cosine", "tanh", "poly"]), t_initial=st.integers(1, 50),
       mul=st.floats(1.0, 4.0), decay=st.floats(0.0, 1.0), limit=st.integers(0, 6),
       warm=st.integers(0, 10), prefix=st.booleans(), lr_min=st.floats(0.0, 0.05))
def test_any_valid_config_is_finite_and_non_negative(kind, t_initial, mul, decay, limit, warm,
                                                      prefix, lr_min):
    s = lrkit.from_config({"type": f"timm.{kind}", "lr": 0.1, "t_initial": t_initial,
                           "cycle_mul": mul, "cycle_decay": decay, "cycle_limit": limit,
                           "warmup_t": warm, "warmup_prefix": prefix, "lr_min": lr_min})
    v = s(np.concatenate([np.arange(300.0), [1e5, 1e7]]))
    assert np.all(np.isfinite(v)) and np.all(v >= 0)


# -- live ------------------------------------------------------------------------------------------
HAS_PEER = all(importlib.util.find_spec(m) is not None for m in ("torch", "timm"))
if HAS_PEER:
    import torch
live = pytest.mark.skipif(not HAS_PEER, reason="timm (and torch) not installed")
GEN = _generator()


@pytest.mark.parametrize("case", CASES[::3], ids=[c["name"] for c in CASES[::3]])
@live
def test_live_matches_golden_cases(case):
    live = GEN.run_timm(case["config"], case["n"])["lr"]
    _assert_rel(lrkit.from_config(case["config"]).curve(case["n"] + 1), live)


@settings(max_examples=15, deadline=None)
@given(kind=st.sampled_from(["cosine", "tanh", "poly"]), t_initial=st.integers(1, 20),
       mul=st.sampled_from([1.0, 1.5, 2.0, 3.0]), decay=st.floats(0.3, 1.0),
       limit=st.integers(1, 4), warm=st.integers(0, 5), prefix=st.booleans(),
       k=st.sampled_from([0.7, 1.0, 2.0]), lr_min=st.sampled_from([0.0, 1e-4]))
@live
def test_live_cycles_any_parameters(kind, t_initial, mul, decay, limit, warm, prefix, k, lr_min):
    cfg = {"type": f"timm.{kind}", "lr": 0.1, "t_initial": t_initial, "cycle_mul": mul,
           "cycle_decay": decay, "cycle_limit": limit, "warmup_t": warm, "warmup_prefix": prefix,
           "warmup_lr_init": 1e-4, "lr_min": lr_min}
    if kind != "tanh":
        cfg["k_decay"] = k
    n = int(t_initial * (mul ** (limit + 1))) + warm + 5
    _assert_rel(lrkit.from_config(cfg).curve(n + 1), GEN.run_timm(cfg, n)["lr"], rtol=1e-11)


@settings(max_examples=10, deadline=None)
@given(decay_t=st.integers(1, 9), rate=st.floats(0.1, 1.0), warm=st.integers(0, 4),
       ms=st.lists(st.integers(1, 30), max_size=4), prefix=st.booleans())
@live
def test_live_step_and_multistep(decay_t, rate, warm, ms, prefix):
    for cfg in ({"type": "timm.step", "lr": 0.1, "decay_t": decay_t, "decay_rate": rate,
                 "warmup_t": warm, "warmup_prefix": prefix},
                {"type": "timm.multistep", "lr": 0.1, "decay_t": sorted(ms), "decay_rate": rate,
                 "warmup_t": warm, "warmup_prefix": prefix}):
        _assert_rel(lrkit.from_config(cfg).curve(41), GEN.run_timm(cfg, 40)["lr"])


@settings(max_examples=10, deadline=None)
@given(t_initial=st.integers(2, 40), frac=st.floats(0.1, 1.0), warm=st.integers(0, 6),
       stable=st.sampled_from(["constant", "rsqrt", "power"]),
       decay=st.sampled_from(["linear", "1-sqrt", "cosine", "power", "exp"]))
@live
def test_live_wsd(t_initial, frac, warm, stable, decay):
    cfg = {"type": "timm.wsd", "lr": 0.1, "t_initial": t_initial,
           "decay_t": max(1, int(frac * t_initial)), "warmup_t": warm, "stable_fn": stable,
           "decay_fn": decay, "lr_min": 1e-3}
    if stable != "constant":
        cfg["stable_timescale"] = 5.0
    n = warm + t_initial + 5
    _assert_rel(lrkit.from_config(cfg).curve(n + 1), GEN.run_timm(cfg, n)["lr"])


@live
def test_steps_per_epoch_follows_timm_in_a_training_loop():
    spe, epochs = 7, 12
    kw = {"t_initial": 8, "warmup_t": 2, "warmup_lr_init": 1e-3, "lr_min": 1e-4}
    opt = GEN._optimizer(0.1)
    sched = GEN.timm_module("cosine_lr").CosineLRScheduler(opt, **kw)
    seen = []
    updates = 0
    for epoch in range(epochs):
        for _ in range(spe):
            seen.append(opt.param_groups[0]["lr"])  # the rate this optimizer step uses
            updates += 1
            sched.step_update(num_updates=updates)
        sched.step(epoch + 1)
    ours = T.CosineLRScheduler(0.1, steps_per_epoch=spe, **kw)
    _assert_rel(ours.curve(spe * epochs), seen)


@live
def test_torch_tensor_evaluation_including_noise():
    for case in CASES:
        s = lrkit.from_config(case["config"])
        out = s(torch.arange(0, 40, dtype=torch.float64))
        assert out.dtype == torch.float64
        _assert_rel(out.numpy(), s.curve(40), rtol=1e-13)


@pytest.mark.parametrize("kind, kw", [
    ("cosine", {"t_initial": 0}),
    ("tanh", {"t_initial": 10, "lb": 3.0, "ub": -7.0}),
    ("poly", {"t_initial": 10, "lr_min": -1.0}),
    ("wsd", {"t_initial": 10, "decay_t": 11}),
    ("wsd", {"t_initial": 10, "decay_t": 5, "decay_ratio": 1.0}),
    ("wsd", {"t_initial": 10, "decay_t": 5, "stable_fn": "rsqrt"}),
])
@live
def test_rejected_where_timm_rejects(kind, kw):
    module, cls = GEN._TIMM_CLASSES[kind]
    with pytest.raises((AssertionError, ValueError)):
        getattr(GEN.timm_module(module), cls)(GEN._optimizer(0.1), **kw)
    with pytest.raises(ValueError):
        lrkit.from_config({"type": f"timm.{kind}", "lr": 0.1, **kw})




FACTORY_CASES = [
    {"sched": "cosine", "num_epochs": 30, "warmup_epochs": 3, "min_lr": 1e-5, "cooldown_epochs": 2},
    {"sched": "cosine", "num_epochs": 10, "warmup_epochs": 2, "warmup_prefix": True,
     "cycle_limit": 3, "cycle_mul": 2.0, "cycle_decay": 0.5},
    {"sched": "tanh", "num_epochs": 20, "warmup_epochs": 2},
    {"sched": "step", "num_epochs": 30, "decay_epochs": 7, "decay_rate": 0.5, "warmup_epochs": 2},
    {"sched": "constant", "num_epochs": 10, "warmup_epochs": 3, "warmup_prefix": True},
    {"sched": "multistep", "num_epochs": 30, "decay_milestones": [5, 12], "warmup_epochs": 2},
    {"sched": "poly", "num_epochs": 25, "decay_rate": 2.0, "min_lr": 1e-4},
    {"sched": "wsd", "num_epochs": 40, "warmup_epochs": 4},
    {"sched": "rsqrt", "num_epochs": 40, "warmup_epochs": 4, "decay_epochs": 0.3},
    {"sched": "cosine", "num_epochs": 6, "warmup_epochs": 1, "step_on_epochs": False,
     "updates_per_epoch": 5, "noise": [0.3, 0.8]},
    {"sched": "wsd", "num_epochs": 8, "warmup_epochs": 1, "step_on_epochs": False,
     "updates_per_epoch": 4, "warmup_prefix": True, "noise": 0.33},
]


@live
@pytest.mark.parametrize("kw", FACTORY_CASES, ids=[f"{k['sched']}{i}" for i, k in
                                                   enumerate(FACTORY_CASES)])
def test_create_scheduler_v2_matches_timm(kw):
    GEN.timm_module("cosine_lr")
    factory = GEN.timm_module("scheduler_factory")
    opt = GEN._optimizer(0.1)
    theirs, epochs = factory.create_scheduler_v2(opt, **kw)
    ours, our_epochs = T.create_scheduler_v2(lr=0.1, **kw)
    assert our_epochs == epochs
    n = epochs * kw.get("updates_per_epoch", 1) + 5
    ref = []
    for t in range(n):
        if kw.get("step_on_epochs", True):
            theirs.step(t)
        else:
            theirs.step_update(t)
        ref.append(opt.param_groups[0]["lr"])
    _assert_rel(ours.curve(n), ref)


def test_create_scheduler_v2_rejects_plateau_and_unknown():
    with pytest.raises(ValueError, match="PlateauLRScheduler"):
        T.create_scheduler_v2(lr=0.1, sched="plateau")
    with pytest.raises(ValueError, match="sched must be one of"):
        T.create_scheduler_v2(lr=0.1, sched="cosinus")
    with pytest.raises(ValueError, match="updates_per_epoch must be >= 1"):
        T.create_scheduler_v2(lr=0.1, step_on_epochs=False)
    assert T.create_scheduler_v2(lr=0.1, sched="none", num_epochs=7) == (None, 7)
