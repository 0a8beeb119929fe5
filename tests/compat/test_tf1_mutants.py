"""lrkit.compat.tf1 (and the TensorFlow arithmetic it shares with Keras) where the golden cases
do not reach: default arguments, the config form, error messages, ``global_step`` kinds, TF-slim's
``configure_learning_rate`` and the edges of TensorFlow's cosine decay with restarts.

Expected values are written by hand from TensorFlow's documented formulas
(``tf.compat.v1.train.*_decay``) or read from the golden file TensorFlow wrote; none is computed
with lrkit.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import lrkit
from lrkit.compat import _tf_sgdr, tf1
from lrkit.compat.tf1 import SGDRDecay

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "tf1_golden.json").read_text())


def exactly(msg: str) -> str:
    """A ``match=`` pattern for the whole message."""
    return "^" + re.escape(msg) + "$"


def cosine(x: float) -> float:
    """TensorFlow's 0.5 (1 + cos(pi x))."""
    return 0.5 * (1.0 + math.cos(math.pi * x))


# -- defaults: TensorFlow's signatures ----------------------------------------------------------
def test_exponential_family_default_to_a_smooth_decay():
    """staircase=False by default: p = t / T is not floored (t = 150, T = 100: p = 1.5)."""
    assert tf1.exponential_decay(0.1, 150, 100, 0.5) == pytest.approx(0.1 * 0.5**1.5, rel=1e-12)
    assert tf1.natural_exp_decay(0.1, 150, 100, 0.5) == pytest.approx(0.1 * math.exp(-0.75), rel=1e-12)
    assert tf1.inverse_time_decay(0.1, 150, 100, 0.5) == pytest.approx(0.1 / 1.75, rel=1e-12)
    # the config form (no global_step) has the same defaults
    for name, want in (("exponential_decay", 0.1 * 0.5**1.5), ("natural_exp_decay", 0.1 * math.exp(-0.75)),
                       ("inverse_time_decay", 0.1 / 1.75)):
        s = lrkit.from_config({"type": f"tf1.{name}", "learning_rate": 0.1, "decay_steps": 100,
                               "decay_rate": 0.5})
        assert s(150) == pytest.approx(want, rel=1e-12), name


def test_exponential_family_staircase_floors_the_exponent():
    assert tf1.exponential_decay(0.1, 150, 100, 0.5, staircase=True) == pytest.approx(0.05, rel=1e-12)
    assert tf1.natural_exp_decay(0.1, 150, 100, 0.5, True) == pytest.approx(0.1 * math.exp(-0.5), rel=1e-12)
    assert tf1.inverse_time_decay(0.1, 150, 100, 0.5, True) == pytest.approx(0.1 / 1.5, rel=1e-12)


def test_exponential_with_rate_0_drops_to_0_after_step_0():
    """0 ** 0 = 1 (TensorFlow's pow): the initial rate at step 0 only, or until T with staircase."""
    assert tf1.exponential_decay(0.1, 0, 10, 0.0) == 0.1
    assert tf1.exponential_decay(0.1, 0.5, 10, 0.0) == 0.0
    assert tf1.exponential_decay(0.1, 9, 10, 0.0, staircase=True) == 0.1
    assert tf1.exponential_decay(0.1, 10, 10, 0.0, staircase=True) == 0.0


def test_polynomial_defaults_end_at_1e_4_linearly_without_cycle():
    """end_learning_rate=0.0001, power=1, cycle=False."""
    mid = (0.1 - 0.0001) * 0.5 + 0.0001
    assert tf1.polynomial_decay(0.1, 5, 10) == pytest.approx(mid, rel=1e-12)
    assert tf1.polynomial_decay(0.1, 15, 10) == pytest.approx(0.0001, rel=1e-12)  # held, no new cycle
    s = lrkit.from_config({"type": "tf1.polynomial_decay", "learning_rate": 0.1, "decay_steps": 10})
    assert s(5) == pytest.approx(mid, rel=1e-12)
    assert s(15) == pytest.approx(0.0001, rel=1e-12)


def test_polynomial_power_0_is_a_constant_rate():
    """(1 - p) ** 0 = 1 at every step, even past the end (TensorFlow)."""
    assert tf1.polynomial_decay(0.1, 7, 10, 0.01, power=0.0) == 0.1
    assert tf1.polynomial_decay(0.1, 70, 10, 0.01, power=0.0) == 0.1


def test_cosine_default_alpha_decays_to_0():
    assert tf1.cosine_decay(0.1, 50, 100) == pytest.approx(0.05, rel=1e-12)
    assert tf1.cosine_decay(0.1, 100, 100) == pytest.approx(0.0, abs=1e-18)
    s = lrkit.from_config({"type": "tf1.cosine_decay", "learning_rate": 0.1, "decay_steps": 100})
    assert s(25) == pytest.approx(0.1 * cosine(0.25), rel=1e-12)
    assert s(100) == pytest.approx(0.0, abs=1e-18)


def linear_cosine(lr, t, T, n=0.5, alpha=0.0, beta=0.001):
    tau = min(t, T)
    return lr * ((alpha + (T - tau) / T) * 0.5 * (1 + math.cos(2 * math.pi * n * tau / T)) + beta)


def test_linear_cosine_defaults():
    """num_periods=0.5, alpha=0, beta=0.001."""
    for t in (0, 25, 60, 100):
        want = linear_cosine(0.1, t, 100)
        assert tf1.linear_cosine_decay(0.1, t, 100) == pytest.approx(want, rel=1e-12), t
        s = lrkit.from_config({"type": "tf1.linear_cosine_decay", "learning_rate": 0.1, "decay_steps": 100})
        assert s(t) == pytest.approx(want, rel=1e-12), t


def test_linear_cosine_num_periods_sign_does_not_matter():
    assert tf1.linear_cosine_decay(0.1, 30, 100, num_periods=-2.0) == pytest.approx(
        linear_cosine(0.1, 30, 100, n=2.0), rel=1e-12)


def test_noisy_linear_cosine_defaults_are_tensorflows():
    """initial_variance=1, variance_decay=0.55, num_periods=0.5, alpha=0, beta=0.001, seed=0;
    the config form has the same."""
    explicit = tf1.noisy_linear_cosine_decay(0.1, None, 100, 1.0, 0.55, 0.5, 0.0, 0.001, seed=0)
    assert tf1.noisy_linear_cosine_decay(0.1, None, 100) == explicit
    assert lrkit.from_config({"type": "tf1.noisy_linear_cosine_decay", "learning_rate": 0.1,
                              "decay_steps": 100}) == explicit
    steps = np.arange(0, 120)
    np.testing.assert_array_equal(tf1.noisy_linear_cosine_decay(0.1, steps, 100), explicit(steps))
    # without noise, the defaults are linear_cosine_decay's
    quiet = tf1.noisy_linear_cosine_decay(0.1, 30, 100, initial_variance=0.0)
    assert quiet == pytest.approx(linear_cosine(0.1, 30, 100), rel=1e-12)


def test_cosine_decay_restarts_defaults():
    """t_mul=2, m_mul=1, alpha=0: cycles [0, 10), [10, 30), [30, 70), each from the peak to 0."""
    want = {5: 0.1 * cosine(0.5), 10: 0.1, 20: 0.1 * cosine(0.5), 25: 0.1 * cosine(0.75),
            30: 0.1, 50: 0.1 * cosine(0.5)}
    s = lrkit.from_config({"type": "tf1.cosine_decay_restarts", "learning_rate": 0.1,
                           "first_decay_steps": 10})
    for t, v in want.items():
        assert tf1.cosine_decay_restarts(0.1, t, 10) == pytest.approx(v, rel=1e-9, abs=1e-15), t
        assert s(t) == pytest.approx(v, rel=1e-9, abs=1e-15), t


def test_cosine_decay_restarts_keeps_the_floor_and_shrinks_the_cosine():
    """lr [(1 - alpha) m_mul^i cos + alpha] with t_mul=3: cycles [0, 10), [10, 40)."""
    lr, a, m = 0.2, 0.1, 0.5
    assert tf1.cosine_decay_restarts(lr, 5, 10, 3.0, m, a) == pytest.approx(
        lr * ((1 - a) * cosine(0.5) + a), rel=1e-9)
    assert tf1.cosine_decay_restarts(lr, 10, 10, 3.0, m, a) == pytest.approx(lr * ((1 - a) * m + a), rel=1e-9)
    assert tf1.cosine_decay_restarts(lr, 25, 10, 3.0, m, a) == pytest.approx(
        lr * ((1 - a) * m * cosine(0.5) + a), rel=1e-9)


def test_piecewise_config_switches_after_the_boundary():
    s = lrkit.from_config({"type": "tf1.piecewise_constant", "boundaries": [10, 20],
                           "values": [1.0, 0.5, 0.1]})
    assert [s(t) for t in (10, 11, 20, 21)] == [1.0, 0.5, 0.5, 0.1]


# -- global_step ----------------------------------------------------------------------------------
def test_every_function_returns_the_value_at_global_step():
    assert tf1.natural_exp_decay(0.1, 100, 100, 0.5) == pytest.approx(0.1 * math.exp(-0.5), rel=1e-12)
    assert tf1.inverse_time_decay(0.1, 100, 100, 0.5) == pytest.approx(0.1 / 1.5, rel=1e-12)
    assert tf1.cosine_decay_restarts(0.1, 5, 10) == pytest.approx(0.05, rel=1e-9)
    for f in (tf1.natural_exp_decay, tf1.inverse_time_decay):
        assert isinstance(f(0.1, None, 100, 0.5), lrkit.Schedule)
    assert isinstance(tf1.cosine_decay_restarts(0.1, None, 10), SGDRDecay)


def test_a_bool_global_step_is_refused_with_its_value():
    with pytest.raises(TypeError, match=exactly(
            "global_step must be an int, a float or an array of steps, got True")):
        tf1.exponential_decay(0.1, True, 100, 0.5)


def test_a_torch_global_step_gives_a_torch_value():
    torch = pytest.importorskip("torch")
    got = tf1.exponential_decay(0.1, torch.tensor([0.0, 100.0, 200.0], dtype=torch.float64), 100, 0.5)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), [0.1, 0.05, 0.025], rtol=1e-12)


def test_an_eager_tensorflow_step_is_read():
    """A tf.Tensor / tf.Variable global step is read with .numpy() (skipped where TensorFlow is
    not importable, as in mutmut's forked children; benchmarks/mutation.py --fresh runs it)."""
    tf = pytest.importorskip("tensorflow")
    assert tf1.exponential_decay(0.1, tf.constant(150, dtype=tf.int64), 100, 0.5) == pytest.approx(
        0.1 * 0.5**1.5, rel=1e-12)
    got = tf1.polynomial_decay(0.1, tf.Variable([0.0, 5.0, 10.0], dtype=tf.float64), 10, 0.0)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, [0.1, 0.05, 0.0], rtol=1e-12, atol=1e-18)


# -- configure_learning_rate (TF-slim) -------------------------------------------------------------
SLIM = dict(learning_rate=0.1, num_epochs_per_decay=2, batch_size=32, learning_rate_decay_factor=0.9,
            end_learning_rate=0.0)


def test_configure_fixed_is_the_rate_at_any_step():
    assert tf1.configure_learning_rate(1000, 500, learning_rate_decay_type="fixed", **SLIM) == 0.1


def test_configure_exponential_staircase_every_decay_steps():
    """T = int(1000 * 2 / 32) = 62; step 130 is 2 decays in."""
    got = tf1.configure_learning_rate(1000, 130, learning_rate_decay_type="exponential", **SLIM)
    assert got == pytest.approx(0.1 * 0.9**2, rel=1e-12)
    # replicas_to_aggregate counts only with sync_replicas (T = 62 / 2 = 31: 4 decays)
    got = tf1.configure_learning_rate(1000, 130, learning_rate_decay_type="exponential",
                                      replicas_to_aggregate=2, **SLIM)
    assert got == pytest.approx(0.1 * 0.9**2, rel=1e-12)
    got = tf1.configure_learning_rate(1000, 130, learning_rate_decay_type="exponential",
                                      sync_replicas=True, replicas_to_aggregate=2, **SLIM)
    assert got == pytest.approx(0.1 * 0.9**4, rel=1e-12)
    # sync_replicas alone: one replica to aggregate by default (T = 62)
    got = tf1.configure_learning_rate(1000, 130, learning_rate_decay_type="exponential",
                                      sync_replicas=True, **SLIM)
    assert got == pytest.approx(0.1 * 0.9**2, rel=1e-12)


def test_configure_a_single_decay_step_is_enough():
    """32 samples, 1 epoch, batch 32: T = 1 step, decayed at every step."""
    kw = dict(SLIM, num_epochs_per_decay=1)
    got = tf1.configure_learning_rate(32, 3, learning_rate_decay_type="exponential", **kw)
    assert got == pytest.approx(0.1 * 0.9**3, rel=1e-12)


def test_configure_polynomial_is_linear_to_the_end_rate():
    """T = 62: at step 31 halfway to end_learning_rate, held there after T."""
    kw = dict(SLIM, end_learning_rate=0.01)
    got = tf1.configure_learning_rate(1000, 31, learning_rate_decay_type="polynomial", **kw)
    assert got == pytest.approx(0.01 + 0.09 * 0.5, rel=1e-12)
    got = tf1.configure_learning_rate(1000, 100, learning_rate_decay_type="polynomial", **kw)
    assert got == pytest.approx(0.01, rel=1e-12)


# -- error messages: the function, the argument, what it must be, what it got ------------------
ERRORS = [
    *[(lambda f=f: f(-0.1, 0, 10, 0.5), ValueError, f"tf1.{f.__name__}: learning_rate must be >= 0, got -0.1")
      for f in (tf1.exponential_decay, tf1.natural_exp_decay, tf1.inverse_time_decay)],
    *[(lambda f=f: f(-0.1, 0, 10), ValueError, f"tf1.{f.__name__}: learning_rate must be >= 0, got -0.1")
      for f in (tf1.cosine_decay, tf1.linear_cosine_decay, tf1.noisy_linear_cosine_decay)],
    (lambda: tf1.exponential_decay(0.1, 0, 10, -0.5), ValueError,
     "tf1.exponential_decay: decay_rate must be >= 0, got -0.5"),
    (lambda: tf1.exponential_decay(0.1, 0, 10, 0.5, staircase="yes"), TypeError,
     "tf1.exponential_decay: staircase must be True or False, got 'yes'"),
    (lambda: tf1.piecewise_constant(0, "ab", [1.0, 2.0]), TypeError,
     "tf1.piecewise_constant: boundaries must be a list of numbers, got 'ab'"),
    (lambda: tf1.piecewise_constant(0, [1.0], "ab"), TypeError,
     "tf1.piecewise_constant: values must be a list of numbers, got 'ab'"),
    (lambda: tf1.polynomial_decay(-1, 0, 10), ValueError,
     "tf1.polynomial_decay: learning_rate must be >= 0, got -1"),
    (lambda: tf1.polynomial_decay(0.1, 0, 0), ValueError,
     "tf1.polynomial_decay: decay_steps must be > 0, got 0"),
    (lambda: tf1.polynomial_decay(0.1, 0, 10, -0.1), ValueError,
     "tf1.polynomial_decay: end_learning_rate must be >= 0, got -0.1"),
    (lambda: tf1.polynomial_decay(0.1, 0, 10, power=-1), ValueError,
     "tf1.polynomial_decay: power must be >= 0, got -1"),
    (lambda: tf1.polynomial_decay(0.1, 0, 10, cycle="yes"), TypeError,
     "tf1.polynomial_decay: cycle must be True or False, got 'yes'"),
    (lambda: tf1.natural_exp_decay(0.1, 0, 10, -1), ValueError,
     "tf1.natural_exp_decay: decay_rate must be >= 0, got -1"),
    (lambda: tf1.natural_exp_decay(0.1, 0, 0, 0.5), ValueError,
     "tf1.natural_exp_decay: decay_steps must be > 0, got 0"),
    (lambda: tf1.natural_exp_decay(0.1, 0, 10, 0.5, 1), TypeError,
     "tf1.natural_exp_decay: staircase must be True or False, got 1"),
    (lambda: tf1.inverse_time_decay(0.1, 0, 10, -1), ValueError,
     "tf1.inverse_time_decay: decay_rate must be >= 0, got -1"),
    (lambda: tf1.inverse_time_decay(0.1, 0, -10, 0.5), ValueError,
     "tf1.inverse_time_decay: decay_steps must be > 0, got -10"),
    (lambda: tf1.inverse_time_decay(0.1, 0, 10, 0.5, "no"), TypeError,
     "tf1.inverse_time_decay: staircase must be True or False, got 'no'"),
    (lambda: tf1.cosine_decay(0.1, 0, 0), ValueError, "tf1.cosine_decay: decay_steps must be > 0, got 0"),
    (lambda: tf1.cosine_decay(0.1, 0, 10, alpha=1.5), ValueError,
     "tf1.cosine_decay: alpha must be in [0, 1], got 1.5"),
    (lambda: tf1.cosine_decay_restarts(-0.1, 0, 10), ValueError,
     "tf1.cosine_decay_restarts: learning_rate must be >= 0, got -0.1"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 0), ValueError,
     "tf1.cosine_decay_restarts: first_decay_steps must be > 0, got 0"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 10, t_mul=0.5), ValueError,
     "tf1.cosine_decay_restarts: t_mul must be >= 1, got 0.5"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 10, t_mul=float("nan")), ValueError,
     "tf1.cosine_decay_restarts: t_mul must be a finite number, got nan"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 10, m_mul=-1), ValueError,
     "tf1.cosine_decay_restarts: m_mul must be >= 0, got -1"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 10, alpha=2), ValueError,
     "tf1.cosine_decay_restarts: alpha must be in [0, 1], got 2"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 1e39), ValueError,
     "tf1.cosine_decay_restarts: first_decay_steps must fit a float32 (<= 3.4e38), got 1e+39"),
    (lambda: tf1.cosine_decay_restarts(0.1, 0, 10, t_mul=1e39), ValueError,
     "tf1.cosine_decay_restarts: t_mul must fit a float32 (<= 3.4e38), got 1e+39"),
    (lambda: tf1.linear_cosine_decay(0.1, 0, 0), ValueError,
     "tf1.linear_cosine_decay: decay_steps must be > 0, got 0"),
    (lambda: tf1.linear_cosine_decay(0.1, 0, 10, num_periods=float("inf")), ValueError,
     "tf1.linear_cosine_decay: num_periods must be a finite number, got inf"),
    (lambda: tf1.linear_cosine_decay(0.1, 0, 10, alpha=-1), ValueError,
     "tf1.linear_cosine_decay: alpha must be >= 0, got -1"),
    (lambda: tf1.linear_cosine_decay(0.1, 0, 10, beta=-1), ValueError,
     "tf1.linear_cosine_decay: beta must be >= 0, got -1"),
    (lambda: tf1.noisy_linear_cosine_decay(0.1, 0, 0), ValueError,
     "tf1.noisy_linear_cosine_decay: decay_steps must be > 0, got 0"),
    (lambda: tf1.noisy_linear_cosine_decay(0.1, 0, 10, initial_variance=-1), ValueError,
     "tf1.noisy_linear_cosine_decay: initial_variance must be >= 0, got -1"),
    (lambda: tf1.noisy_linear_cosine_decay(0.1, 0, 10, variance_decay=-1), ValueError,
     "tf1.noisy_linear_cosine_decay: variance_decay must be >= 0, got -1"),
    (lambda: tf1.noisy_linear_cosine_decay(0.1, 0, 10, seed=1.5), TypeError,
     "tf1.noisy_linear_cosine_decay: seed must be an integer, got 1.5 (float)"),
    (lambda: tf1.learning_rate_with_decay(128, 256, 1000, [1], [1.0, 0.1], warmup="yes"), TypeError,
     "learning_rate_with_decay: warmup must be True or False, got 'yes'"),
]


@pytest.mark.parametrize(("call", "exc", "msg"), ERRORS, ids=[e[2].split(":")[0] + "-" + str(i)
                                                            for i, e in enumerate(ERRORS)])
def test_bad_arguments_are_named_with_their_function(call, exc, msg):
    with pytest.raises(exc, match=exactly(msg)):
        call()


def slim(**kw):
    args = dict(SLIM, learning_rate_decay_type="exponential")
    args.update(kw)
    n = args.pop("num_samples_per_epoch", 1000)
    return lambda: tf1.configure_learning_rate(n, 10, **args)


SLIM_ERRORS = [
    (slim(learning_rate_decay_type="cosine"), ValueError, "learning_rate_decay_type must be one of "
     "'fixed', 'exponential', 'polynomial', got 'cosine'"),
    (slim(learning_rate=-1), ValueError, "learning_rate must be >= 0, got -1"),
    (slim(learning_rate_decay_type="fixed", learning_rate=-1), ValueError,
     "learning_rate must be >= 0, got -1"),
    (slim(num_samples_per_epoch=0), ValueError, "num_samples_per_epoch must be > 0, got 0"),
    (slim(num_epochs_per_decay=0), ValueError, "num_epochs_per_decay must be > 0, got 0"),
    (slim(batch_size=0), ValueError, "batch_size must be > 0, got 0"),
    (slim(sync_replicas="yes"), TypeError, "sync_replicas must be True or False, got 'yes'"),
    (slim(sync_replicas=True, replicas_to_aggregate=0), ValueError,
     "replicas_to_aggregate must be > 0, got 0"),
    (slim(learning_rate_decay_factor=0), ValueError, "learning_rate_decay_factor must be > 0, got 0"),
    (slim(learning_rate_decay_type="polynomial", end_learning_rate=-1), ValueError,
     "end_learning_rate must be >= 0, got -1"),
    (slim(num_samples_per_epoch=10, num_epochs_per_decay=1), ValueError,
     "num_samples_per_epoch * num_epochs_per_decay / batch_size must be >= 1 decay step, got 10 * 1 / 32"),
]


@pytest.mark.parametrize(("call", "exc", "msg"), SLIM_ERRORS, ids=[str(i) for i in range(len(SLIM_ERRORS))])
def test_configure_learning_rate_names_the_bad_flag(call, exc, msg):
    with pytest.raises(exc, match=exactly(f"configure_learning_rate: {msg}")):
        call()


# -- SGDRDecay (TensorFlow's and Keras' cosine decay with restarts) --------------------------------
SGDR_ERRORS = [
    (dict(initial_learning_rate=-1), ValueError, "initial_learning_rate must be >= 0, got -1"),
    (dict(first_decay_steps=0), ValueError, "first_decay_steps must be > 0, got 0"),
    (dict(t_mul=0.9), ValueError, "t_mul must be >= 1, got 0.9"),
    (dict(t_mul=float("inf")), ValueError, "t_mul must be a finite number, got inf"),
    (dict(m_mul=-0.5), ValueError, "m_mul must be >= 0, got -0.5"),
    (dict(alpha=1.5), ValueError, "alpha must be in [0, 1], got 1.5"),
    (dict(precision="float16"), ValueError, "precision must be one of 'float32', 'float64', got 'float16'"),
    (dict(first_decay_steps=1e39), ValueError, "first_decay_steps must fit a float32 (<= 3.4e38), got 1e+39"),
    (dict(t_mul=1e39), ValueError, "t_mul must fit a float32 (<= 3.4e38), got 1e+39"),
    (dict(first_decay_steps=1e-46), ValueError,
     "first_decay_steps must be a float32 above 0 (>= 1.4e-45), got 1e-46"),
]


@pytest.mark.parametrize(("kw", "exc", "msg"), SGDR_ERRORS, ids=[str(i) for i in range(len(SGDR_ERRORS))])
def test_sgdr_decay_checks_its_fields(kw, exc, msg):
    args = dict(initial_learning_rate=0.1, first_decay_steps=10)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a float32 overflow is the answer, not a warning
        with pytest.raises(exc, match=exactly(f"SGDRDecay: {msg}")):
            SGDRDecay(**args)


def test_sgdr_decay_in_float64_takes_what_float32_cannot_hold():
    """The float32 limits are TensorFlow's float32 casts: a float64 schedule has none."""
    s = SGDRDecay(0.1, 1e39, precision="float64")
    assert s(0) == pytest.approx(0.1, rel=1e-12)
    assert s(5e38) == pytest.approx(0.1 * cosine(0.5), rel=1e-9)
    assert SGDRDecay(0.1, 1e-46, precision="float64").first_decay_steps == 1e-46
    s = SGDRDecay(0.1, 10, t_mul=1e39, precision="float64")
    assert s(5) == pytest.approx(0.1 * cosine(0.5), rel=1e-9)


def test_sgdr_decay_fields_are_floats_and_defaults_are_tensorflows():
    s = SGDRDecay(np.float32(0.5), 4)
    assert (s.t_mul, s.m_mul, s.alpha, s.precision) == (2.0, 1.0, 0.0, "float32")
    assert s.first_decay_steps == 4.0 and s.initial_learning_rate == 0.5
    s = SGDRDecay(np.float32(0.5), 4, t_mul=3, m_mul=np.float32(0.5), alpha=np.float64(0.25))
    for name in ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha"):
        assert type(getattr(s, name)) is float, name
    assert (s.t_mul, s.m_mul, s.alpha) == (3.0, 0.5, 0.25)
    s = SGDRDecay(0.5, 1)  # a first cycle of one step
    assert s(0.5) == pytest.approx(0.5 * cosine(0.5), rel=1e-7)
    assert s(1) == pytest.approx(0.5, rel=1e-12)  # the first restart (cycle 2 lasts 2 steps)
    assert s(2) == pytest.approx(0.5 * cosine(0.5), rel=1e-7)


def test_sgdr_t_mul_that_rounds_to_1_in_float32_restarts_every_period():
    """TensorFlow casts t_mul to float32: 1 + 1e-10 is 1.0 there, and its cond(t_mul == 1)
    branch takes f - floor(f) (cycle 2 of 10 steps, halfway at step 25)."""
    s = tf1.cosine_decay_restarts(0.4, None, 10, t_mul=1.0 + 1e-10, m_mul=0.5)
    assert s(25) == pytest.approx(0.4 * 0.25 * 0.5, rel=1e-12)
    assert s(20) == pytest.approx(0.4 * 0.25, rel=1e-12)


def test_sgdr_t_mul_1_position_is_taken_before_the_cosine():
    """t_mul=1: x = f - floor(f), exact even far out (cos(pi x) of the position in the cycle,
    never of the whole fraction). Float32 (TensorFlow 1): step 2**22 + 0.5 is a float32; float64
    (Keras with a float64 rate): step 1e15 + 0.5."""
    assert tf1.cosine_decay_restarts(0.4, 2**22 + 0.5, 1, t_mul=1.0) == pytest.approx(0.2, rel=1e-12)
    s = SGDRDecay(0.4, 1, t_mul=1.0, precision="float64")
    assert s(1e15 + 0.5) == pytest.approx(0.2, rel=1e-12)


def test_sgdr_steps_beyond_an_int64_global_step_are_the_last_one():
    """TensorFlow's global step is an int64: no step lies past 2**63. With first_decay_steps=10
    and t_mul=2, 2**63 is in cycle i=59 (starts at 10 (2**59 - 1)), at x = 0.6 + 2**-59."""
    s = tf1.cosine_decay_restarts(0.1, None, 10)
    x = (2.0**63 / 10 - (2.0**59 - 1)) / 2.0**59
    want = 0.1 * cosine(x)
    assert s(2.0**63) == pytest.approx(want, rel=1e-9)
    assert s(1e30) == pytest.approx(want, rel=1e-9)
    np.testing.assert_allclose(s(np.array([2.0**63, 1e30])), [want, want], rtol=1e-9)


def test_sgdr_float64_has_no_int64_limit():
    """Keras with a float64 rate computes in float64: step 1e30 is in cycle
    floor(log(1 + 1e29) / log(2)) = 96."""
    s = SGDRDecay(0.1, 10, precision="float64")
    i = math.floor(math.log(1 + 1e29) / math.log(2.0))
    assert i == 96
    x = (1e29 - (2.0**i - 1)) / 2.0**i
    assert s(1e30) == pytest.approx(0.1 * cosine(x), rel=1e-9)


def test_sgdr_float64_t_mul_1_restarts_every_period():
    s = SGDRDecay(0.4, 10, t_mul=1.0, m_mul=0.5, alpha=0.25, precision="float64")
    assert s(25) == pytest.approx(0.4 * (0.75 * 0.25 * 0.5 + 0.25), rel=1e-12)
    assert s(30) == pytest.approx(0.4 * (0.75 * 0.125 + 0.25), rel=1e-12)


def tf_float32_index(t: float, first: float, t_mul: float) -> int:
    """TensorFlow's float32 restart index (cosine_decay_restarts): every operation in float32."""
    f32 = np.float32
    frac = f32(t) / f32(first)
    x = f32(1.0) - frac * (f32(1.0) - f32(t_mul))
    return int(np.floor(f32(np.log(np.float64(x))) / f32(math.log(float(f32(t_mul))))))


def test_sgdr_past_the_tabulated_restarts_uses_tensorflows_formula():
    """t_mul = 1 + 2**-13 has more than 2**17 restarts below 2**63: beyond the last tabulated one
    the index is TensorFlow's float32 formula (step 2**40: about 153322 restarts)."""
    m = 1.0 + 2.0**-13
    t = 2.0**40
    i = tf_float32_index(t, 1.0, m)
    assert 150_000 < i < 160_000
    grown = m**i
    x = (t - (1.0 - grown) / (1.0 - m)) / grown
    assert 0.0 <= x < 1.0
    s = tf1.cosine_decay_restarts(1.0, None, 1.0, t_mul=m)
    assert s(t) == pytest.approx(cosine(x), rel=1e-6, abs=1e-9)


def tf_value(t: float, first: float, t_mul: float) -> float:
    """TensorFlow's float32 restart index, the position in that cycle from the exact step."""
    i = tf_float32_index(t, first, t_mul)
    grown = t_mul**i
    return cosine((t / first - (1.0 - grown) / (1.0 - t_mul)) / grown)


@pytest.mark.parametrize("t", [10.5, 14102.0, 72715051008.0])
def test_sgdr_with_more_restarts_than_tabulated_keeps_tensorflows_index_in_the_table(t):
    """t_mul = 1 + 2**-13, first_decay_steps=1: TensorFlow's float32 index is one cycle late
    against the exact one at step 14102 (cycle 8202 starts there, float64 says 8201) and at the
    float32 step 72715051008 (the 131071st restart, next to the last tabulated one); a step in
    the middle of cycle 10 is an ordinary one."""
    m = 1.0 + 2.0**-13
    s = tf1.cosine_decay_restarts(1.0, None, 1.0, t_mul=m)
    assert s(t) == pytest.approx(tf_value(t, 1.0, m), rel=1e-6)
    if t > 10.5:  # a restart: the new cycle's peak, not the previous cycle's end
        assert s(t) > 0.99


@pytest.fixture
def fresh_restart_tables():
    """The float32 restart tables are cached per (first_decay_steps, t_mul): build them anew."""
    _tf_sgdr._restarts32.cache_clear()
    yield
    _tf_sgdr._restarts32.cache_clear()


RESTARTS = [c for c in GOLDEN if c["func"] == "cosine_decay_restarts"]


@pytest.mark.parametrize("case", RESTARTS, ids=lambda c: f"t_mul={c['kwargs']['t_mul']}-T0="
                         f"{c['kwargs']['first_decay_steps']}")
def test_fresh_restart_table_matches_tensorflow_without_numpy_warnings(case, fresh_restart_tables):
    """TensorFlow's float32 index at every golden restart, from a table built anew; building it
    probes float32 steps up to inf, whose overflow is expected and silenced."""
    kw = case["kwargs"]
    steps = np.asarray(case["steps"])
    want = np.asarray(case["values"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tf1.cosine_decay_restarts(global_step=steps, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=2e-5 * max(abs(want)))



def test_huge_t_mul_builds_its_restart_table_without_numpy_warnings(fresh_restart_tables):
    """t_mul=1e30 (a float32): finding the float32 step of the first restart probes
    1 - f (1 - t_mul) beyond the float32 range, an overflow that is expected and silenced.
    The second cycle lasts 1e31 steps: step 15 is just past its peak."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = tf1.cosine_decay_restarts(0.1, None, 10, t_mul=1e30)
        got = [s(5.0), s(10.0), s(15.0)]
    assert tf_float32_index(15.0, 10, 1e30) == 1
    assert got == pytest.approx([0.1 * cosine(0.5), 0.1, 0.1 * cosine(0.5 / 1e30)], rel=1e-12)
