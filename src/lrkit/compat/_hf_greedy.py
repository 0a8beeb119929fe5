"""Hugging Face's ``GreedyLR`` (``get_scheduler("greedy")``) as a framework-free controller.

GreedyLR watches a metric like ``ReduceLROnPlateau`` but moves the rate both ways: after more
than ``patience`` improving observations it divides the rate by ``factor`` (up to ``max_lr``),
after more than ``patience`` bad ones it multiplies it by ``factor`` (down to ``min_lr``). With
:math:`m` the (optionally smoothed) metric and :math:`b` the best so far, an observation is an
improvement when

.. math:: m < b - \\tau \\ (\\text{min, abs}), \\quad m < b(1 - \\tau) \\ (\\text{min, rel}),
          \\quad m > b + \\tau \\ (\\text{max, abs}), \\quad m > b(1 + \\tau) \\ (\\text{max, rel})

and a change is applied only if it exceeds ``eps``. ``cooldown`` observations after a decrease
and ``warmup`` observations after an increase are ignored. When the rate has sat at ``min_lr``
for ``reset_start`` decreases in a row, everything restarts from the initial rate. ``smooth``
replaces the metric by its mean over the last ``window_size`` observations. Legend:
:math:`\\tau` = ``threshold``. ``step(metric)`` returns the rate after that metric, equal to the
rate transformers' ``GreedyLR`` leaves in a param group that started at ``lr``.
"""

from __future__ import annotations

import math
from typing import Any

from lrkit import _check

__all__ = ["GreedyLR"]

_STATE = ("lr", "best", "num_bad_epochs", "num_good_epochs", "cooldown_counter", "warmup_counter",
          "reset_start", "last_epoch", "window")


class GreedyLR:
    """``transformers.optimization.GreedyLR`` with ``lr=`` in place of the optimizer.

    See the module docstring for the rule. ``verbose`` is accepted and ignored (nothing is
    printed).
    """

    def __init__(self, lr: float = 1.0, mode: str = "min", factor: float = 0.95,
                 patience: int = 10, threshold: float = 1e-6, threshold_mode: str = "abs",
                 cooldown: int = 0, warmup: int = 0, min_lr: float = 1e-3, max_lr: float = 1.0,
                 eps: float = 1e-8, verbose: bool = False, smooth: bool = False,
                 window_size: int = 50, reset_start: int = 500) -> None:
        o = "GreedyLR"
        self.initial_lr = _check.non_negative("lr", lr, o)
        f = _check.number("factor", factor, o)
        if not 0.0 < f < 1.0:
            raise ValueError(f"{o}: factor must be in (0, 1) (the rate is divided by it), got "
                             f"{factor!r}")
        self.factor = f
        self.mode = _check.choice("mode", mode, ("min", "max"), o)
        self.threshold_mode = _check.choice("threshold_mode", threshold_mode, ("rel", "abs"), o)
        self.threshold = _check.non_negative("threshold", threshold, o)
        self.patience = _check.integer("patience", patience, o, minimum=0)
        self.cooldown = _check.integer("cooldown", cooldown, o, minimum=0)
        self.warmup = _check.integer("warmup", warmup, o, minimum=0)
        self.min_lr = _check.non_negative("min_lr", min_lr, o)
        self.max_lr = _check.non_negative("max_lr", max_lr, o)
        self.eps = _check.non_negative("eps", eps, o)
        self.smooth = _check.boolean("smooth", smooth, o)
        self.window_size = _check.integer("window_size", window_size, o, minimum=1)
        self.reset_start_original = _check.integer("reset_start", reset_start, o, minimum=0)
        self.reset()

    def reset(self) -> None:
        """Back to the initial rate with no observations."""
        self.lr = self.initial_lr
        self.last_epoch = 0
        self._restart()

    def _restart(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.num_good_epochs = 0
        self.cooldown_counter = 0
        self.warmup_counter = 0
        self.reset_start = self.reset_start_original
        self.window: list[float] = []
        self._sum = 0.0

    def state_dict(self) -> dict[str, Any]:
        state = {k: getattr(self, k) for k in _STATE}
        state["window"] = list(self.window)
        state["sum"] = self._sum
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        missing = [k for k in _STATE + ("sum",) if k not in state]
        if missing:
            raise ValueError(f"GreedyLR: state is missing {missing}")
        for k in _STATE:
            setattr(self, k, state[k])
        self.window = list(state["window"])
        self._sum = state["sum"]

    def _average(self, value: float) -> float:
        self.window.append(value)
        self._sum += value
        if len(self.window) > self.window_size:
            self._sum -= self.window.pop(0)
        return self._sum / len(self.window)

    def is_better(self, current: float, best: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - self.threshold)
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (1.0 + self.threshold)
        return current > best + self.threshold

    def step(self, metric: Any) -> float:
        """Observe ``metric``; return the rate after it."""
        from lrkit.plateau import metric_value

        current = metric_value(metric, "GreedyLR")
        if self.smooth:
            current = self._average(current)
        self.last_epoch += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
            self.num_good_epochs = 0
        elif self.warmup_counter > 0:
            self.warmup_counter -= 1
            self.num_bad_epochs = 0
            self.num_good_epochs = 0
        else:
            if self.is_better(current, self.best):
                self.best = current
                self.num_bad_epochs = 0
                self.num_good_epochs += 1
            else:
                self.num_bad_epochs += 1
                self.num_good_epochs = 0
            if self.num_good_epochs > self.patience:
                new = min(self.lr / self.factor, self.max_lr)
                if new - self.lr > self.eps:
                    self.lr = new
                self.reset_start = self.reset_start_original
                self.warmup_counter = self.warmup
                self.num_good_epochs = 0
            elif self.num_bad_epochs > self.patience:
                new = max(self.lr * self.factor, self.min_lr)
                if self.lr - new > self.eps:
                    self.lr = new
                if not self.lr > self.min_lr:
                    self.reset_start -= 1
                    if self.reset_start <= 0:
                        self.lr = self.initial_lr
                        self._restart()
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0
        return self.lr

    def __repr__(self) -> str:
        return (f"GreedyLR(lr={self.initial_lr!r}, mode={self.mode!r}, factor={self.factor!r}, "
                f"patience={self.patience!r}, min_lr={self.min_lr!r}, max_lr={self.max_lr!r})")
