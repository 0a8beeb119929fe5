"""Small models and the digits data shared by the backend suite."""

from __future__ import annotations

import keras
import numpy as np


def digits(n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x, y = (x / 16.0).astype("float32"), y.astype("int32")
    return (x, y) if n is None else (x[:n], y[:n])


def mlp(seed: int = 0, *, dropout: float = 0.1, norm: bool = True) -> keras.Model:
    """An MLP with the state a range test must put back: batch-norm statistics and a dropout
    seed generator, in named blocks (``block_0``, ``block_1``, ``head``)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((64,), name="pixels")
    h = keras.layers.Dense(32, activation="relu", name="block_0_dense")(inputs)
    if norm:
        h = keras.layers.BatchNormalization(name="block_0_norm")(h)
    h = keras.layers.Dropout(dropout, name="block_0_drop")(h)
    h = keras.layers.Dense(32, activation="relu", name="block_1_dense")(h)
    out = keras.layers.Dense(10, name="head")(h)
    return keras.Model(inputs, out, name="mlp")


def loss() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def state(model: keras.Model) -> list[np.ndarray]:
    """Every weight, optimizer and metric variable of ``model`` as NumPy copies."""
    opt = model.optimizer
    vs = list(model.variables) + (list(opt.variables) if opt is not None else [])
    vs += list(model.metrics_variables)
    return [np.array(keras.ops.convert_to_numpy(v.value), copy=True) for v in vs]


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """Bitwise equality of two lists of arrays (NaNs compare equal to NaNs)."""
    return len(a) == len(b) and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes() for x, y in zip(a, b))
