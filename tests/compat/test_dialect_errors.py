"""Every numeric argument of every tf1, keras and optax dialect function, given bad values:
the error names the argument as that dialect spells it, with the dialect's own name first
(``tf1.exponential_decay: decay_steps must be > 0, got 0``); never an lrkit-internal name.
Inputs the peer library accepts are accepted (``must_accept``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrkit
from lrkit.compat import keras as K
from lrkit.compat import optax as O
from lrkit.compat import tf1

BAD = [-1.0, 0.0, -1e-300, math.nan, math.inf, -math.inf, "x", True, 1e300]

# dialect name -> (callable taking keyword arguments, valid keyword arguments)
TF1 = {
    "exponential_decay": dict(learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    "polynomial_decay": dict(learning_rate=0.1, decay_steps=10, end_learning_rate=0.001,
                             power=2.0),
    "natural_exp_decay": dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "inverse_time_decay": dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "cosine_decay": dict(learning_rate=0.1, decay_steps=10, alpha=0.1),
    "cosine_decay_restarts": dict(learning_rate=0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.9,
                                  alpha=0.1),
    "linear_cosine_decay": dict(learning_rate=0.1, decay_steps=10, num_periods=0.5, alpha=0.1,
                                beta=0.001),
    "noisy_linear_cosine_decay": dict(learning_rate=0.1, decay_steps=10, initial_variance=1.0,
                                      variance_decay=0.55, num_periods=0.5, alpha=0.1, beta=0.001),
}
KERAS = {
    "ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    "PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=10, end_learning_rate=0.001,
                            power=2.0),
    "InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "CosineDecay": dict(initial_learning_rate=0.1, decay_steps=10, alpha=0.1, warmup_target=0.2,
                        warmup_steps=5),
    "CosineDecayRestarts": dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=2.0,
                                m_mul=0.9, alpha=0.1),
    "LegacySGDDecay": dict(learning_rate=0.1, decay=0.01),
}
OPTAX = {
    "constant_schedule": dict(value=0.1),
    "linear_schedule": dict(init_value=0.1, end_value=0.01, transition_steps=10,
                            transition_begin=2),
    "polynomial_schedule": dict(init_value=0.1, end_value=0.01, power=2.0, transition_steps=10,
                                transition_begin=2),
    "exponential_decay": dict(init_value=0.1, transition_steps=10, decay_rate=0.9,
                              transition_begin=2, end_value=0.01),
    "cosine_decay_schedule": dict(init_value=0.1, decay_steps=10, alpha=0.1, exponent=1.5),
    "warmup_constant_schedule": dict(init_value=0.0, peak_value=0.1, warmup_steps=5),
    "warmup_cosine_decay_schedule": dict(init_value=0.0, peak_value=0.1, warmup_steps=5,
                                         decay_steps=50, end_value=0.001, exponent=1.0),
    "warmup_exponential_decay_schedule": dict(init_value=0.0, peak_value=0.1, warmup_steps=5,
                                              transition_steps=10, decay_rate=0.5,
                                              transition_begin=2, end_value=0.01),
    "linear_onecycle_schedule": dict(transition_steps=100, peak_value=0.1, pct_start=0.3,
                                     pct_final=0.85, div_factor=25.0, final_div_factor=1e4),
    "cosine_onecycle_schedule": dict(transition_steps=100, peak_value=0.1, pct_start=0.3,
                                     div_factor=25.0, final_div_factor=1e4),
}


def _tf1(name):
    fn = getattr(tf1, name)
    return lambda **kw: fn(global_step=None, **kw)


CASES = ([(f"tf1.{n}", _tf1(n), kw) for n, kw in TF1.items()]
         + [(f"keras.{n}", getattr(K, n), kw) for n, kw in KERAS.items()]
         + [(f"optax.{n}", getattr(O, n), kw) for n, kw in OPTAX.items()])
ARGS = [(owner, fn, kw, arg) for owner, fn, kw in CASES for arg in kw]


@pytest.mark.parametrize(("owner", "fn", "kw", "arg"), ARGS,
                         ids=[f"{o}-{a}" for o, _, _, a in ARGS])
def test_bad_values_name_the_dialects_argument(owner, fn, kw, arg):
    assert isinstance(fn(**kw), lrkit.Schedule)  # the base arguments are valid
    for bad in BAD:
        try:
            s = fn(**{**kw, arg: bad})
        except (ValueError, TypeError) as exc:
            msg = str(exc)
            assert msg.startswith(f"{owner}: "), (bad, msg)
            assert f"{arg}" in msg.split(":", 1)[1].split(" must")[0] or f" {arg}=" in msg, (bad, msg)
            continue
        # accepted: only a finite number, giving finite non-negative values (a growing
        # schedule, e.g. decay_rate > 1 as in the peer, may overflow far out: steps 0, 1, 5)
        assert isinstance(bad, float) and math.isfinite(bad), (arg, bad, "accepted")
        values = s(np.array([0.0, 1.0, 5.0]))
        assert np.all(np.isfinite(values)) and np.all(values >= 0), (arg, bad, values)


@pytest.mark.parametrize(("call", "want"), [
    # TensorFlow: exp(-800) underflows to 0, so the rate is learning_rate at step 0, then 0
    (lambda: tf1.natural_exp_decay(0.1, None, 10, 800), [0.1, 0.0, 0.0, 0.0]),
    (lambda: tf1.natural_exp_decay(0.1, None, 10, 800, staircase=True), [0.1, 0.1, 0.0, 0.0]),
    (lambda: tf1.natural_exp_decay(0.1, None, 10, 0.0), [0.1, 0.1, 0.1, 0.1]),
    (lambda: K.ExponentialDecay(0.1, 10, 0.0), [0.1, 0.0, 0.0, 0.0]),  # 0.0 ** (t / T)
    (lambda: K.ExponentialDecay(0.1, 10, 0.0, staircase=True), [0.1, 0.1, 0.0, 0.0]),
    (lambda: tf1.exponential_decay(0.1, None, 10, 0.0), [0.1, 0.0, 0.0, 0.0]),
    (lambda: tf1.polynomial_decay(0.1, None, 10, 0.0, power=0.0), [0.1, 0.1, 0.1, 0.1]),
    (lambda: K.PolynomialDecay(0.1, 10, 0.2, power=1.0), [0.1, 0.11, 0.2, 0.2]),
    (lambda: tf1.polynomial_decay(0.1, None, 10, 0.2, power=1.0), [0.1, 0.11, 0.2, 0.2]),
])
def test_must_accept_what_the_peer_accepts(call, want):
    np.testing.assert_allclose(call()(np.array([0.0, 1.0, 10.0, 20.0])), want, rtol=1e-12,
                               atol=1e-300)
