"""DeepSpeed's learning-rate schedulers (``deepspeed.runtime.lr_schedules``) as lrkit schedules.

Each class takes the DeepSpeed scheduler's arguments, the optimizer first as in DeepSpeed (or
left out); where DeepSpeed reads the optimizer's learning rate (``WarmupLR`` without
``warmup_max_lr``, ``WarmupCosineLR``) the schedule is then relative (each param group follows
its own rate, see :mod:`lrkit.compat._rate`), or pass a rate as ``lr=``. :func:`from_config`
reads the ``"scheduler"`` section of a DeepSpeed JSON config. Configs name them ``"deepspeed.WarmupLR"`` etc.

**Steps.** The value at step :math:`t` is the learning rate the optimizer holds after
:math:`t` calls of the DeepSpeed scheduler's ``step()`` (the DeepSpeed engine calls it after
every optimizer step), so :math:`t = 0` is the rate set by the scheduler's constructor. Inside,
DeepSpeed counts ``last_batch_iteration`` :math:`i = t - 1`. DeepSpeed's quirks are kept:
``WarmupLR``/``WarmupDecayLR`` give ``warmup_min_lr`` at both :math:`t = 0` and :math:`t = 1`,
``WarmupCosineLR`` gives 0 at :math:`t = 0`, and ``OneCycle`` sets the momentum to
``cycle_min_mom`` at :math:`t = 0` (then jumps to about ``cycle_max_mom``).

Differences, all deliberate: an unknown ``warmup_type`` raises (DeepSpeed logs a warning and
uses ``"log"``); per-parameter-group lists are rejected (build one schedule per group);
``last_batch_iteration`` other than -1 is rejected (an lrkit schedule is resumed by evaluating
it at the step). This module does not import DeepSpeed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lrkit import _check
from lrkit.compat._rate import RelativeMixin, rate_kwargs, resolve_lr, takes_optimizer
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field
from lrkit.schedules.cyclic import MomentumOf

__all__ = ["WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "LRRangeTest", "from_config"]

WARMUP_TYPES = ("log", "linear")


def _scalar(name: str, value: Any, o: str) -> float:
    if isinstance(value, (list, tuple)):
        raise TypeError(f"{o}: {name} must be one number (build one schedule per parameter group), "
                        f"got {value!r}")
    return _check.non_negative(name, value, o)


def _positive_int(name: str, value: Any, o: str) -> int:
    # DeepSpeed: "warmup_num_steps must be a positive integer, got 0"
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{o}: {name} must be a positive integer, got {value!r}")
    return _check.integer(name, value, o)  # refuses integers beyond the float range


def _fresh(value: Any, o: str) -> None:
    if value != -1 or isinstance(value, bool):
        raise ValueError(f"{o}: last_batch_iteration must be -1 (to resume, evaluate the schedule "
                         f"at the step instead), got {value!r}")


def _total_steps(obj: Any) -> None:
    o = owner(obj)
    if obj.total_num_steps is None:
        raise TypeError(f"{o}: total_num_steps is required (the step at which the decay ends)")
    _check.non_negative("total_num_steps", obj.total_num_steps, o)


def _warmup_gamma(t: Any, ops: Any, kind: str, w: int) -> Any:
    """DeepSpeed's warmup fraction at iteration ``t - 1`` (0 at ``t <= 1``)."""
    if kind == "log":
        return (1.0 / math.log(w)) * ops.log(ops.maximum(t, 1.0))
    return ops.maximum(t - 1.0, 0.0) / w


@takes_optimizer("kw")
@dataclass(frozen=True)
class WarmupLR(RelativeMixin, Schedule, name="deepspeed.WarmupLR"):
    """DeepSpeed ``WarmupLR``: a log or linear warmup, then constant.

    With :math:`i = t - 1` and :math:`W = \\max(2, \\text{warmup\\_num\\_steps})`:

    .. math:: \\eta(t) = a + (b - a)\\, \\gamma, \\qquad
              \\gamma = \\begin{cases} \\log(i + 1) / \\log W & \\text{log},\\ 0 \\le i < W \\\\
              i / W & \\text{linear},\\ 0 \\le i < W \\\\ 1 & i \\ge W \\end{cases}

    and :math:`\\eta(0) = a`. Legend: :math:`a` = ``warmup_min_lr``, :math:`b` =
    ``warmup_max_lr`` (default: ``lr``, the optimizer's rate).
    """

    warmup_min_lr: float = 0.0
    warmup_max_lr: float | None = None
    warmup_num_steps: int = duration_field(1000)
    warmup_type: str = "log"
    last_batch_iteration: int = -1
    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)
    _max: float = field(init=False, repr=False, compare=False, default=0.0)

    def __post_init__(self) -> None:
        self._check_warmup()

    def _check_warmup(self) -> None:
        o = owner(self)
        _positive_int("warmup_num_steps", self.warmup_num_steps, o)
        set_field(self, "warmup_min_lr", _scalar("warmup_min_lr", self.warmup_min_lr, o))
        if self.lr is not None:
            set_field(self, "lr", _scalar("lr", self.lr, o))
        _check.boolean("relative", self.relative, o)
        if self.warmup_max_lr is None:
            # the optimizer's rate: each group's own (relative), lr=None meaning any optimizer's
            resolve_lr(self, o)
            top = self.lr
        else:
            top = _scalar("warmup_max_lr", self.warmup_max_lr, o)
            set_field(self, "warmup_max_lr", top)
        set_field(self, "_max", top)
        _check.choice("warmup_type", self.warmup_type, WARMUP_TYPES, o)
        _fresh(self.last_batch_iteration, o)

    @property
    def _w(self) -> int:
        return max(2, self.warmup_num_steps)

    @property
    def horizon(self) -> float:
        return float(self._w + 1)

    def phase_boundaries(self) -> tuple[float, ...]:
        return (float(self._w + 1),)

    def _after_warmup(self, t: Any, ops: Any) -> Any:
        return ops.full_like(t, 1.0)

    def _eval(self, t: Any, ops: Any) -> Any:
        w = self._w
        gamma = ops.where(t - 1.0 < w, _warmup_gamma(t, ops, self.warmup_type, w),
                          self._after_warmup(t, ops))
        return self.warmup_min_lr + (self._max - self.warmup_min_lr) * gamma


@takes_optimizer("kw")
@dataclass(frozen=True)
class WarmupDecayLR(WarmupLR, name="deepspeed.WarmupDecayLR"):
    """DeepSpeed ``WarmupDecayLR``: :class:`WarmupLR`'s warmup, then a linear decay to
    ``warmup_min_lr`` at ``total_num_steps``.

    After the warmup (:math:`i = t - 1 \\ge W`):

    .. math:: \\eta(t) = a + (b - a)\\, \\max\\Big(0,\\ \\frac{N - i}{\\max(1, N - W)}\\Big)

    Legend: :math:`N` = ``total_num_steps``, others as in :class:`WarmupLR`.
    """

    total_num_steps: int | None = duration_field(None)
    warmup_max_lr: float | None = 0.001

    def __post_init__(self) -> None:
        _total_steps(self)
        self._check_warmup()

    @property
    def horizon(self) -> float:
        return float(self.total_num_steps) + 1.0

    def _after_warmup(self, t: Any, ops: Any) -> Any:
        n = float(self.total_num_steps)
        return ops.maximum((n - (t - 1.0)) / float(max(1.0, n - self._w)), 0.0)


@takes_optimizer("kw")
@dataclass(frozen=True)
class WarmupCosineLR(RelativeMixin, Schedule, name="deepspeed.WarmupCosineLR"):
    """DeepSpeed ``WarmupCosineLR``: the optimizer's rate times a ratio that warms up from
    ``warmup_min_ratio`` to 1, then follows a cosine down to ``cos_min_ratio``.

    With :math:`i = t - 1`, :math:`W = \\max(2, \\text{warmup\\_num\\_steps})` and
    :math:`\\gamma` the warmup fraction of :class:`WarmupLR`:

    .. math:: \\eta(t) = \\eta_0 \\begin{cases} 0 & t = 0 \\\\ r_w + (1 - r_w)\\, \\gamma &
              0 \\le i < W \\\\ \\max\\big(0,\\ r_c + (1 - r_c)\\, \\tfrac12 (1 + \\cos \\pi q)\\big)
              & i \\ge W \\end{cases}, \\qquad q = \\min\\Big(1, \\frac{i - W + 1}{\\max(1, N - W)}
              \\Big)

    Legend: :math:`\\eta_0` = ``lr`` (the optimizer's rate), :math:`r_w` = ``warmup_min_ratio``,
    :math:`r_c` = ``cos_min_ratio``, :math:`N` = ``total_num_steps``.
    """

    total_num_steps: int | None = duration_field(None)
    warmup_min_ratio: float = 0.0
    warmup_num_steps: int = duration_field(1000)
    cos_min_ratio: float = 0.0001
    warmup_type: str = "log"
    last_batch_iteration: int = -1
    lr: float | None = None
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        _total_steps(self)
        _positive_int("warmup_num_steps", self.warmup_num_steps, o)
        set_field(self, "warmup_min_ratio", _scalar("warmup_min_ratio", self.warmup_min_ratio, o))
        set_field(self, "cos_min_ratio", _scalar("cos_min_ratio", self.cos_min_ratio, o))
        _check.choice("warmup_type", self.warmup_type, WARMUP_TYPES, o)
        _fresh(self.last_batch_iteration, o)
        if self.lr is not None:
            _scalar("lr", self.lr, o)
        resolve_lr(self, o)  # it scales the optimizer's rate: None = relative to any optimizer

    @property
    def horizon(self) -> float:
        return float(self.total_num_steps) + 1.0

    def phase_boundaries(self) -> tuple[float, ...]:
        return (float(max(2, self.warmup_num_steps)) + 1.0,)

    def _eval(self, t: Any, ops: Any) -> Any:
        w = max(2, self.warmup_num_steps)
        i = t - 1.0
        gamma = _warmup_gamma(t, ops, self.warmup_type, w)
        warm = self.warmup_min_ratio + gamma * (1.0 - self.warmup_min_ratio)
        total = float(max(1, self.total_num_steps - w))
        progress = ops.minimum(ops.maximum(i - w + 1.0, 0.0) / total, 1.0)
        cosine = (1.0 + ops.cos(math.pi * progress)) / 2.0
        decay = ops.maximum(self.cos_min_ratio + (1.0 - self.cos_min_ratio) * cosine, 0.0)
        ratio = ops.where(i < w, warm, decay)
        ratio = ops.where(i < 0.0, 0.0, ratio)
        return self.lr * ratio


@takes_optimizer("drop")
@dataclass(frozen=True)
class OneCycle(Schedule, name="deepspeed.OneCycle"):
    """DeepSpeed ``OneCycle``: one triangular (optionally staircase) cycle between
    ``cycle_min_lr`` and ``cycle_max_lr``, then an inverse-time decay of ``cycle_min_lr``.

    With :math:`U, D` the two step sizes, :math:`C = U + D`, :math:`r = U / C`,
    :math:`c = \\lfloor 1 + t/C \\rfloor`, :math:`x = 1 + t/C - c`:

    .. math:: h = \\begin{cases} x / r & x \\le r \\\\ (x - 1)/(r - 1) & x > r \\end{cases}
              \\qquad \\eta(t) = \\begin{cases} a + (b - a)\\, h & t \\le C \\\\
              a / \\big(1 + \\rho\\, (t - C)/S\\big) & t > C \\end{cases}

    With a stair count :math:`k > 0` for the current half, :math:`h` is replaced by
    :math:`\\lfloor \\pi \\rfloor / k`, with :math:`\\pi = m k / U` on the way up and
    :math:`(C - m) k / D` on the way down (:math:`m = t \\bmod C`). ``.momentum`` (the first
    Adam beta, ``cycle_momentum=True``) mirrors the cycle from ``cycle_max_mom`` down to
    ``cycle_min_mom`` and after it grows as :math:`\\mu_{\\max}(1 + \\rho_m (t - C)/S)`; it is
    ``cycle_min_mom`` at :math:`t = 0`, as DeepSpeed's constructor sets it. Without decay
    (:math:`\\rho = 0` or :math:`S = 0`) the rate stays at :math:`a` after the cycle.
    Legend: :math:`a` = ``cycle_min_lr``, :math:`b` = ``cycle_max_lr``, :math:`\\rho` =
    ``decay_lr_rate``, :math:`\\rho_m` = ``decay_mom_rate``, :math:`S` = ``decay_step_size``.
    """

    cycle_min_lr: float
    cycle_max_lr: float
    decay_lr_rate: float = 0.0
    cycle_first_step_size: float = duration_field(2000)
    cycle_second_step_size: float | None = duration_field(None)
    cycle_first_stair_count: int = 0
    cycle_second_stair_count: int | None = None
    decay_step_size: float = duration_field(0)
    cycle_momentum: bool = True
    cycle_min_mom: float = 0.8
    cycle_max_mom: float = 0.9
    decay_mom_rate: float = 0.0
    last_batch_iteration: int = -1

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "cycle_min_lr", _scalar("cycle_min_lr", self.cycle_min_lr, o))
        set_field(self, "cycle_max_lr", _scalar("cycle_max_lr", self.cycle_max_lr, o))
        set_field(self, "decay_lr_rate", _check.non_negative("decay_lr_rate", self.decay_lr_rate, o))
        set_field(self, "cycle_first_step_size",
                  _check.positive("cycle_first_step_size", self.cycle_first_step_size, o))
        if self.cycle_second_step_size is not None:
            set_field(self, "cycle_second_step_size", _check.non_negative(
                "cycle_second_step_size", self.cycle_second_step_size, o))
        _check.integer("cycle_first_stair_count", self.cycle_first_stair_count, o, minimum=0)
        if self.cycle_second_stair_count is not None:
            _check.integer("cycle_second_stair_count", self.cycle_second_stair_count, o, minimum=0)
        set_field(self, "decay_step_size",
                  _check.non_negative("decay_step_size", self.decay_step_size, o))
        _check.boolean("cycle_momentum", self.cycle_momentum, o)
        set_field(self, "cycle_min_mom", _scalar("cycle_min_mom", self.cycle_min_mom, o))
        set_field(self, "cycle_max_mom", _scalar("cycle_max_mom", self.cycle_max_mom, o))
        set_field(self, "decay_mom_rate", _check.non_negative("decay_mom_rate",
                                                              self.decay_mom_rate, o))
        _fresh(self.last_batch_iteration, o)

    # DeepSpeed's derived sizes
    @property
    def _up(self) -> float:
        return float(self.cycle_first_step_size)

    @property
    def _down(self) -> float:
        s = self.cycle_second_step_size
        return self._up if s is None else float(s)

    @property
    def _total(self) -> float:
        return self._up + self._down

    @property
    def horizon(self) -> float:
        return self._total

    def phase_boundaries(self) -> tuple[float, ...]:
        return (self._up, self._total)

    @property
    def momentum(self) -> Schedule | None:
        """The first-beta curve DeepSpeed applies (``None`` when ``cycle_momentum=False``)."""
        return MomentumOf(self) if self.cycle_momentum else None

    def _scale(self, t: Any, ops: Any) -> Any:
        up, down, total = self._up, self._down, self._total
        ratio = up / total
        cycle = ops.floor(1.0 + t / total)
        x = 1.0 + t / total - cycle
        rising = x <= ratio
        if ratio == 1.0:  # no second half: (x - 1)/(r - 1) is never used
            smooth = x / ratio
        else:
            smooth = ops.where(rising, x / ratio, (x - 1.0) / (ratio - 1.0))
        k1 = self.cycle_first_stair_count
        k2 = k1 if self.cycle_second_stair_count is None else self.cycle_second_stair_count
        if k1 <= 0 and k2 <= 0:
            return smooth
        k = ops.where(rising, float(k1), float(k2))
        k_safe = ops.where(k > 0, k, 1.0)
        m = ops.mod(t, total)
        if down > 0:
            pos = ops.where(m <= up, m * k_safe / up, (total - m) * k_safe / down)
        else:
            pos = m * k_safe / up
        return ops.where(k > 0, ops.floor(pos) / k_safe, smooth)

    def _eval(self, t: Any, ops: Any) -> Any:
        a, b, total = self.cycle_min_lr, self.cycle_max_lr, self._total
        cycle_lr = a + (b - a) * self._scale(t, ops)
        if self.decay_step_size == 0 or self.decay_lr_rate == 0:
            after = ops.full_like(t, a)
        else:
            after = a / (1.0 + self.decay_lr_rate * (ops.maximum(t - total, 0.0)
                                                     / self.decay_step_size))
        return ops.where(t - 1.0 < total, cycle_lr, after)

    def _momentum_eval(self, t: Any, ops: Any) -> Any:
        lo, hi, total = self.cycle_min_mom, self.cycle_max_mom, self._total
        cycle_mom = hi - (hi - lo) * self._scale(t, ops)
        if self.decay_step_size == 0 or self.decay_mom_rate == 0:
            after = ops.full_like(t, hi)
        else:
            after = hi * (1.0 + self.decay_mom_rate * (ops.maximum(t - total, 0.0)
                                                       / self.decay_step_size))
        value = ops.where(t - 1.0 < total, cycle_mom, after)
        return ops.where(t < 1.0, lo, value)


@takes_optimizer("drop")
@dataclass(frozen=True)
class LRRangeTest(Schedule, name="deepspeed.LRRangeTest"):
    """DeepSpeed ``LRRangeTest``: a rate growing linearly (or in stairs) without bound.

    .. math:: \\eta(t) = a\\,(1 + \\rho\\, p), \\qquad p = t / S \\ (\\lfloor t/S \\rfloor
              \\text{ when staircase})

    Legend: :math:`a` = ``lr_range_test_min_lr``, :math:`S` = ``lr_range_test_step_size``,
    :math:`\\rho` = ``lr_range_test_step_rate``.
    """

    lr_range_test_min_lr: float = 1e-3
    lr_range_test_step_size: int = duration_field(2000)
    lr_range_test_step_rate: float = 1.0
    lr_range_test_staircase: bool = False
    last_batch_iteration: int = -1

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "lr_range_test_min_lr",
                  _scalar("lr_range_test_min_lr", self.lr_range_test_min_lr, o))
        _positive_int("lr_range_test_step_size", self.lr_range_test_step_size, o)
        set_field(self, "lr_range_test_step_rate",
                  _check.non_negative("lr_range_test_step_rate", self.lr_range_test_step_rate, o))
        _check.boolean("lr_range_test_staircase", self.lr_range_test_staircase, o)
        _fresh(self.last_batch_iteration, o)

    def _eval(self, t: Any, ops: Any) -> Any:
        p = t / float(self.lr_range_test_step_size)
        if self.lr_range_test_staircase:
            p = ops.floor(p)
        return self.lr_range_test_min_lr * (1.0 + self.lr_range_test_step_rate * p)


_TYPES: dict[str, type[Schedule]] = {
    "WarmupLR": WarmupLR, "WarmupDecayLR": WarmupDecayLR, "WarmupCosineLR": WarmupCosineLR,
    "OneCycle": OneCycle, "LRRangeTest": LRRangeTest,
}


def from_config(scheduler: Mapping[str, Any], *, lr: float | None = None,
                optimizer: Any = None) -> Schedule:
    """The schedule of a DeepSpeed config's ``"scheduler"`` section,
    ``{"type": "WarmupLR", "params": {...}}``. ``WarmupLR`` without ``warmup_max_lr`` and
    ``WarmupCosineLR`` use the optimizer's rate: pass ``optimizer=`` (relative: each param
    group's own rate, as DeepSpeed), or ``lr=`` (absolute), or neither (relative)."""
    o = "deepspeed.from_config"
    rate = rate_kwargs(optimizer, lr, o)
    if not isinstance(scheduler, Mapping):
        raise TypeError(f"{o}: scheduler must be the 'scheduler' mapping of a DeepSpeed config, "
                        f"got {scheduler!r}")
    kind = scheduler.get("type")
    cls = _TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"{o}: type must be one of {', '.join(map(repr, _TYPES))}, got {kind!r}")
    params = dict(scheduler.get("params") or {})
    if not isinstance(scheduler.get("params", {}), Mapping):
        raise TypeError(f"{o}: params must be a mapping, got {scheduler.get('params')!r}")
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"{o}: {kind} has no parameter {', '.join(map(repr, unknown))}; valid: "
                         f"{', '.join(sorted(names - {'lr'}))}")
    if "lr" in names and "lr" not in params and rate["lr"] is not None:
        params.update(rate)
    return cls(**params)
