"""The articles' Keras workflows on scikit-learn's digits, on any Keras backend.

    KERAS_BACKEND=jax python examples/keras_transfer_digits.py

1. Pick a rate with the range test (article 000's finder plot), the model left untouched.
2. Per-layer rates in ONE optimizer (articles 000/003): the body at a tenth of the head's rate.
   Article 003's gradient-scaling version is not a rate multiplier for Adam: scaling the
   body's gradients by 0.1 leaves Adam's step unchanged -- shown on one step.
3. Transfer (article 000): restore everything except the new head from a "pre-trained" model,
   train only the head, then unfreeze the body and fine-tune with per-layer rates.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import lrkit  # noqa: E402
import lrkit.keras as lk  # noqa: E402

x, y = load_digits(return_X_y=True)
x, y = (x / 16.0).astype("float32"), y.astype("int32")
x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def net(classes: int, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((64,))
    h = keras.layers.Dense(64, activation="relu", name="block_0")(inputs)
    h = keras.layers.Dense(64, activation="relu", name="block_1")(h)
    return keras.Model(inputs, keras.layers.Dense(classes, name="head")(h))


# 1. the range test ------------------------------------------------------------------------
model = net(10, 0)
model.compile(keras.optimizers.Adam(1e-3), LOSS, metrics=["accuracy"])
result = lk.find_lr(model, x_train, y_train, batch_size=64, num_steps=80, progress=False)
peak = result.suggestion
print(f"1. range test: suggested peak rate {peak:.3g} ({result.stop_reason} after {len(result.lrs)} steps)")

# 2. per-layer rates in one optimizer --------------------------------------------------------
groups = lk.param_groups(model, {"head": 1.0, "block_*": 0.1})
print(groups.table())
steps = 3 * len(x_train) // 64
opt = groups.wrap(keras.optimizers.AdamW(lk.LearningRateSchedule(lrkit.OneCycle(peak, steps)),
                                         weight_decay=1e-4))
model.compile(opt, LOSS, metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
print(f"2. per-layer rates: test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.3f}")

# Adam with a rate multiplier vs a gradient scale, one step from the same weights
w = keras.Variable(np.ones((3,), "float32"))
g = keras.ops.convert_to_tensor(np.array([0.5, -2.0, 1e-3], "float32"))
rated = keras.Variable(w.value)
lk.GroupedOptimizer(keras.optimizers.Adam(0.1), {rated.path: (0.1, 1.0)}).apply([g], [rated])
scaled = keras.Variable(w.value)
keras.optimizers.Adam(0.1).apply([g * 0.1], [scaled])
print("   Adam step with lr_mult 0.1:      ", np.round(1 - keras.ops.convert_to_numpy(rated.value), 4))
print("   Adam step with gradient x 0.1:   ", np.round(1 - keras.ops.convert_to_numpy(scaled.value), 4),
      "(unchanged: not a rate multiplier)")

# 3. transfer: restore all but the new head, train the head, then unfreeze -----------------
with tempfile.TemporaryDirectory() as tmp:
    pretrained = os.path.join(tmp, "pretrained.weights.h5")
    model.save_weights(pretrained)
    new = net(10, 1)
    report = lk.load_partial(new, pretrained, exclude=["head"], freeze_restored=True)
print(report)
new.compile(keras.optimizers.Adam(1e-2), LOSS, metrics=["accuracy"])
new.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
print(f"3a. head only: test accuracy {new.evaluate(x_test, y_test, verbose=0)[1]:.3f}")
lk.unfreeze(new)
fine = lk.layer_decay(new, 0.5).wrap(keras.optimizers.Adam(1e-3))
new.compile(fine, LOSS, metrics=["accuracy"])
new.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
print(f"3b. unfrozen, layer decay 0.5: test accuracy {new.evaluate(x_test, y_test, verbose=0)[1]:.3f}")
