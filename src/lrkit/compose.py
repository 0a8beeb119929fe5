"""Building schedules from schedules: warmup, sequences of phases, restarts, scaling,
products and clipping. Every composite is itself a pure, closed-form :class:`Schedule`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field
from lrkit.schedules.cosine import cycle_index

__all__ = ["Warmup", "Sequence", "Restarts", "Scale", "Product", "Clip", "warmup", "sequence"]

WARMUP_SHAPES = ("linear", "exponential", "cosine")


def _schedule(name: str, value: Any, o: str) -> Schedule:
    if not isinstance(value, Schedule):
        raise TypeError(f"{o}: {name} must be an lrkit Schedule, got {value!r} "
                        f"({type(value).__name__})")
    return value


@dataclass(frozen=True)
class Warmup(Schedule, name="warmup"):
    """A warmup in front of ``schedule`` that hands over with no jump.

    With :math:`W` = ``steps``, :math:`a_0` = ``start``, :math:`u = \\min(t/W, 1)` and the
    target :math:`g` = ``schedule(0)`` (``prefix=True``: the schedule starts after the warmup,
    counting from its own step 0, as Hugging Face, optax and timm's ``warmup_prefix`` do) or
    ``schedule(W)`` (``prefix=False``: the warmup overlays the schedule's first :math:`W`
    steps, timm's default):

    .. math:: s(t) = \\begin{cases} w(u) & t < W \\\\
              \\text{schedule}(t - W) \\text{ or schedule}(t) & t \\ge W\\end{cases}

    ``linear`` :math:`w = a_0 + (g - a_0)u`; ``cosine``
    :math:`w = a_0 + (g - a_0)\\tfrac12(1 - \\cos \\pi u)`; ``exponential``
    :math:`w = a_0 (g/a_0)^{u}` (needs :math:`a_0 > 0`).
    """

    schedule: Schedule
    steps: float = duration_field()
    start: float = 0.0
    shape: str = "linear"
    prefix: bool = True
    target: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        o = owner(self)
        _schedule("schedule", self.schedule, o)
        set_field(self, "steps", _check.non_negative("steps", self.steps, o))
        _check.boolean("prefix", self.prefix, o)
        # the value the warmup reaches at its end: the schedule's value at the hand-over
        set_field(self, "target", float(self.schedule(0.0 if self.prefix else self.steps)))
        set_field(self, "start", _check.non_negative("start", self.start, o))
        _check.choice("shape", self.shape, WARMUP_SHAPES, o)
        if self.shape == "exponential":
            if self.start <= 0:
                raise ValueError(f"{o}: start must be > 0 for shape='exponential', got "
                                 f"{self.start!r}")
            if self.target <= 0:
                raise ValueError(f"{o}: the schedule must be > 0 where the warmup hands over for "
                                 f"shape='exponential', got {self.target!r}")

    @property
    def horizon(self) -> float | None:
        inner = self.schedule.horizon
        if inner is None:
            return None
        return inner + self.steps if self.prefix else max(inner, self.steps)

    def phase_boundaries(self) -> tuple[float, ...]:
        shift = self.steps if self.prefix else 0.0
        inner = tuple(b + shift for b in self.schedule.phase_boundaries())
        return ((self.steps,) if self.steps > 0 else ()) + inner

    def _eval(self, t: Any, ops: Any) -> Any:
        if self.steps == 0:
            return self.schedule._eval(t, ops)
        g, a = self.target, self.start
        if self.shape == "linear":
            warm = a + (g - a) * ops.clip(t / self.steps, 0.0, 1.0)
        elif self.shape == "cosine":
            warm = a + (g - a) * 0.5 * (1.0 - ops.cos(math.pi * ops.clip(t / self.steps, 0.0, 1.0)))
        else:
            warm = a * ops.power(g / a, ops.clip(t / self.steps, 0.0, 1.0))
        after = self.schedule._eval(ops.maximum(t - self.steps, 0.0) if self.prefix else t, ops)
        return ops.where(t < self.steps, warm, after)


def warmup(schedule: Schedule, steps: float, start: float = 0.0, shape: str = "linear",
           prefix: bool = True) -> Warmup:
    """``Warmup(schedule, steps, start, shape, prefix)``: see :class:`Warmup`."""
    return Warmup(schedule, steps, start, shape, prefix)


@dataclass(frozen=True)
class Sequence(Schedule, name="sequence"):
    """Phases one after another: ``phases[k]`` runs from ``boundaries[k-1]`` to
    ``boundaries[k]``.

    .. math:: s(t) = \\text{phase}_k(t - b_{k-1}) \\quad (\\text{relative}) \\qquad
              s(t) = \\text{phase}_k(t) \\quad (\\text{absolute}),
              \\qquad b_{k-1} \\le t < b_k

    With ``relative=True`` (default, optax's ``join_schedules``) each phase counts from its own
    start, so a phase is written as if it ran alone; with ``relative=False`` every phase sees the
    global step. The phase changes *at* the boundary (``t >= b``).
    """

    phases: tuple[Schedule, ...]
    boundaries: tuple[float, ...] = duration_field()
    relative: bool = True

    def __post_init__(self) -> None:
        o = owner(self)
        phases = tuple(self.phases) if isinstance(self.phases, (list, tuple)) else None
        if not phases:
            raise TypeError(f"{o}: phases must be a non-empty list of schedules, got "
                            f"{self.phases!r}")
        for i, p in enumerate(phases):
            _schedule(f"phases[{i}]", p, o)
        bounds = _check.numbers("boundaries", self.boundaries, o)
        if len(phases) != len(bounds) + 1:
            raise ValueError(f"{o}: phases must have one more element than boundaries, got "
                             f"{len(phases)} phases and {len(bounds)} boundaries")
        for i, b in enumerate(bounds):
            _check.positive(f"boundaries[{i}]", b, o)
        _check.increasing("boundaries", bounds, o)
        _check.boolean("relative", self.relative, o)
        set_field(self, "phases", phases)
        set_field(self, "boundaries", bounds)

    @property
    def horizon(self) -> float | None:
        last = self.phases[-1].horizon
        if last is None:
            return None
        return last + self.boundaries[-1] if self.relative and self.boundaries else last

    def phase_boundaries(self) -> tuple[float, ...]:
        """The sequence's own boundaries and those of its phases, on the global step axis."""
        out = set(self.boundaries)
        starts = (0.0,) + self.boundaries
        ends = self.boundaries + (math.inf,)
        for phase, lo, hi in zip(self.phases, starts, ends):
            for b in phase.phase_boundaries():
                x = b + lo if self.relative else b
                if lo < x < hi:
                    out.add(x)
        return tuple(sorted(out))

    def _eval(self, t: Any, ops: Any) -> Any:
        value = self.phases[0]._eval(t, ops)
        for b, phase in zip(self.boundaries, self.phases[1:]):
            local = ops.maximum(t - b, 0.0) if self.relative else t
            value = ops.where(t >= b, phase._eval(local, ops), value)
        return value


def sequence(phases: list[Schedule], boundaries: list[float], relative: bool = True) -> Sequence:
    """``Sequence(phases, boundaries, relative)``: see :class:`Sequence`."""
    return Sequence(tuple(phases), tuple(boundaries), relative)


@dataclass(frozen=True)
class Restarts(Schedule, name="restarts"):
    """Restart any schedule periodically.

    Cycle :math:`i` starts at :math:`S_i` and lasts :math:`L_i = P m^i`; inside it the wrapped
    schedule is played stretched to the cycle's length and scaled by :math:`\\delta^i`:

    .. math:: s(t) = \\delta^{i}\\, \\text{schedule}\\big((t - S_i)\\, P / L_i\\big)

    so ``schedule`` is written for one base period :math:`P`. Legend: :math:`P` = ``period``,
    :math:`m` = ``period_mult`` (>= 1, may be fractional), :math:`\\delta` = ``peak_decay``.
    Boundaries are exact (see :func:`lrkit.schedules.cosine.cycle_index`).
    """

    schedule: Schedule
    period: float = duration_field()
    period_mult: float = 1.0
    peak_decay: float = 1.0

    def __post_init__(self) -> None:
        o = owner(self)
        _schedule("schedule", self.schedule, o)
        set_field(self, "period", _check.positive("period", self.period, o))
        pm = _check.number("period_mult", self.period_mult, o)
        if pm < 1.0:
            raise ValueError(f"{o}: period_mult must be >= 1, got {self.period_mult!r}")
        set_field(self, "period_mult", pm)
        set_field(self, "peak_decay", _check.positive("peak_decay", self.peak_decay, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        i, pos, length = cycle_index(ops.maximum(t, 0.0), ops, self.period, self.period_mult)
        local = pos if self.period_mult == 1.0 else pos * (self.period / length)
        value = self.schedule._eval(local, ops)
        if self.peak_decay != 1.0:
            # a zero stays zero when a growing peak (peak_decay > 1) has passed the float range:
            # its factor is delta**0 (no 0 * inf, no NaN, no warning)
            value = value * ops.power(self.peak_decay, ops.where(value > 0.0, i, 0.0))
        return value


class _Wraps:
    """Composites around one ``schedule`` keep its horizon and phase boundaries."""

    schedule: Schedule

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def phase_boundaries(self) -> tuple[float, ...]:
        return self.schedule.phase_boundaries()


@dataclass(frozen=True)
class Scale(_Wraps, Schedule, name="scale"):
    """A schedule multiplied by a constant: :math:`s(t) = c \\cdot \\text{schedule}(t)`."""

    schedule: Schedule
    factor: float

    def __post_init__(self) -> None:
        o = owner(self)
        _schedule("schedule", self.schedule, o)
        set_field(self, "factor", _check.non_negative("factor", self.factor, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.schedule._eval(t, ops) * self.factor


@dataclass(frozen=True)
class Product(Schedule, name="product"):
    """Pointwise product: :math:`s(t) = \\prod_k \\text{schedules}_k(t)` (e.g. a base rate
    times a multiplier curve, torch's ``ChainedScheduler``)."""

    schedules: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        o = owner(self)
        items = tuple(self.schedules) if isinstance(self.schedules, (list, tuple)) else ()
        if not items:
            raise TypeError(f"{o}: schedules must be a non-empty list of schedules, got "
                            f"{self.schedules!r}")
        flat: list[Schedule] = []
        for i, s in enumerate(items):
            _schedule(f"schedules[{i}]", s, o)
            flat.extend(s.schedules if isinstance(s, Product) else (s,))
        set_field(self, "schedules", tuple(flat))

    @property
    def horizon(self) -> float | None:
        hs = [s.horizon for s in self.schedules if s.horizon is not None]
        return max(hs) if hs else None

    def phase_boundaries(self) -> tuple[float, ...]:
        return tuple(sorted({b for s in self.schedules for b in s.phase_boundaries()}))

    def _eval(self, t: Any, ops: Any) -> Any:
        value = self.schedules[0]._eval(t, ops)
        for s in self.schedules[1:]:
            value = value * s._eval(t, ops)
        return value


@dataclass(frozen=True)
class Clip(_Wraps, Schedule, name="clip"):
    """A schedule clipped to ``[minimum, maximum]``:
    :math:`s(t) = \\min(\\max(\\text{schedule}(t), lo), hi)`."""

    schedule: Schedule
    minimum: float = 0.0
    maximum: float | None = None

    def __post_init__(self) -> None:
        o = owner(self)
        _schedule("schedule", self.schedule, o)
        set_field(self, "minimum", _check.non_negative("minimum", self.minimum, o))
        if self.maximum is not None:
            hi = _check.non_negative("maximum", self.maximum, o)
            if hi < self.minimum:
                raise ValueError(f"{o}: maximum must be >= minimum, got minimum="
                                 f"{self.minimum!r}, maximum={hi!r}")
            set_field(self, "maximum", hi)

    def _eval(self, t: Any, ops: Any) -> Any:
        value = ops.maximum(self.schedule._eval(t, ops), self.minimum)
        if self.maximum is not None:
            value = ops.minimum(value, self.maximum)
        return value
