"""lrkit.torch.Scheduler: behaviours the mutation run of src/lrkit/torch/scheduler.py showed
unchecked (argument and group checks with their exact messages, the porting warning's threshold,
device-side writes, decoupled weight decay, relative rules, resuming). Expected values are worked
out by hand from the schedules' formulas or taken from torch itself."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lrkit  # noqa: E402
from lrkit import Constant, Cosine, Linear  # noqa: E402
from lrkit.compat import torch as C  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402


def exactly(msg: str) -> str:
    """A ``match`` pattern for the whole message ``msg``."""
    return "^" + re.escape(msg) + "$"


def params(n: int = 1) -> list:
    return [torch.nn.Parameter(torch.ones(2)) for _ in range(n)]


def sgd(lr: float = 0.1, **kw) -> torch.optim.SGD:
    return torch.optim.SGD(params(), lr=lr, **kw)


def cos(n: int, peak: float = 0.1, steps: int = 10) -> float:
    """Cosine(peak, steps) by hand: peak (1 + cos(pi n / steps)) / 2."""
    return peak * (1 + math.cos(math.pi * min(n, steps) / steps)) / 2


# -- construction: every argument check, with its message -------------------------------------------
def test_optimizer_must_be_an_optimizer():
    with pytest.raises(TypeError, match=exactly(
            "Scheduler: optimizer must be a torch.optim.Optimizer, got dict")):
        Scheduler({"lr": 0.1}, Constant(0.1))


def test_metric_reduce_choices_and_none():
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: metric_reduce must be one of 'mean', 'sum', 'max', 'min', got 'median'")):
        Scheduler(sgd(), Constant(0.1), metric_reduce="median")
    for ok in ("mean", "sum", "max", "min", None):
        opt = sgd()
        Scheduler(opt, Constant(0.2), metric_reduce=ok)
        assert opt.param_groups[0]["lr"] == 0.2


def test_optimizer_without_groups_is_refused():
    opt = sgd()
    opt.param_groups.clear()
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: optimizer must have at least one param group, got none")):
        Scheduler(opt, Constant(0.1))


def test_groups_removed_after_construction_are_refused_at_the_next_step():
    opt = sgd()
    s = Scheduler(opt, Constant(0.1))
    opt.param_groups.clear()
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: optimizer must have at least one param group, got none")):
        s.step()


@pytest.mark.parametrize("name", ["cycle_momentum", "skip_unstepped", "metric_required", "device_side"])
def test_flags_must_be_booleans(name):
    with pytest.raises(TypeError, match=exactly(f"Scheduler: {name} must be True or False, got 1")):
        Scheduler(sgd(), Constant(0.1), **{name: 1})


def test_start_step_is_checked_and_applied():
    with pytest.raises(ValueError, match=exactly("Scheduler: step must be >= 0, got -1")):
        Scheduler(sgd(), Cosine(0.1, 10), step=-1)
    with pytest.raises(TypeError, match=re.escape("Scheduler: step must be an integer, got 2.5")):
        Scheduler(sgd(), Cosine(0.1, 10), step=2.5)
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 10), step=4)
    assert s.last_epoch == 4
    assert opt.param_groups[0]["lr"] == pytest.approx(cos(4), rel=1e-12)
    assert s.base_lrs == [opt.param_groups[0]["lr"]]
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(cos(5), rel=1e-12)


def test_device_side_refuses_plateaus_decoupled_decay_and_skip_unstepped():
    def opt_t():
        return torch.optim.AdamW(params(), lr=torch.tensor(0.1))

    with pytest.raises(ValueError, match=exactly(
            "Scheduler: device_side=True cannot drive a plateau part (its metric lives on the host); "
            "use device_side=False")):
        Scheduler(opt_t(), OnPlateau(Constant(0.1)), device_side=True)
    msg = exactly("Scheduler: device_side=True does not support decoupled_weight_decay or skip_unstepped")
    with pytest.raises(ValueError, match=msg):
        Scheduler(opt_t(), Cosine(0.1, 10), device_side=True, skip_unstepped=True)
    with pytest.raises(ValueError, match=msg):
        Scheduler(opt_t(), Cosine(0.1, 10), device_side=True, decoupled_weight_decay=0.01)


def test_device_side_needs_tensor_values():
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: device_side=True needs tensor values, but param group 0 ('group0') has a "
            "Python number for 'lr'; build the optimizer with e.g. lr=torch.tensor(0.25)")):
        Scheduler(sgd(0.25), Cosine(0.1, 10), device_side=True)


# -- the porting warning: an absolute schedule far above the group's rate ----------------------------
def _warnings_of(build) -> list[str]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        build()
    return [str(w.message) for w in rec if issubclass(w.category, UserWarning)]


def test_far_above_warns_strictly_above_ten_times():
    assert _warnings_of(lambda: Scheduler(sgd(0.01), Constant(0.1))) == []  # exactly 10x
    got = _warnings_of(lambda: Scheduler(sgd(0.01), Constant(0.1001)))
    assert len(got) == 1
    assert got[0].startswith("Scheduler: the lr schedule is absolute (its values replace each group's "
                             "rate) and peaks more than 10x above the optimizer's own rate: "
                             "group 0 ('group0'): peak 0.1001 vs lr 0.01. If it was ported from a "
                             "library that multiplies the optimizer's rate (torch LambdaLR, ")
    assert got[0].endswith("if the peak is meant, construct the optimizer with that rate.")


def test_far_above_lists_every_group_with_its_name_and_uses_lr_scale_and_initial_lr():
    a, b, c = params(3)
    opt = torch.optim.SGD([{"params": [a], "name": "body"},  # 1.0 vs 0.05: warned
                           {"params": [b], "lr": 0.5},  # 1.0 vs 0.5: not warned
                           {"params": [c], "lr": 0.5, "lr_scale": 6.0}],  # 6.0 vs 0.5: warned
                          lr=0.05)
    got = _warnings_of(lambda: Scheduler(opt, Constant(1.0)))
    assert len(got) == 1
    assert "rate: group 0 ('body'): peak 1 vs lr 0.05; group 2 ('group2'): peak 6 vs lr 0.5. If" in got[0]
    # the rate a group started at (initial_lr) is its own rate, not the current lr
    opt = sgd(5.0)
    opt.param_groups[0]["initial_lr"] = 0.01
    got = _warnings_of(lambda: Scheduler(opt, Constant(1.0)))
    assert len(got) == 1 and "group 0 ('group0'): peak 1 vs lr 0.01." in got[0]


def test_far_above_is_silent_for_zero_rate_relative_rules_other_keys_and_bad_scales():
    assert _warnings_of(lambda: Scheduler(sgd(0.0), Constant(1.0))) == []
    assert _warnings_of(lambda: Scheduler(sgd(0.001), C.StepLR(None, 3))) == []
    assert _warnings_of(lambda: Scheduler(sgd(0.001, momentum=0.9), {"momentum": 0.95})) == []
    opt = sgd(0.01)
    opt.param_groups[0]["lr_scale"] = "x"  # not a number: skipped here (the group check names it)
    assert _warnings_of(lambda: _try(Scheduler, opt, Constant(1.0))) == []
    # a group without an lr rule (the plan names only another group) is skipped
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "name": "head"}, {"params": [b], "name": "body", "lr": 1e-4}],
                          lr=0.5, momentum=0.9)
    plan, per_group = {"momentum": 0.95}, {"head": {"lr": Constant(1.0)}}
    assert _warnings_of(lambda: Scheduler(opt, plan, groups=per_group)) == []
    assert opt.param_groups[1]["lr"] == 1e-4 and opt.param_groups[0]["lr"] == 1.0


def _try(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except (TypeError, ValueError):
        return None


# -- matching the plan to the groups --------------------------------------------------------------
def test_plan_key_missing_from_a_group_names_the_keys():
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: plan key 'momentum' is not a hyperparameter of param group 0 ('group0'); "
            "the groups have: dampening, lr, momentum, weight_decay")) as e:
        opt = sgd()
        del opt.param_groups[0]["momentum"]
        opt.param_groups[0]["dampening"] = 0.0
        opt.param_groups[0]["lr"] = 0.1
        opt.param_groups.append({"params": params(), "lr": 0.1, "momentum": 0.0, "dampening": 0.0,
                                 "weight_decay": 0.0})
        Scheduler(opt, {"lr": 0.1, "momentum": 0.9})
    assert e.type is ValueError


def test_value_that_is_not_a_number_is_a_type_error():
    opt = sgd(momentum=0.9)
    opt.param_groups[0]["momentum"] = "fast"
    with pytest.raises(TypeError, match=exactly(
            "Scheduler: param group 0 ('group0') has momentum='fast', which is not a number or a "
            "one-element tensor")):
        Scheduler(opt, {"lr": 0.1, "momentum": 0.9})
    opt = torch.optim.Adam(params(), lr=0.1)
    opt.param_groups[0]["betas"] = ("a", "b")
    with pytest.raises(TypeError, match=exactly(
            "Scheduler: param group 0 ('group0') has betas=('a', 'b'), which is not a number or a "
            "one-element tensor pair")):
        Scheduler(opt, {"lr": 0.1, "betas": (0.9, 0.99)})


def test_negative_scale_names_the_group_and_key():
    opt = sgd(momentum=0.9)
    opt.param_groups[0]["momentum_scale"] = -0.5
    with pytest.raises(ValueError, match=exactly("Scheduler: param group 0 momentum_scale must be >= 0, "
                                                 "got -0.5")):
        Scheduler(opt, {"momentum": 0.9})


def test_groups_sharing_a_rule_keep_their_own_scales():
    a, b, c = params(3)
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr_scale": 0.5},
                           {"params": [c], "lr_scale": 2.0}], lr=0.1)
    s = Scheduler(opt, Cosine(0.1, 10))
    for n in range(12):
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [cos(n), 0.5 * cos(n), 2.0 * cos(n)], rel=1e-12, abs=1e-18)
        opt.step()
        s.step()


def test_named_group_rule_and_tensor_values_on_the_host():
    a, b = params(2)
    opt = torch.optim.Adam([{"params": [a], "name": "head", "lr": torch.tensor(0.3)},
                            {"params": [b], "betas": (torch.tensor(0.9), 0.999)}], lr=0.1)
    t_lr, t_b1 = opt.param_groups[0]["lr"], opt.param_groups[1]["betas"][0]
    s = Scheduler(opt, {"lr": Cosine(0.1, 10), "betas": (Linear(0.9, 0.5, 10), 0.99)},
                  groups={"head": {"lr": Constant(0.02)}})
    for n in range(4):
        g0, g1 = opt.param_groups
        assert g0["lr"] is t_lr and float(t_lr) == pytest.approx(0.02, rel=1e-6)
        assert g1["lr"] == pytest.approx(cos(n), rel=1e-12)
        assert g1["betas"][0] is t_b1 and float(t_b1) == pytest.approx(0.9 - 0.04 * n, rel=1e-6)
        assert g1["betas"][1] == 0.99 and g0["betas"][0] == pytest.approx(0.9 - 0.04 * n)
        opt.step()
        s.step()


# -- relative rules (the rate comes from the group) -------------------------------------------------
def test_relative_rule_scales_each_groups_own_rate_and_keeps_initial_lr():
    a, b, c = params(3)
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.02},
                           {"params": [c], "lr_scale": 0.25}], lr=0.1)
    s = Scheduler(opt, C.StepLR(None, 3, gamma=0.5))
    # torch's StepLR on the same groups is the oracle for the first two; the third group has the
    # optimizer's default rate and its multiplier only in lr_scale (timm's layer decay)
    ref_opt = torch.optim.SGD([{"params": params()}, {"params": params(), "lr": 0.02}], lr=0.1)
    ref = torch.optim.lr_scheduler.StepLR(ref_opt, 3, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02, 0.1]
    for _ in range(8):
        want = [g["lr"] for g in ref_opt.param_groups]
        got = [g["lr"] for g in opt.param_groups]
        assert got == pytest.approx([*want, 0.25 * want[0]], rel=1e-12)
        opt.step()
        s.step()
        ref_opt.step()
        ref.step()


def test_relative_rule_with_own_rate_and_lr_scale_is_not_scaled_twice():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "lr": 0.025, "lr_scale": 0.25},
                           {"params": [b], "lr_scale": 0.5}], lr=0.1)
    s = Scheduler(opt, C.StepLR(None, 2, gamma=0.1))
    for n in range(5):
        f = 0.1 ** (n // 2)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.025 * f, 0.05 * f], rel=1e-12)
        opt.step()
        s.step()


def test_relative_rule_keeps_a_tensor_initial_lr_as_a_copy():
    opt = torch.optim.SGD(params(), lr=torch.tensor(0.4))
    Scheduler(opt, C.StepLR(None, 1, gamma=0.5))
    g = opt.param_groups[0]
    assert isinstance(g["initial_lr"], torch.Tensor) and g["initial_lr"] is not g["lr"]
    assert float(g["initial_lr"]) == pytest.approx(0.4) and float(g["lr"]) == pytest.approx(0.4)


def test_absolute_rule_sets_no_initial_lr():
    opt = sgd()
    Scheduler(opt, Cosine(0.1, 10))
    assert "initial_lr" not in opt.param_groups[0]


def test_relative_rule_needs_a_finite_non_negative_rate():
    for bad in (math.nan, math.inf, -0.1):
        opt = sgd()
        opt.param_groups[0]["initial_lr"] = bad
        with pytest.raises(ValueError, match=exactly(
                f"Scheduler: param group 0 ('group0') has initial lr {bad!r}; a relative schedule "
                f"needs a finite rate >= 0")):
            Scheduler(opt, C.StepLR(None, 3))


def test_relative_rule_at_rate_zero_is_accepted():
    opt = sgd(0.0)
    s = Scheduler(opt, C.StepLR(None, 3))
    s.step()
    assert opt.param_groups[0]["lr"] == 0.0


# -- decoupled weight decay --------------------------------------------------------------------------
def adamw(lr=0.1, **kw):
    return torch.optim.AdamW(params(), lr=lr, **kw)


def test_decoupled_weight_decay_is_lambda_over_the_peak():
    # shrink per step = lam * r(n) / peak and the optimizer shrinks by lr * wd, lr = r(n):
    # wd = lam / peak while r(n) > 0, and 0 once r(n) = 0
    opt = adamw()
    s = Scheduler(opt, Cosine(0.1, 10), decoupled_weight_decay=0.01)
    for n in range(12):
        want = 0.0 if n >= 10 else 0.01 / 0.1
        assert opt.param_groups[0]["weight_decay"] == pytest.approx(want, rel=1e-12)
        assert s.values()["weight_decay/group0"] == pytest.approx(want, rel=1e-12)
        opt.step()
        s.step()


def test_decoupled_weight_decay_with_scales_and_a_schedule():
    a, b = params(2)
    opt = torch.optim.AdamW([{"params": [a], "lr_scale": 0.5, "weight_decay_scale": 2.0},
                             {"params": [b]}], lr=0.1)
    s = Scheduler(opt, Cosine(0.2, 10), decoupled_weight_decay=0.02)
    for _ in range(3):  # lr = 0.5 r: wd = 0.02 (r / 0.2) 2 / (0.5 r) = 0.4; group 1: 0.1
        assert [g["weight_decay"] for g in opt.param_groups] == pytest.approx([0.4, 0.1], rel=1e-12)
        opt.step()
        s.step()
    opt = adamw()
    s = Scheduler(opt, Constant(0.5), decoupled_weight_decay=Linear(0.01, 0.0, 10))
    for n in range(4):  # the schedule is the shrink: wd = shrink / lr
        assert opt.param_groups[0]["weight_decay"] == pytest.approx((0.01 - 0.001 * n) / 0.5, rel=1e-12)
        opt.step()
        s.step()


def test_decoupled_weight_decay_with_a_relative_rule():
    a, b = params(2)
    opt = torch.optim.AdamW([{"params": [a]}, {"params": [b], "lr_scale": 0.5}], lr=0.1)
    s = Scheduler(opt, C.StepLR(None, 2, gamma=0.5), decoupled_weight_decay=0.03)
    # the rule's peak is the group's rate: shrink = 0.03 f, lr = 0.1 f (x 0.5 for the default-rate
    # group with lr_scale): wd = 0.3 and 0.6
    for _ in range(5):
        assert [g["weight_decay"] for g in opt.param_groups] == pytest.approx([0.3, 0.6], rel=1e-12)
        opt.step()
        s.step()


def test_decoupled_weight_decay_checks():
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: give either plan['weight_decay'] or decoupled_weight_decay, not both")):
        Scheduler(adamw(), {"lr": 0.1, "weight_decay": 0.01}, decoupled_weight_decay=0.01)
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: decoupled_weight_decay follows the lr schedule's multiplier; the plan must "
            "schedule 'lr'")):
        Scheduler(sgd(momentum=0.9), {"momentum": 0.9}, decoupled_weight_decay=0.01)
    with pytest.raises(ValueError, match=exactly("Scheduler: decoupled_weight_decay must be >= 0, got -0.1")):
        Scheduler(adamw(), Constant(0.1), decoupled_weight_decay=-0.1)
    with pytest.raises(ValueError, match=re.escape(
            "Scheduler: decoupled_weight_decay needs an lr schedule with a positive peak, got peak 0.0 "
            "for Constant(value=0.0)")):
        Scheduler(adamw(), Constant(0.0), decoupled_weight_decay=0.01)
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: the schedule for 'decoupled_weight_decay' must be finite and >= 0 at every "
            "step, got np.float64(-0.01) at step 2")):
        Scheduler(adamw(), Constant(0.1), decoupled_weight_decay=_Affine(0.01, -0.01))


def test_decoupled_weight_decay_group_checks():
    opt = adamw()
    del opt.param_groups[0]["weight_decay"]
    with pytest.raises(ValueError, match=re.escape(
            "Scheduler: decoupled_weight_decay needs 'weight_decay' in param group 0; the groups have: ")):
        Scheduler(opt, Constant(0.1), decoupled_weight_decay=0.01)
    opt = torch.optim.Adam(params(), lr=0.1, decoupled_weight_decay=False)
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: decoupled_weight_decay needs an optimizer that shrinks weights by lr * "
            "weight_decay (AdamW or Adam(decoupled_weight_decay=True)); param group 0 ('group0') "
            "uses L2 weight decay")):
        Scheduler(opt, Constant(0.1), decoupled_weight_decay=0.01)
    opt = torch.optim.Adam(params(), lr=0.1, decoupled_weight_decay=True)
    Scheduler(opt, Constant(0.1), decoupled_weight_decay=0.01)
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(0.1)
    opt = adamw()
    opt.param_groups[0]["weight_decay"] = "x"
    with pytest.raises(TypeError, match=exactly(
            "Scheduler: param group 0 weight_decay must be a number or a one-element tensor, got 'x'")):
        Scheduler(opt, Constant(0.1), decoupled_weight_decay=0.01)
    opt = adamw()
    opt.param_groups[0]["weight_decay_scale"] = -1.0
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: param group 0 weight_decay_scale must be >= 0, got -1.0")):
        Scheduler(opt, Constant(0.1), decoupled_weight_decay=0.01)


def test_decoupled_weight_decay_skips_groups_without_an_lr_rule():
    a, b = params(2)
    opt = torch.optim.AdamW([{"params": [a], "name": "head", "weight_decay": 0.7},
                             {"params": [b], "name": "body"}], lr=0.1)
    del opt.param_groups[0]["weight_decay"]
    Scheduler(opt, {"betas": (0.9, 0.99)}, groups={"body": {"lr": Constant(0.1)}},
              decoupled_weight_decay=0.01)
    assert "weight_decay" not in opt.param_groups[0]
    assert opt.param_groups[1]["weight_decay"] == pytest.approx(0.1)


# -- device side (CPU tensors) ---------------------------------------------------------------------
def test_device_side_writes_scaled_values_in_place():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "lr": torch.tensor(0.1)},
                           {"params": [b], "lr": torch.tensor(0.1), "lr_scale": 0.5}], lr=0.1)
    tensors = [g["lr"] for g in opt.param_groups]
    s = Scheduler(opt, Cosine(0.1, 10), device_side=True)
    for n in range(11):
        assert s.last_epoch == n
        assert [g["lr"] for g in opt.param_groups] == tensors  # same objects
        assert [float(t) for t in tensors] == pytest.approx([cos(n), 0.5 * cos(n)], rel=1e-6, abs=1e-9)
        opt.step()
        s.step()


def test_device_side_betas_set_step_sync_and_new_groups():
    a, b = params(2)
    opt = torch.optim.Adam([{"params": [a]}], lr=torch.tensor(0.1),
                           betas=(torch.tensor(0.9), torch.tensor(0.999)))
    s = Scheduler(opt, {"lr": Cosine(0.1, 10), "betas": (Linear(0.9, 0.8, 10), 0.99)}, device_side=True)
    g = opt.param_groups[0]
    assert float(g["betas"][0]) == pytest.approx(0.9) and float(g["betas"][1]) == pytest.approx(0.99)
    s.set_step(5)
    assert s.last_epoch == 5 and s.state_dict()["step"] == 5
    assert float(g["lr"]) == pytest.approx(cos(5), rel=1e-6)
    assert float(g["betas"][0]) == pytest.approx(0.85, rel=1e-6)
    s.step()
    assert s.last_epoch == 6 and float(g["lr"]) == pytest.approx(cos(6), rel=1e-6)
    opt.add_param_group({"params": [b], "lr": torch.tensor(1.0), "lr_scale": 2.0,
                         "betas": (torch.tensor(0.5), torch.tensor(0.5))})
    s.step()
    g1 = opt.param_groups[1]
    assert float(g1["lr"]) == pytest.approx(2.0 * cos(7), rel=1e-6)
    assert float(g1["betas"][0]) == pytest.approx(0.83, rel=1e-6)
    g1["lr"].fill_(3.0)
    s.sync()
    assert float(g1["lr"]) == pytest.approx(2.0 * cos(7), rel=1e-6)
    with pytest.raises(ValueError, match=exactly("Scheduler: device_side=True takes no metric")):
        s.step(0.5)
    with pytest.raises(ValueError, match=exactly("Scheduler: device_side=True takes no metric")):
        s.observe(0.5)
    assert s.last_epoch == 7


# -- stepping modes ---------------------------------------------------------------------------------
def test_skip_unstepped_counts_only_after_an_optimizer_step():
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 10), skip_unstepped=True)
    s.step()
    s.step()
    assert s.last_epoch == 0 and opt.param_groups[0]["lr"] == pytest.approx(cos(0))
    opt.step()
    s.step()
    s.step()
    assert s.last_epoch == 1 and opt.param_groups[0]["lr"] == pytest.approx(cos(1), rel=1e-12)


def test_step_with_epoch_is_refused():
    with pytest.raises(TypeError, match=exactly(
            "Scheduler: step(epoch=...) is not supported (steps count optimizer updates); use "
            "set_step(n) to jump")):
        Scheduler(sgd(), Constant(0.1)).step(epoch=3)


def test_metric_without_plateau_and_missing_metric_when_required():
    s = Scheduler(sgd(), Constant(0.1))
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: step() got a metric (0.5) but the plan has no plateau part "
            "(lrkit.plateau.OnPlateau) to use it")):
        s.step(0.5)
    opt = sgd()
    s = Scheduler(opt, OnPlateau(Constant(0.1), patience=0), metric_required=True)
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: a plateau part is watching at step 1 and metric_required=True, but step() got "
            "no metric")):
        s.step()
    assert s.last_epoch == 0
    s.step(1.0)
    s.step(2.0)  # worse, patience 0: reduced by 0.1 for the next update
    assert s.last_epoch == 2 and opt.param_groups[0]["lr"] == pytest.approx(0.01, rel=1e-12)


def test_past_horizon_warns_once_with_the_step_and_horizon():
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 3))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(3):
            s.step()
        assert rec == []
        s.step()
        s.step()
    assert len(rec) == 1 and str(rec[0].message).startswith(
        "Scheduler: step 4 is past the horizon of Cosine(start=0.1, steps=3.0, end=0.0, alpha=None, "
        "exponent=1.0, k=1.0) (3 steps); the rate from here on")


# -- state dict ---------------------------------------------------------------------------------------
def test_load_state_dict_checks_with_messages():
    s = Scheduler(sgd(), Cosine(0.1, 10))
    for bad in ([("step", 3)], {"epoch": 3}):
        with pytest.raises(ValueError, match=exactly(
                f"Scheduler: state_dict must be a dict from Scheduler.state_dict() with a 'step', got "
                f"{bad!r}")):
            s.load_state_dict(bad)
    with pytest.raises(ValueError, match=exactly("Scheduler: state_dict['step'] must be >= 0, got -2")):
        s.load_state_dict({"step": -2})
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: state_dict has 1 plateau states but the plan has 0 plateau parts")):
        s.load_state_dict({"step": 2, "plateaus": [{}]})
    assert s.last_epoch == 0
    s.load_state_dict({"step": 3})  # no "plateaus": none expected
    assert s.last_epoch == 3


def test_load_state_dict_writes_into_groups_replaced_in_place():
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 10))
    old = opt.param_groups[0]
    new = dict(old)
    opt.param_groups[0] = new  # same list, same length: only a reload re-reads the groups
    s.load_state_dict({"step": 4, "plateaus": []})
    assert new["lr"] == pytest.approx(cos(4), rel=1e-12)


def test_load_state_dict_restores_the_plateau_states_when_it_fails():
    opt = sgd(momentum=0.9)
    s = Scheduler(opt, {"lr": OnPlateau(Constant(0.1), patience=0),
                        "momentum": OnPlateau(Constant(0.9), patience=0)})
    fresh = s.state_dict()
    s.step(1.0)
    s.step(2.0)  # worse, patience 0: both parts reduce by 0.1
    reduced = s.state_dict()
    assert reduced["plateaus"][0]["scale"] == pytest.approx(0.1)
    # the first state is fine, the second is not: the first part must not keep the new state
    with pytest.raises(ValueError):
        s.load_state_dict({"step": 0, "plateaus": [fresh["plateaus"][0], {"best": 1.0}]})
    assert s.state_dict() == reduced
    # set_step fails after the states loaded (a step past the checked range of a schedule that
    # goes negative): the states are restored too
    opt = sgd()
    s = Scheduler(opt, OnPlateau(_Affine(0.2, -1e-6)))
    other = Scheduler(sgd(), OnPlateau(_Affine(0.2, -1e-6), patience=3))
    other.step(1.0)
    other.step(2.0)
    before, changed = s.state_dict(), other.state_dict()
    assert changed["plateaus"] != before["plateaus"]
    with pytest.raises(ValueError, match="must be finite and >= 0"):
        s.load_state_dict({"step": 300_000, "plateaus": changed["plateaus"]})
    assert s.state_dict() == before
    s.load_state_dict({"step": 2, "plateaus": changed["plateaus"]})
    assert s.state_dict() == {**changed, "step": 2}
    assert opt.param_groups[0]["lr"] == pytest.approx(0.2 - 2e-6, rel=1e-12)


class _Affine(lrkit.Schedule):
    """a + b t: a user-written schedule free to go negative (the families refuse to)."""

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def _eval(self, t, ops):
        return self.a + self.b * t


# -- values past the checked range, the lookahead blocks, horizons ---------------------------------
class _Jump(lrkit.Schedule):
    """lo before step ``at``, hi from it on (no horizon: checked for CHECK_STEPS steps only)."""

    def __init__(self, lo: float, hi: float, at: int) -> None:
        self.lo, self.hi, self.at = lo, hi, at

    def _eval(self, t, ops):
        if isinstance(t, (int, float)):
            return self.hi if t >= self.at else self.lo
        return np.where(np.asarray(t) >= self.at, self.hi, self.lo)


def test_values_out_of_range_past_the_checked_steps_are_refused_with_the_step():
    opt = sgd()
    s = Scheduler(opt, _Jump(0.1, math.inf, 200_000))
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: the schedule for 'lr' must be finite and >= 0, got inf at step 300000; the "
            "optimizer was not modified")):
        s.set_step(300_000)
    assert opt.param_groups[0]["lr"] == 0.1 and s.last_epoch == 0
    opt = torch.optim.Adam(params(), lr=0.1)
    s = Scheduler(opt, {"betas": (_Jump(0.9, 1.0, 200_000), 0.99)})
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: the schedule for 'beta1' must be in [0, 1), got 1.0 at step 250000; the "
            "optimizer was not modified")):
        s.set_step(250_000)
    assert opt.param_groups[0]["betas"] == (0.9, 0.99)
    s.set_step(199_999)  # the lookahead block now holds step 200 000 (1.0): not read unchecked
    assert opt.param_groups[0]["betas"] == (0.9, 0.99)
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: the schedule for 'beta1' must be in [0, 1), got 1.0 at step 200000; the "
            "optimizer was not modified")):
        s.step()


def test_values_read_from_later_lookahead_blocks():
    # 512-step blocks: jump into the third block and step across the next boundary
    opt = sgd()
    steps = 4000
    s = Scheduler(opt, Cosine(0.1, steps))
    start = 2 * 512 + 500
    s.set_step(start)
    for n in range(start, start + 30):
        assert opt.param_groups[0]["lr"] == pytest.approx(cos(n, 0.1, steps), rel=1e-12)
        opt.step()
        s.step()
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, steps), metric_required=True)  # the general path
    s.set_step(start)
    for n in range(start, start + 30):
        assert opt.param_groups[0]["lr"] == pytest.approx(cos(n, 0.1, steps), rel=1e-12)
        s.step()


def test_groups_replaced_by_a_new_list_of_the_same_length_are_re_read():
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 10))
    opt.param_groups = [dict(g) for g in opt.param_groups]
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(cos(1), rel=1e-12)
    opt2 = sgd()
    s2 = Scheduler(opt2, Cosine(0.1, 10), metric_required=True)
    opt2.param_groups = [dict(g) for g in opt2.param_groups]
    s2.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(cos(1), rel=1e-12)


def test_sync_re_reads_a_group_replaced_in_place():
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 10), step=2)
    opt.param_groups[0] = {**opt.param_groups[0], "lr": 5.0}
    s.sync()
    assert opt.param_groups[0]["lr"] == pytest.approx(cos(2), rel=1e-12)


def test_horizon_warning_starts_after_the_last_step_on_every_path():
    def warned(run) -> list[str]:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            run()
        return [str(w.message) for w in rec]

    s = Scheduler(sgd(), Cosine(0.1, 3), metric_required=True)
    assert warned(lambda: [s.step() for _ in range(3)]) == []
    got = warned(s.step)
    assert len(got) == 1 and got[0].startswith("Scheduler: step 4 is past the horizon")
    s = Scheduler(sgd(), Cosine(0.1, 3))
    assert warned(lambda: s.set_step(3)) == []
    got = warned(lambda: s.set_step(5))
    assert len(got) == 1 and got[0].startswith("Scheduler: step 5 is past the horizon")
    # the shortest horizon of the plan is the one warned about
    opt = sgd(momentum=0.9)
    s = Scheduler(opt, {"lr": Cosine(0.1, 5), "momentum": Linear(0.9, 0.8, 3)})
    got = warned(lambda: s.set_step(4))
    assert len(got) == 1 and "Linear(" in got[0] and "(3 steps)" in got[0]


def test_host_tensor_values_get_their_scale():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "lr": torch.tensor(0.1), "lr_scale": 0.5},
                           {"params": [b], "lr": torch.tensor(0.1)}], lr=0.1)
    s = Scheduler(opt, Cosine(0.1, 10))
    for n in range(3):
        assert [float(g["lr"]) for g in opt.param_groups] == pytest.approx(
            [0.5 * cos(n), cos(n)], rel=1e-6)
        opt.step()
        s.step()


def test_decoupled_weight_decay_under_a_plateau_rule():
    opt = adamw()
    s = Scheduler(opt, OnPlateau(Constant(0.1), patience=0), decoupled_weight_decay=0.01)
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(0.1, rel=1e-12)
    s.step(1.0)
    s.step(2.0)  # reduced: lr 0.01, shrink 0.01 x 0.01 / 0.1, wd = shrink / lr = 0.1 still
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01, rel=1e-12)
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(0.1, rel=1e-12)


def test_two_relative_rules_at_the_same_rate_stay_apart():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "name": "head"}, {"params": [b]}], lr=0.2)
    s = Scheduler(opt, C.StepLR(None, 2, gamma=0.5), groups={"head": {"lr": C.StepLR(None, 1, gamma=0.1)}})
    for n in range(4):
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [0.2 * 0.1 ** n, 0.2 * 0.5 ** (n // 2)], rel=1e-12)
        opt.step()
        s.step()


def test_relative_rule_default_rate_group_with_lr_scale_two():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "lr_scale": 2.0}, {"params": [b], "lr": 0.05}], lr=0.1)
    s = Scheduler(opt, C.StepLR(None, 1, gamma=0.5))
    for n in range(3):
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [0.2 * 0.5 ** n, 0.05 * 0.5 ** n], rel=1e-12)
        opt.step()
        s.step()


def test_skip_unstepped_feeds_a_metric_without_counting():
    opt = sgd()
    s = Scheduler(opt, OnPlateau(Constant(0.1), patience=0), skip_unstepped=True)
    s.step(1.0)
    s.step(2.0)  # no optimizer step: observed (reduced) but not counted
    assert s.last_epoch == 0 and opt.param_groups[0]["lr"] == pytest.approx(0.01, rel=1e-12)
    opt.step()
    s.step()
    assert s.last_epoch == 1
    s.step()
    assert s.last_epoch == 1  # the flag was cleared by the counted step


def test_metric_required_only_when_a_plateau_part_is_watching():
    opt = sgd()
    s = Scheduler(opt, Cosine(0.1, 10), metric_required=True)  # no plateau part: nothing required
    s.step()
    assert s.last_epoch == 1 and opt.param_groups[0]["lr"] == pytest.approx(cos(1), rel=1e-12)
    s = Scheduler(sgd(), OnPlateau(Constant(0.1), patience=0))  # not required: taken when given
    s.step()
    assert s.last_epoch == 1


def test_a_failing_metric_restores_the_plateau_state():
    opt = sgd()
    s = Scheduler(opt, OnPlateau(Constant(0.1), patience=0))
    s.step(1.0)
    before = s.state_dict()
    with pytest.raises((TypeError, ValueError), match="^Scheduler: "):
        s.step("bad")
    assert s.state_dict() == before


def test_values_lists_each_group_and_beta_element():
    a, b = params(2)
    opt = torch.optim.Adam([{"params": [a], "name": "head"}, {"params": [b]}], lr=0.1)
    s = Scheduler(opt, {"lr": 0.1, "betas": (0.9, 0.95)})
    assert s.values() == {"lr/head": 0.1, "lr/group1": 0.1, "beta1/head": 0.9, "beta1/group1": 0.9,
                          "beta2/head": 0.95, "beta2/group1": 0.95}
    plan = {"lr": Constant(0.1), "beta1": Constant(0.9), "beta2": Constant(0.95)}
    assert repr(s) == f"Scheduler(step=0, plan={plan!r})"


def test_far_above_reads_each_groups_own_rule_and_goes_on_past_skipped_groups():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "name": "body"}, {"params": [b], "name": "head", "lr": 0.01}],
                          lr=0.5)
    got = _warnings_of(lambda: Scheduler(opt, Constant(0.1), groups={"head": {"lr": Constant(0.2)}}))
    assert len(got) == 1 and "rate: group 1 ('head'): peak 0.2 vs lr 0.01. If" in got[0]
    # a first group without an lr rule, then a far one
    opt = torch.optim.SGD([{"params": [a], "name": "body"}, {"params": [b], "name": "head", "lr": 0.01}],
                          lr=0.5, momentum=0.9)
    got = _warnings_of(lambda: Scheduler(opt, {"momentum": 0.9}, groups={"head": {"lr": Constant(0.2)}}))
    assert len(got) == 1 and "group 1 ('head'): peak 0.2" in got[0]
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.2]  # the group after the skipped one is set
    # a first group whose lr_scale is not a number, then a far one
    opt = torch.optim.SGD([{"params": [a], "lr_scale": "x"}, {"params": [b], "lr": 0.01}], lr=0.5)
    got = _warnings_of(lambda: _try(Scheduler, opt, Constant(0.2)))
    assert len(got) == 1 and "group 1 ('group1'): peak 0.2 vs lr 0.01." in got[0]


def test_equal_horizons_warn_about_the_first_schedule():
    s = Scheduler(sgd(momentum=0.9), {"lr": Cosine(0.1, 3), "momentum": Linear(0.9, 0.8, 3)})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        s.set_step(4)
    assert len(rec) == 1 and "horizon of Cosine(" in str(rec[0].message)


def test_one_plateau_part_used_twice_is_one_part():
    p = OnPlateau(Constant(0.1), patience=1)
    opt = torch.optim.SGD([{"params": params(), "name": "head"}, {"params": params()}], lr=0.1)
    s = Scheduler(opt, p, groups={"head": {"lr": p}})
    assert s.plateaus == [p] and len(s.state_dict()["plateaus"]) == 1
    s.step(1.0)
    s.step(2.0)  # one bad epoch, patience 1: no reduction (observed once per step)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.1]
    s.step(2.0)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01, 0.01], rel=1e-12)


def test_a_metric_step_that_fails_restores_the_plateau_state():
    opt = sgd()
    s = Scheduler(opt, OnPlateau(Constant(0.1), patience=0))
    s.step(1.0)
    before = s.state_dict()
    opt.add_param_group({"params": params(), "lr_scale": -1.0})  # refused when the groups are re-read
    with pytest.raises(ValueError, match=exactly("Scheduler: param group 1 lr_scale must be >= 0, got -1.0")):
        s.step(2.0)  # would reduce: the reduction is rolled back
    assert s.state_dict() == before


def test_set_step_is_checked():
    s = Scheduler(sgd(), Cosine(0.1, 10))
    with pytest.raises(ValueError, match=exactly("Scheduler: step must be >= 0, got -3")):
        s.set_step(-3)
    s.last_epoch = 4
    assert s.last_epoch == 4 and s.get_last_lr() == pytest.approx([cos(4)], rel=1e-12)


class _RelativeDrop(lrkit.Schedule):
    """A relative rule (the rate comes from the group) whose curve for a rate goes negative."""

    relative = True

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def _eval(self, t, ops):
        return 1.0 + 0.0 * t

    def for_rate(self, rate: float) -> lrkit.Schedule:
        return _Affine(rate, -rate * self.slope)


def test_a_relative_rule_bound_to_a_rate_is_checked_for_its_first_block():
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: the schedule for 'lr' must be finite and >= 0 at every step, got "
            "np.float64(-0.0010000000000000009) at step 101")):
        Scheduler(sgd(0.1), _RelativeDrop(0.01))
    opt = sgd(0.1)
    s = Scheduler(opt, _RelativeDrop(0.001))  # negative from step 1001, past the first block
    s.set_step(1000)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="must be finite and >= 0, got .* at step 1001"):
        s.step()


def test_device_side_re_reads_groups_replaced_by_a_new_list():
    opt = torch.optim.SGD(params(), lr=torch.tensor(0.1))
    s = Scheduler(opt, Cosine(0.1, 10), device_side=True)
    new = {**opt.param_groups[0], "lr": torch.tensor(7.0)}
    opt.param_groups = [new]  # a new list of the same length
    s.step()
    assert float(new["lr"]) == pytest.approx(cos(1), rel=1e-6)


def test_decoupled_weight_decay_relative_rule_on_groups_with_their_own_rates():
    a, b = params(2)
    opt = torch.optim.AdamW([{"params": [a], "lr": 0.02, "lr_scale": 0.5}, {"params": [b], "lr": 0.05}],
                            lr=0.1)
    s = Scheduler(opt, C.StepLR(None, 2, gamma=0.5), decoupled_weight_decay=0.03)
    # each group's rule is bound at its own rate (its peak), and lr_scale is already in that rate:
    # shrink = 0.03 f, lr = rate f: wd = 0.03 / 0.02 = 1.5 and 0.03 / 0.05 = 0.6
    for n in range(4):
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [0.02 * 0.5 ** (n // 2), 0.05 * 0.5 ** (n // 2)], rel=1e-12)
        assert [g["weight_decay"] for g in opt.param_groups] == pytest.approx([1.5, 0.6], rel=1e-12)
        opt.step()
        s.step()


def test_device_side_names_a_beta_given_as_a_number():
    opt = torch.optim.Adam(params(), lr=torch.tensor(0.1), betas=(0.85, 0.999))
    with pytest.raises(ValueError, match=exactly(
            "Scheduler: device_side=True needs tensor values, but param group 0 ('group0') has a "
            "Python number for 'beta1'; build the optimizer with e.g. lr=torch.tensor(0.85)")):
        Scheduler(opt, {"lr": Cosine(0.1, 10), "betas": (0.9, None)}, device_side=True)


def test_initial_lr_is_kept_only_for_groups_whose_own_rule_is_relative():
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "name": "head", "lr": 0.3}, {"params": [b]}], lr=0.1)
    s = Scheduler(opt, Constant(0.1), groups={"head": {"lr": C.StepLR(None, 1, gamma=0.5)}})
    assert opt.param_groups[0]["initial_lr"] == 0.3 and "initial_lr" not in opt.param_groups[1]
    s.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.15, 0.1], rel=1e-12)


def test_metric_is_reduced_through_a_process_group_with_the_schedulers_name(tmp_path):
    import torch.distributed as dist

    if dist.is_initialized():
        pytest.skip("a process group is already initialised")
    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1)
    try:
        for op in ("mean", "max"):
            opt = sgd()
            s = Scheduler(opt, OnPlateau(Constant(0.1), patience=0), metric_reduce=op)
            s.step(torch.tensor(1.0))
            s.step(torch.tensor([2.0]))  # one rank: the reduced metric is the metric, worse: reduced
            assert opt.param_groups[0]["lr"] == pytest.approx(0.01, rel=1e-12)
            with pytest.raises((TypeError, ValueError), match="^Scheduler: "):
                s.step("bad")
            assert s.last_epoch == 2
    finally:
        dist.destroy_process_group()
