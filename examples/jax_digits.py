"""Per-layer rates with JAX, optax and Flax NNX on scikit-learn's digits.

Rules -> groups -> ONE optax optimizer -> training: a small transformer-like network (each of
the 8 pixel rows is a token) with

* a frozen embedding (``{"embed": "freeze"}``: ``optax.set_to_zero``),
* layer-wise rate decay over its numbered blocks (``layers/0``, ``layers/1``, ...),
* no weight decay for biases and norm scales,
* warmup + cosine on the rate,

trained with one jitted step; the per-leaf rates are logged step by step from the optimizer
state (``groups.leaf_values``). ``tests/jax/test_example_digits.py`` checks that they equal the
per-parameter rates ``lrkit.torch.layer_decay`` + ``lrkit.torch.Scheduler`` give a PyTorch model
with the same layout and the same config.

Run:  python examples/jax_digits.py   (a few seconds on a CPU; no downloads)
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from sklearn.datasets import load_digits

import lrkit
from lrkit.jax import layer_decay

CONFIG = {"peak": 1e-2, "warmup": 20, "steps": 200, "decay": 0.7, "weight_decay": 0.05,
          "rules": {"embed": "freeze"}, "width": 32, "layers": 3}


def schedule(config: dict[str, Any]) -> lrkit.Schedule:
    return lrkit.warmup(lrkit.Cosine(config["peak"], config["steps"] - config["warmup"]), config["warmup"])


class Block(nnx.Module):
    def __init__(self, width: int, rngs: nnx.Rngs) -> None:
        self.linear = nnx.Linear(width, width, rngs=rngs)
        self.norm = nnx.LayerNorm(width, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return x + self.norm(jax.nn.gelu(self.linear(x)))


class Net(nnx.Module):
    def __init__(self, width: int, layers: int, rngs: nnx.Rngs) -> None:
        self.embed = nnx.Linear(8, width, rngs=rngs)
        self.layers = nnx.List([Block(width, rngs) for _ in range(layers)])
        self.head = nnx.Linear(width, 10, rngs=rngs)

    def __call__(self, images: jax.Array) -> jax.Array:
        x = self.embed(images.reshape(images.shape[0], 8, 8))
        for block in self.layers:
            x = block(x)
        return self.head(x.mean(axis=1))


def data(seed: int = 0) -> tuple[jax.Array, ...]:
    x, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(seed).permutation(len(y))
    x, y = jnp.asarray(x[perm] / 16.0, jnp.float32), jnp.asarray(y[perm])
    return x[:1400], y[:1400], x[1400:], y[1400:]


def train(config: dict[str, Any] = CONFIG, seed: int = 0, log_every: int = 1
          ) -> tuple[float, list[dict[str, float]], Any]:
    """Train; return the test accuracy, the per-leaf rates of every logged step and the groups."""
    model = Net(config["width"], config["layers"], nnx.Rngs(seed))
    groups = layer_decay(model, config["decay"], rules=config["rules"])
    tx = groups.optimizer(optax.adamw, schedule(config), weight_decay=config["weight_decay"])
    graphdef, params = nnx.split(model, nnx.Param)
    opt_state = tx.init(params)

    @jax.jit
    def step(params: Any, opt_state: Any, xb: jax.Array, yb: jax.Array) -> tuple[Any, Any, jax.Array]:
        def loss_fn(p: Any) -> jax.Array:
            logits = nnx.merge(graphdef, p)(xb)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    x, y, xt, yt = data(seed)
    rng = np.random.default_rng(seed)
    log = []
    for t in range(config["steps"]):
        idx = rng.choice(len(y), 64, replace=False)
        params, opt_state, loss = step(params, opt_state, x[idx], y[idx])
        if t % log_every == 0:
            log.append({k: float(v) for k, v in groups.leaf_values(opt_state).items()})
    logits = nnx.merge(graphdef, params)(xt)
    return float((logits.argmax(1) == yt).mean()), log, groups


def main() -> None:
    acc, log, groups = train(log_every=50)
    print(groups.table())
    for i, rates in enumerate(log):
        shown = {k: f"{v:.2e}" for k, v in rates.items() if k.endswith("kernel")}
        print(f"step {i * 50:4d}: {shown}")
    print(f"test accuracy: {acc:.3f}")


if __name__ == "__main__":
    main()
