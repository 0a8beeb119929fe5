"""The plateau controller's edges, stated from torch's ``ReduceLROnPlateau`` and by hand.

Written to kill the mutants of ``src/lrkit/plateau.py`` that ``tests/test_plateau.py`` left alive
(``python benchmarks/mutation.py plateau``): ties at the threshold and at ``eps`` (torch's strict
comparisons), the counters a fresh or reset controller starts from, the hand-over at ``stop``,
the values before the first cut, the owner and argument named in every error message.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from lrkit import Constant, Linear
from lrkit.plateau import OnPlateau, Plateau, metric_value
from tests.test_plateau import torch_sequence

torch = pytest.importorskip("torch")


def torch_lrs(lr: float, metrics: list[float], **kw: object) -> list[float]:
    """The rate torch's ReduceLROnPlateau leaves after each metric (one param group)."""
    return torch_sequence(lr, metrics, **kw)


# -- defaults and a fresh state -----------------------------------------------------------------
def test_defaults_are_torchs() -> None:
    torch_defaults = {k: p.default for k, p in inspect.signature(
        torch.optim.lr_scheduler.ReduceLROnPlateau).parameters.items()}
    for cls in (Plateau, OnPlateau):
        ours = inspect.signature(cls).parameters
        for k in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps"):
            assert ours[k].default == torch_defaults[k], (cls.__name__, k)
    # and the objects built with them hold those values
    c = OnPlateau(Constant(1.0)).controller
    assert (c.mode, c.factor, c.patience, c.threshold, c.threshold_mode, c.cooldown, c.min_lr,
            c.eps) == ("min", 0.1, 10, 1e-4, "rel", 0, 0.0, 1e-8)
    assert Plateau().lr == Plateau().initial_lr == 1.0  # the value a bare Plateau drives


FRESH = {"best": math.inf, "num_bad_epochs": 0, "cooldown_counter": 0, "last_epoch": 0,
         "scale": 1.0, "lr": 0.3, "num_reductions": 0}


def test_fresh_and_reset_state_by_hand() -> None:
    ctl = Plateau(0.3, factor=0.5, patience=0, cooldown=2)
    assert ctl.state_dict() == FRESH
    for m in [1.0, 2.0, 3.0, 4.0]:
        ctl.step(m)
    assert ctl.state_dict() != FRESH
    ctl.reset()
    assert ctl.state_dict() == FRESH
    assert Plateau(0.3, mode="max").state_dict() == dict(FRESH, best=-math.inf)
    # the multiplier form drives a multiplier that starts at 1
    part = OnPlateau(Constant(0.3))
    assert part.state_dict() == dict(FRESH, lr=1.0)
    part.observe(0, 1.0)
    part.reset()
    assert part.state_dict() == dict(FRESH, lr=1.0)


def test_counters_by_hand() -> None:
    # lr 1, factor 0.5, patience 0, cooldown 0: metric 1 improves, 2 and 3 are bad -> two cuts
    ctl = Plateau(1.0, factor=0.5, patience=0)
    assert [ctl.step(m) for m in [1.0, 2.0, 3.0]] == [1.0, 0.5, 0.25]
    assert ctl.last_epoch == 3 and ctl.num_reductions == 2 and ctl.scale == 0.25
    assert ctl.best == 1.0 and not ctl.in_cooldown
    # with cooldown 2: the cut at the 2nd metric starts it, the next two are ignored
    ctl = Plateau(1.0, factor=0.5, patience=0, cooldown=2)
    out = [ctl.step(m) for m in [1.0, 2.0, 3.0, 4.0, 5.0]]
    assert out == [1.0, 0.5, 0.5, 0.5, 0.25] == torch_lrs(1.0, [1.0, 2.0, 3.0, 4.0, 5.0], factor=0.5,
                                                           patience=0, cooldown=2)
    assert ctl.num_reductions == 2 and ctl.last_epoch == 5


# -- ties: torch's comparisons are strict --------------------------------------------------------
@pytest.mark.parametrize("mode, threshold_mode, tie", [
    ("min", "abs", 0.5),   # 1.0 - 0.5
    ("min", "rel", 0.5),   # 1.0 * (1 - 0.5)
    ("max", "abs", 1.5),   # 1.0 + 0.5
    ("max", "rel", 1.5),   # 1.0 * (1 + 0.5)
])
def test_a_metric_exactly_at_the_threshold_is_not_an_improvement(mode, threshold_mode, tie) -> None:
    kw = dict(mode=mode, threshold_mode=threshold_mode, threshold=0.5, factor=0.5, patience=0)
    ctl = Plateau(1.0, **kw)
    assert not ctl.is_better(tie, 1.0)
    # first metric 1.0 sets the best; the tie is a bad observation -> cut at once (patience 0)
    got = [ctl.step(m) for m in [1.0, tie]]
    assert got == [1.0, 0.5] == torch_lrs(1.0, [1.0, tie], **kw)
    assert ctl.best == 1.0


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_is_better_equals_torchs_on_both_sides_of_each_tie(mode, threshold_mode) -> None:
    # best 2, threshold 0.5: the ties are 1.0 (min rel), 1.5 (min abs), 2.5 (max abs), 3.0 (max rel),
    # so every metric below separates the four rules
    ours = Plateau(1.0, mode=mode, threshold=0.5, threshold_mode=threshold_mode)
    p = torch.nn.Parameter(torch.zeros(1))
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([p], lr=1.0), mode=mode,
                                                        threshold=0.5, threshold_mode=threshold_mode)
    metrics = [0.5, 1.0, 1.2, 1.5, 1.8, 2.0, 2.2, 2.5, 2.8, 3.0, 3.5, 5.5]
    got = [ours.is_better(m, 2.0) for m in metrics]
    assert got == [theirs._is_better(m, 2.0) for m in metrics]  # torch 2.13 keeps it private
    by_hand = {("min", "rel"): [True] + [False] * 11, ("min", "abs"): [True, True, True] + [False] * 9,
               ("max", "abs"): [False] * 8 + [True] * 4, ("max", "rel"): [False] * 10 + [True] * 2}
    assert got == by_hand[mode, threshold_mode]


def test_a_subclass_names_itself() -> None:
    class Mine(Plateau):
        pass

    with pytest.raises(TypeError, match=r"^Mine: metric must be a number"):
        Mine().step("x")
    with pytest.raises(ValueError, match=r"^Mine: factor must be in"):
        Mine(factor=2.0)


def test_a_cut_of_exactly_eps_is_skipped() -> None:
    # 1.0 -> 0.5 changes the value by 0.5 == eps: torch keeps 1.0 (it cuts only when > eps)
    kw = dict(factor=0.5, patience=0, eps=0.5)
    ctl = Plateau(1.0, **kw)
    assert [ctl.step(m) for m in [1.0, 2.0, 3.0]] == [1.0, 1.0, 1.0] == torch_lrs(1.0, [1.0, 2.0, 3.0], **kw)
    assert ctl.num_reductions == 0 and ctl.scale == 1.0
    part = OnPlateau(Constant(1.0), **kw)
    part.observe(0, 1.0)
    assert not part.observe(1, 2.0)
    assert part.scale == 1.0 and part(2) == 1.0
    # just over eps: the cut happens
    part = OnPlateau(Constant(1.0), factor=0.5, patience=0, eps=0.4999)
    part.observe(0, 1.0)
    assert part.observe(1, 2.0) and part(2) == 0.5


def test_observe_says_false_without_a_cut() -> None:
    part = OnPlateau(Constant(1.0), factor=0.5, patience=1)
    assert part.observe(0, 1.0) is False  # an improvement
    assert part.observe(1, 2.0) is False  # bad, within patience
    assert part.observe(2, 2.0) is True   # the cut
    assert part.scale == 0.5


# -- the multiplier form's values ---------------------------------------------------------------
def test_no_floor_before_the_first_cut() -> None:
    # v = s(t) while no cut was applied, even below min_lr (torch only floors a reduction)
    part = OnPlateau(Linear(1.0, 0.0, 100), min_lr=0.1)
    assert part(95) == pytest.approx(0.05, rel=1e-12)
    np.testing.assert_allclose(part(np.array([0.0, 50.0, 95.0])), [1.0, 0.5, 0.05], rtol=1e-12)
    # after a cut the floor applies: max(0.5 * 0.05, 0.1) = 0.1
    part = OnPlateau(Linear(1.0, 0.0, 100), factor=0.5, patience=0, min_lr=0.1)
    part.observe(0, 1.0)
    part.observe(1, 2.0)
    assert part(95) == 0.1 and part(20) == pytest.approx(0.4, rel=1e-12)
    np.testing.assert_allclose(part(np.array([20.0, 95.0])), [0.4, 0.1], rtol=1e-12)


def test_then_starts_at_stop() -> None:
    # v(t) = v(t1) g(t - t1) from t1 = stop on: at stop itself the value is v(t1) g(0)
    part = OnPlateau(Constant(0.8), stop=10, then=Linear(0.5, 0.0, 10))
    assert part(9) == 0.8
    assert part(10) == pytest.approx(0.4, rel=1e-12)
    assert part(15) == pytest.approx(0.2, rel=1e-12)
    np.testing.assert_allclose(part(np.array([9.0, 10.0, 15.0, 30.0])), [0.8, 0.4, 0.2, 0.0], rtol=1e-12)
    t = torch.tensor([9.0, 10.0], dtype=torch.float64)
    np.testing.assert_allclose(part(t).numpy(), [0.8, 0.4], rtol=1e-12)


# -- errors name the owner and the argument -----------------------------------------------------
@pytest.mark.parametrize("kw, message", [
    (dict(lr=-1.0), r"^Plateau: lr must be >= 0, got -1.0"),
    (dict(mode="x"), r"^Plateau: mode must be one of 'min', 'max', got 'x'"),
    (dict(factor="a"), r"^Plateau: factor must be a number, got 'a'"),
    (dict(factor=1.0), r"^Plateau: factor must be in \[0, 1\), got 1.0"),
    (dict(patience=-1), r"^Plateau: patience must be >= 0, got -1"),
    (dict(threshold=-1.0), r"^Plateau: threshold must be >= 0, got -1.0"),
    (dict(threshold_mode="x"), r"^Plateau: threshold_mode must be one of 'rel', 'abs', got 'x'"),
    (dict(cooldown=-1), r"^Plateau: cooldown must be >= 0, got -1"),
    (dict(min_lr=-1.0), r"^Plateau: min_lr must be >= 0, got -1.0"),
    (dict(eps=-1.0), r"^Plateau: eps must be >= 0, got -1.0"),
])
def test_plateau_errors_name_owner_and_argument(kw, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        Plateau(**kw)
    if "lr" not in kw:  # the multiplier form names itself
        with pytest.raises((ValueError, TypeError), match=message.replace("^Plateau", "^OnPlateau")):
            OnPlateau(Constant(1.0), **kw)


@pytest.mark.parametrize("kw, exc, message", [
    (dict(start=-1.0), ValueError, r"^OnPlateau: start must be >= 0, got -1.0"),
    (dict(stop="a"), TypeError, r"^OnPlateau: stop must be a number, got 'a'"),
    (dict(start=5, stop=5), ValueError, r"^OnPlateau: stop must be > start \(5.0\), got 5.0"),
    (dict(stop=5, then=0.5), TypeError, r"^OnPlateau: then must be an lrkit Schedule .*got 0.5 \(float\)"),
    (dict(schedule=0.5), TypeError, r"^OnPlateau: schedule must be an lrkit Schedule, got 0.5 \(float\)"),
])
def test_on_plateau_errors_name_owner_and_argument(kw, exc, message) -> None:
    kw = dict(kw)  # the parameter dict is shared between runs
    schedule = kw.pop("schedule", Constant(1.0))
    with pytest.raises(exc, match=message):
        OnPlateau(schedule, **kw)


def test_metric_errors_name_the_owner_and_type() -> None:
    for metric in (True, False):  # a bool is not a metric (it would read as 1.0 / 0.0)
        with pytest.raises(TypeError, match=rf"^Plateau: metric must be a number .*got {metric}$"):
            Plateau().step(metric)
        with pytest.raises(TypeError, match=rf"^OnPlateau: metric must be a number .*got {metric}$"):
            OnPlateau(Constant(1.0)).observe(0, metric)
    with pytest.raises(TypeError, match=r"^Plateau: metric must be .*got 'x' \(str\)$"):
        Plateau().step("x")
    with pytest.raises(TypeError, match=r"^OnPlateau: metric must be .*got 'x' \(str\)$"):
        OnPlateau(Constant(1.0)).observe(0, "x")
    with pytest.raises(TypeError, match=r"^Plateau: metric must be .*got \[1.0\] \(list\)$"):
        metric_value([1.0])  # the default owner
    with pytest.raises(TypeError, match=r"^Keras: metric"):
        metric_value(None, "Keras")


@pytest.mark.parametrize("key, value, message", [
    ("num_bad_epochs", 1.5, r"state\['num_bad_epochs'\] must be an integer >= 0, got 1.5 \(float\)"),
    ("best", "x", r"state\['best'\] must be a number .*got 'x' \(str\)"),
])
def test_state_errors_name_the_type(key, value, message) -> None:
    ctl = Plateau()
    with pytest.raises(TypeError, match=message):
        ctl.load_state_dict(dict(ctl.state_dict(), **{key: value}))


def test_state_scale_bounds_are_inclusive() -> None:
    # scale 1 (no cut yet) and 0 (after a cut with factor 0) are both states a run produces
    ctl = Plateau(1.0, factor=0.0, patience=0)
    ctl.load_state_dict(dict(FRESH))
    assert ctl.scale == 1.0
    ctl.step(1.0)
    ctl.step(2.0)
    assert ctl.scale == 0.0
    state = ctl.state_dict()
    fresh = Plateau(1.0, factor=0.0, patience=0)
    fresh.load_state_dict(state)
    assert fresh.state_dict() == state


def test_on_plateau_repr_by_hand() -> None:
    part = OnPlateau(Constant(0.5), factor=0.5, patience=3, stop=9, then=Constant(1.0))
    assert repr(part) == (
        "OnPlateau(Constant(value=0.5), mode='min', factor=0.5, patience=3, threshold=0.0001, "
        "threshold_mode='rel', cooldown=0, min_lr=0.0, eps=1e-08, start=0.0, stop=9.0, "
        "then=Constant(value=1.0))")


@pytest.mark.parametrize("kind", ["float", "numpy", "torch"])
def test_value_for_a_given_multiplier_by_hand(kind) -> None:
    # s(t) = 1 - t/100, floor 0.1, stop 60, then g(u) = 0.5 (1 - u/20); at t = 20, 50, 60, 70:
    # c = 1:   s(t) before stop, v(60) g(t - 60) after (no floor without a cut)
    # c = 0.5: max(0.5 s(t), 0.1) before stop, max(0.5 s(60), 0.1) g(t - 60) after
    # c = 0.1: the floor everywhere before the cooldown
    part = OnPlateau(Linear(1.0, 0.0, 100), min_lr=0.1, stop=60, then=Linear(0.5, 0.0, 20))
    free = OnPlateau(Linear(1.0, 0.0, 100), min_lr=0.1)  # no stop: t = 95 lies below the floor
    expected = {1.0: [0.8, 0.5, 0.2, 0.1], 0.5: [0.4, 0.25, 0.1, 0.05], 0.1: [0.1, 0.1, 0.05, 0.025]}
    steps = np.array([20.0, 50.0, 60.0, 70.0])

    def scale_of(c: float):  # a number, or a scalar array as a compiled step reads it from a variable
        return {"float": c, "numpy": np.array(c), "torch": torch.tensor(c, dtype=torch.float64)}[kind]

    def run(p, t, c):
        if kind == "torch":
            return p.value(torch.tensor(t, dtype=torch.float64), scale_of(c)).numpy()
        return p.value(t, scale_of(c))

    for c, want in expected.items():
        np.testing.assert_allclose(run(part, steps, c), want, rtol=1e-12)
    np.testing.assert_allclose(run(free, np.array([95.0]), 1.0), [0.05], rtol=1e-12)
    np.testing.assert_allclose(run(free, np.array([95.0]), 0.5), [0.1], rtol=1e-12)
    # stop where the schedule lies below the floor: the tail is floored only after a cut
    late = OnPlateau(Linear(1.0, 0.0, 100), min_lr=0.1, stop=95, then=Constant(1.0))
    np.testing.assert_allclose(run(late, np.array([96.0]), 1.0), [0.05], rtol=1e-12)
    np.testing.assert_allclose(run(late, np.array([96.0]), 0.5), [0.1], rtol=1e-12)


# ------------------------------------------------- found when the mutants were run without deadlocks
def test_past_stop_a_float32_array_gets_the_float64_value_at_stop_rounded_once():
    # the value held past `stop` is computed once in float64 and rounded to the array's float32:
    # 0.5 * 1e-3 * (1 + cos(pi * 1234 / 10000)) / 2, not the cosine evaluated in float32
    from lrkit import Cosine

    p = OnPlateau(Cosine(1e-3, 10_000), stop=1234)
    expected = np.float32(0.5 * 1e-3 * 0.5 * (1.0 + math.cos(math.pi * 1234 / 10_000)))
    got = p.value(np.array([1239.0, 5000.0], dtype=np.float32), 0.5)
    assert got.dtype == np.float32 and got[0] == expected and got[1] == expected


def test_a_traced_multiplier_is_decided_inside_the_graph_past_stop_too():
    # the multiplier read from a variable inside jax.jit is a tracer: the part past `stop` must
    # not test it in Python (it would raise TracerBoolConversionError)
    jax = pytest.importorskip("jax")
    p = OnPlateau(Constant(0.1), stop=10, min_lr=0.01)
    f = jax.jit(lambda t, c: p.value(t, c))
    t = jax.numpy.arange(0.0, 20.0, 5.0, dtype=jax.numpy.float32)
    np.testing.assert_allclose(np.asarray(f(t, jax.numpy.float32(0.5))), [0.05] * 4, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(f(t, jax.numpy.float32(0.01))), [0.01] * 4, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(f(t, jax.numpy.float32(1.0))), [0.1] * 4, rtol=1e-6)
