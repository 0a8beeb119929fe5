"""The grouped optax transformation against a plain ``optax.adamw``, under ``jax.jit``.

A small transformer-like parameter tree (embedding, ``layers_0..layers_{L-1}`` blocks with
dense kernels, biases and norm scales, a head). Times one jitted update
(``tx.update`` + ``optax.apply_updates``) of

* ``plain``   -- ``optax.adamw(schedule, weight_decay=0.05)`` on every leaf (no groups, decay on
  every leaf: the cheapest possible baseline);
* ``grouped`` -- ``lrkit.jax.layer_decay(params, 0.75).optimizer(optax.adamw, schedule,
  weight_decay=0.05)``: per-layer rates, no decay for biases/norms/embeddings, one
  ``multi_transform`` with one labelled adamw per group;
* ``per-group`` -- the same with ``fuse=False`` (one adamw per group; exact for any optimizer);
* ``optax-masked`` -- the usual hand-written optax equivalent of the no-decay part only
  (``optax.adamw(..., mask=...)``), for reference;

prints the median time per update, the ratio grouped / plain (target <= 1.10) and the number
of traces of each jitted step over the whole timed run (target: 1).

Run: ``.venv/bin/python benchmarks/bench_jax_groups.py [--layers 12] [--width 256] [--steps 200]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrkit
from lrkit.jax import layer_decay


def make_params(layers: int, width: int) -> dict:
    rng = np.random.default_rng(0)

    def a(*shape: int) -> jax.Array:
        return jnp.asarray(rng.normal(size=shape) * 0.02, jnp.float32)

    p = {"embed": {"embedding": a(1000, width)}}
    for i in range(layers):
        p[f"layers_{i}"] = {"Dense_0": {"kernel": a(width, 4 * width), "bias": a(4 * width)},
                            "Dense_1": {"kernel": a(4 * width, width), "bias": a(width)},
                            "LayerNorm_0": {"scale": a(width), "bias": a(width)}}
    p["head"] = {"kernel": a(width, 10), "bias": a(10)}
    return p


def timed(tx: optax.GradientTransformation, params: dict, steps: int, repeats: int) -> tuple[float, int]:
    traces = []

    @jax.jit
    def step(p, s, g):
        traces.append(1)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    grads = jax.tree_util.tree_map(lambda x: jnp.full_like(x, 1e-3), params)
    p, s = params, tx.init(params)
    p, s = step(p, s, grads)
    jax.block_until_ready(p)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            p, s = step(p, s, grads)
        jax.block_until_ready(p)
        times.append((time.perf_counter() - t0) / steps)
    return statistics.median(times), len(traces)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    params = make_params(args.layers, args.width)
    sched = lrkit.warmup(lrkit.Cosine(1e-3, 100_000), 1000)
    groups = layer_decay(params, 0.75)
    n_leaves = len(jax.tree_util.tree_leaves(params))
    mask = jax.tree_util.tree_map(lambda x: x.ndim > 1, params)
    txs = {
        "plain": optax.adamw(sched, weight_decay=0.05),
        "optax-masked": optax.adamw(sched, weight_decay=0.05, mask=mask),
        "grouped": groups.optimizer(optax.adamw, sched, weight_decay=0.05),
        "per-group": groups.optimizer(optax.adamw, sched, weight_decay=0.05, fuse=False),
    }
    print(f"{n_leaves} leaves, {len(groups.groups)} groups, {args.layers} layers of width {args.width}; "
          f"jax {jax.__version__}, optax {optax.__version__}, backend {jax.default_backend()}")
    res = {name: timed(tx, params, args.steps, args.repeats) for name, tx in txs.items()}
    for name, (t, traces) in res.items():
        print(f"  {name:13s} {t * 1e3:8.3f} ms/update   traces: {traces}")
    print(f"ratio grouped / plain adamw:        {res['grouped'][0] / res['plain'][0]:.3f}  (target <= 1.10)")
    print(f"ratio grouped / optax masked adamw: {res['grouped'][0] / res['optax-masked'][0]:.3f}")
    print(f"ratio per-group (fuse=False) / plain adamw: {res['per-group'][0] / res['plain'][0]:.3f}")


if __name__ == "__main__":
    main()
