"""lrkit.compat.timm where the golden cases do not reach: create_scheduler_v2's defaults and
branches (compared with timm's own factory, loaded without torchvision as in test_timm.py), the
horizon (timm's ``get_cycle_length()``), error messages naming the factory and the argument, and
the config of a noisy schedule."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re

import numpy as np
import pytest

import lrkit
from lrkit.compat import timm as T
from tests.compat import _golden

HAS_PEER = all(importlib.util.find_spec(m) is not None for m in ("torch", "timm"))
live = pytest.mark.skipif(not HAS_PEER, reason="timm (and torch) not installed")
GEN = _golden.generator("timm_mutants")
o = "create_scheduler_v2"


def _timm_factory(**kw):
    GEN.timm_module("cosine_lr")
    return GEN.timm_module("scheduler_factory").create_scheduler_v2


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _same_fields(ours, theirs):
    """Every argument lrkit's schedule shares with timm's scheduler object has timm's value."""
    seen = 0
    for f in dataclasses.fields(ours):
        if f.name in ("lr", "relative", "steps_per_epoch") or not hasattr(theirs, f.name):
            continue
        tv = getattr(theirs, f.name)
        if callable(tv):
            continue
        assert _plain(getattr(ours, f.name)) == _plain(tv), f.name
        seen += 1
    assert seen >= 4


def _compare(kw, n_extra=5, **lrkit_only):
    """Our factory against timm's: the epoch count, the scheduler's arguments and the rates."""
    opt = GEN._optimizer(0.1)
    theirs, epochs = _timm_factory()(opt, **kw)
    ours, our_epochs = T.create_scheduler_v2(lr=0.1, **kw, **lrkit_only)
    assert our_epochs == epochs and type(our_epochs) is type(epochs)
    _same_fields(ours, theirs)
    upe = kw.get("updates_per_epoch", 0) or 1
    n = epochs * upe + n_extra
    by_epoch = kw.get("step_on_epochs", True)
    ref = []
    for t in range(n if not by_epoch else -(-n // upe)):
        if by_epoch:
            theirs.step(t)
        else:
            theirs.step_update(t)
        ref.append(opt.param_groups[0]["lr"])
    if by_epoch and kw.get("updates_per_epoch"):  # step(epoch) once per epoch: each epoch's
        ref = [ref[s // upe] for s in range(n)]  # rate held for its updates
        assert ours.t_unit == "step"
    else:
        assert ours.t_unit == ("epoch" if by_epoch else "step")
    _golden.assert_rel(ours.curve(n), ref)
    return ours, theirs


FACTORY = [
    {},  # every default: cosine over 300 epochs
    {"sched": "cosine", "num_epochs": 10, "cycle_limit": 3},  # default cycle_mul and cycle_decay
    {"sched": "cosine", "num_epochs": 8, "cycle_limit": 2, "cycle_mul": 1.5, "k_decay": 2.0},
    {"sched": "tanh", "num_epochs": 10, "min_lr": 0.01, "cycle_limit": 2, "cycle_decay": 0.5},
    {"sched": "poly", "num_epochs": 10, "k_decay": 0.5, "cycle_limit": 2, "cycle_mul": 2.0,
     "warmup_epochs": 3, "warmup_lr": 1e-3, "decay_rate": 2.0},
    {"sched": "step", "num_epochs": 200},  # the default decay interval: 90 epochs
    {"sched": "constant", "num_epochs": 5, "warmup_epochs": 2},
    {"sched": "rsqrt", "num_epochs": 40, "warmup_epochs": 4},  # default decay: 0.2 of the run
    {"sched": "rsqrt", "num_epochs": 30, "warmup_epochs": 2, "stable_timescale": 5},
    {"sched": "wsd", "num_epochs": 20, "min_lr": 0.01, "decay_epochs": 1},  # one epoch, not all
    {"sched": "wsd", "num_epochs": 12, "warmup_epochs": 2, "warmup_prefix": True, "decay_epochs": 12},
    {"sched": "step", "num_epochs": 6, "decay_epochs": 2, "decay_rate": 0.5, "step_on_epochs": False,
     "updates_per_epoch": 3},
    {"sched": "multistep", "num_epochs": 6, "decay_milestones": [2, 4], "decay_rate": 0.5,
     "step_on_epochs": False, "updates_per_epoch": 3},
    {"sched": "cosine", "num_epochs": 6, "cooldown_epochs": 2, "step_on_epochs": False,
     "updates_per_epoch": 4},
    {"sched": "rsqrt", "num_epochs": 6, "warmup_epochs": 1, "stable_timescale": 2,
     "step_on_epochs": False, "updates_per_epoch": 3},
    {"sched": "cosine", "num_epochs": 20, "noise": [0.5], "noise_pct": 0.2, "noise_std": 0.5,
     "noise_seed": 7},
    {"sched": "cosine", "num_epochs": 6, "warmup_epochs": 1, "updates_per_epoch": 3},
    {"sched": "tanh", "num_epochs": 5, "updates_per_epoch": 1},  # one update per epoch is valid
]


@live
@pytest.mark.parametrize("kw", FACTORY, ids=[f"{k.get('sched', 'default')}{i}" for i, k in
                                             enumerate(FACTORY)])
def test_factory_matches_timm(kw):
    _compare(kw)


@live
def test_factory_steps_per_epoch_is_updates_per_epoch():
    # lrkit's name for the same count: equal counts are accepted, per epoch and per update
    ours, _ = _compare({"sched": "cosine", "num_epochs": 6, "updates_per_epoch": 4}, steps_per_epoch=4)
    assert ours.steps_per_epoch == 4
    ours, _ = _compare({"sched": "cosine", "num_epochs": 6, "step_on_epochs": False,
                        "updates_per_epoch": 4}, steps_per_epoch=4)
    assert ours.steps_per_epoch is None and ours.t_in_epochs is False


def test_factory_defaults_by_hand():
    s, epochs = T.create_scheduler_v2(lr=0.1)
    assert epochs == 300 and isinstance(s, T.CosineLRScheduler) and s.t_initial == 300
    s, epochs = T.create_scheduler_v2(lr=0.1, sched="step")
    assert s.decay_t == 90 and epochs == 300
    s, _ = T.create_scheduler_v2(lr=0.1, sched="constant")
    assert (s.decay_t, s.decay_rate) == (1, 1.0)
    s, _ = T.create_scheduler_v2(lr=0.1, sched="cosine", num_epochs=10, cycle_limit=3)
    assert (s.cycle_mul, s.cycle_decay) == (1.0, 0.1)
    s, epochs = T.create_scheduler_v2(lr=0.1, sched="rsqrt", num_epochs=40, warmup_epochs=4)
    assert (s.t_initial, s.decay_t, epochs) == (36, 7, 40)  # round(0.2 * 36)
    s, _ = T.create_scheduler_v2(lr=0.1, sched="cosine", num_epochs=10, noise=[0.5])
    assert s.noise_range_t == 5.0  # a one-element list is a start


@live
def test_horizon_is_timms_cycle_length():
    for kind, kw in (("cosine", {"t_initial": 7, "cycle_limit": 3, "cycle_mul": 1.5, "warmup_t": 2,
                                 "warmup_prefix": True}),
                     ("tanh", {"t_initial": 5, "cycle_limit": 2, "cycle_mul": 2.0}),
                     ("poly", {"t_initial": 6, "cycle_limit": 3, "warmup_t": 1, "warmup_prefix": True}),
                     ("wsd", {"t_initial": 10, "decay_t": 4, "warmup_t": 3})):
        module, cls = GEN._TIMM_CLASSES[kind]
        theirs = getattr(GEN.timm_module(module), cls)(GEN._optimizer(0.1), **kw)
        ours = lrkit.from_config({"type": f"timm.{kind}", "lr": 0.1, **kw})
        assert ours.horizon == float(theirs.get_cycle_length())
        per_step = lrkit.from_config({"type": f"timm.{kind}", "lr": 0.1, "steps_per_epoch": 3, **kw})
        assert per_step.horizon == 3.0 * theirs.get_cycle_length()


def test_horizon_by_hand():
    assert T.CosineLRScheduler(0.1, t_initial=10, cycle_limit=3).horizon == 30.0
    assert T.CosineLRScheduler(0.1, t_initial=4, cycle_limit=2, cycle_mul=3.0).horizon == 16.0
    assert T.TanhLRScheduler(0.1, t_initial=4, cycle_limit=3, cycle_mul=1.5).horizon == 19.0
    assert T.PolyLRScheduler(0.1, t_initial=4, warmup_t=2, warmup_prefix=True).horizon == 6.0
    assert T.WSDLRScheduler(0.1, t_initial=10, decay_t=4, warmup_t=3).horizon == 13.0
    assert T.StepLRScheduler(0.1, decay_t=3).horizon is None


def test_multistep_phase_boundaries_one_step_before_each_milestone():
    # timm counts milestones up to t + 1: the rate changes at d - 1
    s = T.MultiStepLRScheduler(1.0, decay_t=[5, 8], decay_rate=0.5)
    assert s.phase_boundaries() == (4.0, 7.0)
    assert [s(t) for t in (3, 4, 6, 7)] == [1.0, 0.5, 0.5, 0.25]


def test_noise_range_pair_written_as_a_list():
    s = T.CosineLRScheduler(0.1, t_initial=20, noise_range_t=(2, 8), noise_seed=5)
    cfg = s.to_config()
    assert cfg["noise_range_t"] == [2.0, 8.0] and isinstance(cfg["noise_range_t"], list)
    assert "noise_range_t" in cfg and not any(k.lower() != k for k in cfg if k != "type")
    assert json.loads(json.dumps(cfg)) == cfg
    assert lrkit.from_config(cfg) == s
    one = T.CosineLRScheduler(0.1, t_initial=20, noise_range_t=3).to_config()
    assert one["noise_range_t"] == 3.0


# -- the optimizer in timm's place -----------------------------------------------------------------
@pytest.mark.skipif(not HAS_PEER, reason="torch not installed")
def test_factory_takes_the_optimizer_like_timm():
    opt = GEN._optimizer(0.05)
    for s, _ in (T.create_scheduler_v2(opt, "cosine", 10), T.create_scheduler_v2(optimizer=opt,
                                                                                 num_epochs=10)):
        assert s.relative is True and s.lr == 0.05
        assert s(0) == 0.05
    with pytest.raises(TypeError, match=f"^{o}: optimizer given twice$"):
        T.create_scheduler_v2(opt, optimizer=opt)
    with pytest.raises(TypeError, match=f"^{o}: give the optimizer or lr=, not both"):
        T.create_scheduler_v2(lr=0.1, optimizer=opt)


# -- messages ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, exc, msg", [
    ({"step_on_epochs": "yes"}, TypeError, f"{o}: step_on_epochs must be True or False, got 'yes'"),
    ({"updates_per_epoch": 2.5}, TypeError,
     f"{o}: updates_per_epoch must be an integer, got 2.5 (float)"),
    ({"updates_per_epoch": -1}, ValueError, f"{o}: updates_per_epoch must be >= 1, got -1"),
    ({"step_on_epochs": False}, ValueError, f"{o}: updates_per_epoch must be >= 1, got 0"),
    ({"step_on_epochs": False, "updates_per_epoch": 1.5}, TypeError,
     f"{o}: updates_per_epoch must be an integer, got 1.5 (float)"),
    ({"updates_per_epoch": 4, "steps_per_epoch": 5}, ValueError,
     f"{o}: steps_per_epoch and updates_per_epoch are the same count; got 5 and 4"),
    ({"sched": "cosinus"}, ValueError, f"{o}: sched must be one of 'cosine', 'tanh', 'step', 'constant', "
     "'multistep', 'poly', 'wsd', 'rsqrt', 'none', 'plateau', got 'cosinus'"),
    ({"sched": "plateau"}, ValueError, f"{o}: sched='plateau' (timm's PlateauLRScheduler) is not "
     "provided; use lrkit.compat.torch.ReduceLROnPlateau or lrkit.plateau"),
    ({"sched": "wsd", "num_epochs": 40, "warmup_epochs": 4, "decay_epochs": 0}, ValueError,
     f"{o}: wsd needs 0 < decay_epochs <= epochs - warmup_epochs, got decay 0 and stable + decay "
     "length 36"),
    ({"sched": "rsqrt", "num_epochs": 40, "warmup_epochs": 4, "decay_epochs": 37}, ValueError,
     f"{o}: rsqrt needs 0 < decay_epochs <= epochs - warmup_epochs, got decay 37 and stable + decay "
     "length 36"),
    ({"sched": "wsd", "num_epochs": 10, "warmup_epochs": 4, "warmup_prefix": True, "decay_epochs": 11},
     ValueError, f"{o}: wsd needs 0 < decay_epochs <= epochs, got decay 11 and stable + decay length 10"),
])
def test_factory_errors_name_the_factory_and_the_argument(kw, exc, msg):
    with pytest.raises(exc, match=f"^{re.escape(msg)}$"):
        T.create_scheduler_v2(lr=0.1, **kw)


@live
@pytest.mark.parametrize("kw", [
    {"sched": "wsd", "num_epochs": 40, "warmup_epochs": 4, "decay_epochs": 0},
    {"sched": "rsqrt", "num_epochs": 40, "warmup_epochs": 4, "decay_epochs": 37},
    {"sched": "wsd", "num_epochs": 10, "warmup_epochs": 4, "warmup_prefix": True, "decay_epochs": 11},
])
def test_factory_rejects_the_decay_length_timm_rejects(kw):
    with pytest.raises(ValueError, match="requires 0 < decay_epochs"):
        _timm_factory()(GEN._optimizer(0.1), **kw)
    with pytest.raises(ValueError, match="needs 0 < decay_epochs"):
        T.create_scheduler_v2(lr=0.1, **kw)


def test_factory_ignores_what_only_plateau_reads():
    # patience_epochs and plateau_mode configure timm's PlateauLRScheduler only
    a, _ = T.create_scheduler_v2(lr=0.1, num_epochs=10)
    b, _ = T.create_scheduler_v2(lr=0.1, num_epochs=10, patience_epochs=3, plateau_mode="min")
    assert a == b
    np.testing.assert_array_equal(a.curve(12), b.curve(12))



# -- the schedulers' own checks ----------------------------------------------------------------------
C, TH, P, S, M, W = ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler", "StepLRScheduler",
                     "MultiStepLRScheduler", "WSDLRScheduler")
_BASE = {C: {"t_initial": 10}, TH: {"t_initial": 10}, P: {"t_initial": 10}, S: {"decay_t": 3},
         M: {"decay_t": [3, 6]}, W: {"t_initial": 10, "decay_t": 4}}
NUM = "must be a number, got "


@pytest.mark.parametrize("cls, kw, exc, msg", [
    (C, {"lr": -1}, ValueError, "lr must be >= 0, got -1"),
    (C, {"warmup_t": -1}, ValueError, "warmup_t must be >= 0, got -1"),
    (P, {"warmup_t": 1.5}, TypeError, "warmup_t must be an integer, got 1.5 (float)"),
    (TH, {"warmup_lr_init": -0.1}, ValueError, "warmup_lr_init must be >= 0, got -0.1"),
    (C, {"warmup_prefix": "no"}, TypeError, "warmup_prefix must be True or False, got 'no'"),
    (W, {"t_in_epochs": 1}, TypeError, "t_in_epochs must be True or False, got 1"),
    (S, {"noise_range_t": [1, 2, 3]}, ValueError,
     "noise_range_t must be an int or a [start, end) pair, got [1, 2, 3]"),
    (C, {"noise_range_t": [1, None]}, TypeError, "noise_range_t[1] must be a number, got None (NoneType)"),
    (C, {"noise_range_t": (None, 4)}, TypeError, "noise_range_t[0] must be a number, got None (NoneType)"),
    (C, {"noise_range_t": [0, float("inf")]}, ValueError,
     "noise_range_t[1] must be a finite number, got inf"),
    (M, {"noise_range_t": {"a": 1}}, TypeError, "noise_range_t " + NUM + "{'a': 1} (dict)"),
    (C, {"noise_pct": 0}, ValueError, "noise_pct must be > 0, got 0"),
    (C, {"noise_std": -1}, ValueError, "noise_std must be >= 0, got -1"),
    (C, {"noise_seed": 1.5}, TypeError, "noise_seed must be an integer, got 1.5 (float)"),
    (C, {"steps_per_epoch": 0}, ValueError, "steps_per_epoch must be >= 1, got 0"),
    (C, {"steps_per_epoch": 2.5}, TypeError, "steps_per_epoch must be an integer, got 2.5 (float)"),
    (TH, {"steps_per_epoch": 3, "t_in_epochs": False}, ValueError,
     "steps_per_epoch only applies with t_in_epochs=True"),
    (C, {"t_initial": 0}, ValueError, "t_initial must be > 0, got 0"),
    (TH, {"lr_min": -1}, ValueError, "lr_min must be >= 0, got -1"),
    (P, {"cycle_mul": 0.5}, ValueError, "cycle_mul must be >= 1 (timm's cycle index takes "
     "log(1 - t (1 - cycle_mul) / t_initial)), got 0.5"),
    (C, {"cycle_mul": None}, TypeError, "cycle_mul " + NUM + "None (NoneType)"),
    (C, {"cycle_decay": -0.5}, ValueError, "cycle_decay must be >= 0, got -0.5"),
    (TH, {"cycle_limit": -1}, ValueError, "cycle_limit must be >= 0, got -1"),
    (C, {"cycle_limit": 1.5}, TypeError, "cycle_limit must be an integer, got 1.5 (float)"),
    (C, {"k_decay": 0}, ValueError, "k_decay must be > 0, got 0"),
    (P, {"k_decay": -1.0}, ValueError, "k_decay must be > 0, got -1.0"),
    (TH, {"lb": None}, TypeError, "lb " + NUM + "None (NoneType)"),
    (TH, {"ub": None}, TypeError, "ub " + NUM + "None (NoneType)"),
    (TH, {"lb": 3, "ub": -7}, ValueError, "lb must be < ub, got lb=3, ub=-7"),
    (TH, {"lb": 1.0, "ub": 1.0}, ValueError, "lb must be < ub, got lb=1.0, ub=1.0"),
    (P, {"power": -1}, ValueError, "power must be >= 0, got -1"),
    (S, {"decay_t": 0}, ValueError, "decay_t must be > 0, got 0"),
    (S, {"decay_rate": -0.1}, ValueError, "decay_rate must be >= 0, got -0.1"),
    (M, {"decay_t": 5}, TypeError, "decay_t must be a list of numbers, got 5"),
    (M, {"decay_t": [1, None]}, TypeError, "decay_t[1] " + NUM + "None (NoneType)"),
    (M, {"decay_t": [5, 3]}, ValueError, "decay_t must be non-decreasing, got [5.0, 3.0]"),
    (M, {"decay_rate": -1}, ValueError, "decay_rate must be >= 0, got -1"),
    (W, {"t_initial": 0}, ValueError, "t_initial must be > 0, got 0"),
    (W, {"decay_t": 0}, ValueError, "decay_t must be > 0, got 0"),
    (W, {"decay_t": None}, TypeError, "decay_t " + NUM + "None (NoneType)"),
    (W, {"decay_t": 11}, ValueError, "decay_t must be in (0, t_initial] (t_initial=10.0), got 11"),
    (W, {"lr_min": -1}, ValueError, "lr_min must be >= 0, got -1"),
    (W, {"stable_fn": "cubic"}, ValueError,
     "stable_fn must be one of 'constant', 'rsqrt', 'power', got 'cubic'"),
    (W, {"decay_fn": len}, TypeError, "decay_fn must be one of 'linear', '1-sqrt', 'cosine', 'power', 'exp' "
     "(a Python function cannot be written to a config), got <built-in function len>"),
    (W, {"decay_fn": "sqrt"}, ValueError,
     "decay_fn must be one of 'linear', '1-sqrt', 'cosine', 'power', 'exp', got 'sqrt'"),
    (W, {"decay_ratio": 0}, ValueError, "decay_ratio must be in (0, 1), got 0"),
    (W, {"decay_ratio": 1.0}, ValueError, "decay_ratio must be in (0, 1), got 1.0"),
    (W, {"decay_power": 0}, ValueError, "decay_power must be > 0, got 0"),
    (W, {"stable_power": 0}, ValueError, "stable_power must be > 0, got 0"),
    (W, {"stable_fn": "rsqrt"}, ValueError,
     "stable_fn='rsqrt' needs stable_timescale > 0 (it defaults to warmup_t=0), got 0.0"),
    (W, {"stable_fn": "power", "warmup_t": 3, "stable_timescale": -2}, ValueError,
     "stable_fn='power' needs stable_timescale > 0 (it defaults to warmup_t=3), got -2.0"),
    (W, {"stable_fn": "rsqrt", "stable_timescale": "1"}, TypeError, "stable_timescale " + NUM + "'1' (str)"),
])
def test_scheduler_errors_name_the_class_and_the_argument(cls, kw, exc, msg):
    args = {"lr": 0.1, **_BASE[cls], **kw}
    with pytest.raises(exc, match="^" + re.escape(f"{cls}: {msg}")):
        getattr(T, cls)(**args)


# -- arguments normalised: numpy scalars in, plain Python numbers out (JSON-safe configs) -------------
@pytest.mark.parametrize("cls, kw", [
    (C, {"t_initial": np.int64(10), "lr_min": np.float32(0.25), "cycle_mul": np.float32(1.5),
         "cycle_decay": np.float32(0.5), "k_decay": np.float32(2.0), "warmup_lr_init": np.float32(0.5)}),
    (TH, {"t_initial": np.int64(10), "lb": np.float32(-6.0), "ub": np.float32(2.0),
          "noise_pct": np.float32(0.5), "noise_std": np.float32(0.25)}),
    (P, {"t_initial": np.int64(10), "power": np.float32(2.0), "k_decay": np.float32(0.5),
         "noise_range_t": (np.int64(2), np.int64(6))}),
    (S, {"decay_t": np.int64(3), "decay_rate": np.float32(0.5), "noise_range_t": np.int64(4)}),
    (M, {"decay_t": [np.int64(3), np.float32(6.5)], "decay_rate": np.float32(0.5)}),
    (W, {"t_initial": np.int64(10), "decay_t": np.int64(4), "lr_min": np.float32(0.25),
         "decay_ratio": np.float32(0.5), "decay_power": np.float32(2.0), "stable_power": np.float32(0.25),
         "stable_fn": "power", "stable_timescale": np.int64(2)}),
])
def test_numpy_arguments_become_plain_numbers(cls, kw):
    s = getattr(T, cls)(lr=1.0, **kw)
    for name in kw:
        value = getattr(s, name)
        for v in value if isinstance(value, tuple) else (value,):
            assert type(v) in (int, float, str), (name, type(v))
    cfg = json.loads(json.dumps(s.to_config()))
    assert lrkit.from_config(cfg) == s


def test_multistep_milestones_stay_integers_like_timm():
    s = T.MultiStepLRScheduler(0.1, decay_t=[5, 8.0, 9.5])
    assert s.decay_t == (5, 8, 9.5) and [type(d) for d in s.decay_t] == [int, int, float]
    assert "decay_t=(5, 8, 9.5)" in repr(s)
    assert '"decay_t": [5, 8, 9.5]' in json.dumps(s.to_config())


def test_repr_lists_the_arguments_and_what_t_counts():
    s = T.StepLRScheduler(0.1, decay_t=3)
    assert repr(s) == ("StepLRScheduler(lr=0.1, relative=False, decay_t=3.0, decay_rate=1.0, warmup_t=0, "
                       "warmup_lr_init=0.0, warmup_prefix=True, t_in_epochs=True, noise_range_t=None, "
                       "noise_pct=0.67, noise_std=1.0, noise_seed=42, steps_per_epoch=None; t counts epochs)")
    m = T.MultiStepLRScheduler(0.1, decay_t=[2, 5], steps_per_epoch=4)
    assert repr(m).startswith("MultiStepLRScheduler(lr=0.1, relative=False, decay_t=(2, 5), decay_rate=1.0, ")
    assert repr(m).endswith(", steps_per_epoch=4; t counts steps)")


# -- values timm gives where the golden cases do not look ----------------------------------------------
def _timm_values(kind, kw, ts, lr=0.1):
    module, cls = GEN._TIMM_CLASSES[kind]
    opt = GEN._optimizer(lr)
    sched = getattr(GEN.timm_module(module), cls)(opt, **kw)
    return [sched._get_lr(t)[0] for t in ts]


@live
@pytest.mark.parametrize("kind, kw, ts", [
    ("multistep", {"decay_t": [2.5, 4], "decay_rate": 0.5}, [0, 1, 1.5, 2, 3, 4, 5]),
    ("wsd", {"t_initial": 10, "decay_t": 2.5, "decay_fn": "linear"}, [7, 7.5, 8, 9, 10, 11]),
    ("wsd", {"t_initial": 10, "decay_t": 4, "stable_fn": "rsqrt", "stable_power": 2.0,
             "stable_timescale": 3.0}, range(12)),
    ("wsd", {"t_initial": 20, "decay_t": 5, "stable_fn": "power", "stable_power": 1.5,
             "stable_timescale": 0.5, "warmup_t": 2}, range(24)),
    ("wsd", {"t_initial": 10, "decay_t": 4, "warmup_t": 2, "stable_fn": "rsqrt", "stable_timescale": 0.5},
     range(14)),
    ("wsd", {"t_initial": 10, "decay_t": 4, "decay_ratio": 0.3, "decay_fn": "exp"}, range(12)),
])
def test_values_match_timm_off_the_integer_grid(kind, kw, ts):
    ours = lrkit.from_config({"type": f"timm.{kind}", "lr": 0.1, **kw})
    _golden.assert_rel([ours(t) for t in ts], _timm_values(kind, kw, ts))


@live
def test_wsd_holds_the_stable_rate_exactly_until_the_decay_starts():
    # timm returns the stable rate itself while t_decay <= 0 (not lr_min + (stable - lr_min) * 1)
    kw = {"t_initial": 10, "decay_t": 4, "lr_min": 0.044, "warmup_t": 2}
    ref = _timm_values("wsd", kw, range(14), lr=0.21)
    ours = T.WSDLRScheduler(0.21, **kw)
    assert ours(8) == ref[8] == 0.21  # t_decay = 8 - 2 - (10 - 4) = 0
    assert [ours(t) for t in range(14)] == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("s", [T.StepLRScheduler(0.0, decay_t=1, decay_rate=10.0),
                               T.MultiStepLRScheduler(0.0, decay_t=list(range(1, 400)), decay_rate=10.0)],
                         ids=["step", "multistep"])
def test_a_zero_rate_stays_zero_where_the_factor_overflows(s):
    # 0 * 10**k: timm's factor overflows far out; a group whose rate is 0 keeps 0, not NaN
    steps = np.array([0.0, 5.0, 500.0])
    np.testing.assert_array_equal(s(steps), [0.0, 0.0, 0.0])
    assert s(500) == 0.0
    torch = pytest.importorskip("torch")
    assert s(torch.tensor(steps)).tolist() == [0.0, 0.0, 0.0]


def test_integer_arguments_given_as_whole_floats_become_ints():
    s = T.CosineLRScheduler(0.1, t_initial=10, warmup_t=3.0, cycle_limit=2.0, noise_seed=7.0,
                            steps_per_epoch=4.0)
    for name, value in (("warmup_t", 3), ("cycle_limit", 2), ("noise_seed", 7), ("steps_per_epoch", 4)):
        assert getattr(s, name) == value and type(getattr(s, name)) is int, name
    assert "warmup_t=3," in repr(s) and "cycle_limit=2," in repr(s) and "steps_per_epoch=4;" in repr(s)


@live
@pytest.mark.parametrize("noise", [[3, 7], (2.5, 6), 5, 4.5])
def test_noise_starts_and_stops_where_timm_does(noise):
    kw = {"t_initial": 12, "noise_range_t": noise, "noise_seed": 3, "noise_pct": 0.5}
    ts = list(range(13))  # timm seeds its noise with noise_seed + t: integer t only
    module, cls = GEN._TIMM_CLASSES["cosine"]
    opt = GEN._optimizer(0.1)
    sched = getattr(GEN.timm_module(module), cls)(opt, **kw)
    ref = []
    for t in ts:
        sched.step(t)
        ref.append(opt.param_groups[0]["lr"])
    ours = T.CosineLRScheduler(0.1, **kw)
    _golden.assert_rel([ours(t) for t in ts], ref)


def test_noise_under_jax_jit_is_refused_naming_the_noise():
    jax = pytest.importorskip("jax")
    s = T.CosineLRScheduler(0.1, t_initial=10, noise_range_t=2)
    with pytest.raises(TypeError, match=r"^noise is drawn on the host \(timm's generator, seeded per step\): "
                                        "it cannot be evaluated inside jax.jit"):
        jax.jit(s)(jax.numpy.arange(4.0))
