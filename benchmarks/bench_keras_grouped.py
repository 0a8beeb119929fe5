"""The grouped optimizer's training step against the plain optimizer's, per Keras backend.

    .venv/bin/python benchmarks/bench_keras_grouped.py [--steps 300] [--backends tensorflow,jax,torch]

For each backend (its own process: Keras picks the backend at import) a small MLP on
scikit-learn's digits is compiled twice -- ``keras.optimizers.AdamW`` plain, and the same
optimizer wrapped by ``lrkit.keras.layer_decay(model, 0.75).wrap(...)`` (one rate per layer,
no-decay biases: 8 groups) -- and ``model.fit`` runs ``--steps`` batches of 64 after a warm-up
epoch (compilation excluded). Printed: the best of 3 timings per step and the ratio
wrapped / plain (target <= 1.10).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
import numpy as np, keras, lrkit.keras
from sklearn.datasets import load_digits

steps = int(sys.argv[1])
x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32"); y = y.astype("int32")
n = 64 * steps
x = np.resize(x, (n, 64)); y = np.resize(y, (n,))

def model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu", name="block_0"),
                             keras.layers.Dense(256, activation="relu", name="block_1"),
                             keras.layers.Dense(256, activation="relu", name="block_2"),
                             keras.layers.Dense(10, name="head")])

out = {}
for kind in ("plain", "grouped"):
    m = model()
    opt = keras.optimizers.AdamW(1e-3, weight_decay=0.01)
    if kind == "grouped":
        opt = lrkit.keras.layer_decay(m, 0.75).wrap(opt)
    m.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x[:64 * 20], y[:64 * 20], batch_size=64, epochs=1, verbose=0)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        m.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
        best = min(best, (time.perf_counter() - t) / steps)
    out[kind] = best
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--backends", default="tensorflow,jax,torch")
    args = ap.parse_args()
    print(f"{'backend':<11} {'plain ms/step':>14} {'grouped ms/step':>16} {'ratio':>7}")
    for backend in args.backends.split(","):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        t = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", CHILD, str(args.steps)], env=env,
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{backend:<11} failed: {run.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"{backend:<11} {1e3 * r['plain']:>14.3f} {1e3 * r['grouped']:>16.3f} "
              f"{r['grouped'] / r['plain']:>7.3f}   ({time.perf_counter() - t:.0f} s)")


if __name__ == "__main__":
    main()
