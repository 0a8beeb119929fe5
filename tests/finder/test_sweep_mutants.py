"""The range-test loop's details (lrkit.finder.sweep): what counts as a loss, the error messages,
the stopping rules at their exact boundaries and at the second step, and run_sweep's own progress
bar. Tiny scripted step functions; expected values by hand.
"""

from __future__ import annotations

import itertools
import math
import re
import time

import numpy as np
import pytest

from lrkit.finder import find_lr
from lrkit.finder.sweep import loss_value, run_sweep


# ----------------------------------------------------------------------------- loss_value
class TensorLike:
    """torch's protocol: ``item()``, ``numel()``, and ``size`` a method (not a count)."""

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def item(self) -> float:
        if len(self.values) != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.values[0]

    def numel(self) -> int:
        return len(self.values)

    def size(self) -> tuple[int]:
        return (len(self.values),)


def test_a_one_element_tensor_counts_its_elements_with_numel():
    assert loss_value(TensorLike([2.5])) == 2.5
    with pytest.raises(TypeError, match=r"one-element tensor/array\), got TensorLike: "):
        loss_value(TensorLike([2.5, 1.0]))


class SizedLike:
    """NumPy's protocol without numel: ``item()`` and ``size`` a count, here a NumPy integer."""

    def __init__(self, values: list[float]) -> None:
        self.values, self.size = values, np.int64(len(values))

    def item(self) -> float:
        return self.values[0]


def test_a_one_element_array_counts_its_elements_with_size_of_any_integer_type():
    # a size that is a NumPy integer still counts (it was refused: only a Python int did)
    assert loss_value(SizedLike([2.5])) == 2.5
    with pytest.raises(TypeError, match=r"one-element tensor/array\), got SizedLike"):
        loss_value(SizedLike([2.5, 1.0]))


def test_numpy_scalars_that_are_numbers_are_losses_and_booleans_are_not():
    v = loss_value(np.longdouble(2.5))          # its item() is a longdouble, not a Python float
    assert v == 2.5 and type(v) is float
    assert loss_value(np.float32(1.5)) == 1.5 and loss_value(np.int64(3)) == 3.0
    for bad in (np.True_, np.array([True]), np.array(False)):
        with pytest.raises(TypeError, match="step_fn must return the loss as a number"):
            loss_value(bad)


@pytest.mark.parametrize("bad, tail", [
    (None, r"got None \(NoneType\)"),
    ("abc", r"got 'abc' \(str\)"),
    (b"x", r"got b'x' \(bytes\)"),
    (True, r"got True \(bool\)"),
])
def test_a_non_number_is_refused_by_value_and_type(bad, tail):
    with pytest.raises(TypeError, match=rf"^find_lr: step_fn must return the loss as a number, {tail}$"):
        loss_value(bad)


def test_a_many_element_array_is_refused_naming_its_type():
    with pytest.raises(TypeError, match=r"^find_lr: step_fn must return the loss as a number \(or a "
                                        r"one-element tensor/array\), got ndarray: array\(\[1\., 2\.\]\)$"):
        loss_value(np.array([1.0, 2.0]))


# ----------------------------------------------------------------------------- run_sweep
def script(values: list[float]):
    it = itertools.chain(values, itertools.repeat(1.0))
    return lambda lr: next(it)


PLANNED = np.geomspace(1e-3, 1e-1, 5)


def test_a_non_finite_first_loss_says_no_rate_was_tested():
    with pytest.raises(ValueError, match=r"^find_lr: the loss of the first step \(lr=0\.001\) is nan; the "
                                         r"model or the step function is broken before any rate was tested$"):
        run_sweep(script([math.nan]), PLANNED, beta=0.9, diverge=4.0, spike=10.0)


def test_a_negative_loss_is_refused_with_the_remedy():
    with pytest.raises(ValueError, match=r"^find_lr: the loss must be >= 0 \(the stopping rules and the "
                                         r"suggestions compare losses as ratios\), got -0\.5 at step 2; "
                                         r"add a constant to a loss that can be negative$"):
        run_sweep(script([1.0, 0.5, -0.5]), PLANNED, beta=0.9, diverge=4.0, spike=10.0)


def test_a_loss_of_exactly_zero_is_a_loss():
    s = run_sweep(script([0.0] * 5), PLANNED, beta=0.9, diverge=4.0, spike=10.0)
    assert s.stop_reason == "completed" and s.losses.tolist() == [0.0] * 5 and s.usable == 5


def test_a_non_finite_loss_later_is_recorded_with_a_nan_smoothed_value():
    s = run_sweep(script([1.0, 0.5, math.inf]), PLANNED, beta=0.0, diverge=4.0, spike=10.0)
    assert s.stop_reason == "non-finite" and s.usable == 2
    assert s.smoothed[:2].tolist() == [1.0, 0.5] and math.isnan(s.smoothed[2])
    assert s.losses.dtype == np.float64 and s.smoothed.dtype == np.float64


def test_a_spike_at_the_second_step_stops_the_test():
    # 20 > 10 x the first loss (smoothed 1): a spike, before the EMA (10.6 > 4 x 1) calls it diverged
    r = find_lr(script([1.0, 20.0]), start=1e-3, end=1e-1, num_steps=10)
    assert r.stop_reason == "spike" and len(r.lrs) == 2 and r.usable == 1


def test_divergence_at_the_second_step_stops_the_test():
    # smoothing 0.5: smoothed (1, (0.25 + 3) / 0.75 = 4.33) > 4 x 1 at step 1; 6 is no spike (< 10)
    r = find_lr(script([1.0, 6.0]), start=1e-3, end=1e-1, num_steps=10, smoothing=0.5)
    assert r.stop_reason == "diverged" and len(r.lrs) == 2 and r.usable == 1


def test_the_stopping_rules_are_strict_inequalities():
    # smoothing 0: the smoothed loss is the raw loss; exactly spike x best or diverge x best is no stop
    r = find_lr(script([1.0, 10.0]), start=1e-3, end=1e-1, num_steps=5, widen=0, smoothing=0.0, diverge=100.0)
    assert r.stop_reason == "completed" and r.losses.tolist() == [1.0, 10.0, 1.0, 1.0, 1.0]
    r = find_lr(script([1.0, 4.0]), start=1e-3, end=1e-1, num_steps=5, widen=0, smoothing=0.0, diverge=4.0)
    assert r.stop_reason == "completed" and r.smoothed.tolist() == [1.0, 4.0, 1.0, 1.0, 1.0]
    # and just past them, a stop
    r = find_lr(script([1.0, 10.5]), start=1e-3, end=1e-1, num_steps=5, widen=0, smoothing=0.0, diverge=100.0)
    assert r.stop_reason == "spike" and len(r.lrs) == 2
    r = find_lr(script([1.0, 4.5]), start=1e-3, end=1e-1, num_steps=5, widen=0, smoothing=0.0, diverge=4.0)
    assert r.stop_reason == "diverged" and len(r.lrs) == 2


# ----------------------------------------------------------------------------- run_sweep's own bar
def test_run_sweep_draws_no_bar_by_default(capsys):
    pytest.importorskip("tqdm")
    run_sweep(script([1.0] * 3), PLANNED[:3], beta=0.5, diverge=4.0, spike=10.0)
    assert capsys.readouterr().err == ""


def test_run_sweep_progress_counts_each_step_of_the_planned_total(capsys):
    pytest.importorskip("tqdm")

    def slow(lr):  # slower than tqdm's refresh interval (0.1 s): every step is drawn
        time.sleep(0.12)
        return 1.0

    s = run_sweep(slow, PLANNED[:3], beta=0.5, diverge=4.0, spike=10.0, progress=True)
    assert s.stop_reason == "completed"
    err = capsys.readouterr().err
    assert "lr range test:" in err
    counts = [int(c) for c in re.findall(r"\| (\d+)/3 \[", err)]
    assert counts and counts == sorted(counts) and counts[-1] == 3 and max(counts) == 3
    assert 1 in counts or 2 in counts


def test_run_sweep_bar_is_named_and_erased_when_done(capsys):
    pytest.importorskip("tqdm")
    run_sweep(script([1.0] * 3), PLANNED[:3], beta=0.5, diverge=4.0, spike=10.0, progress=True)
    err = capsys.readouterr().err
    assert err.startswith("\rlr range test:   0%|") and "| 0/3 [" in err
    assert err.endswith("\r") and "\n" not in err       # leave=False: no line left behind
