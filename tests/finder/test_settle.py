"""The settled sweep (lrkit.finder.settle): a second sweep on a trained model for the
constant-rate suggestion. Real training steps (NumPy softmax regression on digits) except where a
precise curve shape is what the test is about."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from lrkit.finder import FinderResult, NoSuggestion, find_lr
from lrkit.finder import settle as S
from lrkit.finder.rules import EDGE_DIVISOR, breakdown_edge, window
from tests.finder.test_core import SoftmaxDigits


def resettable(seed: int = 0):
    model = SoftmaxDigits(seed=seed)
    resets = []

    def reset():
        resets.append(1)
        model.w[:] = 0.0
        model.b[:] = 0.0

    return model, reset, resets


# ----------------------------------------------------------------------------- the trained edge
def test_trained_edge_is_the_last_rate_when_the_loss_never_rises():
    lrs = np.geomspace(0.01, 10, 60)
    assert S.trained_edge(lrs, np.full(60, 0.05), loss0=2.3) == lrs[-1]


def test_the_rise_is_measured_against_the_drop_not_the_current_loss():
    # a trained model with a tiny, noisy loss: +100% relative noise is far below 20% of the drop
    lrs = np.geomspace(0.01, 10, 60)
    rng = np.random.default_rng(0)
    tiny = 0.01 * (1 + rng.random(60))
    assert S.trained_edge(lrs, tiny, loss0=2.3) == lrs[-1]
    # the same curve breaking down to half the untrained loss from rate 1 on does rise
    broken = np.where(lrs < 1.0, tiny, 1.15)
    te = S.trained_edge(lrs, broken, loss0=2.3)
    assert 0.4 < te < 1.0  # the centred average crosses 20% of the drop before the step itself


def test_trained_edge_moves_with_the_breakdown():
    lrs = np.geomspace(0.01, 10, 60)
    edges = [S.trained_edge(lrs, np.where(lrs < b, 0.1, 2.0), loss0=2.3) for b in (0.1, 0.3, 1.0, 3.0)]
    assert edges == sorted(edges) and len(set(edges)) == 4
    for b, e in zip((0.1, 0.3, 1.0, 3.0), edges):
        assert b / 2 < e < b * 1.01


def test_rates_of_the_two_phases():
    s = S.settle_rates(2.0)
    assert len(s) == S.SETTLE_STEPS and s[-1] == pytest.approx(2.0 / S.SETTLE_DIVISOR)
    assert np.all(np.diff(s) >= 0) and s[0] == pytest.approx(s[-1] / (S.SETTLE_STEPS // 5))
    w = S.sweep_rates(2.0)
    assert len(w) == S.SWEEP_STEPS
    assert w[0] == pytest.approx(2.0 / S.SETTLE_DIVISOR) and w[-1] == pytest.approx(2.0 * S.SWEEP_TOP)


# ----------------------------------------------------------------------------- find_lr
def test_settle_true_runs_the_settled_sweep_from_the_initial_state():
    model, reset, resets = resettable()
    seen = []

    def step(lr):
        seen.append(lr)
        return model(lr)

    r = find_lr(step, start=1e-4, end=1e4, target="constant", reset=reset, settle=True)
    st = r.settled
    assert st is not None and len(resets) == 1
    assert model.calls == len(r.lrs) + st.steps_run
    # the phases ran exactly the documented rates, from the breakdown edge of the first test
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    assert st.edge == pytest.approx(breakdown_edge(w), rel=1e-12)
    assert st.loss0 == pytest.approx(np.mean(r.losses[:5]), rel=1e-12)
    tail = np.asarray(seen[len(r.lrs):])
    np.testing.assert_allclose(tail[:S.SETTLE_STEPS], S.settle_rates(st.edge), rtol=1e-12)
    np.testing.assert_allclose(tail[S.SETTLE_STEPS:], S.sweep_rates(st.edge)[:len(st.lrs)], rtol=1e-12)
    assert st.trained_edge == S.trained_edge(np.asarray(st.lrs), np.asarray(st.losses), st.loss0)
    # rule "settled": the trained edge / 12, at most half the first edge, below the loss minimum
    cap = float(w.lrs[w.centred_argmin - 1])
    want = min(st.trained_edge / S.CONSTANT_DIVISOR, st.edge / S.EDGE_CAP, cap)
    assert r.suggest("settled") == pytest.approx(want, rel=1e-12)
    # the default rule does not read the settled sweep
    assert r.suggestion == replace(r, settled=None).suggestion
    # the one-cycle suggestion reads the first test alone
    peak = min(st.edge / EDGE_DIVISOR["one_cycle"], cap)
    assert r.suggest(target="one_cycle") == pytest.approx(peak, rel=1e-12)


def test_the_default_constant_rate_reads_the_first_test_alone():
    # since issue 15's second round lrkit's constant-rate rule reads the first test (since round 4:
    # sqrt(edge * half-descent point) / 6, capped); the settled sweep feeds the rule "settled"
    from lrkit.finder.rules import half_descent

    model = SoftmaxDigits()
    r = find_lr(model, start=1e-4, end=1e4, target="constant")
    assert r.settled is None and model.calls == len(r.lrs)
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    edge, half = breakdown_edge(w), half_descent(w)
    assert w.lrs[0] < half < edge
    want = min(math.sqrt(edge * half) / 6, float(w.lrs[w.centred_argmin - 1]))
    assert r.suggestion == pytest.approx(want, rel=1e-12)
    model, reset, resets = resettable()
    r = find_lr(model, start=1e-4, end=1e4, target="constant", reset=reset, settle=False)
    assert r.settled is None and not resets
    with pytest.raises(NoSuggestion, match="no settled sweep"):
        r.suggest("settled", target="constant")
    # a one-cycle test does not settle unless asked to
    model, reset, resets = resettable()
    assert find_lr(model, start=1e-4, end=1e4, reset=reset).settled is None and not resets
    r = find_lr(model, start=1e-4, end=1e4, reset=reset, settle=True)
    assert r.settled is not None and len(resets) == 1
    assert r.suggest("settled", target="constant") <= r.settled.edge / S.EDGE_CAP


@pytest.mark.parametrize("settle, reset, words", [
    ("yes", None, "settle must be True, False or None"),
    (1, None, "settle must be True, False or None"),
    (True, None, "settle=True needs reset"),
])
def test_bad_settle_options(settle, reset, words):
    model = SoftmaxDigits()
    with pytest.raises(TypeError, match=words):
        find_lr(model, settle=settle, reset=reset)
    assert model.calls == 0


def test_repeats_settle_every_run_and_take_the_median():
    model, reset, resets = resettable()
    r = find_lr(model, start=1e-4, end=1e4, target="constant", reset=reset, repeats=3, settle=True)
    assert len(r.runs) == 3 and all(run.settled is not None for run in r.runs)
    assert len(resets) == 2 + 3  # before runs 2 and 3, and before each settled sweep
    values = sorted(run.suggest("settled", target="constant") for run in r.runs)
    assert r.suggest("settled") == pytest.approx(values[1], rel=1e-12)


def test_round_trip_keeps_the_settled_sweep():
    model, reset, _ = resettable()
    r = find_lr(model, start=1e-4, end=1e4, target="constant", reset=reset, settle=True)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["settled"]["trained_edge"] == r.settled.trained_edge
    back = FinderResult.from_dict(d)
    assert back.settled == r.settled
    assert back.suggestion == r.suggestion and back.suggest("settled") == r.suggest("settled")


def test_a_settle_phase_that_diverges_ends_the_sweep():
    # a step function that breaks as soon as the settled phase starts: the trained edge is the
    # settle rate itself and the suggestion is a twelfth of it
    model, reset, _ = resettable()
    state = {"broken": False}

    def reset2():
        reset()
        state["broken"] = True

    def step(lr):
        return float("nan") if state["broken"] else model(lr)

    r = find_lr(step, start=1e-4, end=1e4, target="constant", reset=reset2, settle=True)
    st = r.settled
    assert len(st.settle_losses) == 1 and not st.lrs
    assert st.trained_edge == pytest.approx(st.edge / S.SETTLE_DIVISOR)
    assert r.suggest("settled") == pytest.approx(st.trained_edge / S.CONSTANT_DIVISOR)


def test_a_lucky_first_batch_of_the_second_sweep_is_not_a_breakdown():
    # one very low loss at the start, then a flat noisy level: no rise until the real breakdown
    lrs = np.geomspace(0.01, 10, 60)
    rng = np.random.default_rng(1)
    losses = 0.8 + 0.05 * rng.standard_normal(60)
    losses[0] = 0.2
    losses[lrs > 2.0] = 2.5
    te = S.trained_edge(lrs, losses, loss0=1.4)
    assert 1.0 < te <= 2.0


def test_no_settled_sweep_when_the_first_test_never_broke_down():
    # a loss that keeps falling to the end of the test: the edge is only the last rate tested
    n = 60
    calls = []
    losses = list(2.0 * np.exp(-np.linspace(0, 3, n)))

    def step(lr):
        calls.append(lr)
        return losses[len(calls) - 1] if len(calls) <= n else 0.1

    r = find_lr(step, start=1e-4, end=1.0, num_steps=n, target="constant", reset=lambda: None, widen=0)
    assert r.stop_reason == "completed" and r.settled is None and len(calls) == n
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    assert breakdown_edge(w) == pytest.approx(1.0)
    # widened two decades past the end (30 steps at this ratio, 10^(4/59) per step), flat there:
    # still no breakdown, so still no settled sweep
    calls.clear()
    r = find_lr(step, start=1e-4, end=1.0, num_steps=n, target="constant", reset=lambda: None)  # widen=2
    assert r.settled is None and len(calls) == n + 30
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    assert breakdown_edge(w) == pytest.approx(r.lrs[-1]) == pytest.approx(10 ** (4 * 89 / 59 - 4))
    # the edge is censored (only a lower bound): no suggestion, with the reason, for either target
    assert r.suggestion is None and "never broke down" in r.reason
    for target in ("one_cycle", "constant"):
        with pytest.raises(NoSuggestion, match="never broke down"):
            r.suggest(target=target)


def test_rule_settled_runs_the_sweep_and_is_the_default_of_its_result():
    # find_lr(rule="settled") with reset runs the settled sweep for any target; its suggestion for
    # a constant rate is the trained edge / 12 (capped), the one-cycle peak lrkit's edge / 5
    model, reset, resets = resettable()
    r = find_lr(model, start=1e-4, end=1e4, rule="settled", reset=reset)
    st = r.settled
    assert st is not None and len(resets) == 1
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    cap = float(w.lrs[w.centred_argmin - 1])
    assert r.suggest(target="constant") == pytest.approx(
        min(st.trained_edge / S.CONSTANT_DIVISOR, st.edge / S.EDGE_CAP, cap), rel=1e-12)
    assert r.suggestion == r.suggest("lrkit", target="one_cycle")
