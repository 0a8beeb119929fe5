"""The finder's classic rules against the peers' own suggestions on the same recorded range test.

The curve is recorded once per seed: a real range test (lrkit.finder.find_lr) of a small torch
MLP on scikit-learn's digits, SGD with momentum, 1e-4 -> 10 over 100 steps. Then:

* torch-lr-finder's suggestion comes from its own code (``LRFinder.plot(suggest_lr=True)``), fed
  the recorded rates and smoothed losses as its history;
* fastai's ``minimum``, ``steep`` and ``valley`` (fastai.callback.schedule) are the oracles of
  tests/finder/fastai_rules.py, re-written from fastai's documented algorithm (fastai itself
  pulls torchvision and spaCy, too heavy for the test extra).

Where lrkit deliberately departs from a peer (its analysis window ends where the raw loss has
risen 1.5x, before the lagging EMA reaches its minimum; central rather than forward differences)
the test states the departure as a bound instead of an equality.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from lrkit.finder import FinderResult, find_lr
from lrkit.finder.rules import window
from tests.finder.fastai_rules import (
    decreasing_run_lengths,
    fastai_minimum,
    fastai_steep,
    fastai_trim,
    fastai_valley,
)

matplotlib.use("Agg")

NUM_IT = 100
START, END = 1e-4, 10.0
GRID_STEP = (END / START) ** (1 / (NUM_IT - 1))  # ratio between consecutive rates


def _record(seed: int) -> tuple[FinderResult, torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    x, y = load_digits(return_X_y=True)
    xt, yt = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    gen = torch.Generator().manual_seed(seed)

    def step(lr: float) -> float:
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, len(xt), (64,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return find_lr(step, start=START, end=END, num_steps=NUM_IT), model, opt


@pytest.fixture(scope="module", params=[0, 1])
def recorded(request):
    return _record(request.param)


def test_decreasing_run_lengths_oracle_on_a_worked_example():
    # 5 4 6 3 2 7 1: runs ending at each point: 5 | 5 4 | 6 | 5 4 3 | 5 4 3 2 | 7 | 5 4 3 2 1
    assert decreasing_run_lengths(np.array([5, 4, 6, 3, 2, 7, 1.0])) == [1, 2, 1, 3, 4, 1, 5]


# --------------------------------------------------------------------------- the comparisons
def test_steepest_is_torch_lr_finders_suggestion(recorded):
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder

    r, model, opt = recorded
    finder = LRFinder(model, opt, torch.nn.CrossEntropyLoss())
    finder.history = {"lr": [float(v) for v in r.lrs], "loss": [float(v) for v in r.smoothed]}
    fig, ax = plt.subplots()
    try:
        _, theirs = finder.plot(ax=ax, suggest_lr=True)  # skip_start=10, skip_end=5: its defaults
    finally:
        plt.close(fig)
    # both take the most negative central difference of the smoothed loss (torch-lr-finder per
    # index, lrkit per log rate: the same on an exponential sweep); lrkit only searches before
    # the window's minimum, where the steepest fall is.
    assert r.suggest("steepest") == pytest.approx(theirs, rel=1e-9)


def test_steepest_is_fastais_steep_up_to_the_difference_scheme(recorded):
    r = recorded[0]
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    ours = r.suggest("steepest")
    # on lrkit's window (fastai's trimming replaced by it), fastai's forward difference puts the
    # steepest point at most one rate before lrkit's central one
    theirs = fastai_steep(w.lrs[len(w.lrs) // 10: w.argmin + 1], w.smoothed[len(w.lrs) // 10: w.argmin + 1])
    assert theirs / GRID_STEP ** 1.01 < ours < theirs * GRID_STEP ** 1.01
    # on fastai's own trimmed curve too
    a, b = fastai_trim(r.lrs, r.smoothed, NUM_IT)
    assert fastai_steep(a, b) / GRID_STEP ** 1.01 < ours < fastai_steep(a, b) * GRID_STEP ** 1.01


def test_valley_is_fastais_valley_on_the_analysis_window(recorded):
    r = recorded[0]
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    skip = len(w.lrs) // 10
    theirs, idx = fastai_valley(w.lrs[skip:], w.smoothed[skip:])
    assert skip + idx < w.argmin  # no clamping happened on this curve
    assert r.suggest("valley") == pytest.approx(theirs, rel=1e-12)
    # on fastai's own trimmed curve the valley runs on to the EMA's minimum, past lrkit's window:
    # lrkit's answer is never later, and within half a decade
    a, b = fastai_trim(r.lrs, r.smoothed, NUM_IT)
    full, _ = fastai_valley(a, b)
    assert full / 10 ** 0.5 < r.suggest("valley") <= full


def test_minimum_is_fastais_minimum_on_the_analysis_window(recorded):
    r = recorded[0]
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    assert r.suggest("minimum") == pytest.approx(fastai_minimum(w.lrs, w.smoothed), rel=1e-12)
    # fastai looks at the whole curve, where the lagging EMA reaches its minimum later than the
    # window's end: lrkit's answer is never later, and within a decade
    a, b = fastai_trim(r.lrs, r.smoothed, NUM_IT)
    assert fastai_minimum(a, b) / 10 < r.suggest("minimum") <= fastai_minimum(a, b)


def test_rules_order_on_a_real_curve(recorded):
    # the articles' reading of the plot: the steepest fall comes before the minimum, and the
    # rate a decade below the minimum is below the minimum's rate
    r = recorded[0]
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    lr_min = w.lrs[w.argmin]
    assert r.suggest("steepest") < lr_min
    assert r.suggest("minimum") == pytest.approx(lr_min / 10, rel=1e-12)
    assert r.suggest("valley") < lr_min
