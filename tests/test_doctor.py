"""lrkit.doctor: each finding is triggered by the mistake it describes, and a good schedule is clean."""

from __future__ import annotations

import pytest

import lrkit
from lrkit.doctor import PEAK_BOUNDS, check


def test_a_well_made_schedule_is_clean():
    s = lrkit.warmup(lrkit.Cosine(0.1, 900), 100, start=0.001)
    r = check(s, 1000, optimizer="sgd")
    assert r.findings == () and r.exit_code == 0
    assert r.peak == pytest.approx(0.1) and r.peak_step == 100
    assert r.total == 1000 and r.horizon == 1000
    assert "no problems found" in r.format()


def test_warmup_longer_than_the_run_is_an_error():
    s = lrkit.warmup(lrkit.Cosine(0.1, 1000), 2000, start=0.001)
    r = check(s, 1000)
    assert "warmup-too-long" in r.codes and r.exit_code == 2
    (f,) = [f for f in r.errors if f.code == "warmup-too-long"]
    assert f.step == 2000 and "never reaches its target 0.1" in f.message
    assert r.peak < 0.06  # what the run really uses


def test_warmup_eating_most_of_the_run_is_a_warning():
    r = check(lrkit.warmup(lrkit.Cosine(0.1, 300), 700, start=0.001), 1000)
    assert r.codes == ("warmup-too-long",) and r.exit_code == 1


def test_peak_after_the_end_of_the_run():
    # one-cycle built for 1000 steps peaks at step 299; a 200-step run never gets there
    r = check(lrkit.OneCycle(0.1, 1000), 200)
    assert "peak-not-reached" in r.codes and r.exit_code == 2
    assert "length-mismatch" in r.codes


def test_rate_rising_again_after_the_end():
    # TF polynomial decay with cycle=True run 20x past decay_steps (the reference article's figure)
    r = check(lrkit.Polynomial(0.5, 10, end=0.0001, cycle=True), 200)
    (f,) = [f for f in r.findings if f.code == "rises-after-end"]
    assert f.severity == "warning" and f.step == 11 and "inside the run" in f.message
    assert check(lrkit.Polynomial(0.5, 10, end=0.0001, cycle=False), 10).findings == ()


def test_rise_only_after_the_run_is_information():
    r = check(lrkit.Polynomial(0.5, 100, end=0.0001, cycle=True), 100)
    assert [(f.severity, f.code) for f in r.findings] == [("info", "rises-after-end")]
    assert r.exit_code == 0


def test_warmup_from_zero_is_no_finding_but_a_zero_start_that_stays_is():
    # lrkit's default warmup (from 0) rises at step 1: one update at rate 0 is by design
    r = check(lrkit.warmup(lrkit.Cosine(0.1, 900), 100), 1000)
    assert r.codes == () and r.exit_code == 0 and r.first == 0.0
    r = check(lrkit.Piecewise([0.0, 0.1], [3]), 1000)   # steps 0-3 at rate 0
    assert "zero-at-start" in r.codes and r.exit_code == 1


def test_dialect_warmup_longer_than_the_run_is_named():
    # Hugging Face: num_warmup_steps > the run; reported as the warmup, not as a late peak
    r = check(lrkit.from_config({"type": "hf.cosine", "num_warmup_steps": 5000,
                                 "num_training_steps": 1500, "lr": 0.1}), 1500)
    assert r.errors[0].code == "warmup-too-long" and "num_warmup_steps=5000" in r.errors[0].message
    assert "peak-not-reached" not in r.codes


def test_open_ended_decay_to_nothing_inside_the_run():
    r = check(lrkit.Exponential(0.1, 0.5, 100), 10_000)
    f = [f for f in r.findings if f.code == "decays-to-nothing"]
    assert f and f[0].severity == "warning" and 990 <= f[0].step <= 1000 and r.exit_code == 1
    assert "decays-to-nothing" not in check(lrkit.Exponential(0.1, 0.96, 100), 10_000).codes
    assert "decays-to-nothing" not in check(lrkit.Exponential(0.1, 0.5, 100), 1_050).codes   # <10% left


def test_jump_where_phases_meet():
    s = lrkit.sequence([lrkit.Linear(0.01, 0.05, 100), lrkit.Cosine(0.1, 900)], [100])
    r = check(s, 1000)
    (f,) = r.findings
    assert (f.severity, f.code, f.step) == ("warning", "jump", 100)
    assert "jumps up" in f.message and "0.1" in f.message
    # a deliberate drop between two flat phases is only information
    flat = lrkit.sequence([lrkit.Constant(0.1), lrkit.Constant(0.01)], [500])
    assert [(x.severity, x.code) for x in check(flat, 1000).findings] == [("info", "jump"),
                                                                           ("info", "length-mismatch")]
    # a warmup hands over without a jump
    assert "jump" not in check(lrkit.warmup(lrkit.Cosine(0.1, 900), 100, start=0.01), 1000).codes


def test_jump_inside_a_nested_and_scaled_sequence_is_located():
    inner = lrkit.sequence([lrkit.Constant(0.02), lrkit.Cosine(0.1, 400)], [100])
    s = lrkit.warmup(inner, 500, start=0.001) * 2.0
    r = check(s, 1000)
    jumps = [f for f in r.findings if f.code == "jump"]
    assert [f.step for f in jumps] == [600.0] and jumps[0].severity == "warning"


@pytest.mark.parametrize("total, fragment", [
    (2000, "the last 1000 steps (50%) stay at 0"),
    (500, "the run stops at step 500, before the schedule ends at step 1000"),
])
def test_length_mismatch(total, fragment):
    r = check(lrkit.Cosine(0.1, 1000), total)
    assert "length-mismatch" in r.codes
    assert any(fragment in f.message for f in r.findings)
    assert r.exit_code == 1


def test_zero_region():
    s = lrkit.Linear(0.1, 0.0, 500) * lrkit.Constant(1.0)
    r = check(s, 1000)
    (z,) = [f for f in r.findings if f.code == "zero-region"]
    assert z.step == 500 and "steps 500-999 (500 steps, 50% of the run)" in z.message
    # a cosine touching 0 only at its last step is fine
    assert check(lrkit.Cosine(0.1, 999), 1000).findings == ()


@pytest.mark.parametrize("optimizer, peak, severity", [
    ("adamw", 0.1, "warning"), ("adam", 3.0, "error"), ("sgd", 0.1, None), ("sgd", 5.0, "warning"),
    ("SGD", 50.0, "error"), ("lion", 3e-4, None),
])
def test_peak_bound_per_optimizer(optimizer, peak, severity):
    r = check(lrkit.Cosine(peak, 100), 100, optimizer=optimizer)
    got = [f.severity for f in r.findings if f.code == "peak-too-high"]
    assert got == ([severity] if severity else [])


def test_peak_bound_without_optimizer():
    assert check(lrkit.Cosine(50.0, 100), 100).codes == ("peak-too-high",)
    assert check(lrkit.Cosine(5.0, 100), 100).findings == ()
    assert set(PEAK_BOUNDS) >= {"sgd", "adam", "adamw"}


def test_total_from_a_budget_and_units():
    budget = lrkit.Budget(steps_per_epoch=100, epochs=10)
    s = lrkit.Cosine(0.1, 1000)
    assert check(s, budget=budget).total == 1000
    assert check(s, "5 epochs", budget=budget).total == 500
    assert check(s).total == 1000  # the schedule's own length


def test_sequences_past_two_million_steps_are_sampled():
    s = lrkit.sequence([lrkit.Constant(0.1), lrkit.Constant(0.3)], [2_500_000])
    r = check(s, 3_000_000)
    assert [f.step for f in r.findings if f.code == "jump"] == [2_500_000]


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(total=1), ValueError, "total must be a whole number of steps >= 2, got 1"),
    (dict(total=True), TypeError, "total must be a number of steps"),
    (dict(total="5 epochs"), ValueError, "total='5 epochs' has a unit: pass a budget"),
    (dict(optimizer="adamm"), ValueError, "did you mean 'adam'"),
    (dict(budget=3), TypeError, "budget must be an lrkit.Budget"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check(lrkit.Cosine(0.1, 100), **kwargs)
    with pytest.raises(TypeError, match="schedule must be an lrkit Schedule"):
        check("cosine")


hyp = pytest.importorskip("hypothesis")
st = hyp.strategies


@hyp.settings(max_examples=40, deadline=None)
@hyp.given(peak=st.floats(1e-5, 5.0), warm=st.integers(0, 3000), decay=st.integers(1, 3000),
           total=st.integers(2, 4000), start_frac=st.sampled_from([0.0, 0.01, 0.1]))
def test_warmup_cosine_findings_are_consistent(peak, warm, decay, total, start_frac):
    import numpy as np

    s = lrkit.warmup(lrkit.Cosine(peak, decay), warm, start=peak * start_frac)
    r = check(s, total)
    curve = s.curve(total)
    assert r.peak == pytest.approx(float(curve.max()), rel=1e-12)
    assert r.first == curve[0] and r.last == curve[-1]
    # findings are sorted worst first and the exit code follows the worst
    order = {"error": 0, "warning": 1, "info": 2}
    assert [order[f.severity] for f in r.findings] == sorted(order[f.severity] for f in r.findings)
    assert r.exit_code == (2 if r.errors else 1 if r.warnings else 0)
    # each finding is there exactly when its condition holds
    assert ("warmup-too-long" in [f.code for f in r.errors]) == (warm > 0 and warm >= total)
    assert ("zero-at-start" in r.codes) == (curve[0] == 0.0 and (total < 2 or curve[1] == 0.0))
    length_off = abs(warm + decay - total) > max(1.0, 1e-3 * total)
    assert ("length-mismatch" in r.codes) == length_off
    assert "jump" not in r.codes and "negative" not in r.codes
    assert np.isfinite(curve).all()


def test_summary_shows_inf_as_inf_not_zero():
    # issue 11: `lrkit check` printed inf/NaN values as 0 in its summary (and as a zero region)
    grow = lrkit.Exponential(0.1, 1e10, 1)  # passes the float range at step 31
    r = check(grow, total=1000)
    assert r.last == float("inf") and r.peak == float("inf") and r.peak_step == 31
    text = r.format()
    assert "peak inf at step 31" in text and "inf at the last step" in text
    assert "not-finite" in r.codes and "zero-region" not in r.codes
