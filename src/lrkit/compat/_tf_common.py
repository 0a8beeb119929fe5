"""What the TensorFlow 1 and Keras dialects build alike, checked under the dialect's own names."""

from __future__ import annotations

from typing import Any

from lrkit import _check
from lrkit.compat._tf_sgdr import SGDRDecay, float32_fits
from lrkit.schedule import Schedule
from lrkit.schedules import Constant, Exponential, Piecewise, Polynomial


def exponential(learning_rate: float, decay_rate: float, decay_steps: float,
                staircase: bool) -> Schedule:
    """:math:`\\eta_0 r^{p}`, ``p = t / T`` (floored when ``staircase``); all arguments checked.

    A rate of 0 is TensorFlow's too (``0 ** 0 = 1``): :math:`\\eta_0` while :math:`p = 0`,
    then 0 (a ``natural_exp_decay`` whose ``exp(-decay_rate)`` underflows gives it).
    """
    if decay_rate == 0.0:
        if staircase:  # p = floor(t / T) is 0 until T
            return Piecewise((learning_rate, 0.0), (decay_steps,), switch="at")
        return Piecewise((learning_rate, 0.0), (0.0,), switch="after")
    return Exponential(learning_rate, decay_rate, decay_steps, staircase)


def polynomial(o: str, lr_name: str, learning_rate: Any, decay_steps: Any,
               end_learning_rate: Any, power: Any, cycle: Any) -> Schedule:
    """Polynomial decay, all arguments checked; ``power=0`` is TensorFlow's constant rate
    (``(1 - p) ** 0 = 1`` at every step, even at the end)."""
    lr = _check.non_negative(lr_name, learning_rate, o)
    steps = _check.positive("decay_steps", decay_steps, o)
    end = _check.non_negative("end_learning_rate", end_learning_rate, o)
    p = _check.non_negative("power", power, o)
    cyc = _check.boolean("cycle", cycle, o)
    if p == 0.0:
        return Constant(lr)
    return Polynomial(lr, steps, end, p, cyc)


def sgdr(o: str, lr_name: str, learning_rate: Any, first_decay_steps: Any, t_mul: Any,
         m_mul: Any, alpha: Any, precision: str = "float32") -> SGDRDecay:
    """:class:`SGDRDecay` with every argument checked under the dialect's names."""
    lr = _check.non_negative(lr_name, learning_rate, o)
    first = _check.positive("first_decay_steps", first_decay_steps, o)
    tm = _check.number("t_mul", t_mul, o)
    if tm < 1.0:  # shorter and shorter cycles: TensorFlow returns NaN after T0/(1 - t_mul)
        raise ValueError(f"{o}: t_mul must be >= 1, got {t_mul!r}")
    if precision == "float32":  # TensorFlow casts them to float32
        for name, value in (("first_decay_steps", first), ("t_mul", tm)):
            if not float32_fits(value):
                raise ValueError(f"{o}: {name} must fit a float32 (<= 3.4e38), got {value!r}")
    return SGDRDecay(lr, first, tm, _check.non_negative("m_mul", m_mul, o),
                     _check.probability("alpha", alpha, o), precision)
