"""find_lr's widening and its progress bar (lrkit.finder.core): the widened phase is named on the
one bar and adds its steps to the bar's total; with progress off nothing is drawn, widened or not.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lrkit.finder import find_lr


def never_breaks(n: int):
    """A loss falling for ``n`` steps, then flat: a test of ``n`` steps that never breaks down."""
    vals = [2.0 * 0.97 ** i for i in range(n)]
    it = itertools.chain(vals, itertools.repeat(vals[-1]))
    calls = []

    def step(lr: float) -> float:
        calls.append(lr)
        return next(it)

    return step, calls


def test_the_widened_phase_is_named_and_counted_on_the_bar(capsys):
    pytest.importorskip("tqdm")
    step, calls = never_breaks(40)
    # 40 steps over 2 decades, 10^(2/39) apart: 1 decade more is ceil(39/2) = 20 steps
    r = find_lr(step, start=1e-4, end=1e-2, num_steps=40, widen=1.0, progress=True)
    assert len(calls) == 60 and len(r.lrs) == 60
    assert r.lrs[-1] == pytest.approx(10 ** (-2 + 40 / 39), rel=1e-12)
    err = capsys.readouterr().err
    assert "lr range test: widened: " in err
    # entering the phase: the 40 steps made, out of 40 + 20
    assert "| 40/60 [" in err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert "| 60/60 [" in last


def test_no_bar_at_all_without_progress_even_when_widened(capsys):
    pytest.importorskip("tqdm")
    step, calls = never_breaks(40)
    find_lr(step, start=1e-4, end=1e-2, num_steps=40, widen=1.0, progress=False)
    assert len(calls) == 60
    assert capsys.readouterr().err == ""


def test_widened_rates_continue_at_the_planned_ratio():
    step, calls = never_breaks(21)
    r = find_lr(step, start=1e-3, end=1e-1, num_steps=21, widen=0.5)
    # 10 steps per decade: half a decade is 5 more steps, 10^(1/10) apart
    np.testing.assert_allclose(r.lrs[21:], 1e-1 * 10 ** (np.arange(1, 6) / 10), rtol=1e-12)
    assert r.lrs.dtype == np.float64
