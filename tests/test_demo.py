"""`lrkit demo`: the real command end to end (range test, schedule, per-layer rates, training)
on scikit-learn's digits; the files it writes, the accuracy it reaches, and that the rates the
optimizer really used are the schedule times each group's multiplier."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

import lrkit  # noqa: E402


def _pixels(path):
    import matplotlib.image as mpimg

    return np.asarray(mpimg.imread(str(path)))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = subprocess.run([sys.executable, "-m", "lrkit", "demo", "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    return out, r


def test_demo_writes_figures_and_summary(quick_run):
    out, r = quick_run
    assert r.returncode == 0, r.stderr[-2000:]
    for name in ("finder.png", "schedule.png", "training.png"):
        img = _pixels(out / name)
        assert img.shape[0] > 300 and img.shape[1] > 500, name
        assert float(img[..., :3].std()) > 0.05, f"{name} is blank"
    text = (out / "summary.txt").read_text()
    assert "test accuracy:" in text and "range test:" in text and "per-layer rate multipliers" in text
    assert r.stdout.startswith(text.splitlines()[0])


def test_demo_accuracy_and_finder(quick_run):
    out, _ = quick_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["accuracy"] >= 0.90
    assert summary["epoch_accuracy"][-1] == summary["accuracy"]
    if importlib.util.find_spec("lrkit.torch.finder") is None:
        assert summary["suggested_lr"] is None and "not run" in summary["finder_note"]
        return
    # the peak is the range test's suggestion, and it is a sane rate for AdamW on this problem
    assert summary["suggested_lr"] is not None
    assert summary["peak_lr"] == summary["suggested_lr"]
    assert 1e-4 < summary["peak_lr"] < 0.1
    assert summary["finder"]["suggestions"]["lrkit"] == pytest.approx(summary["suggested_lr"])
    # per-layer rates: deeper-from-the-head blocks learn slower, the head at the full rate
    layers = {k: v for k, v in summary["groups"].items() if not k.endswith(".no_decay")}
    assert sorted(layers.values()) == pytest.approx([0.7 ** 3, 0.7 ** 2, 0.7, 1.0])
    assert summary["doctor"] == []


def test_applied_rates_are_the_schedule_times_the_group_multiplier(tmp_path, quick_run):
    from lrkit.demo import run

    res = run(tmp_path, quick=True, progress=False)
    sched = lrkit.from_config(res.schedule)
    steps = np.arange(res.steps, dtype=np.float64)
    for name, scale in res.groups.items():
        applied = np.asarray(res.history[f"lr:{name}"])
        assert len(applied) == res.steps
        np.testing.assert_allclose(applied, sched(steps) * scale, rtol=1e-12, atol=0)
    # deterministic: the same seed gives the same run as the command's
    out, _ = quick_run
    summary = json.loads((out / "summary.json").read_text())
    assert res.accuracy == summary["accuracy"]
    assert res.suggested_lr == summary["suggested_lr"]


def test_demo_bad_arguments(tmp_path):
    from lrkit.demo import run

    with pytest.raises(ValueError, match="schedule must be one of warmup_cosine, one_cycle"):
        run(tmp_path, schedule="cosine")
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        run(tmp_path, seed=-1)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="out must be a directory"):
        run(f)
