"""FinderResult's small print: argument checks naming the argument and ``schedule``/``suggest``, the
defaults of ``schedule()``, keyword arguments reaching the schedule, ``to_dict``/``from_dict`` (keys,
defaults for missing keys, non-finite values as ``None``), ``__repr__``, ``plot`` arguments and
``combine``'s stop reason.

The results are built by hand: a three-point curve (too short for any curve rule, so lrkit's own rule
has no suggestion) with a hand-made :class:`Probe` whose chosen rate is the suggestion of the rule
``"probe"`` -- every expected rate below is written down, not computed by lrkit.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lrkit.compose import Warmup
from lrkit.finder import FinderResult, NoSuggestion, Probe, find_lr
from lrkit.finder.result import combine
from lrkit.finder.settle import Settled
from lrkit.schedules import Constant, Cosine, OneCycle

LRS = [1e-3, 1e-2, 1e-1]
LOSSES = [1.0, 0.9, 0.8]


def probe(target: str, chosen: float = 0.02) -> Probe:
    return Probe(target, 4, (chosen / 2, chosen), ((1.0, 0.9, 0.8, 0.7), (1.0, 0.5, 0.4, 0.3)), (0.7, 0.3),
                 chosen)


def short(*, rule: str = "lrkit", target: str = "one_cycle", probe_target: str | None = "one_cycle",
          chosen: float = 0.02, stop_reason: str = "completed",
          losses: list[float] | None = None) -> FinderResult:
    losses = LOSSES if losses is None else losses
    return FinderResult(np.array(LRS), np.array(losses), np.array(losses), 3, stop_reason, rule, target,
                        probe=None if probe_target is None else probe(probe_target, chosen))


# ----------------------------------------------------------------------------- argument checks
def test_suggest_names_itself_in_a_bad_rule_message():
    with pytest.raises(ValueError, match=r"^suggest: rule must be one of 'lrkit', .*, got 'nope'$"):
        short().suggest("nope")


def test_schedule_names_the_argument_and_itself():
    r = short()
    with pytest.raises(ValueError, match=r"^schedule: kind must be one of 'one_cycle', 'constant', "
                                         r"'warmup_cosine', got 'cosine'$"):
        r.schedule("cosine", total_steps=10)
    with pytest.raises(ValueError, match=r"^schedule: total_steps must be > 0, got 0$"):
        r.schedule("one_cycle", total_steps=0, rule="probe")
    with pytest.raises(ValueError, match=r"^schedule: warmup_steps must be >= 0, got -1$"):
        r.schedule("warmup_cosine", total_steps=10, warmup_steps=-1, rule="probe")
    with pytest.raises(TypeError, match=r"^schedule: kind='constant' takes no extra arguments, "
                                        r"got \['end', 'pct_start'\]$"):
        r.schedule("constant", pct_start=0.2, end=0.0)


# ----------------------------------------------------------------------------- schedule()
def test_schedule_defaults_to_a_one_cycle_at_the_suggestion():
    s = short().schedule(total_steps=100, rule="probe")
    assert isinstance(s, OneCycle)
    assert (s.peak, s.total_steps, s.pct_start, s.div_factor) == (0.02, 100, 0.3, 25.0)


def test_schedule_passes_its_keyword_arguments_to_one_cycle():
    s = short().schedule("one_cycle", total_steps=50, rule="probe", pct_start=0.25, div_factor=10.0,
                         three_phase=True)
    assert (s.peak, s.total_steps, s.pct_start, s.div_factor, s.three_phase) == (0.02, 50, 0.25, 10.0, True)


def test_warmup_cosine_has_no_warmup_by_default_and_passes_end_to_the_cosine():
    s = short().schedule("warmup_cosine", total_steps=100, rule="probe")
    assert isinstance(s, Warmup) and s.steps == 0
    assert isinstance(s.schedule, Cosine)
    assert (s.schedule.start, s.schedule.steps, s.schedule.end) == (0.02, 100, 0.0)
    assert s(0) == pytest.approx(0.02, rel=1e-12)        # no warmup: the peak at once

    s = short().schedule("warmup_cosine", total_steps=100, warmup_steps=20, rule="probe", end=1e-4)
    assert s.steps == 20 and (s.schedule.start, s.schedule.steps, s.schedule.end) == (0.02, 80, 1e-4)
    assert s(100) == pytest.approx(1e-4, rel=1e-9)


def test_schedule_uses_the_rule_it_is_given_not_the_results_default():
    # the result's own rule (lrkit) has no suggestion on three points; the probe's does
    r = short(rule="lrkit")
    with pytest.raises(NoSuggestion):
        r.suggest()
    assert r.schedule("one_cycle", total_steps=10, rule="probe").peak == 0.02
    assert r.schedule("warmup_cosine", total_steps=10, rule="probe").schedule.start == 0.02
    c = short(rule="lrkit", probe_target="constant", chosen=0.005).schedule("constant", rule="probe")
    assert isinstance(c, Constant) and c.value == 0.005


def test_schedule_reads_each_kind_for_its_own_target_not_the_results_default():
    # a result whose default target is "constant", with probes run for one-cycle
    r = short(rule="probe", target="constant", probe_target="one_cycle", chosen=0.03)
    with pytest.raises(NoSuggestion, match="probes ran for target='one_cycle'"):
        r.suggest()
    assert r.schedule("one_cycle", total_steps=10).peak == 0.03
    assert r.schedule("warmup_cosine", total_steps=10).schedule.start == 0.03
    # and the other way round: default target one_cycle, probes for constant
    r = short(rule="probe", target="one_cycle", probe_target="constant", chosen=0.004)
    assert r.schedule("constant").value == 0.004
    with pytest.raises(NoSuggestion, match="probes ran for target='constant'"):
        r.schedule("one_cycle", total_steps=10)


# ----------------------------------------------------------------------------- to_dict / from_dict
def test_to_dict_keeps_the_reason_and_each_targets_suggestions():
    r = short(rule="lrkit", probe_target="constant", chosen=0.004)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["suggestion"] is None
    assert d["reason"].startswith("only 3 usable point(s) in the range test (at least 10 needed)")
    # the probe rule suggests only for the target its probes ran for
    assert d["suggestions"]["constant"]["probe"] == 0.004
    assert d["suggestions"]["one_cycle"]["probe"] is None
    assert d["suggestions"]["one_cycle"]["minimum"] is None


def test_to_dict_writes_non_finite_values_as_none_and_from_dict_reads_them_back():
    r = short(losses=[1.0, math.nan, math.inf], stop_reason="non-finite")
    d = r.to_dict()
    assert d["losses"] == [1.0, None, None] and d["smoothed"] == [1.0, None, None]
    assert d["lrs"] == LRS
    back = FinderResult.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert back.losses[0] == 1.0 and math.isnan(back.losses[1]) and math.isnan(back.losses[2])
    assert back.lrs.dtype == np.float64 and back.stop_reason == "non-finite"


def test_from_dict_gives_float_arrays_for_integer_json():
    d = {"lrs": [1, 10, 100], "losses": [3, 2, 1], "smoothed": [3, 2, None], "usable": 3,
         "stop_reason": "completed"}
    r = FinderResult.from_dict(d)
    for a in (r.lrs, r.losses, r.smoothed):
        assert a.dtype == np.float64
    assert r.losses.tolist() == [3.0, 2.0, 1.0] and math.isnan(r.smoothed[2])


def test_from_dict_defaults_for_missing_keys():
    d = {"lrs": LRS, "losses": LOSSES, "smoothed": LOSSES, "usable": 3, "stop_reason": "completed"}
    r = FinderResult.from_dict(d)
    assert r.rule == "lrkit" and r.target == "one_cycle"
    assert r.runs == () and r.probe is None and r.settled is None
    assert r.usable == 3 and r.lrs.tolist() == LRS


# ----------------------------------------------------------------------------- repr
def test_repr_shows_the_suggestion_to_three_digits_or_none():
    r = short(rule="probe", chosen=0.012345)
    assert repr(r) == ("FinderResult(points=3, usable=3, stop_reason='completed', "
                       "suggestion=0.0123 [probe, one_cycle])")
    r = short(rule="lrkit", target="constant", stop_reason="diverged")
    assert repr(r) == ("FinderResult(points=3, usable=3, stop_reason='diverged', "
                       "suggestion=None [lrkit, constant])")


# ----------------------------------------------------------------------------- plot
def curve_result() -> FinderResult:
    lrs = np.geomspace(1e-4, 1.0, 41)
    losses = np.concatenate([np.linspace(2.0, 1.0, 31), np.linspace(1.2, 3.0, 10)])
    return FinderResult(lrs, losses, losses.copy(), 41, "completed")


def labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_draws_on_the_axes_given_with_the_rules_and_raw_asked():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = curve_result()
    _, ax = plt.subplots()
    assert r.plot(ax=ax, rules=("minimum",)) is ax
    got = labels(ax)
    assert got[:2] == ["raw loss", "smoothed loss"] and len(got) == 3 and got[2].startswith("minimum: ")
    _, ax = plt.subplots()
    r.plot(ax=ax, rules=("minimum",), raw=False)
    got = labels(ax)
    assert got[0] == "smoothed loss" and "raw loss" not in got and len(got) == 2
    plt.close("all")


# ----------------------------------------------------------------------------- combine
def test_a_repeated_result_joins_the_distinct_stop_reasons_with_plus():
    runs = [short(stop_reason=s, probe_target=None) for s in ("diverged", "completed", "diverged")]
    r = combine(runs)
    assert r.stop_reason == "completed+diverged"
    assert r.runs == tuple(runs) and (r.rule, r.target) == ("lrkit", "one_cycle")


def test_settled_round_trips_through_the_result():
    s = Settled(0.5, 2.0, (1.0, math.nan), (0.025, 0.03), (1.5, math.inf), 0.04)
    r = FinderResult(np.array(LRS), np.array(LOSSES), np.array(LOSSES), 3, "completed", settled=s)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["settled"]["settle_losses"] == [1.0, None] and d["settled"]["losses"] == [1.5, None]
    back = FinderResult.from_dict(d).settled
    assert back.settle_losses[0] == 1.0 and math.isnan(back.settle_losses[1]) and math.isnan(back.losses[1])
    assert (back.edge, back.loss0, back.lrs, back.trained_edge) == (0.5, 2.0, (0.025, 0.03), 0.04)


# ----------------------------------------------------------------------------- suggest(target=...)
def early_breakdown(repeats: int = 1) -> FinderResult:
    """A test (target "constant") breaking down about one decade past its start (100 steps over
    1.5 decades): far enough for a one-cycle peak (the edge / 5 is above the first rate), too close
    for a constant rate (the geometric mean of the edge and the half-descent point, / 6, is not)."""
    vals = list(2.0 * np.exp(-np.linspace(0, 1.0, 60)))
    vals += [2.0 * math.exp(-1.0) * 1.2 ** j for j in range(1, 30)]
    state = {"it": iter(vals)}

    def reset():
        state["it"] = iter(vals)

    return find_lr(lambda lr: next(state["it"]), start=1e-3, end=10 ** -1.5, num_steps=100,
                   repeats=repeats, reset=reset if repeats > 1 else None, target="constant")


def test_suggest_names_itself_in_a_bad_target_message():
    with pytest.raises(ValueError, match=r"^suggest: target must be one of 'one_cycle', 'constant', "
                                         r"got 'linear'$"):
        short().suggest("lrkit", target="linear")


def test_no_probes_gives_lrkits_reason_for_the_target_asked_or_says_no_probes_were_run():
    r = early_breakdown()
    assert r.target == "constant" and r.suggest("lrkit", target="one_cycle") > r.lrs[0]
    with pytest.raises(NoSuggestion, match="the loss started to break down at"):
        r.suggest("lrkit")
    with pytest.raises(NoSuggestion, match="the loss started to break down at"):
        r.suggest("probe")
    with pytest.raises(NoSuggestion, match=r"^no probes were run: use find_lr\(\.\.\., rule='probe'\)$"):
        r.suggest("probe", target="one_cycle")


def test_a_repeated_result_asks_its_runs_for_the_target_asked():
    r = early_breakdown(repeats=2)
    assert len(r.runs) == 2 and r.target == "constant"
    # two identical runs: the median is their (one-cycle) suggestion
    one = r.runs[0].suggest("lrkit", target="one_cycle")
    assert r.suggest("lrkit", target="one_cycle") == pytest.approx(one, rel=1e-12)
    with pytest.raises(NoSuggestion, match="only 0 of 2 runs"):
        r.suggest("lrkit")


# ----------------------------------------------------------------------------- repeated results
def repeated(stops: list[str]) -> FinderResult:
    """Runs of the same test: a "completed" run suggests (its minimum rule: the EMA's minimum at
    rate 10^-1, over 10), a "spike" run stopped at its fourth step (too few points, no suggestion)."""
    good = curve_result()
    runs = [good if s == "completed" else
            FinderResult(good.lrs[:4], good.losses[:4], good.smoothed[:4], 3, "spike") for s in stops]
    return combine(runs)


def test_a_repeated_result_suggests_when_more_than_half_of_its_runs_do():
    assert curve_result().suggest("minimum") == pytest.approx(0.01, rel=1e-12)
    assert repeated(["completed", "completed", "spike"]).suggest("minimum") == pytest.approx(0.01, rel=1e-12)
    for stops, k in ((["completed", "spike"], 1), (["spike", "completed", "spike"], 1),
                     (["completed", "spike", "completed", "spike"], 2)):
        with pytest.raises(NoSuggestion, match=rf"^only {k} of {len(stops)} runs had enough usable points "
                                               r"to suggest a rate$"):
            repeated(stops).suggest("minimum")


# ----------------------------------------------------------------------------- settled, first rate
def test_rule_settled_reads_the_constant_rate_off_the_settled_sweep():
    # trained edge 0.012: a twelfth, 0.001, is below the first test's edge / 2 and its cap
    settled = Settled(1.0, 2.0, (), (), (), 0.012)
    good = curve_result()
    r = FinderResult(good.lrs, good.losses, good.smoothed, good.usable, "completed", settled=settled)
    assert r.suggest("settled", target="constant") == pytest.approx(0.001, rel=1e-12)
    assert r.suggest("settled", target="one_cycle") == r.suggest("lrkit", target="one_cycle")
    with pytest.raises(NoSuggestion, match=r"^no settled sweep was run: use find_lr\(\.\.\., settle=True\) "
                                           r"\(it needs reset\)$"):
        good.suggest("settled")


def minimum_at(i: int) -> FinderResult:
    """41 rates, ten per decade from 1e-4; the loss falls to its minimum at point ``i``, then rises
    slowly (the EMA is the loss itself here): the minimum rule is rate ``i`` over 10."""
    lrs = 1e-4 * 10 ** (np.arange(41) / 10)
    losses = np.array([2.0 - 0.1 * j if j <= i else 2.0 - 0.1 * i + 0.01 * (j - i) for j in range(41)])
    return FinderResult(lrs, losses, losses.copy(), 41, "completed")


def test_a_suggestion_one_step_above_the_first_rate_is_a_suggestion():
    # minimum at point 11: rate 10^-2.9 / 10 = 10^-3.9, the second rate of the test
    assert minimum_at(11).suggest("minimum") == pytest.approx(10 ** -3.9, rel=1e-12)


def test_a_suggestion_at_the_first_rate_is_none_with_the_reason():
    # minimum at point 10: rate 10^-3 / 10 = 10^-4, the first rate of the test (to rounding)
    head = r"^rule 'minimum' points at the first rate of the test \(0\.0001\)"
    with pytest.raises(NoSuggestion, match=head + r" or below it, an edge of the sweep, not a tested rate: "
                                                  r"start the test at a lower rate$"):
        minimum_at(10).suggest("minimum")
    with pytest.raises(NoSuggestion, match=head):
        minimum_at(5).suggest("minimum")


def test_the_first_rate_band_ends_at_one_plus_1e_9_times_it_inclusive():
    # rates 10^(j/10) from 1; the minimum rule's rate is rate 10 over 10. Rate 10 set to 10.00000001
    # puts the suggestion at 1.000000001 = the first rate x (1 + 1e-9): still "the first rate"
    def result(rate10: float) -> FinderResult:
        r = minimum_at(10)
        lrs = 10 ** (np.arange(41) / 10)
        lrs[10] = rate10
        return FinderResult(lrs, r.losses, r.smoothed, 41, "completed")

    with pytest.raises(NoSuggestion, match=r"^rule 'minimum' points at the first rate of the test \(1\)"):
        result(10.00000001).suggest("minimum")
    assert result(10.0000001).suggest("minimum") == pytest.approx(1.00000001, rel=1e-15)


@pytest.mark.parametrize("stop, last", [("spike", 50.0), ("diverged", 5.0), ("non-finite", math.nan)])
def test_a_loss_that_broke_down_without_falling_says_so(stop, last):
    # issue 15's deep tanh MLP on circles: the loss sits at log 2 through the test, then explodes.
    # The reason says it broke down without falling, where and how, and what to change
    it = iter([0.69] * 60 + [last])
    r = find_lr(lambda lr: next(it), start=1e-7, end=10.0, num_steps=100,
                smoothing=0.0 if stop == "diverged" else 0.98)
    assert r.stop_reason == stop and r.suggestion is None
    assert r.reason == ("the loss never went 1% below its first value (allowing for its noise): start the "
                        "test at a lower rate, run more steps, or check that the step function trains the "
                        f"model; it broke down ({stop}) at {r.lrs[-1]:.3g} without falling first: the model "
                        "may need more steps at each rate to start learning (a larger num_steps)")
    with pytest.raises(NoSuggestion, match="without falling first"):
        r.suggest(target="constant")


def test_a_flat_loss_that_ran_to_its_end_keeps_the_plain_reason():
    r = find_lr(lambda lr: 0.69, num_steps=30, start=1e-4, end=1e-2)  # widened, still flat: completed
    assert r.stop_reason == "completed"
    assert r.reason.startswith("the loss never went 1% below") and "broke down" not in r.reason
