"""Porting is a rename: the peer's scheduler and lrkit's Scheduler with the lrkit dialect, side by
side on real optimizers with several param groups of different initial rates, every group's lr
compared at every step (relative 1e-12)."""

from __future__ import annotations

import copy
import importlib.util
import math
import warnings

import pytest

torch = pytest.importorskip("torch")

import lrkit  # noqa: E402
from lrkit.compat import deepspeed as DS  # noqa: E402
from lrkit.compat import timm as TM  # noqa: E402
from lrkit.compat import torch as C  # noqa: E402
from lrkit.compat import transformers as H  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402
from tests.compat import _golden  # noqa: E402

L = torch.optim.lr_scheduler
RTOL = 1e-12


def _optimizer(kind: str = "sgd", lr: float = 0.1) -> torch.optim.Optimizer:
    """Three groups: the default rate, an own rate 10x lower, an own rate 3x higher."""
    torch.manual_seed(0)
    ps = [torch.nn.Parameter(torch.randn(3)) for _ in range(3)]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": lr / 10}, {"params": [ps[2]],
                                                                         "lr": lr * 3}]
    if kind == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    return torch.optim.SGD(groups, lr=lr, momentum=0.9)


def _train_side_by_side(build_peer, build_ours, n, kind="sgd", lr=0.1, step_peer=None):
    """Rates of every group at every step: the peer's scheduler on one optimizer, lrkit's
    Scheduler with the ported schedule on an identical copy."""
    opt_a = _optimizer(kind, lr)
    opt_b = copy.deepcopy(opt_a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "step order" warnings
        peer = build_peer(opt_a)
        ours = Scheduler(opt_b, build_ours(opt_b))
        theirs_seen, ours_seen = [], []
        for t in range(n):
            theirs_seen.append([g["lr"] for g in opt_a.param_groups])
            ours_seen.append([g["lr"] for g in opt_b.param_groups])
            opt_a.step()
            opt_b.step()
            (step_peer or (lambda s, i: s.step()))(peer, t + 1)
            ours.step()
    for t, (a, b) in enumerate(zip(theirs_seen, ours_seen)):
        for gi, (x, y) in enumerate(zip(a, b)):
            assert math.isclose(x, y, rel_tol=RTOL, abs_tol=1e-300), (t, gi, x, y)
    return ours_seen


# -- the reported trap --------------------------------------------------------------------------
def test_hf_schedule_without_a_rate_scales_the_optimizer_rate_not_one():
    opt = _optimizer("adamw", 3e-4)
    s = H.get_scheduler("cosine", num_warmup_steps=10, num_training_steps=100)
    sched = Scheduler(opt, s)
    for _ in range(10):
        opt.step()
        sched.step()
    # the peak is each group's own rate (was 1.0 in every group: the factory's lr=1.0, absolute)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([3e-4, 3e-5, 9e-4], rel=1e-12)
    assert s.relative and "relative=True" in repr(s)


def test_absolute_schedule_far_above_the_optimizer_rate_warns():
    opt = _optimizer("adamw", 1e-3)
    with pytest.warns(UserWarning, match="more than 10x above the optimizer's own rate"):
        Scheduler(opt, H.get_scheduler("cosine", num_warmup_steps=10, num_training_steps=100,
                                       lr=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Scheduler(_optimizer("adamw", 1e-3), H.get_scheduler("cosine", num_warmup_steps=10,
                                                             num_training_steps=100, lr=1e-3))
        Scheduler(_optimizer("adamw", 1e-3), H.get_scheduler("cosine", num_warmup_steps=10,
                                                             num_training_steps=100))


def test_past_the_horizon_warns_once():
    opt = _optimizer()
    sched = Scheduler(opt, H.get_linear_schedule_with_warmup(opt, 2, 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(9):
            sched.step()
    past = [w for w in caught if "past the horizon" in str(w.message)]
    assert len(past) == 1 and "step 6" in str(past[0].message)


# -- transformers ----------------------------------------------------------------------------------
HAS_HF = importlib.util.find_spec("transformers") is not None

HF_CASES = [
    ("linear", {}),
    ("cosine", {"num_cycles": 0.7}),
    ("cosine_with_restarts", {"num_cycles": 3}),
    ("polynomial", {"lr_end": 1e-4, "power": 2.0}),
    ("constant", {}),
    ("constant_with_warmup", {}),
    ("inverse_sqrt", {"timescale": 7}),
    ("cosine_with_min_lr", {"min_lr": 1e-3}),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.05}),
    ("warmup_stable_decay", {"num_decay_steps": 8}),
]


@pytest.mark.skipif(not HAS_HF, reason="transformers is not installed")
@pytest.mark.parametrize("name, kw", HF_CASES, ids=[c[0] for c in HF_CASES])
def test_hf_get_scheduler_is_a_rename(name, kw):
    import transformers

    args = dict(num_warmup_steps=5, num_training_steps=40, scheduler_specific_kwargs=kw)
    _train_side_by_side(lambda o: transformers.get_scheduler(name, o, **args),
                        lambda o: H.get_scheduler(name, o, **args), 50, "adamw", 2e-3)


@pytest.mark.skipif(not HAS_HF, reason="transformers is not installed")
def test_hf_helpers_are_renames():
    import transformers

    pairs = [
        ("get_cosine_schedule_with_warmup", (4, 30), {"num_cycles": 0.5}),
        ("get_linear_schedule_with_warmup", (4, 30), {}),
        ("get_polynomial_decay_schedule_with_warmup", (4, 30), {"lr_end": 1e-5}),
        ("get_constant_schedule_with_warmup", (4,), {}),
        ("get_wsd_schedule", (4, 10, 30), {}),
    ]
    for fn, args, kw in pairs:
        _train_side_by_side(lambda o, fn=fn, a=args, k=kw: getattr(transformers, fn)(o, *a, **k),
                            lambda o, fn=fn, a=args, k=kw: getattr(H, fn)(o, *a, **k), 36,
                            "adamw", 1e-3)


# -- torch ------------------------------------------------------------------------------------------
TORCH_CASES = {
    "StepLR": (lambda o: L.StepLR(o, 4, 0.5), lambda o: C.StepLR(o, 4, 0.5)),
    "MultiStepLR": (lambda o: L.MultiStepLR(o, [3, 9], 0.3),
                    lambda o: C.MultiStepLR(o, milestones=[3, 9], gamma=0.3)),
    "ExponentialLR": (lambda o: L.ExponentialLR(o, 0.9), lambda o: C.ExponentialLR(o, 0.9)),
    "CosineAnnealingLR": (lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
                          lambda o: C.CosineAnnealingLR(o, T_max=10, eta_min=1e-3)),
    "CosineAnnealingWarmRestarts": (lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2, 1e-3),
                                    lambda o: C.CosineAnnealingWarmRestarts(o, 3, 2, 1e-3)),
    "LinearLR": (lambda o: L.LinearLR(o, 0.1, 1.0, 6), lambda o: C.LinearLR(o, 0.1, 1.0, 6)),
    "ConstantLR": (lambda o: L.ConstantLR(o, 0.5, 4), lambda o: C.ConstantLR(o, 0.5, 4)),
    "PolynomialLR": (lambda o: L.PolynomialLR(o, 12, 2.0), lambda o: C.PolynomialLR(o, 12, 2.0)),
    "LambdaLR": (lambda o: L.LambdaLR(o, lambda e: 1 / (1 + e)),
                 lambda o: C.LambdaLR(o, lambda e: 1 / (1 + e))),
    "MultiplicativeLR": (lambda o: L.MultiplicativeLR(o, lambda e: 0.95),
                         lambda o: C.MultiplicativeLR(o, lambda e: 0.95)),
    "SequentialLR": (
        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.01, total_iters=5),
                                     L.CosineAnnealingLR(o, T_max=15)], milestones=[5]),
        lambda o: C.SequentialLR(o, [C.LinearLR(o, 0.01, total_iters=5),
                                     C.CosineAnnealingLR(o, T_max=15)], milestones=[5])),
    "ChainedScheduler": (
        lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.1, 3), L.ExponentialLR(o, 0.9)]),
        lambda o: C.ChainedScheduler([C.ConstantLR(o, 0.1, 3), C.ExponentialLR(o, 0.9)])),
    "OneCycleLR": (lambda o: L.OneCycleLR(o, max_lr=0.5, total_steps=30),
                   lambda o: C.OneCycleLR(o, max_lr=0.5, total_steps=30)),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_torch_classes_are_renames(name):
    peer, ours = TORCH_CASES[name]
    _train_side_by_side(peer, ours, 30)


def test_torch_keyword_optimizer_and_lr_are_exclusive():
    opt = _optimizer()
    assert C.StepLR(optimizer=opt, step_size=3) == C.StepLR(opt, 3)
    with pytest.raises(TypeError, match="optimizer or lr=, not both"):
        C.StepLR(opt, step_size=3, lr=0.1)
    with pytest.raises(ValueError, match="all take the optimizer's rate"):
        C.SequentialLR([C.StepLR(opt, 3), C.StepLR(0.1, 3)], milestones=[2])


# -- timm -------------------------------------------------------------------------------------------
HAS_TIMM = importlib.util.find_spec("timm") is not None
GEN = _golden.generator("timm")


def _timm_factory():
    GEN.timm_module("cosine_lr")
    return GEN.timm_module("scheduler_factory")


TIMM_KW = [
    {"sched": "cosine", "num_epochs": 5, "warmup_epochs": 1, "warmup_lr": 1e-4, "min_lr": 1e-3},
    {"sched": "step", "num_epochs": 5, "decay_epochs": 2, "decay_rate": 0.5, "warmup_epochs": 1},
    {"sched": "poly", "num_epochs": 5, "decay_rate": 2.0, "min_lr": 1e-4, "warmup_prefix": True,
     "warmup_epochs": 1},
    {"sched": "wsd", "num_epochs": 6, "warmup_epochs": 1},
]


@pytest.mark.skipif(not HAS_TIMM, reason="timm is not installed")
@pytest.mark.parametrize("kw", TIMM_KW, ids=[k["sched"] for k in TIMM_KW])
def test_timm_create_scheduler_v2_per_update_is_a_rename(kw):
    factory = _timm_factory()
    upe = 4
    kw = {**kw, "step_on_epochs": False, "updates_per_epoch": upe}
    _train_side_by_side(lambda o: factory.create_scheduler_v2(o, **kw)[0],
                        lambda o: TM.create_scheduler_v2(o, **kw)[0], 7 * upe,
                        step_peer=lambda s, t: s.step_update(t))


@pytest.mark.skipif(not HAS_TIMM, reason="timm is not installed")
def test_timm_updates_per_epoch_counts_updates_as_timm_train_py_steps_it():
    # step_on_epochs=True with updates_per_epoch: timm steps once per epoch (train.py), lrkit's
    # driver once per update; the run lasts num_epochs * updates_per_epoch updates, not
    # num_epochs (before: the whole cosine ran in num_epochs = 6 updates)
    factory = _timm_factory()
    upe, kw = 5, {"sched": "cosine", "num_epochs": 6, "warmup_epochs": 1, "min_lr": 1e-3}
    s, epochs = TM.create_scheduler_v2(0.1, updates_per_epoch=upe, **kw)
    # updates 5..9 are epoch 1 (near the peak), not past the end of a 6-step cosine
    assert epochs == 6 and s(5) == s(6) == s(9) > 0.09 and s(epochs * upe - 1) > 1e-3
    assert s.t_unit == "step" and "t counts steps" in repr(s) and s.horizon == 6 * upe

    def step_peer(sched, t):
        sched.step_update(t)
        if t % upe == 0:
            sched.step(t // upe)

    _train_side_by_side(lambda o: factory.create_scheduler_v2(o, **kw)[0],
                        lambda o: TM.create_scheduler_v2(o, updates_per_epoch=upe, **kw)[0],
                        epochs * upe + 3, step_peer=step_peer)
    alone, _ = TM.create_scheduler_v2(0.1, **kw)
    assert alone.t_unit == "epoch" and "t counts epochs" in repr(alone)


@pytest.mark.skipif(not HAS_TIMM, reason="timm is not installed")
def test_timm_layer_decay_groups_keep_their_lr_scale_and_lrkit_groups_are_not_scaled_twice():
    cosine_lr = GEN.timm_module("cosine_lr")
    kw = {"t_initial": 12, "lr_min": 1e-3, "warmup_t": 2, "warmup_lr_init": 1e-4,
          "t_in_epochs": False}

    def build(lr_in_group):
        torch.manual_seed(0)
        ps = [torch.nn.Parameter(torch.randn(2)) for _ in range(2)]
        g1 = {"params": [ps[1]], "lr_scale": 0.25}
        if lr_in_group:  # lrkit's groups: lr = base x lr_scale already
            g1["lr"] = 0.1 * 0.25
        return torch.optim.SGD([{"params": [ps[0]]}, g1], lr=0.1)

    # timm's layer-decay groups (rate = the default, multiplier in lr_scale)
    a, b = build(False), build(False)
    peer = cosine_lr.CosineLRScheduler(a, **kw)
    ours = Scheduler(b, TM.CosineLRScheduler(b, **kw))
    for t in range(16):
        assert [g["lr"] for g in b.param_groups] == pytest.approx(
            [g["lr"] for g in a.param_groups], rel=RTOL)
        peer.step_update(t + 1)
        ours.step()
    # lrkit's groups: the group's own rate is base x lr_scale, applied once
    c = build(True)
    ours = Scheduler(c, TM.CosineLRScheduler(c, **kw))
    ref = TM.CosineLRScheduler(0.1 * 0.25, **kw)
    for t in range(16):
        assert c.param_groups[1]["lr"] == pytest.approx(ref(t), rel=RTOL)
        ours.step()


# -- DeepSpeed --------------------------------------------------------------------------------------
HAS_DS = importlib.util.find_spec("deepspeed") is not None


@pytest.mark.skipif(not HAS_DS, reason="deepspeed is not installed")
@pytest.mark.parametrize("which", ["WarmupLR", "WarmupCosineLR"])
def test_deepspeed_is_a_rename(which):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from deepspeed.runtime import lr_schedules
    kw = ({"warmup_num_steps": 6, "warmup_type": "linear"} if which == "WarmupLR" else
          {"total_num_steps": 20, "warmup_num_steps": 4, "cos_min_ratio": 0.1})
    _train_side_by_side(lambda o: getattr(lr_schedules, which)(o, **kw),
                        lambda o: getattr(DS, which)(o, **kw), 24)


# -- relative schedules: config, resume ------------------------------------------------------------
def test_relative_schedule_round_trips_through_a_config():
    opt = _optimizer()
    for s in (H.get_scheduler("cosine", opt, 3, 30), C.StepLR(opt, 4),
              TM.CosineLRScheduler(opt, t_initial=10), DS.WarmupCosineLR(opt, total_num_steps=9),
              H.get_scheduler("linear", num_warmup_steps=3, num_training_steps=30)):
        cfg = s.to_config()
        assert cfg["relative"] is True
        back = lrkit.from_config(cfg)
        assert back == s and back.relative
    assert "relative" not in C.StepLR(0.1, 4).to_config()


def test_relative_resume_from_the_optimizer_state_is_exact():
    opt = _optimizer("adamw", 1e-3)
    s = H.get_scheduler("cosine", opt, 5, 40)
    sched = Scheduler(opt, s)
    for _ in range(17):
        opt.step()
        sched.step()
    state, sstate = opt.state_dict(), sched.state_dict()
    assert [g["initial_lr"] for g in opt.param_groups] == pytest.approx([1e-3, 1e-4, 3e-3])
    fresh = _optimizer("adamw", 5.0)  # a different rate in code: the checkpoint's rates win
    fresh.load_state_dict(state)
    resumed = Scheduler(fresh, s)
    resumed.load_state_dict(sstate)
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in opt.param_groups]


def test_relative_rules_only_for_lr_and_not_inside_a_plateau():
    opt = _optimizer()
    with pytest.raises(ValueError, match="drive 'lr' only"):
        Scheduler(opt, {"lr": 0.1, "momentum": C.StepLR(opt, 3)})
    from lrkit.plateau import OnPlateau

    with pytest.raises(ValueError, match="OnPlateau around a relative"):
        Scheduler(opt, OnPlateau(C.StepLR(opt, 3)))
