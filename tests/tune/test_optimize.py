"""optimize() with Optuna on real small trainings: it finds better than a bad default, prunes,
records failures and goes on, resumes a killed study, and refuses bad input clearly."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import lrkit
from lrkit import Budget
from lrkit.tune import SweepResult, default_space, optimize

from ._tasks import STEPS, lsq_objective, lsq_step_fn

optuna = pytest.importorskip("optuna")

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"families": ["cosine", "wsd"], "peak": [1e-4, 0.3], "warmup": [0.0, 0.1]}


def test_a_sweep_on_digits_beats_a_bad_default():
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from ._tasks import digits_objective

    objective, total = digits_objective(epochs=2)
    bad = objective(lrkit.Constant(1e-4), lambda step, value: None)
    result = optimize(objective, default_space("sgd"), budget=Budget(total_steps=total), n_trials=8,
                      direction="maximize", pruner="none", seed=0)
    assert isinstance(result, SweepResult) and len(result.trials) == 8
    assert result.best_value > bad + 0.3, (bad, result.best_value)
    # the best config is plain: lrkit.from_config loads it, and it reproduces the best value
    schedule = lrkit.from_config(result.best_config)
    assert objective(schedule, lambda s, v: None) == pytest.approx(result.best_value)
    assert result.best_values["family"] in ("cosine", "wsd", "one_cycle")


def test_pruning_stops_bad_trials_early_and_records_where():
    steps_run: list[list[int]] = []

    def objective(schedule, report):
        steps_run.append([])
        return lsq_objective(schedule, report, every=10, counter=steps_run[-1])

    result = optimize(objective, {**SMALL, "peak": [1e-5, 0.3]}, budget=Budget(total_steps=STEPS),
                      n_trials=14, pruner="median", seed=3)
    pruned = [t for t in result.trials if t.state == "pruned"]
    assert pruned, result.table()
    for t in pruned:
        assert t.step < STEPS and t.value is not None  # its last reported value
        assert len(steps_run[t.number]) == t.step  # the objective really stopped there
    best = result.best_trial
    assert best.state == "complete" and best.value == min(t.value for t in result.completed)


def test_failures_are_recorded_with_their_reason_and_the_sweep_goes_on():
    def objective(schedule, report):
        n = report.number
        if n == 1:
            raise RuntimeError("out of memory (pretend)")
        if n == 2:
            return math.nan
        if n == 3:
            report(5, math.inf)
        if n == 4:
            return "0.3"
        return lsq_objective(schedule, report)

    result = optimize(objective, SMALL, budget={"total_steps": STEPS}, n_trials=7, pruner="none")
    by = {t.number: t for t in result.trials}
    assert by[1].state == "failed" and by[1].error == "RuntimeError: out of memory (pretend)"
    assert by[2].state == "failed" and "is nan, not a finite number" in by[2].error
    assert by[3].state == "failed" and "value at step 5 is inf" in by[3].error
    assert by[4].state == "failed" and "must be a finite number, got '0.3'" in by[4].error
    assert [t.state for t in result.trials].count("complete") == 3
    rows = result.table()
    assert rows[1]["error"].startswith("RuntimeError") and rows[0]["error"] is None


def test_all_trials_failing_gives_a_clear_message():
    def objective(schedule, report):
        raise ValueError("no data")

    result = optimize(objective, SMALL, budget=Budget(total_steps=STEPS), n_trials=2)
    with pytest.raises(ValueError, match="no completed trial .*2 failed.*first failure: ValueError: no data"):
        _ = result.best_config


def test_seeded_sweep_samples_only_inside_the_band():
    finder = lrkit.find_lr(lsq_step_fn(), start=1e-5, end=10.0, num_steps=80)
    r = finder.suggest(target="one_cycle")
    result = optimize(lsq_objective, default_space(), budget=Budget(total_steps=STEPS), n_trials=6,
                      finder=finder, band=2.0, pruner="none")
    peaks = [t.peak for t in result.trials]
    assert all(r / 2 <= p <= r * 2 for p in peaks), (r, peaks)


def test_result_table_csv_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    result = optimize(lsq_objective, SMALL, budget=Budget(total_steps=STEPS), n_trials=5, pruner="none")
    text = result.to_csv(tmp_path / "t.csv")
    header = text.splitlines()[0].split(",")
    assert header[:4] == ["number", "state", "value", "family"] and "peak" in header and "error" in header
    assert len(text.splitlines()) == 6
    ax = result.plot()
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "peak learning rate"
    paths = result.save(tmp_path / "report")
    assert lrkit.load(paths["best"]) == lrkit.from_config(result.best_config)
    assert paths["plot"].stat().st_size > 1000


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"storage": "sqlite:////no/such/dir/sweep.db"}, ValueError,
     "storage 'sqlite:////no/such/dir/sweep.db' cannot be opened"),
    ({"storage": "sweep.db"}, ValueError, "storage must be a database URL"),
    ({"direction": "max"}, ValueError, "direction must be 'minimize' or 'maximize', got 'max'"),
    ({"n_trials": 0}, ValueError, "n_trials must be an integer >= 1, got 0"),
    ({"backend": "hyperopt"}, ValueError, "backend must be one of 'optuna', 'ray'"),
    ({"pruner": "asha"}, ValueError, "pruner must be one of"),
    ({"scheduler": "pbt"}, ValueError, "scheduler is not used by backend='optuna'"),
    ({"backend": "ray", "storage": "sqlite:///x.db"}, ValueError,
     "storage is not used by backend='ray' (Ray Tune keeps its state in storage_path"),
    ({"budget": Budget(steps_per_epoch=10)}, ValueError, "budget must give the run's length"),
    ({"budget": Budget(total_steps=100, epochs=2, steps_per_epoch=40)}, ValueError,
     "budget: the budget gives total_steps=100, but epochs=2"),
    ({"space": {"families": ["cosine"], "peak": [1e-3, 1], "warmup": [0.2, 1.2]}}, ValueError,
     "space.cosine.warmup.high must be a number in [0, 1)"),
    ({"space": {"families": ["cosine", "sgdr"], "peak": [1e-3, 1]}}, ValueError,
     "unknown family 'sgdr'"),
    ({"space": {"families": ["cosine"], "peak": [0.5, 0.1]}}, ValueError, "empty range"),
])
def test_bad_input_fails_clearly_before_any_trial(tmp_path, kwargs, exc, text):
    calls = []
    args = {"space": SMALL, "budget": Budget(total_steps=STEPS), "n_trials": 2, **kwargs}
    space = args.pop("space")
    with pytest.raises(exc) as info:
        optimize(lambda s, r: calls.append(1) or 0.0, space, **args)
    assert text in str(info.value)
    assert not calls


def test_a_study_resumed_with_another_space_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    optimize(lsq_objective, SMALL, budget=Budget(total_steps=STEPS), n_trials=1, storage=url)
    with pytest.raises(ValueError, match="started with another space"):
        optimize(lsq_objective, {**SMALL, "peak": [1e-3, 0.3]}, budget=Budget(total_steps=STEPS),
                 n_trials=2, storage=url)
    with pytest.raises(ValueError, match="started with another budget"):
        optimize(lsq_objective, SMALL, budget=Budget(total_steps=STEPS + 1), n_trials=2, storage=url)


SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from tests.tune._tasks import lsq_objective, STEPS
from lrkit import Budget
from lrkit.tune import optimize

def objective(schedule, report):
    if report.number == 3 and os.environ.get("HANG"):
        open({marker!r}, "w").close()
        time.sleep(600)  # killed here, mid-trial
    return lsq_objective(schedule, report)

r = optimize(objective, {space!r}, budget=Budget(total_steps=STEPS), n_trials=6,
             storage={url!r}, pruner="none", seed=0)
print("DONE", len(r.trials))
"""


def test_a_killed_sweep_resumes_and_loses_no_finished_trial(tmp_path):
    marker = tmp_path / "in-trial-3"
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    script = tmp_path / "sweep.py"
    script.write_text(textwrap.dedent(SCRIPT.format(root=str(ROOT), marker=str(marker), space=SMALL,
                                                    url=url)))
    env = {**os.environ, "HANG": "1"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep never reached trial 3"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    before = optuna.load_study(study_name="lrkit-sweep", storage=url).trials
    assert [t.state.name for t in before] == ["COMPLETE"] * 3 + ["RUNNING"]

    env.pop("HANG")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    after = optuna.load_study(study_name="lrkit-sweep", storage=url).trials
    # the finished trials are kept as they were
    for old, new in zip(before[:3], after[:3], strict=True):
        assert new.state.name == "COMPLETE" and new.value == old.value and new.params == old.params
    # the interrupted one is failed with the reason, and tried again first with its own point
    assert after[3].state.name == "FAIL" and after[3].user_attrs["error"].startswith("interrupted")
    assert after[4].params == before[3].params and after[4].state.name == "COMPLETE"
    # n_trials counts the study: 3 before + 3 now (the interrupted one does not count)
    assert [t.state.name for t in after].count("COMPLETE") == 6 and len(after) == 7
