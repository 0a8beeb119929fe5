"""freeze / unfreeze / GradualUnfreeze on a real CNN and real data (scikit-learn digits)."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import lrkit  # noqa: E402
from lrkit.torch import GradualUnfreeze, freeze, layer_decay, unfreeze  # noqa: E402
from lrkit.torch.freezing import is_frozen_bn  # noqa: E402

from ._transfer_models import SmallCNN, split  # noqa: E402


def _data(n=96):
    x, y, _, _ = split(range(0, 5))
    return x[:n], y[:n]


def _steps(model, opt, x, y, n, batch=32, start=0, hook=None):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for s in range(start, start + n):
        if hook is not None:
            hook(s)
        i = (s * batch) % len(y)
        idx = torch.arange(i, i + batch) % len(y)
        opt.zero_grad(set_to_none=False)   # the setting that makes naive freezing leak
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("make_opt", [
    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2),
    lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
], ids=["sgd-momentum-wd", "adamw"])
def test_torch_moves_zero_grad_parameters_but_frozen_ones_stay_put(make_opt):
    torch.manual_seed(0)
    x, y = _data()
    naive, ours = SmallCNN(), SmallCNN()
    ours.load_state_dict(naive.state_dict())
    opt_naive, opt_ours = make_opt(naive.parameters()), make_opt(ours.parameters())
    _steps(naive, opt_naive, x, y, 3)
    _steps(ours, opt_ours, x, y, 3)
    # naive freezing: requires_grad off, the stale (zeroed) gradient left in place
    for p in naive.features.parameters():
        p.requires_grad_(False)
    freeze(ours, "features")
    before_naive = {n: p.detach().clone() for n, p in naive.features.named_parameters()}
    before_ours = _snapshot(ours)
    _steps(naive, opt_naive, x, y, 3)
    _steps(ours, opt_ours, x, y, 3)
    moved = [n for n, p in naive.features.named_parameters() if not torch.equal(p, before_naive[n])]
    assert "0.weight" in moved  # momentum / decoupled decay kept pushing the "frozen" conv
    after = _snapshot(ours)
    for k, v in before_ours.items():
        if k.startswith("features."):
            assert torch.equal(after[k], v), k  # bit for bit, running statistics included
    assert not torch.equal(after["fc.weight"], before_ours["fc.weight"])


def test_no_optimizer_state_for_parameters_frozen_from_the_start():
    torch.manual_seed(0)
    x, y = _data()
    m = SmallCNN()
    freeze(m, ["features.0", "features.1"])
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    _steps(m, opt, x, y, 2)
    frozen = {id(p) for p in list(m.features[0].parameters()) + list(m.features[1].parameters())}
    assert not frozen & {id(p) for p in opt.state}
    assert len(opt.state) == len(list(m.parameters())) - 4


def test_batchnorm_eval_option_survives_model_train_and_train_option_keeps_stats_moving():
    torch.manual_seed(0)
    x, _ = _data(32)
    m = SmallCNN()
    freeze(m, "features.1")               # bn="eval" by default
    assert is_frozen_bn(m.features[1]) and not is_frozen_bn(m.features[4])
    m.train()
    mean1, mean4 = m.features[1].running_mean.clone(), m.features[4].running_mean.clone()
    m(x)
    assert torch.equal(m.features[1].running_mean, mean1)
    assert not torch.equal(m.features[4].running_mean, mean4)
    unfreeze(m, "features.1")
    assert not is_frozen_bn(m.features[1]) and m.features[1].training
    m(x)
    assert not torch.equal(m.features[1].running_mean, mean1)

    m2 = SmallCNN()
    freeze(m2, "features", bn="train")
    m2.train()
    mean = m2.features[1].running_mean.clone()
    m2(x)
    assert not torch.equal(m2.features[1].running_mean, mean)
    assert all(not p.requires_grad for p in m2.features.parameters())


def test_freeze_unfreeze_return_names_and_reject_unknown_patterns():
    m = SmallCNN()
    assert freeze(m, "fc") == ["fc.weight", "fc.bias"]
    assert freeze(m, "fc") == []
    assert set(freeze(m)) == {n for n, _ in m.named_parameters()} - {"fc.weight", "fc.bias"}
    assert set(unfreeze(m, nn.Conv2d)) == {"features.0.weight", "features.0.bias", "features.3.weight",
                                           "features.3.bias"}
    state = [p.requires_grad for p in m.parameters()]
    with pytest.raises(ValueError, match="patterns matching no parameter or module: head"):
        unfreeze(m, ["fc", "head"])
    assert [p.requires_grad for p in m.parameters()] == state
    with pytest.raises(ValueError, match="bn must be one of 'eval', 'train', got 'off'"):
        freeze(m, "fc", bn="off")
    with pytest.raises(TypeError, match="patterns must be a glob string"):
        freeze(m, 3)


STAGES = [(0, "fc"), (4, "features.3"), (8, ["features.0", "features.1", "features.4"])]


def test_gradual_unfreeze_is_a_pure_function_of_the_step():
    m = SmallCNN()
    plan = GradualUnfreeze(m, STAGES)
    assert plan.at_steps == (0, 4, 8)
    assert plan.stage_at(3) == 1 and plan.stage_at(4) == 2 and plan.stage_at(100) == 3
    plan.apply(5)
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    assert trainable == {"fc.weight", "fc.bias", "features.3.weight", "features.3.bias"}
    assert trainable == set(plan.trainable_at(5))
    assert is_frozen_bn(m.features[1])
    changed = plan.apply(9)
    assert set(changed) == {"features.0.weight", "features.0.bias", "features.1.weight",
                            "features.1.bias", "features.4.weight", "features.4.bias"}
    assert not is_frozen_bn(m.features[1])
    plan.apply(1)  # going back re-freezes: the state depends only on the step
    assert {n for n, p in m.named_parameters() if p.requires_grad} == {"fc.weight", "fc.bias"}
    steps = GradualUnfreeze(m, [(0, "fc"), ("2 epochs", "features")], budget=lrkit.Budget(steps_per_epoch=7))
    assert steps.at_steps == (0, 14)


def test_gradual_unfreeze_bad_plans():
    m = SmallCNN()
    with pytest.raises(ValueError, match="non-decreasing order"):
        GradualUnfreeze(m, [(5, "fc"), (2, "features")])
    with pytest.raises(ValueError, match="stages 1 match no parameter"):
        GradualUnfreeze(m, [(0, "fc"), (2, "fc")])
    with pytest.raises(TypeError, match=r"stages\[0\] must be a pair"):
        GradualUnfreeze(m, ["fc"])
    with pytest.raises(ValueError, match="steps_per_epoch"):
        GradualUnfreeze(m, [(0, "fc"), ("1 epoch", "features")])
    with pytest.raises(ValueError, match=r"stages\[0\].at must be >= 0"):
        GradualUnfreeze(m, [(-1, "fc")])


def _run_all_params(ckpt_at=None, total=12, resume_from=None):
    """Optimizer over all parameters; the plan only toggles requires_grad."""
    torch.manual_seed(0)
    x, y = _data()
    m = SmallCNN()
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    plan = GradualUnfreeze(m, STAGES)
    start = 0
    if resume_from is not None:
        start, ms, os_ = resume_from
        m.load_state_dict(ms)
        opt.load_state_dict(os_)
    saved = {}

    def hook(s):
        if s == ckpt_at:
            saved["ckpt"] = (s, copy.deepcopy(m.state_dict()), copy.deepcopy(opt.state_dict()))
        plan.apply(s)

    _steps(m, opt, x, y, total - start, start=start, hook=hook)
    return m, saved.get("ckpt")


def test_frozen_stages_do_not_move_until_their_step_and_resume_is_exact():
    torch.manual_seed(0)
    x, y = _data()
    m = SmallCNN()
    init = _snapshot(m)
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    plan = GradualUnfreeze(m, STAGES)
    _steps(m, opt, x, y, 4, hook=plan.apply)  # steps 0..3: only fc trains
    now = _snapshot(m)
    assert all(torch.equal(now[k], init[k]) for k in init if k.startswith("features."))
    _steps(m, opt, x, y, 1, start=4, hook=plan.apply)
    assert not torch.equal(m.features[3].weight, init["features.3.weight"])
    assert torch.equal(m.features[0].weight, init["features.0.weight"])

    full, _ = _run_all_params()
    for at in (3, 6):  # a checkpoint before, and one after, an unfreeze
        _, ckpt = _run_all_params(ckpt_at=at)
        resumed, _ = _run_all_params(resume_from=ckpt)
        for k, v in full.state_dict().items():
            assert torch.equal(resumed.state_dict()[k], v), (at, k)


def _run_growing(ckpt_at=None, total=12, resume_from=None):
    """The add_param_group path, driven by lrkit's Scheduler: warmup + cosine."""
    from lrkit.torch import Scheduler

    torch.manual_seed(0)
    x, y = _data()
    m = SmallCNN()
    if resume_from is not None:
        m.load_state_dict(resume_from[1])
    groups = layer_decay(m, 0.5, lr=1e-2, weight_decay=1e-2)
    plan = GradualUnfreeze(m, STAGES, groups=groups)
    plan.apply(0)
    opt = torch.optim.AdamW(plan.initial_groups())
    schedule = lrkit.warmup(lrkit.Cosine(1e-2, total), 3)
    sched = Scheduler(opt, {"lr": schedule})
    start = 0
    if resume_from is not None:
        start, _, os_, ss = resume_from
        plan.apply(start, opt, sched)   # regrow the groups first, then load the optimizer state
        opt.load_state_dict(os_)
        sched.load_state_dict(ss)
    saved: dict = {"lrs": []}
    for s in range(start, total):
        if s == ckpt_at:
            saved["ckpt"] = (s, copy.deepcopy(m.state_dict()), copy.deepcopy(opt.state_dict()),
                             sched.state_dict())
        plan.apply(s, opt, sched)
        saved["lrs"].append({g["name"]: (g["lr"], g["lr_scale"]) for g in opt.param_groups})
        _steps(m, opt, x, y, 1, start=s)
        sched.step()
    return m, opt, schedule, saved


def test_gradual_unfreeze_with_the_driver_enters_at_the_scheduled_rate_and_resumes_exactly():
    pytest.importorskip("lrkit.torch.scheduler")
    m, opt, schedule, saved = _run_growing()
    assert [g["name"] for g in opt.param_groups][:2] == ["layer_5", "layer_5.no_decay"]
    # fc and conv features.3: decayed + no-decay groups; then conv 0 (two) and the BatchNorms 1, 4 (one each)
    assert [g["name"] for g in opt.param_groups][2:] == [
        "layer_3", "layer_3.no_decay", "layer_1", "layer_1.no_decay", "layer_2.no_decay", "layer_4.no_decay"]
    # a group added at step 4 gets schedule(4) * its layer-decay scale, the schedule not restarted
    at4 = saved["lrs"][4]
    assert "layer_3" in at4 and "layer_3" not in saved["lrs"][3]
    lr, scale = at4["layer_3"]
    assert scale == 0.25
    assert lr == pytest.approx(schedule(4) * 0.25, rel=1e-12)
    assert at4["layer_5"][0] == pytest.approx(schedule(4), rel=1e-12)
    for at in (2, 5):
        _, _, _, part = _run_growing(ckpt_at=at)
        resumed, opt2, _, _ = _run_growing(resume_from=part["ckpt"])
        assert [g["name"] for g in opt2.param_groups] == [g["name"] for g in opt.param_groups]
        for k, v in m.state_dict().items():
            assert torch.equal(resumed.state_dict()[k], v), (at, k)


def test_initial_groups_without_lr_keep_the_optimizer_rate_times_the_scale():
    # groups built without lr (issue 11): the optimizer's rate x lr_scale, also for the subset
    # GradualUnfreeze hands to the optimizer of the add_param_group path
    m = SmallCNN()
    groups = layer_decay(m, 0.5, weight_decay=1e-2)
    plan = GradualUnfreeze(m, STAGES, groups=groups)
    plan.apply(0)
    opt = torch.optim.AdamW(plan.initial_groups(), lr=1e-2)
    assert [g["name"] for g in opt.param_groups] == ["layer_5", "layer_5.no_decay"]
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-2]
    plan.apply(4, opt)  # features.3 (layer 3) enters at base x 0.25
    added = {g["name"]: g["lr"] for g in opt.param_groups}
    assert added["layer_3"] == pytest.approx(1e-2 * 0.25, rel=1e-15)
    groups = layer_decay(m, 0.5, weight_decay=1e-2)
    plan = GradualUnfreeze(m, [(0, "features.3"), (4, "fc")], groups=groups)
    plan.apply(0)
    opt = torch.optim.SGD(plan.initial_groups(), lr=0.1)
    assert {g["name"]: g["lr"] for g in opt.param_groups} == {"layer_3": 0.1 * 0.25,
                                                              "layer_3.no_decay": 0.1 * 0.25}
