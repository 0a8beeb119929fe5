"""lrkit.jax.scheduled: any hyperparameter of a real optax optimizer on an lrkit schedule."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit  # noqa: E402
from lrkit.jax import hyperparams, scheduled  # noqa: E402


def _problem():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(64, 5)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(64,)), jnp.float32)
    params = {"w": jnp.asarray(rng.normal(size=(5,)), jnp.float32), "b": jnp.zeros((), jnp.float32)}

    def loss(p):
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    return params, loss


def test_every_hyperparameter_follows_its_schedule_and_updates_equal_adamw_at_those_values():
    params, loss = _problem()
    lr = lrkit.warmup(lrkit.Cosine(0.05, 40), 5)
    b1 = lrkit.Linear(0.8, 0.95, 40)
    wd = lrkit.Linear(0.0, 0.1, 40)
    tx = scheduled(optax.adamw, learning_rate=lr, b1=b1, weight_decay=wd, b2=0.99)
    state = tx.init(params)
    ref_state = optax.adamw(0.1).init(params)

    @jax.jit
    def step(p, s):
        g = jax.grad(loss)(p)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, g, u

    for t in range(40):
        before = params
        params, state, g, u = step(params, state)
        # the oracle: adamw built with this step's values, on the same gradient and parameters
        ref = optax.adamw(lr(t), b1=b1(t), b2=0.99, weight_decay=wd(t))
        want, ref_state = ref.update(g, ref_state, before)
        hp = hyperparams(state)
        np.testing.assert_allclose(float(hp["learning_rate"]), lr(t), rtol=1e-6)
        np.testing.assert_allclose(float(hp["b1"]), b1(t), rtol=1e-6)
        np.testing.assert_allclose(float(hp["weight_decay"]), wd(t), rtol=1e-6, atol=1e-12)
        for k in params:
            np.testing.assert_allclose(np.asarray(u[k]), np.asarray(want[k]), rtol=2e-5,
                                       atol=1e-6 * lr(t))
    assert float(loss(params)) < 0.5 * float(loss(_problem()[0]))


def test_one_cycle_momentum_curve_equals_torch_onecycle_for_sgd_and_adam():
    torch = pytest.importorskip("torch")
    sched = lrkit.OneCycle(0.1, 30)
    for make, tmake, key in ((optax.sgd, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), "momentum"),
                             (optax.adam, lambda p: torch.optim.Adam(p, lr=0.1), "b1")):
        tx = scheduled(make, learning_rate=sched)
        p = {"w": jnp.ones(2)}
        state = tx.init(p)
        upd = jax.jit(tx.update)
        topt = tmake([torch.nn.Parameter(torch.ones(2))])
        tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=30)
        for _ in range(29):
            _, state = upd(p, state, p)
            g = topt.param_groups[0]
            want_m = g["momentum"] if key == "momentum" else g["betas"][0]
            np.testing.assert_allclose(float(state.hyperparams["learning_rate"]), g["lr"], rtol=1e-5)
            np.testing.assert_allclose(float(state.hyperparams[key]), want_m, rtol=1e-6)  # float32
            topt.step()
            tsched.step()
    # no momentum curve when it is switched off or given explicitly
    assert "b1" not in scheduled(optax.sgd, learning_rate=sched).init({"w": jnp.ones(1)}).hyperparams
    st = scheduled(optax.adam, learning_rate=sched, cycle_momentum=False).init({"w": jnp.ones(1)})
    assert float(st.hyperparams["b1"]) == pytest.approx(0.9)
    st = scheduled(optax.adam, learning_rate=sched, b1=0.5).init({"w": jnp.ones(1)})
    assert float(st.hyperparams["b1"]) == pytest.approx(0.5)


def test_hyperparams_reads_values_inside_multi_transform():
    params = {"body": jnp.ones(3), "head": jnp.ones(2)}
    tx = optax.multi_transform({"a": scheduled(optax.sgd, learning_rate=lrkit.Linear(1.0, 0.0, 10)),
                                "b": scheduled(optax.adam, learning_rate=lrkit.Constant(0.3))},
                               {"body": "a", "head": "b"})
    state = tx.init(params)
    for _ in range(3):
        _, state = jax.jit(tx.update)(params, state, params)
    hp = hyperparams(state)
    assert hp["a/learning_rate"] == pytest.approx(0.8, rel=1e-6)
    assert hp["b/learning_rate"] == pytest.approx(0.3, rel=1e-6)


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="make must be an optax optimizer factory"):
        scheduled(0.1, learning_rate=0.1)
    with pytest.raises(TypeError, match="b3 is not an argument of adamw; its arguments are learning_rate"):
        scheduled(optax.adamw, learning_rate=0.1, b3=0.5)
    with pytest.raises(ValueError, match="the schedule for b1 must be in \\[0, 1\\) at every step, got 1.0"):
        scheduled(optax.adam, learning_rate=0.1, b1=lrkit.Linear(0.9, 1.0, 10))
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0, got -0.1"):
        scheduled(optax.sgd, learning_rate=-0.1)
    with pytest.raises(TypeError, match="cycle_momentum must be True or False"):
        scheduled(optax.sgd, learning_rate=0.1, cycle_momentum=1)
