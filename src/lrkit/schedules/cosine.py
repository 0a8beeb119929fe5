"""Cosine annealing (with exponent and timm's k-decay), SGDR warm restarts, linear cosine,
noisy linear cosine and tanh decay."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules import _noise
from lrkit.schedules._base import owner, set_field

__all__ = ["Cosine", "CosineRestarts", "LinearCosine", "NoisyLinearCosine", "Tanh", "cycle_index"]


def _floor_value(obj: Any, o: str) -> float:
    """Resolve ``end``/``alpha`` (exactly one of them describes the floor)."""
    start = obj.start
    if obj.alpha is not None:
        alpha = _check.probability("alpha", obj.alpha, o)
        if obj.end != 0.0:
            raise ValueError(f"{o}: give either end or alpha, not both (got end={obj.end!r}, "
                             f"alpha={obj.alpha!r})")
        set_field(obj, "alpha", alpha)
        return alpha * start
    return _check.non_negative("end", obj.end, o)


@dataclass(frozen=True)
class Cosine(Schedule, name="cosine"):
    """Cosine annealing from ``start`` to a floor over ``steps``, then held at the floor.

    .. math:: s(t) = b + (a - b)\\left[\\tfrac12\\big(1 + \\cos(\\pi\\, u^k)\\big)\\right]^{e},
              \\qquad u = \\min(t, T) / T

    evaluated as :math:`\\sin^2\\big(\\tfrac\\pi2 (T^k - \\tau^k)/T^k\\big)`, which keeps full
    relative precision near the floor where :math:`1 + \\cos` cancels (the ``alpha`` form keeps
    the peers' arithmetic term for term so that the dialects match them bit for bit).

    The floor :math:`b` is ``end``, or ``alpha * start`` when ``alpha`` is given (the
    TensorFlow/Keras/optax form). :math:`e` = ``exponent`` (optax), :math:`k` = ``k`` (timm's
    ``k_decay``: :math:`k > 1` stays high longer). Legend: :math:`a` = ``start``,
    :math:`T` = ``steps``.
    """

    start: float
    steps: float = duration_field()
    end: float = 0.0
    alpha: float | None = None
    exponent: float = 1.0
    k: float = 1.0

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "steps", _check.positive("steps", self.steps, o))
        set_field(self, "end", _check.non_negative("end", self.end, o))
        set_field(self, "exponent", _check.positive("exponent", self.exponent, o))
        set_field(self, "k", _check.positive("k", self.k, o))
        _floor_value(self, o)

    @property
    def floor(self) -> float:
        return self.alpha * self.start if self.alpha is not None else self.end

    @property
    def horizon(self) -> float:
        return self.steps

    def _shape(self, t: Any, ops: Any) -> Any:
        """:math:`\\tfrac12(1 + \\cos(\\pi u^k))`, the fraction of the way from the floor to the start.

        Written as one expression so that NumPy can reuse its temporaries in place.
        """
        if self.alpha is not None:  # the TF/Keras/optax arithmetic, term for term
            u = ops.clip(t, 0.0, self.steps) / self.steps
            if self.k != 1.0:
                u = ops.power(u, self.k)
            return 0.5 * (1.0 + ops.cos(math.pi * u))
        # 1/2 (1 + cos(pi u)) = sin^2(pi (1 - u) / 2), with 1 - u = (T - tau) / T formed without
        # cancellation: relative accuracy holds all the way down to the floor
        if self.k != 1.0:
            tk = _power_or_inf(self.steps, self.k)
            if tk == math.inf:  # T^k beyond the float range: the same fraction, scaled by T first
                u = ops.clip(t, 0.0, self.steps) / self.steps
                return ops.sin((1.0 - ops.power(u, self.k)) * (0.5 * math.pi)) ** 2
            return ops.sin((tk - ops.power(ops.clip(t, 0.0, self.steps), self.k)) * (0.5 * math.pi / tk)) ** 2
        return ops.sin((self.steps - ops.clip(t, 0.0, self.steps)) * (0.5 * math.pi / self.steps)) ** 2

    def _eval(self, t: Any, ops: Any) -> Any:
        c = self._shape(t, ops)
        if self.exponent != 1.0:
            c = ops.power(ops.maximum(c, 0.0), self.exponent)
        if self.alpha is not None:
            return self.start * ((1.0 - self.alpha) * c + self.alpha)
        return self.end + (self.start - self.end) * c if self.end else self.start * c


def _power_or_inf(a: float, b: float) -> float:
    try:
        return float(a**b)
    except OverflowError:
        return math.inf


# Cycle counts are capped here: t/P (or t(m-1)/P) beyond it only arises from a period tiny next
# to the step (or a huge period_mult), where the float cycle arithmetic would overflow to NaN.
_MAX_CYCLES = 1e300
_MAX_LENGTH = 1e300  # a cycle at least this long is as good as endless


def cycle_index(t: Any, ops: Any, period: float, mult: float) -> tuple[Any, Any, Any]:
    """Cycle number :math:`i`, position in the cycle and cycle length at step ``t``.

    Cycle :math:`i` starts at :math:`S_i = P (m^i - 1)/(m - 1)` (:math:`S_i = iP` for
    :math:`m = 1`) and lasts :math:`P m^i`. The index from the logarithm is corrected by one
    in either direction so that exact boundaries are never missed by floating rounding.
    :math:`t/P` (resp. :math:`t(m-1)/P`) is capped at :math:`10^{300}` so that degenerate
    periods (far below one step) still give finite values instead of NaN.
    """
    if mult == 1.0:
        i = ops.floor(ops.minimum(t / period, _MAX_CYCLES))
        return i, t - i * period, ops.full_like(t, period)
    log_m = math.log(mult)
    ratio = (mult - 1.0) / period
    i = ops.floor(ops.log(1.0 + ops.minimum(t * ratio, _MAX_CYCLES)) / log_m)
    i = ops.maximum(i, 0.0)

    def start_of(k: Any) -> Any:
        # (m^k - 1) / ratio: m^k <= 1 + t*ratio keeps it <= t, so it is finite whenever it matters
        return (ops.power(mult, k) - 1.0) / ratio

    i = ops.where(start_of(i + 1.0) <= t, i + 1.0, i)
    i = ops.where(start_of(i) > t, ops.maximum(i - 1.0, 0.0), i)
    return i, t - start_of(i), ops.minimum(period * ops.power(mult, i), _MAX_LENGTH)


@dataclass(frozen=True)
class CosineRestarts(Schedule, name="cosine_restarts"):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    Cycle :math:`i` lasts :math:`P m^i` steps (:math:`m` may be fractional), peaks at
    :math:`a\\,\\delta^i` and anneals to the floor :math:`b`:

    .. math:: s(t) = b + (a\\delta^i - b)\\,\\tfrac12\\big(1 + \\cos(\\pi\\, x / (P m^i))\\big)

    with :math:`x` the position in the cycle. Exact at every boundary (no floating-``log``
    off-by-one). ``alpha`` instead of ``end`` gives TensorFlow's form, where the floor stays
    :math:`\\alpha a` and the whole cosine above it shrinks by :math:`\\delta^i`.
    Legend: :math:`a` = ``start``, :math:`P` = ``period``, :math:`m` = ``period_mult``,
    :math:`\\delta` = ``peak_decay``.
    """

    start: float
    period: float = duration_field()
    period_mult: float = 1.0
    peak_decay: float = 1.0
    end: float = 0.0
    alpha: float | None = None

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "period", _check.positive("period", self.period, o))
        pm = _check.number("period_mult", self.period_mult, o)
        if pm < 1.0:
            raise ValueError(f"{o}: period_mult must be >= 1, got {self.period_mult!r}")
        set_field(self, "period_mult", pm)
        set_field(self, "peak_decay", _check.positive("peak_decay", self.peak_decay, o))
        set_field(self, "end", _check.non_negative("end", self.end, o))
        _floor_value(self, o)

    def _eval(self, t: Any, ops: Any) -> Any:
        i, pos, length = cycle_index(ops.maximum(t, 0.0), ops, self.period, self.period_mult)
        if self.alpha is not None:
            c = 0.5 * (1.0 + ops.cos(math.pi * pos / length))
        else:  # the cancellation-free form, as in Cosine
            c = ops.sin(0.5 * math.pi * (length - pos) / length)
            c = c * c
        decay = ops.power(self.peak_decay, i)
        if self.alpha is not None:
            return self.start * ((1.0 - self.alpha) * decay * c + self.alpha)
        return self.end + (self.start * decay - self.end) * c


def _linear_cosine_parts(t: Any, ops: Any, steps: float, num_periods: float) -> tuple[Any, Any]:
    tau = ops.minimum(ops.maximum(t, 0.0), steps)
    linear = (steps - tau) / steps
    cosine = 0.5 * (1.0 + ops.cos(math.pi * 2.0 * num_periods * tau / steps))
    return linear, cosine


@dataclass(frozen=True)
class LinearCosine(Schedule, name="linear_cosine"):
    """Linear cosine decay (Bello et al. 2017; TensorFlow's ``linear_cosine_decay``).

    .. math:: s(t) = a\\big[(\\alpha + \\ell)\\, c + \\beta\\big], \\quad
              \\ell = \\frac{T - \\tau}{T},\\quad
              c = \\tfrac12\\big(1 + \\cos(2\\pi n \\tau / T)\\big),\\quad \\tau = \\min(t, T)

    Legend: :math:`a` = ``start``, :math:`T` = ``steps``, :math:`n` = ``num_periods``.
    """

    start: float
    steps: float = duration_field()
    num_periods: float = 0.5
    alpha: float = 0.0
    beta: float = 0.001

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "steps", _check.positive("steps", self.steps, o))
        set_field(self, "num_periods", _check.non_negative("num_periods", self.num_periods, o))
        set_field(self, "alpha", _check.non_negative("alpha", self.alpha, o))
        set_field(self, "beta", _check.non_negative("beta", self.beta, o))

    @property
    def horizon(self) -> float:
        return self.steps

    def _eval(self, t: Any, ops: Any) -> Any:
        linear, cosine = _linear_cosine_parts(t, ops, self.steps, self.num_periods)
        return self.start * ((self.alpha + linear) * cosine + self.beta)


@dataclass(frozen=True)
class NoisyLinearCosine(Schedule, name="noisy_linear_cosine"):
    """Linear cosine decay with noise on the linear term (TensorFlow's
    ``noisy_linear_cosine_decay``), the noise being **deterministic**: a pure function of
    ``seed`` and the step, so a resumed run reproduces it exactly.

    .. math:: s(t) = a \\max\\big(0,\\ (\\alpha + \\ell + \\sigma_t z_t)\\, c + \\beta\\big), \\qquad
              \\sigma_t^2 = \\frac{v_0}{(1 + t)^{\\kappa}}

    with :math:`z_t \\sim \\mathcal N(0, 1)` from :mod:`lrkit.schedules._noise` and
    :math:`\\ell, c` as in :class:`LinearCosine`. Unlike TensorFlow the value is clipped at 0,
    so noise never makes the rate negative. Legend: :math:`v_0` = ``initial_variance``,
    :math:`\\kappa` = ``variance_decay``.
    """

    start: float
    steps: float = duration_field()
    initial_variance: float = 1.0
    variance_decay: float = 0.55
    num_periods: float = 0.5
    alpha: float = 0.0
    beta: float = 0.001
    seed: int = 0

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "steps", _check.positive("steps", self.steps, o))
        set_field(self, "initial_variance",
                  _check.non_negative("initial_variance", self.initial_variance, o))
        set_field(self, "variance_decay", _check.non_negative("variance_decay",
                                                              self.variance_decay, o))
        set_field(self, "num_periods", _check.non_negative("num_periods", self.num_periods, o))
        set_field(self, "alpha", _check.non_negative("alpha", self.alpha, o))
        set_field(self, "beta", _check.non_negative("beta", self.beta, o))
        set_field(self, "seed", _check.integer("seed", self.seed, o, minimum=0))

    @property
    def horizon(self) -> float:
        return self.steps

    def noise(self, step: Any) -> Any:
        """The standard-normal draw :math:`z_t` used at ``step``."""
        from lrkit._ops import PY, backend_for

        ops = backend_for(step)
        t = float(step) if ops is PY else ops.prepare(step)
        return ops.finish(_noise.normal(t, ops, self.seed))

    def _eval(self, t: Any, ops: Any) -> Any:
        linear, cosine = _linear_cosine_parts(t, ops, self.steps, self.num_periods)
        std = ops.sqrt(self.initial_variance / ops.power(1.0 + ops.maximum(t, 0.0),
                                                         self.variance_decay))
        noisy = linear + std * _noise.normal(t, ops, self.seed)
        return self.start * ops.maximum((self.alpha + noisy) * cosine + self.beta, 0.0)


@dataclass(frozen=True)
class Tanh(Schedule, name="tanh"):
    """Hyperbolic-tangent decay (Hsueh et al. 2019; timm's ``TanhLRScheduler``).

    .. math:: s(t) = b + \\tfrac12 (a - b)\\big(1 - \\tanh(L + (U - L)\\, u)\\big),
              \\qquad u = \\min(t, T)/T

    Legend: :math:`a` = ``start``, :math:`b` = ``end``, :math:`T` = ``steps``,
    :math:`L` = ``lower`` (default -7), :math:`U` = ``upper`` (default 3).
    """

    start: float
    steps: float = duration_field()
    end: float = 0.0
    lower: float = -7.0
    upper: float = 3.0

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "start", _check.non_negative("start", self.start, o))
        set_field(self, "steps", _check.positive("steps", self.steps, o))
        set_field(self, "end", _check.non_negative("end", self.end, o))
        lo = _check.number("lower", self.lower, o)
        hi = _check.number("upper", self.upper, o)
        if lo >= hi:
            raise ValueError(f"{o}: lower must be < upper, got lower={lo!r}, upper={hi!r}")
        set_field(self, "lower", lo)
        set_field(self, "upper", hi)

    @property
    def horizon(self) -> float:
        return self.steps

    def _eval(self, t: Any, ops: Any) -> Any:
        u = ops.minimum(ops.maximum(t, 0.0), self.steps) / self.steps
        arg = self.lower * (1.0 - u) + self.upper * u
        return self.end + 0.5 * (self.start - self.end) * (1.0 - ops.tanh(arg))
