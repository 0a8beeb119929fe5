"""Batch-size schedules: "don't decay the learning rate, increase the batch size".

Smith, Kindermans, Ying & Le (2018) observe that the noise scale of SGD is proportional to
:math:`\\eta / B`, so dividing the rate by :math:`f` can be replaced by multiplying the batch by
:math:`f` -- the same curve of noise, with :math:`f` times fewer optimizer updates.
:func:`batch_schedule` converts any rate schedule :math:`r` that way. With :math:`p` the peak of
:math:`r`, :math:`t_p` the first step where it is reached, :math:`B_0` = ``batch_size``,
:math:`B_{\\max}` = ``max_batch_size`` and :math:`m` = ``multiple_of``:

.. math::

    B(t) &= \\begin{cases} B_0 & t < t_p \\\\
        \\min\\!\\Big(B_{\\max},\\ \\max\\!\\big(B_0,\\ m \\big\\lfloor B_0\\, p / (r(t)\\, m)
        \\big\\rfloor\\big)\\Big) & t \\ge t_p \\end{cases} \\\\
    \\eta(t) &= r(t)\\, B(t) / B_0

so :math:`\\eta / B = r / B_0` at every step: the rate stays at the peak while the batch grows by
the factor the rate would have dropped, and carries what the batch cannot (the rounding to
:math:`m`, and all further decay once :math:`B_{\\max}` is reached). A warmup before the peak
stays a warmup of the rate at :math:`B_0`.

Both curves are lrkit schedules of the same step axis as :math:`r`. Smith et al. change the
batch where the rate would drop, *in epochs*: write :math:`r` in epochs and let
:class:`lrkit.torch.BatchSizeSampler` read the batch schedule per epoch (``unit="epoch"``) --
a schedule in optimizer steps would stretch, since a larger batch makes an epoch shorter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrkit import _check
from lrkit.compose import Product, Scale
from lrkit.schedule import Schedule
from lrkit.schedules._base import owner, set_field

__all__ = ["BatchGrowth", "batch_schedule", "find_peak"]

_SCAN = 1_000_000  # steps evaluated to find the peak of an open-ended schedule
_EPS = 1e-9


def find_peak(schedule: Schedule, length: float | None = None) -> tuple[float, float]:
    """``(peak value, first step reaching it)`` of ``schedule`` over ``[0, length]`` (default
    the schedule's horizon, or a million steps), on integer steps plus its phase boundaries."""
    end = length if length is not None else schedule.horizon
    end = float(min(end, _SCAN) if end is not None else _SCAN)
    grid = np.arange(int(math.ceil(end)) + 1, dtype=np.float64)
    marks = np.asarray([b for b in schedule.phase_boundaries() if 0 <= b <= end], dtype=np.float64)
    t = np.unique(np.concatenate([grid, marks]))
    y = np.asarray(schedule(t), dtype=np.float64)
    if not np.all(np.isfinite(y)):
        bad = int(np.argmax(~np.isfinite(y)))
        raise ValueError(f"the schedule must be finite, got {y[bad]!r} at step {t[bad]:g}")
    i = int(np.argmax(y))
    return float(y[i]), float(t[i])


@dataclass(frozen=True)
class BatchGrowth(Schedule, name="batch_growth"):
    """The global batch size that replaces the decay of ``rate`` (see :mod:`lrkit.batch`).

    .. math:: B(t) = \\min\\!\\Big(B_{\\max}, \\max\\!\\big(B_0, m\\big\\lfloor B_0 p /
              (r(t) m)\\big\\rfloor\\big)\\Big) \\ (t \\ge t_p), \\qquad B(t) = B_0 \\ (t < t_p)

    Legend: :math:`r` = ``rate``, :math:`B_0` = ``batch_size``, :math:`B_{\\max}` =
    ``max_batch_size``, :math:`m` = ``multiple_of``, :math:`p` the peak of :math:`r` and
    :math:`t_p` the first step reaching it (found by evaluating :math:`r` over its horizon, or
    its first million steps; ``peak_step`` overrides :math:`t_p`).
    """

    rate: Schedule
    batch_size: int
    max_batch_size: int
    multiple_of: int = 1
    peak_step: float | None = None
    peak: float = field(init=False, repr=False, compare=False)
    growth_start: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        o = owner(self)
        if not isinstance(self.rate, Schedule):
            raise TypeError(f"{o}: rate must be an lrkit Schedule, got {self.rate!r} "
                            f"({type(self.rate).__name__})")
        b0 = _check.integer("batch_size", self.batch_size, o, minimum=1)
        cap = _check.integer("max_batch_size", self.max_batch_size, o, minimum=1)
        m = _check.integer("multiple_of", self.multiple_of, o, minimum=1)
        if cap < b0:
            raise ValueError(f"{o}: max_batch_size must be >= batch_size ({b0}), got {cap}")
        if b0 % m:
            raise ValueError(f"{o}: batch_size must be a multiple of multiple_of ({m}), got {b0}")
        if cap % m:
            raise ValueError(f"{o}: max_batch_size must be a multiple of multiple_of ({m}), got "
                             f"{cap}")
        set_field(self, "batch_size", b0)
        set_field(self, "max_batch_size", cap)
        set_field(self, "multiple_of", m)
        try:
            peak, at = find_peak(self.rate)
        except ValueError as exc:
            raise ValueError(f"{o}: rate: {exc}") from None
        if peak <= 0:
            raise ValueError(f"{o}: rate must have a positive peak, got {peak!r}")
        if self.peak_step is not None:
            at = _check.non_negative("peak_step", self.peak_step, o)
            set_field(self, "peak_step", at)
            peak = float(self.rate(at))
            if peak <= 0:
                raise ValueError(f"{o}: rate must be > 0 at peak_step={at!r}, got {peak!r}")
        set_field(self, "peak", peak)
        set_field(self, "growth_start", at)

    @property
    def horizon(self) -> float | None:
        return self.rate.horizon

    def phase_boundaries(self) -> tuple[float, ...]:
        return self.rate.phase_boundaries()

    def _eval(self, t: Any, ops: Any) -> Any:
        b0, cap, m = float(self.batch_size), float(self.max_batch_size), float(self.multiple_of)
        # a rate below this floor already gives a batch above the cap: no division by zero
        r = ops.maximum(self.rate._eval(t, ops), 0.5 * self.peak * b0 / cap)
        grown = m * ops.floor(b0 * self.peak / (r * m) + _EPS)
        size = ops.minimum(ops.maximum(grown, b0), cap)
        return ops.where(t >= self.growth_start, size, ops.full_like(t, b0))

    def to_config(self) -> dict[str, Any]:
        cfg = super().to_config()
        if cfg.get("peak_step") is None:
            cfg.pop("peak_step", None)
        return cfg


def batch_schedule(lr_schedule: Schedule, *, batch_size: int, max_batch_size: int,
                   multiple_of: int = 1, peak_step: float | None = None
                   ) -> tuple[Schedule, Schedule]:
    """Turn a rate-decay schedule into "increase the batch size instead".

    .. math:: B(t) = \\min\\!\\big(B_{\\max}, \\max(B_0, m\\lfloor B_0 p / (r(t) m)\\rfloor)\\big),
              \\qquad \\eta(t) = r(t)\\, B(t) / B_0

    (before the peak, :math:`B = B_0` and :math:`\\eta = r`; see :mod:`lrkit.batch`).

    Args:
        lr_schedule: the rate schedule :math:`r` of the run at ``batch_size``.
        batch_size: :math:`B_0`, the global batch the rate was written for (a multiple of
            ``multiple_of``).
        max_batch_size: :math:`B_{\\max}` (>= ``batch_size``, a multiple of ``multiple_of``):
            once reached, the rate decays by the remaining factor.
        multiple_of: :math:`m`: every batch size is a multiple of it (use the world size, or
            world size times the per-device granularity, under DDP).
        peak_step: where the growth may start (default: the first step at the rate's peak).

    Returns:
        ``(batch_size_schedule, lr_schedule)``: a :class:`BatchGrowth` and
        ``Product(r, Scale(B, 1/B0))``, lrkit schedules on :math:`r`'s step axis.
    """
    growth = BatchGrowth(lr_schedule, batch_size, max_batch_size, multiple_of, peak_step)
    return growth, Product((lr_schedule, Scale(growth, 1.0 / growth.batch_size)))
