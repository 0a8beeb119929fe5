"""The framework-free range test: rates, stopping, smoothing, validation, rules, result object.

The "real model" here is a softmax regression on scikit-learn's digits trained with plain
NumPy SGD; synthetic loss curves are used only where a precise shape (a spike, a plateau) is
what the test is about.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import lrkit
from lrkit.finder import FinderResult, NoSuggestion, find_lr, rates
from lrkit.finder.rules import MIN_POINTS, window


# ----------------------------------------------------------------------------- a real model
class SoftmaxDigits:
    """Softmax regression on digits, one SGD step per call: a real training step in NumPy."""

    def __init__(self, seed: int = 0, batch: int = 64) -> None:
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        self.x = x / 16.0
        self.y = y
        self.rng = np.random.default_rng(seed)
        self.w = np.zeros((64, 10))
        self.b = np.zeros(10)
        self.batch = batch
        self.calls = 0

    def __call__(self, lr: float) -> float:
        self.calls += 1
        idx = self.rng.integers(0, len(self.x), self.batch)
        xb, yb = self.x[idx], self.y[idx]
        with np.errstate(over="ignore", invalid="ignore"):
            z = xb @ self.w + self.b
            z = z - z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            loss = -np.mean(np.log(np.maximum(p[np.arange(len(yb)), yb], 1e-300)))
            p[np.arange(len(yb)), yb] -= 1.0
            self.w -= lr * xb.T @ p / len(yb)
            self.b -= lr * p.mean(0)
        return float(loss)


def curve_fn(values: list[float]):
    """A step function replaying a given loss sequence (for shape-specific tests), then holding its
    last value (a test that never broke down is widened past its end: the loss stays flat there)."""
    it = itertools.chain(values, itertools.repeat(values[-1]))
    return lambda lr: next(it)


# ----------------------------------------------------------------------------- rates
def test_exponential_rates_hit_both_ends_with_constant_ratio():
    r = rates(1e-6, 1.0, 61)
    assert r[0] == pytest.approx(1e-6, rel=1e-12) and r[-1] == pytest.approx(1.0, rel=1e-12)
    ratios = r[1:] / r[:-1]
    np.testing.assert_allclose(ratios, 10 ** 0.1, rtol=1e-10)


def test_linear_rates_are_evenly_spaced():
    r = rates(0.5, 2.5, 5, "linear")
    np.testing.assert_allclose(r, [0.5, 1.0, 1.5, 2.0, 2.5], rtol=0, atol=1e-15)


def test_the_test_uses_exactly_the_planned_rates():
    seen = []
    model = SoftmaxDigits()
    find_lr(lambda lr: (seen.append(lr), model(lr))[1], start=1e-4, end=1e-2, num_steps=20, widen=0)
    np.testing.assert_allclose(seen, rates(1e-4, 1e-2, 20), rtol=1e-15)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(start=1.0, end=1.0), ValueError, ["start", "< end", "1.0"]),
        (dict(start=2.0, end=1.0), ValueError, ["start", "< end"]),
        (dict(num_steps=1), ValueError, ["num_steps", ">= 2", "1"]),
        (dict(num_steps=0), ValueError, ["num_steps", ">= 2"]),
        (dict(num_steps=2.5), TypeError, ["num_steps", "integer"]),
        (dict(start=0.0), ValueError, ["start", "> 0"]),
        (dict(start=0.0, mode="linear"), ValueError, ["start", "> 0"]),
        (dict(mode="log"), ValueError, ["mode", "'exponential'", "'log'"]),
        (dict(smoothing=1.0), ValueError, ["smoothing", "[0, 1)"]),
        (dict(diverge=1.0), ValueError, ["diverge", "> 1"]),
        (dict(spike=0.5), ValueError, ["spike", "> 1"]),
        (dict(repeats=0), ValueError, ["repeats", ">= 1"]),
        (dict(repeats=2), TypeError, ["repeats", "reset"]),
        (dict(rule="best"), ValueError, ["rule", "'lrkit'", "'best'"]),
        (dict(target="cosine"), ValueError, ["target", "'one_cycle'"]),
        (dict(end=float("inf")), ValueError, ["end", "finite"]),
    ],
)
def test_bad_options_raise_before_any_step(kwargs, exc, words):
    model = SoftmaxDigits()
    with pytest.raises(exc) as info:
        find_lr(model, **kwargs)
    for w in words:
        assert w in str(info.value)
    assert model.calls == 0
    assert not model.w.any()


def test_step_fn_must_be_callable():
    with pytest.raises(TypeError, match="step_fn must be callable"):
        find_lr(0.1)


@pytest.mark.parametrize("bad", ["0.5", None, True, [1.0, 2.0], np.array([1.0, 2.0]), {"loss": 1.0}])
def test_non_numeric_loss_is_a_type_error(bad):
    with pytest.raises(TypeError, match="step_fn must return the loss"):
        find_lr(lambda lr: bad, num_steps=10)


@pytest.mark.parametrize("good", [1, 1.5, np.float32(1.5), np.array(1.5), np.array([1.5])])
def test_numeric_losses_are_accepted(good):
    r = find_lr(lambda lr: good, num_steps=12)
    assert r.losses.dtype == np.float64 and np.all(r.losses == float(np.asarray(good).item()))


@pytest.mark.parametrize("first", [math.nan, math.inf, -math.inf])
def test_non_finite_first_loss_is_an_error(first):
    with pytest.raises(ValueError, match="first step"):
        find_lr(lambda lr: first)


def test_negative_loss_is_an_error():
    with pytest.raises(ValueError, match="loss must be >= 0"):
        find_lr(curve_fn([1.0, 0.5, -0.1] + [0.1] * 97))


# ----------------------------------------------------------------------------- smoothing and stops
def test_smoothed_is_the_bias_corrected_ema():
    model = SoftmaxDigits(seed=3)
    r = find_lr(model, start=1e-4, end=1.0, num_steps=40, smoothing=0.9)
    raw = r.losses
    for i in (0, 1, 7, 39):
        w = np.array([0.9 ** (i - j) for j in range(i + 1)]) * 0.1
        expect = float(np.dot(w, raw[: i + 1]) / (1 - 0.9 ** (i + 1)))
        assert r.smoothed[i] == pytest.approx(expect, rel=1e-12)
    assert r.smoothed[0] == raw[0]


def test_stop_on_non_finite_loss():
    values = [2.0 - 0.01 * i for i in range(30)] + [math.nan] + [1.0] * 69
    r = find_lr(curve_fn(values))
    assert r.stop_reason == "non-finite" and len(r.losses) == 31 and r.usable == 30
    assert math.isnan(r.losses[-1])


def test_stop_on_raw_spike_before_the_ema_reacts():
    values = [2.0 - 0.01 * i for i in range(40)] + [40.0] + [1.0] * 59
    r = find_lr(curve_fn(values))
    assert r.stop_reason == "spike" and r.usable == 40
    # the EMA alone would not have stopped there: 4x the best is not reached
    assert r.smoothed[40] < 4 * r.smoothed[:40].min()


def test_stop_when_smoothed_passes_k_times_best():
    values = [1.0] * 20 + [1.0 * 1.3 ** k for k in range(80)]
    r = find_lr(curve_fn(values), diverge=4.0, spike=1e6)
    assert r.stop_reason == "diverged"
    assert r.smoothed[-1] > 4.0 * r.smoothed[:-1].min()
    assert np.all(r.smoothed[:-1] <= 4.0 * np.minimum.accumulate(r.smoothed[:-1]) + 1e-12)


def test_real_model_test_stops_when_training_breaks():
    r = find_lr(SoftmaxDigits(), start=1e-4, end=1e4, num_steps=100)
    assert r.stop_reason in ("spike", "diverged", "non-finite")
    assert r.usable < 100 and r.lrs[r.usable] > 1.0


# ----------------------------------------------------------------------------- rules
def real_result(seed: int = 0, **kw) -> FinderResult:
    return find_lr(SoftmaxDigits(seed=seed), start=1e-4, end=1e4, num_steps=100, **kw)


def test_minimum_rule_is_a_tenth_of_the_smoothed_minimum():
    r = real_result()
    i = int(np.argmin(r.smoothed[: r.usable]))
    assert r.suggest("minimum") == pytest.approx(r.lrs[i] / 10, rel=1e-15)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("rule", ["lrkit", "minimum", "steepest", "valley"])
@pytest.mark.parametrize("target", ["one_cycle", "constant"])
def test_no_rule_suggests_at_or_past_the_minimum(seed, rule, target):
    r = real_result(seed)
    lr_min = r.lrs[int(np.argmin(r.smoothed[: r.usable]))]
    s = r.suggest(rule, target=target)
    assert r.lrs[0] <= s < lr_min


def test_suggestions_train_the_real_model():
    # the suggested rates train (loss far below the initial log 10 = 2.3) and clearly beat a
    # rate 100x lower; the rate 100x higher is past the breakdown seen in the test
    r = real_result()

    def final_loss(lr: float) -> float:
        m = SoftmaxDigits(seed=9)
        return float(np.mean([m(lr) for _ in range(300)][-50:]))

    for target in ("one_cycle", "constant"):
        s = r.suggest(target=target)
        assert final_loss(s) < 0.7 and final_loss(s) < final_loss(s / 100) - 0.5, (target, s)
        assert s * 100 > r.lrs[r.usable - 1]


def test_lrkit_rule_depends_on_the_target_schedule():
    r = real_result()
    assert r.suggest("lrkit", target="one_cycle") >= 1.99 * r.suggest("lrkit", target="constant")
    # the classic rules do not
    for rule in ("minimum", "steepest", "valley"):
        assert r.suggest(rule, target="one_cycle") == r.suggest(rule, target="constant")


def _rate_at(index: float) -> float:
    return 1e-7 * (10.0 / 1e-7) ** (index / 99)  # the default exponential sweep, 100 steps


def test_rise_point_is_where_the_centred_loss_passes_factor_times_its_minimum():
    from lrkit.finder.rules import rise_point

    # 2.3 for 30 steps, down to 1.7 at step 50, flat to step 60, then up by 0.03 per step: the
    # centred average is exact on each straight piece, so the crossing of factor * 1.7 is exact
    lrs = rates(1e-7, 10.0, 100)
    values = [2.3] * 30 + list(np.linspace(2.3, 1.7, 21)) + [1.7] * 10
    values += [1.7 + 0.03 * k for k in range(1, 40)]
    for factor in (1.2, 1.5):
        expected = _rate_at(60 + (factor - 1) * 1.7 / 0.03)
        # (the log of a straight rise is slightly curved: its tiny "noise" moves the floor by <0.1%)
        assert rise_point(lrs, np.asarray(values), factor) == pytest.approx(expected, rel=2e-3)
    # a loss that never rises that much: the last rate
    assert rise_point(lrs, np.asarray(values[:62] + [1.75] * 38), 1.2) == lrs[-1]


def test_lrkit_rule_is_the_edge_over_5_and_for_a_constant_rate_the_edge_and_half_descent():
    # the documented formulas: one-cycle eta = min(sqrt(eta_1.2 * eta_1.5) / 5, eta_{i*-1});
    # constant eta = min(sqrt(edge * half-descent point) / 6, eta_{i*-1})
    from lrkit.finder.rules import CONSTANT_DIVISOR, DESCENT, EDGE_DIVISOR, half_descent, window

    values = [1.0] * 30 + list(np.linspace(1.0, 0.1, 21)) + [0.1] * 19
    values += [0.1 + 0.005 * k for k in range(1, 31)]  # rises 20% at step 73, 50% at step 79
    r = find_lr(curve_fn(values), spike=100.0, diverge=100.0)
    edge = math.sqrt(_rate_at(73) * _rate_at(79))
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    assert EDGE_DIVISOR == {"one_cycle": 5.0} and CONSTANT_DIVISOR == 6.0 and DESCENT == 0.5
    cap = w.lrs[w.centred_argmin - 1]
    assert w.centred_argmin == 66 and cap == _rate_at(65)  # the end of the flat minimum, 50..69 centred
    assert edge / 5 > cap  # the peak is capped below the minimum
    # (the log of a straight rise is slightly curved: its tiny "noise" moves the floor by <0.2%)
    assert r.suggest("lrkit", target="one_cycle") == pytest.approx(min(edge / 5, cap), rel=2e-3)
    # half the fall from 1.0 to 0.1 is 0.55, reached by the straight descent (1 - 0.045 k from
    # step 30) at step 40, where its centred average equals it (to rounding: step 40 or 41)
    half = half_descent(w)
    assert half in (_rate_at(40), _rate_at(41))
    want = math.sqrt(edge * half) / 6  # about rate_58 / 6: below the cap, the formula itself
    assert want < cap
    assert r.suggest("lrkit", target="constant") == pytest.approx(want, rel=2e-3)


def test_half_descent_reads_the_centred_loss_against_its_start_and_its_lowest_value():
    from lrkit.finder.rules import half_descent, window

    # a noisy first batch does not move the start (the median of the first five raw losses):
    # start 2.0, lowest 0.4, so the half-descent level is 1.2, first reached at step 50
    values = [9.0, 2.0, 2.0, 2.0, 2.0] + [2.0] * 25 + list(np.linspace(2.0, 0.4, 41)) + [0.4] * 29
    values += [0.4 * 1.2 ** k for k in range(1, 11)]
    r = find_lr(curve_fn(values), spike=1e6, diverge=1e6)
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    assert float(np.min(w.centred)) == pytest.approx(0.4)
    assert half_descent(w) in (_rate_at(50), _rate_at(51))
    # the same curve with a lower floor moves the point later: level (2 + 0.1) / 2 = 1.05
    values2 = values[:30] + list(np.linspace(2.0, 0.1, 41)) + [0.1] * 29
    values2 += [0.1 * 1.2 ** k for k in range(1, 11)]
    r2 = find_lr(curve_fn(values2), spike=1e6, diverge=1e6)
    w2 = window(r2.lrs, r2.losses, r2.smoothed, r2.usable)
    assert half_descent(w2) in (_rate_at(50), _rate_at(51))  # (2 - 1.05) / (1.9 / 40) = 20 steps in
    # and a curve whose fall ends sooner: level reached 10 steps in
    values3 = values[:30] + list(np.linspace(2.0, 0.4, 21)) + [0.4] * 49
    values3 += [0.4 * 1.2 ** k for k in range(1, 11)]
    r3 = find_lr(curve_fn(values3), spike=1e6, diverge=1e6)
    w3 = window(r3.lrs, r3.losses, r3.smoothed, r3.usable)
    assert half_descent(w3) in (_rate_at(40), _rate_at(41))
    # (a lucky first batch, which the smoother cannot average yet, is not the fall: checked on
    # issue 15's noisy regression loss in test_noisy_and_edges.py)
    # a window built by hand (no stored centred average) computes the same average itself
    from lrkit.finder._smooth import centered, half_width
    from lrkit.finder.rules import Window

    bare = Window(w.lrs, w.losses, w.smoothed, w.usable_lrs, w.usable_losses)
    np.testing.assert_array_equal(bare.centred_loss, centered(w.losses, half_width(w.lrs)))
    assert half_descent(bare) == half_descent(w)


def test_a_fall_within_the_smoothers_first_half_width_is_no_constant_rate_but_a_reason():
    # found by hypothesis (an IndexError before the fix): one very low batch at the 4th step, the
    # loss above its start everywhere the smoother has its full width (5 points each side here)
    from lrkit.finder.rules import half_descent, window

    values = [118.02, 26.26, 45.92, 0.002] + [60.81] * 116
    r = find_lr(curve_fn(values), num_steps=120, start=1e-5, end=10.0)
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    with pytest.raises(NoSuggestion, match="first quarter decade of the test.*start the test at a lower"):
        half_descent(w)
    with pytest.raises(NoSuggestion, match="first quarter decade"):
        r.suggest(target="constant")


def test_never_suggests_on_the_recovery_slope_after_a_spike():
    # decrease, a bump (below the stopping thresholds), then a steep recovery to a lower loss
    down = list(np.linspace(2.3, 1.5, 40))
    bump = list(np.linspace(1.5, 3.6, 6)) + [3.6] * 4
    recover = list(np.linspace(3.6, 0.2, 15)) + [0.2] * 35
    r = find_lr(curve_fn(down + bump + recover), spike=100.0, diverge=100.0)
    assert r.stop_reason == "completed"
    bump_lr = r.lrs[40]
    for rule in ("lrkit", "minimum", "steepest", "valley"):
        for target in ("one_cycle", "constant"):
            assert r.suggest(rule, target=target) < bump_lr, rule


def test_too_few_points_gives_no_suggestion_with_a_reason():
    values = [2.0, 1.9, 1.8, 1.7, 100.0] + [1.0] * 95
    r = find_lr(curve_fn(values))
    assert r.usable == 4 < MIN_POINTS
    assert r.suggestion is None
    assert "usable point" in r.reason and str(MIN_POINTS) in r.reason
    with pytest.raises(NoSuggestion) as info:
        r.suggest()
    assert isinstance(info.value, ValueError)
    with pytest.raises(NoSuggestion):
        r.schedule("one_cycle", total_steps=100)
    assert r.suggestions() == dict.fromkeys(("lrkit", "minimum", "steepest", "valley", "probe", "settled"))


def test_a_loss_that_never_decreases_gives_no_suggestion():
    r = find_lr(lambda lr: 1.0 + lr, num_steps=50)
    assert r.suggestion is None and "never went 1% below" in r.reason


def test_suggest_validates_its_arguments():
    r = real_result()
    with pytest.raises(ValueError, match="rule must be one of"):
        r.suggest("fastest")
    with pytest.raises(ValueError, match="target must be one of"):
        r.suggest(target="linear")


# ----------------------------------------------------------------------------- repeats
def test_repeats_take_the_median_of_the_runs():
    resets = []
    model = SoftmaxDigits(seed=5)

    def reset():
        resets.append(1)
        model.w[:] = 0.0
        model.b[:] = 0.0

    r = find_lr(model, start=1e-4, end=1e4, num_steps=100, repeats=3, reset=reset)
    assert len(resets) == 2 and len(r.runs) == 3
    for rule in ("lrkit", "minimum"):
        runs = sorted(run.suggest(rule) for run in r.runs)
        assert r.suggest(rule) == pytest.approx(runs[1], rel=1e-12)
    n = min(len(run.lrs) for run in r.runs)
    assert len(r.lrs) == n
    np.testing.assert_allclose(r.losses, np.median([run.losses[:n] for run in r.runs], axis=0))


# ----------------------------------------------------------------------------- schedules
def test_schedule_one_cycle_constant_and_warmup_cosine():
    r = real_result()
    oc = r.schedule("one_cycle", total_steps=1000)
    assert isinstance(oc, lrkit.OneCycle)
    assert oc.peak == r.suggest(target="one_cycle") and oc.total_steps == 1000
    assert max(oc.curve(1000)) == pytest.approx(oc.peak, rel=1e-9)
    c = r.schedule("constant")
    assert isinstance(c, lrkit.Constant) and c(123) == pytest.approx(r.suggest(target="constant"))
    wc = r.schedule("warmup_cosine", total_steps=1000, warmup_steps=100)
    assert wc(0) == 0.0 and wc(100) == pytest.approx(r.suggest(target="one_cycle"), rel=1e-12)
    assert wc(1000) == pytest.approx(0.0, abs=1e-15)
    cfg = oc.to_config()
    assert lrkit.from_config(cfg) == oc


def test_schedule_bad_arguments():
    r = real_result()
    with pytest.raises(TypeError, match="total_steps"):
        r.schedule("one_cycle")
    with pytest.raises(ValueError, match="kind must be one of"):
        r.schedule("triangle", total_steps=10)
    with pytest.raises(ValueError, match="warmup_steps must be < total_steps"):
        r.schedule("warmup_cosine", total_steps=10, warmup_steps=10)


# ----------------------------------------------------------------------------- export and plot
def test_to_dict_is_json_and_round_trips():
    values = [2.0 - 0.01 * i for i in range(30)] + [math.nan] + [1.0] * 69
    for r in (real_result(), find_lr(curve_fn(values))):
        d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
        back = FinderResult.from_dict(d)
        assert back.suggestions() == r.suggestions()
        assert back.stop_reason == r.stop_reason and back.usable == r.usable
        assert d["suggestion"] == r.suggestion
        assert set(d["suggestions"]) == {"one_cycle", "constant"}


def test_plot_marks_each_rule():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = real_result()
    ax = r.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for rule in ("lrkit", "minimum", "steepest", "valley"):
        assert any(label.startswith(rule + ":") for label in labels)
    assert ax.get_xscale() == "log"
    assert any(label.startswith("stop") for label in labels)
    plt.close("all")


def test_progress_bar_is_optional(capsys):
    find_lr(SoftmaxDigits(), start=1e-4, end=1.0, num_steps=20, progress=False)
    assert capsys.readouterr().err == ""
    find_lr(SoftmaxDigits(), start=1e-4, end=1.0, num_steps=20, progress=True)
    pytest.importorskip("tqdm")
    assert "lr range test" in capsys.readouterr().err


def test_finder_imports_neither_torch_nor_matplotlib():
    code = ("import sys, lrkit.finder\n"
            "print(','.join(m for m in ('torch', 'matplotlib', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_linear_mode_suggests_below_the_minimum():
    r = find_lr(SoftmaxDigits(seed=2), start=1e-3, end=10.0, num_steps=100, mode="linear")
    lr_min = r.lrs[int(np.argmin(r.smoothed[: r.usable]))]
    for rule in ("lrkit", "minimum", "steepest", "valley"):
        assert r.lrs[0] <= r.suggest(rule) < lr_min


def test_repeated_result_plots_and_exports():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = SoftmaxDigits(seed=4)

    def reset():
        model.w[:] = 0.0
        model.b[:] = 0.0

    r = find_lr(model, start=1e-4, end=1e4, repeats=2, reset=reset)
    ax = r.plot()
    assert len(ax.get_lines()) >= 4
    plt.close("all")
    d = json.loads(json.dumps(r.to_dict()))
    assert len(d["runs"]) == 2 and FinderResult.from_dict(d).suggestion == pytest.approx(r.suggestion)


# ----------------------------------------------------------------------------- properties
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=1e-3, max_value=1e3, allow_nan=False), min_size=2, max_size=120),
       st.sampled_from(["exponential", "linear"]))
def test_any_positive_curve_gives_a_suggestion_below_the_minimum_or_a_reason(values, mode):
    values = values + [values[-1]] * (120 - len(values))
    r = find_lr(curve_fn(values), num_steps=len(values), mode=mode, start=1e-5, end=10.0)
    assert 1 <= r.usable <= len(r.lrs)
    for target in ("one_cycle", "constant"):
        for rule, s in r.suggestions(target).items():
            if s is None:  # no suggestion is never silent: suggest() says why
                if rule == "lrkit" and target == r.target:
                    assert r.reason is not None
                if rule not in ("probe", "settled"):
                    with pytest.raises(NoSuggestion) as why:
                        r.suggest(rule, target=target)
                    assert len(str(why.value)) > 20
                continue
            lr_min = r.lrs[int(np.argmin(r.smoothed[: r.usable]))]
            if rule == "lrkit":  # lrkit places the minimum on the lag-free centred average
                w = window(r.lrs, r.losses, r.smoothed, r.usable)
                lr_min = w.lrs[w.centred_argmin]
            if rule == "minimum":  # fastai's definition, which may fall below the tested range
                assert s <= lr_min / 10 * (1 + 1e-12)
            else:
                assert np.isfinite(s) and r.lrs[0] <= s < lr_min, (rule, target)


# ----------------------------------------------------------------------------- the probe rule
class ProbeDigits:
    """``probe_fn`` for the NumPy digits model: a fresh model (same seed, so the same batches)
    trained at the given per-step rates; records every call."""

    def __init__(self) -> None:
        self.calls: list[np.ndarray] = []

    def __call__(self, lrs: np.ndarray) -> list[float]:
        self.calls.append(np.array(lrs))
        model = SoftmaxDigits(seed=11)
        return [model(float(lr)) for lr in lrs]


@pytest.mark.parametrize("target", ["constant", "one_cycle"])
def test_probe_trains_each_candidate_and_picks_the_best_by_its_own_score(target):
    from lrkit.finder.probe import FACTORS, TIE, probe_score

    probe = ProbeDigits()
    r = find_lr(SoftmaxDigits(seed=3), start=1e-4, end=1e4, rule="probe", target=target,
                probe_fn=probe, probe_steps=12)
    p = r.probe
    assert p is not None and p.target == target and p.steps == 12
    base = r.suggest("lrkit", target=target)
    w = window(r.lrs, r.losses, r.smoothed, r.usable)
    cap = w.lrs[w.centred_argmin - 1]
    expected = sorted({min(base * f, max(cap, base)) for f in FACTORS})
    np.testing.assert_allclose(p.candidates, expected, rtol=1e-12)
    assert len(probe.calls) == len(p.candidates) and p.steps_run == 12 * len(p.candidates)
    for c, rates_seen in zip(p.candidates, probe.calls):
        want = (np.full(12, c) if target == "constant"
                else lrkit.OneCycle(peak=c, total_steps=12).curve(12))
        np.testing.assert_allclose(rates_seen, want, rtol=1e-12)
    # the score is the mean of the last quarter of the probe's own losses ...
    for losses, score in zip(p.losses, p.scores):
        assert score == pytest.approx(np.mean(losses[-3:]), rel=1e-12) == probe_score(losses, 12)
    # ... and the suggestion is the smallest candidate within TIE of the best score
    best = min(p.scores)
    i = p.candidates.index(r.suggestion)
    assert p.scores[i] <= best * (1 + TIE)
    assert all(s > best * (1 + TIE) for s in p.scores[:i])
    assert r.suggest("probe") == r.suggestion == p.chosen
    # the probes ran for this target only
    other = "one_cycle" if target == "constant" else "constant"
    with pytest.raises(NoSuggestion, match="probes ran for target"):
        r.suggest("probe", target=other)
    assert r.suggestions(other)["probe"] is None


def test_probe_without_probe_fn_resets_before_each_probe():
    model = SoftmaxDigits(seed=2)
    resets = []

    def reset():
        resets.append(1)
        model.w[:] = 0.0
        model.b[:] = 0.0

    r = find_lr(model, start=1e-4, end=1e4, rule="probe", target="constant", reset=reset, probe_steps=6,
                settle=False)
    assert len(resets) == len(r.probe.candidates) >= 2
    assert model.calls == len(r.lrs) + 6 * len(r.probe.candidates)
    assert r.suggestion in r.probe.candidates


def test_choose_and_score_edge_cases():
    from lrkit.finder.probe import choose, probe_score

    assert choose([1.0, 0.99, 0.5, 0.495]) == 2  # 0.5 is within 2% of 0.495: the smaller rate wins
    assert choose([0.9, math.inf, 0.3]) == 2
    with pytest.raises(NoSuggestion, match="every probe diverged"):
        choose([math.inf, math.inf])
    assert probe_score([1.0, 2.0, math.nan, 1.0], 4) == math.inf
    assert probe_score([1.0, 2.0], 4) == math.inf  # stopped early
    assert probe_score([4.0, 3.0, 2.0, 1.0, 1.0, 9.0, 0.0, 0.5], 8) == pytest.approx(0.25)  # last 2 of 8


def test_a_diverging_probe_is_never_chosen():
    base = find_lr(SoftmaxDigits(seed=3), start=1e-4, end=1e4).suggest(target="constant")

    def probe_fn(lrs):
        # the real model, except that the largest candidate (base * 2**1.5) blows up at its 2nd step
        if lrs.max() > 2 * base:
            return [1.0, math.inf]
        model = SoftmaxDigits(seed=11)
        return [model(float(lr)) for lr in lrs]

    r = find_lr(SoftmaxDigits(seed=3), start=1e-4, end=1e4, rule="probe", target="constant",
                probe_fn=probe_fn, probe_steps=8)
    assert r.probe.candidates[-1] > 2 * base and r.probe.scores[-1] == math.inf
    assert r.probe.losses[-1] == (1.0, math.inf)
    assert r.suggestion < r.probe.candidates[-1]


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(probe_steps=1), ValueError, ["probe_steps", ">= 2"]),
        # found by mutation testing: 2 or 3 passed the check, then the one-cycle probe raised
        # after the whole range test had run
        (dict(probe_steps=3), ValueError, ["probe_steps", ">= 4", "one_cycle", "got 3"]),
        (dict(probe_steps=2.5), TypeError, ["probe_steps"]),
        (dict(probe_fn=3), TypeError, ["probe_fn", "callable"]),
        (dict(probe_fn=None), TypeError, ["probe_fn", "reset"]),
    ],
)
def test_probe_bad_options_raise_before_any_step(kwargs, exc, words):
    model = SoftmaxDigits()
    with pytest.raises(exc) as info:
        find_lr(model, rule="probe", **kwargs)
    for w in words:
        assert w in str(info.value)
    assert model.calls == 0 and not model.w.any()


@pytest.mark.parametrize("bad, exc, words", [(lambda lrs: 1.0, TypeError, "sequence of per-step losses"),
                                             (lambda lrs: [1.0] * (len(lrs) + 1), ValueError, "losses for"),
                                             (lambda lrs: ["x"] * len(lrs), TypeError, "loss")])
def test_probe_fn_returning_garbage_is_an_error(bad, exc, words):
    with pytest.raises(exc, match=words):
        find_lr(SoftmaxDigits(seed=3), start=1e-4, end=1e4, rule="probe", probe_fn=bad, probe_steps=4)


def test_no_probe_on_a_result_without_probes_and_probe_round_trips():
    r = real_result()
    with pytest.raises(NoSuggestion, match="no probes were run"):
        r.suggest("probe")
    p = find_lr(SoftmaxDigits(seed=3), start=1e-4, end=1e4, rule="probe", probe_fn=ProbeDigits(),
                probe_steps=4)
    d = json.loads(json.dumps(p.to_dict(), allow_nan=False))
    back = FinderResult.from_dict(d)
    assert back.probe == p.probe and back.suggestion == p.suggestion
    import matplotlib

    matplotlib.use("Agg")
    labels = [t.get_text() for t in p.plot().get_legend().get_texts()]
    assert any(t.startswith("probe: ") for t in labels)
    # no usable curve: no probes, and the probe rule gives lrkit's reason
    flat = find_lr(lambda lr: 1.0, rule="probe", probe_fn=ProbeDigits(), num_steps=20)
    assert flat.probe is None and flat.suggestion is None and "never went" in flat.reason
