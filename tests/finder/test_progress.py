"""The finder's progress bar covers every phase and stays as a one-line summary (issue 16)."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("tqdm")

import lrkit  # noqa: E402


def _problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 8))
    y = X @ rng.normal(size=8) + 0.1 * rng.normal(size=128)
    state = {"w": np.zeros(8), "calls": 0}

    def step(lr: float) -> float:
        state["calls"] += 1
        idx = rng.integers(0, 128, 16)
        err = X[idx] @ state["w"] - y[idx]
        state["w"] = state["w"] - lr * 2 * X[idx].T @ err / 16
        return float(np.mean(err ** 2))

    def reset() -> None:
        state["w"] = np.zeros(8)

    return step, reset, state


def test_one_bar_for_every_phase_left_as_a_summary(capsys):
    step, reset, state = _problem()
    r = lrkit.find_lr(step, reset=reset, target="constant", rule="probe", num_steps=80, settle=True,
                      progress=True)
    err = capsys.readouterr().err
    assert "settled sweep" in err and "probes" in err      # the bar named each phase
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("lr range test: suggestion" if r.suggestion is not None else "lr range test: no")
    assert "100%" in last and "(probe, constant" in last
    done = re.search(r"\| (\d+)/(\d+) \[", last)
    assert done and int(done.group(1)) == int(done.group(2)) == state["calls"]   # every step counted


def test_no_bar_without_progress(capsys):
    step, reset, _ = _problem()
    lrkit.find_lr(step, num_steps=40, progress=False)
    assert capsys.readouterr().err == ""
