"""Constant, linear and polynomial schedules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field

__all__ = ["Constant", "Linear", "Polynomial"]


@dataclass(frozen=True)
class Constant(Schedule, name="constant"):
    """A constant value: :math:`s(t) = v`."""

    value: float

    def __post_init__(self) -> None:
        set_field(self, "value", _check.non_negative("value", self.value, owner(self)))

    def _eval(self, t: Any, ops: Any) -> Any:
        return ops.full_like(t, self.value)


@dataclass(frozen=True)
class Linear(Schedule, name="linear"):
    """Linear interpolation from ``start`` to ``end`` over ``steps``, then held at ``end``.

    .. math:: s(t) = a + (b - a)\\,\\min(t/T, 1)

    with :math:`a` = ``start``, :math:`b` = ``end``, :math:`T` = ``steps``.
    """

    start: float
    end: float
    steps: float = duration_field()

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "end", _check.non_negative("end", self.end, o))
        set_field(self, "steps", _check.positive("steps", self.steps, o))

    @property
    def horizon(self) -> float:
        return self.steps

    def _eval(self, t: Any, ops: Any) -> Any:
        frac = ops.minimum(t / self.steps, 1.0)
        return self.start + (self.end - self.start) * frac


@dataclass(frozen=True)
class Polynomial(Schedule, name="polynomial"):
    """Polynomial decay from ``start`` to ``end`` over ``steps`` (TensorFlow's ``polynomial_decay``).

    Without cycling (:math:`\\tau = \\min(t, T)`, :math:`D = T`):

    .. math:: s(t) = (a - b)\\,(1 - \\tau / D)^{p} + b

    With ``cycle=True`` the horizon grows to the next multiple of ``steps``:
    :math:`\\tau = t`, :math:`D = T\\max(\\lceil t / T\\rceil, 1)` (so :math:`D = T` at
    :math:`t = 0` and the initial value is kept at step 0, as TensorFlow does). The value then jumps back up
    at every multiple of ``steps``, to a lower peak each time.
    Legend: :math:`a` = ``start``, :math:`b` = ``end``, :math:`p` = ``power``.
    """

    start: float
    steps: float = duration_field()
    end: float = 0.0001
    power: float = 1.0
    cycle: bool = False

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "steps", _check.positive("steps", self.steps, o))
        set_field(self, "end", _check.non_negative("end", self.end, o))
        set_field(self, "power", _check.positive("power", self.power, o))
        _check.boolean("cycle", self.cycle, o)

    @property
    def horizon(self) -> float:
        return self.steps

    def _eval(self, t: Any, ops: Any) -> Any:
        if self.cycle:
            mult = ops.maximum(ops.ceil(t / self.steps), 1.0)  # 1 at t = 0 and where t / T underflows
            horizon = self.steps * mult
            tau = t
        else:
            horizon = self.steps
            tau = ops.minimum(t, self.steps)
        base = ops.maximum(1.0 - tau / horizon, 0.0)
        if self.power == 1.0:
            frac = base
        else:
            frac = ops.power(base, self.power)
        return (self.start - self.end) * frac + self.end


