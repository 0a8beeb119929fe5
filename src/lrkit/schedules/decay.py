"""Decay families: exponential, natural exponential, inverse time, time-based, step,
geometric step (known horizon) and inverse square root."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit._registry import register
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field, times

__all__ = [
    "Exponential",
    "NaturalExp",
    "InverseTime",
    "time_based",
    "StepDecay",
    "GeometricStep",
    "InverseSqrt",
]


def _progress(t: Any, ops: Any, decay_steps: float, staircase: bool, delay: float = 0.0) -> Any:
    """:math:`p = \\max(t - d, 0) / T`, floored when ``staircase``."""
    if delay:
        t = ops.maximum(t - delay, 0.0)
    p = ops.minimum(t / decay_steps, 1e300)  # a capped count: 0 * inf would be NaN for rate 0
    return ops.floor(p) if staircase else p


@dataclass(frozen=True)
class Exponential(Schedule, name="exponential"):
    """Exponential decay: ``rate`` per ``decay_steps`` steps.

    .. math:: s(t) = a\\, r^{p}, \\qquad p = \\max(t - d, 0) / T

    with :math:`p` floored when ``staircase``. If ``end`` is given it bounds the value
    (a floor when :math:`r < 1`, a ceiling when :math:`r > 1`), as in optax.
    Legend: :math:`a` = ``start``, :math:`r` = ``rate``, :math:`T` = ``decay_steps``,
    :math:`d` = ``delay`` (steps held at ``start`` before decaying).
    """

    start: float
    rate: float
    decay_steps: float = duration_field()
    staircase: bool = False
    delay: float = duration_field(0.0)
    end: float | None = None

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "rate", _check.positive("rate", self.rate, o))
        set_field(self, "decay_steps", _check.positive("decay_steps", self.decay_steps, o))
        _check.boolean("staircase", self.staircase, o)
        set_field(self, "delay", _check.non_negative("delay", self.delay, o))
        if self.end is not None:
            set_field(self, "end", _check.non_negative("end", self.end, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        p = _progress(t, ops, self.decay_steps, self.staircase, self.delay)
        value = times(self.start, ops.power(self.rate, p), ops)
        if self.end is not None:
            value = ops.maximum(value, self.end) if self.rate < 1 else ops.minimum(value, self.end)
        return value


@dataclass(frozen=True)
class _RateDecay(Schedule):
    """Fields shared by the decays driven by a ``rate`` per ``decay_steps``."""

    start: float
    rate: float
    decay_steps: float = duration_field()
    staircase: bool = False

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "rate", _check.non_negative("rate", self.rate, o))
        set_field(self, "decay_steps", _check.positive("decay_steps", self.decay_steps, o))
        _check.boolean("staircase", self.staircase, o)

    def _progress(self, t: Any, ops: Any) -> Any:
        return _progress(t, ops, self.decay_steps, self.staircase)


@dataclass(frozen=True)
class NaturalExp(_RateDecay, name="natural_exp"):
    """Natural exponential decay (TensorFlow's ``natural_exp_decay``).

    .. math:: s(t) = a\\, e^{-k p}, \\qquad p = t / T \\ (\\text{floored when staircase})

    Legend: :math:`a` = ``start``, :math:`k` = ``rate``, :math:`T` = ``decay_steps``.
    """

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.start * ops.exp(-self.rate * self._progress(t, ops))


@dataclass(frozen=True)
class InverseTime(_RateDecay, name="inverse_time"):
    """Inverse time decay (TensorFlow's and Keras' ``inverse_time_decay``).

    .. math:: s(t) = \\frac{a}{1 + k\\, p}, \\qquad p = t / T \\ (\\text{floored when staircase})

    Legend: :math:`a` = ``start``, :math:`k` = ``rate``, :math:`T` = ``decay_steps``.
    """

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.start / (1.0 + self.rate * self._progress(t, ops))


def time_based(start: float, decay: float) -> InverseTime:
    """Time-based decay, Keras 2 SGD's ``decay`` argument applied per iteration.

    .. math:: s(t) = \\frac{a}{1 + k t}

    Legend: :math:`a` = ``start`` (the optimizer's initial rate), :math:`k` = ``decay``,
    :math:`t` = optimizer iterations (not epochs). This is :class:`InverseTime` with
    ``decay_steps=1``.
    """
    return InverseTime(start=start, rate=_check.non_negative("decay", decay, "time_based"),
                       decay_steps=1.0)


register("time_based", time_based)


@dataclass(frozen=True)
class StepDecay(Schedule, name="step"):
    """Drop by ``factor`` every ``step_size`` steps (torch's ``StepLR``, Keras' step decay).

    .. math:: s(t) = a\\, \\gamma^{\\lfloor t / N \\rfloor}

    Legend: :math:`a` = ``start``, :math:`\\gamma` = ``factor``, :math:`N` = ``step_size``.
    """

    start: float
    factor: float
    step_size: float = duration_field()

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "factor", _check.positive("factor", self.factor, o))
        set_field(self, "step_size", _check.positive("step_size", self.step_size, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        return times(self.start, ops.power(self.factor, ops.floor(t / self.step_size)), ops)


@dataclass(frozen=True)
class GeometricStep(Schedule, name="geometric_step"):
    """Step decay for a known horizon (Ge, Kakade, Kidambi & Netrapalli, 2019).

    The run of :math:`T` steps is cut into :math:`\\log_2 T` phases of equal length
    :math:`T / \\log_2 T`; phase :math:`\\ell = 0, 1, \\ldots` uses

    .. math:: s(t) = a\\, \\gamma^{\\ell}, \\qquad
              \\ell = \\Big\\lfloor \\frac{t \\log_2 T}{T} \\Big\\rfloor

    (:math:`\\gamma = 1/2` halves the rate every phase; the paper's first phase already uses
    :math:`a/2`, so its :math:`\\eta_0` is twice lrkit's ``start``). Past :math:`T` the last
    phase's value is held.
    Legend: :math:`a` = ``start``, :math:`T` = ``total``, :math:`\\gamma` = ``factor``.
    """

    start: float
    total: float = duration_field()
    factor: float = 0.5

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        total = _check.number("total", self.total, o)
        if total < 2:
            raise ValueError(f"{o}: total must be >= 2, got {self.total!r}")
        set_field(self, "total", total)
        set_field(self, "factor", _check.probability("factor", self.factor, o, open_low=True))

    @property
    def horizon(self) -> float:
        return self.total

    @property
    def phase_length(self) -> float:
        """:math:`T / \\log_2 T` steps."""
        return self.total / math.log2(self.total)

    def phase_boundaries(self) -> tuple[float, ...]:
        n = math.ceil(math.log2(self.total))
        return tuple(self.phase_length * k for k in range(1, n))

    def _eval(self, t: Any, ops: Any) -> Any:
        last = math.ceil(math.log2(self.total)) - 1
        phase = ops.minimum(ops.floor(t / self.phase_length), float(last))
        return times(self.start, ops.power(self.factor, phase), ops)


@dataclass(frozen=True)
class InverseSqrt(Schedule, name="inverse_sqrt"):
    """Inverse square-root decay.

    .. math:: s(t) = a \\sqrt{\\frac{\\tau}{t + \\tau}}

    so :math:`s(0) = a` and the value falls as :math:`1/\\sqrt{t}` for :math:`t \\gg \\tau`.
    Behind a warmup prefix of :math:`W` steps this is Hugging Face's ``inverse_sqrt``
    (``timescale`` :math:`= \\tau`). Legend: :math:`a` = ``start``, :math:`\\tau` = ``timescale``.
    """

    start: float
    timescale: float = duration_field(10000.0)

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "timescale", _check.positive("timescale", self.timescale, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.start * ops.sqrt(self.timescale / (ops.maximum(t, 0.0) + self.timescale))
