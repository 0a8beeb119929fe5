"""``keras.callbacks.ReduceLROnPlateau`` as a plain controller: ``step(metric)`` -> the rate.

Keras's rule differs from PyTorch's (:class:`lrkit.plateau.Plateau`) in four places, all kept
here: a reduction comes when the count of bad epochs *reaches* ``patience`` (torch: exceeds
it); ``min_delta`` is absolute; bad epochs are not counted during the cooldown; and the rate
lives in a float32 variable, so every reduction is rounded to float32 and none happens once
the rate is not above ``float32(min_lr)``. With :math:`b` the best metric so far and
:math:`\\delta` = ``|min_delta|``, an epoch improves when

.. math:: m + \\delta < b \\ (\\text{min}), \\qquad m - \\delta > b \\ (\\text{max}),
          \\qquad \\eta \\leftarrow \\operatorname{fl_{32}}(\\max(f\\eta, \\eta_{\\min}))

(the comparison itself in float32, as ``keras.ops.less`` makes it). This module does not import
Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit import _check
from lrkit.plateau import metric_value

__all__ = ["ReduceLROnPlateau", "resolve_mode"]

OWNER = "keras.ReduceLROnPlateau"

#: Keras metrics that improve upwards (``_direction == "up"``), by their default names.
_UP = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
       "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision",
       "recall", "f1_score", "fbeta_score", "r2_score", "iou", "mean_iou",
       "precision_at_recall", "recall_at_precision", "sensitivity_at_specificity",
       "specificity_at_sensitivity", "cosine_similarity")
#: and downwards.
_DOWN = ("loss", "mean_squared_error", "mse", "mean_absolute_error", "mae",
         "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
         "root_mean_squared_error", "log_cosh_error", "logcosh", "hinge", "squared_hinge",
         "categorical_hinge", "kl_divergence", "kld", "poisson", "binary_crossentropy",
         "categorical_crossentropy", "sparse_categorical_crossentropy")


def resolve_mode(mode: str, monitor: str, owner: str = OWNER) -> str:
    """``"min"``/``"max"`` as Keras resolves ``mode`` for ``monitor`` (``"auto"``: ``loss`` and
    error metrics go down, accuracy-like metrics go up, anything else is an error)."""
    mode = _check.choice("mode", mode, ("auto", "min", "max"), owner)
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    if name in _DOWN:
        return "min"
    if name in _UP:
        return "max"
    raise ValueError(f"{owner}: mode='auto' cannot tell whether monitor={monitor!r} should go up or "
                     "down (Keras knows loss and its built-in metrics); pass mode='min' or mode='max'")


class ReduceLROnPlateau:
    """Keras's ``ReduceLROnPlateau``, under its own arguments and defaults, minus the model.

    ``ReduceLROnPlateau(lr=0.01, factor=0.5, patience=2).step(val_loss)`` returns the rate
    ``keras.callbacks.ReduceLROnPlateau`` leaves in an optimizer whose rate was ``lr``, after an
    epoch ending with that metric (as a Python float holding the float32 value). ``monitor``
    only resolves ``mode="auto"``.
    """

    def __init__(self, lr: float = 0.001, monitor: str = "val_loss", factor: float = 0.1,
                 patience: int = 10, verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        o = OWNER
        self.initial_lr = _check.non_negative("lr", lr, o)
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"{o}: monitor must be a metric name (str), got {monitor!r}")
        self.monitor = monitor
        self.factor = _check.non_negative("factor", factor, o)
        if self.factor >= 1.0:
            raise ValueError(f"{o}: factor must be < 1.0 (Keras does not support a factor >= 1.0), "
                             f"got {factor!r}")
        self.patience = _check.integer("patience", patience, o, minimum=0)
        self.verbose = verbose
        self.mode = resolve_mode(mode, monitor, o)
        self.min_delta = abs(_check.number("min_delta", min_delta, o))
        self.cooldown = _check.integer("cooldown", cooldown, o, minimum=0)
        self.min_lr = _check.non_negative("min_lr", min_lr, o)
        self.reset()

    def reset(self) -> None:
        """Keras's ``on_train_begin``: forget the best metric and the counters (not the rate)."""
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0
        if not hasattr(self, "lr"):
            self.lr = float(np.float32(self.initial_lr))

    def _improves(self, current: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return bool(np.float32(current + self.min_delta) < np.float32(self.best))
        return bool(np.float32(current - self.min_delta) > np.float32(self.best))

    def step(self, metric: Any) -> float:
        """One epoch's end with ``metric``; the rate afterwards."""
        current = metric_value(metric, OWNER)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best = current
            self.wait = 0
        elif not self.cooldown_counter > 0:
            self.wait += 1
            if self.wait >= self.patience and self.lr > np.float32(self.min_lr):
                self.lr = float(np.float32(max(self.lr * self.factor, self.min_lr)))
                self.cooldown_counter = self.cooldown
                self.wait = 0
        return self.lr

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter,
                "lr": self.lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or set(state) != {"best", "wait", "cooldown_counter", "lr"}:
            raise ValueError(f"{OWNER}: state must be a dict with keys best, wait, cooldown_counter, "
                             f"lr, got {state!r:.200}")
        self.best, self.wait = state["best"], state["wait"]
        self.cooldown_counter, self.lr = state["cooldown_counter"], state["lr"]

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(lr={self.initial_lr!r}, monitor={self.monitor!r}, factor="
                f"{self.factor!r}, patience={self.patience!r}, mode={self.mode!r}, min_delta="
                f"{self.min_delta!r}, cooldown={self.cooldown!r}, min_lr={self.min_lr!r})")
