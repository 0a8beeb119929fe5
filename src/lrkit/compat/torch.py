"""PyTorch's ``torch.optim.lr_scheduler`` classes under their own names and keyword arguments.

Each constructor takes the optimizer as torch does (``StepLR(optimizer, step_size=30)``: the
schedule is then *relative*, each param group following its own initial rate, see
:mod:`lrkit.compat._rate`) or ``lr=`` (the optimizer's initial rate) in its place, and
returns a pure lrkit :class:`~lrkit.Schedule`: its value at step :math:`t` is the param group's
learning rate after :math:`t` calls of the torch scheduler's ``step()`` (step 0 = right after
construction). Torch computes most of these recursively (multiplying the previous rate); lrkit
evaluates the closed form of the same recursion, written so that it rounds like torch's and
agrees with it to about :math:`t` units in the last place. This module does not import torch.

Quirks reproduced on purpose (see ``docs/compat-torch-hf-timm.md``): ``CosineAnnealingLR`` is
periodic past ``T_max``; ``SequentialLR`` restarts every scheduler from the base rate at its
milestone; ``ChainedScheduler`` multiplies per-step factors, so a scheduler placed after one
that overwrites the rate (``LambdaLR``, ``OneCycleLR``, ``CyclicLR``,
``CosineAnnealingWarmRestarts``) contributes only its factor of the current step;
``OneCycleLR`` extrapolates its last phase at ``t = total_steps`` (torch raises after it: lrkit
holds that value, floored at 0).

``LambdaLR`` and ``MultiplicativeLR`` hold a Python function: they are evaluated element by
element (not inside ``jax.jit``) and cannot be written to a config (``to_config`` raises).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from lrkit import _check
from lrkit.compat._rate import RelativeMixin, resolve_lr, takes_optimizer
from lrkit.compat._torch_callable import RunningProduct, elementwise, require_callable
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field, times
from lrkit.schedules.cosine import cycle_index
from lrkit.schedules.cyclic import MomentumOf, one_cycle_curve, one_cycle_ends, swing, triangle

if TYPE_CHECKING:
    from lrkit.plateau import Plateau

__all__ = [
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "LambdaLR",
    "MultiplicativeLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
]


def _count(name: str, value: Any, o: str, minimum: int = 0) -> int:
    return _check.integer(name, value, o, minimum=minimum)


def _safe(ops: Any, d: Any) -> Any:
    """A denominator that is never 0 (used on the branch ``where`` discards)."""
    return ops.where(d == 0, 1.0, d)


class _TorchSchedule(Schedule):
    """Common ground of the torch dialect.

    ``_overwrites``: torch's ``get_lr`` sets the rate from the base rate (closed form) instead
    of multiplying the current one. Chainable (multiplicative) schedulers implement
    ``_multiplier`` (value / ``lr``) and ``_factor`` (what torch multiplies the current rate by
    at step ``t``; at ``t = 0`` the factor of the constructor's initial step).
    """

    __slots__ = ()
    _overwrites: ClassVar[bool] = False

    def _multiplier(self, t: Any, ops: Any) -> Any:  # pragma: no cover - per subclass
        raise NotImplementedError

    def _factor(self, t: Any, ops: Any) -> Any:  # pragma: no cover - per subclass
        raise NotImplementedError

    def _eval(self, t: Any, ops: Any) -> Any:
        return times(self.lr, self._multiplier(t, ops), ops)  # type: ignore[attr-defined]


# -- step-wise ----------------------------------------------------------------------------
@takes_optimizer()
@dataclass(frozen=True)
class StepLR(RelativeMixin, _TorchSchedule, name="torch.StepLR"):
    """``torch.optim.lr_scheduler.StepLR``: multiply by ``gamma`` every ``step_size`` steps.

    .. math:: \\eta_t = \\eta_0\\, \\gamma^{\\lfloor t / N \\rfloor}

    Legend: :math:`\\eta_0` = ``lr``, :math:`\\gamma` = ``gamma``, :math:`N` = ``step_size``.
    """

    lr: float | None
    step_size: int = duration_field()
    gamma: float = 0.1
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "step_size", _count("step_size", self.step_size, o, 1))
        set_field(self, "gamma", _check.non_negative("gamma", self.gamma, o))

    def _multiplier(self, t: Any, ops: Any) -> Any:
        return ops.power(self.gamma, ops.floor(t / self.step_size))

    def _factor(self, t: Any, ops: Any) -> Any:
        hit = (t > 0) & (ops.mod(t, float(self.step_size)) == 0)
        return ops.where(hit, ops.full_like(t, self.gamma), 1.0)


@takes_optimizer()
@dataclass(frozen=True)
class MultiStepLR(RelativeMixin, _TorchSchedule, name="torch.MultiStepLR"):
    """``torch.optim.lr_scheduler.MultiStepLR``: multiply by ``gamma`` at each milestone.

    .. math:: \\eta_t = \\eta_0\\, \\gamma^{\\#\\{i:\\ m_i \\le t\\}}

    The new rate applies *at* the milestone; a milestone listed twice counts twice.
    Legend: :math:`\\eta_0` = ``lr``, :math:`m_i` = ``milestones``, :math:`\\gamma` = ``gamma``.
    """

    lr: float | None
    milestones: tuple[int, ...] = duration_field()
    gamma: float = 0.1
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        if isinstance(self.milestones, (str, bytes)) or not hasattr(self.milestones, "__iter__"):
            raise TypeError(f"{o}: milestones must be a list of integers, got {self.milestones!r}")
        ms = tuple(sorted(_count(f"milestones[{i}]", m, o) for i, m in enumerate(self.milestones)))
        set_field(self, "milestones", ms)
        set_field(self, "gamma", _check.non_negative("gamma", self.gamma, o))

    def phase_boundaries(self) -> tuple[float, ...]:
        return tuple(float(m) for m in sorted(set(self.milestones)))

    def _multiplier(self, t: Any, ops: Any) -> Any:
        count = ops.full_like(t, 0.0)
        for m in self.milestones:
            count = count + ops.where(t >= m, 1.0, 0.0)
        return ops.power(self.gamma, count)

    def _factor(self, t: Any, ops: Any) -> Any:
        count = ops.full_like(t, 0.0)
        for m in self.milestones:
            count = count + ops.where(t == m, 1.0, 0.0)
        return ops.power(self.gamma, count)


@takes_optimizer()
@dataclass(frozen=True)
class ConstantLR(RelativeMixin, _TorchSchedule, name="torch.ConstantLR"):
    """``torch.optim.lr_scheduler.ConstantLR``: ``factor`` times the rate until ``total_iters``.

    .. math:: \\eta_t = \\begin{cases} \\eta_0 f & t < T \\\\ \\eta_0 & t \\ge T \\end{cases}

    Legend: :math:`\\eta_0` = ``lr``, :math:`f` = ``factor`` (in [0, 1]), :math:`T` =
    ``total_iters`` (>= 1: with 0, torch keeps :math:`\\eta_0 f` forever when stepped alone but
    restarts at :math:`\\eta_0` inside ``SequentialLR``, so lrkit rejects it).
    """

    lr: float | None
    factor: float = 1.0 / 3
    total_iters: int = duration_field(5)
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "factor", _check.probability("factor", self.factor, o))
        set_field(self, "total_iters", _count("total_iters", self.total_iters, o, 1))
        if self.factor == 0:
            raise ValueError(f"{o}: factor must be > 0 (torch divides by it at step total_iters), "
                             f"got factor={self.factor!r}")

    @property
    def horizon(self) -> float:
        return float(self.total_iters)

    def _multiplier(self, t: Any, ops: Any) -> Any:
        return ops.where(t < self.total_iters, ops.full_like(t, self.factor), 1.0)

    def _factor(self, t: Any, ops: Any) -> Any:
        back = ops.where(t == self.total_iters, ops.full_like(t, 1.0 / self.factor), 1.0)
        return ops.where(t == 0, self.factor, back)


@takes_optimizer()
@dataclass(frozen=True)
class LinearLR(RelativeMixin, _TorchSchedule, name="torch.LinearLR"):
    """``torch.optim.lr_scheduler.LinearLR``: a linear ramp of the multiplier.

    .. math:: \\eta_t = \\eta_0 \\Big(f_s + (f_e - f_s) \\frac{\\min(t, T)}{T}\\Big)

    Legend: :math:`\\eta_0` = ``lr``, :math:`f_s` = ``start_factor`` (in (0, 1]),
    :math:`f_e` = ``end_factor`` (in [0, 1]), :math:`T` = ``total_iters`` (>= 1: torch's
    closed form, used inside ``SequentialLR``, divides by it).
    """

    lr: float | None
    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = duration_field(5)
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "start_factor", _check.probability("start_factor", self.start_factor, o,
                                                           open_low=True))
        set_field(self, "end_factor", _check.probability("end_factor", self.end_factor, o))
        set_field(self, "total_iters", _count("total_iters", self.total_iters, o, 1))

    @property
    def horizon(self) -> float:
        return float(self.total_iters)

    def _multiplier(self, t: Any, ops: Any) -> Any:
        sf, ef, n = self.start_factor, self.end_factor, self.total_iters
        # (>= 0: XLA may divide by n as a multiplication by 1/n and overshoot end_factor=0)
        return ops.maximum(sf + (ef - sf) * ops.minimum(t, float(n)) / n, 0.0)

    def _factor(self, t: Any, ops: Any) -> Any:
        sf, ef, n = self.start_factor, self.end_factor, self.total_iters
        d = n * sf + (t - 1.0) * (ef - sf)
        ramp = 1.0 + (ef - sf) / _safe(ops, d)
        inside = (t >= 1) & (t <= n)
        return ops.where(t == 0, sf, ops.where(inside, ramp, 1.0))


@takes_optimizer()
@dataclass(frozen=True)
class ExponentialLR(RelativeMixin, _TorchSchedule, name="torch.ExponentialLR"):
    """``torch.optim.lr_scheduler.ExponentialLR``: :math:`\\eta_t = \\eta_0 \\gamma^t`.

    Legend: :math:`\\eta_0` = ``lr``, :math:`\\gamma` = ``gamma``.
    """

    lr: float | None
    gamma: float
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "gamma", _check.non_negative("gamma", self.gamma, o))

    def _multiplier(self, t: Any, ops: Any) -> Any:
        return ops.power(self.gamma, t)

    def _factor(self, t: Any, ops: Any) -> Any:
        return ops.where(t == 0, 1.0, ops.full_like(t, self.gamma))


@takes_optimizer()
@dataclass(frozen=True)
class PolynomialLR(RelativeMixin, _TorchSchedule, name="torch.PolynomialLR"):
    """``torch.optim.lr_scheduler.PolynomialLR``: polynomial decay to 0 over ``total_iters``.

    .. math:: \\eta_t = \\eta_0 \\Big(1 - \\frac{\\min(t, T)}{T}\\Big)^{p}

    Legend: :math:`\\eta_0` = ``lr``, :math:`T` = ``total_iters`` (>= 1: torch's closed form,
    used inside ``SequentialLR``, divides by it), :math:`p` = ``power``.
    """

    lr: float | None
    total_iters: int = duration_field(5)
    power: float = 1.0
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "total_iters", _count("total_iters", self.total_iters, o, 1))
        set_field(self, "power", _check.non_negative("power", self.power, o))

    @property
    def horizon(self) -> float:
        return float(self.total_iters)

    def _multiplier(self, t: Any, ops: Any) -> Any:
        n = float(self.total_iters)
        return ops.power(ops.maximum(1.0 - ops.minimum(t, n) / n, 0.0), self.power)

    def _factor(self, t: Any, ops: Any) -> Any:
        n = float(self.total_iters)
        ratio = ops.power(ops.maximum((1.0 - t / n) / _safe(ops, 1.0 - (t - 1.0) / n), 0.0),
                          self.power)
        return ops.where((t == 0) | (t > n), 1.0, ratio)


# -- cosine ---------------------------------------------------------------------------------
@takes_optimizer()
@dataclass(frozen=True)
class CosineAnnealingLR(RelativeMixin, _TorchSchedule, name="torch.CosineAnnealingLR"):
    """``torch.optim.lr_scheduler.CosineAnnealingLR``, periodic past ``T_max`` as in torch.

    .. math:: \\eta_t = \\eta_{\\min} + (\\eta_0 - \\eta_{\\min})\\,
              \\frac{1 + \\cos(\\pi t / T)}{2}

    for *every* :math:`t`: after ``T_max`` the rate climbs back to :math:`\\eta_0` at
    :math:`2T` and keeps oscillating (torch's recursive form; lrkit's native
    :class:`~lrkit.Cosine` holds the floor instead). The value is computed as torch's
    recursion telescopes, restarting from torch's additive step at
    :math:`t \\equiv T + 1 \\pmod{2T}`, so it also rounds like torch near the floor.
    Legend: :math:`\\eta_0` = ``lr``, :math:`T` = ``T_max``, :math:`\\eta_{\\min}` = ``eta_min``.
    """

    lr: float | None
    T_max: int = duration_field()
    eta_min: float = 0.0
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "T_max", _count("T_max", self.T_max, o, 1))
        set_field(self, "eta_min", _check.non_negative("eta_min", self.eta_min, o))

    @property
    def horizon(self) -> float:
        return float(self.T_max)

    def _eval(self, t: Any, ops: Any) -> Any:
        n, eta, lr = float(self.T_max), self.eta_min, self.lr

        def a(k: Any) -> Any:
            return 1.0 + ops.cos(math.pi * k / n)

        first = eta + (lr - eta) * a(t) / 2
        lift = (lr - eta) * (1.0 - math.cos(math.pi / n)) / 2
        if lift == 0.0:
            # T_max >~ 3e8 (cos(pi / T) rounds to 1): torch's recursion divides by zero at
            # T_max, so there is no torch value to round like; give the exact periodic cosine
            return first
        # torch's additive restart at s = (2j + 1) T + 1, then the ratios a(t) / a(s); when
        # a(s) rounds to 0 (s far out) the ratio lift / a(s) takes its exact value (lr - eta)/2
        j = ops.floor((t - n - 1.0) / (2.0 * n))
        a_s = a((2.0 * j + 1.0) * n + 1.0)
        at = a(t)
        later = ops.where(a_s == 0, eta + 0.5 * (lr - eta) * at, eta + lift * (at / _safe(ops, a_s)))
        # in exact arithmetic every value lies between lr and eta_min; far out the ratio's rounding
        # (a(s) is a small difference of cosines) may push it well past either end (even below
        # 0): keep it inside, with a slack far above torch's own rounding so parity is untouched
        lo, hi = min(lr, eta), max(lr, eta)
        slack = 1e-9 * (hi - lo)
        return ops.clip(ops.where(t <= n, first, later), max(lo - slack, 0.0), hi + slack)


@takes_optimizer()
@dataclass(frozen=True)
class CosineAnnealingWarmRestarts(RelativeMixin, _TorchSchedule, name="torch.CosineAnnealingWarmRestarts"):
    """``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`` (SGDR), stepped with ``step()``.

    Cycle :math:`i` lasts :math:`T_i = T_0 m^i` steps; with :math:`\\tau` the step inside it:

    .. math:: \\eta_t = \\eta_{\\min} + (\\eta_0 - \\eta_{\\min})\\,
              \\frac{1 + \\cos(\\pi \\tau / T_i)}{2}

    Torch's ``step()`` counts :math:`\\tau` with integers, so boundaries are exact, and so are
    lrkit's. (Torch's deprecated ``step(epoch)`` finds the cycle with a floating ``log`` and can
    land one cycle early at an exact boundary; that path is not reproduced.)
    Legend: :math:`\\eta_0` = ``lr``, :math:`T_0` = ``T_0``, :math:`m` = ``T_mult``,
    :math:`\\eta_{\\min}` = ``eta_min``.
    """

    _overwrites: ClassVar[bool] = True

    lr: float | None
    T_0: int = duration_field()
    T_mult: int = 1
    eta_min: float = 0.0
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        set_field(self, "T_0", _count("T_0", self.T_0, o, 1))
        set_field(self, "T_mult", _count("T_mult", self.T_mult, o, 1))
        set_field(self, "eta_min", _check.non_negative("eta_min", self.eta_min, o))

    def _eval(self, t: Any, ops: Any) -> Any:
        _, pos, length = cycle_index(ops.maximum(ops.floor(t), 0.0), ops, float(self.T_0),
                                     float(self.T_mult))
        return self.eta_min + (self.lr - self.eta_min) * (1.0 + ops.cos(math.pi * pos / length)) / 2


# -- cyclic ---------------------------------------------------------------------------------
@takes_optimizer("drop")
@dataclass(frozen=True)
class OneCycleLR(_TorchSchedule, name="torch.OneCycleLR"):
    """``torch.optim.lr_scheduler.OneCycleLR`` (the optimizer's rate is not used: ``lr`` is
    accepted and ignored, as torch overwrites it with ``max_lr / div_factor``).

    Rates :math:`a_0 = p/d`, :math:`p` = ``max_lr``, :math:`a_{\\min} = a_0 / d_f`. Phases end
    at :math:`e_1 = \\rho T - 1, e_2 = T - 1` (or :math:`e_1 = \\rho T - 1, e_2 = 2\\rho T - 2,
    e_3 = T - 1` with ``three_phase``) and go :math:`a_0 \\to p \\to a_{\\min}` (or
    :math:`a_0 \\to p \\to a_0 \\to a_{\\min}`). In phase :math:`k`, with
    :math:`u = (t - e_{k-1})/(e_k - e_{k-1})`:

    .. math:: \\text{cos: } v_k + \\tfrac{v_{k-1} - v_k}{2}(\\cos \\pi u + 1), \\qquad
              \\text{linear: } (v_k - v_{k-1}) u + v_{k-1}

    At :math:`t = T` torch extrapolates the last phase (:math:`u > 1`) and raises after it;
    lrkit gives that same value at :math:`T` and holds it (but never below 0: torch's linear
    extrapolation can give a negative rate there). ``.momentum`` is torch's momentum
    curve (``max_momentum`` :math:`\\to` ``base_momentum`` :math:`\\to` ``max_momentum``), or
    ``None`` when ``cycle_momentum=False``.
    Legend: :math:`\\rho` = ``pct_start``, :math:`T` = ``total_steps`` (or ``epochs *
    steps_per_epoch``), :math:`d` = ``div_factor``, :math:`d_f` = ``final_div_factor``.
    """

    _overwrites: ClassVar[bool] = True

    max_lr: float
    total_steps: int | None = duration_field(None)
    epochs: int | None = None
    steps_per_epoch: int | None = None
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    cycle_momentum: bool = True
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    lr: float | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "max_lr", _check.non_negative("max_lr", self.max_lr, o))
        if self.total_steps is not None:
            set_field(self, "total_steps", _count("total_steps", self.total_steps, o, 1))
        elif self.epochs is not None and self.steps_per_epoch is not None:
            set_field(self, "epochs", _count("epochs", self.epochs, o, 1))
            set_field(self, "steps_per_epoch", _count("steps_per_epoch", self.steps_per_epoch, o, 1))
        else:
            raise ValueError(f"{o}: give total_steps, or epochs and steps_per_epoch (got "
                             f"total_steps={self.total_steps!r}, epochs={self.epochs!r}, "
                             f"steps_per_epoch={self.steps_per_epoch!r})")
        set_field(self, "pct_start", _check.probability("pct_start", self.pct_start, o))
        _check.choice("anneal_strategy", self.anneal_strategy, ("cos", "linear"), o)
        _check.boolean("cycle_momentum", self.cycle_momentum, o)
        _check.boolean("three_phase", self.three_phase, o)
        for name in ("base_momentum", "max_momentum"):
            set_field(self, name, _check.non_negative(name, getattr(self, name), o))
        set_field(self, "div_factor", _check.positive("div_factor", self.div_factor, o))
        set_field(self, "final_div_factor", _check.positive("final_div_factor",
                                                            self.final_div_factor, o))
        if self.lr is not None:
            set_field(self, "lr", _check.non_negative("lr", self.lr, o))
        prev = 0.0
        for k, e in enumerate(self._ends()):
            if e <= prev:
                raise ValueError(
                    f"{o}: phase {k + 1} would be empty (it ends at step {e:g}, not after step "
                    f"{prev:g}; torch divides by zero there): raise total_steps or change "
                    f"pct_start (got total={self.total!r}, pct_start={self.pct_start!r})")
            prev = e

    @property
    def total(self) -> int:
        """Torch's ``total_steps`` (given, or ``epochs * steps_per_epoch``)."""
        if self.total_steps is not None:
            return int(self.total_steps)
        return int(self.epochs) * int(self.steps_per_epoch)  # type: ignore[arg-type]

    def _ends(self) -> tuple[float, ...]:
        return one_cycle_ends(float(self.total), self.pct_start, self.three_phase)

    @property
    def horizon(self) -> float:
        return float(self.total)

    def phase_boundaries(self) -> tuple[float, ...]:
        return self._ends()[:-1]

    @property
    def momentum(self) -> Schedule | None:
        """The momentum (or Adam ``beta1``) curve torch applies with ``cycle_momentum=True``."""
        return MomentumOf(self) if self.cycle_momentum else None

    def _curve(self, t: Any, ops: Any, values: tuple[float, ...]) -> Any:
        # torch evaluates the last phase once more at t = total_steps (then raises): clip there
        return one_cycle_curve(ops.minimum(t, float(self.total)), ops, self._ends(), values,
                               self.anneal_strategy, hold_last=False)

    def _eval(self, t: Any, ops: Any) -> Any:
        initial = self.max_lr / self.div_factor
        low = initial / self.final_div_factor
        values = ((initial, self.max_lr, initial, low) if self.three_phase
                  else (initial, self.max_lr, low))
        # at t = total_steps torch's linear extrapolation can go below 0: lrkit stops at 0
        return ops.maximum(self._curve(t, ops, values), 0.0)

    def _momentum_eval(self, t: Any, ops: Any) -> Any:
        hi, lo = self.max_momentum, self.base_momentum
        return self._curve(t, ops, (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi))


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


@takes_optimizer("drop")
@dataclass(frozen=True)
class CyclicLR(_TorchSchedule, name="torch.CyclicLR"):
    """``torch.optim.lr_scheduler.CyclicLR`` (``lr`` is accepted and ignored: torch sets the
    rate to ``base_lr``).

    With :math:`C = U + D`, :math:`c = \\lfloor 1 + t / C \\rfloor`, :math:`x = 1 + t/C - c`
    and :math:`r = U / C`:

    .. math:: h = \\begin{cases} x / r & x \\le r \\\\ (x - 1)/(r - 1) & x > r\\end{cases}
              \\qquad \\eta_t = b + (p - b)\\, h\\, g

    with :math:`g = 1` (``triangular``), :math:`1 / 2^{c - 1}` (``triangular2``),
    :math:`\\gamma^t` (``exp_range``) or ``scale_fn`` of :math:`c` (``scale_mode="cycle"``) or
    of :math:`t` (``"iterations"``). ``.momentum`` is :math:`M - (M - m)\\, h\\, g` (``None``
    when ``cycle_momentum=False``). Legend: :math:`b` = ``base_lr``, :math:`p` = ``max_lr``,
    :math:`U` = ``step_size_up``, :math:`D` = ``step_size_down`` (default :math:`U`),
    :math:`m, M` = ``base_momentum``, ``max_momentum``.
    """

    _overwrites: ClassVar[bool] = True

    base_lr: float
    max_lr: float
    step_size_up: float = duration_field(2000)
    step_size_down: float | None = duration_field(None)
    mode: str = "triangular"
    gamma: float = 1.0
    scale_fn: Callable[[float], float] | None = None
    scale_mode: str = "cycle"
    cycle_momentum: bool = True
    base_momentum: float = 0.8
    max_momentum: float = 0.9
    lr: float | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "base_lr", _check.non_negative("base_lr", self.base_lr, o))
        set_field(self, "max_lr", _check.non_negative("max_lr", self.max_lr, o))
        set_field(self, "step_size_up", _check.positive("step_size_up", self.step_size_up, o))
        if self.step_size_down is not None:
            set_field(self, "step_size_down", _check.non_negative("step_size_down",
                                                                  self.step_size_down, o))
        if self.scale_fn is None:
            _check.choice("mode", self.mode, _CYCLIC_MODES, o)
        else:
            require_callable("scale_fn", self.scale_fn, o)
            _check.choice("scale_mode", self.scale_mode, ("cycle", "iterations"), o)
        set_field(self, "gamma", _check.non_negative("gamma", self.gamma, o))
        if self.scale_fn is None and self.mode == "exp_range" and self.gamma > 1.0 \
                and self.max_lr < self.base_lr:  # the swing below base_lr grows as gamma^t
            raise ValueError(f"{o}: gamma must be <= 1 in exp_range mode when max_lr < base_lr (the "
                             f"rate would fall below 0), got gamma={self.gamma!r}")
        _check.boolean("cycle_momentum", self.cycle_momentum, o)
        for name in ("base_momentum", "max_momentum"):
            set_field(self, name, _check.non_negative(name, getattr(self, name), o))
        if self.lr is not None:
            set_field(self, "lr", _check.non_negative("lr", self.lr, o))

    def to_config(self) -> dict[str, Any]:
        if self.scale_fn is not None:
            raise TypeError("CyclicLR: a schedule with a Python scale_fn cannot be written to a "
                            "config; use mode='triangular2' or 'exp_range', or keep it in code")
        return super().to_config()

    @property
    def momentum(self) -> Schedule | None:
        """The momentum (or Adam ``beta1``) curve torch applies with ``cycle_momentum=True``."""
        return MomentumOf(self) if self.cycle_momentum else None

    def _shape(self, t: Any, ops: Any) -> Any:
        cycle, h = triangle(t, ops, self.step_size_up, self.step_size_down)
        if self.scale_fn is not None:
            arg = cycle if self.scale_mode == "cycle" else t
            g = elementwise(self.scale_fn, arg, ops, "scale_fn")
        elif self.mode == "triangular":
            g = 1.0
        elif self.mode == "triangular2":
            g = 1.0 / ops.power(2.0, cycle - 1.0)
        else:
            g = ops.power(self.gamma, t)
        return h, g

    def _eval(self, t: Any, ops: Any) -> Any:
        h, g = self._shape(t, ops)
        return swing(self.base_lr, self.max_lr, h, g, ops)

    def _momentum_eval(self, t: Any, ops: Any) -> Any:
        h, g = self._shape(t, ops)
        return swing(self.max_momentum, self.base_momentum, h, g, ops)



# -- user functions -------------------------------------------------------------------------
class _NoConfig:
    """Mixin for schedules holding a Python callable."""

    def to_config(self) -> dict[str, Any]:
        raise TypeError(f"{type(self).__name__} wraps a Python function (lr_lambda), which cannot "
                        "be written to a config; write the curve with lrkit schedules instead "
                        "(e.g. lrkit.Exponential, lrkit.Piecewise) or keep it in code")


@takes_optimizer()
@dataclass(frozen=True)
class LambdaLR(_NoConfig, RelativeMixin, _TorchSchedule, name="torch.LambdaLR"):
    """``torch.optim.lr_scheduler.LambdaLR``: :math:`\\eta_t = \\eta_0\\, f(t)`.

    ``f`` = ``lr_lambda`` is called with the integer step (element by element for arrays;
    not inside ``jax.jit``). Cannot be written to a config.
    """

    _overwrites: ClassVar[bool] = True

    lr: float | None
    lr_lambda: Callable[[int], float]
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        require_callable("lr_lambda", self.lr_lambda, o)

    def _eval(self, t: Any, ops: Any) -> Any:
        return self.lr * elementwise(self.lr_lambda, t, ops)


@takes_optimizer()
@dataclass(frozen=True)
class MultiplicativeLR(RelativeMixin, _TorchSchedule, name="torch.MultiplicativeLR"):
    """``torch.optim.lr_scheduler.MultiplicativeLR``: :math:`\\eta_t = \\eta_0
    \\prod_{k=1}^{t} f(k)`.

    ``lr_lambda`` is torch's function of the step (its values multiplied left to right, as
    torch does, so the rates are torch's to the last bit), or a number :math:`c` (an lrkit
    addition: the constant factor in closed form, :math:`\\eta_0 c^t`, like
    :class:`ExponentialLR`; it can go into a config). A function is called once per step up to
    the largest step asked, as torch calls it, and must be pure; memory stays bounded (a cursor
    and at most 1024 checkpoints, see :class:`~lrkit.compat._torch_callable.RunningProduct`).
    A function cannot be written to a config.
    """

    lr: float | None
    lr_lambda: Callable[[int], float] | float
    _product: Any = field(init=False, repr=False, compare=False, default=None)
    relative: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        o = owner(self)
        resolve_lr(self, o)
        if isinstance(self.lr_lambda, (int, float)) and not isinstance(self.lr_lambda, bool):
            set_field(self, "lr_lambda", _check.non_negative("lr_lambda", self.lr_lambda, o))
        else:
            require_callable("lr_lambda", self.lr_lambda, o)
            set_field(self, "_product", RunningProduct(self.lr_lambda, self.lr, 1))

    @property
    def constant(self) -> bool:
        return self._product is None

    def to_config(self) -> dict[str, Any]:
        if not self.constant:
            return _NoConfig.to_config(self)  # type: ignore[arg-type]
        return super().to_config()

    def running(self, start: float, first: int) -> RunningProduct | None:
        """The product ``start * f(first) * ...`` (``None`` for a constant factor)."""
        return None if self.constant else RunningProduct(self.lr_lambda, start, first)  # type: ignore[arg-type]

    def _multiplier(self, t: Any, ops: Any) -> Any:
        return ops.power(float(self.lr_lambda), ops.maximum(t, 0.0))  # type: ignore[arg-type]

    def _eval(self, t: Any, ops: Any) -> Any:
        if self.constant:
            return self.lr * self._multiplier(t, ops)
        product = self._product
        return elementwise(lambda k: product(max(k, 0)), t, ops)

    def _factor(self, t: Any, ops: Any) -> Any:
        if self.constant:
            return ops.where(t <= 0, 1.0, ops.full_like(t, float(self.lr_lambda)))  # type: ignore[arg-type]
        return elementwise(lambda k: 1.0 if k <= 0 else float(self.lr_lambda(k)), t, ops)  # type: ignore[operator]


# -- combinations ---------------------------------------------------------------------------
def _schedules(name: str, value: Any, o: str) -> tuple[Schedule, ...]:
    items = tuple(value) if isinstance(value, (list, tuple)) else None
    if not items:
        raise ValueError(f"{o}: {name} must be a non-empty list of schedules, got {value!r}")
    for i, s in enumerate(items):
        if not isinstance(s, Schedule):
            raise TypeError(f"{o}: {name}[{i}] must be an lrkit Schedule (e.g. "
                            f"lrkit.compat.torch.LinearLR(lr=...)), got {s!r}")
    flags = [getattr(s, "relative", None) for s in items]
    if True in flags and False in flags:
        i, j = flags.index(True), flags.index(False)
        raise ValueError(f"{o}: {name} must all take the optimizer's rate (built with the "
                         f"optimizer, relative=True) or all give lr=; {name}[{i}] is relative "
                         f"and {name}[{j}] is not")
    return items


class _Composite:
    """``relative`` and :meth:`for_rate` of the combinations: those of their schedulers."""

    __slots__ = ()

    @property
    def relative(self) -> bool:
        """True when the schedulers take the optimizer's rate (see :mod:`lrkit.compat._rate`)."""
        return any(getattr(s, "relative", False) for s in self.schedulers)  # type: ignore[attr-defined]

    def for_rate(self, lr: float) -> Schedule:
        """The absolute combination a param group whose initial rate is ``lr`` follows."""
        scheds = tuple(s.for_rate(lr) if getattr(s, "relative", False) else s  # type: ignore[attr-defined]
                       for s in self.schedulers)  # type: ignore[attr-defined]
        return dataclasses.replace(self, schedulers=scheds)  # type: ignore[type-var]


@takes_optimizer("drop")
@dataclass(frozen=True)
class SequentialLR(_Composite, Schedule, name="torch.SequentialLR"):
    """``torch.optim.lr_scheduler.SequentialLR``: scheduler :math:`k` runs from milestone
    :math:`m_{k-1}` on, **restarting from its own step 0** (so from the base rate):

    .. math:: \\eta_t = s_k(t - m_{k-1}), \\qquad k = \\#\\{i:\\ m_i \\le t\\}

    A ``MultiplicativeLR`` after a milestone continues from the rate reached just before it,
    as in torch: :math:`\\eta_t = \\eta_{m-1} \\prod_{j=0}^{t - m} f(j)`.
    Legend: :math:`s_k` = ``schedulers[k]``, :math:`m_i` = ``milestones``.
    """

    schedulers: tuple[Schedule, ...]
    milestones: tuple[int, ...] = duration_field()
    _carry: tuple[float, ...] = field(init=False, repr=False, compare=False, default=())
    _products: dict[int, Any] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        o = owner(self)
        scheds = _schedules("schedulers", self.schedulers, o)
        if isinstance(self.milestones, (str, bytes)) or not hasattr(self.milestones, "__iter__"):
            raise TypeError(f"{o}: milestones must be a list of integers, got {self.milestones!r}")
        ms = tuple(_count(f"milestones[{i}]", m, o) for i, m in enumerate(self.milestones))
        if len(ms) != len(scheds) - 1:
            raise ValueError(f"{o}: milestones must have one element fewer than schedulers, got "
                             f"{len(scheds)} schedulers and {len(ms)} milestones")
        _check.increasing("milestones", tuple(float(m) for m in ms), o, strict=False)
        set_field(self, "schedulers", scheds)
        set_field(self, "milestones", ms)
        carry: list[float] = []
        for m in ms:
            set_field(self, "_carry", tuple(carry))
            carry.append(float(self._eval(float(m - 1), _py())) if m > 0 else 0.0)
        set_field(self, "_carry", tuple(carry))

    @property
    def horizon(self) -> float | None:
        last = self.schedulers[-1].horizon
        if last is None:
            return None
        return last + (self.milestones[-1] if self.milestones else 0)

    def phase_boundaries(self) -> tuple[float, ...]:
        return tuple(float(m) for m in self.milestones)

    def _phase(self, k: int, local: Any, ops: Any) -> Any:
        s = self.schedulers[k]
        if isinstance(s, MultiplicativeLR) and k > 0 and self.milestones[k - 1] > 0 \
                and k - 1 < len(self._carry):
            carry = self._carry[k - 1]  # torch continues from the rate reached: carry * f(0) ...
            if s.constant:
                return carry * ops.power(float(s.lr_lambda), local + 1.0)  # type: ignore[arg-type]
            product = self._products.get(k)
            if product is None:
                product = self._products[k] = s.running(carry, 0)
            return elementwise(lambda n: product(max(n, 0) + 1), local, ops)
        return s._eval(local, ops)

    def _eval(self, t: Any, ops: Any) -> Any:
        value = self._phase(0, t, ops)
        for k, m in enumerate(self.milestones[: len(self._carry)], start=1):
            value = ops.where(t >= m, self._phase(k, ops.maximum(t - m, 0.0), ops), value)
        return value


def _py() -> Any:
    from lrkit._ops import PY

    return PY


_CHAINABLE = (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
              MultiplicativeLR)
_OVERWRITING = (LambdaLR, OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts)


@takes_optimizer("drop")
@dataclass(frozen=True)
class ChainedScheduler(_Composite, Schedule, name="torch.ChainedScheduler"):
    """``torch.optim.lr_scheduler.ChainedScheduler``: every scheduler steps, in order, on the
    same rate.

    Chainable schedulers (``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``,
    ``ExponentialLR``, ``PolynomialLR``, ``MultiplicativeLR``) multiply the current rate by
    their factor of the step; the others (``LambdaLR``, ``OneCycleLR``, ``CyclicLR``,
    ``CosineAnnealingWarmRestarts``) overwrite it. With :math:`L` the last overwriting one:

    .. math:: \\eta_t = s_L(t) \\prod_{k > L} \\phi_k(t) \\quad\\text{or, with none,}\\quad
              \\eta_t = \\eta_0 \\prod_k s_k(t) / \\eta_0

    where :math:`\\phi_k(t)` is torch's factor :math:`s_k(t)/s_k(t-1)` of that step only (the
    torch quirk: after ``LambdaLR``, ``ExponentialLR(gamma)`` gives :math:`\\gamma \\eta_0
    f(t)`, not :math:`\\gamma^t`). ``CosineAnnealingLR`` (additive in torch), ``SequentialLR``
    and nested chains are rejected.
    """

    schedulers: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        o = owner(self)
        scheds = _schedules("schedulers", self.schedulers, o)
        lrs = set()
        for i, s in enumerate(scheds):
            if not isinstance(s, _CHAINABLE + _OVERWRITING):
                allowed = ", ".join(c.__name__ for c in _CHAINABLE + _OVERWRITING)
                raise ValueError(f"{o}: schedulers[{i}] ({type(s).__name__}) cannot be chained in "
                                 f"closed form; allowed: {allowed}")
            if isinstance(s, _CHAINABLE):
                lrs.add(s.lr)
        if len(lrs) > 1:
            raise ValueError(f"{o}: every scheduler must use the same lr (they share one "
                             f"optimizer in torch), got {sorted(lrs)}")
        set_field(self, "schedulers", scheds)

    def _eval(self, t: Any, ops: Any) -> Any:
        scheds = self.schedulers
        last = max((i for i, s in enumerate(scheds) if s._overwrites), default=None)  # type: ignore[attr-defined]
        if last is None:
            value = scheds[0]._eval(t, ops)
            for s in scheds[1:]:
                value = value * s._multiplier(t, ops)  # type: ignore[attr-defined]
            return value
        value = scheds[last]._eval(t, ops)
        for s in scheds[last + 1:]:
            value = value * s._factor(t, ops)  # type: ignore[attr-defined]
        return value


# -- plateau ----------------------------------------------------------------------------------
def ReduceLROnPlateau(lr: float = 1.0, mode: str = "min", factor: float = 0.1, patience: int = 10,
                      threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                      min_lr: float = 0.0, eps: float = 1e-8) -> Plateau:
    """``torch.optim.lr_scheduler.ReduceLROnPlateau`` as an lrkit controller.

    Returns a :class:`lrkit.plateau.Plateau`; its ``step(metric)`` returns the learning rate
    after that metric, as torch's scheduler leaves it in a param group that started at ``lr``:
    after more than ``patience`` observations without an improvement beyond ``threshold``,

    .. math:: \\eta \\leftarrow \\max(f\\,\\eta,\\ \\eta_{\\min}) \\quad \\text{(if the change
              exceeds } \\epsilon)

    then ``cooldown`` observations are ignored. Legend: :math:`f` = ``factor``,
    :math:`\\eta_{\\min}` = ``min_lr``, :math:`\\epsilon` = ``eps``. This is the one stateful
    object of the dialect (not a schedule: it has no config).
    """
    from lrkit.plateau import Plateau

    f = _check.number("factor", factor, "ReduceLROnPlateau")
    if f >= 1.0:
        raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor!r}")
    return Plateau(lr, mode=mode, factor=f, patience=patience, threshold=threshold,
                   threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr, eps=eps)
