"""lrkit.compat.torch against the real torch.optim.lr_scheduler (golden files and live)."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
from lrkit.compat import torch as C
from tests.compat import _golden

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _generator():
    return _golden.generator("torch")


GEN = _generator()
CASES = json.loads((GOLDEN / "torch_schedulers.json").read_text())["cases"]
RTOL = 1e-12  # torch computes in Python floats (float64)


def _scalar(s, n):
    return np.array([s(t) for t in range(n)])


_assert_rel = _golden.assert_rel


# -- golden -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_values(case):
    s = lrkit.from_config(case["config"])
    # OneCycleLR(anneal_strategy="linear") extrapolates below 0 at t = total_steps in torch;
    # lrkit floors the rate at 0 there (the only deliberate difference)
    ref = np.maximum(case["lr"], 0.0)
    _assert_rel(_scalar(s, len(ref)), ref)
    _assert_rel(s.curve(len(ref)), ref)
    if case["config"]["type"] in ("torch.OneCycleLR", "torch.CyclicLR"):
        _assert_rel(s.momentum.curve(len(ref)), case["momentum"])


FAR = _golden.far_points(CASES)


@pytest.mark.parametrize("case, t, value", FAR, ids=[f"{c['name']}@{t}" for c, t, _ in FAR])
def test_golden_far_past_the_end(case, t, value):
    _golden.assert_far(case, t, value)


def test_cyclic_triangular2_stays_finite_where_torch_overflows():
    case = next(c for c in CASES if c["name"] == "cyclic_tri2")
    assert case["far"]["raises"].startswith("OverflowError")  # torch: 2.0 ** cycle overflows
    s = lrkit.from_config(case["config"])
    assert s(20_000) == pytest.approx(case["config"]["base_lr"], rel=1e-12)


def test_golden_covers_every_constructor():
    types = {c["config"]["type"] for c in CASES}
    wanted = {f"torch.{n}" for n in C.__all__} - {"torch.LambdaLR", "torch.MultiplicativeLR",
                                                   "torch.ReduceLROnPlateau"}
    assert wanted <= types


# -- live ----------------------------------------------------------------------------------------
HAS_TORCH = importlib.util.find_spec("torch") is not None
if HAS_TORCH:
    import torch

    L = torch.optim.lr_scheduler
live = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")


@pytest.mark.parametrize("case", CASES[::3], ids=[c["name"] for c in CASES[::3]])
@live
def test_live_matches_golden_cases(case):
    live = GEN.run_torch(case["config"], case["n"])
    _assert_rel(lrkit.from_config(case["config"]).curve(case["n"] + 1),
                np.maximum(live["lr"], 0.0))


def _live(cfg, n):
    return np.array(GEN.run_torch(cfg, n)["lr"])


@settings(max_examples=12, deadline=None)
@given(T=st.integers(1, 60), eta=st.sampled_from([0.0, 1e-4, 0.03]),
       lr=st.floats(1e-4, 2.0))
@live
def test_live_cosine_annealing_any_parameters(T, eta, lr):
    cfg = {"type": "torch.CosineAnnealingLR", "lr": lr, "T_max": T, "eta_min": eta}
    n = 4 * T + 3
    # torch's recursion lr <- r (lr - eta) + eta drifts by ~eps * eta per step when eta > lr
    _assert_rel(lrkit.from_config(cfg).curve(n + 1), _live(cfg, n), rtol=1e-11,
                atol=1e-16 * n * eta if eta > lr else 0.0)


@settings(max_examples=12, deadline=None)
@given(total=st.integers(12, 300), pct=st.floats(0.1, 0.45), three=st.booleans(),
       anneal=st.sampled_from(["cos", "linear"]), div=st.floats(2.0, 50.0))
@live
def test_live_onecycle_any_parameters(total, pct, three, anneal, div):
    cfg = {"type": "torch.OneCycleLR", "max_lr": 0.3, "total_steps": total, "pct_start": pct,
           "three_phase": three, "anneal_strategy": anneal, "div_factor": div}
    s = lrkit.from_config(cfg)
    live = GEN.run_torch(cfg, total)
    _assert_rel(s.curve(total + 1), np.maximum(live["lr"], 0.0))
    _assert_rel(s.momentum.curve(total + 1), live["momentum"])


@settings(max_examples=12, deadline=None)
@given(up=st.integers(1, 9), down=st.one_of(st.none(), st.integers(1, 9)),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
       gamma=st.floats(0.9, 1.0))
@live
def test_live_cyclic_any_parameters(up, down, mode, gamma):
    cfg = {"type": "torch.CyclicLR", "base_lr": 0.001, "max_lr": 0.1, "step_size_up": up,
           "step_size_down": down, "mode": mode, "gamma": gamma}
    s = lrkit.from_config(cfg)
    live = GEN.run_torch(cfg, 50)
    _assert_rel(s.curve(51), live["lr"])
    _assert_rel(s.momentum.curve(51), live["momentum"])


@settings(max_examples=12, deadline=None)
@given(step=st.integers(1, 7), ms=st.lists(st.integers(0, 30), max_size=4),
       gamma=st.floats(0.05, 0.99), sf=st.floats(0.05, 1.0), iters=st.integers(1, 8))
@live
def test_live_stepwise_and_chains(step, ms, gamma, sf, iters):
    subs = [{"type": "torch.StepLR", "lr": 0.1, "step_size": step, "gamma": gamma},
            {"type": "torch.MultiStepLR", "lr": 0.1, "milestones": ms, "gamma": gamma},
            {"type": "torch.LinearLR", "lr": 0.1, "start_factor": sf, "total_iters": iters},
            {"type": "torch.ConstantLR", "lr": 0.1, "factor": sf, "total_iters": iters},
            {"type": "torch.PolynomialLR", "lr": 0.1, "total_iters": iters, "power": gamma * 2}]
    for cfg in subs:
        _assert_rel(lrkit.from_config(cfg).curve(36), _live(cfg, 35))
    chain = {"type": "torch.ChainedScheduler", "schedulers": subs}
    _assert_rel(lrkit.from_config(chain).curve(36), _live(chain, 35))
    seq = {"type": "torch.SequentialLR", "schedulers": subs[2:] + subs[:2],
           "milestones": sorted([iters + 1, iters + 3, 2 * iters + 6, 30])}
    _assert_rel(lrkit.from_config(seq).curve(41), _live(seq, 40))


@live
def test_live_lambda_and_multiplicative():
    def f(e):
        return 0.95 ** e if e < 10 else 0.5

    def g(e):
        return 0.9 if e % 3 else 1.01

    for ours, build in [(C.LambdaLR(0.1, f), lambda o: L.LambdaLR(o, f)),
                        (C.MultiplicativeLR(0.1, g), lambda o: L.MultiplicativeLR(o, g))]:
        opt = GEN._optimizer(0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = build(opt)
            ref = [opt.param_groups[0]["lr"]]
            for _ in range(30):
                opt.step()
                sched.step()
                ref.append(opt.param_groups[0]["lr"])
        _assert_rel(_scalar(ours, 31), ref)
        _assert_rel(ours.curve(31), ref)
        _assert_rel(ours(torch.arange(31)).numpy(), ref)
    # a MultiplicativeLR after a SequentialLR milestone continues from the rate reached
    seq = C.SequentialLR([C.StepLR(0.1, 3, 0.5), C.MultiplicativeLR(0.1, g)], [7])
    opt = GEN._optimizer(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = L.SequentialLR(opt, [L.StepLR(opt, 3, 0.5), L.MultiplicativeLR(opt, g)], [7])
        ref = [opt.param_groups[0]["lr"]]
        for _ in range(20):
            opt.step()
            sched.step()
            ref.append(opt.param_groups[0]["lr"])
    _assert_rel(seq.curve(21), ref)


def _plateau_pair(**kw):
    opt = GEN._optimizer(0.5)
    return C.ReduceLROnPlateau(lr=0.5, **kw), L.ReduceLROnPlateau(opt, **kw), opt


@pytest.mark.parametrize("kw", [
    {},
    {"patience": 2, "factor": 0.5},
    {"mode": "max", "patience": 1, "factor": 0.3, "cooldown": 2, "min_lr": 0.01},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 0, "eps": 0.1},
])
@live
def test_reduce_on_plateau_matches_torch(kw):
    ours, theirs, opt = _plateau_pair(**kw)
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.01 * rng.standard_normal(40),
                              np.linspace(0.5, 0.9, 10)])
    for m in metrics:
        got = ours.step(float(m))
        theirs.step(float(m))
        assert got == opt.param_groups[0]["lr"]


# -- quirks --------------------------------------------------------------------------------------
@live
def test_cosine_annealing_is_periodic_past_t_max_unlike_native():
    s = C.CosineAnnealingLR(lr=0.1, T_max=10, eta_min=0.001)
    assert s(10) == pytest.approx(0.001, rel=1e-12)
    assert s(20) == pytest.approx(0.1, rel=1e-12)  # climbed back, as torch does
    assert lrkit.Cosine(0.1, 10, end=0.001)(20) == pytest.approx(0.001, rel=1e-12)


@live
def test_sequential_restarts_each_scheduler_from_base_rate():
    s = C.SequentialLR([C.ExponentialLR(0.1, 0.5), C.ExponentialLR(0.1, 0.5)], [4])
    assert s(3) == pytest.approx(0.1 * 0.5 ** 3, rel=1e-15)
    assert s(4) == 0.1  # not 0.1 * 0.5 ** 4: the second scheduler restarts at its step 0


@live
def test_warm_restarts_exact_where_torch_step_epoch_misses():
    # torch's deprecated step(epoch) finds the cycle with int(log(243, 3)) = 4, one too few
    opt = GEN._optimizer(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = L.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3)
        sched.step(121)
    by_epoch = opt.param_groups[0]["lr"]
    ours = C.CosineAnnealingWarmRestarts(0.1, T_0=1, T_mult=3)
    live = _live({"type": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, "T_0": 1,
                  "T_mult": 3}, 121)
    assert ours(121) == live[121] == 0.1  # step() counts with integers: a restart at 121
    assert by_epoch == pytest.approx(0.0, abs=1e-15)


@live
def test_onecycle_holds_value_at_total_steps_where_torch_raises():
    s = C.OneCycleLR(max_lr=1.0, total_steps=20)
    live = _live({"type": "torch.OneCycleLR", "max_lr": 1.0, "total_steps": 20}, 20)
    assert s(20) == live[20]
    assert s(25) == s(20) and s(10**6) == s(20)
    lin = C.OneCycleLR(max_lr=0.5, total_steps=50, three_phase=True, anneal_strategy="linear")
    torch_lin = _live(lin.to_config(), 50)
    assert torch_lin[50] < 0 and lin(50) == 0.0  # torch sets a negative rate at step 50
    opt = GEN._optimizer(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=20)
        for _ in range(20):
            sched.step()
        with pytest.raises(ValueError):
            sched.step()


@live
def test_chained_after_lambda_applies_only_the_current_factor():
    s = C.ChainedScheduler([C.LambdaLR(0.1, lambda e: 1.0), C.ExponentialLR(0.1, 0.5)])
    assert s(5) == pytest.approx(0.05, rel=1e-15)  # not 0.1 * 0.5 ** 5


# -- evaluation paths, purity, config --------------------------------------------------------
SAMPLE = [lrkit.from_config(c["config"]) for c in CASES]


@pytest.mark.parametrize("s", SAMPLE[::2], ids=[c["name"] for c in CASES[::2]])
@live
def test_torch_tensor_and_numpy_agree(s):
    t = np.arange(0, 60)
    ref = s.curve(60)
    out = s(torch.arange(0, 60, dtype=torch.float64))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    _assert_rel(out.numpy(), ref, rtol=1e-13)
    _assert_rel(s(t), ref, rtol=0)


@live
def test_jax_jit():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    with jax.enable_x64(True):
        for case in CASES:
            s = lrkit.from_config(case["config"])
            n = min(len(case["lr"]), 300)
            out = np.asarray(jax.jit(s)(jnp.arange(float(n))))
            ref = s.curve(n)
            # XLA turns x / c into x * (1 / c): an ulp off, so an exact 0 may come out as ~1e-33
            _assert_rel(out, ref, rtol=1e-13, atol=1e-15 * np.max(ref))
            assert np.all(out >= 0)


@live
def test_dialect_does_not_import_torch():
    code = ("import sys\nfrom lrkit.compat import torch as C\n"
            "s = C.SequentialLR([C.LinearLR(0.1, 0.1, 1.0, 5), C.CosineAnnealingLR(0.1, 20)], [5])\n"
            "s(3); s.curve(50); C.OneCycleLR(0.1, total_steps=10).momentum(4)\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@live
def test_config_round_trip(case):
    s = lrkit.from_config(case["config"])
    cfg = json.loads(json.dumps(s.to_config()))
    back = lrkit.from_config(cfg)
    assert back == s
    assert cfg["type"] == case["config"]["type"]


@live
def test_callables_cannot_go_into_a_config():
    for s in (C.LambdaLR(0.1, lambda e: 1.0), C.MultiplicativeLR(0.1, lambda e: 0.9),
              C.CyclicLR(0.01, 0.1, scale_fn=lambda x: 1.0)):
        with pytest.raises(TypeError, match="config"):
            s.to_config()


@live
def test_momentum_is_none_without_cycle_momentum():
    assert C.OneCycleLR(1.0, total_steps=10, cycle_momentum=False).momentum is None
    assert C.CyclicLR(0.1, 1.0, cycle_momentum=False).momentum is None


@live
def test_cyclic_custom_scale_fn_matches_torch():
    def fn(x):
        return 1.0 / (1.0 + 0.1 * x)

    for mode in ("cycle", "iterations"):
        ours = C.CyclicLR(0.01, 0.1, step_size_up=4, scale_fn=fn, scale_mode=mode)
        opt = GEN._optimizer(0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = L.CyclicLR(opt, 0.01, 0.1, step_size_up=4, scale_fn=fn, scale_mode=mode)
            ref = [opt.param_groups[0]["lr"]]
            for _ in range(30):
                opt.step()
                sched.step()
                ref.append(opt.param_groups[0]["lr"])
        _assert_rel(ours.curve(31), ref)


# -- bad arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("build, exc, words", [
    (lambda: C.StepLR(0.1, step_size=0), ValueError, "step_size must be >= 1, got 0"),
    (lambda: C.StepLR(-0.1, step_size=3), ValueError, "lr must be >= 0"),
    (lambda: C.StepLR(0.1, step_size=2.5), TypeError, "step_size must be an integer"),
    (lambda: C.MultiStepLR(0.1, milestones=[3, -1]), ValueError, "milestones[1] must be >= 0"),
    (lambda: C.MultiStepLR(0.1, milestones=5), TypeError, "milestones must be a list"),
    (lambda: C.ConstantLR(0.1, factor=1.5), ValueError, "factor must be in [0, 1]"),
    (lambda: C.ConstantLR(0.1, factor=0.0, total_iters=3), ValueError, "factor must be > 0"),
    (lambda: C.ConstantLR(0.1, total_iters=0), ValueError, "total_iters must be >= 1"),
    (lambda: C.PolynomialLR(0.1, total_iters=0), ValueError, "total_iters must be >= 1"),
    (lambda: C.LinearLR(0.1, start_factor=0.0), ValueError, "start_factor must be in (0, 1]"),
    (lambda: C.LinearLR(0.1, end_factor=1.2), ValueError, "end_factor must be in [0, 1]"),
    (lambda: C.CosineAnnealingLR(0.1, T_max=0), ValueError, "T_max must be >= 1"),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, T_0=0), ValueError, "T_0 must be >= 1"),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, T_0=5, T_mult=1.5), TypeError,
     "T_mult must be an integer"),
    (lambda: C.OneCycleLR(1.0), ValueError, "give total_steps, or epochs and steps_per_epoch"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, pct_start=1.5), ValueError,
     "pct_start must be in [0, 1]"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, pct_start=0.1), ValueError,
     "phase 1 would be empty"),
    (lambda: C.OneCycleLR(1.0, total_steps=10, anneal_strategy="cosine"), ValueError,
     "anneal_strategy must be one of"),
    (lambda: C.CyclicLR(0.1, 1.0, mode="triangle"), ValueError, "mode must be one of"),
    (lambda: C.CyclicLR(0.1, 1.0, step_size_up=0), ValueError, "step_size_up must be > 0"),
    (lambda: C.LambdaLR(0.1, 0.5), TypeError, "lr_lambda must be a function"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2)], [3]), ValueError,
     "milestones must have one element fewer"),
    (lambda: C.SequentialLR([], []), ValueError, "schedulers must be a non-empty list"),
    (lambda: C.SequentialLR([C.StepLR(0.1, 2), 0.5], [3]), TypeError,
     "schedulers[1] must be an lrkit Schedule"),
    (lambda: C.ChainedScheduler([C.CosineAnnealingLR(0.1, 5)]), ValueError,
     "cannot be chained in closed form"),
    (lambda: C.ChainedScheduler([C.StepLR(0.1, 2), C.StepLR(0.2, 3)]), ValueError,
     "same lr"),
    (lambda: C.ReduceLROnPlateau(lr=0.1, factor=1.0), ValueError, "factor must be < 1.0"),
    (lambda: C.ReduceLROnPlateau(lr=0.1, mode="lowest"), ValueError, "mode must be one of"),
])
@live
def test_bad_arguments(build, exc, words):
    with pytest.raises(exc) as info:
        build()
    assert words in str(info.value)


@pytest.mark.parametrize("build_ours, build_torch", [
    (lambda: C.ConstantLR(0.1, factor=1.5), lambda o: L.ConstantLR(o, factor=1.5)),
    (lambda: C.LinearLR(0.1, start_factor=0.0), lambda o: L.LinearLR(o, start_factor=0.0)),
    (lambda: C.OneCycleLR(1.0, total_steps=0), lambda o: L.OneCycleLR(o, 1.0, total_steps=0)),
    (lambda: C.OneCycleLR(1.0), lambda o: L.OneCycleLR(o, 1.0)),
    (lambda: C.CosineAnnealingWarmRestarts(0.1, T_0=0),
     lambda o: L.CosineAnnealingWarmRestarts(o, T_0=0)),
    (lambda: C.ReduceLROnPlateau(lr=0.1, factor=1.0), lambda o: L.ReduceLROnPlateau(o, factor=1.0)),
])
@live
def test_rejected_where_torch_rejects(build_ours, build_torch):
    with pytest.raises(ValueError):
        build_torch(GEN._optimizer(0.1))
    with pytest.raises(ValueError):
        build_ours()


@live
def test_finite_and_non_negative_far_past_the_end():
    for s in SAMPLE:
        v = s(np.array([0.0, 1e4, 1e6]))
        assert np.all(np.isfinite(v)) and np.all(v >= 0), s
    assert math.isfinite(C.PolynomialLR(0.1, 5)(10**9))


# -- porting a real training loop ---------------------------------------------------------------
def _train_digits(make_scheduler, epochs=3):
    """SGD with momentum on scikit-learn's digits; returns (rates used, final weights)."""
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = make_scheduler(opt)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
    rates, moms = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            for i in range(0, len(y), 128):
                idx = order[i:i + 128]
                loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                rates.append(opt.param_groups[0]["lr"])
                moms.append(opt.param_groups[0]["momentum"])
                opt.step()
                sched.step()
    return np.array(rates), np.array(moms), [p.detach().clone() for p in model.parameters()]


@live
@pytest.mark.parametrize("port", ["onecycle", "sequential", "hf_cosine"])
def test_porting_a_training_loop_is_a_rename(port):
    from lrkit.compat import transformers as H
    from lrkit.torch import Scheduler

    total = 3 * 15  # 3 epochs of 15 batches
    if port == "onecycle":
        def theirs(o):
            return L.OneCycleLR(o, max_lr=0.2, total_steps=total)
        ours = C.OneCycleLR(max_lr=0.2, total_steps=total)
        plan = {"lr": ours, "momentum": ours.momentum}
    elif port == "sequential":
        def theirs(o):
            return L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5),
                                      L.CosineAnnealingLR(o, T_max=total - 5)], [5])
        plan = C.SequentialLR([C.LinearLR(0.05, 0.1, total_iters=5),
                               C.CosineAnnealingLR(0.05, T_max=total - 5)], [5])
    else:
        transformers = pytest.importorskip("transformers")

        def theirs(o):
            return transformers.get_cosine_schedule_with_warmup(o, 5, total)
        plan = H.get_cosine_schedule_with_warmup(5, total, lr=0.05)
    rates_a, moms_a, w_a = _train_digits(theirs)
    rates_b, moms_b, w_b = _train_digits(lambda o: Scheduler(o, plan))
    _assert_rel(rates_b, rates_a)
    _assert_rel(moms_b, moms_a)
    for a, b in zip(w_a, w_b):
        torch.testing.assert_close(b, a, rtol=1e-6, atol=1e-7)


def test_multiplicative_lr_refuses_a_function_returning_none_as_torch_does():
    # found by mutation testing: the vectorised product read None as NaN and returned nan
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: None)
    opt.step()
    with pytest.raises(TypeError):
        sched.step()  # torch: float * None
    with pytest.raises(TypeError, match="must return a number, got None"):
        C.MultiplicativeLR(0.1, lambda e: None)(3)
    # a factor that really is NaN still gives NaN, as in torch
    assert math.isnan(C.MultiplicativeLR(0.1, lambda e: float("nan"))(3))


def test_a_numpy_integer_is_an_integer_argument_as_in_torch():
    # StepLR(opt, np.int64(3)) works in torch; it was refused ("step_size must be an integer")
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, np.int64(3), gamma=0.5)
    rates = []
    for _ in range(7):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = C.StepLR(0.1, np.int64(3), gamma=0.5)
    assert [ours(t) for t in range(7)] == rates
    assert type(ours.step_size) is int
    with pytest.raises(ValueError, match=r"step_size must be >= 1, got -1$"):
        C.StepLR(0.1, np.int64(-1))
    with pytest.raises(TypeError, match="step_size must be an integer, got np.True_"):
        C.StepLR(0.1, np.True_)
