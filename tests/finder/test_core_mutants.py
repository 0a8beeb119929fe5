"""find_lr's widening and its progress bar (lrkit.finder.core): the widened phase is named on the
one bar and adds its steps to the bar's total; with progress off nothing is drawn, widened or not.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from lrkit.finder import find_lr, rates
from lrkit.finder.core import check_options


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


# ----------------------------------------------------------------------------- rates
def test_rates_exponential_by_default_and_linear_with_two_steps_allowed():
    np.testing.assert_allclose(rates(1.0, 100.0, 3), [1.0, 10.0, 100.0], rtol=1e-15)
    np.testing.assert_allclose(rates(1.0, 3.0, 3, "linear"), [1.0, 2.0, 3.0], rtol=1e-15)
    np.testing.assert_allclose(rates(0.5, 2.0, 2), [0.5, 2.0], rtol=1e-15)
    np.testing.assert_allclose(rates(0.5, 2.0, 4, mode="linear"), [0.5, 1.0, 1.5, 2.0], rtol=1e-15)


# ----------------------------------------------------------------------------- messages
E, T = ValueError, TypeError
LIST_RULES = "'lrkit', 'minimum', 'steepest', 'valley', 'probe', 'settled'"


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(mode="log"), E, "mode must be one of 'exponential', 'linear', got 'log'"),
    (dict(start=[1e-3]), T, "start must be a number, got [0.001] (list)"),
    (dict(end=float("nan")), E, "end must be a finite number, got nan"),
    (dict(num_steps=2.5), T, "num_steps must be an integer, got 2.5 (float)"),
    (dict(num_steps=1), E, "num_steps must be >= 2, got 1"),
    (dict(start=0.0), E, "start must be > 0 (rates are compared on a log scale), got 0.0"),
    (dict(start=-1.0, mode="linear"), E, "start must be > 0 (rates are compared on a log scale), got -1.0"),
    (dict(start=2.0, end=2.0), E, "start must be < end, got start=2.0, end=2.0"),
    (dict(smoothing=1.0), E, "smoothing must be in [0, 1), got 1.0"),
    (dict(smoothing=-0.1), E, "smoothing must be in [0, 1), got -0.1"),
    (dict(diverge=(4,)), T, "diverge must be a number, got (4,) (tuple)"),
    (dict(diverge=1.0), E, "diverge must be > 1, got 1.0"),
    (dict(spike=None), T, "spike must be a number, got None (NoneType)"),
    (dict(spike=1), E, "spike must be > 1, got 1.0"),
    (dict(repeats=0), E, "repeats must be >= 1, got 0"),
    (dict(repeats=1.5), T, "repeats must be an integer, got 1.5 (float)"),
    (dict(rule="best"), E, f"rule must be one of {LIST_RULES}, got 'best'"),
    (dict(target="cosine"), E, "target must be one of 'one_cycle', 'constant', got 'cosine'"),
    (dict(probe_steps=1), E, "probe_steps must be >= 2, got 1"),
    (dict(probe_steps="4"), T, "probe_steps must be an integer, got '4' (str)"),
    (dict(settle="yes"), T, "settle must be True, False or None (run it for rule='settled'), got 'yes'"),
    (dict(settle=1), T, "settle must be True, False or None (run it for rule='settled'), got 1"),
    (dict(widen=[2]), T, "widen must be a number, got [2] (list)"),
    (dict(widen=-1), E, "widen must be >= 0 (decades past end; 0 never widens), got -1.0"),
    (dict(probe_fn=3), T, "probe_fn must be callable (rates -> losses) or None, got 3"),
    (dict(rule="probe"), T, "rule='probe' needs probe_fn (rates -> losses from the initial state) or reset, "
                            "a callable that restores the model before each probe, got None"),
    (dict(rule="probe", reset=5), T, "rule='probe' needs probe_fn (rates -> losses from the initial state) "
                                     "or reset, a callable that restores the model before each probe, got 5"),
    (dict(settle=True), T, "settle=True needs reset, a callable that restores the model before the "
                           "settled sweep, got None"),
    (dict(repeats=2), T, "repeats=2 needs reset, a callable that restores the model between runs, got None"),
])
def test_every_bad_option_is_named_with_find_lr_before_any_step(kwargs, exc, message):
    calls = []
    with pytest.raises(exc) as info:
        find_lr(lambda lr: calls.append(lr) or 1.0, **kwargs)
    assert str(info.value) == "find_lr: " + message
    assert calls == []


def test_step_fn_must_be_callable_message():
    with pytest.raises(TypeError) as info:
        find_lr(0.1)
    assert str(info.value) == "find_lr: step_fn must be callable (lr -> loss), got 0.1"


@pytest.mark.parametrize("kwargs", [
    dict(num_steps=2), dict(start=0.5, end=2.0), dict(smoothing=0.0), dict(diverge=1.001),
    dict(spike=1.001),
    dict(probe_steps=2, rule="probe", target="constant", probe_fn=lambda r: [1.0] * len(r)),
    dict(probe_steps=4, rule="probe", probe_fn=lambda r: [1.0] * len(r)),
    dict(widen=0), dict(widen=0.0), dict(settle=False), dict(settle=None), dict(repeats=1),
])
def test_options_at_their_limits_are_accepted(kwargs):
    r = find_lr(lambda lr: 1.0, **{"num_steps": 12, "widen": 0, **kwargs})  # a flat loss is widened
    assert len(r.lrs) == kwargs.get("num_steps", 12)


# ----------------------------------------------------------------------------- repeats, settle, bar
def breaking(n: int = 40):
    """A loss falling for ``n - 1`` steps and jumping 70% at the last: a test of ``n`` steps that
    breaks down at its end (so it has an edge, and a settled sweep runs from it); 1.0 afterwards."""
    vals = list(2.0 * np.exp(-np.linspace(0, 1.5, n - 1)))
    vals.append(vals[-1] * 1.7)
    state = {"it": None, "resets": 0}

    def reset():
        state["resets"] += 1
        state["it"] = itertools.chain(vals, itertools.repeat(1.0))

    reset()
    state["resets"] = 0
    return (lambda lr: next(state["it"])), reset, state


def test_repeats_reset_between_runs_and_name_each_run_on_the_bar(capsys):
    pytest.importorskip("tqdm")
    step, reset, state = breaking()
    r = find_lr(step, start=1e-4, end=1.0, num_steps=40, repeats=3, reset=reset, progress=True)
    assert state["resets"] == 2 and len(r.runs) == 3 and r.settled is None
    err = capsys.readouterr().err
    for k in (1, 2, 3):
        assert f"lr range test {k}/3: " in err
    assert "| 40/120 [" in err and "| 80/120 [" in err


def test_the_settled_sweep_runs_by_default_only_for_rule_settled_with_reset(capsys):
    pytest.importorskip("tqdm")
    step, reset, state = breaking()
    r = find_lr(step, start=1e-4, end=1.0, num_steps=40, reset=reset, rule="settled", progress=True)
    assert state["resets"] == 1 and r.settled is not None
    assert len(r.settled.settle_losses) == 100 and len(r.settled.lrs) == 60
    err = capsys.readouterr().err
    # the phase is named, and its 160 steps are added to the 40 of the test
    assert "lr range test: settled sweep: " in err and "| 40/200 [" in err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    head = f"lr range test: suggestion {r.suggestion:.3g} (settled, one_cycle; stop: completed): "
    assert last.startswith(head)
    assert "| 200/200 [" in last
    for kw in (dict(rule="lrkit"), dict(rule="settled", settle=False)):
        step, reset, state = breaking()
        r = find_lr(step, start=1e-4, end=1.0, num_steps=40, reset=reset, **kw)
        assert state["resets"] == 0 and r.settled is None
    step, reset, state = breaking()
    r = find_lr(step, start=1e-4, end=1.0, num_steps=40, reset=reset, settle=True)
    assert state["resets"] == 1 and r.settled is not None and r.rule == "lrkit"


def test_probes_are_counted_on_the_bar_and_summarised(capsys):
    pytest.importorskip("tqdm")
    step, reset, state = breaking()
    probed = []

    def probe_fn(rates_):
        probed.append(len(rates_))
        return [1.0] * len(rates_)

    r = find_lr(step, start=1e-4, end=1.0, num_steps=40, rule="probe", probe_fn=probe_fn, probe_steps=5,
                progress=True)
    assert probed == [5] * len(r.probe.candidates) and state["resets"] == 0
    err = capsys.readouterr().err
    assert "lr range test: probes: " in err and "| 40/45 [" in err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    total = 40 + 5 * len(probed)
    head = f"lr range test: suggestion {r.suggestion:.3g} (probe, one_cycle; stop: completed): "
    assert last.startswith(head)
    assert f"| {total}/{total} [" in last


def test_the_default_probe_fn_resets_and_trains_with_the_step_function():
    step, reset, state = breaking()
    r = find_lr(step, start=1e-4, end=1.0, num_steps=40, rule="probe", reset=reset, probe_steps=4)
    assert state["resets"] == len(r.probe.candidates)
    # after each reset the probe replays the start of the curve
    first = 2.0
    assert all(run[0] == first for run in r.probe.losses)


def descriptions(err: str) -> list[str]:
    """The bar's descriptions, in the order drawn."""
    return [m.group(1) for m in re.finditer(r"\r([^\r\n]*?):\s+\d+%\|", err)]


def phases(names: list[str]) -> list[str]:
    """The phase names among the descriptions (not the final summary)."""
    summary = ("lr range test: suggestion", "lr range test: no suggestion")
    return [n for n in names if not n.startswith(summary)]


def test_find_lr_defaults(capsys):
    step, calls = never_breaks(100)
    r = find_lr(step)
    assert capsys.readouterr().err == ""          # no progress bar unless asked
    # 100 steps from 1e-7 to 10, exponential; a test that never broke down is widened by default,
    # two decades more at the same ratio (25 steps)
    assert len(calls) == 125 and len(r.lrs) == 125
    assert r.lrs[0] == pytest.approx(1e-7, rel=1e-12) and r.lrs[99] == pytest.approx(10.0, rel=1e-12)
    assert r.lrs[-1] == pytest.approx(10.0 * 10 ** (8 / 99 * 25), rel=1e-12)
    assert r.lrs[1] / r.lrs[0] == pytest.approx(10 ** (8 / 99), rel=1e-12)
    assert (r.rule, r.target, r.runs, r.probe, r.settled) == ("lrkit", "one_cycle", (), None, None)
    # the smoothing is 0.98: the second smoothed value is (0.98 * 0.02 * 2 + 0.02 * 1.94) / (1 - 0.98^2)
    assert r.smoothed[1] == pytest.approx((0.98 * 0.02 * 2.0 + 0.02 * 1.94) / (1 - 0.98 ** 2), rel=1e-12)


def test_default_stopping_factors_are_4_and_10():
    # smoothing 0 makes the smoothed loss the raw one: 4.5 x the best is a divergence (default 4)
    r = find_lr(script([1.0, 4.5]), num_steps=5, smoothing=0.0)
    assert r.stop_reason == "diverged" and len(r.lrs) == 2
    r = find_lr(script([1.0, 3.9]), num_steps=5, smoothing=0.0)
    assert r.stop_reason == "completed"
    # 10.5 x the best is a spike (default 10), when divergence is set higher
    r = find_lr(script([1.0, 10.5]), num_steps=5, smoothing=0.0, diverge=100.0)
    assert r.stop_reason == "spike" and len(r.lrs) == 2
    r = find_lr(script([1.0, 9.5]), num_steps=5, smoothing=0.0, diverge=100.0)
    assert r.stop_reason == "completed"


def script(values: list[float]):
    it = itertools.chain(values, itertools.repeat(1.0))
    return lambda lr: next(it)


def test_a_linear_test_is_never_widened():
    step, calls = never_breaks(40)
    r = find_lr(step, start=1e-3, end=1e-1, num_steps=40, mode="linear", widen=2.0)
    assert len(calls) == 40 and len(r.lrs) == 40
    np.testing.assert_allclose(r.lrs, 1e-3 + (1e-1 - 1e-3) * np.arange(40) / 39, rtol=1e-13)


def test_widen_0_never_enters_a_widened_phase(capsys):
    pytest.importorskip("tqdm")
    step, calls = never_breaks(40)
    find_lr(step, start=1e-4, end=1e-2, num_steps=40, progress=True, widen=0)
    assert len(calls) == 40
    assert set(phases(descriptions(capsys.readouterr().err))) == {"lr range test"}


def test_check_options_returns_the_checked_options_with_its_defaults():
    opts = check_options(start=1e-4, end=1, num_steps=10, mode="linear", smoothing=0, diverge=2, spike=3,
                         repeats=1, rule="minimum", target="constant")
    assert opts == dict(start=1e-4, end=1.0, num_steps=10, mode="linear", smoothing=0.0, diverge=2.0,
                        spike=3.0, repeats=1, rule="minimum", target="constant", probe_steps=25, settle=None,
                        widen=2.0, stretch=3)


def test_rule_settled_without_reset_runs_no_settled_sweep():
    step, reset, state = breaking()
    r = find_lr(step, start=1e-4, end=1.0, num_steps=40, rule="settled")
    assert r.settled is None and r.suggestion is None
    assert r.reason == "no settled sweep was run: use find_lr(..., settle=True) (it needs reset)"


def test_bar_names_a_single_run_without_a_count_and_two_runs_with_theirs(capsys):
    pytest.importorskip("tqdm")
    step, calls = never_breaks(40)
    find_lr(step, start=1e-4, end=1e-2, num_steps=40, widen=1.0, progress=True)
    names = descriptions(capsys.readouterr().err)
    assert set(phases(names)) == {"lr range test", "lr range test: widened"}
    assert names[-1] == "lr range test: no suggestion (lrkit, one_cycle; stop: completed)"
    step, reset, state = breaking()
    find_lr(step, start=1e-4, end=1.0, num_steps=40, repeats=2, reset=reset, progress=True)
    names = descriptions(capsys.readouterr().err)
    assert set(phases(names)) == {"lr range test", "lr range test 1/2", "lr range test 2/2"}


def test_bar_summary_gives_the_suggestion_to_three_significant_digits(capsys):
    pytest.importorskip("tqdm")
    step, reset, state = breaking()
    # the same curve at rates 10^4 times smaller: a suggestion below 1e-4, written 1.23e-05
    r = find_lr(step, start=1e-8, end=1e-4, num_steps=40, progress=True)
    assert 1e-6 < r.suggestion < 1e-4
    mantissa, exponent = f"{r.suggestion:e}".split("e")
    text = f"{float(mantissa):.2f}e{exponent}"
    assert descriptions(capsys.readouterr().err)[-1] == (f"lr range test: suggestion {text} "
                                                         "(lrkit, one_cycle; stop: completed)")


def test_a_test_that_has_not_fallen_is_widened_unless_it_rose_by_half():
    # no analysis window in either case (the loss never fell below its start); a step from 2 to 3
    # is a rise of exactly 1.5x the floor -- not above it, so the test is widened (25 steps)...
    calls = []

    def step_to(high: float):
        def step(lr: float) -> float:
            calls.append(lr)
            return 2.0 if len(calls) <= 50 else high
        return step

    assert len(find_lr(step_to(3.0)).lrs) == 125
    # ...and one a hair above it is a rise: more rate is no remedy, no widening
    calls.clear()
    assert len(find_lr(step_to(3.0 * (1 + 1e-9))).lrs) == 100


def test_a_short_flat_test_is_widened_a_short_rising_one_is_not():
    # too few points for a window, none of them a rise: two decades more at 10x a step
    assert len(find_lr(lambda lr: 1.0, start=1e-4, end=1e-1, num_steps=4).lrs) == 6
    assert len(find_lr(lambda lr: 1.0, start=1e-3, end=1e-1, num_steps=3).lrs) == 5
    # a rise within the first points cuts the window: no widening
    it = iter([1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0])
    r = find_lr(lambda lr: next(it), start=1e-3, end=1e-1, num_steps=8, diverge=100.0, spike=100.0)
    assert r.stop_reason == "completed" and len(r.lrs) == 8
