"""lrkit.compat.optax: messages naming the constructor, the argument and the value; edges the golden
file (tests/golden/optax_golden.json) does not reach. Expected values by hand from optax's
definitions, or printed by optax 0.2.8 under ``jax_enable_x64`` where noted. Does not import JAX."""

from __future__ import annotations

import re

import pytest

from lrkit.compat import optax as ox


def _raises(exc, message, call, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call(*args, **kwargs)


C = ox.constant_schedule


@pytest.mark.parametrize("call, args, kwargs, exc, message", [
    (ox.constant_schedule, (-1,), {}, ValueError, "optax.constant_schedule: value must be >= 0, got -1"),
    (ox.piecewise_constant_schedule, (-1.0,), {}, ValueError,
     "optax.piecewise_constant_schedule: init_value must be >= 0, got -1.0"),
    (ox.piecewise_constant_schedule, (0.1, {10: -0.5}), {}, ValueError,
     "optax.piecewise_constant_schedule: boundaries_and_scales expects non-negative scale factors, got -0.5 "
     "at step 10"),
    (ox.exponential_decay, (-1, 10, 0.5), {}, ValueError,
     "optax.exponential_decay: init_value must be >= 0, got -1"),
    (ox.exponential_decay, (0.1, [10], 0.5), {}, TypeError,
     "optax.exponential_decay: transition_steps must be a number, got [10] (list)"),
    (ox.exponential_decay, (0.1, 10, 0.5), {"staircase": 1}, TypeError,
     "optax.exponential_decay: staircase must be True or False, got 1"),
    (ox.exponential_decay, (0.1, 10, 0.5), {"end_value": -0.01}, ValueError,
     "optax.exponential_decay: end_value must be >= 0, got -0.01"),
    (ox.cosine_decay_schedule, (-0.1, 10), {}, ValueError,
     "optax.cosine_decay_schedule: init_value must be >= 0, got -0.1"),
    (ox.cosine_decay_schedule, (0.1, 10), {"alpha": 1.5}, ValueError,
     "optax.cosine_decay_schedule: alpha must be in [0, 1], got 1.5"),
    (ox.cosine_decay_schedule, (0.1, 10), {"exponent": 0.0}, ValueError,
     "optax.cosine_decay_schedule: exponent must be > 0, got 0.0"),
    (ox.warmup_cosine_decay_schedule, (-0.1, 0.1, 1, 10), {}, ValueError,
     "optax.warmup_cosine_decay_schedule: init_value must be >= 0, got -0.1"),
    (ox.warmup_cosine_decay_schedule, (0.0, -0.1, 1, 10), {}, ValueError,
     "optax.warmup_cosine_decay_schedule: peak_value must be >= 0, got -0.1"),
    (ox.warmup_cosine_decay_schedule, (0.0, 0.1, 1, 10), {"end_value": -0.5}, ValueError,
     "optax.warmup_cosine_decay_schedule: end_value must be >= 0, got -0.5"),
    (ox.warmup_cosine_decay_schedule, (0.0, 0.1, None, 10), {}, TypeError,
     "optax.warmup_cosine_decay_schedule: warmup_steps must be a number, got None (NoneType)"),
    (ox.warmup_cosine_decay_schedule, (0.0, 0.1, 1, [10]), {}, TypeError,
     "optax.warmup_cosine_decay_schedule: decay_steps must be a number, got [10] (list)"),
    (ox.warmup_cosine_decay_schedule, (0.0, 0.1, 1, 10), {"exponent": -1.0}, ValueError,
     "optax.warmup_cosine_decay_schedule: exponent must be > 0, got -1.0"),
    (ox.warmup_exponential_decay_schedule, (-0.1, 0.1, 1, 10, 0.5), {}, ValueError,
     "optax.warmup_exponential_decay_schedule: init_value must be >= 0, got -0.1"),
    (ox.warmup_exponential_decay_schedule, (0.0, -0.1, 1, 10, 0.5), {}, ValueError,
     "optax.warmup_exponential_decay_schedule: peak_value must be >= 0, got -0.1"),
    (ox.warmup_exponential_decay_schedule, (0.0, 0.1, (1,), 10, 0.5), {}, TypeError,
     "optax.warmup_exponential_decay_schedule: warmup_steps must be a number, got (1,) (tuple)"),
    (ox.linear_onecycle_schedule, ([10], 0.1), {}, TypeError,
     "optax.linear_onecycle_schedule: transition_steps must be a number, got [10] (list)"),
    (ox.linear_onecycle_schedule, (10, -0.1), {}, ValueError,
     "optax.linear_onecycle_schedule: peak_value must be >= 0, got -0.1"),
    (ox.linear_onecycle_schedule, (10, 0.1), {"div_factor": 0.0}, ValueError,
     "optax.linear_onecycle_schedule: div_factor must be > 0, got 0.0"),
    (ox.linear_onecycle_schedule, (10, 0.1), {"final_div_factor": -1.0}, ValueError,
     "optax.linear_onecycle_schedule: final_div_factor must be > 0, got -1.0"),
    (ox.linear_onecycle_schedule, (10, 0.1), {"pct_start": -0.3}, ValueError,
     "optax.linear_onecycle_schedule: pct_start must be >= 0, got -0.3"),
    (ox.linear_onecycle_schedule, (10, 0.1), {"pct_final": -0.85}, ValueError,
     "optax.linear_onecycle_schedule: pct_final must be >= 0, got -0.85"),
    (ox.cosine_onecycle_schedule, (0, 0.1), {}, ValueError,
     "optax.cosine_onecycle_schedule: transition_steps must be > 0, got 0"),
])
def test_messages_name_the_constructor_the_argument_and_the_value(call, args, kwargs, exc, message):
    _raises(exc, message, call, *args, **kwargs)


def test_join_schedules_messages():
    o = "optax.join_schedules: "
    _raises(TypeError, o + "schedules must be a non-empty list of lrkit schedules, got []",
            ox.join_schedules, [], [])
    _raises(TypeError, o + "schedules must be a non-empty list of lrkit schedules, got 'abc'",
            ox.join_schedules, "abc", [1, 2])
    one = C(1.0)
    _raises(TypeError, o + f"schedules must be a non-empty list of lrkit schedules, got {one!r}",
            ox.join_schedules, one, [])
    _raises(TypeError, o + "boundaries[0] must be a number, got None (NoneType)",
            ox.join_schedules, [C(1.0), C(2.0)], [None])
    _raises(TypeError, o + "boundaries must be a list of numbers, got 5",
            ox.join_schedules, [C(1.0), C(2.0)], 5)
    _raises(ValueError, o + "boundaries must have one element fewer than schedules, got 2 boundaries and 2 "
            "schedules", ox.join_schedules, [C(1.0), C(2.0)], [1, 2])
    _raises(ValueError, o + "boundaries[1] must be >= 0, got -1.0",
            ox.join_schedules, [C(1.0), C(2.0), C(3.0)], [2, -1])
    _raises(ValueError, o + "boundaries must be strictly increasing, got [9.0, 5.0]",
            ox.join_schedules, [C(1.0), C(2.0), C(3.0)], [9, 5])


def test_sgdr_schedule_messages():
    o = "optax.sgdr_schedule: "
    a_list = "cosine_kwargs must be a list of dicts of warmup_cosine_decay_schedule arguments, got "
    cycle = {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 1, "decay_steps": 10}
    _raises(TypeError, o + a_list + repr(cycle), ox.sgdr_schedule, cycle)
    _raises(TypeError, o + a_list + "5", ox.sgdr_schedule, 5)
    no_steps = {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 1}
    _raises(TypeError, o + f"cosine_kwargs[1] must be a dict with 'decay_steps', got {no_steps!r}",
            ox.sgdr_schedule, [cycle, no_steps])
    _raises(TypeError, o + "cosine_kwargs[0] must be a dict with 'decay_steps', got ['decay_steps']",
            ox.sgdr_schedule, [["decay_steps"]])
    _raises(ValueError, o + "cosine_kwargs must hold at least one cycle, got none", ox.sgdr_schedule, [])


def test_exponential_decay_with_one_step_transitions():
    # optax: constant only for transition_steps <= 0; 1.0 * 0.5 ** t (printed by optax, x64)
    s = ox.exponential_decay(1.0, 1, 0.5)
    assert [s(t) for t in range(5)] == [1.0, 0.5, 0.25, 0.125, 0.0625]
    # a fraction of a step is a transition too: p = t / 0.5
    assert ox.exponential_decay(1.0, 0.5, 0.5)(1) == pytest.approx(0.25, rel=1e-15)


def test_warmup_cosine_with_a_one_step_decay():
    # decay_steps = warmup_steps + 1 is allowed (optax: [0.0, 0.5, 1.0, 0.0, 0.0] at steps 0..4)
    s = ox.warmup_cosine_decay_schedule(0.0, 1.0, 2, 3)
    assert [s(t) for t in range(5)] == pytest.approx([0.0, 0.5, 1.0, 0.0, 0.0], rel=1e-15, abs=1e-16)


def test_warmup_cosine_with_a_zero_peak_is_optax_cosine_with_alpha_zero():
    # optax: alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    s = ox.warmup_cosine_decay_schedule(0.0, 0.0, 0, 10)
    assert s.to_config() == {"type": "cosine", "start": 0.0, "steps": 10.0, "end": 0.0, "alpha": 0.0,
                             "exponent": 1.0, "k": 1.0}
    assert s(5) == 0.0


def test_onecycles_over_a_single_step():
    # optax 0.2.8, x64, steps 0..4: the boundaries int(0.3) = int(0.85) = 0 and 1
    lin = ox.linear_onecycle_schedule(1, 1.0)
    assert [lin(t) for t in range(5)] == pytest.approx([0.0016, 1.6e-07, 1.6e-07, 1.6e-07, 1.6e-07],
                                                       rel=1e-12)
    cos = ox.cosine_onecycle_schedule(1, 1.0)
    assert [cos(t) for t in range(5)] == pytest.approx([1.0, 4e-06, 4e-06, 4e-06, 4e-06], rel=1e-12)


def test_join_schedules_with_a_boundary_at_zero_keeps_the_later_boundaries():
    # optax: schedules[0] is replaced from step 0 by schedules[1], which runs until 5, then
    # schedules[2] counted from 5 (printed by optax: 2, 2, 3, 2.6, 2 at steps 0, 4, 5, 7, 10)
    s = ox.join_schedules([C(1.0), C(2.0), ox.linear_schedule(3.0, 1.0, 10)], [0, 5])
    assert [s(t) for t in (0, 4, 5, 7, 10)] == pytest.approx([2.0, 2.0, 3.0, 2.6, 2.0], rel=1e-15)
    # relative counting: each phase from its own start
    r = ox.join_schedules([C(1.0), ox.linear_schedule(1.0, 0.0, 10)], [5])
    assert r(7) == pytest.approx(0.8, rel=1e-15)


@pytest.mark.parametrize("call, args, kwargs, exc, message", [
    (ox.linear_schedule, (-1.0, 0.0, 10), {}, ValueError,
     "optax.linear_schedule: init_value must be >= 0, got -1.0"),
    (ox.linear_schedule, (1.0, -1, 10), {}, ValueError,
     "optax.linear_schedule: end_value must be >= 0, got -1"),
    (ox.linear_schedule, (1.0, 0.0, 10), {"transition_begin": [1]}, TypeError,
     "optax.linear_schedule: transition_begin must be a number, got [1] (list)"),
    (ox.polynomial_schedule, (1.0, 0.0, -1, 10), {}, ValueError,
     "optax.polynomial_schedule: power must be >= 0, got -1"),
    (ox.polynomial_schedule, (1.0, 0.0, 2, None), {}, TypeError,
     "optax.polynomial_schedule: transition_steps must be a number, got None (NoneType)"),
    (ox.polynomial_schedule, (1.0, 0.0, 2, 10, float("nan")), {}, ValueError,
     "optax.polynomial_schedule: transition_begin must be a finite number, got nan"),
    (ox.warmup_constant_schedule, (0.0, -0.5, 10), {}, ValueError,
     "optax.warmup_constant_schedule: peak_value must be >= 0, got -0.5"),
    (ox.warmup_constant_schedule, (0.0, 0.5, [10]), {}, TypeError,
     "optax.warmup_constant_schedule: warmup_steps must be a number, got [10] (list)"),
    (ox.piecewise_constant_schedule, (1.0, [(10, 0.5)]), {}, TypeError,
     "optax.piecewise_constant_schedule: boundaries_and_scales must be a mapping {step: scale}, "
     "got [(10, 0.5)]"),
    (ox.piecewise_constant_schedule, (1.0, {None: 0.5}), {}, TypeError,
     "optax.piecewise_constant_schedule: boundaries_and_scales key must be a number, got None (NoneType)"),
    (ox.piecewise_constant_schedule, (1.0, {True: 0.5}), {}, TypeError,
     "optax.piecewise_constant_schedule: boundaries_and_scales key must be a number, got True (bool)"),
    (ox.piecewise_constant_schedule, (1.0, {"ten": 0.5}), {}, ValueError,
     "optax.piecewise_constant_schedule: boundaries_and_scales keys must be steps, got 'ten'"),
    (ox.piecewise_constant_schedule, (1.0, {float("nan"): 0.5}), {}, ValueError,
     "optax.piecewise_constant_schedule: boundaries_and_scales keys must be steps, got nan"),
    (ox.piecewise_constant_schedule, (1.0, {10: None}), {}, TypeError,
     "optax.piecewise_constant_schedule: boundaries_and_scales[10] must be a number, got None (NoneType)"),
    (ox.piecewise_constant_schedule, (1.0, {10: 0.5, "10": 0.1}), {}, ValueError,
     "optax.piecewise_constant_schedule: boundaries_and_scales has step 10 twice"),
    (ox.piecewise_constant_schedule, (1.0, {5: 0.5, 10: 0.5, "10": 0.1}), {}, ValueError,
     "optax.piecewise_constant_schedule: boundaries_and_scales has step 10 twice"),
    (ox.piecewise_interpolate_schedule, ("cubic", 1.0), {}, ValueError,
     "optax.piecewise_interpolate_schedule: interpolate_type must be one of 'linear', 'cosine', got 'cubic'"),
    (ox.piecewise_interpolate_schedule, ("linear", -1.0), {}, ValueError,
     "optax.piecewise_interpolate_schedule: init_value must be >= 0, got -1.0"),
    (ox.piecewise_interpolate_schedule, ("cosine", 1.0, {4: -0.5}), {}, ValueError,
     "optax.piecewise_interpolate_schedule: boundaries_and_scales expects non-negative scale factors, "
     "got -0.5 at step 4"),
])
def test_more_messages(call, args, kwargs, exc, message):
    _raises(exc, message, call, *args, **kwargs)


def test_one_step_transitions_and_short_delays():
    # printed by optax 0.2.8 (x64): a one-step linear decay is no constant; a delay of 1 or of
    # half a step holds the start value that long
    s = ox.linear_schedule(1.0, 0.0, 1)
    assert [s(t) for t in (0, 1, 2)] == [1.0, 0.0, 0.0]
    d = ox.linear_schedule(1.0, 0.0, 10, transition_begin=1)
    assert [d(t) for t in (0, 1, 2, 11)] == pytest.approx([1.0, 1.0, 0.9, 0.0], rel=1e-15)
    p = ox.polynomial_schedule(1.0, 0.0, 2.0, 10, transition_begin=0.5)
    assert [p(t) for t in (0, 0.5, 1.5)] == pytest.approx([1.0, 1.0, 0.81], rel=1e-15)


def test_one_step_warmups():
    # optax 0.2.8 (x64): [0, 1, 0.5, 0] and [0, 1, 0.5, 0.25] at steps 0..3
    c = ox.warmup_cosine_decay_schedule(0.0, 1.0, 1, 3)
    assert [c(t) for t in range(4)] == pytest.approx([0.0, 1.0, 0.5, 0.0], rel=1e-15, abs=1e-16)
    e = ox.warmup_exponential_decay_schedule(0.0, 1.0, 1, 1, 0.5)
    assert [e(t) for t in range(4)] == pytest.approx([0.0, 1.0, 0.5, 0.25], rel=1e-15)


def test_piecewise_interpolation_intervals_are_at_least_one_step():
    # optax: interval_sizes = maximum(bounds[1:] - bounds[:-1], 1); values printed by optax (x64)
    lin = ox.piecewise_interpolate_schedule("linear", 1.0, {1: 0.5})
    assert [lin(t) for t in (0, 0.5, 1, 2)] == pytest.approx([1.0, 0.75, 0.5, 0.5], rel=1e-15)
    half = ox.piecewise_interpolate_schedule("linear", 1.0, {0.5: 0.5})
    assert [half(t) for t in (0, 0.25, 0.75, 2)] == pytest.approx([1.0, 0.875, 0.5, 0.5], rel=1e-15)
    cos = ox.piecewise_interpolate_schedule("cosine", 1.0, {0.5: 0.5})
    assert [cos(t) for t in (0, 0.25, 0.75, 2)] == pytest.approx([1.0, 0.9267766952966369, 0.5, 0.5],
                                                                 rel=1e-14)
    flat = ox.piecewise_interpolate_schedule("linear", 0.3, {})
    assert flat.to_config() == {"type": "constant", "value": 0.3}
