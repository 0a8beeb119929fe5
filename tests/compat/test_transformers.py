"""lrkit.compat.transformers against Hugging Face transformers (golden files and live)."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
from lrkit.compat import transformers as H
from tests.compat import _golden

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = json.loads((GOLDEN / "hf_schedulers.json").read_text())["cases"]
RTOL = 1e-12  # transformers' lambdas compute in Python floats (float64)


def _generator():
    return _golden.generator("hf")


_assert_rel = _golden.assert_rel


def _via_get_scheduler(cfg):
    cfg = dict(cfg)
    name = cfg.pop("type").split(".", 1)[1]
    lr = cfg.pop("lr")
    return H.get_scheduler(name, cfg.pop("num_warmup_steps", None),
                           cfg.pop("num_training_steps", None), cfg, lr=lr)


# -- golden -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_values(case):
    ref = case["lr"]
    for s in (lrkit.from_config(case["config"]), _via_get_scheduler(case["config"])):
        _assert_rel([s(t) for t in range(len(ref))], ref)
        _assert_rel(s.curve(len(ref)), ref)


FAR = _golden.far_points(CASES)


@pytest.mark.parametrize("case, t, value", FAR, ids=[f"{c['name']}@{t}" for c, t, _ in FAR])
def test_golden_far_past_the_end(case, t, value):
    _golden.assert_far(case, t, value)


def test_golden_covers_every_schedule_type():
    types = {c["config"]["type"].split(".", 1)[1] for c in CASES}
    assert set(H.SCHEDULER_TYPES) - {"reduce_lr_on_plateau", "greedy"} <= types


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_config_round_trip(case):
    s = lrkit.from_config(case["config"])
    cfg = json.loads(json.dumps(s.to_config()))
    assert lrkit.from_config(cfg) == s and cfg["type"] == case["config"]["type"]


def test_helpers_equal_get_scheduler():
    pairs = [
        (H.get_linear_schedule_with_warmup(5, 50, lr=0.1), H.get_scheduler("linear", 5, 50, lr=0.1)),
        (H.get_cosine_schedule_with_warmup(5, 50, 1.5, lr=0.1),
         H.get_scheduler("cosine", 5, 50, {"num_cycles": 1.5}, lr=0.1)),
        (H.get_cosine_with_hard_restarts_schedule_with_warmup(5, 50, 3, lr=0.1),
         H.get_scheduler("cosine_with_restarts", 5, 50, {"num_cycles": 3}, lr=0.1)),
        (H.get_polynomial_decay_schedule_with_warmup(5, 50, 1e-4, 2.0, lr=0.1),
         H.get_scheduler("polynomial", 5, 50, {"lr_end": 1e-4, "power": 2.0}, lr=0.1)),
        (H.get_constant_schedule(lr=0.1), H.get_scheduler("constant", lr=0.1)),
        (H.get_constant_schedule_with_warmup(5, lr=0.1),
         H.get_scheduler("constant_with_warmup", 5, lr=0.1)),
        (H.get_inverse_sqrt_schedule(5, 20, lr=0.1),
         H.get_scheduler("inverse_sqrt", 5, None, {"timescale": 20}, lr=0.1)),
        (H.get_cosine_with_min_lr_schedule_with_warmup(5, 50, min_lr=1e-3, lr=0.1),
         H.get_scheduler("cosine_with_min_lr", 5, 50, {"min_lr": 1e-3}, lr=0.1)),
        (H.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(5, 50, min_lr_rate=0.1,
                                                               warmup_lr_rate=0.3, lr=0.1),
         H.get_scheduler("cosine_warmup_with_min_lr", 5, 50,
                         {"min_lr_rate": 0.1, "warmup_lr_rate": 0.3}, lr=0.1)),
        (H.get_wsd_schedule(5, 10, 50, lr=0.1),
         H.get_scheduler("warmup_stable_decay", 5, 50, {"num_decay_steps": 10}, lr=0.1)),
    ]
    for a, b in pairs:
        assert a == b
        np.testing.assert_array_equal(a.curve(80), b.curve(80))


# -- quirks --------------------------------------------------------------------------------------
def test_cosine_rises_again_past_the_end_unlike_native():
    s = H.get_cosine_schedule_with_warmup(0, 100, lr=1.0)
    assert s(100) == pytest.approx(0.0, abs=1e-15)
    assert s(200) == pytest.approx(1.0, rel=1e-12)  # climbs back to the peak
    assert lrkit.Cosine(1.0, 100)(200) == 0.0


def test_polynomial_reaches_lr_end_only_after_training_steps():
    s = H.get_polynomial_decay_schedule_with_warmup(0, 10, lr_end=0.01, power=1.0, lr=0.1)
    assert s(10) == pytest.approx(0.01, rel=1e-12)
    assert s(11) == pytest.approx(0.01, rel=1e-12)


def test_cosine_warmup_with_min_lr_is_shifted_by_one_step():
    s = H.get_scheduler("cosine_warmup_with_min_lr", 4, 20, {"min_lr_rate": 0.0}, lr=1.0)
    assert s(0) == 0.25 and s(3) == 1.0  # (t + 1) / W


@pytest.mark.parametrize("build, exc, words", [
    (lambda: H.Linear(-1, 10), ValueError, "num_warmup_steps must be >= 0"),
    (lambda: H.Cosine(0, 10, lr=-0.1), ValueError, "lr must be >= 0"),
    (lambda: H.Polynomial(5, 5, lr=0.1), ValueError, "num_training_steps must be > num_warmup"),
    (lambda: H.WarmupStableDecay(5, 10, num_training_steps=12), ValueError,
     "num_training_steps must be >= num_warmup_steps + num_decay_steps"),
    (lambda: H.CosineWithMinLR(0, 10, min_lr=0.1, lr=0.0), ValueError, "min_lr needs lr > 0"),
    (lambda: H.get_scheduler("linear", 1.5, 10), TypeError, "num_warmup_steps must be an integer"),
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
            s = lrkit.from_config(case["config"])
            _assert_rel(np.asarray(jax.jit(s)(jnp.arange(80.0))), s.curve(80), rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["linear", "cosine", "cosine_with_restarts", "polynomial",
                             "cosine_with_min_lr", "cosine_warmup_with_min_lr"]),
       warm=st.integers(0, 50), extra=st.integers(1, 500), cycles=st.floats(0.0, 3.0),
       rate=st.floats(0.0, 0.99))
def test_any_valid_config_is_finite_and_non_negative(name, warm, extra, cycles, rate):
    kw = {}
    if name in ("cosine", "cosine_with_restarts"):
        kw["num_cycles"] = cycles
    elif name == "polynomial":
        kw.update(lr_end=0.1 * rate, power=cycles)
    elif name != "linear":
        kw["min_lr_rate"] = rate
    s = H.get_scheduler(name, warm, warm + extra, kw, lr=0.1)
    v = s(np.concatenate([np.arange(600.0), [1e5, 1e7]]))
    assert np.all(np.isfinite(v)) and np.all(v >= 0)


# -- live ------------------------------------------------------------------------------------------
HAS_PEER = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
if HAS_PEER:
    import torch
    import transformers
live = pytest.mark.skipif(not HAS_PEER, reason="transformers (and torch) not installed")
GEN = _generator()


@live
def test_every_installed_scheduler_type_is_accepted():
    installed = {t.value for t in transformers.SchedulerType}
    assert installed <= set(H.SCHEDULER_TYPES), installed - set(H.SCHEDULER_TYPES)
    with pytest.raises(ValueError, match="name must be one of"):
        H.get_scheduler("cosine_fast", lr=0.1)
    by_enum = H.get_scheduler(transformers.SchedulerType.COSINE, 5, 50, lr=0.1)
    assert by_enum == H.get_scheduler("cosine", 5, 50, lr=0.1)


@pytest.mark.parametrize("case", CASES[::2], ids=[c["name"] for c in CASES[::2]])
@live
def test_live_matches_golden_cases(case):
    live = GEN.run_hf(case["config"], case["n"])["lr"]
    _assert_rel(lrkit.from_config(case["config"]).curve(case["n"] + 1), live)


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(["linear", "cosine", "cosine_with_restarts", "polynomial",
                             "constant_with_warmup", "inverse_sqrt", "cosine_with_min_lr",
                             "cosine_warmup_with_min_lr", "warmup_stable_decay"]),
       warm=st.integers(0, 12), extra=st.integers(1, 60), lr=st.floats(1e-6, 1.0),
       cycles=st.sampled_from([0.5, 1, 2]), rate=st.floats(0.0, 0.5))
@live
def test_live_any_parameters(name, warm, extra, lr, cycles, rate):
    total = warm + extra
    cfg = {"type": f"hf.{name}", "lr": lr, "num_warmup_steps": warm, "num_training_steps": total}
    if name in ("cosine", "cosine_with_restarts"):
        cfg["num_cycles"] = cycles
    elif name == "polynomial":
        cfg.update(lr_end=lr * rate, power=1.0 + cycles)
    elif name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        cfg["min_lr_rate"] = rate
    elif name == "warmup_stable_decay":
        cfg.update(num_decay_steps=extra // 2, min_lr_ratio=rate, decay_type="linear")
    n = total + 20
    _assert_rel(_via_get_scheduler(cfg).curve(n + 1), GEN.run_hf(cfg, n)["lr"])


@pytest.mark.parametrize("kw", [{}, {"patience": 1, "factor": 0.5, "cooldown": 1},
                                {"mode": "max", "min_lr": 0.05, "patience": 0}])
@live
def test_reduce_lr_on_plateau_matches_transformers(kw):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.5)
    theirs = transformers.get_scheduler("reduce_lr_on_plateau", opt, scheduler_specific_kwargs=kw)
    ours = H.get_scheduler("reduce_lr_on_plateau", scheduler_specific_kwargs=kw, lr=0.5)
    rng = np.random.default_rng(1)
    for m in np.concatenate([np.linspace(1, 0.6, 5), 0.6 + 0.02 * rng.standard_normal(30)]):
        theirs.step(float(m))
        assert ours.step(float(m)) == opt.param_groups[0]["lr"]


@pytest.mark.parametrize("kw", [
    {},
    {"patience": 2, "factor": 0.5, "min_lr": 0.01, "max_lr": 0.8},
    {"mode": "max", "patience": 1, "cooldown": 2, "warmup": 1, "threshold_mode": "rel",
     "threshold": 0.01, "min_lr": 0.05},
    {"patience": 0, "factor": 0.5, "min_lr": 0.2, "reset_start": 3, "smooth": True,
     "window_size": 4},
])
@live
def test_greedy_matches_transformers(kw):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.5)
    theirs = transformers.get_scheduler("greedy", opt, scheduler_specific_kwargs=kw)
    ours = H.get_scheduler("greedy", scheduler_specific_kwargs=kw, lr=0.5)
    rng = np.random.default_rng(2)
    metrics = np.concatenate([np.linspace(1, 0.2, 25), 0.2 + 0.05 * rng.standard_normal(40),
                              np.linspace(0.2, 1.5, 25), np.linspace(1.5, 0.1, 20)])
    seen = set()
    for m in metrics:
        theirs.step(float(m))
        got = ours.step(float(m))
        assert got == opt.param_groups[0]["lr"]
        seen.add(got)
    assert len(seen) > 2  # the rate moved


@pytest.mark.parametrize("name, warm, total, extra", [
    ("linear", None, 10, {}),
    ("cosine", 5, None, {}),
    ("polynomial", 2, 10, {"lr_end": 0.5}),
    ("cosine_with_min_lr", 2, 10, {}),
    ("cosine_with_min_lr", 2, 10, {"min_lr": 0.1, "min_lr_rate": 0.1}),
    ("warmup_stable_decay", 2, None, {"num_decay_steps": 3}),
    ("warmup_stable_decay", 2, 10, {"num_decay_steps": 3, "decay_type": "exp"}),
    ("cosine_fast", 2, 10, {}),
])
@live
def test_bad_arguments_rejected_like_transformers(name, warm, total, extra):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            transformers.get_scheduler(name, opt, warm, total, scheduler_specific_kwargs=extra)
    with pytest.raises(ValueError) as info:
        H.get_scheduler(name, warm, total, extra, lr=0.1)
    msg = str(info.value)
    assert any(w in msg for w in ("num_warmup_steps", "num_training_steps", "lr_end", "min_lr",
                                  "decay_type", "name must be one of"))


@live
def test_torch_tensor_evaluation():
    for case in CASES:
        s = lrkit.from_config(case["config"])
        out = s(torch.arange(0, 80, dtype=torch.float64))
        assert out.dtype == torch.float64
        _assert_rel(out.numpy(), s.curve(80), rtol=1e-13)
