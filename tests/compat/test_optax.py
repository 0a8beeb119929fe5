"""lrkit.compat.optax against optax: golden values written by tests/golden/generate_tf_keras_optax.py
(optax run with jax_enable_x64, compared at rel 1e-12), live checks against the installed optax,
config round-trips and argument checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lrkit
from lrkit.compat import optax as ox

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "optax_golden.json").read_text())


def build(func, kwargs):
    if func == "join_schedules":
        subs = [build(f, k) for f, k in kwargs["schedules"]]
        return ox.join_schedules(subs, kwargs["boundaries"])
    return getattr(ox, func)(**kwargs)


def case_id(case):
    return f"{case['func']}-{GOLDEN.index(case)}"


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_golden_values(case):
    s = build(case["func"], case["kwargs"])
    steps = np.asarray(case["steps"])
    want = np.asarray(case["values"])
    np.testing.assert_allclose(s(steps), want, rtol=1e-12, atol=0)
    # the scalar path gives the same numbers as the vectorised one
    np.testing.assert_allclose([s(int(t)) for t in steps], want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_config_round_trip(case):
    s = build(case["func"], case["kwargs"])
    back = lrkit.from_config(json.loads(json.dumps(s.to_config())))
    assert back == s
    if case["func"] != "join_schedules":  # a config may name the optax constructor itself
        named = lrkit.from_config({"type": f"optax.{case['func']}", **case["kwargs"]})
        steps = np.asarray(case["steps"])
        np.testing.assert_allclose(named(steps), case["values"], rtol=1e-12, atol=0)


def test_every_optax_schedule_has_a_compat_constructor():
    optax = pytest.importorskip("optax")
    missing = [n for n in dir(optax.schedules) if not n.startswith("_") and (
        n.endswith("schedule") or n.endswith("_schedules") or n == "exponential_decay")]
    assert len(missing) >= 13
    missing = [n for n in missing if not hasattr(ox, n)]
    assert missing == []


def test_boundary_convention_is_at_the_step():
    s = ox.piecewise_constant_schedule(1.0, {10: 0.1})
    assert s(9) == 1.0 and s(10) == pytest.approx(0.1, rel=1e-15)


def test_jit_and_torch_backends_agree_with_numpy():
    jax = pytest.importorskip("jax")
    torch = pytest.importorskip("torch")
    s = ox.warmup_cosine_decay_schedule(0.0, 0.1, 10, 100, end_value=0.001)
    steps = np.arange(0, 120, dtype=np.float64)
    ref = s(steps)
    got_jax = np.asarray(jax.jit(s)(jax.numpy.asarray(steps, dtype=jax.numpy.float32)))
    np.testing.assert_allclose(got_jax, ref, rtol=2e-6, atol=1e-8)
    got_torch = s(torch.as_tensor(steps)).numpy()
    np.testing.assert_allclose(got_torch, ref, rtol=1e-12, atol=0)


def test_live_against_installed_optax_float32():
    """optax in its default float32: agreement to float32 precision (rel 1e-6; near zero an
    absolute error of a few float32 ulps of the peak value)."""
    optax = pytest.importorskip("optax")
    jnp = pytest.importorskip("jax.numpy")
    specs = [
        ("warmup_cosine_decay_schedule", dict(init_value=0.0, peak_value=0.1, warmup_steps=10,
                                              decay_steps=100, end_value=0.001)),
        ("exponential_decay", dict(init_value=1.0, transition_steps=7, decay_rate=0.5,
                                   transition_begin=3, staircase=True, end_value=0.01)),
        ("cosine_onecycle_schedule", dict(transition_steps=50, peak_value=0.4)),
        ("linear_onecycle_schedule", dict(transition_steps=50, peak_value=0.4)),
        ("piecewise_constant_schedule", dict(init_value=0.1, boundaries_and_scales={5: 0.5,
                                                                                    20: 0.1})),
    ]
    for name, kw in specs:
        peer = getattr(optax, name)(**kw)
        ours = getattr(ox, name)(**kw)
        steps = range(0, 130, 3)
        want = np.array([float(peer(jnp.asarray(t))) for t in steps])
        peak = float(np.max(np.abs(want)))
        np.testing.assert_allclose(ours(np.asarray(steps)), want, rtol=1e-6, atol=4e-7 * peak,
                                   err_msg=name)


def test_drives_a_real_optax_optimizer_under_jit():
    """The compat schedule is a valid optax learning rate: SGD on a least-squares problem, jitted,
    takes the same steps as with optax's own schedule."""
    optax = pytest.importorskip("optax")
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    x, y = jnp.asarray(x[:128], dtype=jnp.float32), jnp.asarray(y[:128] / 100.0, dtype=jnp.float32)

    def loss(w):
        return jnp.mean((x @ w - y) ** 2)

    def train(schedule):
        opt = optax.sgd(learning_rate=schedule)
        w = jnp.zeros(x.shape[1])
        state = opt.init(w)

        @jax.jit
        def step(w, state):
            g = jax.grad(loss)(w)
            upd, state = opt.update(g, state, w)
            return optax.apply_updates(w, upd), state

        for _ in range(40):
            w, state = step(w, state)
        return w

    kw = dict(init_value=0.0, peak_value=0.5, warmup_steps=5, decay_steps=40)
    w_peer = train(optax.warmup_cosine_decay_schedule(**kw))
    w_ours = train(ox.warmup_cosine_decay_schedule(**kw))
    assert float(loss(w_ours)) < float(loss(jnp.zeros(x.shape[1])))
    np.testing.assert_allclose(np.asarray(w_ours), np.asarray(w_peer), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("call", "exc", "words"), [
    (lambda: ox.piecewise_constant_schedule(0.1, {10: -0.5}), ValueError, "non-negative scale"),
    (lambda: ox.piecewise_interpolate_schedule("cubic", 0.1, {10: 0.5}), ValueError,
     "interpolate_type must be one of"),
    (lambda: ox.piecewise_interpolate_schedule("linear", 0.1, {-3: 0.5}), ValueError,
     "keys must be >= 0"),
    (lambda: ox.cosine_decay_schedule(0.1, 0), ValueError, "decay_steps must be > 0, got 0"),
    (lambda: ox.warmup_cosine_decay_schedule(0.0, 0.1, 10, 10), ValueError,
     "decay_steps must be > warmup_steps"),
    (lambda: ox.warmup_cosine_decay_schedule(0.0, 0.1, 1, 10, end_value=0.2), ValueError,
     "end_value must be <= peak_value"),
    (lambda: ox.exponential_decay(0.1, 10, -0.5), ValueError, "decay_rate must be >= 0"),
    (lambda: ox.linear_schedule(-1.0, 0.0, 10), ValueError, "init_value must be >= 0"),
    (lambda: ox.linear_onecycle_schedule(0, 0.1), ValueError, "transition_steps must be > 0"),
    (lambda: ox.join_schedules([ox.constant_schedule(1.0), lambda t: 0.1], [5]), TypeError,
     "lrkit Schedule"),
    (lambda: ox.join_schedules([ox.constant_schedule(1.0)], [5]), ValueError,
     "one element fewer"),
    (lambda: ox.join_schedules([ox.constant_schedule(1.0)] * 3, [9, 5]), ValueError,
     "strictly increasing"),
    (lambda: ox.sgdr_schedule([dict(init_value=0.0, peak_value=0.1, warmup_steps=1)]),
     TypeError, "decay_steps"),
    (lambda: ox.sgdr_schedule([]), ValueError, "at least one cycle"),
])
def test_bad_arguments_are_rejected_with_the_argument_named(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_optax_degenerate_cases_are_kept():
    # optax: transition_steps <= 0 or decay_rate == 0 -> constant init_value
    assert ox.linear_schedule(0.3, 0.0, 0)(100) == 0.3
    assert ox.exponential_decay(0.3, 10, 0.0)(100) == 0.3
    # a negative transition_begin counts as 0
    assert ox.linear_schedule(1.0, 0.0, 10, transition_begin=-4)(5) == pytest.approx(0.5)


def test_any_valid_piecewise_interpolation_is_finite_non_negative_and_hits_its_knots():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(kind=st.sampled_from(["linear", "cosine"]), init=st.floats(0, 10),
           table=st.dictionaries(st.integers(0, 200), st.floats(0, 4), max_size=5))
    def check(kind, init, table):
        s = ox.piecewise_interpolate_schedule(kind, init, table)
        v = s(np.arange(0, 260, dtype=np.float64))
        assert np.all(np.isfinite(v)) and np.all(v >= 0)
        value = init
        for b in sorted(table):  # at each boundary the value is the cumulative product
            value *= table[b]
            later = [k for k in table if k > b]
            if not later or min(later) > b:
                assert s(b) == pytest.approx(value, rel=1e-12, abs=1e-300)

    check()


def test_config_durations_may_carry_units():
    budget = lrkit.Budget(steps_per_epoch=100, epochs=10)
    s = lrkit.from_config({"type": "optax.warmup_cosine_decay_schedule", "init_value": 0.0,
                           "peak_value": 0.1, "warmup_steps": "1 epoch", "decay_steps": "100%"},
                          budget=budget)
    assert s == ox.warmup_cosine_decay_schedule(0.0, 0.1, 100, 1000)
    k = lrkit.from_config({"type": "keras.CosineDecay", "initial_learning_rate": 0.1,
                           "decay_steps": "50%"}, budget=budget)
    assert k(500) == pytest.approx(0.0, abs=1e-18) and k(250) == pytest.approx(0.05)
    t = lrkit.from_config({"type": "tf1.piecewise_constant", "boundaries": ["2 epochs", 500],
                           "values": [1.0, 0.5, 0.1]}, budget=budget)
    assert (t(200), t(201), t(501)) == (1.0, 0.5, 0.1)


@pytest.mark.parametrize("case", GOLDEN, ids=case_id)
def test_golden_values_under_jax_jit(case):
    """Every compat schedule traces under jax.jit (as optax's own do); float32 precision."""
    jax = pytest.importorskip("jax")
    s = build(case["func"], case["kwargs"])
    steps = jax.numpy.asarray(case["steps"], dtype=jax.numpy.float32)
    got = np.asarray(jax.jit(s)(steps))
    peak = max(abs(v) for v in case["values"])
    np.testing.assert_allclose(got, case["values"], rtol=2e-6, atol=5e-7 * peak)
