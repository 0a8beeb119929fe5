"""backend="ray": the same space under Ray Tune on a local 2-CPU Ray (``num_cpus=2``), on real
small trainings. Ray's start-up (~30 s on a loaded 2-core machine) is paid once for the module."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lrkit import Budget
from lrkit.tune import Point, optimize

from ._tasks import STEPS, X, Y, lsq_loss, lsq_objective

ray = pytest.importorskip("ray")
pytest.importorskip("ray.tune")

SMALL = {"families": ["cosine", "wsd"], "peak": [1e-4, 0.3], "warmup": [0.0, 0.1]}


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    yield
    if ray.is_initialized():
        ray.shutdown()


def test_asha_sweep_on_ray_finds_a_good_config_and_records_failures():
    def objective(schedule, report):
        if report.point.values["peak"] < 1e-3:
            raise RuntimeError("too slow to learn (pretend)")
        return lsq_objective(schedule, report, every=10)

    result = optimize(objective, SMALL, budget=Budget(total_steps=STEPS), n_trials=8, backend="ray",
                      num_cpus=2, seed=0)
    assert len(result.trials) == 8
    states = {t.state for t in result.trials}
    assert "complete" in states and states <= {"complete", "pruned", "failed"}
    failed = [t for t in result.trials if t.state == "failed"]
    assert failed and all(t.peak < 1e-3 for t in failed)
    for t in failed:
        assert t.error == "RuntimeError: too slow to learn (pretend)", t.error
    for t in result.trials:
        if t.state == "pruned":
            assert t.step < STEPS
    # better than the default peak of a generic tuner's first guess, and a loadable config
    import lrkit

    assert result.best_value < 0.1
    schedule = lrkit.from_config(result.best_config)
    assert lsq_objective(schedule, lambda s, v: None) == pytest.approx(result.best_value)


def pbt_objective(log_dir):
    def objective(schedule, report):
        state = report.checkpoint or {"step": 0, "w": np.zeros(10)}
        w = state["w"].copy()
        r = np.random.default_rng(state["step"])
        peak = report.point.values["peak"]
        with open(os.path.join(log_dir, f"{os.getpid()}-{report.number}.jsonl"), "a") as fh:
            for t in range(state["step"], STEPS):
                lr = schedule(t)
                fh.write(json.dumps({"trial": report.number, "t": t, "lr": lr, "peak": peak,
                                     "family": report.point.family, "values": report.point.values,
                                     "restored": report.checkpoint is not None}) + "\n")
                i = r.integers(0, 400, 32)
                w -= lr * (X[i].T @ (X[i] @ w - Y[i]) / 32)
                if (t + 1) % 10 == 0:
                    report(t + 1, lsq_loss(w), checkpoint={"step": t + 1, "w": w.copy()})
        return lsq_loss(w)

    return objective


def test_pbt_mutates_the_peak_and_the_trial_continues_on_the_new_curve(tmp_path):
    budget = Budget(total_steps=STEPS)
    space = {"families": ["cosine"], "peak": [1e-3, 0.3], "warmup": 0.05}
    result = optimize(pbt_objective(str(tmp_path)), space, budget=budget, n_trials=4, backend="ray",
                      scheduler="pbt", num_cpus=2, seed=1)
    assert len(result.completed) == 4
    rows = [json.loads(line) for f in sorted(tmp_path.iterdir()) for line in f.read_text().splitlines()]
    restored = [r for r in rows if r["restored"]]
    assert restored, "no trial was ever exploited: PBT did not mutate anything"
    for r in rows:
        # every rate is the drawn point's schedule at that step, with the (possibly mutated) peak:
        # a point is linear in its peak, so the new curve is the old one times p'/p from t on
        expected = Point(r["family"], {**r["values"], "peak": r["peak"]}).schedule(budget)(r["t"])
        assert r["lr"] == pytest.approx(expected, rel=1e-12)
    for r in restored:
        # a continued trial starts where its checkpoint left off (a multiple of the report
        # interval), not at step 0
        first = min(x["t"] for x in restored if x["trial"] == r["trial"] and x["peak"] == r["peak"])
        assert first > 0 and first % 10 == 0
