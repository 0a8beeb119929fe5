"""``find_lr(stretch=3)``: a test whose loss never fell runs again with three times the steps.

Issue 15: on the broad benchmark the deep tanh MLP with RMSprop on circles sat at its first loss
through the whole test until the rate wrecked it -- no descent to read, no suggestion. With more
steps at each rate it starts to learn first. The exact shape is the point here, so the model is
a small stateful function: it learns only once the rates it has trained at add up to ``need``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrkit.finder import find_lr
from lrkit.finder.core import STRETCH


class SlowStarter:
    """Sits at its first loss until the rates it has trained at add up to ``need``, then learns;
    any rate above ``wreck`` breaks it (a loss of 50)."""

    def __init__(self, need: float = 0.8, wreck: float = 0.1) -> None:
        self.need, self.wreck = need, wreck
        self.calls = 0
        self.reset()

    def reset(self) -> None:
        self.progress = 0.0

    def __call__(self, lr: float) -> float:
        self.calls += 1
        if lr > self.wreck:
            return 50.0
        self.progress += lr
        if self.progress < self.need:
            return 1.0
        return 0.2 + 0.8 * math.exp(-(self.progress - self.need) / 0.4)


def test_the_default_is_three():
    assert STRETCH == 3


def test_a_loss_that_never_fell_gets_a_second_test_with_three_times_the_steps():
    m = SlowStarter()
    r = find_lr(m, reset=m.reset)
    # what a user gets by asking for 300 steps: the same rates, losses and suggestion
    direct = find_lr(SlowStarter(), num_steps=300, stretch=1)
    np.testing.assert_array_equal(r.lrs, direct.lrs)
    np.testing.assert_array_equal(r.losses, direct.losses)
    assert r.stop_reason == direct.stop_reason == "spike"
    assert r.suggestion == direct.suggestion is not None
    assert 0.005 < r.suggestion < m.wreck  # below the breakdown, at about a fifth of it
    # the first test (100 planned rates, stopped at the breakdown) and the second one ran
    first = find_lr(SlowStarter(), stretch=1)
    assert m.calls == len(first.lrs) + len(r.lrs)
    assert len(first.lrs) < 100 < len(r.lrs)


@pytest.mark.parametrize("how", ["stretch=1", "no reset"])
def test_without_the_second_test_there_is_no_suggestion_and_the_reason_says_why(how: str):
    m = SlowStarter()
    r = find_lr(m, stretch=1, reset=m.reset) if how == "stretch=1" else find_lr(m)
    assert r.suggestion is None
    assert "never went 1% below its first value" in r.reason
    assert "a larger num_steps" in r.reason  # it broke down without falling first
    assert m.calls == len(r.lrs)  # one test only


def test_a_loss_that_falls_runs_one_test():
    m = SlowStarter(need=0.0)  # learns from the first step
    r = find_lr(m, reset=m.reset)
    assert r.suggestion is not None and m.calls == len(r.lrs) and len(r.lrs) <= 100


def test_a_test_that_broke_down_at_once_is_not_stretched():
    # "few points" is not "never fell": more steps per rate would not help, a lower start would
    m = SlowStarter(need=0.0, wreck=1e-7 * 1.5)
    r = find_lr(m, reset=m.reset)
    assert r.suggestion is None and "usable point" in r.reason
    assert m.calls == len(r.lrs)


def test_each_repeat_is_stretched_on_its_own():
    m = SlowStarter()
    r = find_lr(m, reset=m.reset, repeats=2)
    assert len(r.runs) == 2 and all(len(run.lrs) > 100 for run in r.runs)
    assert r.suggestion == pytest.approx(find_lr(SlowStarter(), num_steps=300, stretch=1).suggestion)


def test_a_linear_test_is_stretched_over_the_same_range():
    m = SlowStarter(need=0.8, wreck=0.1)
    r = find_lr(m, reset=m.reset, start=1e-4, end=0.2, num_steps=20, mode="linear")
    assert len(r.lrs) > 20 and r.lrs[0] == pytest.approx(1e-4)
    assert np.allclose(np.diff(r.lrs), (0.2 - 1e-4) / 59)  # 60 planned steps over the same range


@pytest.mark.parametrize("bad, kind, words", [
    (0, ValueError, "stretch must be >= 1"),
    (2.5, TypeError, "stretch must be an integer"),
    ("3", TypeError, "stretch must be an integer"),
    (True, TypeError, "stretch must be an integer"),
])
def test_stretch_must_be_a_whole_number_of_at_least_one(bad, kind, words):
    m = SlowStarter()
    with pytest.raises(kind, match=words):
        find_lr(m, reset=m.reset, stretch=bad)
    assert m.calls == 0
