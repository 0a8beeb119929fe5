"""optax's schedules (``optax.schedules``) under their own names and arguments.

Each function returns an lrkit :class:`~lrkit.Schedule` equal to the optax schedule at every
step ``>= 0``; it is callable with a Python number, a NumPy array, a torch tensor or a JAX array
(traceable under ``jax.jit``), so it can be passed to an optax optimizer as ``learning_rate``.
Configs name them ``"optax.cosine_decay_schedule"`` etc. This module does not import optax.

optax's own degenerate cases are kept (``transition_steps <= 0`` or ``decay_rate == 0`` give a
constant schedule, a negative ``transition_begin`` counts as 0, interpolation intervals are at
least one step long). Arguments optax would turn into ``NaN`` or a negative rate (negative
values, a negative ``decay_rate``, ``end_value`` above ``peak_value`` in a cosine, boundaries
below 0) are rejected with a message instead. Values are float64 (optax computes in float32
unless ``jax_enable_x64`` is set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Sequence as Seq
from typing import Any

from lrkit import _check
from lrkit._registry import register
from lrkit.compose import Sequence
from lrkit.schedule import Schedule
from lrkit.schedules import Constant, Cosine, Exponential, Linear, Piecewise, Polynomial

__all__ = [
    "constant_schedule",
    "linear_schedule",
    "polynomial_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
    "linear_onecycle_schedule",
    "cosine_onecycle_schedule",
    "sgdr_schedule",
    "join_schedules",
]


def _value(o: str, name: str, v: Any) -> float:
    return _check.non_negative(name, v, o)


def _begin(o: str, v: Any) -> float:
    b = _check.number("transition_begin", v, o)
    return max(b, 0.0)  # optax: a negative transition_begin falls back to 0


def _delayed(schedule: Schedule, hold: float, begin: float) -> Schedule:
    """``hold`` until ``begin``, then ``schedule`` counted from ``begin``."""
    if begin <= 0:
        return schedule
    return Sequence((Constant(hold), schedule), (begin,), relative=True)


def constant_schedule(value: float) -> Schedule:
    """``optax.constant_schedule``: :math:`\\eta(t) = v`."""
    return Constant(_value("optax.constant_schedule", "value", value))


def polynomial_schedule(init_value: float, end_value: float, power: float, transition_steps: int,
                        transition_begin: int = 0) -> Schedule:
    """``optax.polynomial_schedule``.

    .. math:: \\eta(t) = (a - b)\\Big(1 - \\frac{c}{T}\\Big)^{p} + b, \\qquad
              c = \\operatorname{clip}(t - B, 0, T)

    ``transition_steps <= 0`` gives the constant :math:`a`, as in optax. Legend:
    :math:`a` = ``init_value``, :math:`b` = ``end_value``, :math:`p` = ``power``,
    :math:`T` = ``transition_steps``, :math:`B` = ``transition_begin``.
    """
    return _polynomial("optax.polynomial_schedule", init_value, end_value, power,
                       transition_steps, transition_begin)


def _polynomial(o: str, init_value: Any, end_value: Any, power: Any, transition_steps: Any,
                transition_begin: Any,
                names: tuple[str, str, str] = ("init_value", "end_value", "transition_steps")
                ) -> Schedule:
    """:func:`polynomial_schedule` checked under the caller's name ``o`` and argument names."""
    a = _value(o, names[0], init_value)
    b = _value(o, names[1], end_value)
    p = _check.non_negative("power", power, o)
    steps = _check.number(names[2], transition_steps, o)
    begin = _begin(o, transition_begin)
    if steps <= 0 or p == 0:  # optax: constant init_value (frac ** 0 == 1)
        return Constant(a)
    return _delayed(Polynomial(a, steps, b, p), a, begin)


_WARMUP_NAMES = ("init_value", "peak_value", "warmup_steps")


def linear_schedule(init_value: float, end_value: float, transition_steps: int,
                    transition_begin: int = 0) -> Schedule:
    """``optax.linear_schedule``: :func:`polynomial_schedule` with power 1.

    .. math:: \\eta(t) = (a - b)\\Big(1 - \\frac{c}{T}\\Big) + b, \\qquad
              c = \\operatorname{clip}(t - B, 0, T)
    """
    return _polynomial("optax.linear_schedule", init_value, end_value, 1.0, transition_steps,
                       transition_begin)


def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """``optax.warmup_constant_schedule``: linear from ``init_value`` to ``peak_value`` over
    ``warmup_steps``, then constant (:func:`linear_schedule`)."""
    return _polynomial("optax.warmup_constant_schedule", init_value, peak_value, 1.0,
                       warmup_steps, 0, _WARMUP_NAMES)


def _boundaries_and_scales(o: str, bs: Mapping[Any, float] | None) -> tuple[tuple[float, ...],
                                                                             tuple[float, ...]]:
    if bs is None:
        return (), ()
    if not isinstance(bs, Mapping):
        raise TypeError(f"{o}: boundaries_and_scales must be a mapping {{step: scale}}, got {bs!r}")
    items = []
    for k, v in bs.items():
        try:  # config files have string keys
            key = float(k) if isinstance(k, str) else _check.number("boundaries_and_scales key", k, o)
        except ValueError:
            raise ValueError(f"{o}: boundaries_and_scales keys must be steps, got {k!r}") from None
        if key < 0:
            raise ValueError(f"{o}: boundaries_and_scales keys must be >= 0, got {k!r}")
        scale = _check.number(f"boundaries_and_scales[{k!r}]", v, o)
        if scale < 0:  # optax's own check
            raise ValueError(f"{o}: boundaries_and_scales expects non-negative scale factors, got "
                             f"{v!r} at step {k!r}")
        items.append((key, scale))
    items.sort()
    for (k1, _), (k2, _) in zip(items, items[1:]):
        if k1 == k2:
            raise ValueError(f"{o}: boundaries_and_scales has step {k1:g} twice")
    return tuple(k for k, _ in items), tuple(s for _, s in items)


def _cumulative(init: float, scales: tuple[float, ...]) -> tuple[float, ...]:
    values = [init]
    for s in scales:
        values.append(values[-1] * s)
    return tuple(values)


def piecewise_constant_schedule(init_value: float,
                                boundaries_and_scales: Mapping[int, float] | None = None
                                ) -> Schedule:
    """``optax.piecewise_constant_schedule``.

    .. math:: \\eta(t) = a \\prod_{i:\\ t \\ge b_i} s_i

    The new value applies **at** the boundary step (TensorFlow/Keras switch one step later).
    Legend: :math:`a` = ``init_value``, :math:`b_i \\mapsto s_i` = ``boundaries_and_scales``.
    """
    o = "optax.piecewise_constant_schedule"
    a = _value(o, "init_value", init_value)
    bounds, scales = _boundaries_and_scales(o, boundaries_and_scales)
    if not bounds:
        return Constant(a)
    return Piecewise(_cumulative(a, scales), bounds, switch="at")


INTERPOLATE_TYPES = ("linear", "cosine")


def piecewise_interpolate_schedule(interpolate_type: str, init_value: float,
                                   boundaries_and_scales: Mapping[int, float] | None = None
                                   ) -> Schedule:
    """``optax.piecewise_interpolate_schedule``.

    With :math:`b_0 = 0`, values :math:`v_0 = a`, :math:`v_k = v_{k-1} s_k`, and inside
    :math:`[b_{k}, b_{k+1})` the fraction :math:`u = (t - b_k)/\\max(b_{k+1} - b_k, 1)`:

    .. math:: \\text{linear: } v_k + (v_{k+1} - v_k)\\, u, \\qquad
              \\text{cosine: } v_{k+1} + \\tfrac12 (v_k - v_{k+1})(1 + \\cos \\pi u)

    and :math:`v_n` from the last boundary on. Legend: :math:`a` = ``init_value``,
    :math:`b_k \\mapsto s_k` = ``boundaries_and_scales``.
    """
    o = "optax.piecewise_interpolate_schedule"
    kind = _check.choice("interpolate_type", interpolate_type, INTERPOLATE_TYPES, o)
    a = _value(o, "init_value", init_value)
    bounds, scales = _boundaries_and_scales(o, boundaries_and_scales)
    values = _cumulative(a, scales)
    edges = (0.0,) + bounds
    phases: list[Schedule] = []
    starts: list[float] = []
    for k in range(len(bounds)):
        if edges[k + 1] <= edges[k]:  # an empty interval (a boundary at step 0)
            continue
        size = max(edges[k + 1] - edges[k], 1.0)
        if kind == "linear":
            phases.append(Linear(values[k], values[k + 1], size))
        else:
            phases.append(Cosine(values[k], size, end=values[k + 1]))
        starts.append(edges[k])
    phases.append(Constant(values[-1]))
    starts.append(edges[-1])
    if len(phases) == 1:
        return phases[0]
    return Sequence(tuple(phases), tuple(starts[1:]), relative=True)


def exponential_decay(init_value: float, transition_steps: int, decay_rate: float,
                      transition_begin: int = 0, staircase: bool = False,
                      end_value: float | None = None) -> Schedule:
    """``optax.exponential_decay``.

    .. math:: \\eta(t) = a\\, r^{p}, \\qquad p = \\max(t - B, 0) / T \\ (\\text{floored when
              staircase})

    clipped at ``end_value`` (a floor when :math:`r < 1`, a ceiling when :math:`r > 1`).
    ``transition_steps <= 0`` or ``decay_rate == 0`` give the constant :math:`a`, as in optax.
    Legend: :math:`a` = ``init_value``, :math:`r` = ``decay_rate``, :math:`T` =
    ``transition_steps``, :math:`B` = ``transition_begin``.
    """
    return _exponential("optax.exponential_decay", "init_value", init_value, transition_steps,
                        decay_rate, transition_begin, staircase, end_value)


def _exponential(o: str, init_name: str, init_value: Any, transition_steps: Any, decay_rate: Any,
                 transition_begin: Any, staircase: Any, end_value: Any) -> Schedule:
    """:func:`exponential_decay` checked under the caller's name ``o``."""
    a = _value(o, init_name, init_value)
    steps = _check.number("transition_steps", transition_steps, o)
    rate = _check.non_negative("decay_rate", decay_rate, o)
    begin = _begin(o, transition_begin)
    _check.boolean("staircase", staircase, o)
    end = None if end_value is None else _value(o, "end_value", end_value)
    if steps <= 0 or rate == 0:
        return Constant(a)
    return Exponential(a, rate, steps, staircase, begin, end)


def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0,
                          exponent: float = 1.0) -> Schedule:
    """``optax.cosine_decay_schedule``.

    .. math:: \\eta(t) = a\\big[(1 - \\alpha)\\, \\big(\\tfrac12 (1 + \\cos(\\pi \\tau / T))\\big)^{e}
              + \\alpha\\big], \\qquad \\tau = \\min(t, T)

    Legend: :math:`a` = ``init_value``, :math:`T` = ``decay_steps``, :math:`\\alpha` = ``alpha``,
    :math:`e` = ``exponent``.
    """
    o = "optax.cosine_decay_schedule"
    a = _value(o, "init_value", init_value)
    steps = _check.positive("decay_steps", decay_steps, o)
    return Cosine(a, steps, alpha=_check.probability("alpha", alpha, o),
                  exponent=_check.positive("exponent", exponent, o))


def _warmup_then(o: str, init_value: float, peak_value: float, warmup_steps: float,
                 after: Schedule) -> Schedule:
    warm = _polynomial(o, init_value, peak_value, 1.0, warmup_steps, 0, _WARMUP_NAMES)
    if warmup_steps <= 0:
        return after
    return Sequence((warm, after), (warmup_steps,), relative=True)


def warmup_cosine_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                 decay_steps: int, end_value: float = 0.0,
                                 exponent: float = 1.0) -> Schedule:
    """``optax.warmup_cosine_decay_schedule``.

    .. math:: \\eta(t) = \\begin{cases} (a - p)(1 - t/W) + p & t < W \\\\
              p\\big[(1 - \\alpha)\\, \\big(\\tfrac12 (1 + \\cos(\\pi \\tau / (T - W)))\\big)^{e}
              + \\alpha\\big] & t \\ge W \\end{cases}

    with :math:`\\tau = \\min(t - W, T - W)` and :math:`\\alpha = b / p`. ``decay_steps``
    counts the warmup. Legend: :math:`a` = ``init_value``, :math:`p` = ``peak_value``,
    :math:`b` = ``end_value``, :math:`W` = ``warmup_steps``, :math:`T` = ``decay_steps``,
    :math:`e` = ``exponent``.
    """
    o = "optax.warmup_cosine_decay_schedule"
    a = _value(o, "init_value", init_value)
    peak = _value(o, "peak_value", peak_value)
    end = _value(o, "end_value", end_value)
    warm = _check.number("warmup_steps", warmup_steps, o)
    total = _check.number("decay_steps", decay_steps, o)
    if total - warm <= 0:
        raise ValueError(f"{o}: decay_steps must be > warmup_steps (decay_steps counts the warmup),"
                         f" got decay_steps={decay_steps!r}, warmup_steps={warmup_steps!r}")
    if end > peak:
        raise ValueError(f"{o}: end_value must be <= peak_value, got end_value={end_value!r}, "
                         f"peak_value={peak_value!r}")
    alpha = 0.0 if peak == 0.0 else end / peak
    decay = Cosine(peak, total - warm, alpha=alpha, exponent=_check.positive("exponent",
                                                                               exponent, o))
    return _warmup_then(o, a, peak, warm, decay)


def warmup_exponential_decay_schedule(init_value: float, peak_value: float, warmup_steps: int,
                                      transition_steps: int, decay_rate: float,
                                      transition_begin: int = 0, staircase: bool = False,
                                      end_value: float | None = None) -> Schedule:
    """``optax.warmup_exponential_decay_schedule``: a linear warmup from ``init_value`` to
    ``peak_value`` over ``warmup_steps``, then :func:`exponential_decay` from ``peak_value``
    counted from the end of the warmup.

    .. math:: \\eta(t) = \\begin{cases} (a - p)(1 - t/W) + p & t < W \\\\
              p\\, r^{\\max(t - W - B, 0)/T} & t \\ge W \\end{cases}
    """
    o = "optax.warmup_exponential_decay_schedule"
    a = _value(o, "init_value", init_value)
    peak = _value(o, "peak_value", peak_value)
    warm = _check.number("warmup_steps", warmup_steps, o)
    decay = _exponential(o, "peak_value", peak, transition_steps, decay_rate, transition_begin,
                         staircase, end_value)
    return _warmup_then(o, a, peak, warm, decay)


def _onecycle_args(o: str, transition_steps: Any, peak_value: Any, div_factor: Any,
                   final_div_factor: Any, pct_start: Any) -> tuple[float, float, float, float, float]:
    """The arguments both optax one-cycle schedules check, checked once."""
    steps = _check.number("transition_steps", transition_steps, o)
    if steps <= 0:
        raise ValueError(f"{o}: transition_steps must be > 0, got {transition_steps!r}")
    return (steps, _value(o, "peak_value", peak_value), _check.positive("div_factor", div_factor, o),
            _check.positive("final_div_factor", final_div_factor, o), _pct(o, "pct_start", pct_start))


def _pct(o: str, name: str, value: Any) -> float:
    """A phase end as a fraction of ``transition_steps`` (optax's boundaries must be >= 0)."""
    return _check.non_negative(name, value, o)


def linear_onecycle_schedule(transition_steps: int, peak_value: float, pct_start: float = 0.3,
                             pct_final: float = 0.85, div_factor: float = 25.0,
                             final_div_factor: float = 1e4) -> Schedule:
    """``optax.linear_onecycle_schedule``: linear from :math:`p/d` up to :math:`p` at step
    :math:`\\lfloor \\rho_s T \\rfloor`, back to :math:`p/d` at :math:`\\lfloor \\rho_f T \\rfloor`,
    then down to :math:`p/(d D)` at :math:`T` (a :func:`piecewise_interpolate_schedule`).
    Legend: :math:`T` = ``transition_steps``, :math:`p` = ``peak_value``, :math:`\\rho_s` =
    ``pct_start``, :math:`\\rho_f` = ``pct_final``, :math:`d` = ``div_factor``,
    :math:`D` = ``final_div_factor``.
    """
    o = "optax.linear_onecycle_schedule"
    steps, peak, d, fd, ps = _onecycle_args(o, transition_steps, peak_value, div_factor,
                                            final_div_factor, pct_start)
    pf = _pct(o, "pct_final", pct_final)
    # the same dict optax builds (a later key overwrites an equal earlier one)
    table = {int(ps * steps): d, int(pf * steps): 1.0 / d, steps: 1.0 / fd}
    return piecewise_interpolate_schedule("linear", peak / d, table)


def cosine_onecycle_schedule(transition_steps: int, peak_value: float, pct_start: float = 0.3,
                             div_factor: float = 25.0, final_div_factor: float = 1e4) -> Schedule:
    """``optax.cosine_onecycle_schedule``: cosine from :math:`p/d` up to :math:`p` at step
    :math:`\\lfloor \\rho T \\rfloor`, then cosine down to :math:`p/(d D)` at :math:`T`
    (a :func:`piecewise_interpolate_schedule`). Legend as in :func:`linear_onecycle_schedule`.
    """
    o = "optax.cosine_onecycle_schedule"
    steps, peak, d, fd, ps = _onecycle_args(o, transition_steps, peak_value, div_factor,
                                            final_div_factor, pct_start)
    table = {int(ps * steps): d, int(steps): 1.0 / (d * fd)}
    return piecewise_interpolate_schedule("cosine", peak / d, table)


def join_schedules(schedules: Seq[Schedule], boundaries: Seq[int]) -> Schedule:
    """``optax.join_schedules``: ``schedules[k]`` from ``boundaries[k-1]`` on, counted from
    that boundary.

    .. math:: \\eta(t) = \\text{schedules}_k(t - b_{k-1}), \\qquad b_{k-1} \\le t < b_k

    ``schedules`` are lrkit schedules (e.g. from this module); ``boundaries`` increase. A
    boundary at step 0 skips the schedules before it, as in optax.
    """
    o = "optax.join_schedules"
    if isinstance(schedules, Schedule) or not isinstance(schedules, (list, tuple)) or not schedules:
        raise TypeError(f"{o}: schedules must be a non-empty list of lrkit schedules, got "
                        f"{schedules!r}")
    bounds = _check.numbers("boundaries", boundaries, o)
    if len(bounds) != len(schedules) - 1:
        raise ValueError(f"{o}: boundaries must have one element fewer than schedules, got "
                         f"{len(bounds)} boundaries and {len(schedules)} schedules")
    for i, b in enumerate(bounds):
        if b < 0:
            raise ValueError(f"{o}: boundaries[{i}] must be >= 0, got {b!r}")
    _check.increasing("boundaries", bounds, o)
    phases = list(schedules)
    if bounds and bounds[0] == 0:  # optax: the second schedule applies from step 0
        phases, bounds = phases[1:], bounds[1:]
    if not bounds:
        return phases[0]
    return Sequence(tuple(phases), tuple(bounds), relative=True)


def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Schedule:
    """``optax.sgdr_schedule``: :func:`warmup_cosine_decay_schedule` cycles one after another,
    each ``decay_steps`` long (its warmup included), each counted from its own start.

    .. math:: \\eta(t) = \\text{cycle}_k(t - S_k), \\qquad S_k = \\sum_{j<k} T_j

    Legend: :math:`T_j` = ``cosine_kwargs[j]["decay_steps"]``.
    """
    o = "optax.sgdr_schedule"
    if isinstance(cosine_kwargs, Mapping) or not isinstance(cosine_kwargs, Iterable):
        raise TypeError(f"{o}: cosine_kwargs must be a list of dicts of "
                        f"warmup_cosine_decay_schedule arguments, got {cosine_kwargs!r}")
    cycles: list[Schedule] = []
    bounds: list[float] = []
    at = 0.0
    for i, kw in enumerate(cosine_kwargs):
        if not isinstance(kw, Mapping) or "decay_steps" not in kw:
            raise TypeError(f"{o}: cosine_kwargs[{i}] must be a dict with 'decay_steps', got {kw!r}")
        cycles.append(warmup_cosine_decay_schedule(**kw))
        at += float(kw["decay_steps"])
        bounds.append(at)
    if not cycles:
        raise ValueError(f"{o}: cosine_kwargs must hold at least one cycle, got none")
    return join_schedules(cycles, bounds[:-1])


for _name in __all__:
    # durations in a config may carry a unit ("5 epochs", "10%"), resolved with a Budget
    globals()[_name].__lrkit_durations__ = ("transition_steps", "transition_begin", "decay_steps",
                                            "warmup_steps", "boundaries")
    register(f"optax.{_name}", globals()[_name])

from lrkit.compat._optax_plateau import reduce_on_plateau  # noqa: E402  (a transformation, not a schedule)

__all__ += ["reduce_on_plateau"]
