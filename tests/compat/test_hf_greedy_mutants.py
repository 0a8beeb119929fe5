"""lrkit.compat GreedyLR against transformers' own GreedyLR: defaults, counters step by step,
the threshold and eps boundaries, the clamps, warmup / reset edge values, state round trips and
the messages of bad arguments."""

from __future__ import annotations

import importlib.util
import math

import pytest

from lrkit.compat.transformers import GreedyLR

HAS_PEER = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
if HAS_PEER:
    import torch
    import transformers.optimization as T
live = pytest.mark.skipif(not HAS_PEER, reason="transformers (and torch) not installed")

_COUNTERS = ("best", "num_bad_epochs", "num_good_epochs", "cooldown_counter", "warmup_counter",
             "reset_start", "last_epoch")


def _theirs(lr, **kw):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    return T.GreedyLR(opt, **kw), opt


def _same_state(ours, theirs, opt):
    assert ours.lr == opt.param_groups[0]["lr"]
    for name in _COUNTERS:
        assert getattr(ours, name) == getattr(theirs, name), name


def _follow(metrics, lr=0.5, **kw):
    """Step ours and transformers' GreedyLR with the same metrics; every counter and the rate
    agree after each step. Returns our rates."""
    ours = GreedyLR(lr=lr, **kw)
    theirs, opt = _theirs(lr, **kw)
    _same_state(ours, theirs, opt)
    rates = []
    for m in metrics:
        theirs.step(m)
        rates.append(ours.step(m))
        _same_state(ours, theirs, opt)
    return rates


@live
def test_defaults_are_transformers_defaults():
    ours = GreedyLR()
    theirs, _ = _theirs(1.0)
    assert ours.initial_lr == ours.lr == theirs._init_lrs[0] == 1.0
    for name in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "warmup",
                 "eps", "smooth", "window_size", "reset_start_original", "reset_start", "last_epoch",
                 "best", "num_bad_epochs", "num_good_epochs"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.min_lr == theirs.min_lrs[0] and ours.max_lr == theirs.max_lrs[0]


@live
def test_default_window_and_reset_start_in_action():
    # 50 values are averaged: the 51st observation drops the first one
    metrics = [100.0] + [1.0] * 60
    _follow(metrics, lr=0.5, smooth=True, patience=0, min_lr=0.4, max_lr=0.9)
    # at min_lr, the 500th decrease in a row restarts from the initial rate
    rates = _follow([1.0] * 505, lr=0.5, patience=0, factor=0.5, min_lr=0.25)
    assert rates[-7:-5] == [0.25, 0.25] and 0.5 in rates[-6:]


@live
@pytest.mark.parametrize("mode, first", [("min", math.inf), ("max", -math.inf)])
def test_a_first_metric_that_is_no_improvement_counts_as_bad(mode, first):
    # nothing improves on the initial best (+-inf): the first observation is a bad one
    rates = _follow([first, first, first], lr=0.5, mode=mode, patience=1, factor=0.5, min_lr=0.01)
    assert rates == [0.5, 0.25, 0.25]


@live
@pytest.mark.parametrize("kw", [
    {"warmup": 3, "patience": 1},
    {"warmup": 2, "patience": 2, "cooldown": 1},
    {"warmup": 5, "patience": 0, "mode": "max"},
])
def test_warmup_after_an_increase_counts_down_one_by_one(kw):
    down = [10.0 - i for i in range(8)]
    flat = [3.0] * 12
    sign = -1.0 if kw.get("mode") == "max" else 1.0
    rates = _follow([sign * m for m in down + flat + down + flat], lr=0.1, factor=0.5,
                    min_lr=0.01, **kw)
    assert max(rates) > 0.1 and min(rates) < 0.1


@live
@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_is_better_at_and_around_the_threshold(mode, threshold_mode):
    # threshold 0.5 and best +-2: every boundary (1.0, 1.5, 2.5, 3.0 ...) is exact in binary
    ours = GreedyLR(mode=mode, threshold_mode=threshold_mode, threshold=0.5)
    theirs, _ = _theirs(1.0, mode=mode, threshold_mode=threshold_mode, threshold=0.5)
    grid = [x / 4 for x in range(-16, 17)]
    for best in (2.0, -2.0, 0.0):
        for current in grid:
            assert ours.is_better(current, best) == theirs.is_better(current, best), (current, best)


@live
@pytest.mark.parametrize("mode", ["min", "max"])
def test_relative_threshold_drives_the_rate(mode):
    # improvements of 3 % count with a 2 % relative threshold, 1 % ones do not (and with the
    # absolute reading of 0.02, both would count at this scale)
    sign = 1.0 if mode == "min" else -1.0
    values, v = [], 100.0
    for i in range(40):
        v *= 0.97 if (i // 5) % 2 == 0 else 0.99
        values.append(sign * v)
    rates = _follow(values, lr=0.5, mode=mode, threshold_mode="rel", threshold=0.02, patience=2,
                    factor=0.5, min_lr=0.01, max_lr=100.0)
    assert len(set(rates)) > 2


@live
def test_an_increase_of_exactly_eps_is_not_applied():
    # 0.5 / 0.5 = 1.0, capped at 0.75: a change of exactly eps = 0.25 is not more than eps
    rates = _follow([5.0, 4.0, 3.0], lr=0.5, patience=0, factor=0.5, max_lr=0.75, eps=0.25)
    assert rates == [0.5, 0.5, 0.5]
    rates = _follow([5.0, 4.0, 3.0], lr=0.5, patience=0, factor=0.5, max_lr=0.75, eps=0.125)
    assert rates == [0.75, 0.75, 0.75]


@live
def test_a_decrease_of_exactly_eps_is_not_applied():
    # 1.0 * 0.5 = 0.5, floored at 0.75: a change of exactly eps = 0.25 is not more than eps
    rates = _follow([1.0, 1.0, 1.0], lr=1.0, patience=0, factor=0.5, min_lr=0.75, eps=0.25,
                    reset_start=100)
    assert rates == [1.0, 1.0, 1.0]
    rates = _follow([1.0, 1.0, 1.0], lr=1.0, patience=0, factor=0.5, min_lr=0.75, eps=0.125,
                    reset_start=100)
    assert rates == [1.0, 0.75, 0.75]


@live
def test_a_rate_above_max_lr_is_not_pulled_down_by_an_increase():
    rates = _follow([5.0, 4.0, 3.0, 2.0], lr=2.0, patience=0, max_lr=1.0)
    assert rates == [2.0] * 4


@live
def test_a_rate_below_min_lr_is_not_pushed_up_by_a_decrease():
    # (the first observation improves on +inf and lifts the rate once, still below min_lr)
    rates = _follow([1.0] * 4, lr=5e-4, patience=0, min_lr=1e-3, reset_start=100)
    assert rates == [5e-4 / 0.95] * 4


@live
def test_last_epoch_counts_observations():
    ours = GreedyLR(lr=0.5)
    assert ours.last_epoch == 0
    _follow([3.0, 2.0, 2.5, 2.5, 1.0], lr=0.5, patience=1, cooldown=1)
    for _ in range(3):
        ours.step(1.0)
    assert ours.last_epoch == 3


@live
@pytest.mark.parametrize("kw", [
    {"reset_start": 0, "patience": 0, "factor": 0.5, "min_lr": 0.25},
    {"reset_start": 1, "patience": 0, "factor": 0.5, "min_lr": 0.25},
    {"reset_start": 2, "patience": 1, "factor": 0.5, "min_lr": 0.25, "cooldown": 1},
])
def test_small_reset_start(kw):
    rates = _follow([1.0] * 12, lr=0.5, max_lr=0.5, **kw)
    assert set(rates) <= {0.25, 0.5}


@live
def test_window_size_one_is_the_raw_metric():
    metrics = [3.0, 1.0, 2.0, 0.5, 0.6, 0.7, 0.1, 5.0, 4.0, 0.05]
    raw = _follow(metrics, lr=0.5, patience=0, factor=0.5, min_lr=0.01)
    assert _follow(metrics, lr=0.5, patience=0, factor=0.5, min_lr=0.01, smooth=True,
                   window_size=1) == raw


@live
def test_state_dict_round_trip_continues_like_transformers():
    kw = {"patience": 1, "factor": 0.5, "min_lr": 0.05, "smooth": True, "window_size": 3,
          "cooldown": 1, "warmup": 2}
    metrics = [5.0, 4.0, 3.0, 2.0, 2.5, 2.5, 2.6, 2.7, 1.0, 0.5, 0.4, 0.45, 0.46, 0.47]
    more = [0.48, 0.3, 0.2, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3, 0.05, 0.04, 0.2]
    ours = GreedyLR(lr=0.5, **kw)
    theirs, opt = _theirs(0.5, **kw)
    for m in metrics:
        ours.step(m)
        theirs.step(m)
    state = ours.state_dict()
    ref = theirs.state_dict()
    for name in ("best", "num_bad_epochs", "num_good_epochs", "cooldown_counter", "warmup_counter",
                 "reset_start", "last_epoch"):
        assert state[name] == ref[name], name
    assert state["lr"] == opt.param_groups[0]["lr"]
    assert state["window"] == ref["_streaming_avg"]["values"] and state["sum"] == ref["_streaming_avg"]["sum"]
    state["window"].append(99.0)  # a copy: the controller's own window is unchanged
    assert ours.window == ref["_streaming_avg"]["values"]
    state["window"].pop()

    fresh = GreedyLR(lr=0.5, **kw)
    fresh.load_state_dict(state)
    assert fresh.state_dict() == state
    for m in more:
        theirs.step(m)
        got = fresh.step(m)
        assert got == ours.step(m) == opt.param_groups[0]["lr"]
        _same_state(fresh, theirs, opt)
    assert fresh.window == theirs.state_dict()["_streaming_avg"]["values"]


def test_load_state_dict_names_what_is_missing():
    g = GreedyLR()
    with pytest.raises(ValueError, match=r"^GreedyLR: state is missing \['lr', 'best', 'num_bad_epochs', "
                                         r"'num_good_epochs', 'cooldown_counter', 'warmup_counter', "
                                         r"'reset_start', 'last_epoch', 'window', 'sum'\]$"):
        g.load_state_dict({})
    state = g.state_dict()
    del state["sum"]
    with pytest.raises(ValueError, match=r"^GreedyLR: state is missing \['sum'\]$"):
        g.load_state_dict(state)


@pytest.mark.parametrize("kw, exc, message", [
    ({"lr": -1}, ValueError, "GreedyLR: lr must be >= 0, got -1"),
    ({"factor": "a"}, TypeError, "GreedyLR: factor must be a number, got 'a' (str)"),
    ({"factor": 0.0}, ValueError, "GreedyLR: factor must be in (0, 1) (the rate is divided by it), got 0.0"),
    ({"factor": 1.0}, ValueError, "GreedyLR: factor must be in (0, 1) (the rate is divided by it), got 1.0"),
    ({"factor": 1.5}, ValueError, "GreedyLR: factor must be in (0, 1) (the rate is divided by it), got 1.5"),
    ({"mode": "up"}, ValueError, "GreedyLR: mode must be one of 'min', 'max', got 'up'"),
    ({"threshold_mode": "x"}, ValueError, "GreedyLR: threshold_mode must be one of 'rel', 'abs', got 'x'"),
    ({"threshold": -1}, ValueError, "GreedyLR: threshold must be >= 0, got -1"),
    ({"patience": -1}, ValueError, "GreedyLR: patience must be >= 0, got -1"),
    ({"patience": 1.5}, TypeError, "GreedyLR: patience must be an integer, got 1.5 (float)"),
    ({"cooldown": -1}, ValueError, "GreedyLR: cooldown must be >= 0, got -1"),
    ({"warmup": -1}, ValueError, "GreedyLR: warmup must be >= 0, got -1"),
    ({"min_lr": -1}, ValueError, "GreedyLR: min_lr must be >= 0, got -1"),
    ({"max_lr": -1}, ValueError, "GreedyLR: max_lr must be >= 0, got -1"),
    ({"eps": -1}, ValueError, "GreedyLR: eps must be >= 0, got -1"),
    ({"smooth": "yes"}, TypeError, "GreedyLR: smooth must be True or False, got 'yes'"),
    ({"window_size": 0}, ValueError, "GreedyLR: window_size must be >= 1, got 0"),
    ({"reset_start": -1}, ValueError, "GreedyLR: reset_start must be >= 0, got -1"),
])
def test_bad_arguments_named(kw, exc, message):
    with pytest.raises(exc) as info:
        GreedyLR(**kw)
    assert str(info.value).startswith(message)


def test_bad_metric_named():
    g = GreedyLR()
    with pytest.raises(TypeError) as info:
        g.step("abc")
    assert str(info.value) == "GreedyLR: metric must be a number or a one-element tensor, got 'abc' (str)"


def test_accepted_edge_arguments():
    g = GreedyLR(lr=0.0, patience=0, cooldown=0, warmup=0, min_lr=0.0, max_lr=0.0, eps=0.0,
                 threshold=0.0, window_size=1, reset_start=0, verbose=True)
    assert g.step(1.0) == 0.0
