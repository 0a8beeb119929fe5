"""timm's ``timm.scheduler`` schedulers under their own names and keyword arguments.

``CosineLRScheduler``, ``TanhLRScheduler``, ``StepLRScheduler``, ``MultiStepLRScheduler``,
``PolyLRScheduler`` and ``WSDLRScheduler`` take the optimizer as timm does (relative: each param
group follows timm's curve from its own initial rate, see :mod:`lrkit.compat._rate`) or ``lr=``
(the param group's base rate) in its place, and return lrkit schedules whose value at ``t`` is
the rate timm sets for ``t``
(``scheduler.step(t)`` when ``t_in_epochs=True``, ``scheduler.step_update(t)`` otherwise),
noise included. timm multiplies by a group's ``lr_scale``: in lrkit write ``schedule * scale``.

Time: with ``t_in_epochs=True`` timm's ``t`` is the epoch. lrkit schedules normally count
optimizer steps, so pass ``steps_per_epoch`` (an lrkit addition) and the schedule maps step
:math:`s` to epoch :math:`\\lfloor s / \\text{steps\\_per\\_epoch} \\rfloor` (the rate timm holds
during that epoch); without it the argument *is* timm's ``t``.

Warmup (all): for :math:`t < W`, :math:`\\eta_t = w_0 + t\\,(g - w_0)/W` with :math:`g` the base
rate (``TanhLRScheduler`` without ``warmup_prefix``: the curve's value at :math:`W`). With
``warmup_prefix`` the curve then starts at :math:`t - W`, otherwise at :math:`t`.

Cycles (cosine, tanh, poly): cycle :math:`i` of length :math:`T_i = T m^i` peaks at
:math:`\\eta_0 \\delta^i`; after ``cycle_limit`` cycles the rate is ``lr_min``. timm finds
:math:`i = \\lfloor \\log_m (1 - t(1 - m)/T) \\rfloor` with a floating logarithm, so some exact
restarts land one cycle early; lrkit finds the exact index and then applies exactly timm's
misses (:func:`missed_restarts`), so every backend agrees with timm (lrkit's native
:class:`~lrkit.CosineRestarts` is exact).

Noise: with ``noise_range_t`` the rate is multiplied by :math:`1 + n_t`, :math:`n_t` drawn
exactly as timm draws it (a torch generator seeded with ``noise_seed + t``; see
:mod:`lrkit.compat._timm_noise`). Noisy schedules are evaluated element by element (not in
``jax.jit``). Legend used below: :math:`\\eta_0` = ``lr``, :math:`T` = ``t_initial``,
:math:`m` = ``cycle_mul``, :math:`\\delta` = ``cycle_decay``, :math:`k` = ``k_decay``,
:math:`b` = ``lr_min``, :math:`W` = ``warmup_t``, :math:`w_0` = ``warmup_lr_init``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any

from lrkit import _check
from lrkit.compat._rate import RelativeMixin, is_optimizer, rate_kwargs, resolve_lr, takes_optimizer
from lrkit.compat._timm_noise import timm_noise
from lrkit.compat._torch_callable import elementwise
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field, times
from lrkit.schedules.cosine import cycle_index

__all__ = ["CosineLRScheduler", "TanhLRScheduler", "StepLRScheduler", "MultiStepLRScheduler",
           "PolyLRScheduler", "WSDLRScheduler", "create_scheduler_v2", "missed_restarts"]


class _Timm(RelativeMixin, Schedule):
    """Validation and the parts every timm scheduler shares (time, warmup, cycles, noise)."""

    __slots__ = ()
    _has_prefix = True

    # -- construction ----------------------------------------------------------------------
    def _check_common(self) -> str:
        o = owner(self)
        s: Any = self
        resolve_lr(self, o)
        set_field(self, "warmup_t", _check.integer("warmup_t", s.warmup_t, o, minimum=0))
        set_field(self, "warmup_lr_init", _check.non_negative("warmup_lr_init", s.warmup_lr_init, o))
        if self._has_prefix:
            _check.boolean("warmup_prefix", s.warmup_prefix, o)
        _check.boolean("t_in_epochs", s.t_in_epochs, o)
        nr = s.noise_range_t
        if nr is not None:
            if isinstance(nr, (list, tuple)):
                if len(nr) != 2:
                    raise ValueError(f"{o}: noise_range_t must be an int or a [start, end) pair, "
                                     f"got {nr!r}")
                nr = tuple(_check.number(f"noise_range_t[{i}]", v, o) for i, v in enumerate(nr))
            else:
                nr = _check.number("noise_range_t", nr, o)
            set_field(self, "noise_range_t", nr)
        set_field(self, "noise_pct", _check.positive("noise_pct", s.noise_pct, o))
        set_field(self, "noise_std", _check.non_negative("noise_std", s.noise_std, o))
        set_field(self, "noise_seed", _check.integer("noise_seed", s.noise_seed, o))
        if s.steps_per_epoch is not None:
            if not s.t_in_epochs:
                raise ValueError(f"{o}: steps_per_epoch only applies with t_in_epochs=True")
            set_field(self, "steps_per_epoch", _check.integer("steps_per_epoch", s.steps_per_epoch,
                                                              o, minimum=1))
        return o

    def _check_cycles(self, o: str) -> None:
        s: Any = self
        set_field(self, "t_initial", _check.positive("t_initial", s.t_initial, o))
        set_field(self, "lr_min", _check.non_negative("lr_min", s.lr_min, o))
        mul = _check.number("cycle_mul", s.cycle_mul, o)
        if mul < 1:
            raise ValueError(f"{o}: cycle_mul must be >= 1 (timm's cycle index takes "
                             f"log(1 - t (1 - cycle_mul) / t_initial)), got {s.cycle_mul!r}")
        set_field(self, "cycle_mul", mul)
        set_field(self, "cycle_decay", _check.non_negative("cycle_decay", s.cycle_decay, o))
        set_field(self, "cycle_limit", _check.integer("cycle_limit", s.cycle_limit, o, minimum=0))

    @property
    def t_unit(self) -> str:
        """What the argument :math:`t` counts: ``"step"`` (optimizer updates: with
        ``t_in_epochs=False``, timm's ``num_updates``, or with ``steps_per_epoch``) or
        ``"epoch"`` (``t_in_epochs=True`` without ``steps_per_epoch``: timm's epoch, so a
        driver stepping per batch would run the whole schedule in ``num_epochs`` batches)."""
        s: Any = self
        return "epoch" if s.t_in_epochs and s.steps_per_epoch is None else "step"

    def _length(self) -> float | None:
        """The schedule's length in timm's ``t`` (``None`` when it has none)."""
        return None

    @property
    def horizon(self) -> float | None:
        """timm's ``get_cycle_length()`` (with a prefix warmup), in the unit of :attr:`t_unit`."""
        n = self._length()
        s: Any = self
        if n is None or s.steps_per_epoch is None:
            return n
        return float(n) * s.steps_per_epoch

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                           for f in dataclasses.fields(self) if f.repr)
        return f"{type(self).__name__}({fields}; t counts {self.t_unit}s)"

    # -- evaluation --------------------------------------------------------------------------
    def _time(self, t: Any, ops: Any) -> Any:
        s: Any = self
        t = ops.maximum(t, 0.0)
        if s.t_in_epochs and s.steps_per_epoch is not None:
            return ops.floor(t / s.steps_per_epoch)
        return t

    def _curve(self, t: Any, ops: Any) -> Any:  # pragma: no cover - per subclass
        raise NotImplementedError

    def _warmup_target(self) -> float:
        return float(self.lr)  # type: ignore[attr-defined]

    def _eval(self, t: Any, ops: Any) -> Any:
        s: Any = self
        t = self._time(t, ops)
        w = s.warmup_t
        if w:
            after = t - w if (not self._has_prefix or s.warmup_prefix) else t
            main = self._curve(ops.maximum(after, 0.0), ops)
            slope = (self._warmup_target() - s.warmup_lr_init) / w
            value = ops.where(t < w, s.warmup_lr_init + t * slope, main)
        else:
            value = self._curve(t, ops)
        if s.noise_range_t is None:
            return value
        noise = elementwise(self._noise_at, t, ops, "noise",
                            "is drawn on the host (timm's generator, seeded per step)")
        return value + value * noise

    def _noise_at(self, t: int) -> float:
        s: Any = self
        nr = s.noise_range_t
        apply = nr[0] <= t < nr[1] if isinstance(nr, tuple) else t >= nr
        return timm_noise(s.noise_seed, t, s.noise_std, s.noise_pct) if apply else 0.0


_MAX_BOUNDARIES = 10_000


@functools.lru_cache(maxsize=256)
def missed_restarts(t_initial: float, cycle_mul: float, cycle_limit: int) -> tuple[float, ...]:
    """The integer restart steps at which timm's floating ``log`` lands one cycle early.

    Cycle :math:`i` starts at :math:`S_i = T (m^i - 1)/(m - 1)`. timm computes
    :math:`\\lfloor \\log(1 - t(1 - m)/T) / \\log m \\rfloor` with CPython's ``math.log``; at an
    integer :math:`S_i` that can give :math:`i - 1` (e.g. :math:`T = 1, m = 3`:
    ``log(243, 3) = 4.999...``). The misses are found here once, with timm's own arithmetic, so
    that every backend (whose ``log`` may round differently) reproduces exactly timm's values.
    Only the first ``cycle_limit`` restarts matter (at most 10 000 are examined).
    """
    T, m = float(t_initial), float(cycle_mul)
    out = []
    for i in range(1, min(int(cycle_limit), _MAX_BOUNDARIES) + 1):
        start = T * (m ** i - 1) / (m - 1)
        if start > 2.0 ** 52:
            break
        t = float(round(start))
        if abs(start - t) > 1e-9 * max(1.0, start):
            continue  # no integer step sits on this restart
        if math.floor(math.log(1 - t / T * (1 - m), m)) < i:
            out.append(t)
    return tuple(out)


def _cycle(s: Any, t: Any, ops: Any) -> tuple[Any, Any, Any]:
    """timm's cycle index ``i``, cycle length ``t_i`` and position ``t_curr``."""
    T, m = float(s.t_initial), s.cycle_mul
    if m != 1:
        i, _, _ = cycle_index(t, ops, T, m)  # exact on every backend
        for b in missed_restarts(T, m, s.cycle_limit):  # then timm's misses, exactly
            i = ops.where(t == b, i - 1.0, i)
        mi = ops.power(m, i)
        return i, mi * T, t - (1 - mi) / (1 - m) * T
    i = ops.floor(t / T)
    return i, ops.full_like(t, T), t - T * i


def _peak(s: Any, i: Any, ops: Any) -> Any:
    return s.lr * ops.power(s.cycle_decay, i)


@takes_optimizer()
@dataclass(frozen=True, repr=False)
class CosineLRScheduler(_Timm, name="timm.cosine"):
    """``timm.scheduler.CosineLRScheduler`` (SGDR with k-decay).

    .. math:: \\eta_t = b + \\tfrac12 (\\eta_0 \\delta^i - b)
              \\big(1 + \\cos(\\pi\\, \\tau^k / T_i^k)\\big) \\quad (i < \\text{cycle\\_limit}),
              \\qquad b \\ \\text{otherwise}

    with :math:`i, T_i, \\tau` the cycle, its length and the position in it (module docstring).
    """

    lr: float | None
    relative: bool = field(default=False, kw_only=True)
    t_initial: int = duration_field()
    lr_min: float = 0.0
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int = 1
    warmup_t: int = 0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = False
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    k_decay: float = 1.0
    steps_per_epoch: int | None = None

    def __post_init__(self) -> None:
        o = self._check_common()
        self._check_cycles(o)
        set_field(self, "k_decay", _check.positive("k_decay", self.k_decay, o))

    def _length(self) -> float:
        return float(_cycle_length(self))

    def _curve(self, t: Any, ops: Any) -> Any:
        i, t_i, t_curr = _cycle(self, t, ops)
        k, b = self.k_decay, self.lr_min
        lr_max = _peak(self, i, ops)
        c = b + 0.5 * (lr_max - b) * (1 + ops.cos(math.pi * ops.power(t_curr, k) / ops.power(t_i, k)))
        return ops.where(i < self.cycle_limit, c, b)


@takes_optimizer()
@dataclass(frozen=True, repr=False)
class TanhLRScheduler(_Timm, name="timm.tanh"):
    """``timm.scheduler.TanhLRScheduler`` (Hsueh et al. 2019), with timm's cycles.

    .. math:: \\eta_t = b + \\tfrac12 (\\eta_0 \\delta^i - b)\\big(1 - \\tanh(L (1 - r) + U r)
              \\big), \\qquad r = \\tau / T_i

    (:math:`b` after ``cycle_limit`` cycles). Legend: :math:`L` = ``lb``, :math:`U` = ``ub``.
    Without ``warmup_prefix`` the warmup rises to the curve's value at :math:`W`.
    """

    lr: float | None
    relative: bool = field(default=False, kw_only=True)
    t_initial: int = duration_field()
    lb: float = -7.0
    ub: float = 3.0
    lr_min: float = 0.0
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int = 1
    warmup_t: int = 0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = False
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    steps_per_epoch: int | None = None

    def __post_init__(self) -> None:
        o = self._check_common()
        self._check_cycles(o)
        lb, ub = _check.number("lb", self.lb, o), _check.number("ub", self.ub, o)
        if not lb < ub:
            raise ValueError(f"{o}: lb must be < ub, got lb={self.lb!r}, ub={self.ub!r}")
        set_field(self, "lb", lb)
        set_field(self, "ub", ub)

    def _warmup_target(self) -> float:
        if self.warmup_prefix:
            return float(self.lr)
        from lrkit._ops import PY

        return float(self._curve(float(self.warmup_t), PY))

    def _length(self) -> float:
        return float(_cycle_length(self))

    def _curve(self, t: Any, ops: Any) -> Any:
        i, t_i, t_curr = _cycle(self, t, ops)
        b = self.lr_min
        tr = t_curr / t_i
        c = b + 0.5 * (_peak(self, i, ops) - b) * (1 - ops.tanh(self.lb * (1.0 - tr) + self.ub * tr))
        return ops.where(i < self.cycle_limit, c, b)


@takes_optimizer()
@dataclass(frozen=True, repr=False)
class PolyLRScheduler(_Timm, name="timm.poly"):
    """``timm.scheduler.PolyLRScheduler``:

    .. math:: \\eta_t = b + (\\eta_0 \\delta^i - b)\\,(1 - \\tau^k / T_i^k)^{p}

    (:math:`b` after ``cycle_limit`` cycles). Legend: :math:`p` = ``power`` (timm's default 0.5).
    """

    lr: float | None
    relative: bool = field(default=False, kw_only=True)
    t_initial: int = duration_field()
    power: float = 0.5
    lr_min: float = 0.0
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int = 1
    warmup_t: int = 0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = False
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    k_decay: float = 1.0
    steps_per_epoch: int | None = None

    def __post_init__(self) -> None:
        o = self._check_common()
        self._check_cycles(o)
        set_field(self, "power", _check.non_negative("power", self.power, o))
        set_field(self, "k_decay", _check.positive("k_decay", self.k_decay, o))

    def _length(self) -> float:
        return float(_cycle_length(self))

    def _curve(self, t: Any, ops: Any) -> Any:
        i, t_i, t_curr = _cycle(self, t, ops)
        k, b = self.k_decay, self.lr_min
        base = ops.maximum(1 - ops.power(t_curr, k) / ops.power(t_i, k), 0.0)
        c = b + (_peak(self, i, ops) - b) * ops.power(base, self.power)
        return ops.where(i < self.cycle_limit, c, b)


@takes_optimizer()
@dataclass(frozen=True, repr=False)
class StepLRScheduler(_Timm, name="timm.step"):
    """``timm.scheduler.StepLRScheduler``: :math:`\\eta_t = \\eta_0\\, r^{\\lfloor t / d \\rfloor}`.

    Legend: :math:`r` = ``decay_rate``, :math:`d` = ``decay_t``. ``warmup_prefix`` defaults to
    True here, as in timm.
    """

    lr: float | None
    relative: bool = field(default=False, kw_only=True)
    decay_t: float = duration_field()
    decay_rate: float = 1.0
    warmup_t: int = 0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = True
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    steps_per_epoch: int | None = None

    def __post_init__(self) -> None:
        o = self._check_common()
        set_field(self, "decay_t", _check.positive("decay_t", self.decay_t, o))
        set_field(self, "decay_rate", _check.non_negative("decay_rate", self.decay_rate, o))

    def _curve(self, t: Any, ops: Any) -> Any:
        return times(self.lr, ops.power(self.decay_rate, ops.floor(t / self.decay_t)), ops)


@takes_optimizer()
@dataclass(frozen=True, repr=False)
class MultiStepLRScheduler(_Timm, name="timm.multistep"):
    """``timm.scheduler.MultiStepLRScheduler``:

    .. math:: \\eta_t = \\eta_0\\, r^{\\#\\{j:\\ d_j \\le t + 1\\}}

    timm counts milestones up to :math:`t + 1`, so each decay lands **one step before** the
    listed milestone (torch's ``MultiStepLR`` and lrkit's :class:`~lrkit.MultiStep` apply it
    at the milestone). Legend: :math:`d_j` = ``decay_t``, :math:`r` = ``decay_rate``.
    """

    lr: float | None
    relative: bool = field(default=False, kw_only=True)
    decay_t: tuple[int, ...] = duration_field()
    decay_rate: float = 1.0
    warmup_t: int = 0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = True
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    steps_per_epoch: int | None = None

    def __post_init__(self) -> None:
        o = self._check_common()
        ds = _check.numbers("decay_t", self.decay_t, o)
        _check.increasing("decay_t", ds, o, strict=False)
        set_field(self, "decay_t", tuple(int(d) if float(d).is_integer() else d for d in ds))
        set_field(self, "decay_rate", _check.non_negative("decay_rate", self.decay_rate, o))

    def phase_boundaries(self) -> tuple[float, ...]:
        return tuple(float(d) - 1.0 for d in self.decay_t)

    def _curve(self, t: Any, ops: Any) -> Any:
        count = ops.full_like(t, 0.0)
        for d in self.decay_t:
            count = count + ops.where(t + 1 >= d, 1.0, 0.0)
        return times(self.lr, ops.power(self.decay_rate, count), ops)

    def to_config(self) -> dict[str, Any]:
        cfg = super().to_config()
        cfg["decay_t"] = list(cfg["decay_t"])
        return cfg


_STABLE = ("constant", "rsqrt", "power")
_DECAY = ("linear", "1-sqrt", "cosine", "power", "exp")


@takes_optimizer()
@dataclass(frozen=True, repr=False)
class WSDLRScheduler(_Timm, name="timm.wsd"):
    """``timm.scheduler.WSDLRScheduler``: warmup, stable, decay over ``t_initial`` steps after the
    warmup.

    With :math:`t_s = t - W`, the stable rate :math:`v_s = \\max(\\eta_0\\, \\sigma(t_s), b)`
    (:math:`\\sigma = 1` for ``constant``, :math:`(1 + t_s/\\theta)^{-q}` for ``rsqrt``
    (:math:`q = 1/2`) and ``power`` (:math:`q` = ``stable_power``), :math:`\\theta` =
    ``stable_timescale``, default :math:`W`), and :math:`u = \\min((t_s - T + D)/D, 1)`:

    .. math:: \\eta_t = v_s \\ (t_s \\le T - D), \\qquad \\eta_t = b + (v_s - b)\\, d(u)
              \\ \\text{otherwise}

    decay shapes :math:`d`: ``linear`` :math:`1-u`, ``1-sqrt`` :math:`1 - \\sqrt u`, ``cosine``
    :math:`\\tfrac12(1 + \\cos \\pi u)`, ``power`` :math:`1 - u^{p}`, ``exp``
    :math:`(\\rho^u - \\rho)/(1 - \\rho)`. Legend: :math:`D` = ``decay_t``, :math:`p` =
    ``decay_power``, :math:`\\rho` = ``decay_ratio``. The warmup is always a prefix.
    """

    _has_prefix = False

    lr: float | None
    relative: bool = field(default=False, kw_only=True)
    t_initial: int = duration_field()
    decay_t: int = duration_field()
    lr_min: float = 0.0
    stable_fn: str = "constant"
    stable_timescale: float | None = None
    stable_power: float = 0.5
    decay_fn: str = "1-sqrt"
    decay_power: float = 0.5
    decay_ratio: float = 0.1
    warmup_t: int = 0
    warmup_lr_init: float = 0.0
    t_in_epochs: bool = True
    noise_range_t: Any = None
    noise_pct: float = 0.67
    noise_std: float = 1.0
    noise_seed: int = 42
    steps_per_epoch: int | None = None

    def __post_init__(self) -> None:
        o = self._check_common()
        set_field(self, "t_initial", _check.positive("t_initial", self.t_initial, o))
        d = _check.positive("decay_t", self.decay_t, o)
        if d > self.t_initial:
            raise ValueError(f"{o}: decay_t must be in (0, t_initial] (t_initial="
                             f"{self.t_initial!r}), got {self.decay_t!r}")
        set_field(self, "decay_t", d)
        set_field(self, "lr_min", _check.non_negative("lr_min", self.lr_min, o))
        _check.choice("stable_fn", self.stable_fn, _STABLE, o)
        if not isinstance(self.decay_fn, str):
            raise TypeError(f"{o}: decay_fn must be one of {', '.join(map(repr, _DECAY))} (a "
                            f"Python function cannot be written to a config), got "
                            f"{self.decay_fn!r}")
        _check.choice("decay_fn", self.decay_fn, _DECAY, o)
        set_field(self, "decay_ratio", _check.probability("decay_ratio", self.decay_ratio, o,
                                                          open_low=True, open_high=True))
        set_field(self, "decay_power", _check.positive("decay_power", self.decay_power, o))
        set_field(self, "stable_power", _check.positive("stable_power", self.stable_power, o))
        if self.stable_fn != "constant":
            ts = self.stable_timescale if self.stable_timescale is not None else self.warmup_t
            ts = _check.number("stable_timescale", ts, o)
            if ts <= 0:
                raise ValueError(f"{o}: stable_fn={self.stable_fn!r} needs stable_timescale > 0 "
                                 f"(it defaults to warmup_t={self.warmup_t!r}), got {ts!r}")
            set_field(self, "stable_timescale", ts)

    def _length(self) -> float:
        return float(self.warmup_t + self.t_initial)

    def _decay(self, u: Any, ops: Any) -> Any:
        fn = self.decay_fn
        if fn == "linear":
            return 1.0 - u
        if fn == "1-sqrt":
            return 1.0 - ops.sqrt(u)
        if fn == "cosine":
            return 0.5 * (1.0 + ops.cos(math.pi * u))
        if fn == "power":
            return 1.0 - ops.power(u, self.decay_power)
        r = self.decay_ratio
        return (ops.power(r, u) - r) / (1.0 - r)

    def _curve(self, t_s: Any, ops: Any) -> Any:
        if self.stable_fn == "constant":
            stable = ops.maximum(ops.full_like(t_s, self.lr), self.lr_min)
        else:
            q = 0.5 if self.stable_fn == "rsqrt" else self.stable_power
            stable = ops.maximum(self.lr * ops.power(1.0 + t_s / self.stable_timescale, -q),
                                 self.lr_min)
        t_decay = t_s - (self.t_initial - self.decay_t)
        u = ops.minimum(ops.maximum(t_decay, 0.0) / self.decay_t, 1.0)
        decayed = self.lr_min + (stable - self.lr_min) * self._decay(u, ops)
        return ops.where(t_decay <= 0, stable, decayed)


# -- the factory ---------------------------------------------------------------------------------
def create_scheduler_v2(lr: Any = None, sched: str = "cosine", num_epochs: int = 300,
                        decay_epochs: float | None = None,
                        decay_milestones: Any = (90, 180, 270), cooldown_epochs: int = 0,
                        patience_epochs: int = 10, decay_rate: float = 0.1, min_lr: float = 0.0,
                        warmup_lr: float = 1e-5, warmup_epochs: int = 0,
                        warmup_prefix: bool = False, noise: Any = None, noise_pct: float = 0.67,
                        noise_std: float = 1.0, noise_seed: int = 42, cycle_mul: float = 1.0,
                        cycle_decay: float = 0.1, cycle_limit: int = 1, k_decay: float = 1.0,
                        decay_fn: str | None = None, stable_timescale: float | None = None,
                        plateau_mode: str = "max", step_on_epochs: bool = True,
                        updates_per_epoch: int = 0, steps_per_epoch: int | None = None, *,
                        optimizer: Any = None) -> tuple[Schedule | None, int]:
    """``timm.scheduler.create_scheduler_v2(optimizer, ...)``, a rename: the optimizer first as
    in timm (the schedule is then **relative**: each param group follows timm's curve from its
    own initial rate), or ``lr=`` in its place (absolute), or neither (relative, reference 1).

    Returns ``(schedule, num_epochs)`` like timm: the schedule for ``sched`` (``cosine``,
    ``tanh``, ``step``, ``constant``, ``multistep``, ``poly`` — ``decay_rate`` is its power —,
    ``wsd``, ``rsqrt``; ``None`` for ``none``) and the number of epochs to train, which timm
    extends by the cycles, the cooldown and a prefix warmup. ``plateau`` (a metric-driven
    scheduler) is not provided.

    **What** :math:`t` **counts** (the schedule's :attr:`~_Timm.t_unit`, also in its repr):

    * ``step_on_epochs=False``: optimizer updates. Every epoch count is multiplied by
      ``updates_per_epoch`` (required), as timm does; the schedule changes every update.
    * ``step_on_epochs=True`` with ``updates_per_epoch`` (or ``steps_per_epoch``, lrkit's name
      for it): optimizer updates too, holding each epoch's rate for its ``updates_per_epoch``
      updates — timm's values when its training script calls ``step(epoch)`` once per epoch.
    * ``step_on_epochs=True`` alone: epochs, as in timm. Step such a schedule once per epoch; a
      driver stepping per batch would run it all in ``num_epochs`` batches.
    """
    o = "create_scheduler_v2"
    if is_optimizer(lr):
        if optimizer is not None:
            raise TypeError(f"{o}: optimizer given twice")
        lr, optimizer = None, lr
    rate = rate_kwargs(optimizer, lr, o)
    _check.boolean("step_on_epochs", step_on_epochs, o)
    if step_on_epochs and updates_per_epoch:
        upe = _check.integer("updates_per_epoch", updates_per_epoch, o, minimum=1)
        if steps_per_epoch is not None and steps_per_epoch != upe:
            raise ValueError(f"{o}: steps_per_epoch and updates_per_epoch are the same count; got "
                             f"{steps_per_epoch!r} and {updates_per_epoch!r}")
        steps_per_epoch = upe
    _check.choice("sched", sched, ("cosine", "tanh", "step", "constant", "multistep", "poly",
                                   "wsd", "rsqrt", "none", "plateau"), o)
    if sched == "plateau":
        raise ValueError(f"{o}: sched='plateau' (timm's PlateauLRScheduler) is not provided; use "
                         "lrkit.compat.torch.ReduceLROnPlateau or lrkit.plateau")
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial, warmup_t, decay_t, cooldown_t = num_epochs, warmup_epochs, decay_epochs, cooldown_epochs
    timescale_t = stable_timescale
    milestones = list(decay_milestones)
    if not step_on_epochs:
        upe = _check.integer("updates_per_epoch", updates_per_epoch, o, minimum=1)
        t_initial, warmup_t, decay_t = t_initial * upe, warmup_t * upe, decay_t * upe
        milestones = [d * upe for d in milestones]
        cooldown_t = cooldown_t * upe
        if timescale_t is not None:
            timescale_t = timescale_t * upe
    if noise is not None:
        if isinstance(noise, (list, tuple)):
            noise_range: Any = [n * t_initial for n in noise]
            if len(noise_range) == 1:
                noise_range = noise_range[0]
        else:
            noise_range = noise * t_initial
    else:
        noise_range = None
    common: dict[str, Any] = dict(
        **rate, t_in_epochs=step_on_epochs, noise_range_t=noise_range, noise_pct=noise_pct,
        noise_std=noise_std, noise_seed=noise_seed,
        steps_per_epoch=steps_per_epoch if step_on_epochs else None)
    warm = dict(warmup_lr_init=warmup_lr, warmup_t=warmup_t, warmup_prefix=warmup_prefix)
    cycles = dict(cycle_mul=cycle_mul, cycle_decay=cycle_decay, cycle_limit=cycle_limit)
    s: Schedule | None
    if sched == "cosine":
        s = CosineLRScheduler(t_initial=t_initial, lr_min=min_lr, k_decay=k_decay, **cycles,
                              **warm, **common)
    elif sched == "tanh":
        s = TanhLRScheduler(t_initial=t_initial, lr_min=min_lr, **cycles, **warm, **common)
    elif sched == "step":
        s = StepLRScheduler(decay_t=decay_t, decay_rate=decay_rate, **warm, **common)
    elif sched == "constant":
        s = StepLRScheduler(decay_t=1, decay_rate=1.0, **warm, **common)
    elif sched == "multistep":
        s = MultiStepLRScheduler(decay_t=milestones, decay_rate=decay_rate, **warm, **common)
    elif sched == "poly":
        s = PolyLRScheduler(t_initial=t_initial, power=decay_rate, lr_min=min_lr, k_decay=k_decay,
                            **cycles, **warm, **common)
    elif sched in ("wsd", "rsqrt"):
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = int(round(decay_t))
        if not 0 < decay_t <= t_sched:
            raise ValueError(f"{o}: {sched} needs 0 < decay_epochs <= epochs"
                             f"{'' if warmup_prefix else ' - warmup_epochs'}, got decay {decay_t} "
                             f"and stable + decay length {t_sched}")
        s = WSDLRScheduler(t_initial=t_sched, decay_t=decay_t, lr_min=min_lr,
                           stable_fn="rsqrt" if sched == "rsqrt" else "constant",
                           stable_timescale=timescale_t,
                           decay_fn=decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"),
                           warmup_t=warmup_t, warmup_lr_init=warmup_lr, **common)
    else:
        s = None
    if isinstance(s, (CosineLRScheduler, TanhLRScheduler, PolyLRScheduler, WSDLRScheduler)):
        total = _cycle_length(s) + cooldown_t
        num_epochs = int(total if step_on_epochs else total // updates_per_epoch)
    elif warmup_prefix:
        num_epochs += warmup_epochs
    return s, num_epochs


def _cycle_length(s: Any) -> float:
    """timm's ``get_cycle_length()`` (with a prefix warmup added)."""
    if isinstance(s, WSDLRScheduler):
        return s.warmup_t + s.t_initial
    cycles = max(1, s.cycle_limit)
    if s.cycle_mul == 1.0:
        t = s.t_initial * cycles
    else:
        t = int(math.floor(-s.t_initial * (s.cycle_mul ** cycles - 1) / (1 - s.cycle_mul)))
    return t + s.warmup_t if s.warmup_prefix else t
