"""lrkit.compat.keras against Keras 3's schedules (and Keras 2 SGD's ``decay``).

Golden values come from tests/golden/generate_tf_keras_optax.py running the real Keras: float64
inputs (rel 1e-12) and Python-float inputs, which Keras computes in float32 (rel 1e-6 with an
absolute floor of a few float32 ulps of the peak). ``LegacySGDDecay`` is checked against the
Keras 2 SGD kept inside TensorFlow, which holds ``decay`` in float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lrkit
from lrkit.compat import keras as K

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "keras_golden.json").read_text())


def tolerances(case):
    if case["dtype"] == "float64":
        return dict(rtol=1e-12, atol=0.0)
    # many restarts: see tests/compat/test_tf1.py (TensorFlow's float32 cancellation)
    floor = 2e-5 if "path" in case else 5e-7
    return dict(rtol=1e-6, atol=floor * max(abs(v) for v in case["values"]))


def as_generated(case):
    """The keyword arguments as the generator passed them to Keras: float64 cases as NumPy
    float64 (Keras then computes in float64, and so does lrkit's dialect)."""
    kw = dict(case["kwargs"])
    if case["dtype"] == "float64":
        kw = {k: np.float64(v) if isinstance(v, float) else v for k, v in kw.items()}
    return kw


def case_id(case):
    return f"{case['func']}-{case['dtype']}-{GOLDEN.index(case)}"


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_golden_values(case):
    s = getattr(K, case["func"])(**as_generated(case))
    steps = np.asarray(case["steps"])
    np.testing.assert_allclose(s(steps), case["values"], **tolerances(case))
    np.testing.assert_allclose([s(float(t)) for t in steps], case["values"], **tolerances(case))


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_config_round_trip(case):
    s = getattr(K, case["func"])(**case["kwargs"])
    assert lrkit.from_config(json.loads(json.dumps(s.to_config()))) == s
    named = lrkit.from_config({"type": f"keras.{case['func']}", **case["kwargs"]})
    np.testing.assert_array_equal(named(np.asarray(case["steps"])), s(np.asarray(case["steps"])))


def exact_restarts(first, t_mul, upto):
    starts, at, length = [], 0.0, float(first)
    while at <= upto:
        starts.append(at)
        at += length
        length *= t_mul
    return starts


def test_restart_index_quirk_is_covered_and_matched():
    """Keras (float64) computes the restart index with log(); at some exact restarts it lands
    one cycle early (the value is the previous cycle's end). The golden set contains such steps;
    compat follows Keras there (test_golden_values) while native CosineRestarts is exact."""
    misses = []
    for case in GOLDEN:
        if case["func"] != "CosineDecayRestarts" or case["dtype"] != "float64":
            continue
        kw = {"first_decay_steps": 10, "t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0, **case["kwargs"]}
        a, al, mm = kw["initial_learning_rate"], kw["alpha"], kw["m_mul"]
        s = K.CosineDecayRestarts(**as_generated(case))
        native = lrkit.CosineRestarts(a, kw["first_decay_steps"], kw["t_mul"], mm, alpha=al)
        starts = exact_restarts(kw["first_decay_steps"], kw["t_mul"], max(case["steps"]))
        for t, v in zip(case["steps"], case["values"]):
            if t in starts:  # an exact restart: native gives the new cycle's peak
                i = starts.index(t)
                assert native(t) == pytest.approx(a * ((1 - al) * mm**i + al), rel=1e-12)
                if abs(v - native(t)) > 1e-9:
                    misses.append((kw["t_mul"], t))
                    assert v == pytest.approx(a * al, rel=1e-9, abs=1e-15)  # previous cycle's end
                    assert s(t) == pytest.approx(v, rel=1e-12, abs=1e-15)
    assert (3.0, 2420.0) in misses


def test_float32_and_float64_keras_differ_at_a_restart_and_lrkit_follows_each():
    """Keras computes in the dtype of initial_learning_rate: with a Python float (float32)
    step 2420 is the 5th restart of (first_decay_steps=20, t_mul=3); with a NumPy float64,
    log(243)/log(3) = 4.999... and it is the 4th cycle's end."""
    f32 = K.CosineDecayRestarts(0.5, 20, t_mul=3.0, m_mul=0.8)
    f64 = K.CosineDecayRestarts(np.float64(0.5), 20, t_mul=3.0, m_mul=0.8)
    assert f32(2420) == pytest.approx(0.5 * 0.8**5, rel=1e-12)
    assert f64(2420) == pytest.approx(0.0, abs=1e-12)
    assert lrkit.from_config(f64.to_config())(2420) == f64(2420)


def test_piecewise_switches_after_the_boundary():
    s = K.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert (s(10), s(11), s(20), s(21)) == (1.0, 0.5, 0.5, 0.1)


def test_cosine_warmup_hands_over_at_the_target():
    s = K.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)
    assert s(0) == 0.0 and s(5) == pytest.approx(0.1) and s(10) == pytest.approx(0.2)
    assert s(110) == pytest.approx(0.02) and s(10_000) == pytest.approx(0.02)


def test_legacy_sgd_decay_is_time_based():
    assert K.LegacySGDDecay(0.1, 0.01) == lrkit.time_based(0.1, 0.01)
    assert K.LegacySGDDecay(0.1, 0.01)(100) == pytest.approx(0.05, rel=1e-15)


def test_legacy_sgd_decay_divides_a_schedule_step_by_step():
    """Keras 2: lr_t = schedule(t) / (1 + decay t) (OptimizerV2._decayed_lr)."""
    base = K.ExponentialDecay(0.1, 100, 0.5, staircase=True)
    s = K.LegacySGDDecay(base, 0.01)
    steps = np.array([0.0, 99.0, 100.0, 250.0, 1000.0])
    np.testing.assert_allclose(s(steps), base(steps) / (1 + 0.01 * steps), rtol=1e-15)
    as_keras = {"class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5,
                           "staircase": True, "name": None}}
    np.testing.assert_array_equal(K.LegacySGDDecay(as_keras, 0.01)(steps), s(steps))
    np.testing.assert_array_equal(K.LegacySGDDecay(base.to_config(), 0.01)(steps), s(steps))
    assert K.LegacySGDDecay(base, 0.0) == base
    assert lrkit.from_config(json.loads(json.dumps(s.to_config()))) == s
    with pytest.raises(ValueError, match="keras.LegacySGDDecay: decay must be >= 0"):
        K.LegacySGDDecay(base, -1.0)


@pytest.mark.parametrize(("call", "exc", "words"), [
    (lambda: K.ExponentialDecay(0.1, 0, 0.9), ValueError, "decay_steps must be > 0, got 0"),
    (lambda: K.CosineDecay(0.1, -5), ValueError, "decay_steps must be > 0, got -5"),
    (lambda: K.CosineDecayRestarts(0.1, 0), ValueError, "first_decay_steps must be > 0"),
    (lambda: K.PiecewiseConstantDecay([10, 20], [1.0]), ValueError, "1 less than the length"),
    (lambda: K.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), ValueError, "increasing"),
    (lambda: K.PolynomialDecay(0.1, 10, power=-1), ValueError, "power must be >= 0"),
    (lambda: K.CosineDecay(0.1, 10, warmup_target=-1.0), ValueError, "warmup_target must be >= 0"),
    (lambda: K.LegacySGDDecay(0.1, -0.01), ValueError, "decay must be >= 0"),
    (lambda: K.from_keras_config({"class_name": "Nope", "config": {}}), ValueError,
     "class_name must be one of"),
])
def test_bad_arguments_are_rejected_with_the_argument_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_live_against_keras_and_its_serialised_form():
    keras = pytest.importorskip("keras")
    sch = keras.optimizers.schedules
    steps = [0.0, 1.0, 9.0, 10.0, 11.0, 55.0, 69.0, 70.0, 71.0, 400.0]
    peers = [
        sch.CosineDecay(np.float64(0.01), 60, alpha=0.05, warmup_target=np.float64(0.3),
                        warmup_steps=10),
        sch.CosineDecayRestarts(np.float64(0.2), 10, t_mul=np.float64(2.0), m_mul=np.float64(0.5),
                                alpha=np.float64(0.1)),
        sch.PolynomialDecay(np.float64(0.2), 10, end_learning_rate=np.float64(0.01),
                            power=np.float64(3.0), cycle=True),
    ]
    for peer in peers:
        cfg = keras.optimizers.schedules.serialize(peer)
        ours = K.from_keras_config(json.loads(json.dumps(cfg, default=float)))
        want = [float(np.asarray(peer(np.float64(t)))) for t in steps]
        dtype = np.asarray(peer(np.float64(1.0))).dtype
        tol = dict(rtol=1e-12, atol=0) if dtype == np.float64 else dict(rtol=1e-6, atol=2e-7)
        np.testing.assert_allclose(ours(np.asarray(steps)), want, err_msg=type(peer).__name__,
                                   **tol)
