"""The range-test loop: raise the rate step by step, record the loss, stop when training breaks.

The loop knows nothing about frameworks: it calls ``step_fn(lr)``, which trains one step at
that rate and returns the step's loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lrkit import _check

__all__ = ["MODES", "rates", "check_sweep", "Sweep", "run_sweep", "loss_value"]

MODES = ("exponential", "linear")
OWNER = "find_lr"


def rates(start: float, end: float, num_steps: int, mode: str = "exponential") -> np.ndarray:
    r"""The rates of the range test, ``start`` at step 0 and ``end`` at step ``num_steps - 1``.

    .. math:: \text{exponential: } \eta_i = \eta_0 \left(\frac{\eta_1}{\eta_0}\right)^{i/(N-1)},
              \qquad \text{linear: } \eta_i = \eta_0 + (\eta_1 - \eta_0)\frac{i}{N - 1}

    Legend: :math:`\eta_0` = ``start``, :math:`\eta_1` = ``end``, :math:`N` = ``num_steps``.
    """
    start, end, num_steps, mode = check_sweep(start, end, num_steps, mode)
    u = np.arange(num_steps, dtype=np.float64) / (num_steps - 1)
    if mode == "exponential":
        return start * np.power(end / start, u)
    return start + (end - start) * u


def check_sweep(start: Any, end: Any, num_steps: Any, mode: Any) -> tuple[float, float, int, str]:
    """Validate the sweep arguments (before anything is trained)."""
    mode = _check.choice("mode", mode, MODES, OWNER)
    start = _check.number("start", start, OWNER)
    end = _check.number("end", end, OWNER)
    num_steps = _check.integer("num_steps", num_steps, OWNER)
    if num_steps < 2:
        raise ValueError(f"{OWNER}: num_steps must be >= 2, got {num_steps!r}")
    if start <= 0:
        raise ValueError(f"{OWNER}: start must be > 0 (rates are compared on a log scale), got {start!r}")
    if start >= end:
        raise ValueError(f"{OWNER}: start must be < end, got start={start!r}, end={end!r}")
    return start, end, num_steps, mode


def loss_value(value: Any) -> float:
    """The loss a ``step_fn`` returned, as a float: a Python/NumPy number or a one-element array
    or tensor (anything with ``.item()``). Anything else is a ``TypeError``."""
    if isinstance(value, bool) or isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{OWNER}: step_fn must return the loss as a number, got {value!r} "
                        f"({type(value).__name__})")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, np.generic) and np.issubdtype(type(value), np.number):
        return float(value.item())
    item = getattr(value, "item", None)
    size = getattr(value, "size", None)
    numel = getattr(value, "numel", None)
    n = numel() if callable(numel) else size  # a size that is a method (or missing) is not 1
    if callable(item) and n == 1:
        out = item()
        if isinstance(out, (int, float)) and not isinstance(out, bool):
            return float(out)
    raise TypeError(f"{OWNER}: step_fn must return the loss as a number (or a one-element "
                    f"tensor/array), got {type(value).__name__}: {value!r:.80}")


@dataclass(frozen=True)
class Sweep:
    """What one range test recorded.

    ``lrs[i]``/``losses[i]`` for every step taken (the step that triggered the stop included);
    ``smoothed`` is the bias-corrected EMA of the raw losses; ``usable`` counts the leading points
    the suggestion rules may use (the stopping step excluded); ``stop_reason`` is one of
    ``"completed"``, ``"non-finite"``, ``"diverged"``, ``"spike"``.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    usable: int
    stop_reason: str
    planned: np.ndarray


def run_sweep(step_fn: Callable[[float], Any], planned: np.ndarray, *, beta: float, diverge: float,
              spike: float, progress: bool = False) -> Sweep:
    r"""Run ``step_fn`` at each planned rate until the end or until training breaks.

    The test stops after step :math:`i` when

    * the raw loss :math:`\ell_i` is NaN or infinite (``"non-finite"``);
    * :math:`\ell_i > \text{spike} \cdot \min_{j<i} \bar\ell_j` -- a sudden jump of the raw loss
      that the lagging EMA would notice only several steps later (``"spike"``);
    * :math:`\bar\ell_i > \text{diverge} \cdot \min_{j<i} \bar\ell_j` (``"diverged"``, the classic
      k-times-the-best rule).

    A non-finite loss on the very first step is an error: nothing can be suggested and the
    step function is probably broken. A negative loss is an error too: losses are compared as
    ratios.
    """
    lrs: list[float] = []
    losses: list[float] = []
    reason = "completed"
    bar = _progress_bar(len(planned)) if progress else None
    m = 0.0
    best = math.inf
    smoothed: list[float] = []
    try:
        for i, lr in enumerate(planned):
            loss = loss_value(step_fn(float(lr)))
            lrs.append(float(lr))
            losses.append(loss)
            if bar is not None:
                bar.update(1)
            if not math.isfinite(loss):
                if i == 0:
                    raise ValueError(f"{OWNER}: the loss of the first step (lr={float(lr):.3g}) is "
                                     f"{loss!r}; the model or the step function is broken before "
                                     "any rate was tested")
                smoothed.append(math.nan)
                reason = "non-finite"
                break
            if loss < 0:
                raise ValueError(f"{OWNER}: the loss must be >= 0 (the stopping rules and the "
                                 f"suggestions compare losses as ratios), got {loss!r} at step {i}; "
                                 "add a constant to a loss that can be negative")
            m = beta * m + (1.0 - beta) * loss
            s = m / (1.0 - beta ** (i + 1))
            smoothed.append(s)
            if i > 0 and loss > spike * best:
                reason = "spike"
                break
            if i > 0 and s > diverge * best:
                reason = "diverged"
                break
            best = min(best, s)
    finally:
        if bar is not None:
            bar.close()
    usable = len(losses) if reason == "completed" else len(losses) - 1
    raw = np.asarray(losses, dtype=np.float64)
    sm = np.asarray(smoothed, dtype=np.float64)
    return Sweep(np.asarray(lrs, dtype=np.float64), raw, sm, usable, reason, np.asarray(planned))


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc="lr range test", leave=False)

