"""The metric-driven controller: reduce a value when a monitored metric stops improving.

This is the one stateful piece of lrkit. It follows the semantics of PyTorch's
``ReduceLROnPlateau`` exactly (``mode``, ``factor``, ``patience``, ``threshold``,
``threshold_mode``, ``cooldown``, ``min_lr``, ``eps``) but knows nothing about optimizers, so it
drives a plain number (:class:`Plateau`) or a multiplier on a closed-form schedule
(:class:`OnPlateau`, a part of a :class:`lrkit.torch.Scheduler` plan). Its state is a handful of
numbers with ``state_dict()`` / ``load_state_dict()``; hyperparameters are never part of it.

Improvement rule, with :math:`m` the metric, :math:`b` the best metric so far and
:math:`\\tau` = ``threshold``:

.. math::
    \\text{min, rel: } m < b (1 - \\tau) \\quad
    \\text{min, abs: } m < b - \\tau \\quad
    \\text{max, rel: } m > b (1 + \\tau) \\quad
    \\text{max, abs: } m > b + \\tau

Each observation that is not an improvement counts as a bad one (bad observations are ignored
while ``cooldown`` observations remain after a reduction). When the count exceeds ``patience``
the value is reduced, :math:`v \\leftarrow \\max(f v, v_{\\min})` with :math:`f` = ``factor`` and
:math:`v_{\\min}` = ``min_lr``, unless the change is not larger than ``eps``; the cooldown then
starts and the count restarts from zero.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from lrkit import _check
from lrkit._ops import PY, backend_for
from lrkit._registry import register
from lrkit.schedule import Schedule

__all__ = ["Plateau", "OnPlateau"]

_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")
_STATE_KEYS = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "scale", "lr",
               "num_reductions")


def _count(name: str, value: Any, owner: str) -> int:
    return _check.integer(name, value, owner, minimum=0)


def _checked_state(state: Any, owner: str) -> dict[str, Any]:
    """A loaded controller state, validated and normalised (Python ints and floats)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}: state must be a dict, got {type(state).__name__}")
    missing = [k for k in _STATE_KEYS if k not in state]
    if missing:
        raise ValueError(f"{owner}: state is missing {missing}; it has {sorted(map(str, state))}")
    extra = [k for k in state if k not in _STATE_KEYS]
    if extra:
        raise ValueError(f"{owner}: state has unknown keys {extra}; a plateau state has exactly "
                         f"{list(_STATE_KEYS)}")
    out: dict[str, Any] = {}
    for k in ("num_bad_epochs", "cooldown_counter", "last_epoch", "num_reductions"):
        value = state[k]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{owner}: state['{k}'] must be an integer >= 0, got {value!r} "
                            f"({type(value).__name__})")
        out[k] = _count(f"state['{k}']", int(value), owner)
    best = state["best"]
    if isinstance(best, bool) or not isinstance(best, numbers.Real):
        raise TypeError(f"{owner}: state['best'] must be a number (inf before the first metric), "
                        f"got {best!r} ({type(best).__name__})")
    if math.isnan(float(best)):
        raise ValueError(f"{owner}: state['best'] must not be NaN, got {best!r}")
    out["best"] = float(best)
    scale = _check.number("state['scale']", state["scale"], owner)
    if not 0.0 <= scale <= 1.0:
        raise ValueError(f"{owner}: state['scale'] (the product of the reductions) must be in "
                         f"[0, 1], got {state['scale']!r}")
    out["scale"] = scale
    out["lr"] = _check.non_negative("state['lr']", state["lr"], owner)
    return out


def metric_value(metric: Any, owner: str = "Plateau") -> float:
    """``float(metric)`` for a Python/NumPy number or a one-element tensor, else a TypeError."""
    if isinstance(metric, bool) or metric is None:
        raise TypeError(f"{owner}: metric must be a number or a one-element tensor, got {metric!r}")
    try:
        return float(metric)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: metric must be a number or a one-element tensor, got "
                        f"{metric!r} ({type(metric).__name__})") from None


class Plateau:
    """Reduce a value when a metric has stopped improving (PyTorch ``ReduceLROnPlateau``).

    ``Plateau(lr=0.1, factor=0.5, patience=2).step(metric)`` returns the value after that
    metric, equal to the learning rate torch's ``ReduceLROnPlateau`` leaves in a single
    param group whose rate was ``lr``. ``scale`` is the product of the factors actually applied
    (the multiplier form used by :class:`OnPlateau`).

    Args:
        lr: the starting value (:math:`v_0`); any number ``>= 0``.
        mode: ``"min"`` (lower metric is better) or ``"max"``.
        factor: multiplier of a reduction, in ``[0, 1)``.
        patience: bad observations tolerated before a reduction (integer ``>= 0``).
        threshold: the least improvement that counts, ``>= 0``.
        threshold_mode: ``"rel"`` (relative to the best) or ``"abs"``.
        cooldown: observations ignored after a reduction (integer ``>= 0``).
        min_lr: the floor :math:`v_{\\min}` of a reduction, ``>= 0``.
        eps: reductions changing the value by ``<= eps`` are skipped, ``>= 0``.
    """

    def __init__(self, lr: float = 1.0, *, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        self._setup(type(self).__name__, lr, mode, factor, patience, threshold, threshold_mode,
                    cooldown, min_lr, eps)

    def _setup(self, o: str, lr: Any, mode: Any, factor: Any, patience: Any, threshold: Any,
               threshold_mode: Any, cooldown: Any, min_lr: Any, eps: Any) -> None:
        """Check and set the hyperparameters; errors name ``o``, the user's object."""
        self.initial_lr = _check.non_negative("lr", lr, o)
        self.mode = _check.choice("mode", mode, _MODES, o)
        self.factor = _check.number("factor", factor, o)
        if not 0.0 <= self.factor < 1.0:
            raise ValueError(f"{o}: factor must be in [0, 1), got {factor!r}")
        self.patience = _count("patience", patience, o)
        self.threshold = _check.non_negative("threshold", threshold, o)
        self.threshold_mode = _check.choice("threshold_mode", threshold_mode, _THRESHOLD_MODES, o)
        self.cooldown = _count("cooldown", cooldown, o)
        self.min_lr = _check.non_negative("min_lr", min_lr, o)
        self.eps = _check.non_negative("eps", eps, o)
        self.reset()

    # -- state --------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every observation: back to the starting value and an unknown best."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self.scale = 1.0
        self.lr = self.initial_lr
        self.num_reductions = 0

    def state_dict(self) -> dict[str, Any]:
        """The controller's state (observation counters, best metric, applied reductions)."""
        return {k: getattr(self, k) for k in _STATE_KEYS}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the hyperparameters stay those of ``self``.

        The state is checked first (every key present and no other, counters integers
        ``>= 0``, ``best`` a number that is not NaN, ``scale`` in ``[0, 1]``, ``lr`` finite and
        ``>= 0``); on a bad state a ``TypeError``/``ValueError`` names the key and nothing is
        changed."""
        for k, v in _checked_state(state, type(self).__name__).items():
            setattr(self, k, v)

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    # -- observing ----------------------------------------------------------------------
    def is_better(self, metric: float, best: float) -> bool:
        """Whether ``metric`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - self.threshold)
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold

    def observe(self, metric: Any) -> bool:
        """Record one metric; return ``True`` when a reduction is due now.

        The caller then applies it with :meth:`reduce` (or decides it is too small) — this is
        how :class:`OnPlateau` uses the controller as a multiplier. The cooldown starts here.
        """
        current = metric_value(metric, type(self).__name__)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
            return True
        return False

    def reduce(self) -> None:
        """Apply one reduction to the multiplier (``scale *= factor``)."""
        self.scale *= self.factor
        self.num_reductions += 1

    def step(self, metric: Any) -> float:
        """Observe ``metric`` and return the value after it (torch's recursion, bit for bit).

        .. math:: v \\leftarrow \\max(f v, v_{\\min}) \\quad \\text{if } v - \\max(f v, v_{\\min})
                  > \\epsilon
        """
        if self.observe(metric):
            new = max(self.lr * self.factor, self.min_lr)
            if self.lr - new > self.eps:
                self.lr = new
                self.reduce()
        return self.lr

    # -- config -------------------------------------------------------------------------
    def _hyper(self) -> dict[str, Any]:
        return {"mode": self.mode, "factor": self.factor, "patience": self.patience,
                "threshold": self.threshold, "threshold_mode": self.threshold_mode,
                "cooldown": self.cooldown, "min_lr": self.min_lr, "eps": self.eps}

    def __eq__(self, other: object) -> bool:
        """Equal hyperparameters (the state is not compared)."""
        if type(other) is not type(self):
            return NotImplemented
        return (self.initial_lr, self._hyper()) == (other.initial_lr,  # type: ignore[attr-defined]
                                                    other._hyper())  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable state

    def __repr__(self) -> str:
        return (f"Plateau(lr={self.initial_lr!r}, mode={self.mode!r}, factor={self.factor!r}, "
                f"patience={self.patience!r}, threshold={self.threshold!r}, threshold_mode="
                f"{self.threshold_mode!r}, cooldown={self.cooldown!r}, min_lr={self.min_lr!r}, "
                f"eps={self.eps!r})")


class OnPlateau:
    """A closed-form schedule cut by a plateau controller: a metric-driven part of a plan.

    With :math:`s` = ``schedule``, :math:`c` the controller's multiplier (the product of the
    reductions applied so far; 1 before the first), :math:`t_0` = ``start``, :math:`t_1` =
    ``stop`` and :math:`g` = ``then``:

    .. math::
        v(t) = \\begin{cases} s(t) & c = 1 \\\\ \\max(c\\, s(t), v_{\\min}) & c < 1 \\end{cases}
        \\quad (t < t_1), \\qquad v(t) = v(t_1)\\, g(t - t_1) \\quad (t \\ge t_1)

    Metrics observed before ``start`` (e.g. during a warmup) or from ``stop`` on are ignored.
    A reduction is skipped when it would change :math:`v` at the current step by ``<= eps``.
    Uses:

    * **warmup then plateau control**: ``OnPlateau(warmup(Constant(1e-3), 500), start=500)``;
    * **cosine with plateau cuts**: ``OnPlateau(Cosine(1e-3, 10_000), factor=0.5)``;
    * **plateau ending in a cooldown**: ``OnPlateau(Constant(1e-3), stop=9000,
      then=Linear(1.0, 0.0, 1000))`` — the rate reached at step 9000 decays linearly to 0.

    The remaining arguments are those of :class:`Plateau` (``min_lr`` is the floor
    :math:`v_{\\min}`, in the units of the schedule's values).
    """

    def __init__(self, schedule: Schedule, *, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8, start: float = 0,
                 stop: float | None = None, then: Schedule | None = None) -> None:
        o = type(self).__name__
        if not isinstance(schedule, Schedule):
            raise TypeError(f"{o}: schedule must be an lrkit Schedule, got {schedule!r} "
                            f"({type(schedule).__name__})")
        self.schedule = schedule
        self.controller = Plateau.__new__(Plateau)
        self.controller._setup(o, 1.0, mode, factor, patience, threshold, threshold_mode, cooldown,
                               min_lr, eps)
        self.start = _check.non_negative("start", start, o)
        if stop is not None:
            stop = _check.number("stop", stop, o)
            if stop <= self.start:
                raise ValueError(f"{o}: stop must be > start ({self.start!r}), got {stop!r}")
        self.stop = stop
        if then is not None:
            if not isinstance(then, Schedule):
                raise TypeError(f"{o}: then must be an lrkit Schedule (a multiplier curve), got "
                                f"{then!r} ({type(then).__name__})")
            if stop is None:
                raise ValueError(f"{o}: then needs stop (the step where the cooldown starts)")
        self.then = then

    @property
    def scale(self) -> float:
        """The multiplier applied so far (product of the reductions)."""
        return self.controller.scale

    def _cut(self, base: float, scale: float) -> float:
        if scale == 1.0:
            return base
        return max(base * scale, self.controller.min_lr)

    def __call__(self, step: Any) -> Any:
        """The value at ``step`` given the reductions applied so far: a Python float for a
        number, the same kind of array for a NumPy array, a tensor or a JAX array."""
        return self.value(step, self.controller.scale)

    def value(self, step: Any, scale: Any) -> Any:
        """The value at ``step`` for the multiplier ``scale`` (:math:`c` above).

        ``scale`` is a number, or -- for an array ``step`` -- a scalar array of the same
        framework and float type as the evaluated schedule (e.g. a variable read inside a
        compiled step, as :mod:`lrkit.keras` does); ``self(step)`` is
        ``self.value(step, self.scale)``."""
        c = self.controller
        stop = self.stop
        ops = backend_for(step)
        if ops is PY:
            value = self._cut(self.schedule(step), scale)  # the schedule checks the step
            if stop is None or step < stop:
                return value
            value = self._cut(self.schedule(stop), scale)
            if self.then is not None:
                value *= self.then(step - stop)
            return value
        t = ops.prepare(step)
        if isinstance(scale, numbers.Real):
            def cut(v: Any) -> Any:
                return v if scale == 1.0 else ops.maximum(v * scale, c.min_lr)
        else:  # a scalar array (a variable read in a compiled step): decided inside the graph
            def cut(v: Any) -> Any:
                return ops.where(scale == 1.0, v, ops.maximum(v * scale, c.min_lr))
        value = cut(self.schedule(t))
        if stop is not None:
            tail = (self._cut(self.schedule(stop), scale) if isinstance(scale, numbers.Real)
                    else cut(self.schedule(ops.full_like(t, stop))))
            if self.then is not None:
                tail = tail * self.then(ops.maximum(t - stop, 0.0))
            value = ops.where(t < stop, value, tail)
        return ops.finish(value)

    def watching(self, step: float) -> bool:
        """Whether a metric given at ``step`` is taken into account."""
        return step >= self.start and (self.stop is None or step < self.stop)

    def observe(self, step: float, metric: Any) -> bool:
        """Feed ``metric`` seen at ``step``; return ``True`` when the multiplier was reduced."""
        value = metric_value(metric, type(self).__name__)
        if not self.watching(step):
            return False
        c = self.controller
        if not c.observe(value):
            return False
        base = self.schedule(step)
        old = self._cut(base, c.scale)
        new = self._cut(base, c.scale * c.factor)
        if old - new > c.eps:
            c.reduce()
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return self.controller.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict` (checked as :meth:`Plateau.load_state_dict` does)."""
        for k, v in _checked_state(state, type(self).__name__).items():
            setattr(self.controller, k, v)

    def reset(self) -> None:
        self.controller.reset()

    # -- config -------------------------------------------------------------------------
    #: ``start`` and ``stop`` may be written with a unit in a config (resolved by a budget)
    __lrkit_durations__ = ("start", "stop")

    def to_config(self) -> dict[str, Any]:
        """A plain ``dict`` (JSON/YAML/TOML-safe) that :func:`lrkit.from_config` turns back into
        an equal ``OnPlateau``: the schedule and ``then`` as nested configs, the controller's
        hyperparameters, ``start`` and ``stop`` (``stop`` and ``then`` only when set). The
        controller's state is not part of it: see :meth:`state_dict`."""
        cfg: dict[str, Any] = {"type": "on_plateau", "schedule": self.schedule.to_config(),
                               **self.controller._hyper(), "start": self.start}
        if self.stop is not None:
            cfg["stop"] = self.stop
        if self.then is not None:
            cfg["then"] = self.then.to_config()
        return cfg

    def __eq__(self, other: object) -> bool:
        """Equal schedules and hyperparameters (the controller's state is not compared)."""
        if type(other) is not type(self):
            return NotImplemented
        return self.to_config() == other.to_config()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable state

    def __repr__(self) -> str:
        c = self.controller
        return (f"OnPlateau({self.schedule!r}, mode={c.mode!r}, factor={c.factor!r}, patience="
                f"{c.patience!r}, threshold={c.threshold!r}, threshold_mode={c.threshold_mode!r}, "
                f"cooldown={c.cooldown!r}, min_lr={c.min_lr!r}, eps={c.eps!r}, start="
                f"{self.start!r}, stop={self.stop!r}, then={self.then!r})")


register("on_plateau", OnPlateau)
