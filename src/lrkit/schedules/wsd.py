"""Warmup-stable-decay (trapezoidal) schedules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field

__all__ = ["WarmupStableDecay", "DECAY_SHAPES"]

DECAY_SHAPES = ("linear", "cosine", "1-sqrt", "exponential")


def decay_shape(shape: str, f: Any, ops: Any, peak: float, end: float) -> Any:
    """Value at fraction ``f`` in [0, 1] of a decay from ``peak`` to ``end``."""
    if shape == "exponential":
        return peak * ops.power(end / peak, f)
    if shape == "linear":
        g = 1.0 - f
    elif shape == "cosine":
        g = 0.5 * (1.0 + ops.cos(math.pi * f))
    else:  # 1-sqrt
        g = 1.0 - ops.sqrt(f)
    return end + (peak - end) * g


@dataclass(frozen=True)
class WarmupStableDecay(Schedule, name="wsd"):
    """Warmup-stable-decay: linear warmup, a long constant stage, and a final decay.

    With :math:`W` = ``warmup_steps``, :math:`T` = ``total``, :math:`D` = ``decay_steps``:

    .. math:: s(t) = \\begin{cases}
        a_0 + (p - a_0)\\, t / W & t < W \\\\
        p & W \\le t < T - D \\\\
        \\text{shape}\\big(f\\big),\\ f = \\min\\big((t - T + D)/D, 1\\big) & t \\ge T - D
        \\end{cases}

    shapes (from :math:`p` at :math:`f=0` to :math:`b` at :math:`f=1`):
    ``linear`` :math:`b + (p - b)(1 - f)`; ``cosine`` :math:`b + (p-b)\\tfrac12(1 + \\cos\\pi f)`;
    ``1-sqrt`` :math:`b + (p - b)(1 - \\sqrt f)` (Hägele et al. 2024);
    ``exponential`` :math:`p\\,(b/p)^f` (needs :math:`b > 0`).
    Legend: :math:`a_0` = ``start``, :math:`p` = ``peak``, :math:`b` = ``end``.
    """

    peak: float
    total: float = duration_field()
    decay_steps: float = duration_field()
    warmup_steps: float = duration_field(0.0)
    start: float = 0.0
    end: float = 0.0
    decay_shape: str = "linear"

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "peak", _check.positive("peak", self.peak, o))
        set_field(self, "total", _check.positive("total", self.total, o))
        set_field(self, "decay_steps", _check.positive("decay_steps", self.decay_steps, o))
        set_field(self, "warmup_steps", _check.non_negative("warmup_steps", self.warmup_steps, o))
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "end", _check.non_negative("end", self.end, o))
        _check.choice("decay_shape", self.decay_shape, DECAY_SHAPES, o)
        if self.warmup_steps + self.decay_steps > self.total:
            raise ValueError(
                f"{o}: warmup_steps + decay_steps must be <= total, got {self.warmup_steps:g} + "
                f"{self.decay_steps:g} > {self.total:g}"
            )
        if self.decay_shape == "exponential" and self.end <= 0:
            raise ValueError(f"{o}: end must be > 0 for decay_shape='exponential', got "
                             f"{self.end!r}")

    @property
    def horizon(self) -> float:
        return self.total

    @property
    def decay_start(self) -> float:
        return self.total - self.decay_steps

    def phase_boundaries(self) -> tuple[float, ...]:
        bounds = [self.decay_start]
        if 0 < self.warmup_steps < self.decay_start:  # no stable stage: the warmup ends at the decay
            bounds.insert(0, self.warmup_steps)
        return tuple(bounds)

    def _eval(self, t: Any, ops: Any) -> Any:
        f = ops.minimum(ops.maximum(t - self.decay_start, 0.0) / self.decay_steps, 1.0)
        value = ops.where(t < self.decay_start, ops.full_like(t, self.peak),
                          decay_shape(self.decay_shape, f, ops, self.peak, self.end))
        if self.warmup_steps > 0:
            ramp = self.start + (self.peak - self.start) * (t / self.warmup_steps)
            value = ops.where(t < self.warmup_steps, ramp, value)
        return value
