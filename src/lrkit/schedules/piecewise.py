"""Piecewise-constant and multistep schedules, with a selectable boundary convention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field, times

__all__ = ["Piecewise", "MultiStep", "SWITCH_AFTER", "SWITCH_AT"]

SWITCH_AFTER = "after"  # TensorFlow / Keras: the value changes once step > boundary
SWITCH_AT = "at"  # torch / optax: the value changes once step >= boundary


def _crossed(t: Any, b: float, switch: str, ops: Any) -> Any:
    # ops.crossed compares an integer step exactly where the framework keeps it (JAX float32)
    return ops.crossed(t, b, switch == SWITCH_AFTER)


@dataclass(frozen=True)
class Piecewise(Schedule, name="piecewise"):
    """Piecewise constant: ``values[i]`` between ``boundaries[i-1]`` and ``boundaries[i]``.

    .. math:: s(t) = v_k, \\qquad k = \\#\\{\\, i : t \\succ b_i \\,\\}

    where :math:`\\succ` is :math:`>` for ``switch="after"`` (TensorFlow/Keras
    ``piecewise_constant``: the value at step :math:`b_i` is still :math:`v_i`) and
    :math:`\\ge` for ``switch="at"`` (torch ``MultiStepLR``/optax: the new value applies at
    step :math:`b_i`). ``values`` has one more element than ``boundaries``.
    """

    values: tuple[float, ...]
    boundaries: tuple[float, ...] = duration_field()
    switch: str = SWITCH_AFTER

    def __post_init__(self) -> None:
        o = owner(self)
        values = _check.numbers("values", self.values, o)
        bounds = _check.numbers("boundaries", self.boundaries, o)
        if len(values) != len(bounds) + 1:
            raise ValueError(
                f"{o}: values must have one more element than boundaries, got "
                f"{len(values)} values and {len(bounds)} boundaries"
            )
        for i, v in enumerate(values):
            _check.non_negative(f"values[{i}]", v, o)
        _check.increasing("boundaries", bounds, o)
        _check.choice("switch", self.switch, (SWITCH_AFTER, SWITCH_AT), o)
        set_field(self, "values", values)
        set_field(self, "boundaries", bounds)

    def phase_boundaries(self) -> tuple[float, ...]:
        return self.boundaries

    def _eval(self, t: Any, ops: Any) -> Any:
        value = ops.full_like(t, self.values[0])
        for b, v in zip(self.boundaries, self.values[1:]):
            value = ops.where(_crossed(t, b, self.switch, ops), v, value)
        return value


@dataclass(frozen=True)
class MultiStep(Schedule, name="multistep"):
    """Multiply by ``factor`` at each milestone (torch's ``MultiStepLR``).

    .. math:: s(t) = a\\, \\gamma^{\\#\\{\\, i : t \\succ m_i \\,\\}}

    A milestone listed twice counts twice, as in torch. ``switch`` as in :class:`Piecewise`
    (default ``"at"``, torch's convention).
    """

    start: float
    milestones: tuple[float, ...] = duration_field()
    factor: float = 0.1
    switch: str = SWITCH_AT

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        ms = tuple(sorted(_check.numbers("milestones", self.milestones, o)))
        for i, m in enumerate(ms):
            _check.non_negative(f"milestones[{i}]", m, o)
        set_field(self, "milestones", ms)
        set_field(self, "factor", _check.positive("factor", self.factor, o))
        _check.choice("switch", self.switch, (SWITCH_AFTER, SWITCH_AT), o)

    def phase_boundaries(self) -> tuple[float, ...]:
        return tuple(sorted(set(self.milestones)))

    def _eval(self, t: Any, ops: Any) -> Any:
        count = ops.full_like(t, 0.0)
        for m in self.milestones:
            count = count + ops.where(_crossed(t, m, self.switch, ops), 1.0, 0.0)
        return times(self.start, ops.power(self.factor, count), ops)
