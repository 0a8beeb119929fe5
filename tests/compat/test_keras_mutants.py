"""lrkit.compat.keras where the golden cases do not reach: default arguments, the dtype that picks
CosineDecayRestarts' arithmetic, error messages and Keras' serialised form.

Expected values are written by hand from Keras' documented formulas
(``keras.optimizers.schedules``); none is computed with lrkit.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import lrkit
from lrkit.compat import keras as K


def exactly(msg: str) -> str:
    return "^" + re.escape(msg) + "$"


def cosine(x: float) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * x))


# -- defaults: Keras' signatures ------------------------------------------------------------------
def test_polynomial_defaults_end_at_1e_4_linearly_without_cycle():
    mid = (0.1 - 0.0001) * 0.5 + 0.0001
    s = K.PolynomialDecay(0.1, 10)
    assert s(5) == pytest.approx(mid, rel=1e-12)
    assert s(15) == pytest.approx(0.0001, rel=1e-12)
    named = lrkit.from_config({"type": "keras.PolynomialDecay", "initial_learning_rate": 0.1,
                               "decay_steps": 10})
    assert named(15) == pytest.approx(0.0001, rel=1e-12)


def test_inverse_time_default_is_smooth():
    assert K.InverseTimeDecay(0.1, 10, 0.5)(15) == pytest.approx(0.1 / 1.75, rel=1e-12)
    assert K.InverseTimeDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.1 / 1.5, rel=1e-12)


def test_exponential_default_is_smooth():
    assert K.ExponentialDecay(0.1, 10, 0.5)(15) == pytest.approx(0.1 * 0.5**1.5, rel=1e-12)


def test_cosine_warmup_defaults_to_no_warmup_steps():
    """warmup_steps=0: with a warmup_target the decay starts at the target at step 0."""
    s = K.CosineDecay(0.0, 100, warmup_target=0.2)
    assert s(0) == pytest.approx(0.2, rel=1e-12)
    assert s(50) == pytest.approx(0.1, rel=1e-12)


def test_cosine_warmup_is_linear_and_the_decay_counts_from_its_end():
    s = K.CosineDecay(0.02, 100, alpha=0.5, warmup_target=0.2, warmup_steps=20)
    assert s(5) == pytest.approx(0.02 + 0.18 * 0.25, rel=1e-12)
    assert s(70) == pytest.approx(0.2 * (0.5 * cosine(0.5) + 0.5), rel=1e-12)


def test_cosine_decay_restarts_defaults():
    """t_mul=2, m_mul=1, alpha=0: cycles [0, 10), [10, 30), [30, 70)."""
    s = K.CosineDecayRestarts(0.1, 10)
    want = {5: 0.1 * cosine(0.5), 10: 0.1, 25: 0.1 * cosine(0.75), 30: 0.1, 50: 0.1 * cosine(0.5)}
    for t, v in want.items():
        assert s(t) == pytest.approx(v, rel=1e-9, abs=1e-15), t


def test_piecewise_switches_after_the_boundary_in_a_config():
    s = lrkit.from_config({"type": "keras.PiecewiseConstantDecay", "boundaries": [10],
                           "values": [1.0, 0.5]})
    assert (s(10), s(10.5)) == (1.0, 0.5)


# -- the dtype of initial_learning_rate -----------------------------------------------------------
def test_restarts_compute_in_float32_unless_the_rate_is_a_float64():
    """Keras computes in the dtype of initial_learning_rate. At step 2420 (first_decay_steps=20,
    t_mul=3) float32's log index hits the 5th restart, float64's log(243)/log(3) = 4.999...
    does not. A NumPy float32 rate is float32, like a Python float."""
    for rate in (0.5, np.float32(0.5)):
        assert K.CosineDecayRestarts(rate, 20, t_mul=3.0, m_mul=0.8)(2420) == pytest.approx(
            0.5 * 0.8**5, rel=1e-7), type(rate)
    assert K.CosineDecayRestarts(np.float64(0.5), 20, t_mul=3.0, m_mul=0.8)(2420) == pytest.approx(
        0.0, abs=1e-12)


def test_restarts_with_an_integer_rate_are_float32():
    assert K.CosineDecayRestarts(1, 20, t_mul=3.0, m_mul=0.8)(2420) == pytest.approx(0.8**5, rel=1e-7)


# -- error messages ---------------------------------------------------------------------------------
ERRORS = [
    (lambda: K.ExponentialDecay(-1, 10, 0.5), ValueError,
     "keras.ExponentialDecay: initial_learning_rate must be >= 0, got -1"),
    (lambda: K.ExponentialDecay(0.1, 0, 0.5), ValueError,
     "keras.ExponentialDecay: decay_steps must be > 0, got 0"),
    (lambda: K.ExponentialDecay(0.1, 10, -0.5), ValueError,
     "keras.ExponentialDecay: decay_rate must be >= 0, got -0.5"),
    (lambda: K.ExponentialDecay(0.1, 10, 0.5, staircase="yes"), TypeError,
     "keras.ExponentialDecay: staircase must be True or False, got 'yes'"),
    (lambda: K.PiecewiseConstantDecay("ab", [1.0]), TypeError,
     "keras.PiecewiseConstantDecay: boundaries must be a list of numbers, got 'ab'"),
    (lambda: K.PiecewiseConstantDecay([1.0], "ab"), TypeError,
     "keras.PiecewiseConstantDecay: values must be a list of numbers, got 'ab'"),
    (lambda: K.PiecewiseConstantDecay([10, 20], [1.0]), ValueError,
     "keras.PiecewiseConstantDecay: the length of boundaries must be 1 less than the length of values, "
     "got 2 boundaries and 1 values"),
    (lambda: K.PolynomialDecay(-1, 10), ValueError,
     "keras.PolynomialDecay: initial_learning_rate must be >= 0, got -1"),
    (lambda: K.PolynomialDecay(0.1, 10, cycle=1), TypeError,
     "keras.PolynomialDecay: cycle must be True or False, got 1"),
    (lambda: K.InverseTimeDecay(-1, 10, 0.5), ValueError,
     "keras.InverseTimeDecay: initial_learning_rate must be >= 0, got -1"),
    (lambda: K.InverseTimeDecay(0.1, 0, 0.5), ValueError,
     "keras.InverseTimeDecay: decay_steps must be > 0, got 0"),
    (lambda: K.InverseTimeDecay(0.1, 10, -1), ValueError,
     "keras.InverseTimeDecay: decay_rate must be >= 0, got -1"),
    (lambda: K.InverseTimeDecay(0.1, 10, 0.5, "no"), TypeError,
     "keras.InverseTimeDecay: staircase must be True or False, got 'no'"),
    (lambda: K.CosineDecay(-0.1, 10), ValueError,
     "keras.CosineDecay: initial_learning_rate must be >= 0, got -0.1"),
    (lambda: K.CosineDecay(0.1, 0), ValueError, "keras.CosineDecay: decay_steps must be > 0, got 0"),
    (lambda: K.CosineDecay(0.1, 10, alpha=2), ValueError,
     "keras.CosineDecay: alpha must be in [0, 1], got 2"),
    (lambda: K.CosineDecay(0.1, 10, warmup_target=-1.0), ValueError,
     "keras.CosineDecay: warmup_target must be >= 0, got -1.0"),
    (lambda: K.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), ValueError,
     "keras.CosineDecay: warmup_steps must be >= 0, got -1"),
    (lambda: K.CosineDecayRestarts(-1, 10), ValueError,
     "keras.CosineDecayRestarts: initial_learning_rate must be >= 0, got -1"),
    (lambda: K.CosineDecayRestarts(0.1, 0), ValueError,
     "keras.CosineDecayRestarts: first_decay_steps must be > 0, got 0"),
    (lambda: K.CosineDecayRestarts(0.1, 10, t_mul=0.5), ValueError,
     "keras.CosineDecayRestarts: t_mul must be >= 1, got 0.5"),
    (lambda: K.CosineDecayRestarts(0.1, 10, m_mul=-1), ValueError,
     "keras.CosineDecayRestarts: m_mul must be >= 0, got -1"),
    (lambda: K.CosineDecayRestarts(0.1, 10, alpha=1.5), ValueError,
     "keras.CosineDecayRestarts: alpha must be in [0, 1], got 1.5"),
    (lambda: K.CosineDecayRestarts(0.1, 1e39), ValueError,
     "keras.CosineDecayRestarts: first_decay_steps must fit a float32 (<= 3.4e38), got 1e+39"),
    (lambda: K.LegacySGDDecay(-0.1, 0.1), ValueError,
     "keras.LegacySGDDecay: learning_rate must be >= 0, got -0.1"),
    (lambda: K.LegacySGDDecay({"type": "nope"}, 0.1), ValueError,
     "keras.LegacySGDDecay: learning_rate: unknown schedule type 'nope' (`lrkit list` shows every name)"),
    (lambda: K.from_keras_config(5), TypeError,
     "keras.from_keras_config: config must be a mapping with 'class_name' and 'config' keys, got 5"),
    (lambda: K.from_keras_config({"config": {}}), TypeError,
     "keras.from_keras_config: config must be a mapping with 'class_name' and 'config' keys, got "
     "{'config': {}}"),
    (lambda: K.from_keras_config({"class_name": "X", "config": {}}), ValueError,
     "keras.from_keras_config: class_name must be one of 'ExponentialDecay', 'PiecewiseConstantDecay', "
     "'PolynomialDecay', 'InverseTimeDecay', 'CosineDecay', 'CosineDecayRestarts', 'LegacySGDDecay', "
     "got 'X'"),
    (lambda: K.from_keras_config({"class_name": "CosineDecay", "config": 3}), TypeError,
     "keras.from_keras_config: config['config'] must be a mapping, got 3"),
]


@pytest.mark.parametrize(("call", "exc", "msg"), ERRORS, ids=[e[2].split(":")[0] + "-" + str(i)
                                                            for i, e in enumerate(ERRORS)])
def test_bad_arguments_are_named_with_their_class(call, exc, msg):
    with pytest.raises(exc, match=exactly(msg)):
        call()


def test_float64_restarts_take_what_float32_cannot_hold():
    s = K.CosineDecayRestarts(np.float64(0.1), 1e39)
    assert s(5e38) == pytest.approx(0.1 * cosine(0.5), rel=1e-9)


def test_serialised_form_without_config_calls_the_class_with_no_arguments():
    """Keras' form always has 'config'; without it the class is called bare and names what is
    missing."""
    with pytest.raises(TypeError, match="missing 3 required positional arguments: 'initial_learning_rate', "
                                        "'decay_steps', and 'decay_rate'"):
        K.from_keras_config({"class_name": "ExponentialDecay"})


def test_serialised_form_round_trip():
    s = K.from_keras_config({"class_name": "InverseTimeDecay",
                             "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
                                        "staircase": False, "name": "InverseTimeDecay"}})
    assert s(15) == pytest.approx(0.1 / 1.75, rel=1e-12)
