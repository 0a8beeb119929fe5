"""Cyclical learning rates (Smith 2017) and the one-cycle policy (Smith & Topin 2018), each
with the momentum curve that goes with it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field

__all__ = ["Cyclic", "OneCycle", "MomentumOf"]

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")
ANNEAL = ("cos", "linear")


def triangle(t: Any, ops: Any, up: float, down: float | None) -> tuple[Any, Any]:
    """Torch ``CyclicLR``'s cycle number :math:`c = \\lfloor 1 + t/C \\rfloor` and triangle
    :math:`h \\in [0, 1]` (rising over ``up`` steps, falling over ``down``, default ``up``)."""
    up = float(up)
    total = up + (float(down) if down is not None else up)
    ratio = up / total
    q = ops.minimum(t / total, 1e300)  # cycles counted past 1e300 would give inf - inf = NaN
    cycle = ops.floor(1.0 + q)
    x = 1.0 + q - cycle
    if ratio == 1.0:  # no down phase: the ramp restarts at every cycle
        return cycle, x / ratio
    return cycle, ops.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))


@dataclass(frozen=True)
class Cyclic(Schedule, name="cyclic"):
    """Cyclical learning rate between ``base`` and ``peak`` (torch's ``CyclicLR``).

    With :math:`C = U + D` the cycle length, :math:`c = \\lfloor 1 + t/C \\rfloor` the cycle
    number, :math:`x = 1 + t/C - c` the position in it and :math:`r = U/C`:

    .. math:: h(x) = \\begin{cases} x / r & x \\le r \\\\ (x - 1)/(r - 1) & x > r \\end{cases}
              \\qquad s(t) = b + (p - b)\\, h(x)\\, g

    with :math:`g = 1` (``triangular``), :math:`2^{-(c-1)}` (``triangular2``) or
    :math:`\\gamma^t` (``exp_range``). Legend: :math:`b` = ``base``, :math:`p` = ``peak``,
    :math:`U` = ``step_size_up``, :math:`D` = ``step_size_down`` (defaults to :math:`U`).
    ``.momentum`` is the mirrored curve from ``max_momentum`` down to ``base_momentum``.
    """

    base: float
    peak: float
    step_size_up: float = duration_field(2000.0)
    step_size_down: float | None = duration_field(None)
    mode: str = "triangular"
    gamma: float = 1.0
    base_momentum: float = 0.8
    max_momentum: float = 0.9

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "base", _check.non_negative("base", self.base, o))
        set_field(self, "peak", _check.non_negative("peak", self.peak, o))
        set_field(self, "step_size_up", _check.positive("step_size_up", self.step_size_up, o))
        if self.step_size_down is not None:
            set_field(self, "step_size_down",
                      _check.positive("step_size_down", self.step_size_down, o))
        _check.choice("mode", self.mode, CYCLIC_MODES, o)
        set_field(self, "gamma", _check.positive("gamma", self.gamma, o))
        if self.mode == "exp_range" and self.gamma > 1.0 and self.peak < self.base:
            # the swing below base grows as gamma^t: the rate would go below zero
            raise ValueError(f"{o}: gamma must be <= 1 in exp_range mode when peak < base (the "
                             f"rate would fall below 0), got gamma={self.gamma!r}")
        set_field(self, "base_momentum", _check.non_negative("base_momentum",
                                                             self.base_momentum, o))
        set_field(self, "max_momentum", _check.non_negative("max_momentum", self.max_momentum, o))

    @property
    def momentum(self) -> Schedule:
        """The momentum curve torch's ``CyclicLR(cycle_momentum=True)`` applies."""
        return MomentumOf(self)

    def _shape(self, t: Any, ops: Any) -> Any:
        cycle, h = triangle(t, ops, self.step_size_up, self.step_size_down)
        if self.mode == "triangular2":
            h = h / ops.power(2.0, cycle - 1.0)
        elif self.mode == "exp_range" and self.gamma != 1.0:
            # 0 at the base stays 0 when gamma > 1 has grown gamma^t past the float range
            h = ops.where(h > 0.0, h * ops.power(self.gamma, t), 0.0)
        return h

    def _eval(self, t: Any, ops: Any) -> Any:
        return swing(self.base, self.peak, self._shape(t, ops), 1.0, ops)

    def _momentum_eval(self, t: Any, ops: Any) -> Any:
        return swing(self.max_momentum, self.base_momentum, self._shape(t, ops), 1.0, ops)


def swing(a: float, b: float, h: Any, g: Any, ops: Any) -> Any:
    """torch's :math:`a + (b - a)\\,h\\,g`, term for term; exactly :math:`a` where :math:`b = a`
    or :math:`h = 0` (``exp_range`` with :math:`\\gamma > 1` may have grown :math:`g` to ``inf``,
    and :math:`0 \\cdot \\infty` is NaN)."""
    if a == b:
        return ops.full_like(h, a) if not isinstance(h, float) else a
    value = a + (b - a) * h * g  # (x * 1.0 == x: a plain g of 1 changes nothing)
    return value if isinstance(g, float) else ops.where(h > 0.0, value, a)


def _anneal(kind: str, a: float, b: float, pct: Any, ops: Any) -> Any:
    if kind == "cos":
        return b + (a - b) / 2.0 * (ops.cos(math.pi * pct) + 1.0)
    return (b - a) * pct + a


def one_cycle_ends(total: float, pct_start: float, three_phase: bool) -> tuple[float, ...]:
    """Torch's phase ends: :math:`(\\rho T - 1, T - 1)` or :math:`(\\rho T - 1, 2\\rho T - 2, T - 1)`."""
    if three_phase:
        return (pct_start * total - 1.0, 2.0 * pct_start * total - 2.0, total - 1.0)
    return (pct_start * total - 1.0, total - 1.0)


def one_cycle_curve(t: Any, ops: Any, ends: tuple[float, ...], values: tuple[float, ...], anneal: str,
                    *, hold_last: bool = True) -> Any:
    """Anneal from ``values[k]`` to ``values[k + 1]`` in phase ``k`` (ending at ``ends[k]``).

    ``hold_last`` holds the final value past the last phase; without it the last phase's formula
    is used as is (torch extrapolates it at ``t = total_steps``; callers clip ``t``).
    """
    starts = (0.0,) + ends[:-1]
    last = len(ends) - 1
    pct = (t - starts[last]) / (ends[last] - starts[last])
    if hold_last:
        pct = ops.minimum(pct, 1.0)
    out = _anneal(anneal, values[last], values[last + 1], pct, ops)
    for k in range(last - 1, -1, -1):
        pct = (t - starts[k]) / (ends[k] - starts[k])
        out = ops.where(t <= ends[k], _anneal(anneal, values[k], values[k + 1], pct, ops), out)
    return out


@dataclass(frozen=True)
class OneCycle(Schedule, name="one_cycle"):
    """The one-cycle policy (torch's ``OneCycleLR`` conventions).

    Rates: :math:`a_0 = p / \\text{div\\_factor}` at the start, :math:`p` = ``peak``, and
    :math:`a_{\\min} = a_0 / \\text{final\\_div\\_factor}` at the end. Phases end at steps

    * two phases: :math:`e_1 = \\rho T - 1`, :math:`e_2 = T - 1`
      (:math:`a_0 \\to p \\to a_{\\min}`);
    * three phases: :math:`e_1 = \\rho T - 1`, :math:`e_2 = 2\\rho T - 2`, :math:`e_3 = T - 1`
      (:math:`a_0 \\to p \\to a_0 \\to a_{\\min}`).

    Inside phase :math:`k` (from :math:`e_{k-1}`, with :math:`e_0 = 0`, to :math:`e_k`) the
    value anneals from :math:`v_{k-1}` to :math:`v_k` with :math:`u = (t - e_{k-1})/(e_k -
    e_{k-1})`:

    .. math:: \\text{cos: } v_k + \\tfrac12 (v_{k-1} - v_k)(1 + \\cos \\pi u), \\qquad
              \\text{linear: } v_{k-1} + (v_k - v_{k-1})\\, u

    Past :math:`T - 1` the final value is held. ``.momentum`` runs the same phases from
    ``max_momentum`` down to ``base_momentum`` and back (held at ``max_momentum`` in the
    third phase). Legend: :math:`\\rho` = ``pct_start``, :math:`T` = ``total_steps``.
    """

    peak: float
    total_steps: float = duration_field()
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    anneal: str = "cos"
    base_momentum: float = 0.85
    max_momentum: float = 0.95

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "peak", _check.non_negative("peak", self.peak, o))
        set_field(self, "total_steps", _check.positive("total_steps", self.total_steps, o))
        set_field(self, "pct_start", _check.probability("pct_start", self.pct_start, o,
                                                        open_low=True, open_high=True))
        set_field(self, "div_factor", _check.positive("div_factor", self.div_factor, o))
        set_field(self, "final_div_factor", _check.positive("final_div_factor",
                                                            self.final_div_factor, o))
        _check.boolean("three_phase", self.three_phase, o)
        _check.choice("anneal", self.anneal, ANNEAL, o)
        set_field(self, "base_momentum", _check.non_negative("base_momentum",
                                                             self.base_momentum, o))
        set_field(self, "max_momentum", _check.non_negative("max_momentum", self.max_momentum, o))
        ends = self._ends()
        prev = 0.0
        for k, e in enumerate(ends):
            if e <= prev:
                raise ValueError(
                    f"{o}: phase {k + 1} would be empty (ends at step {e:g}, after {prev:g}); "
                    f"increase total_steps or adjust pct_start (got total_steps="
                    f"{self.total_steps!r}, pct_start={self.pct_start!r})"
                )
            prev = e

    def _ends(self) -> tuple[float, ...]:
        return one_cycle_ends(self.total_steps, self.pct_start, self.three_phase)

    def phase_boundaries(self) -> tuple[float, ...]:
        return self._ends()[:-1]

    @property
    def horizon(self) -> float:
        return self.total_steps

    @property
    def initial(self) -> float:
        return self.peak / self.div_factor

    @property
    def minimum(self) -> float:
        return self.initial / self.final_div_factor

    @property
    def momentum(self) -> Schedule:
        """The momentum curve that goes with this one-cycle (torch's ``cycle_momentum``)."""
        return MomentumOf(self)

    def _curve(self, t: Any, ops: Any, values: tuple[float, ...]) -> Any:
        return one_cycle_curve(t, ops, self._ends(), values, self.anneal)

    def _eval(self, t: Any, ops: Any) -> Any:
        if self.three_phase:
            values = (self.initial, self.peak, self.initial, self.minimum)
        else:
            values = (self.initial, self.peak, self.minimum)
        return self._curve(t, ops, values)

    def _momentum_eval(self, t: Any, ops: Any) -> Any:
        hi, lo = self.max_momentum, self.base_momentum
        values = (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi)
        return self._curve(t, ops, values)


@dataclass(frozen=True)
class MomentumOf(Schedule, name="momentum_of"):
    """The momentum curve of a cyclic or one-cycle schedule (``source``)."""

    source: Schedule

    def __post_init__(self) -> None:
        if not hasattr(self.source, "_momentum_eval"):
            raise TypeError(
                f"MomentumOf: source must be a one_cycle or cyclic schedule, got "
                f"{type(self.source).__name__}"
            )

    @property
    def horizon(self) -> float | None:
        return self.source.horizon

    def phase_boundaries(self) -> tuple[float, ...]:
        return self.source.phase_boundaries()

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.source._momentum_eval(t, ops)  # type: ignore[attr-defined]
