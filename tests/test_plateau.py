"""The plateau controller against the real torch ReduceLROnPlateau, and as a plan part."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit import Constant, Cosine, Linear, warmup
from lrkit.plateau import OnPlateau, Plateau

torch = pytest.importorskip("torch")


def torch_sequence(lr: float, metrics: list[float], **kw: object) -> list[float]:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


CONFIGS = [
    dict(),
    dict(mode="max", factor=0.5, patience=2),
    dict(factor=0.5, patience=1, threshold=0.1, threshold_mode="abs", cooldown=2),
    dict(mode="max", factor=0.3, patience=0, threshold=0.05, threshold_mode="rel", min_lr=0.004),
    dict(factor=0.7, patience=0, eps=0.005, cooldown=1),
    dict(factor=0.0, patience=3, min_lr=1e-5),
]


@pytest.mark.parametrize("kw", CONFIGS)
def test_equals_torch_on_noisy_plateaus(kw: dict) -> None:
    rng = np.random.default_rng(0)
    # a loss that improves, stalls, jumps and oscillates: every branch of the rule is hit
    metrics = list(np.concatenate([np.linspace(1, 0.5, 10), np.full(15, 0.5),
                                   0.5 + 0.05 * rng.standard_normal(40), np.full(10, 0.2)]))
    expected = torch_sequence(0.1, metrics, **kw)
    ctl = Plateau(0.1, **kw)
    got = [ctl.step(m) for m in metrics]
    assert got == expected  # exact: same recursion
    assert ctl.num_reductions > 0


@settings(max_examples=60, deadline=None)
@given(
    metrics=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40),
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    factor=st.floats(0.0, 0.99),
    patience=st.integers(0, 4),
    cooldown=st.integers(0, 3),
    min_lr=st.sampled_from([0.0, 1e-3]),
)
def test_property_equals_torch(metrics, mode, threshold_mode, factor, patience, cooldown, min_lr):
    kw = dict(mode=mode, threshold_mode=threshold_mode, factor=factor, patience=patience,
              cooldown=cooldown, min_lr=min_lr, threshold=0.01)
    ctl = Plateau(0.05, **kw)
    assert [ctl.step(m) for m in metrics] == torch_sequence(0.05, metrics, **kw)


def test_state_dict_resume_is_exact() -> None:
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    full = Plateau(1.0, factor=0.5, patience=1, cooldown=1)
    want = [full.step(m) for m in metrics]
    a = Plateau(1.0, factor=0.5, patience=1, cooldown=1)
    first = [a.step(m) for m in metrics[:5]]
    b = Plateau(1.0, factor=0.5, patience=1, cooldown=1)
    b.load_state_dict(a.state_dict())
    assert first + [b.step(m) for m in metrics[5:]] == want
    assert set(a.state_dict()) >= {"best", "num_bad_epochs", "cooldown_counter", "scale"}


@pytest.mark.parametrize(
    "kw, word",
    [
        (dict(factor=1.0), "factor"),
        (dict(factor=-0.1), "factor"),
        (dict(mode="lowest"), "mode"),
        (dict(threshold_mode="relative"), "threshold_mode"),
        (dict(patience=-1), "patience"),
        (dict(patience=1.5), "patience"),
        (dict(cooldown=-2), "cooldown"),
        (dict(min_lr=-1e-3), "min_lr"),
        (dict(eps=-1.0), "eps"),
        (dict(threshold=float("nan")), "threshold"),
    ],
)
def test_bad_arguments_name_themselves(kw: dict, word: str) -> None:
    with pytest.raises((ValueError, TypeError), match=word):
        Plateau(0.1, **kw)


def test_bad_metric() -> None:
    ctl = Plateau(0.1)
    with pytest.raises(TypeError, match="metric"):
        ctl.step("low")
    with pytest.raises(TypeError, match="metric"):
        ctl.step(None)
    assert ctl.last_epoch == 0  # nothing recorded


def test_tensor_metric_accepted() -> None:
    ctl = Plateau(0.1, patience=0)
    ctl.step(torch.tensor(1.0))
    assert ctl.step(torch.tensor(2.0)) == pytest.approx(0.01, rel=1e-12)


def test_load_state_dict_rejects_partial_state() -> None:
    with pytest.raises(ValueError, match="missing"):
        Plateau().load_state_dict({"best": 1.0})


# -- the multiplier form ---------------------------------------------------------------------
def test_on_plateau_constant_matches_torch_values() -> None:
    metrics = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    part = OnPlateau(Constant(0.1), factor=0.5, patience=1, min_lr=0.02)
    got = []
    for t, m in enumerate(metrics):
        part.observe(t, m)
        got.append(part(t + 1))
    expected = torch_sequence(0.1, metrics, factor=0.5, patience=1, min_lr=0.02)
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_warmup_then_plateau_ignores_metrics_during_warmup() -> None:
    part = OnPlateau(warmup(Constant(1.0), 10), factor=0.5, patience=0, start=10)
    for t in range(10):
        assert not part.observe(t, 5.0 + t)  # getting worse, but ignored
        assert part(t) == pytest.approx(t / 10)
    part.observe(10, 1.0)
    assert part.observe(11, 2.0)  # first bad observation after patience 0
    assert part(12) == 0.5


def test_cosine_with_plateau_cuts_multiplies_the_curve() -> None:
    base = Cosine(1.0, 100)
    part = OnPlateau(base, factor=0.5, patience=0)
    part.observe(0, 1.0)
    part.observe(1, 1.0)
    for t in (2, 30, 60, 99):
        assert part(t) == pytest.approx(0.5 * base(t), rel=1e-15)


def test_plateau_ending_in_a_cooldown() -> None:
    part = OnPlateau(Constant(1.0), factor=0.1, patience=0, stop=50, then=Linear(1.0, 0.0, 10))
    part.observe(0, 1.0)
    part.observe(1, 1.0)  # one cut
    assert not part.observe(50, 9.0)  # after stop: ignored
    assert part(49) == pytest.approx(0.1)
    assert part(50) == pytest.approx(0.1)
    assert part(55) == pytest.approx(0.05)
    assert part(60) == 0.0 and part(100) == 0.0


def test_eps_skips_tiny_cut_at_small_schedule_value() -> None:
    part = OnPlateau(Linear(1.0, 0.0, 100), factor=0.5, patience=0, eps=0.01)
    part.observe(98, 1.0)
    assert not part.observe(99, 1.0)  # value 0.01 -> 0.005 changes by <= eps
    assert part.scale == 1.0


def test_on_plateau_argument_errors() -> None:
    with pytest.raises(TypeError, match="schedule"):
        OnPlateau(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stop"):
        OnPlateau(Constant(1.0), start=10, stop=5)
    with pytest.raises(ValueError, match="stop"):
        OnPlateau(Constant(1.0), then=Linear(1.0, 0.0, 5))
    with pytest.raises(TypeError, match="then"):
        OnPlateau(Constant(1.0), stop=5, then=0.5)  # type: ignore[arg-type]


def test_never_nan_with_infinite_metric() -> None:
    ctl = Plateau(0.1, patience=0)
    out = [ctl.step(m) for m in [math.inf, math.inf, 1.0]]
    assert all(math.isfinite(v) for v in out)


# -- a loaded state is checked ----------------------------------------------------------------
def _observed(ctl):
    for m in [1.0, 0.9, 0.9, 0.9, 0.9]:
        ctl.step(m) if isinstance(ctl, Plateau) else ctl.observe(0, m)
    return ctl


@pytest.mark.parametrize("key, value, exc, words", [
    ("scale", -2.0, ValueError,
     r"state\[.scale.\] \(the product of the reductions\) must be in \[0, 1\], got -2.0"),
    ("scale", 1.5, ValueError, r"state\['scale'\].*must be in \[0, 1\]"),
    ("scale", "0.5", TypeError, r"state\['scale'\] must be a number"),
    ("best", "x", TypeError, r"state\['best'\] must be a number.*got 'x'"),
    ("best", float("nan"), ValueError, r"state\['best'\] must not be NaN"),
    ("best", None, TypeError, r"state\['best'\] must be a number"),
    ("num_bad_epochs", -1, ValueError, r"state\['num_bad_epochs'\] must be >= 0, got -1"),
    ("num_bad_epochs", 1.5, TypeError, r"state\['num_bad_epochs'\] must be an integer >= 0, got 1.5"),
    ("cooldown_counter", True, TypeError, r"state\['cooldown_counter'\] must be an integer"),
    ("last_epoch", "3", TypeError, r"state\['last_epoch'\] must be an integer"),
    ("num_reductions", -3, ValueError, r"state\['num_reductions'\] must be >= 0"),
    ("lr", -0.1, ValueError, r"state\['lr'\] must be >= 0, got -0.1"),
    ("lr", math.inf, ValueError, r"state\['lr'\] must be a finite number"),
])
@pytest.mark.parametrize("make", [lambda: Plateau(0.1, factor=0.5, patience=1),
                                  lambda: OnPlateau(Constant(0.1), factor=0.5, patience=1)])
def test_load_state_dict_rejects_a_bad_state_and_changes_nothing(make, key, value, exc, words) -> None:
    good = _observed(make()).state_dict()
    ctl = make()
    before = ctl.state_dict()
    bad = dict(good, **{key: value})
    owner = type(ctl).__name__
    with pytest.raises(exc, match=rf"^{owner}: {words}"):
        ctl.load_state_dict(bad)
    assert ctl.state_dict() == before
    ctl.load_state_dict(good)
    assert ctl.state_dict() == good


def test_load_state_dict_keys_and_numpy_values() -> None:
    ctl = Plateau(0.1)
    good = _observed(Plateau(0.1, patience=1)).state_dict()
    with pytest.raises(ValueError, match=r"state has unknown keys \['factor'\]"):
        ctl.load_state_dict(dict(good, factor=0.5))
    with pytest.raises(ValueError, match="state is missing"):
        ctl.load_state_dict({k: v for k, v in good.items() if k != "scale"})
    with pytest.raises(TypeError, match="state must be a dict, got list"):
        ctl.load_state_dict([1, 2])
    assert ctl.state_dict() == Plateau(0.1).state_dict()
    # what a checkpoint may hand back: NumPy scalars, infinite best before any metric
    ctl.load_state_dict({**good, "num_bad_epochs": np.int64(2), "scale": np.float32(0.5), "best": -math.inf})
    assert type(ctl.num_bad_epochs) is int and ctl.scale == 0.5 and ctl.best == -math.inf


# -- config round trip -----------------------------------------------------------------------
ON_PLATEAU = [
    lambda: OnPlateau(Constant(1e-3)),
    lambda: OnPlateau(warmup(Cosine(1e-3, 1000), 100), mode="max", factor=0.5, patience=3,
                      threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=1e-5, eps=1e-9,
                      start=100),
    lambda: OnPlateau(Constant(1e-3), factor=0.3, stop=900, then=Linear(1.0, 0.0, 100)),
]


@pytest.mark.parametrize("make", ON_PLATEAU)
@pytest.mark.parametrize("suffix", [".json", ".yaml", ".toml"])
def test_on_plateau_config_round_trip(make, suffix, tmp_path) -> None:
    import lrkit

    part = make()
    cfg = part.to_config()
    assert cfg["type"] == "on_plateau" and lrkit.from_config(cfg) == part
    path = tmp_path / ("plan" + suffix)
    lrkit.dump(part, path)
    back = lrkit.load(path)
    assert isinstance(back, OnPlateau) and back == part and back.to_config() == cfg
    # and it behaves the same: the same cuts at the same steps
    metrics = [1.0, 0.9] + [0.9] * 14 + [0.8] * 14
    for t, m in enumerate(metrics):
        step = 100 + 20 * t
        assert part.observe(step, m) == back.observe(step, m)
        assert part(step + 1) == back(step + 1)
    assert part.scale < 1.0 and back.state_dict() == part.state_dict()
    assert part != OnPlateau(Constant(5.0))


def test_on_plateau_config_durations_with_units_errors_and_arrays() -> None:
    import lrkit

    part = lrkit.from_config({"type": "on_plateau", "schedule": {"type": "constant", "value": 0.1},
                              "start": "2 epochs", "stop": "10 epochs"}, budget={"steps_per_epoch": 50})
    assert part.start == 100 and part.stop == 500
    with pytest.raises(ValueError, match=r"config \(on_plateau\): OnPlateau: factor must be in \[0, 1\)"):
        lrkit.from_config({"type": "on_plateau", "schedule": {"type": "constant", "value": 0.1},
                           "factor": 2.0})
    # evaluated on arrays and tensors like a schedule, equal to the scalar values
    part = OnPlateau(Cosine(1.0, 100), factor=0.5, patience=0, min_lr=0.2, stop=60,
                     then=Linear(1.0, 0.0, 20))
    part.observe(0, 1.0)
    part.observe(1, 1.0)
    steps = np.arange(0.0, 100.0, 0.5)
    scalar = [part(float(t)) for t in steps]
    np.testing.assert_array_equal(part(steps), scalar)
    np.testing.assert_array_equal(part(torch.tensor(steps)).numpy(), scalar)
    assert Plateau(0.1, patience=2) == Plateau(0.1, patience=2) != Plateau(0.1)
