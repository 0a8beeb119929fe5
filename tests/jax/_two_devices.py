"""Run by test_multidevice.py in a fresh process with 2 host devices (XLA_FLAGS set before jax
initialises). Data-parallel training with shard_map: every device applies the same rate at
every step, the plateau decides on the metric averaged over devices, and the range test
averages the loss across devices. Prints "OK" at the end."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

import lrkit
from lrkit.jax import find_lr, hyperparams, scheduled
from lrkit.plateau import OnPlateau, Plateau

assert jax.device_count() == 2, jax.devices()
mesh = Mesh(np.array(jax.devices()), ("data",))

rng = np.random.default_rng(0)
x = jnp.asarray(rng.normal(size=(64, 8)), jnp.float32)
w_true = rng.normal(size=(8,))
y = jnp.asarray(x @ w_true + 0.3 * rng.normal(size=64), jnp.float32)
params = {"w": jnp.zeros(8, jnp.float32)}


def loss_fn(p, xb, yb):
    return jnp.mean((xb @ p["w"] - yb) ** 2)


# -- plateau inside a data-parallel step: metric averaged over the device axis -------------
rule = OnPlateau(lrkit.warmup(lrkit.Constant(0.3), 3), patience=1, factor=0.5, threshold=0.1)
tx = scheduled(optax.sgd, learning_rate=rule, axis_name="data")
state = tx.init(params)


def local_step(p, s, xb, yb):
    loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
    g = jax.lax.pmean(g, "data")
    u, s = tx.update(g, s, p, value=loss)  # the local loss: pmean'd inside the plateau
    lr = hyperparams(s)["learning_rate"]
    return optax.apply_updates(p, u), s, loss[None], lr[None]


step = jax.jit(jax.shard_map(local_step, mesh=mesh, in_specs=(P(), P(), P("data"), P("data")),
                             out_specs=(P(), P(), P("data"), P("data")), check_vma=False))
ref = OnPlateau(rule.schedule, patience=1, factor=0.5, threshold=0.1)
for t in range(30):
    params_before = params
    params, state, losses, lrs = step(params, state, x, y)
    lrs = np.asarray(lrs)
    assert lrs.shape == (2,) and lrs[0] == lrs[1], lrs  # same rate on every device
    assert abs(lrs[0] - ref(t)) <= 1e-6 * ref(t), (t, lrs, ref(t))
    ref.observe(t + 1, float(np.mean(np.asarray(losses, np.float32))))
    l0 = float(loss_fn(params_before, x[:32], y[:32]))
    l1 = float(loss_fn(params_before, x[32:], y[32:]))
    assert np.allclose(np.asarray(losses), [l0, l1], rtol=1e-5)
assert ref.scale < 1.0, "the plateau never cut: the test would not test the decision"

# -- GSPMD: jit over sharded inputs, the loss is already global ----------------------------
from jax.sharding import NamedSharding  # noqa: E402

xs = jax.device_put(x, NamedSharding(mesh, P("data")))
ys = jax.device_put(y, NamedSharding(mesh, P("data")))
tx2 = scheduled(optax.sgd, learning_rate=Plateau(0.05, patience=0, factor=0.5))
s2 = tx2.init(params)


@jax.jit
def gspmd_step(p, s, xb, yb):
    loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
    u, s = tx2.update(g, s, p, value=loss)
    return optax.apply_updates(p, u), s, loss


ctl = Plateau(0.05, patience=0, factor=0.5)
p2 = {"w": jnp.zeros(8)}
for _ in range(10):
    want = ctl.lr
    p2, s2, loss = gspmd_step(p2, s2, xs, ys)
    assert abs(float(hyperparams(s2)["learning_rate"]) - want) <= 1e-6 * want
    ctl.step(float(loss))

# -- the range test on a data-parallel step: per-device losses averaged ---------------------
sgd = optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)


def local_train(p, s, xb, yb, lr):
    loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
    g = jax.lax.pmean(g, "data")
    s.hyperparams["learning_rate"] = lr
    u, s = sgd.update(g, s, p)
    return optax.apply_updates(p, u), s, loss[None]


dp = jax.shard_map(local_train, mesh=mesh, in_specs=(P(), P(), P("data"), P("data"), P()),
                   out_specs=(P(), P(), P("data")), check_vma=False)


def dp_step(p, s, batch, lr):
    return dp(p, s, batch[0], batch[1], lr)


def single_step(p, s, batch, lr):
    loss, g = jax.value_and_grad(lambda q: 0.5 * (loss_fn(q, batch[0][:32], batch[1][:32])
                                                  + loss_fn(q, batch[0][32:], batch[1][32:])))(p)
    s.hyperparams["learning_rate"] = lr
    u, s = sgd.update(g, s, p)
    return optax.apply_updates(p, u), s, loss


batches = [(x, y)]
start = {"w": jnp.zeros(8)}
a = find_lr(dp_step, start, sgd.init(start), batches, start=1e-4, end=10.0, num_steps=25)
b = find_lr(single_step, start, sgd.init(start), batches, start=1e-4, end=10.0, num_steps=25)
np.testing.assert_allclose(a.losses, b.losses, rtol=1e-4)
assert len(a.losses) > 10
print("OK")
