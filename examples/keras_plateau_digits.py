"""Article 004's workflow in Keras: warm up, hold the rate, halve it when validation stalls.

    KERAS_BACKEND=jax python examples/keras_plateau_digits.py

Article 004: "since your validation loss is not improving, by all means try learning rate
decay" -- step-wise annealing when the loss stops improving, with AdamW's decoupled weight
decay. Keras's own ``ReduceLROnPlateau`` refuses an optimizer whose rate is a schedule; here the
schedule *is* the plateau rule: a linear warmup over the first epoch to ``peak``, then constant,
cut by ``factor`` whenever ``val_loss`` has not improved for ``patience`` epochs
(:class:`lrkit.plateau.OnPlateau`, the decisions of PyTorch's ``ReduceLROnPlateau``).
:class:`lrkit.keras.PlateauCallback` feeds it ``val_loss`` after each epoch; the compiled step
reads the cut from an optimizer variable (no retrace), and checkpoints keep it.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from typing import Any  # noqa: E402

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import lrkit  # noqa: E402
import lrkit.keras as lk  # noqa: E402
from lrkit.plateau import OnPlateau  # noqa: E402

BATCH = 64


def main(epochs: int = 10, peak: float = 3e-2, verbose: bool = True) -> dict[str, Any]:
    """Train a small MLP on digits; return what happened at each epoch end (plain lists)."""
    x, y = load_digits(return_X_y=True)
    x, y = (x / 16.0).astype("float32"), y.astype("int32")
    x_train, y_train = x[:1200], y[:1200]
    x_val, y_val, x_test, y_test = x[1200:1500], y[1200:1500], x[1500:], y[1500:]
    steps_per_epoch = -(-len(x_train) // BATCH)

    keras.utils.set_random_seed(0)
    inputs = keras.Input((64,))
    h = keras.layers.Dense(64, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10)(h))

    warmup = steps_per_epoch
    rule = OnPlateau(lrkit.warmup(lrkit.Constant(peak), warmup), start=warmup, factor=0.5,
                     patience=1, threshold=0.02)
    opt = keras.optimizers.AdamW(lk.LearningRateSchedule(rule), weight_decay=1e-4)
    model.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])

    seen: dict[str, list] = {"step": [], "val_loss": [], "rate": [], "scale": []}

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            step = int(keras.ops.convert_to_numpy(opt.iterations))
            rate = float(keras.ops.convert_to_numpy(opt.learning_rate))  # for the next step
            seen["step"].append(step)
            seen["val_loss"].append(float(logs["val_loss"]))
            seen["rate"].append(rate)
            seen["scale"].append(rule.scale)
            if verbose:
                print(f"epoch {epoch + 1:2d}  step {step:4d}  val_loss {logs['val_loss']:.4f}  "
                      f"next rate {rate:.3g}")

    model.fit(x_train, y_train, batch_size=BATCH, epochs=epochs, verbose=0,
              validation_data=(x_val, y_val),
              callbacks=[lk.PlateauCallback(monitor="val_loss"), Watch()])
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    if verbose:
        print(f"{rule.controller.num_reductions} reductions; test accuracy {accuracy:.3f}")
    return {**seen, "accuracy": accuracy, "peak": peak, "warmup": warmup,
            "reductions": rule.controller.num_reductions, "config": rule.to_config(),
            "backend": keras.backend.backend()}


if __name__ == "__main__":
    main()
