"""lrkit.torch.Scheduler on real optimizers: parity with torch, plans, groups, bad input."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import lrkit  # noqa: E402
from lrkit import Constant, Cosine, Linear, MultiStep, OneCycle, warmup  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402
from lrkit.torch import Scheduler  # noqa: E402


class Affine(lrkit.Schedule):
    """a + b t: a user-written schedule free to go negative (the families refuse to)."""

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def _eval(self, t, ops):
        return self.a + self.b * t


def params(n: int = 1) -> list:
    return [torch.nn.Parameter(torch.randn(3)) for _ in range(n)]


def lrs(opt, key: str = "lr") -> list:
    return [float(g[key]) for g in opt.param_groups]


def drive(opt, sched, n: int, key: str = "lr", index: int | None = None) -> list[float]:
    out = []
    for _ in range(n):
        opt.step()
        sched.step()
        v = opt.param_groups[0][key]
        out.append(float(v if index is None else v[index]))
    return out


# -- parity with torch's own schedulers ----------------------------------------------------------
def test_one_cycle_equals_torch_lr_and_momentum() -> None:
    total = 120
    o1 = torch.optim.SGD(params(), lr=0.1, momentum=0.9)
    t = torch.optim.lr_scheduler.OneCycleLR(o1, max_lr=0.3, total_steps=total, pct_start=0.25)
    o2 = torch.optim.SGD(params(), lr=0.1, momentum=0.9)
    s = Scheduler(o2, OneCycle(0.3, total, pct_start=0.25))
    assert lrs(o2) == pytest.approx(lrs(o1), rel=1e-12)
    for _ in range(total - 1):
        o1.step()
        t.step()
        o2.step()
        s.step()
        np.testing.assert_allclose(lrs(o2), lrs(o1), rtol=1e-10)
        np.testing.assert_allclose(lrs(o2, "momentum"), lrs(o1, "momentum"), rtol=1e-12)


def test_one_cycle_moves_beta1_of_adam_like_torch() -> None:
    o1 = torch.optim.Adam(params(), lr=0.1, betas=(0.9, 0.99))
    t = torch.optim.lr_scheduler.OneCycleLR(o1, max_lr=0.01, total_steps=50, three_phase=True)
    o2 = torch.optim.Adam(params(), lr=0.1, betas=(0.9, 0.99))
    s = Scheduler(o2, OneCycle(0.01, 50, three_phase=True))
    for _ in range(49):
        o1.step()
        t.step()
        o2.step()
        s.step()
        b1, b2 = o1.param_groups[0]["betas"], o2.param_groups[0]["betas"]
        assert b2[1] == 0.99 and b2[0] == pytest.approx(b1[0], rel=1e-12)
        assert lrs(o2) == pytest.approx(lrs(o1), rel=1e-10)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_equals_torch_lr_and_momentum(mode: str) -> None:
    kw = dict(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=5, mode=mode, gamma=0.97,
              base_momentum=0.8, max_momentum=0.9)
    o1 = torch.optim.SGD(params(), lr=0.1, momentum=0.9)
    t = torch.optim.lr_scheduler.CyclicLR(o1, **kw)
    o2 = torch.optim.SGD(params(), lr=0.1, momentum=0.9)
    s = Scheduler(o2, lrkit.Cyclic(0.01, 0.1, 7, 5, mode, 0.97, 0.8, 0.9))
    for _ in range(40):
        assert lrs(o2) == pytest.approx(lrs(o1), rel=1e-12)
        assert lrs(o2, "momentum") == pytest.approx(lrs(o1, "momentum"), rel=1e-12)
        o1.step()
        t.step()
        o2.step()
        s.step()


def test_multistep_equals_torch() -> None:
    o1 = torch.optim.SGD(params(), lr=0.5)
    t = torch.optim.lr_scheduler.MultiStepLR(o1, milestones=[10, 25], gamma=0.1)
    o2 = torch.optim.SGD(params(), lr=0.5)
    s = Scheduler(o2, MultiStep(0.5, [10, 25], 0.1))
    assert drive(o2, s, 40) == pytest.approx(drive(o1, t, 40), rel=1e-12)


def test_warmup_cosine_equals_formula_at_every_step() -> None:
    sched = warmup(Cosine(1e-3, 90, end=1e-5), 10)
    opt = torch.optim.AdamW(params(), lr=1.0)
    s = Scheduler(opt, sched)
    got = [lrs(opt)[0]] + drive(opt, s, 120)
    np.testing.assert_allclose(got, sched.curve(121), rtol=1e-15)


# -- plans -------------------------------------------------------------------------------------
def test_plan_drives_momentum_betas_weight_decay_and_any_numeric_key() -> None:
    opt = torch.optim.Adam(params(), lr=1.0, betas=(0.9, 0.999), weight_decay=0.0, eps=1e-8)
    plan = {"lr": Linear(1e-3, 0.0, 10), "betas": (None, Linear(0.95, 0.999, 10)),
            "weight_decay": Linear(0.0, 0.1, 10), "eps": Constant(1e-6)}
    s = Scheduler(opt, plan)
    for n in range(1, 12):
        opt.step()
        s.step()
        g = opt.param_groups[0]
        assert g["lr"] == pytest.approx(Linear(1e-3, 0.0, 10)(n), abs=0, rel=1e-15)
        assert g["betas"][0] == 0.9  # untouched element
        assert g["betas"][1] == Linear(0.95, 0.999, 10)(n)
        assert g["weight_decay"] == Linear(0.0, 0.1, 10)(n)
        assert g["eps"] == 1e-6
    sgd = torch.optim.SGD(params(), lr=0.1, momentum=0.5)
    Scheduler(sgd, {"lr": 0.2, "momentum": Linear(0.8, 0.9, 5)})
    assert sgd.param_groups[0]["momentum"] == 0.8 and sgd.param_groups[0]["lr"] == 0.2


def test_lr_scale_and_named_group_schedules() -> None:
    a, b, c = params(3)
    opt = torch.optim.SGD([{"params": [a], "name": "backbone", "lr_scale": 0.1},
                           {"params": [b], "name": "head"},
                           {"params": [c], "weight_decay_scale": 0.0, "weight_decay": 1.0}], lr=1.0)
    base, head = Cosine(0.1, 100), Linear(0.5, 0.0, 100)
    s = Scheduler(opt, {"lr": base, "weight_decay": Constant(1e-4)}, groups={"head": {"lr": head}})
    for n in range(1, 60):
        opt.step()
        s.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * base(n), rel=1e-15)
        assert opt.param_groups[1]["lr"] == head(n)
        assert opt.param_groups[2]["lr"] == base(n)
    assert opt.param_groups[0]["weight_decay"] == 1e-4
    assert opt.param_groups[2]["weight_decay"] == 0.0
    v = s.values()
    assert set(v) == {"lr/backbone", "lr/head", "lr/group2", "weight_decay/backbone",
                      "weight_decay/head", "weight_decay/group2"}
    assert v["lr/head"] == head(59)


def test_unknown_key_lists_the_keys_and_leaves_optimizer_untouched() -> None:
    opt = torch.optim.Adam(params(), lr=0.123)
    before = copy.deepcopy(opt.param_groups[0])
    with pytest.raises(ValueError, match="momentum") as err:
        Scheduler(opt, {"lr": Constant(1.0), "momentum": Constant(0.9)})
    assert "betas" in str(err.value) and "weight_decay" in str(err.value)
    assert opt.param_groups[0]["lr"] == before["lr"] == 0.123


@pytest.mark.parametrize(
    "plan, word",
    [
        (Affine(0.1, -0.01), "finite and >= 0"),
        ({"lr": Constant(0.1), "betas": (Linear(0.9, 1.2, 10), None)}, r"\[0, 1\)"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": "cosine"}, "lr"),
        ({"lr": Constant(0.1), "betas": 0.9}, "betas"),
        ({}, "at least one"),
        ({"lr_scale": 2.0}, "lr_scale"),
        (3, "plan"),
    ],
)
def test_bad_plans_raise_before_the_optimizer_changes(plan, word) -> None:
    opt = torch.optim.Adam(params(), lr=0.123)
    with pytest.raises((ValueError, TypeError), match=word):
        Scheduler(opt, plan)
    assert opt.param_groups[0]["lr"] == 0.123 and opt.param_groups[0]["betas"] == (0.9, 0.999)


def test_other_bad_arguments() -> None:
    opt = torch.optim.SGD(params(), lr=0.1)
    with pytest.raises(TypeError, match="optimizer"):
        Scheduler("sgd", Constant(0.1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step"):
        Scheduler(opt, Constant(0.1), step=-1)
    with pytest.raises(TypeError, match="skip_unstepped"):
        Scheduler(opt, Constant(0.1), skip_unstepped=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="groups"):
        Scheduler(opt, Constant(0.1), groups=["head"])  # type: ignore[arg-type]
    bad_scale = torch.optim.SGD([{"params": params(), "lr_scale": -1.0}], lr=0.1)
    with pytest.raises(ValueError, match="lr_scale"):
        Scheduler(bad_scale, Constant(0.2))
    assert bad_scale.param_groups[0]["lr"] == 0.1
    empty = torch.optim.SGD(params(), lr=0.1)
    empty.param_groups.clear()
    with pytest.raises(ValueError, match="at least one param group"):
        Scheduler(empty, Constant(0.1))
    s = Scheduler(opt, Constant(0.1))
    with pytest.raises(ValueError, match="no plateau part"):
        s.step(0.5)
    with pytest.raises(TypeError, match="set_step"):
        s.step(epoch=3)
    with pytest.raises(ValueError, match="step"):
        s.set_step(-2)


def test_schedule_going_negative_past_its_horizon_fails_before_writing() -> None:
    class Dip(lrkit.Schedule):  # negative only far beyond the checked window
        def _eval(self, t, ops):
            return ops.where(t < 200_000, 0.1, -1.0)

    opt = torch.optim.SGD(params(), lr=0.3)
    s = Scheduler(opt, Dip())
    s.set_step(10)
    with pytest.raises(ValueError, match="finite and >= 0"):
        s.set_step(300_000)
    assert opt.param_groups[0]["lr"] == 0.1 and s.last_epoch == 10


# -- weight decay, both conventions -------------------------------------------------------------
def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return torch.tensor(x[:256] / 16.0, dtype=torch.float32), torch.tensor(y[:256])


def _train(opt_factory, loss_extra=None, steps=30, seed=0):
    torch.manual_seed(seed)
    x, y = _digits()
    model = torch.nn.Linear(64, 10)
    opt, sched = opt_factory(model)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        if loss_extra is not None:
            loss = loss + loss_extra(model)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_adam_with_l2_in_the_loss_differs_from_adamw() -> None:
    lam = 0.05

    def l2(model):
        return 0.5 * lam * sum((p ** 2).sum() for p in model.parameters())

    adam_l2 = _train(lambda m: (torch.optim.Adam(m.parameters(), lr=1e-2), None), loss_extra=l2)
    adam_wd = _train(lambda m: (torch.optim.Adam(m.parameters(), lr=1e-2, weight_decay=lam), None))
    adamw = _train(lambda m: (torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=lam), None))
    torch.testing.assert_close(adam_l2, adam_wd, rtol=1e-5, atol=1e-6)  # L2 == Adam's weight_decay
    assert (adam_l2 - adamw).abs().max() > 1e-3  # ... and is not decoupled decay


def test_decoupled_weight_decay_keeps_the_shrink_when_only_the_peak_changes() -> None:
    lam = 0.01

    def shrink_run(peak: float):
        w = torch.nn.Parameter(torch.ones(4))
        opt = torch.optim.AdamW([w], lr=peak)
        s = Scheduler(opt, warmup(Cosine(peak, 40), 10), decoupled_weight_decay=lam)
        shrinks = []
        for _ in range(50):
            w.grad = torch.zeros_like(w)  # Adam's update is 0; only the decay moves w
            g = opt.param_groups[0]
            shrinks.append(g["lr"] * g["weight_decay"])
            opt.step()
            s.step()
        return w.detach().clone(), shrinks

    w1, s1 = shrink_run(1e-3)
    w2, s2 = shrink_run(5e-2)
    np.testing.assert_allclose(s1, s2, rtol=1e-12)
    torch.testing.assert_close(w1, w2, rtol=1e-6, atol=0)
    sched = warmup(Cosine(1.0, 40), 10)
    expected = np.prod([1 - lam * sched(n) for n in range(50)])
    assert float(w1[0]) == pytest.approx(expected, rel=1e-5)
    # torch's coupling: AdamW's weight_decay fixed, the shrink scales with the peak
    ws = []
    for peak in (1e-3, 5e-2):
        w = torch.nn.Parameter(torch.ones(4))
        opt = torch.optim.AdamW([w], lr=peak, weight_decay=lam / 1e-3)
        s = Scheduler(opt, warmup(Cosine(peak, 40), 10))
        w.grad = torch.zeros_like(w)
        for _ in range(20):
            opt.step()
            s.step()
        ws.append(float(w.detach()[0]))
    assert ws[0] != pytest.approx(ws[1], rel=1e-3)


def test_decoupled_weight_decay_errors() -> None:
    adam = torch.optim.Adam(params(), lr=0.1)
    with pytest.raises(ValueError, match="L2"):
        Scheduler(adam, Constant(0.1), decoupled_weight_decay=0.01)
    adamw = torch.optim.AdamW(params(), lr=0.1)
    with pytest.raises(ValueError, match="not both"):
        Scheduler(adamw, {"lr": Constant(0.1), "weight_decay": 0.1}, decoupled_weight_decay=0.01)
    with pytest.raises(ValueError, match="decoupled_weight_decay"):
        Scheduler(adamw, Constant(0.1), decoupled_weight_decay=-1.0)
    assert adamw.param_groups[0]["weight_decay"] == 0.01  # AdamW's default, untouched


# -- metric-driven phases -----------------------------------------------------------------------
def test_plateau_plan_equals_torch_reduce_lr_on_plateau() -> None:
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    o1 = torch.optim.SGD(params(), lr=0.1)
    t = torch.optim.lr_scheduler.ReduceLROnPlateau(o1, factor=0.5, patience=2, min_lr=0.02)
    o2 = torch.optim.SGD(params(), lr=0.1)
    s = Scheduler(o2, OnPlateau(Constant(0.1), factor=0.5, patience=2, min_lr=0.02))
    for m in metrics:
        o1.step()
        t.step(m)
        o2.step()
        s.step(m)
        assert lrs(o2)[0] == pytest.approx(lrs(o1)[0], rel=1e-14)
    assert lrs(o2)[0] == 0.02


def test_warmup_then_plateau_and_cosine_with_cuts_in_one_state_dict() -> None:
    lr_part = OnPlateau(warmup(Constant(0.1), 5), factor=0.5, patience=0, start=5)
    wd_part = OnPlateau(Cosine(1e-2, 50), factor=0.1, patience=1)
    opt = torch.optim.SGD(params(), lr=1.0, momentum=0.9)
    s = Scheduler(opt, {"lr": lr_part, "weight_decay": wd_part})
    for _ in range(4):
        opt.step()
        s.step(1.0)  # flat metric during warmup: ignored by the lr part
    assert opt.param_groups[0]["lr"] == pytest.approx(0.08)
    for _ in range(3):
        opt.step()
        s.step(1.0)
    # lr part watches steps 5, 6, 7: best, cut, cut; wd part (patience 1): cuts at 3, 5, 7
    assert lr_part.scale == 0.25 and wd_part.scale == pytest.approx(1e-3, rel=1e-12)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.025, rel=1e-15)
    state = s.state_dict()
    assert set(state) == {"version", "step", "plateaus"} and len(state["plateaus"]) == 2
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(1e-3 * Cosine(1e-2, 50)(7), rel=1e-12)


def test_observe_applies_a_cut_without_advancing() -> None:
    opt = torch.optim.SGD(params(), lr=1.0)
    s = Scheduler(opt, OnPlateau(Cosine(0.1, 100), factor=0.5, patience=0))
    for _ in range(10):
        opt.step()
        s.step()
    s.observe(1.0)
    s.observe(2.0)
    assert s.last_epoch == 10
    assert lrs(opt)[0] == pytest.approx(0.5 * Cosine(0.1, 100)(10), rel=1e-15)


def test_metric_required_and_bad_metric_leave_state_alone() -> None:
    opt = torch.optim.SGD(params(), lr=1.0)
    part = OnPlateau(Constant(0.1), patience=0)
    s = Scheduler(opt, part, metric_required=True)
    s.step(1.0)
    with pytest.raises(ValueError, match="no metric"):
        s.step()
    with pytest.raises(TypeError, match="metric"):
        s.step("bad")
    assert s.last_epoch == 1 and part.controller.last_epoch == 1


def test_plateau_ending_in_a_cooldown_in_a_loop() -> None:
    opt = torch.optim.SGD(params(), lr=1.0)
    part = OnPlateau(Constant(0.1), factor=0.5, patience=0, stop=20, then=Linear(1.0, 0.0, 10))
    s = Scheduler(opt, part)
    for _ in range(30):
        opt.step()
        s.step(1.0)
    assert part.scale == 0.5 ** 18  # one cut per flat metric after the first, until stop
    assert lrs(opt)[0] == 0.0
    s.set_step(25)
    assert lrs(opt)[0] == pytest.approx(0.1 * 0.5 ** 18 * 0.5)


# -- groups added later, tensors, logging --------------------------------------------------------
def test_group_added_later_gets_its_rules_value() -> None:
    a, b = params(2)
    opt = torch.optim.SGD([{"params": [a], "name": "head"}], lr=1.0, momentum=0.9)
    base = warmup(Cosine(0.1, 100), 10)
    s = Scheduler(opt, {"lr": base, "momentum": Linear(0.9, 0.8, 100)},
                  groups={"layer4": {"lr": base * 0.3}})
    for _ in range(30):
        opt.step()
        s.step()
    opt.add_param_group({"params": [b], "name": "layer4", "lr": 123.0})
    s.sync()
    assert opt.param_groups[1]["lr"] == pytest.approx(0.3 * base(30), rel=1e-15)
    c = torch.nn.Parameter(torch.zeros(2))
    opt.add_param_group({"params": [c], "lr_scale": 0.5})
    opt.step()
    s.step()
    assert lrs(opt) == pytest.approx([base(31), 0.3 * base(31), 0.5 * base(31)], rel=1e-15)
    assert lrs(opt, "momentum")[2] == Linear(0.9, 0.8, 100)(31)


def test_group_added_later_without_the_key_is_a_clear_error() -> None:
    opt = torch.optim.SGD(params(), lr=1.0)
    opt.param_groups[0]["custom"] = 1.0
    s = Scheduler(opt, {"lr": Constant(0.1), "custom": Constant(2.0)})
    opt.add_param_group({"params": params()})
    with pytest.raises(ValueError, match="custom"):
        s.step()
    assert s.last_epoch == 0


def test_tensor_lr_is_updated_in_place() -> None:
    lr = torch.tensor(0.01)
    opt = torch.optim.Adam(params(), lr=lr, betas=(torch.tensor(0.9), torch.tensor(0.99)))
    s = Scheduler(opt, OneCycle(0.02, 30))
    t_lr = opt.param_groups[0]["lr"]
    t_b1 = opt.param_groups[0]["betas"][0]
    for n in range(1, 25):
        opt.step()
        s.step()
        assert opt.param_groups[0]["lr"] is t_lr and opt.param_groups[0]["betas"][0] is t_b1
        assert float(t_lr) == pytest.approx(OneCycle(0.02, 30)(n), rel=1e-6)
        assert float(t_b1) == pytest.approx(OneCycle(0.02, 30).momentum(n), rel=1e-6)
    assert isinstance(s.get_last_lr()[0], torch.Tensor)
    assert s.get_last_lr()[0] is not t_lr


def test_values_and_last_lr_for_loggers() -> None:
    opt = torch.optim.SGD([{"params": params(), "name": "enc"}, {"params": params()}], lr=1.0,
                          momentum=0.9)
    s = Scheduler(opt, OneCycle(0.1, 20))
    v = s.values()
    assert set(v) == {"lr/enc", "lr/group1", "momentum/enc", "momentum/group1"}
    assert v["lr/enc"] == s.get_last_lr()[0] == OneCycle(0.1, 20)(0)
    assert isinstance(s, torch.optim.lr_scheduler.LRScheduler)


# -- steps are optimizer updates -----------------------------------------------------------------
def test_gradient_accumulation_counts_updates_only() -> None:
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([w], lr=1.0)
    s = Scheduler(opt, Linear(0.1, 0.0, 100), skip_unstepped=True)
    for micro in range(40):
        (w ** 2).sum().backward()
        if micro % 4 == 3:
            opt.step()
            opt.zero_grad()
        s.step()  # called every micro-batch, counts updates
    assert s.last_epoch == 10 and lrs(opt)[0] == Linear(0.1, 0.0, 100)(10)


def test_grad_scaler_skipped_step_is_not_counted_and_no_false_warning() -> None:
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([w], lr=1.0)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    s = Scheduler(opt, Linear(0.1, 0.0, 100), skip_unstepped=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for i in range(6):
            opt.zero_grad()
            loss = (w ** 2).sum() * (math.inf if i in (0, 3) else 1.0)
            scaler.scale(loss).backward()
            scaler.step(opt)  # skipped when the gradients are not finite
            scaler.update()
            s.step()
    assert not [r for r in rec if "lr_scheduler" in str(r.message)]
    assert s.last_epoch == 4


def test_set_step_jumps_anywhere() -> None:
    opt = torch.optim.SGD(params(), lr=1.0, momentum=0.9)
    sched = OneCycle(0.1, 1000)
    s = Scheduler(opt, sched)
    for n in (500, 3, 999, 0, 10_000):
        s.set_step(n)
        assert s.last_epoch == n
        assert lrs(opt)[0] == sched(n) and lrs(opt, "momentum")[0] == sched.momentum(n)
    opt.step()
    s.step()
    assert s.last_epoch == 10_001


def test_drives_layer_decay_groups_through_their_lr_scale() -> None:
    from lrkit.torch import layer_decay

    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                                torch.nn.ReLU(), torch.nn.Linear(8, 2))
    groups = layer_decay(model, 0.5, lr=1e-3, weight_decay=0.05)
    opt = torch.optim.AdamW(groups, lr=1e-3)
    sched = warmup(Cosine(1e-3, 90), 10)
    s = Scheduler(opt, {"lr": sched, "weight_decay": Constant(0.05)})
    assert len({g["lr_scale"] for g in opt.param_groups}) > 2
    for n in range(1, 30):
        opt.step()
        s.step()
        for g in opt.param_groups:
            assert g["lr"] == pytest.approx(g["lr_scale"] * sched(n), rel=1e-15)
            assert g["weight_decay"] == 0.05 * g.get("weight_decay_scale", 1.0)


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.one_of(st.just(("step", 0)), st.tuples(st.just("jump"),
                                                               st.integers(0, 3000)),
                              st.tuples(st.just("add"), st.floats(0.0, 4.0))),
                    min_size=1, max_size=30))
def test_property_every_group_holds_rule_times_scale(ops) -> None:
    sched = warmup(Cosine(0.1, 1500, end=1e-4), 100)
    mom = OneCycle(0.1, 2000).momentum
    opt = torch.optim.SGD([{"params": params(), "lr_scale": 0.5}], lr=1.0, momentum=0.9)
    s = Scheduler(opt, {"lr": sched, "momentum": mom})
    n = 0
    for op, arg in ops:
        if op == "step":
            opt.step()
            s.step()
            n += 1
        elif op == "jump":
            s.set_step(arg)
            n = arg
        else:
            opt.add_param_group({"params": params(), "lr_scale": arg})
            s.sync()
        assert s.last_epoch == n
        for g in opt.param_groups:
            assert g["lr"] == pytest.approx(sched(n) * g["lr_scale"], rel=1e-15, abs=0)
            assert g["momentum"] == pytest.approx(mom(n), rel=1e-15)
