"""lrkit.compat.tf1 against TensorFlow's tf.compat.v1.train decay functions.

Golden values come from tests/golden/generate_tf_keras_optax.py, which runs the real TensorFlow
(float64 inputs where TensorFlow allows them: rel 1e-12; its cosine family multiplies by a
float32 ``constant(pi)`` and only runs in float32: rel 1e-6, with an absolute floor of a few
float32 ulps of the peak value, since float32 cannot carry 1e-6 relative accuracy near 0).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import lrkit
from lrkit.compat import tf1

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "tf1_golden.json").read_text())
VALUE_CASES = [c for c in GOLDEN if not c["func"].endswith(":samples")]
NOISE = next(c for c in GOLDEN if c["func"] == "noisy_linear_cosine_decay:samples")


def schedule_of(case):
    kw = dict(case["kwargs"])
    func = getattr(tf1, case["func"])
    if case["func"] == "learning_rate_with_decay":
        return func(**kw)
    if case["func"] == "configure_learning_rate":
        return func(kw.pop("num_samples_per_epoch"), None, **kw)
    if case["func"] == "piecewise_constant":
        return func(None, **kw)
    return func(global_step=None, **kw)


def tolerances(case):
    if case["dtype"] == "float64":
        return dict(rtol=1e-12, atol=0.0)
    if "path" in case:  # many restarts: TensorFlow's float32 position in a late cycle is a
        # difference of two large float32 numbers (error up to ~1e-5 of the peak); a wrong
        # restart index is a jump of a large part of the peak, far above this
        return dict(rtol=1e-6, atol=RESTART_ATOL * max(abs(v) for v in case["values"]))
    return dict(rtol=1e-6, atol=5e-7 * max(abs(v) for v in case["values"]))


RESTART_ATOL = 2e-5


def case_id(case):
    return f"{case['func']}-{GOLDEN.index(case)}"


@pytest.mark.parametrize("case", VALUE_CASES, ids=case_id)
def test_golden_values(case):
    s = schedule_of(case)
    steps = np.asarray(case["steps"])
    want = np.asarray(case["values"])
    np.testing.assert_allclose(s(steps), want, **tolerances(case))
    np.testing.assert_allclose([s(float(t)) for t in steps], want, **tolerances(case))
    np.testing.assert_allclose([s(int(t)) for t in steps], want, **tolerances(case))


RESTARTS = [c for c in VALUE_CASES if c["func"] == "cosine_decay_restarts"]


def off_restarts(case):
    """(step, TensorFlow's restart index - the exact one) wherever they differ, from the
    golden values: at an exact restart TensorFlow's value is either the new cycle's peak or
    the previous cycle's floor."""
    kw = case["kwargs"]
    native = lrkit.CosineRestarts(kw["learning_rate"], kw["first_decay_steps"], kw["t_mul"],
                                  kw["m_mul"], alpha=kw["alpha"])
    steps = np.asarray(case["steps"])
    exact = native(steps)
    tol = tolerances(case)
    return [t for t, v, e in zip(steps, case["values"], exact)
            if not math.isclose(v, e, rel_tol=1e-3, abs_tol=tol["atol"] * 10)]


def test_restart_golden_set_covers_every_t_mul_over_many_cycles_and_the_float32_quirks():
    """Every restart -2..+2 over 35+ cycles for t_mul 1, 1.1, 1.3, 1.5, 1.7, 2, 2.5, 3; the set
    holds the steps where TensorFlow's float32 index is off the exact one (a cycle early or
    late, or several steps early past 2**24), and test_golden_values matches them all."""
    t_muls = {c["kwargs"]["t_mul"] for c in RESTARTS}
    assert {1.0, 1.1, 1.3, 1.5, 1.7, 2.0, 2.5, 3.0} <= t_muls
    quirks = {c["kwargs"]["t_mul"]: len(off_restarts(c)) for c in RESTARTS}
    assert sum(quirks.values()) >= 20, quirks
    assert all(len(c["steps"]) >= 35 * 5 for c in RESTARTS)


def test_the_fifth_restart_of_t_mul_3_is_hit_as_tensorflow_float32_does():
    """At step 2420 (t_mul=3, first_decay_steps=20) float64's log(243)/log(3) = 4.999... would
    miss the 5th restart; TensorFlow's float32 index (the one TF1 always uses) hits it."""
    s = tf1.cosine_decay_restarts(0.5, None, 20, t_mul=3.0, m_mul=0.8)
    assert s(2420) == pytest.approx(0.5 * 0.8**5, rel=1e-12)
    assert s(2419) == pytest.approx(0.0, abs=1e-6)


def test_global_step_kinds():
    assert isinstance(tf1.exponential_decay(0.1, 500, 100, 0.96, staircase=True), float)
    assert tf1.exponential_decay(0.1, 500, 100, 0.96, staircase=True) == pytest.approx(
        0.1 * 0.96**5, rel=1e-15)
    arr = tf1.polynomial_decay(0.5, np.arange(0, 30), 10, cycle=True)
    assert isinstance(arr, np.ndarray) and arr.shape == (30,)
    s = tf1.cosine_decay(0.1, None, 100)
    assert isinstance(s, lrkit.Schedule)
    assert s(50) == tf1.cosine_decay(0.1, 50, 100)
    with pytest.raises(TypeError, match="global_step"):
        tf1.cosine_decay(0.1, True, 100)


def test_piecewise_switches_after_the_boundary():
    assert tf1.piecewise_constant(100, [100], [1.0, 0.1]) == 1.0
    assert tf1.piecewise_constant(101, [100], [1.0, 0.1]) == 0.1


def test_polynomial_cycle_keeps_the_initial_rate_at_step_0():
    assert tf1.polynomial_decay(0.5, 0, 10, end_learning_rate=0.0, cycle=True) == 0.5
    assert tf1.polynomial_decay(0.5, 10, 10, end_learning_rate=0.0, cycle=True) == 0.0
    assert tf1.polynomial_decay(0.5, 11, 10, end_learning_rate=0.0, cycle=True) == pytest.approx(
        0.5 * (1 - 11 / 20))


def test_configs_round_trip_and_name_the_tf1_functions():
    for case in VALUE_CASES:
        s = schedule_of(case)
        back = lrkit.from_config(json.loads(json.dumps(s.to_config())))
        assert back == s
    cfg = {"type": "tf1.cosine_decay_restarts", "learning_rate": 0.1, "first_decay_steps": 10,
           "t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1}
    s = lrkit.from_config(cfg)
    steps = np.arange(0, 200)
    np.testing.assert_array_equal(s(steps), tf1.cosine_decay_restarts(0.1, steps, 10, 2.0, 0.5,
                                                                      0.1))


def test_noise_free_noisy_linear_cosine_is_linear_cosine():
    steps = np.arange(0, 120)
    a = tf1.noisy_linear_cosine_decay(0.1, steps, 100, initial_variance=0.0)
    b = tf1.linear_cosine_decay(0.1, steps, 100)
    np.testing.assert_array_equal(a, b)


def test_noise_matches_tensorflow_statistically_and_is_deterministic():
    """TensorFlow draws fresh noise at every call; lrkit's is a pure function of (seed, step).
    Across seeds, lrkit's values at a step follow TensorFlow's distribution at that step."""
    stats = pytest.importorskip("scipy.stats")

    kw = NOISE["kwargs"]
    seeds = range(1500)
    for step, tf_samples in NOISE["samples"].items():
        t = float(step)
        ours = np.array([tf1.noisy_linear_cosine_decay(global_step=t, seed=k, **kw)
                         for k in seeds])
        theirs = np.asarray(tf_samples)
        res = stats.ks_2samp(ours, theirs)
        assert res.pvalue > 1e-3, (step, res)
        assert np.std(ours) == pytest.approx(np.std(theirs), rel=0.1)
    a = tf1.noisy_linear_cosine_decay(global_step=np.arange(50), seed=7, **kw)
    b = tf1.noisy_linear_cosine_decay(global_step=np.arange(50), seed=7, **kw)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, tf1.noisy_linear_cosine_decay(global_step=np.arange(50), seed=8,
                                                               **kw))


def test_learning_rate_with_decay_is_the_resnet_recipe():
    s = tf1.learning_rate_with_decay(128, 256, 12800, [10, 15, 20], [1, 0.1, 0.01, 0.001],
                                     warmup=True)
    assert s == lrkit.resnet_step_decay(128, 256, 12800, [10, 15, 20], [1, 0.1, 0.01, 0.001],
                                        warmup_epochs=5)
    assert s(0) == 0.0 and s(500) == 0.05 and s(1600) == pytest.approx(0.05 * 0.01)


@pytest.mark.parametrize(("call", "exc", "words"), [
    (lambda: tf1.configure_learning_rate(1000, 10, learning_rate=0.1,
                                         learning_rate_decay_type="cosine",
                                         num_epochs_per_decay=2, batch_size=32,
                                         learning_rate_decay_factor=0.9, end_learning_rate=0.0),
     ValueError, "learning_rate_decay_type must be one of 'fixed', 'exponential', 'polynomial', "
                 "got 'cosine'"),
    (lambda: tf1.configure_learning_rate(10, 10, learning_rate=0.1,
                                         learning_rate_decay_type="exponential",
                                         num_epochs_per_decay=1, batch_size=32,
                                         learning_rate_decay_factor=0.9, end_learning_rate=0.0),
     ValueError, "decay step"),
    (lambda: tf1.exponential_decay(0.1, 5, 0, 0.9), ValueError, "decay_steps must be > 0, got 0"),
    (lambda: tf1.exponential_decay(-0.1, 5, 10, 0.9), ValueError, "learning_rate must be >= 0"),
    (lambda: tf1.piecewise_constant(5, [10, 20], [1.0, 0.5]), ValueError,
     "one more element than boundaries"),
    (lambda: tf1.piecewise_constant(5, [20, 10], [1.0, 0.5, 0.1]), ValueError,
     "strictly increasing"),
    (lambda: tf1.cosine_decay(0.1, 5, 100, alpha=1.5), ValueError, r"alpha must be in \[0, 1\]"),
    (lambda: tf1.cosine_decay_restarts(0.1, 5, 10, t_mul=0.5), ValueError, "t_mul must be >= 1"),
    (lambda: tf1.polynomial_decay(0.1, 5, 10, cycle="yes"), TypeError, "cycle must be True or"),
    (lambda: tf1.learning_rate_with_decay(128, 256, 1000, [1, 2], [1.0, 0.1]), ValueError,
     "decay_rates must have one more element"),
])
def test_bad_arguments_are_rejected_with_the_argument_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_live_against_tensorflow():
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1.train
    steps = np.array([0.0, 1.0, 99.0, 100.0, 101.0, 250.0, 1000.0])
    peer = v1.polynomial_decay(np.float64(0.1), steps, 100, np.float64(0.001), power=np.float64(2.0),
                               cycle=True)
    peer = peer() if callable(peer) else peer
    np.testing.assert_allclose(tf1.polynomial_decay(0.1, steps, 100, 0.001, 2.0, True),
                               peer.numpy(), rtol=1e-12, atol=0)
    step_var = tf.Variable(250, dtype=tf.int64)  # a TF1-style global step variable
    assert tf1.exponential_decay(0.1, step_var, 100, 0.5) == pytest.approx(0.1 * 0.5**2.5)
    peer = v1.cosine_decay_restarts(0.1, steps.astype(np.float32), 30, 2.0, 0.5, 0.1)
    peer = peer() if callable(peer) else peer
    np.testing.assert_allclose(tf1.cosine_decay_restarts(0.1, steps, 30, 2.0, 0.5, 0.1),
                               peer.numpy(), rtol=1e-6, atol=5e-8)


@pytest.mark.parametrize("t_mul", [1.0, 1.1, 1.5, 2.0, 3.0, 1.23])
def test_live_every_restart_against_tensorflow(t_mul):
    """Every restart boundary +-1 of 30 cycles (plus, for t_mul=1, restarts past 2**24),
    one scalar int64 global step at a time as in training."""
    tf = pytest.importorskip("tensorflow")
    first = 7
    steps, at, length = [], 0.0, float(first)
    for _ in range(30):
        at += length
        length *= t_mul
        steps += [math.floor(at) - 1, math.floor(at), math.ceil(at), math.ceil(at) + 1]
    if t_mul == 1.0:
        steps += [k * first + d for k in (2**24 // first, 2**25 // first + 1) for d in (-1, 0, 1)]
    global_step = tf.Variable(0, dtype=tf.int64)
    peer = tf.compat.v1.train.cosine_decay_restarts(0.3, global_step, first, t_mul, 0.9, 0.05)
    want = []
    for t in steps:
        global_step.assign(t)
        want.append(float(peer().numpy()))
    ours = tf1.cosine_decay_restarts(0.3, None, first, t_mul, 0.9, 0.05)
    tol = dict(rtol=1e-6, atol=RESTART_ATOL * 0.3)
    np.testing.assert_allclose([ours(t) for t in steps], want, **tol)
    np.testing.assert_allclose(ours(np.asarray(steps)), want, **tol)


def test_restarts_evaluate_on_torch_and_under_jax_jit():
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    s = tf1.cosine_decay_restarts(0.1, None, 10, t_mul=1.5, m_mul=0.8, alpha=0.05)
    steps = np.arange(0, 200, dtype=np.float64)
    ref = s(steps)
    np.testing.assert_allclose(s(torch.as_tensor(steps)).numpy(), ref, rtol=1e-12, atol=0)
    got = np.asarray(jax.jit(s)(jax.numpy.asarray(steps[:19], dtype=jax.numpy.float32)))
    np.testing.assert_allclose(got, ref[:19], rtol=2e-6, atol=1e-9)


@pytest.mark.parametrize("case", RESTARTS, ids=case_id)
def test_restart_index_is_the_same_on_torch_and_under_jax_jit(case):
    """The float32 restart table is looked up the same way on every array kind: int64 torch
    tensors and int32 JAX steps under jit give TensorFlow's index at every restart."""
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    s = schedule_of(case)
    steps = [int(t) for t in case["steps"] if t < 2**24]
    want = np.asarray(case["values"])[: len(steps)]
    tol = tolerances(case)
    np.testing.assert_allclose(s(torch.as_tensor(steps)).numpy(), want, **tol)
    if case["kwargs"]["t_mul"] == 1.0:  # XLA's float32 t / T0 is not IEEE-rounded: TF's
        # float32 fraction is reproduced below 2**20 steps only (docs: the TF/Keras page)
        steps = [t for t in steps if t < 2**20]
        want = want[: len(steps)]
    got = jax.jit(s)(jax.numpy.asarray(steps, dtype=jax.numpy.int32))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=tol["atol"])


def test_the_last_restart_the_table_holds_is_tensorflows_not_the_formulas():
    # t_mul = 1 + 2**-13: the float32 restart table fills up (131,072 restarts) and its last entry
    # is step 72,723,922,944. TensorFlow (tf.compat.v1.train.cosine_decay_restarts, int64 step, run
    # live) starts a new cycle there: 0.99995. The float64 formula takes over only *past* it; at
    # it, it was one cycle behind (4.5e-05, the end of the previous cycle)
    s = tf1.cosine_decay_restarts(1.0, None, 1.0, t_mul=1 + 2**-13)
    assert s(72723922944) == pytest.approx(0.99995, abs=2e-5)


def test_a_tiny_first_period_builds_its_table_without_overflow_warnings():
    import warnings

    from lrkit.compat._tf_sgdr import _restarts32

    _restarts32.cache_clear()  # the table is cached per (first period, t_mul): build it here
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "overflow encountered in divide" leaked before
        value = tf1.cosine_decay_restarts(0.1, None, 1e-20)(5)
    assert math.isfinite(value) and 0.0 <= value <= 0.1
