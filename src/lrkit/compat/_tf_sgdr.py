"""TensorFlow's and Keras' cosine decay with restarts, with their own restart arithmetic.

Native :class:`lrkit.CosineRestarts` finds the cycle exactly. TensorFlow (``tf.compat.v1.train.
cosine_decay_restarts``) and Keras (``CosineDecayRestarts``) compute the restart index with a
floating-point logarithm, which can land one cycle off at an exact boundary; the compat
dialects reproduce that, term for term, with this small schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field

__all__ = ["SGDRDecay"]


@dataclass(frozen=True)
class SGDRDecay(Schedule, name="tf1.SGDRDecay"):
    """Cosine decay with warm restarts, TensorFlow/Keras arithmetic.

    With :math:`f = t / T_0` the completed fraction of the first period,

    .. math::

        i &= \\Big\\lfloor \\frac{\\log(1 - f (1 - m_T))}{\\log m_T} \\Big\\rfloor
            \\ (m_T \\ne 1), \\qquad i = \\lfloor f \\rfloor \\ (m_T = 1) \\\\
        x &= \\frac{f - (1 - m_T^{i})/(1 - m_T)}{m_T^{i}} \\ (m_T \\ne 1), \\qquad
            x = f - i \\ (m_T = 1) \\\\
        s(t) &= a \\Big[(1 - \\alpha)\\, \\tfrac12\\, m_M^{i} (1 + \\cos \\pi x) + \\alpha\\Big]

    The floor :math:`\\alpha a` is kept in every cycle and only the cosine above it shrinks by
    :math:`m_M^{i}`. :math:`i` comes from a floating-point ``log``, exactly as in TensorFlow,
    so at some exact cycle boundaries the value is the previous cycle's end instead of the
    new cycle's start (native :class:`lrkit.CosineRestarts` with ``alpha=`` is exact there).
    Legend: :math:`a` = ``initial_learning_rate``, :math:`T_0` = ``first_decay_steps``,
    :math:`m_T` = ``t_mul``, :math:`m_M` = ``m_mul``, :math:`\\alpha` = ``alpha``.
    """

    initial_learning_rate: float
    first_decay_steps: float = duration_field()
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "initial_learning_rate",
                  _check.non_negative("initial_learning_rate", self.initial_learning_rate, o))
        set_field(self, "first_decay_steps",
                  _check.positive("first_decay_steps", self.first_decay_steps, o))
        t_mul = _check.number("t_mul", self.t_mul, o)
        if t_mul < 1.0:  # shorter and shorter cycles: TensorFlow returns NaN after T0/(1 - t_mul)
            raise ValueError(f"{o}: t_mul must be >= 1, got {self.t_mul!r}")
        set_field(self, "t_mul", t_mul)
        set_field(self, "m_mul", _check.non_negative("m_mul", self.m_mul, o))
        set_field(self, "alpha", _check.probability("alpha", self.alpha, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        frac = t / self.first_decay_steps
        t_mul = self.t_mul
        if t_mul == 1.0:
            i = ops.floor(frac)
            x = frac - i
        else:
            i = ops.floor(ops.log(1.0 - frac * (1.0 - t_mul)) / math.log(t_mul))
            grown = ops.power(t_mul, i)
            x = (frac - (1.0 - grown) / (1.0 - t_mul)) / grown
        cosine = 0.5 * ops.power(self.m_mul, i) * (1.0 + ops.cos(math.pi * x))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)
