"""Write the golden rates of ``keras.callbacks.ReduceLROnPlateau`` by running the REAL callback.

    KERAS_BACKEND=jax .venv/bin/python tests/golden/generate_keras_plateau.py

For each case a real compiled Keras model with an SGD optimizer at rate ``lr`` gets the real
callback; after each epoch's ``on_epoch_end(epoch, logs={monitor: metric})`` the optimizer's
rate is recorded. ``tests/golden/keras_plateau.json`` holds ``{"cases": [{"kwargs", "lr",
"metrics", "rates"}]}``; ``lrkit.compat.keras.ReduceLROnPlateau(lr=lr, **kwargs).step(metric)``
must return ``rates`` exactly. The cases cover both modes and "auto", ``patience``,
``cooldown``, ``min_delta`` (ties within it), ``min_lr`` (the floor reached and held) and
metrics on exact ties.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "keras_plateau.json"


def metric_paths() -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    walk = list(np.round(1.0 + np.cumsum(rng.normal(0.0, 0.01, 60)) * 0.5, 6))
    falling_then_flat = [1.0, 0.8, 0.7, 0.65] + [0.65] * 12 + [0.6] + [0.64] * 12 + [0.59999] * 10
    near_ties = [1.0, 0.99995, 0.9999, 0.99985, 0.9998, 0.9997, 0.9996, 0.99955, 0.9995] * 4
    rising = [0.1, 0.2, 0.3, 0.3, 0.30005, 0.3, 0.31, 0.31, 0.31, 0.31, 0.305, 0.32] * 3
    return {"walk": [float(v) for v in walk], "flat": falling_then_flat, "ties": near_ties,
            "rising": rising}


CASES = [
    ("flat", "val_loss", {}),
    ("flat", "val_loss", {"factor": 0.5, "patience": 2}),
    ("flat", "val_loss", {"factor": 0.5, "patience": 2, "cooldown": 3}),
    ("flat", "val_loss", {"factor": 0.2, "patience": 1, "min_lr": 0.0015}),
    ("flat", "loss", {"factor": 0.5, "patience": 0, "cooldown": 1, "min_lr": 1e-4}),
    ("ties", "val_loss", {"factor": 0.5, "patience": 1}),
    ("ties", "val_loss", {"factor": 0.5, "patience": 1, "min_delta": 0.0}),
    ("ties", "val_loss", {"factor": 0.5, "patience": 2, "min_delta": 6e-5, "mode": "min"}),
    ("walk", "val_loss", {"factor": 0.3, "patience": 3, "cooldown": 2, "min_delta": 1e-3}),
    ("walk", "val_loss", {"factor": 0.5, "patience": 2, "mode": "max"}),
    ("rising", "val_accuracy", {"factor": 0.5, "patience": 2}),
    ("rising", "val_accuracy", {"factor": 0.1, "patience": 1, "min_delta": 0.005, "cooldown": 1,
                                "min_lr": 2e-4}),
    ("rising", "auc", {"factor": 0.7, "patience": 1, "mode": "max", "min_delta": -0.001}),
    ("walk", "val_loss", {"factor": 0.5, "patience": 1, "min_lr": 0.003}),
]


def run(path: list[float], monitor: str, kwargs: dict, lr: float) -> list[float]:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(lr), "mse", metrics=["accuracy"])
    x = np.zeros((4, 2), "float32")
    model.evaluate(x, x[:, :1], verbose=0)  # builds the metrics "auto" looks at
    cb = keras.callbacks.ReduceLROnPlateau(monitor=monitor, **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    out = []
    for epoch, m in enumerate(path):
        cb.on_epoch_end(epoch, logs={monitor: m})
        out.append(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
    return out


def main() -> None:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    paths = metric_paths()
    cases = []
    for name, monitor, kwargs in CASES:
        lr = 0.01
        cases.append({"path": name, "monitor": monitor, "kwargs": kwargs, "lr": lr,
                      "metrics": paths[name], "rates": run(paths[name], monitor, kwargs, lr)})
    OUT.write_text(json.dumps({"keras": keras.__version__, "cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
