"""The probe rule's details (lrkit.finder.probe): the candidates, the score of a short probe, the
tie rule, the messages, the default probe function, the JSON form of non-finite values, and the
probes of a repeated test whose median curve has no analysis window. Expected values by hand.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from lrkit.finder import NoSuggestion, Probe, find_lr
from lrkit.finder import probe as P


# ----------------------------------------------------------------------------- candidates
def test_candidates_are_the_base_times_each_factor_capped():
    assert P.candidates(1.0, 100.0) == (2.0 ** -1.5, 2.0 ** -0.5, 2.0 ** 0.5, 2.0 ** 1.5)
    assert P.candidates(4.0, 100.0) == (2.0 ** 0.5, 2.0 ** 1.5, 2.0 ** 2.5, 2.0 ** 3.5)
    # capped at the base itself: the two upper candidates become the base, once
    assert P.candidates(1.0, 1.0) == (2.0 ** -1.5, 2.0 ** -0.5, 1.0)


# ----------------------------------------------------------------------------- score and choice
@pytest.mark.parametrize("losses, steps, score", [
    ([5.0, 3.0, 1.0], 3, 1.0),                      # ceil(3/4) = 1: the last loss alone
    ([4.0, 3.0, 2.0, 1.0], 4, 1.0),                 # ceil(4/4) = 1
    ([6.0, 5.0, 4.0, 3.0, 2.0], 5, 2.5),            # ceil(5/4) = 2: the last two
    ([8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0], 8, 1.5),
    ([2.0, 1.0], 2, 1.0),
])
def test_score_is_the_mean_of_the_last_quarter_rounded_up(losses, steps, score):
    assert P.probe_score(losses, steps) == score


def test_score_of_a_probe_that_stopped_or_went_non_finite_is_inf():
    assert P.probe_score([3.0, 2.0], 3) == math.inf
    assert P.probe_score([3.0, math.nan, 1.0], 3) == math.inf


@pytest.mark.parametrize("scores, index", [
    ([1.02, 1.0], 0),                # exactly 2% above the best: tied, the smaller rate wins
    ([2.03, 2.0], 0),                # within 2% of 2 (2.04)
    ([2.05, 2.0], 1),                # beyond it
    ([0.0, 1.0], 0),                 # a best of 0: only an equal score ties
    ([1.0, 0.0], 1),
    ([math.inf, 1.0, 1.01], 1),      # a diverged probe is never chosen
])
def test_choose_takes_the_smallest_rate_within_two_percent_of_the_best(scores, index):
    assert P.choose(scores) == index


def test_choose_says_every_probe_diverged():
    with pytest.raises(NoSuggestion, match=r"^every probe diverged: start the range test lower or check "
                                           r"the model$"):
        P.choose([math.inf, math.inf])


def test_probe_fn_returning_a_non_sequence_names_its_type():
    with pytest.raises(TypeError, match=r"^find_lr: probe_fn must return the sequence of per-step "
                                        r"losses, got int$"):
        P.run_probes(lambda rates: 5, [0.1, 0.2], "constant", 4)


# ----------------------------------------------------------------------------- default probe_fn
def test_default_probe_fn_resets_then_steps_until_a_non_finite_loss():
    resets, seen = [], []
    it = iter([1.0, 0.5, math.nan, 0.1, 0.1])

    def step(lr):
        seen.append(lr)
        return next(it)

    losses = P.default_probe_fn(step, lambda: resets.append(1))(np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    assert resets == [1] and seen == [0.1, 0.2, 0.3]
    assert losses[:2] == [1.0, 0.5] and len(losses) == 3 and math.isnan(losses[2])


# ----------------------------------------------------------------------------- JSON
def test_probe_json_writes_non_finite_as_none_and_reads_it_back():
    p = Probe("constant", 3, (0.1, 0.2), ((1.0, 0.9, 0.8), (1.0, math.nan)), (0.8, math.inf), 0.1)
    d = json.loads(json.dumps(p.to_dict(), allow_nan=False))
    assert d["losses"] == [[1.0, 0.9, 0.8], [1.0, None]] and d["scores"] == [0.8, None]
    back = Probe.from_dict(d)
    assert back.scores == (0.8, math.inf)                 # a diverged probe's score is inf
    assert back.losses[0] == (1.0, 0.9, 0.8) and math.isnan(back.losses[1][1])
    assert (back.target, back.steps, back.candidates, back.chosen) == ("constant", 3, (0.1, 0.2), 0.1)


# ----------------------------------------------------------------------------- repeated test
def test_probes_of_a_repeated_test_without_a_median_window_are_capped_at_the_base():
    # run 1 spikes at its 6th step, so the median curve has 6 points (no window, no cap from it);
    # runs 2 and 3 break down properly and suggest: the candidates are capped at lrkit's rate
    good = list(2.0 * np.exp(-np.linspace(0, 1.5, 30))) + [0.5 * 1.3 ** k for k in range(1, 11)]
    curves = [[2.0] * 5 + [100.0], good, good]
    state = {"run": 0, "it": iter(curves[0])}

    def reset():
        state["run"] += 1
        state["it"] = itertools.chain(curves[min(state["run"], 2)], itertools.repeat(1.0))

    probed = []

    def probe_fn(rates):
        probed.append(float(np.max(rates)))
        return [1.0] * len(rates)

    r = find_lr(lambda lr: next(state["it"]), start=1e-4, end=1.0, num_steps=40, repeats=3, reset=reset,
                rule="probe", target="constant", probe_fn=probe_fn, probe_steps=4)
    assert [run.stop_reason for run in r.runs][0] == "spike" and len(r.lrs) == 6
    base = r.suggest("lrkit")
    assert r.probe.candidates == pytest.approx((base * 2 ** -1.5, base * 2 ** -0.5, base), rel=1e-12)
    assert probed == pytest.approx(list(r.probe.candidates), rel=1e-12)
    assert r.suggestion == r.probe.candidates[0]          # every score tied: the smallest rate
