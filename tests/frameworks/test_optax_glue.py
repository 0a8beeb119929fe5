"""lrkit schedules are optax schedules: real optax optimizers under jax.jit."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit  # noqa: E402
from lrkit.jax import optax_schedule, per_label  # noqa: E402


def _data():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    return jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)


def _loss(params, x, y):
    logits = x @ params["w"] + params["b"]
    return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, y))


def test_sgd_step_is_minus_lr_times_grad_under_jit():
    x, y = _data()
    sched = lrkit.warmup(lrkit.Cosine(0.5, 50), 10)
    opt = optax.sgd(optax_schedule(sched))
    params = {"w": jnp.zeros(x.shape[1]), "b": jnp.zeros(())}
    state = opt.init(params)

    @jax.jit
    def step(params, state):
        g = jax.grad(_loss)(params, x, y)
        upd, state = opt.update(g, state, params)
        return optax.apply_updates(params, upd), state, g, upd

    losses = []
    for t in range(60):
        params, state, g, upd = step(params, state)
        np.testing.assert_allclose(np.asarray(upd["w"]), -sched(t) * np.asarray(g["w"]), rtol=2e-5, atol=1e-9)
        losses.append(float(_loss(params, x, y)))
    assert losses[-1] < 0.2 < losses[0] or losses[-1] < losses[0] * 0.5


def test_per_label_rates_and_frozen_label():
    x, y = _data()
    labels = {"w": "body", "b": "frozen"}
    tx = per_label(optax.sgd, {"body": lrkit.Constant(0.1), "frozen": None}, labels)
    params = {"w": jnp.zeros(x.shape[1]), "b": jnp.asarray(0.3)}
    state = tx.init(params)
    g = jax.grad(_loss)(params, x, y)
    upd, state = jax.jit(tx.update)(g, state, params)
    np.testing.assert_allclose(np.asarray(upd["w"]), -0.1 * np.asarray(g["w"]), rtol=1e-6)
    assert float(upd["b"]) == 0.0
    with pytest.raises(TypeError, match="schedule must be an lrkit Schedule"):
        optax_schedule(0.1)
    with pytest.raises(ValueError, match="schedules must be a non-empty mapping"):
        per_label(optax.sgd, {}, labels)
