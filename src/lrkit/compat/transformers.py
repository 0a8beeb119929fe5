"""Hugging Face ``transformers`` learning-rate schedules under their own names.

``get_scheduler(name, optimizer, num_warmup_steps, num_training_steps, scheduler_specific_kwargs)``
and the ``get_*_schedule_with_warmup(optimizer, ...)`` helpers take the optimizer as transformers
does (the schedule is then *relative*: each param group gets its own initial rate times
:math:`\\lambda`, see :mod:`lrkit.compat._rate`), or ``lr=`` (a rate: absolute), or neither
(relative, reference 1), and return lrkit schedules equal, step for step, to the rate the
``LambdaLR`` that transformers builds gives after :math:`t` calls of ``step()``:
:math:`\\eta_t = \\eta_0 \\lambda(t)`, with :math:`\\lambda` written with the same operations in
the same order as transformers' lambdas (agreement to the last bit or two).

Quirks reproduced (see ``docs/compat-torch-hf-timm.md``): the cosine schedules are not clamped
at ``num_training_steps`` (``cosine`` climbs back up past the end); ``polynomial`` jumps to
``lr_end`` only *after* ``num_training_steps``; ``cosine_warmup_with_min_lr`` is shifted by one
step (its warmup starts at :math:`1/W`); ``inverse_sqrt`` has no end. The metric-driven types
give controllers, not schedules: ``reduce_lr_on_plateau`` a :class:`lrkit.plateau.Plateau`,
``greedy`` a :class:`~lrkit.compat._hf_greedy.GreedyLR` (both: ``step(metric)`` returns the rate).
This module does not import transformers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lrkit import _check
from lrkit.compat._hf_greedy import GreedyLR
from lrkit.compat._rate import RelativeMixin, optimizer_arg, rate_kwargs, resolve_lr
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field

if TYPE_CHECKING:
    from lrkit.plateau import Plateau

__all__ = [
    "get_scheduler", "SCHEDULER_TYPES", "get_constant_schedule", "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup", "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "get_wsd_schedule",
    "get_reduce_on_plateau_schedule", "get_greedy_schedule", "GreedyLR",
]

# far past the end the phase of a cosine is capped (cos(inf) is NaN); HF's own values there are
# meaningless too, and every phase below the cap is computed exactly as HF computes it
_BIG = 1e300


def _steps(name: str, value: Any, o: str) -> int:
    return _check.integer(name, value, o, minimum=0)


def _warm(t: Any, ops: Any, w: int) -> Any:
    """transformers' linear warmup factor ``float(t) / float(max(1, w))``."""
    return t / float(max(1, w))


class _HF(RelativeMixin, Schedule):
    """transformers' ``LambdaLR``: :math:`\\eta_t = \\eta_0 \\lambda(t)`. Relative (built with
    the optimizer, or with no ``lr``), each param group gets its own initial rate times
    :math:`\\lambda`, with ``lr`` the reference rate transformers' ``polynomial`` and
    ``min_lr`` compare with (its ``optimizer.defaults["lr"]``)."""

    __slots__ = ()

    def _lambda(self, t: Any, ops: Any) -> Any:  # pragma: no cover - per subclass
        raise NotImplementedError

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.lr * self._lambda(ops.maximum(t, 0.0), ops)  # type: ignore[attr-defined]

    def for_rate(self, lr: float) -> Schedule:
        """The rate of a param group whose initial rate is ``lr``: ``lr`` times this
        schedule's :math:`\\lambda` (transformers' ``base_lr * lr_lambda(step)``)."""
        return _GroupRate(self, float(lr))


class _GroupRate(Schedule):
    """``rate * lambda(t)`` of a relative Hugging Face schedule, for one param group."""

    __slots__ = ("schedule", "rate")

    def __init__(self, schedule: _HF, rate: float) -> None:
        self.schedule, self.rate = schedule, rate

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def phase_boundaries(self) -> tuple[float, ...]:
        return self.schedule.phase_boundaries()

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.rate * self.schedule._lambda(ops.maximum(t, 0.0), ops)

    def __repr__(self) -> str:
        return f"{self.schedule!r}.for_rate({self.rate!r})"


@dataclass(frozen=True)
class Constant(_HF, name="hf.constant"):
    """``get_constant_schedule``: :math:`\\eta_t = \\eta_0` (``lr``)."""

    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        resolve_lr(self, owner(self))

    def _lambda(self, t: Any, ops: Any) -> Any:
        return ops.full_like(t, 1.0)


@dataclass(frozen=True)
class ConstantWithWarmup(_HF, name="hf.constant_with_warmup"):
    """``get_constant_schedule_with_warmup``:

    .. math:: \\eta_t = \\eta_0 \\min(t / \\max(1, W),\\ 1)

    Legend: :math:`\\eta_0` = ``lr``, :math:`W` = ``num_warmup_steps``.
    """

    num_warmup_steps: int = duration_field()
    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "num_warmup_steps", _steps("num_warmup_steps", self.num_warmup_steps, o))
        resolve_lr(self, o)

    def phase_boundaries(self) -> tuple[float, ...]:
        return (float(self.num_warmup_steps),)

    def _lambda(self, t: Any, ops: Any) -> Any:
        w = self.num_warmup_steps
        return ops.where(t < w, t / max(1.0, float(w)), 1.0)


@dataclass(frozen=True)
class _WarmupDecay(_HF):
    """Fields shared by the warmup-then-decay schedules."""

    num_warmup_steps: int = duration_field()
    num_training_steps: int = duration_field()
    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)

    def _check_common(self) -> str:
        o = owner(self)
        set_field(self, "num_warmup_steps", _steps("num_warmup_steps", self.num_warmup_steps, o))
        set_field(self, "num_training_steps", _steps("num_training_steps",
                                                     self.num_training_steps, o))
        resolve_lr(self, o)
        return o

    @property
    def horizon(self) -> float:
        return float(self.num_training_steps)

    def phase_boundaries(self) -> tuple[float, ...]:
        return (float(self.num_warmup_steps),) if self.num_warmup_steps else ()

    def _progress(self, t: Any) -> Any:
        w, n = self.num_warmup_steps, self.num_training_steps
        return (t - w) / float(max(1, n - w))


@dataclass(frozen=True)
class Linear(_WarmupDecay, name="hf.linear"):
    """``get_linear_schedule_with_warmup``:

    .. math:: \\lambda(t) = \\begin{cases} t / \\max(1, W) & t < W \\\\
              \\max\\big(0,\\ (N - t) / \\max(1, N - W)\\big) & t \\ge W \\end{cases}

    Legend: :math:`W` = ``num_warmup_steps``, :math:`N` = ``num_training_steps``;
    :math:`\\eta_t = \\eta_0 \\lambda(t)` with :math:`\\eta_0` = ``lr``.
    """

    def __post_init__(self) -> None:
        self._check_common()

    def _lambda(self, t: Any, ops: Any) -> Any:
        w, n = self.num_warmup_steps, self.num_training_steps
        decay = ops.maximum((n - t) / float(max(1, n - w)), 0.0)
        return ops.where(t < w, _warm(t, ops, w), decay)


@dataclass(frozen=True)
class Cosine(_WarmupDecay, name="hf.cosine"):
    """``get_cosine_schedule_with_warmup`` (not clamped: it climbs back up past the end).

    .. math:: \\lambda(t) = \\max\\Big(0,\\ \\tfrac12\\big(1 + \\cos(2\\pi c\\, p)\\big)\\Big),
              \\qquad p = \\frac{t - W}{\\max(1, N - W)}

    after a linear warmup :math:`t/\\max(1, W)`. Legend: :math:`c` = ``num_cycles`` (0.5: one
    half cosine), :math:`W` = ``num_warmup_steps``, :math:`N` = ``num_training_steps``.
    """

    num_cycles: float = 0.5

    def __post_init__(self) -> None:
        o = self._check_common()
        set_field(self, "num_cycles", _check.non_negative("num_cycles", self.num_cycles, o))

    def _lambda(self, t: Any, ops: Any) -> Any:
        p = self._progress(t)
        phase = ops.minimum(math.pi * float(self.num_cycles) * 2.0 * p, _BIG)
        c = ops.maximum(0.5 * (1.0 + ops.cos(phase)), 0.0)
        return ops.where(t < self.num_warmup_steps, _warm(t, ops, self.num_warmup_steps), c)


@dataclass(frozen=True)
class CosineWithRestarts(_WarmupDecay, name="hf.cosine_with_restarts"):
    """``get_cosine_with_hard_restarts_schedule_with_warmup``:

    .. math:: \\lambda(t) = \\tfrac12\\big(1 + \\cos(\\pi\\, \\{c\\, p\\})\\big) \\ (p < 1),
              \\qquad 0 \\ (p \\ge 1)

    with :math:`\\{x\\}` the fractional part, :math:`p` as in :class:`Cosine`, after a linear
    warmup. Legend: :math:`c` = ``num_cycles`` (hard restarts).
    """

    num_cycles: int = 1

    def __post_init__(self) -> None:
        o = self._check_common()
        set_field(self, "num_cycles", _check.non_negative("num_cycles", self.num_cycles, o))

    def _lambda(self, t: Any, ops: Any) -> Any:
        p = self._progress(t)
        frac = ops.mod(ops.clip(float(self.num_cycles) * p, 0.0, _BIG), 1.0)
        c = ops.maximum(0.5 * (1.0 + ops.cos(math.pi * frac)), 0.0)
        c = ops.where(p >= 1.0, 0.0, c)
        return ops.where(t < self.num_warmup_steps, _warm(t, ops, self.num_warmup_steps), c)


@dataclass(frozen=True)
class Polynomial(_WarmupDecay, name="hf.polynomial"):
    """``get_polynomial_decay_schedule_with_warmup``:

    .. math:: \\eta_t = \\eta_0 \\cdot \\frac{(\\eta_0 - e)(1 - (t - W)/(N - W))^{q} + e}{\\eta_0}
              \\quad (W \\le t \\le N), \\qquad \\eta_t = e \\quad (t > N)

    after a linear warmup. Legend: :math:`e` = ``lr_end`` (must be < ``lr``), :math:`q` =
    ``power``, :math:`W` = ``num_warmup_steps``, :math:`N` = ``num_training_steps`` (> W).
    """

    lr_end: float = 1e-7
    power: float = 1.0

    def __post_init__(self) -> None:
        _needs_reference(self, "lr_end", self.lr_end)
        o = self._check_common()
        set_field(self, "lr_end", _check.non_negative("lr_end", self.lr_end, o))
        set_field(self, "power", _check.non_negative("power", self.power, o))
        if not self.lr > self.lr_end:
            raise ValueError(f"{o}: lr_end ({self.lr_end!r}) must be smaller than the initial lr "
                             f"({self.lr!r})")
        if self.num_training_steps <= self.num_warmup_steps:
            raise ValueError(f"{o}: num_training_steps must be > num_warmup_steps (transformers "
                             f"divides by their difference), got {self.num_training_steps!r} and "
                             f"{self.num_warmup_steps!r}")

    def _lambda(self, t: Any, ops: Any) -> Any:
        w, n, lr, end = self.num_warmup_steps, self.num_training_steps, self.lr, self.lr_end
        remaining = ops.maximum(1 - (t - w) / float(n - w), 0.0)
        decay = ((lr - end) * ops.power(remaining, self.power) + end) / lr
        decay = ops.where(t > n, end / lr, decay)
        return ops.where(t < w, _warm(t, ops, w), decay)


@dataclass(frozen=True)
class InverseSqrt(_HF, name="hf.inverse_sqrt"):
    """``get_inverse_sqrt_schedule``:

    .. math:: \\lambda(t) = \\frac{1}{\\sqrt{(t + \\tau - W)/\\tau}} \\quad (t \\ge W)

    after a linear warmup. Legend: :math:`\\tau` = ``timescale`` (default ``num_warmup_steps``
    or 10000), :math:`W` = ``num_warmup_steps``.
    """

    num_warmup_steps: int = duration_field()
    timescale: int | None = None
    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "num_warmup_steps", _steps("num_warmup_steps", self.num_warmup_steps, o))
        if self.timescale is not None:
            set_field(self, "timescale", _check.positive("timescale", self.timescale, o))
        resolve_lr(self, o)

    def _lambda(self, t: Any, ops: Any) -> Any:
        w = self.num_warmup_steps
        tau = self.timescale if self.timescale is not None else (w or 10_000)
        shift = tau - w
        decay = 1.0 / ops.sqrt(ops.maximum((t + shift) / tau, 1e-300))
        return ops.where(t < w, _warm(t, ops, w), decay)


def _needs_reference(obj: Any, name: str, value: Any) -> None:
    """``lr_end`` / ``min_lr`` are absolute rates that transformers divides by the optimizer's
    rate: without a rate they would silently mean a fraction of 1."""
    if obj.lr is None and value is not None:
        o = owner(obj)
        raise ValueError(f"{o}: {name} is an absolute rate compared with the optimizer's rate; "
                         f"pass the optimizer (as in transformers) or lr=<the optimizer's lr> "
                         f"(got {name}={value!r} and no rate)")


def _min_rate(obj: Any, o: str) -> float:
    if obj.min_lr is not None and obj.min_lr_rate is not None:
        raise ValueError(f"{o}: give only one of min_lr or min_lr_rate, got min_lr={obj.min_lr!r} "
                         f"and min_lr_rate={obj.min_lr_rate!r}")
    if obj.min_lr is not None:
        set_field(obj, "min_lr", _check.non_negative("min_lr", obj.min_lr, o))
        if obj.lr == 0:
            raise ValueError(f"{o}: min_lr needs lr > 0 (its rate is min_lr / lr), got lr=0")
        return obj.min_lr / obj.lr
    if obj.min_lr_rate is None:
        raise ValueError(f"{o}: one of min_lr or min_lr_rate must be set (got neither)")
    set_field(obj, "min_lr_rate", _check.non_negative("min_lr_rate", obj.min_lr_rate, o))
    return obj.min_lr_rate


@dataclass(frozen=True)
class CosineWithMinLR(_WarmupDecay, name="hf.cosine_with_min_lr"):
    """``get_cosine_with_min_lr_schedule_with_warmup``:

    .. math:: \\lambda(t) = \\max\\big(0,\\ c(t)(1 - r) + r\\big), \\qquad
              c(t) = \\tfrac12\\big(1 + \\cos(2\\pi n\\, p)\\big)

    after a linear warmup, :math:`p` as in :class:`Cosine` (not clamped past the end).
    Legend: :math:`r` = ``min_lr_rate``, or ``min_lr / lr``; :math:`n` = ``num_cycles``.
    """

    num_cycles: float = 0.5
    min_lr: float | None = None
    min_lr_rate: float | None = None

    def __post_init__(self) -> None:
        _needs_reference(self, "min_lr", self.min_lr)
        o = self._check_common()
        set_field(self, "num_cycles", _check.non_negative("num_cycles", self.num_cycles, o))
        _min_rate(self, o)

    @property
    def rate(self) -> float:
        return self.min_lr / self.lr if self.min_lr is not None else float(self.min_lr_rate)  # type: ignore[arg-type]

    def _lambda(self, t: Any, ops: Any) -> Any:
        p = self._progress(t)
        r = self.rate
        c = 0.5 * (1.0 + ops.cos(ops.minimum(math.pi * float(self.num_cycles) * 2.0 * p, _BIG)))
        c = ops.maximum(c * (1 - r) + r, 0.0)
        return ops.where(t < self.num_warmup_steps, _warm(t, ops, self.num_warmup_steps), c)


@dataclass(frozen=True)
class CosineWarmupWithMinLR(_WarmupDecay, name="hf.cosine_warmup_with_min_lr"):
    """``get_cosine_with_min_lr_schedule_with_warmup_lr_rate`` (shifted by one step):

    .. math:: \\lambda(t) = \\begin{cases} (t + 1)/\\max(1, W) & t < W,\\ \\text{no } w \\\\
              w + (1 - w)\\, t / \\max(1, W - 1) & t < W \\\\
              \\max\\big(0,\\ c(t)(1 - r) + r\\big) & t \\ge W \\end{cases}

    with :math:`c(t) = \\tfrac12(1 + \\cos(2\\pi n p))`, :math:`p = (t - W + 1)/\\max(1, N - W)`.
    Legend: :math:`w` = ``warmup_lr_rate``, :math:`r` = ``min_lr_rate`` or ``min_lr / lr``.
    """

    num_cycles: float = 0.5
    min_lr: float | None = None
    min_lr_rate: float | None = None
    warmup_lr_rate: float | None = None

    def __post_init__(self) -> None:
        _needs_reference(self, "min_lr", self.min_lr)
        o = self._check_common()
        set_field(self, "num_cycles", _check.non_negative("num_cycles", self.num_cycles, o))
        _min_rate(self, o)
        if self.warmup_lr_rate is not None:
            set_field(self, "warmup_lr_rate", _check.non_negative("warmup_lr_rate",
                                                                  self.warmup_lr_rate, o))

    rate = CosineWithMinLR.rate

    def _lambda(self, t: Any, ops: Any) -> Any:
        w, n = float(self.num_warmup_steps), float(self.num_training_steps)
        if self.warmup_lr_rate is None:
            warm = (t + 1.0) / max(1.0, w)
        else:
            wr = float(self.warmup_lr_rate)
            warm = wr + (1.0 - wr) * t / max(1, w - 1)
        p = (t - w + 1.0) / max(1.0, n - w)
        r = self.rate
        c = 0.5 * (1.0 + ops.cos(ops.minimum(math.pi * self.num_cycles * 2.0 * p, _BIG)))
        c = ops.maximum(c * (1 - r) + r, 0.0)
        return ops.where(t < w, warm, c)


_WSD_SHAPES = ("linear", "cosine", "1-sqrt")


@dataclass(frozen=True)
class WarmupStableDecay(_HF, name="hf.warmup_stable_decay"):
    """``get_wsd_schedule``: warmup, stable, decay, then held at ``min_lr_ratio``.

    With :math:`W, S, D` the warmup, stable and decay lengths (:math:`S = N - W - D` when
    ``num_stable_steps`` is not given), :math:`m` = ``min_lr_ratio``:

    .. math:: \\lambda(t) = \\begin{cases} \\max(0, w(t/\\max(1,W))(1 - m) + m) & t < W \\\\
              1 & t < W + S \\\\ \\max(0, d(u)(1 - m) + m),\\ u = \\frac{t - W - S}{\\max(1, D)}
              & t < W + S + D \\\\ m & \\text{after} \\end{cases}

    warmup shapes :math:`w`: ``linear`` :math:`x`, ``cosine`` :math:`\\tfrac12(1 - \\cos\\pi x)`,
    ``1-sqrt`` :math:`1 - \\sqrt{1 - x}`; decay shapes :math:`d`: ``linear`` :math:`1 - u`,
    ``cosine`` :math:`\\tfrac12(1 + \\cos 2\\pi n u)`, ``1-sqrt`` :math:`1 - \\sqrt u`
    (:math:`n` = ``num_cycles``).
    """

    num_warmup_steps: int = duration_field()
    num_decay_steps: int = duration_field()
    num_training_steps: int | None = duration_field(None)
    num_stable_steps: int | None = duration_field(None)
    warmup_type: str = "linear"
    decay_type: str = "cosine"
    min_lr_ratio: float = 0.0
    num_cycles: float = 0.5
    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "num_warmup_steps", _steps("num_warmup_steps", self.num_warmup_steps, o))
        set_field(self, "num_decay_steps", _steps("num_decay_steps", self.num_decay_steps, o))
        if self.num_training_steps is None and self.num_stable_steps is None:
            raise ValueError(f"{o}: either num_training_steps or num_stable_steps must be given")
        if self.num_training_steps is not None:
            set_field(self, "num_training_steps", _steps("num_training_steps",
                                                         self.num_training_steps, o))
        if self.num_stable_steps is not None:
            set_field(self, "num_stable_steps", _steps("num_stable_steps",
                                                       self.num_stable_steps, o))
        elif self.stable < 0:
            raise ValueError(f"{o}: num_training_steps must be >= num_warmup_steps + "
                             f"num_decay_steps, got {self.num_training_steps!r} < "
                             f"{self.num_warmup_steps!r} + {self.num_decay_steps!r}")
        _check.choice("warmup_type", self.warmup_type, _WSD_SHAPES, o)
        _check.choice("decay_type", self.decay_type, _WSD_SHAPES, o)
        set_field(self, "min_lr_ratio", _check.non_negative("min_lr_ratio", self.min_lr_ratio, o))
        set_field(self, "num_cycles", _check.non_negative("num_cycles", self.num_cycles, o))
        resolve_lr(self, o)

    @property
    def stable(self) -> int:
        """:math:`S`, the length of the stable stage."""
        if self.num_stable_steps is not None:
            return int(self.num_stable_steps)
        return int(self.num_training_steps) - self.num_warmup_steps - self.num_decay_steps  # type: ignore[arg-type]

    @property
    def horizon(self) -> float:
        return float(self.num_warmup_steps + self.stable + self.num_decay_steps)

    def phase_boundaries(self) -> tuple[float, ...]:
        w, s = self.num_warmup_steps, self.stable
        return tuple(float(b) for b in (w, w + s) if b > 0)

    def _lambda(self, t: Any, ops: Any) -> Any:
        w, s, d, m = self.num_warmup_steps, self.stable, self.num_decay_steps, self.min_lr_ratio
        x = ops.minimum(t / float(max(1, w)), 1.0)
        if self.warmup_type == "linear":
            f = x
        elif self.warmup_type == "cosine":
            f = 0.5 * (1.0 - ops.cos(math.pi * x))
        else:
            f = 1.0 - ops.sqrt(1.0 - x)
        warm = ops.maximum(f * (1.0 - m) + m, 0.0)
        u = ops.maximum((t - w - s) / float(max(1, d)), 0.0)
        if self.decay_type == "linear":
            g = 1.0 - u
        elif self.decay_type == "cosine":
            g = 0.5 * (1.0 + ops.cos(ops.minimum(math.pi * float(self.num_cycles) * 2.0 * u, _BIG)))
        else:
            g = 1.0 - ops.sqrt(u)
        decay = ops.maximum(g * (1.0 - m) + m, 0.0)
        out = ops.where(t < w + s + d, decay, m)
        out = ops.where(t < w + s, 1.0, out)
        return ops.where(t < w, warm, out)


# -- the functional API -------------------------------------------------------------------------
# Each takes the optimizer where transformers does (first, or second for get_scheduler), or
# lr= in its place, or neither: see the module docstring.

@optimizer_arg(0)
def get_constant_schedule(*, lr: float | None = None, optimizer: Any = None) -> Schedule:
    """``transformers.get_constant_schedule``; see :class:`Constant`."""
    return Constant(**rate_kwargs(optimizer, lr, "get_constant_schedule"))


@optimizer_arg(0)
def get_constant_schedule_with_warmup(num_warmup_steps: int, *, lr: float | None = None,
                                      optimizer: Any = None) -> Schedule:
    """``transformers.get_constant_schedule_with_warmup``; see :class:`ConstantWithWarmup`."""
    return ConstantWithWarmup(num_warmup_steps=num_warmup_steps,
                              **rate_kwargs(optimizer, lr, "get_constant_schedule_with_warmup"))


@optimizer_arg(0)
def get_linear_schedule_with_warmup(num_warmup_steps: int, num_training_steps: int, *,
                                    lr: float | None = None, optimizer: Any = None) -> Schedule:
    """``transformers.get_linear_schedule_with_warmup``; see :class:`Linear`."""
    return Linear(num_warmup_steps, num_training_steps,
                  **rate_kwargs(optimizer, lr, "get_linear_schedule_with_warmup"))


@optimizer_arg(0)
def get_cosine_schedule_with_warmup(num_warmup_steps: int, num_training_steps: int,
                                    num_cycles: float = 0.5, *, lr: float | None = None,
                                    optimizer: Any = None) -> Schedule:
    """``transformers.get_cosine_schedule_with_warmup``; see :class:`Cosine`."""
    return Cosine(num_warmup_steps, num_training_steps, num_cycles=num_cycles,
                  **rate_kwargs(optimizer, lr, "get_cosine_schedule_with_warmup"))


@optimizer_arg(0)
def get_cosine_with_hard_restarts_schedule_with_warmup(
        num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1, *,
        lr: float | None = None, optimizer: Any = None) -> Schedule:
    """``transformers.get_cosine_with_hard_restarts_schedule_with_warmup``; see
    :class:`CosineWithRestarts`."""
    return CosineWithRestarts(num_warmup_steps, num_training_steps, num_cycles=num_cycles,
                              **rate_kwargs(optimizer, lr, "get_cosine_with_hard_restarts_"
                                                           "schedule_with_warmup"))


@optimizer_arg(0)
def get_polynomial_decay_schedule_with_warmup(num_warmup_steps: int, num_training_steps: int,
                                              lr_end: float = 1e-7, power: float = 1.0, *,
                                              lr: float | None = None,
                                              optimizer: Any = None) -> Schedule:
    """``transformers.get_polynomial_decay_schedule_with_warmup``; see :class:`Polynomial`."""
    return Polynomial(num_warmup_steps, num_training_steps, lr_end=lr_end, power=power,
                      **rate_kwargs(optimizer, lr, "get_polynomial_decay_schedule_with_warmup"))


@optimizer_arg(0)
def get_inverse_sqrt_schedule(num_warmup_steps: int, timescale: int | None = None, *,
                              lr: float | None = None, optimizer: Any = None) -> Schedule:
    """``transformers.get_inverse_sqrt_schedule``; see :class:`InverseSqrt`."""
    return InverseSqrt(num_warmup_steps, timescale,
                       **rate_kwargs(optimizer, lr, "get_inverse_sqrt_schedule"))


@optimizer_arg(0)
def get_cosine_with_min_lr_schedule_with_warmup(
        num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5,
        min_lr: float | None = None, min_lr_rate: float | None = None, *,
        lr: float | None = None, optimizer: Any = None) -> Schedule:
    """``transformers.get_cosine_with_min_lr_schedule_with_warmup``; see
    :class:`CosineWithMinLR`."""
    return CosineWithMinLR(num_warmup_steps, num_training_steps, num_cycles=num_cycles,
                           min_lr=min_lr, min_lr_rate=min_lr_rate,
                           **rate_kwargs(optimizer, lr, "get_cosine_with_min_lr_schedule_with_"
                                                        "warmup"))


@optimizer_arg(0)
def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
        num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5,
        min_lr: float | None = None, min_lr_rate: float | None = None,
        warmup_lr_rate: float | None = None, *, lr: float | None = None,
        optimizer: Any = None) -> Schedule:
    """``transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate``; see
    :class:`CosineWarmupWithMinLR`."""
    return CosineWarmupWithMinLR(num_warmup_steps, num_training_steps, num_cycles=num_cycles,
                                 min_lr=min_lr, min_lr_rate=min_lr_rate,
                                 warmup_lr_rate=warmup_lr_rate,
                                 **rate_kwargs(optimizer, lr, "get_cosine_with_min_lr_schedule_"
                                                              "with_warmup_lr_rate"))


@optimizer_arg(0)
def get_wsd_schedule(num_warmup_steps: int, num_decay_steps: int,
                     num_training_steps: int | None = None, num_stable_steps: int | None = None,
                     warmup_type: str = "linear", decay_type: str = "cosine",
                     min_lr_ratio: float = 0, num_cycles: float = 0.5, *,
                     lr: float | None = None, optimizer: Any = None) -> Schedule:
    """``transformers.get_wsd_schedule``; see :class:`WarmupStableDecay`."""
    return WarmupStableDecay(num_warmup_steps, num_decay_steps, num_training_steps,
                             num_stable_steps, warmup_type, decay_type, min_lr_ratio, num_cycles,
                             **rate_kwargs(optimizer, lr, "get_wsd_schedule"))


def _controller_rate(optimizer: Any, lr: float | None, o: str) -> float:
    """A controller returns one rate: the optimizer's (or ``lr``, default 1)."""
    rate = rate_kwargs(optimizer, lr, o)["lr"]
    return 1.0 if rate is None else rate


@optimizer_arg(0)
def get_reduce_on_plateau_schedule(*, lr: float | None = None, optimizer: Any = None,
                                   **kwargs: Any) -> Plateau:
    """``transformers.get_reduce_on_plateau_schedule``: torch's ``ReduceLROnPlateau`` as an
    lrkit :class:`~lrkit.plateau.Plateau` controller (``step(metric)`` returns the rate, starting
    at the optimizer's rate, or ``lr``, default 1)."""
    from lrkit.compat.torch import ReduceLROnPlateau

    return ReduceLROnPlateau(lr=_controller_rate(optimizer, lr, "get_reduce_on_plateau_schedule"),
                             **kwargs)


@optimizer_arg(0)
def get_greedy_schedule(*, lr: float | None = None, optimizer: Any = None,
                        **kwargs: Any) -> GreedyLR:
    """``transformers.optimization.get_greedy_schedule``: a :class:`GreedyLR` controller
    (starting at the optimizer's rate, or ``lr``, default 1)."""
    return GreedyLR(lr=_controller_rate(optimizer, lr, "get_greedy_schedule"), **kwargs)


_BY_NAME: dict[str, Any] = {
    "linear": Linear,
    "cosine": Cosine,
    "cosine_with_restarts": CosineWithRestarts,
    "polynomial": Polynomial,
    "constant": Constant,
    "constant_with_warmup": ConstantWithWarmup,
    "inverse_sqrt": InverseSqrt,
    "reduce_lr_on_plateau": None,
    "cosine_with_min_lr": CosineWithMinLR,
    "cosine_warmup_with_min_lr": CosineWarmupWithMinLR,
    "warmup_stable_decay": WarmupStableDecay,
    "greedy": None,
}
SCHEDULER_TYPES: tuple[str, ...] = tuple(_BY_NAME)
"""Every ``SchedulerType`` value :func:`get_scheduler` accepts."""


@optimizer_arg(1)
def get_scheduler(name: str, num_warmup_steps: int | None = None,
                  num_training_steps: int | None = None,
                  scheduler_specific_kwargs: dict[str, Any] | None = None,
                  lr: float | None = None, *, optimizer: Any = None,
                  ) -> Schedule | Plateau | GreedyLR:
    """``transformers.get_scheduler``: ``get_scheduler(name, optimizer, num_warmup_steps,
    num_training_steps, scheduler_specific_kwargs)`` as in transformers (a rename), or with
    ``lr=`` in place of the optimizer, or with neither.

    With the optimizer (or no rate at all) the schedule is **relative**: the driver gives each
    param group its own initial rate times :math:`\\lambda(t)`, as transformers' ``LambdaLR``
    does; with ``lr=`` it is the absolute curve :math:`\\text{lr}\\,\\lambda(t)`.

    Dispatches like transformers: ``constant`` ignores the other arguments; ``inverse_sqrt``
    and ``constant_with_warmup`` need ``num_warmup_steps`` only; ``warmup_stable_decay`` takes
    ``num_training_steps`` optionally; the rest need both. ``scheduler_specific_kwargs`` are
    the extra arguments of that schedule (e.g. ``{"min_lr": 1e-5}`` for ``cosine_with_min_lr``).
    ``reduce_lr_on_plateau`` returns a :class:`lrkit.plateau.Plateau` controller and ``greedy``
    a :class:`GreedyLR` controller.
    """
    key = getattr(name, "value", name)
    if key not in _BY_NAME:
        raise ValueError(f"get_scheduler: name must be one of {', '.join(map(repr, _BY_NAME))}, "
                         f"got {name!r}")
    extra = dict(scheduler_specific_kwargs or {})
    if key == "reduce_lr_on_plateau":
        return get_reduce_on_plateau_schedule(lr=_controller_rate(optimizer, lr, "get_scheduler"),
                                              **extra)
    if key == "greedy":
        return get_greedy_schedule(lr=_controller_rate(optimizer, lr, "get_scheduler"), **extra)
    rate = rate_kwargs(optimizer, lr, "get_scheduler")
    if key == "constant":
        return Constant(**rate)
    if num_warmup_steps is None:
        raise ValueError(f"get_scheduler: {key} requires `num_warmup_steps`, please provide that "
                         "argument")
    if key == "constant_with_warmup":
        return ConstantWithWarmup(num_warmup_steps=num_warmup_steps, **rate)
    if key == "inverse_sqrt":
        return InverseSqrt(num_warmup_steps=num_warmup_steps, **rate, **extra)
    if key == "warmup_stable_decay":
        return WarmupStableDecay(num_warmup_steps=num_warmup_steps,
                                 num_training_steps=num_training_steps, **rate, **extra)
    if num_training_steps is None:
        raise ValueError(f"get_scheduler: {key} requires `num_training_steps`, please provide "
                         "that argument")
    return _BY_NAME[key](num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                         **rate, **extra)
