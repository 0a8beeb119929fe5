"""The composites of ``lrkit.compose`` on hand-worked values, boundaries and messages.

Written to kill the mutants of ``src/lrkit/compose.py`` the schedule tests left alive
(``python benchmarks/mutation.py compose``): restarts worked out cycle by cycle, the phase
boundaries a plot marks, Product's flattening, the defaults of the helper functions, fields
stored as plain floats (a config built from NumPy numbers stays JSON-safe), and every error
naming its class and argument.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from lrkit import Constant, Linear, MultiStep
from lrkit.compose import Clip, Product, Restarts, Scale, Sequence, Warmup, sequence, warmup

ONE = Constant(1.0)


# -- restarts by hand ----------------------------------------------------------------------------
def test_restarts_cycle_by_cycle() -> None:
    ramp = Linear(1.0, 0.0, 10)  # written for one base period P = 10
    r = Restarts(ramp, 10)
    assert [r(t) for t in (0, 5, 9, 10, 15, 20, 25)] == pytest.approx([1, .5, .1, 1, .5, 1, .5], rel=1e-12)
    # m = 2: cycles [0, 10), [10, 30), [30, 70); the ramp stretched to each cycle's length
    r = Restarts(ramp, 10, period_mult=2.0)
    assert [r(t) for t in (5, 10, 20, 29, 30, 50)] == pytest.approx([.5, 1, .5, .05, 1, .5], rel=1e-12)
    # a fractional m >= 1 is allowed: cycles [0, 10), [10, 25)
    r = Restarts(ramp, 10, period_mult=1.5)
    assert r(10) == 1.0 and r(17.5) == pytest.approx(0.5, rel=1e-12) and r(25) == 1.0
    # peak_decay 0.5: each cycle's copy halved
    r = Restarts(ramp, 10, peak_decay=0.5)
    assert [r(t) for t in (0, 5, 10, 15, 20)] == pytest.approx([1, .5, .5, .25, .25], rel=1e-12)
    np.testing.assert_allclose(r(np.array([0.0, 5.0, 10.0, 15.0, 20.0])), [1, .5, .5, .25, .25], rtol=1e-12)


# -- phase boundaries ----------------------------------------------------------------------------
def test_warmup_phase_boundaries_by_hand() -> None:
    s = Sequence([ONE, Constant(0.5)], [30])
    assert warmup(s, 10).phase_boundaries() == (10.0, 40.0)  # the schedule starts after the warmup
    assert warmup(s, 10, prefix=False).phase_boundaries() == (10.0, 30.0)  # overlaid
    assert warmup(s, 0).phase_boundaries() == (30.0,)  # no warmup, no boundary of its own
    assert warmup(ONE, 10).phase_boundaries() == (10.0,)
    assert warmup(ONE, 1).phase_boundaries() == (1.0,)  # a one-step warmup is a phase too


def test_sequence_phase_boundaries_inside_each_phase() -> None:
    # the first phase's milestone at 0.5 lies inside [0, 8): kept; its milestone at 0 is the
    # sequence's own start, not a change inside it
    assert Sequence([MultiStep(1.0, [0.5], 0.5), ONE], [8]).phase_boundaries() == (0.5, 8.0)
    assert Sequence([MultiStep(1.0, [0.0, 5.0], 0.5), ONE], [8]).phase_boundaries() == (5.0, 8.0)
    # relative phases count from their start: milestone 5 of the second phase is step 13
    seq = Sequence([ONE, MultiStep(1.0, [5.0, 20.0], 0.5), ONE], [8, 20])
    assert seq.phase_boundaries() == (8.0, 13.0, 20.0)
    # absolute phases: milestones outside their span are dropped
    seq = Sequence([ONE, MultiStep(1.0, [0.5, 9.0, 20.0], 0.5), ONE], [8, 10], relative=False)
    assert seq.phase_boundaries() == (8.0, 9.0, 10.0)


def test_product_boundaries_and_flattening() -> None:
    a, b, c = Linear(1.0, 0.0, 10), MultiStep(1.0, [5.0], 0.5), Sequence([ONE, Constant(0.5)], [30])
    p = Product([Product([a, b]), c])
    assert p.schedules == (a, b, c)  # a product of products is one flat product
    assert p.phase_boundaries() == (5.0, 30.0)
    assert p(6) == pytest.approx(0.4 * 0.5 * 1.0, rel=1e-12)
    assert Product((a,)).phase_boundaries() == ()


# -- helpers' defaults and stored fields ---------------------------------------------------------
def test_helper_defaults() -> None:
    w = warmup(Linear(1.0, 0.0, 100), 10)
    assert (w.start, w.shape, w.prefix) == (0.0, "linear", True)
    assert w(5) == 0.5 and w(10) == 1.0 and w(60) == pytest.approx(0.5, rel=1e-12)
    absolute = sequence([ONE, Linear(1.0, 0.0, 100)], [50], relative=False)
    assert absolute.relative is False and absolute(60) == pytest.approx(0.4, rel=1e-12)
    assert sequence([ONE, Linear(1.0, 0.0, 100)], [50])(60) == pytest.approx(0.9, rel=1e-12)


def test_fields_from_numpy_numbers_are_plain_floats() -> None:
    made = [
        Warmup(ONE, np.int64(10), start=np.float32(0.5)),
        Sequence([ONE, ONE], [np.int64(5)]),
        Restarts(ONE, np.int64(10), period_mult=np.int64(2), peak_decay=np.float32(0.5)),
        Scale(ONE, np.int64(2)),
        Clip(ONE, np.int64(0), np.int64(1)),
    ]
    fields = [("steps", "start"), ("boundaries",), ("period", "period_mult", "peak_decay"), ("factor",),
              ("minimum", "maximum")]
    for s, names in zip(made, fields):
        for name in names:
            value = getattr(s, name)
            items = value if isinstance(value, tuple) else (value,)
            assert all(type(v) is float for v in items), (s, name, value)
        json.dumps(s.to_config())  # JSON-safe


# -- bounds that are allowed ---------------------------------------------------------------------
def test_inclusive_bounds() -> None:
    assert Restarts(ONE, 10, period_mult=1.0).period_mult == 1.0
    assert Clip(Linear(1.0, 0.0, 10), 0.5, 0.5)(0) == 0.5  # maximum == minimum: a constant
    assert Clip(Linear(1.0, 0.0, 10), 0.5, 0.5)(9) == 0.5


# -- errors name the class and the argument ------------------------------------------------------
BAD = [
    (lambda: Warmup(0.1, 10), TypeError, r"^Warmup: schedule must be an lrkit Schedule, got 0.1 \(float\)$"),
    (lambda: Warmup(ONE, -1), ValueError, r"^Warmup: steps must be >= 0, got -1$"),
    (lambda: Warmup(ONE, 5, prefix=1), TypeError, r"^Warmup: prefix must be True or False, got 1$"),
    (lambda: Warmup(ONE, 5, start=-1), ValueError, r"^Warmup: start must be >= 0, got -1$"),
    (lambda: Warmup(ONE, 5, shape="x"), ValueError, r"^Warmup: shape must be one of 'linear', "),
    (lambda: Sequence(ONE, ()), TypeError,
     r"^Sequence: phases must be a non-empty list of schedules, got Constant\(value=1.0\)$"),
    (lambda: Sequence([ONE, 2], (5,)), TypeError, r"^Sequence: phases\[1\] must be an lrkit Schedule, got 2"),
    (lambda: Sequence([ONE, ONE], "a"), TypeError, r"^Sequence: boundaries must be a list of numbers"),
    (lambda: Sequence([ONE, ONE], (-1,)), ValueError, r"^Sequence: boundaries\[0\] must be > 0, got -1"),
    (lambda: Sequence([ONE] * 3, (5, 3)), ValueError, r"^Sequence: boundaries must be strictly increasing"),
    (lambda: Sequence([ONE, ONE], (5,), relative=1), TypeError, r"^Sequence: relative must be True or False"),
    (lambda: Restarts(1, 5), TypeError, r"^Restarts: schedule must be an lrkit Schedule, got 1 \(int\)$"),
    (lambda: Restarts(ONE, 0), ValueError, r"^Restarts: period must be > 0, got 0$"),
    (lambda: Restarts(ONE, 5, period_mult="a"), TypeError, r"^Restarts: period_mult must be a number"),
    (lambda: Restarts(ONE, 5, period_mult=0.5), ValueError, r"^Restarts: period_mult must be >= 1, got 0.5$"),
    (lambda: Restarts(ONE, 5, period_mult=0.999), ValueError, r"^Restarts: period_mult must be >= 1"),
    (lambda: Restarts(ONE, 5, peak_decay=0), ValueError, r"^Restarts: peak_decay must be > 0, got 0$"),
    (lambda: Scale(1, 2), TypeError, r"^Scale: schedule must be an lrkit Schedule, got 1 \(int\)$"),
    (lambda: Scale(ONE, -1), ValueError, r"^Scale: factor must be >= 0, got -1$"),
    (lambda: Product(ONE), TypeError,
     r"^Product: schedules must be a non-empty list of schedules, got Constant\(value=1.0\)$"),
    (lambda: Product([ONE, 3]), TypeError, r"^Product: schedules\[1\] must be an lrkit Schedule, got 3"),
    (lambda: Clip(1), TypeError, r"^Clip: schedule must be an lrkit Schedule, got 1 \(int\)$"),
    (lambda: Clip(ONE, -1), ValueError, r"^Clip: minimum must be >= 0, got -1$"),
    (lambda: Clip(ONE, 0, -1), ValueError, r"^Clip: maximum must be >= 0, got -1$"),
    (lambda: Clip(ONE, 0.5, 0.2), ValueError,
     r"^Clip: maximum must be >= minimum, got minimum=0.5, maximum=0.2$"),
]


@pytest.mark.parametrize("make, exc, message", BAD)
def test_errors_name_class_and_argument(make, exc, message) -> None:
    with pytest.raises(exc, match=message):
        make()


# ------------------------------------------------- found when the mutants were run without deadlocks
def test_a_zero_step_warmup_is_the_schedule_itself_on_every_kind() -> None:
    inner = Linear(1.0, 0.0, 100)
    w = Warmup(inner, 0)
    steps = [0, 1, 37, 99, 150]
    assert [w(s) for s in steps] == pytest.approx([1.0, 0.99, 0.63, 0.01, 0.0], rel=1e-12)
    np.testing.assert_allclose(w(np.array(steps, dtype=np.float64)), [1.0, 0.99, 0.63, 0.01, 0.0], rtol=1e-12)
    torch = pytest.importorskip("torch")
    got = w(torch.tensor(steps, dtype=torch.float64))
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), [1.0, 0.99, 0.63, 0.01, 0.0], rtol=1e-12)


def test_restarts_peak_decay_two_doubles_each_cycle_and_a_zero_stays_zero() -> None:
    # peak_decay 2: cycle i is scaled by 2**i (1, 2, 4 at steps 5, 15, 25)
    grow = Restarts(Constant(1.0), 10, peak_decay=2.0)
    assert [grow(5), grow(15), grow(25)] == [1.0, 2.0, 4.0]
    np.testing.assert_array_equal(grow(np.array([5.0, 15.0, 25.0])), [1.0, 2.0, 4.0])
    # a schedule at 0 stays 0 under a shrinking peak, and under a growing one whose 2**i has
    # overflowed to inf (0 * inf would be nan)
    zero_shrink = Restarts(Constant(0.0), 10, peak_decay=0.5)
    assert zero_shrink(15) == 0.0
    np.testing.assert_array_equal(zero_shrink(np.array([15.0, 25.0])), [0.0, 0.0])
    zero_grow = Restarts(Constant(0.0), 1, peak_decay=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 * inf gave nan with "invalid value encountered"
        out = zero_grow(np.array([2000.5, 3.5]))
        assert zero_grow(2000.5) == 0.0
    np.testing.assert_array_equal(out, [0.0, 0.0])
