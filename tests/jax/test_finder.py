"""lrkit.jax.find_lr: a pure train step, compiled once, the caller's state untouched."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

from lrkit.finder import FinderResult  # noqa: E402
from lrkit.jax import find_lr  # noqa: E402


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = jnp.asarray(x / 16.0, jnp.float32)
    y = jnp.asarray(y)
    return [(x[i:i + 128], y[i:i + 128]) for i in range(0, 1280, 128)]


def _model():
    rng = np.random.default_rng(0)
    f32 = jnp.float32  # explicit: under jax_enable_x64 the default would be float64
    params = {"w1": jnp.asarray(rng.normal(size=(64, 32)) * 0.1, f32), "b1": jnp.zeros(32, f32),
              "w2": jnp.asarray(rng.normal(size=(32, 10)) * 0.1, f32), "b2": jnp.zeros(10, f32)}

    def loss_fn(p, x, y):
        h = jax.nn.relu(x @ p["w1"] + p["b1"])
        return optax.softmax_cross_entropy_with_integer_labels(h @ p["w2"] + p["b2"], y).mean()

    return params, loss_fn


def test_compiled_once_pure_and_a_sensible_suggestion():
    params, loss_fn = _model()
    tx = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)
    opt_state = tx.init(params)
    traces = []

    def train_step(p, s, batch, lr):
        traces.append(1)
        s.hyperparams["learning_rate"] = lr
        loss, g = jax.value_and_grad(loss_fn)(p, *batch)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    before = jax.tree_util.tree_map(np.array, (params, opt_state))
    res = find_lr(train_step, params, opt_state, _digits(), start=1e-5, end=10.0, num_steps=60,
                  target="constant", settle=True)
    assert isinstance(res, FinderResult)
    assert len(traces) == 1  # one compilation for every rate, the settled sweep included
    assert res.settled is not None
    for a, b in zip(jax.tree_util.tree_leaves(before), jax.tree_util.tree_leaves((params, opt_state))):
        np.testing.assert_array_equal(a, np.asarray(b))
    lr = res.suggest()
    assert 1e-4 < lr < 1.0
    assert res.losses[0] == pytest.approx(float(loss_fn(params, *_digits()[0])), rel=1e-5)


def test_donating_step_and_per_device_losses_are_averaged():
    params, loss_fn = _model()
    opt_state = optax.sgd(1.0).init(params)

    @jax.jit
    def plain(p, s, batch, lr):
        loss, g = jax.value_and_grad(loss_fn)(p, *batch)
        return jax.tree_util.tree_map(lambda a, b: a - lr * b, p, g), s, loss

    # the same step, returning the loss of each half batch (two "devices"), and donating
    def halves(p, s, batch, lr):
        x, y = batch
        losses = jnp.stack([loss_fn(p, x[:64], y[:64]), loss_fn(p, x[64:], y[64:])])
        loss, g = jax.value_and_grad(lambda q: jnp.mean(jnp.stack(
            [loss_fn(q, x[:64], y[:64]), loss_fn(q, x[64:], y[64:])])))(p)
        return jax.tree_util.tree_map(lambda a, b: a - lr * b, p, g), s, losses

    donating = jax.jit(halves, donate_argnums=(0,))
    a = find_lr(plain, params, opt_state, _digits(), start=1e-3, end=10.0, num_steps=30)
    b = find_lr(donating, params, opt_state, _digits(), start=1e-3, end=10.0, num_steps=30)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-5)
    assert not params["w1"].is_deleted()


def test_bad_input_names_the_argument():
    params, loss_fn = _model()
    with pytest.raises(TypeError, match="train_step must take four arguments \\(params, opt_state, "
                                        "batch, lr\\)"):
        find_lr(lambda p, s, batch: (p, s, 0.0), params, (), _digits())
    with pytest.raises(TypeError, match="train_step must return \\(params, opt_state, loss\\)"):
        find_lr(lambda p, s, b, lr: loss_fn(p, *b), params, (), _digits(), num_steps=5)
    with pytest.raises(TypeError, match="a mismatched pytree"):
        find_lr(lambda p, s, b, lr: ({"w": p["w1"]}, s, loss_fn(p, *b)), params, (), _digits(),
                num_steps=5)
    with pytest.raises(ValueError, match="batches is empty"):
        find_lr(lambda p, s, b, lr: (p, s, 1.0), params, (), [], num_steps=5)
    with pytest.raises(ValueError, match="start must be < end|start"):
        find_lr(lambda p, s, b, lr: (p, s, 1.0), params, (), _digits(), start=1.0, end=0.1)


def test_the_driver_reads_its_curve_with_the_cores_rule_widening_included():
    # issue 15: one rule for every framework (Adam never breaks down by 1e-3 here: widened)
    from tests.finder.replay import assert_core_reads_the_same

    params, loss_fn = _model()
    tx = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)

    def train_step(p, s, batch, lr):
        s.hyperparams["learning_rate"] = lr
        loss, g = jax.value_and_grad(loss_fn)(p, *batch)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    res = find_lr(train_step, params, tx.init(params), _digits(), start=1e-6, end=1e-3, num_steps=40)
    assert len(res.lrs) > 40
    assert res.suggest(target="one_cycle") > 0 and res.suggest(target="constant") > 0
    assert_core_reads_the_same(res, start=1e-6, end=1e-3, num_steps=40)



def test_stretch_reaches_the_core_a_loss_that_never_fell_is_tested_again():
    # a state that learns only once the rates it trained at add up to 0.8, broken above 0.1
    # (tests/finder/test_stretch.py's SlowStarter as a pure, jitted train step)
    def train_step(params, opt_state, batch, lr):
        p = params + jnp.where(lr > 0.1, 0.0, lr)
        loss = jnp.where(lr > 0.1, 50.0, jnp.where(p < 0.8, 1.0, 0.2 + 0.8 * jnp.exp(-(p - 0.8) / 0.4)))
        return p, opt_state, loss

    start = jnp.zeros((), jnp.float32)
    one = find_lr(train_step, start, (), [None], stretch=1)
    assert one.suggestion is None and "never went 1% below" in one.reason
    r = find_lr(train_step, start, (), [None])
    assert len(r.lrs) > 100 and r.stop_reason == "spike"
    assert r.suggestion is not None and 0.005 < r.suggestion < 0.1
    assert float(start) == 0.0
