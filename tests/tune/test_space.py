"""The search space: every point a valid schedule, clear errors for bad spaces, seeding."""

from __future__ import annotations

import numpy as np
import pytest

import lrkit
from lrkit import Budget
from lrkit.doctor import check
from lrkit.tune import FAMILIES, Space, default_space, load_space, rung_decay
from lrkit.tune.fair import branch_steps

from ._tasks import lsq_step_fn

WIDE = {
    "families": {**{f: {} for f in FAMILIES},
                 "exponential": {"floor": [1e-3, 0.5]},
                 "one_cycle": {"warmup": [0.05, 0.6], "floor": [1e-6, 1e-2], "warmup_start": [0.01, 0.5]},
                 "wsd": {"warmup": [0.0, 0.5], "decay": [0.05, 0.5],
                         "decay_shape": ["linear", "cosine", "1-sqrt", "exponential"],
                         "floor": [0.001, 0.2]},
                 "cosine_restarts": {"restarts": [1, 5], "peak_decay": [0.5, 1.0]}},
    "peak": [1e-5, 1.0],
    "warmup": [0.0, 0.9],
    "warmup_start": [0.0, 1.0],
}


@pytest.mark.parametrize("total", [60, 100, 997])
def test_every_sampled_point_is_a_schedule_lrkit_check_finds_no_error_in(total):
    space = Space.from_config(WIDE)
    budget = Budget(total_steps=total)
    space.check(budget)
    seen = set()
    for point in space.random(150, seed=total):
        cfg = point.config(budget)
        schedule = lrkit.from_config(cfg)
        report = check(schedule, budget=budget)
        assert not report.errors, (point, [str(f) for f in report.errors])
        # the config is plain: it survives a round trip and rebuilds an equal schedule
        assert lrkit.from_config(schedule.to_config()) == schedule
        seen.add(point.family)
    assert seen == set(FAMILIES)


def test_default_space_points_have_no_warning_either():
    budget = Budget(steps_per_epoch=50, epochs=6)
    space = default_space("adamw")
    space.check(budget)
    for point in space.random(60, seed=1):
        report = check(point.schedule(budget), budget=budget, optimizer="adamw")
        assert not report.errors and not report.warnings, (point, report.format())


def test_every_family_is_linear_in_its_peak():
    """Every rate of a point is a fraction of its peak, so changing the peak mid-run (population
    based training) scales the curve from that step on and changes nothing else."""
    budget = Budget(total_steps=300)
    space = Space.from_config(WIDE)
    t = np.arange(0, 330, dtype=np.float64)
    for point in space.random(40, seed=5):
        a = point.schedule(budget)(t)
        other = lrkit.tune.Point(point.family, {**point.values, "peak": point.values["peak"] * 3.7})
        b = other.schedule(budget)(t)
        np.testing.assert_allclose(b, 3.7 * a, rtol=1e-12, atol=0)


def test_warmup_and_decay_are_fractions_of_the_run_and_decay_ends_at_the_end():
    budget = Budget(total_steps=1000)
    space = Space.from_config({"families": ["cosine", "wsd"], "peak": 0.1, "warmup": 0.05,
                               "decay": 0.2, "floor": 0.01})
    cos = space.point("cosine").schedule(budget)
    assert cos.steps == 50 and cos.schedule.steps == 950 and cos.horizon == 1000
    assert cos(50) == pytest.approx(0.1) and cos(1000) == pytest.approx(0.001)
    wsd = space.point("wsd").schedule(budget)
    assert (wsd.warmup_steps, wsd.decay_steps, wsd.total) == (50, 200, 1000)
    assert wsd(799) == 0.1 and wsd(1000) == pytest.approx(0.001)


def test_yaml_space_file_reads_yaml_1_2_numbers_and_round_trips(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("families: [cosine, wsd]\npeak: [1e-4, 3e-1]\nwarmup: [0, .1]\n"
                    "wsd: {}\n".replace("wsd: {}\n", "") + "budget: {total_steps: 100}\n")
    space = load_space(path)
    assert space.dists("cosine")["peak"].bounds == (1e-4, 0.3)
    assert space.dists("cosine")["peak"].log is True  # the peak is log-uniform by default
    assert space.dists("wsd")["warmup"].log is False
    assert Space.from_config(space.to_config()) == space


def test_shared_knobs_share_one_tuner_parameter():
    space = Space.from_config({"families": {"cosine": {}, "wsd": {}, "one_cycle": {"warmup": [0.2, 0.3]}},
                               "peak": [1e-3, 1.0], "warmup": [0.0, 0.1]})
    assert space.param_name("cosine", "peak") == space.param_name("wsd", "peak") == "peak"
    assert space.param_name("cosine", "warmup") == "cosine.warmup"
    assert space.param_name("one_cycle", "warmup") == "one_cycle.warmup"


BAD = [
    ({"families": ["cosine", "cosin"], "peak": [1e-3, 1]}, ValueError, "unknown family 'cosin'"),
    ({"families": ["cosine"], "peak": [1e-1, 1e-3]}, ValueError, "empty range"),
    ({"families": ["cosine"], "peak": []}, ValueError, "empty list"),
    ({"families": ["cosine"], "peak": [1e-3, 1], "warmup": [0, 1.5]}, ValueError,
     "space.cosine.warmup.high must be a number in [0, 1)"),
    ({"families": ["cosine"], "peak": [1e-3, 1], "warmup": 1.0}, ValueError,
     "space.cosine.warmup must be a number in [0, 1)"),
    ({"families": ["wsd"], "peak": [1e-3, 1], "warmup": [0, 0.5], "decay": [0.1, 0.6]}, ValueError,
     "warmup + decay must fit in the run"),
    ({"families": ["cosine"], "peak": [0, 1]}, ValueError, "log range needs low > 0"),
    ({"families": ["cosine"]}, ValueError, "the peak has no range"),
    ({"families": ["cosine"], "peak": [1e-3, 1], "decay": [0.1, 0.2]}, ValueError,
     "none of the families cosine has this knob"),
    ({"families": {"cosine": {"restarts": 2}}, "peak": [1e-3, 1]}, ValueError, "has no knob 'restarts'"),
    ({"families": ["cosine"], "peek": [1e-3, 1]}, ValueError, "did you mean 'peak'"),
    ({"families": ["cosine"], "peak": [1e-3, 2.0], "optimizer": "adamw"}, ValueError,
     "above lrkit check's error bound for adamw"),
    ({"families": ["cosine_restarts"], "peak": [1e-3, 1], "restarts": [1, 2.5]}, TypeError,
     "range of integers"),
    ({"families": ["wsd"], "peak": [1e-3, 1], "decay_shape": ["linear", "sqrt"]}, ValueError,
     "space.wsd.decay_shape[1] must be one of"),
    ({"families": ["one_cycle"], "peak": [1e-3, 1], "warmup": [0.0, 0.3]}, ValueError,
     "warmup must be > 0 for one_cycle"),
    ({"families": ["cosine"], "peak": [1e-3, 1, 3]}, ValueError, "two numbers"),
    ({"families": ["cosine"], "peak": {"low": 1e-3}}, ValueError, "must be a range"),
    ({"families": []}, ValueError, "must be a non-empty list"),
]


@pytest.mark.parametrize("cfg, exc, text", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_spaces_fail_clearly(cfg, exc, text):
    with pytest.raises(exc) as info:
        Space.from_config(cfg)
    assert text in str(info.value)


def test_constraints_that_need_the_run_length_are_checked_against_the_budget():
    wsd = Space.from_config({"families": ["wsd"], "peak": [1e-3, 1], "decay": [0.005, 0.2]})
    wsd.check(Budget(total_steps=1000))  # 5 steps of decay at least
    with pytest.raises(ValueError, match=r"space.wsd.decay: the shortest decay .* under one step"):
        wsd.check(Budget(total_steps=100))
    oc = Space.from_config({"families": ["one_cycle"], "peak": [1e-3, 1], "warmup": [0.01, 0.3]})
    with pytest.raises(ValueError, match=r"one_cycle's rise .* more than one step"):
        oc.check(Budget(total_steps=50))
    with pytest.raises(ValueError, match="budget must give the run's length"):
        oc.check(Budget(steps_per_epoch=10))


def test_seeded_by_a_real_range_test_searches_a_band_around_its_suggestion():
    result = lrkit.find_lr(lsq_step_fn(), start=1e-5, end=10.0, num_steps=80)
    r = result.suggest(target="one_cycle")
    space = default_space(finder=result, band=3.0)
    for fam in space.families:
        lo, hi = space.dists(fam)["peak"].bounds
        assert lo == pytest.approx(r / 3) and hi == pytest.approx(r * 3)
    for point in space.random(30, seed=0):
        assert r / 3 <= point.values["peak"] <= r * 3
    with pytest.raises(ValueError, match="band must be a number > 1"):
        default_space(finder=result, band=1.0)
    with pytest.raises(TypeError, match="finder must be an lrkit.FinderResult"):
        default_space(finder="0.1")


def test_default_space_peak_ranges_follow_the_optimizer():
    assert default_space("sgd").dists("cosine")["peak"].bounds == pytest.approx((1e-3, 1.0))
    assert default_space("adamw").dists("wsd")["peak"].bounds == pytest.approx((1e-5, 1e-2))
    assert default_space().dists("one_cycle")["peak"].bounds == (1e-5, 1.0)
    assert default_space().families == ("cosine", "wsd", "one_cycle")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        default_space("adamm")


def test_rung_decay_branches_a_short_decay_from_the_stable_phase():
    budget = Budget(total_steps=1000)
    wsd = Space.from_config({"families": ["wsd"], "peak": 0.2, "warmup": 0.05, "decay": 0.2,
                             "floor": 0.0}).point("wsd").schedule(budget)
    branch = rung_decay(wsd, 300)
    d = branch_steps(wsd, 300)
    assert d == 60  # the same fraction of the run so far (20 %)
    t = np.arange(300.0)
    np.testing.assert_array_equal(branch(t), wsd(t))  # identical up to the rung
    assert branch(300 + d) == 0.0 and branch(330) < 0.2
    with pytest.raises(ValueError, match="at must lie in the stable phase"):
        rung_decay(wsd, 900)
    with pytest.raises(TypeError, match="warmup-stable-decay"):
        rung_decay(lrkit.Cosine(0.1, 100), 50)


def test_importing_lrkit_tune_and_the_cli_loads_neither_optuna_nor_ray():
    import subprocess
    import sys

    code = ("import sys, lrkit.tune, lrkit.cli; lrkit.cli.build_parser(); "
            "print(sorted(m for m in ('optuna', 'ray', 'torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
