"""param_groups: rules by name / regex / module type, multipliers, no-decay defaults, strictness."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from lrkit.torch import discriminative, layer_decay, param_groups  # noqa: E402
from lrkit.torch.groups import Rule, spread  # noqa: E402

from ._transfer_models import SmallCNN, TinyTransformer  # noqa: E402


class Tied(nn.Module):
    """A language-model-like module whose output projection shares the embedding's weight."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.body = nn.Linear(8, 8)
        self.ln = nn.LayerNorm(8)
        self.out = nn.Linear(8, 20, bias=False)
        self.out.weight = self.emb.weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.out(self.ln(self.body(self.emb(idx))))


def _all_trainable(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def _check_partition(groups, model):
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)), "a parameter is in two groups"
    assert set(ids) == {id(p) for p in _all_trainable(model)}, "a trainable parameter is in no group"
    for g in groups:
        assert isinstance(g["name"], str) and g["name"]
        assert len(g["names"]) == len(g["params"])
    assert len({g["name"] for g in groups}) == len(groups)


def test_glob_regex_and_type_rules_set_multipliers():
    m = TinyTransformer()
    groups = param_groups(m, [
        Rule("head", lr_mult=10.0, name="head"),
        Rule(re.compile(r"^encoder\.layers\.0\."), lr_mult=0.1, name="low"),
        Rule(nn.LayerNorm, lr_mult=0.5, decay_mult=2.0, name="norms"),
    ], lr=1e-3, weight_decay=0.01)
    _check_partition(groups, m)
    info = groups.as_dict()
    assert info["head.weight"]["lr_scale"] == 10.0 and info["head.weight"]["weight_decay_scale"] == 1.0
    assert info["head.bias"]["group"] == "head.no_decay" and info["head.bias"]["weight_decay_scale"] == 0.0
    assert info["encoder.layers.0.linear1.weight"]["lr_scale"] == 0.1
    # first rule wins: the LayerNorm inside block 0 goes with the regex rule, not the type rule
    assert info["encoder.layers.0.norm1.weight"]["group"] == "low.no_decay"
    # the type rule with an explicit decay_mult overrides the no-decay default
    assert info["norm.weight"] == {"group": "norms", "lr_scale": 0.5, "weight_decay_scale": 2.0}
    assert info["encoder.layers.1.norm2.bias"]["weight_decay_scale"] == 2.0
    by = groups.by_name()
    assert by["head"]["lr"] == pytest.approx(1e-2, rel=1e-15)
    assert by["norms"]["weight_decay"] == pytest.approx(0.02, rel=1e-15)
    assert by["default"]["lr"] == 1e-3 and by["default"]["weight_decay"] == 0.01
    assert by["default.no_decay"]["weight_decay"] == 0.0


def test_no_decay_defaults_by_module_type_and_shape_and_override():
    m = Tied()
    info = param_groups(m, lr=0.1, weight_decay=0.1).as_dict()
    assert info["emb.weight"]["weight_decay_scale"] == 0.0        # embedding (2-D, by module type)
    assert info["body.weight"]["weight_decay_scale"] == 1.0
    assert info["body.bias"]["weight_decay_scale"] == 0.0         # bias
    assert info["ln.weight"]["weight_decay_scale"] == 0.0         # norm gain
    cnn = param_groups(SmallCNN(), lr=0.1, weight_decay=0.1).as_dict()
    assert cnn["features.1.weight"]["weight_decay_scale"] == 0.0  # BatchNorm gain
    assert cnn["features.0.weight"]["weight_decay_scale"] == 1.0  # conv kernel
    tt = param_groups(TinyTransformer(), lr=0.1, weight_decay=0.1).as_dict()
    assert tt["pos_embed"]["weight_decay_scale"] == 1.0           # a 3-D free parameter decays by default...
    tt = param_groups(TinyTransformer(), lr=0.1, weight_decay=0.1, no_decay=["auto", "pos_embed"]).as_dict()
    assert tt["pos_embed"]["weight_decay_scale"] == 0.0           # ...unless named
    assert tt["head.bias"]["weight_decay_scale"] == 0.0           # "auto" kept the default test
    # override by name: decay the embedding after all; or switch the default off entirely
    info = param_groups(m, [Rule("emb", decay_mult=1.0)], lr=0.1, weight_decay=0.1).as_dict()
    assert info["emb.weight"]["weight_decay_scale"] == 1.0
    info = param_groups(m, lr=0.1, weight_decay=0.1, no_decay=None).as_dict()
    assert all(v["weight_decay_scale"] == 1.0 for v in info.values())


def test_tied_parameters_appear_once_and_match_by_any_name():
    m = Tied()
    groups = param_groups(m, {"out": 5.0}, lr=0.1)
    _check_partition(groups, m)
    names = [n for g in groups for n in g["names"]]
    assert names.count("emb.weight") == 1 and "out.weight" not in names
    # the rule names only the alias "out", but the shared tensor is that parameter
    assert groups.as_dict()["emb.weight"]["lr_scale"] == 5.0
    torch.optim.AdamW(groups)  # torch accepts it: no duplicate parameters


def test_freeze_rule_leaves_parameters_out_and_stops_gradients():
    m = SmallCNN()
    groups = param_groups(m, {"features.0": "freeze", "fc": 3.0}, lr=0.1)
    assert not m.features[0].weight.requires_grad and not m.features[0].bias.requires_grad
    assert set(groups.frozen) == {"features.0.weight", "features.0.bias"}
    _check_partition(groups, m)
    assert "(frozen)" in groups.table()


def test_strict_mode_reports_overlaps_orphans_and_unused_rules_by_name():
    m = SmallCNN()
    with pytest.raises(ValueError) as exc:
        param_groups(m, [Rule("features.*", name="body"), Rule("*.bias", name="biases"),
                         Rule("classifier", name="nothing")], lr=0.1, strict=True)
    msg = str(exc.value)
    assert "features.0.bias (rules: body, biases)" in msg
    assert "matched by no rule: fc.weight" in msg
    assert "rules matching no parameter: nothing" in msg
    assert all(p.requires_grad for p in m.parameters())
    # a partition passes strict mode
    groups = param_groups(m, [Rule("features", lr_mult=0.1), Rule("fc")], lr=0.1, strict=True)
    _check_partition(groups, m)


def test_non_strict_warns_for_a_rule_matching_nothing_and_uses_a_default_group():
    m = SmallCNN()
    with pytest.warns(UserWarning, match="classifier"):
        groups = param_groups(m, {"classifier": 2.0}, lr=0.1)
    assert {g["name"] for g in groups} == {"default", "default.no_decay"}


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"lr": 0}, ValueError, "lr must be > 0, got 0"),
    ({"lr": "big"}, TypeError, "lr must be a number"),
    ({"lr": 0.1, "weight_decay": -1}, ValueError, "weight_decay must be >= 0, got -1"),
    ({"lr": 0.1, "rules": [{"match": "fc", "lr_mul": 2}]}, ValueError, "unknown option(s) ['lr_mul']"),
    ({"lr": 0.1, "rules": [Rule("fc", decay_mult=0.5)]}, ValueError, "weight_decay must be given"),
    ({"lr": 0.1, "rules": {"fc": -1.0}}, ValueError, "lr_mult must be >= 0, got -1.0"),
    ({"lr": 0.1, "rules": {"re:(": 1.0}}, ValueError, "not a valid regular expression"),
    ({"lr": 0.1, "rules": [3]}, TypeError, "rules[0] must be a Rule or a dict"),
    ({"lr": 0.1, "rules": [{"match": int}]}, TypeError, "match must name nn.Module subclasses, got int"),
    ({"lr": 0.1, "strict": 1}, TypeError, "strict must be True or False"),
])
def test_bad_arguments_name_the_argument(kwargs, exc, words):
    m = SmallCNN()
    rules = kwargs.pop("rules", None)
    with pytest.raises(exc) as e:
        param_groups(m, rules, **kwargs)
    assert words in str(e.value)
    assert all(p.requires_grad for p in m.parameters())


def test_group_multipliers_are_the_real_step_sizes_of_a_plain_sgd():
    torch.manual_seed(0)
    m = SmallCNN()
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    groups = param_groups(m, {"fc": 10.0, "features.3": 0.25}, lr=0.01)
    opt = torch.optim.SGD(groups)
    x = torch.randn(16, 1, 8, 8)
    nn.functional.cross_entropy(m(x), torch.randint(0, 5, (16,))).backward()
    grads = {n: p.grad.clone() for n, p in m.named_parameters()}
    opt.step()
    for n, p in m.named_parameters():
        mult = 10.0 if n.startswith("fc") else 0.25 if n.startswith("features.3") else 1.0
        torch.testing.assert_close(p.detach(), before[n] - 0.01 * mult * grads[n], rtol=1e-6, atol=1e-9)


def test_spread_follows_fastai_slices():
    # fastai: slice(lo, hi) -> lo * (hi/lo) ** (i / (n-1)); slice(hi) -> hi/10 for all but the last
    assert spread(slice(1e-5, 1e-3), 3) == pytest.approx([1e-5, 1e-4, 1e-3], rel=1e-12)
    assert spread(slice(1e-3), 4) == [1e-4, 1e-4, 1e-4, 1e-3]
    assert spread(2e-3, 2) == [2e-3, 2e-3]
    assert spread(slice(1e-5, 1e-3), 1) == [1e-3]
    with pytest.raises(ValueError, match="lr.start must be > 0"):
        spread(slice(0.0, 1e-3), 3)


def test_discriminative_over_named_layer_groups():
    m = SmallCNN()
    groups = discriminative(m, slice(1e-4, 1e-2), [["features.0", "features.1"],
                                                   ["features.3", "features.4"], "fc"])
    _check_partition(groups, m)
    lr_of = {n: g["lr"] for g in groups for n in g["names"]}
    assert lr_of["features.0.weight"] == pytest.approx(1e-4, rel=1e-12)
    assert lr_of["features.4.bias"] == pytest.approx(1e-3, rel=1e-12)
    assert lr_of["fc.weight"] == pytest.approx(1e-2, rel=1e-12)
    assert groups.as_dict()["features.3.weight"]["lr_scale"] == pytest.approx(0.1, rel=1e-12)
    with pytest.raises(ValueError, match="parameters in no layer group: fc.weight, fc.bias"):
        discriminative(m, slice(1e-3), [["features"]])


def test_discriminative_automatic_groups_on_a_transformer():
    m = TinyTransformer(layers=2)
    groups = discriminative(m, slice(1e-3))
    info = groups.as_dict()
    # embeddings (0), two encoder layers (1, 2), norm+head (3): hi/10 everywhere but the top
    assert {v["layer_id"] for v in info.values()} == {0, 1, 2, 3}
    assert info["head.weight"]["lr_scale"] == 1.0
    assert info["embed.weight"]["lr_scale"] == pytest.approx(0.1, rel=1e-12)
    assert info["encoder.layers.1.linear1.weight"]["lr_scale"] == pytest.approx(0.1, rel=1e-12)


def test_groups_mix_with_plain_groups_in_torch_optimizers():
    m = SmallCNN()
    groups = param_groups(m.features, lr=0.1, weight_decay=0.01)
    opt = torch.optim.AdamW([*groups, {"params": m.fc.parameters(), "lr": 0.5}])
    extra = nn.Linear(2, 2)
    opt.add_param_group({"params": extra.parameters()})  # a later plain group is accepted too
    assert [g.get("name") for g in opt.param_groups] == ["default", "default.no_decay", None, None]
    assert opt.param_groups[1]["weight_decay"] == 0.0 and opt.param_groups[2]["lr"] == 0.5


def test_a_schedule_drives_every_group_times_its_multiplier():
    pytest.importorskip("lrkit.torch.scheduler")
    import lrkit
    from lrkit.torch import Scheduler, layer_decay

    m = TinyTransformer(layers=2)
    groups = layer_decay(m, 0.5, lr=1e-3, weight_decay=0.01, rules={"head": 2.0})
    opt = torch.optim.AdamW(groups)
    s = lrkit.warmup(lrkit.Cosine(1e-3, 50), 10)
    sched = Scheduler(opt, {"lr": s})
    for step in range(30):
        if step in (0, 5, 10, 29):
            for g in opt.param_groups:
                assert g["lr"] == pytest.approx(s(step) * g["lr_scale"], rel=1e-12), (step, g["name"])
        opt.step()
        sched.step()


_W, _B = ".weight", ".bias"
_CONV = {f"features.{i}{k}" for i in (0, 3) for k in (_W, _B)}
_BN = {f"features.{i}{k}" for i in (1, 4) for k in (_W, _B)}
_FC = {"fc.weight", "fc.bias"}
# Each pattern of the pool with the SmallCNN parameters it selects, written by hand (not computed
# by lrkit's matcher): globs match the whole name or a dotted prefix, regexes search, types test
# the owning module.
_POOL = {
    "features": _CONV | _BN,
    "features.0": {"features.0.weight", "features.0.bias"},
    "features.1": {"features.1.weight", "features.1.bias"},
    "features.3": {"features.3.weight", "features.3.bias"},
    "features.4": {"features.4.weight", "features.4.bias"},
    "fc": _FC,
    "*.bias": {n for n in _CONV | _BN | _FC if n.endswith(_B)},
    "*.weight": {n for n in _CONV | _BN | _FC if n.endswith(_W)},
    "re:running": set(),
    "re:^features\\.[03]\\.": _CONV,
    nn.Conv2d: _CONV,
    nn.BatchNorm2d: _BN,
    nn.Linear: _FC,
}


@pytest.mark.filterwarnings("ignore:param_groups. rules matching no parameter")
@pytest.mark.parametrize("seed", range(40))
def test_property_every_trainable_parameter_in_exactly_one_group(seed):
    import random

    rng = random.Random(seed)
    m = SmallCNN()
    for p in m.parameters():
        p.requires_grad_(rng.random() > 0.2)
    pats = rng.sample(list(_POOL), rng.randint(0, 5))
    rules = [Rule(p, lr_mult=rng.choice([0.1, 1.0, 3.0]), name=f"r{i}") for i, p in enumerate(pats)]
    groups = param_groups(m, rules, lr=0.1, weight_decay=0.01)
    _check_partition(groups, m)
    info = groups.as_dict()
    names = [n for n, _ in m.named_parameters()]
    assert set(names) == set().union(*_POOL.values())
    for name, p in m.named_parameters():
        if not p.requires_grad:
            assert name not in info and name in groups.frozen
            continue
        first = next((r for r, pat in zip(rules, pats) if name in _POOL[pat]), None)
        assert info[name]["lr_scale"] == (first.lr_mult if first else 1.0)
        assert info[name]["group"].split(".")[0] == (first.name if first else "default")
    # strict mode raises exactly when some parameter has no rule or several, or a rule is idle
    hits = {n: sum(n in _POOL[pat] for pat in pats) for n in names}
    trainable = {n for n, p in m.named_parameters() if p.requires_grad}
    idle = any(not _POOL[pat] for pat in pats)
    bad = rules and (any(hits[n] > 1 for n in hits) or any(hits[n] == 0 for n in trainable) or idle)
    if bad:
        with pytest.raises(ValueError, match=r"param_groups \(strict\)"):
            param_groups(m, rules, lr=0.1, weight_decay=0.01, strict=True)
    else:
        param_groups(m, rules, lr=0.1, weight_decay=0.01, strict=True)


@pytest.mark.parametrize("make", [
    lambda groups: torch.optim.SGD(groups, lr=0.05, momentum=0.9),
    lambda groups: torch.optim.AdamW(groups, lr=1e-3),
], ids=["sgd", "adamw"])
def test_without_lr_the_optimizer_rate_is_the_base(make):
    # issue 11: timm's param_groups_layer_decay needs no lr; the optimizer's rate times the
    # group's lr_scale is each group's rate at construction (lr = base x lr_scale)
    torch.manual_seed(0)
    m = TinyTransformer(layers=2)
    groups = layer_decay(m, 0.5, weight_decay=0.01, rules={"head": 2.0})
    assert all("lr" not in g for g in groups)
    opt = make(groups)
    base = opt.defaults["lr"]
    expected = {"layer_0": 0.125, "layer_1": 0.25, "layer_2": 0.5, "layer_3": 1.0, "layer_3.head": 2.0}
    for g in opt.param_groups:
        assert g["lr"] == base * g["lr_scale"]
        assert g["lr_scale"] == expected[g["name"].removesuffix(".no_decay")]
    # a torch scheduler starts from the scaled rate, and state_dict round-trips
    lam = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    assert [g["initial_lr"] for g in opt.param_groups] == [base * g["lr_scale"] for g in opt.param_groups]
    fresh = make(layer_decay(m, 0.5, weight_decay=0.01, rules={"head": 2.0}))
    fresh.load_state_dict(opt.state_dict())
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in opt.param_groups]
    del lam


def test_without_lr_a_real_sgd_step_moves_each_parameter_by_base_times_scale():
    torch.manual_seed(0)
    m = SmallCNN()
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    opt = torch.optim.SGD(param_groups(m, {"fc": 10.0, "features.3": 0.25}), lr=0.01)
    x = torch.randn(16, 1, 8, 8)
    nn.functional.cross_entropy(m(x), torch.randint(0, 5, (16,))).backward()
    grads = {n: p.grad.clone() for n, p in m.named_parameters()}
    opt.step()
    for n, p in m.named_parameters():
        mult = 10.0 if n.startswith("fc") else 0.25 if n.startswith("features.3") else 1.0
        torch.testing.assert_close(p.detach(), before[n] - 0.01 * mult * grads[n], rtol=1e-6, atol=1e-9)


def test_without_lr_the_lrkit_driver_schedules_every_group_times_its_multiplier():
    import lrkit
    from lrkit.torch import Scheduler

    m = TinyTransformer(layers=2)
    opt = torch.optim.AdamW(layer_decay(m, 0.5, weight_decay=0.01), lr=1e-3)
    s = lrkit.warmup(lrkit.Cosine(1e-3, 20), 5)
    sched = Scheduler(opt, {"lr": s})
    for step in range(8):
        for g in opt.param_groups:
            assert g["lr"] == pytest.approx(s(step) * g["lr_scale"], rel=1e-12), (step, g["name"])
        opt.step()
        sched.step()
