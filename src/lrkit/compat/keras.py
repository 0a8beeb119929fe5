"""Keras 3's learning-rate schedules (``keras.optimizers.schedules``) under their own names.

Each constructor takes the Keras class's arguments and returns an lrkit
:class:`~lrkit.Schedule` with the same value at every step (``name`` is accepted and ignored).
``LegacySGDDecay`` is Keras 2 SGD's ``decay`` argument. Configs name them
``"keras.ExponentialDecay"`` etc.; :func:`from_keras_config` reads Keras' own serialised form
(``{"class_name": ..., "config": {...}}``).

Arguments are checked at construction (Keras checks only ``decay_steps``); values are computed
in float64 (Keras computes in the dtype of ``initial_learning_rate``, float32 for a Python
float). This module does not import Keras.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence as Seq
from typing import Any

from lrkit import _check
from lrkit._registry import register
from lrkit.compat import _tf_common
from lrkit.compat._keras_plateau import ReduceLROnPlateau
from lrkit.compose import Product, Warmup
from lrkit.schedule import Schedule
from lrkit.schedules import Cosine, InverseTime, Piecewise, time_based

__all__ = [
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "LegacySGDDecay",
    "from_keras_config",
    "ReduceLROnPlateau",
]


def _lr(o: str, value: Any) -> float:
    return _check.non_negative("initial_learning_rate", value, o)


def _decay_steps(o: str, value: Any, name: str = "decay_steps") -> float:
    # Keras: "Argument `decay_steps` must be > 0. Received: decay_steps=0"
    return _check.positive(name, value, o)


def ExponentialDecay(initial_learning_rate: float, decay_steps: float, decay_rate: float,
                     staircase: bool = False, name: str | None = "ExponentialDecay") -> Schedule:
    """``keras.optimizers.schedules.ExponentialDecay``.

    .. math:: \\eta(t) = \\eta_0\\, r^{p}, \\qquad p = t / T \\ (\\lfloor t/T \\rfloor
              \\text{ when staircase})

    Legend: :math:`\\eta_0` = ``initial_learning_rate``, :math:`r` = ``decay_rate``,
    :math:`T` = ``decay_steps``.
    """
    o = "keras.ExponentialDecay"
    return _tf_common.exponential(_lr(o, initial_learning_rate),
                                  _check.non_negative("decay_rate", decay_rate, o),
                                  _decay_steps(o, decay_steps),
                                  _check.boolean("staircase", staircase, o))


def PiecewiseConstantDecay(boundaries: Seq[float], values: Seq[float],
                           name: str | None = "PiecewiseConstant") -> Schedule:
    """``keras.optimizers.schedules.PiecewiseConstantDecay``.

    .. math:: \\eta(t) = v_k, \\qquad k = \\#\\{\\, i : t > b_i \\,\\}

    The value changes once the step is past a boundary (at :math:`t = b_i` it is still
    :math:`v_i`). ``values`` has one more element than ``boundaries``, which must increase
    (Keras does not check that; with unsorted boundaries it sums several values).
    """
    o = "keras.PiecewiseConstantDecay"
    b = _check.numbers("boundaries", boundaries, o)
    v = _check.numbers("values", values, o)
    if len(b) != len(v) - 1:
        raise ValueError(f"{o}: the length of boundaries must be 1 less than the length of "
                         f"values, got {len(b)} boundaries and {len(v)} values")
    return Piecewise(v, b, switch="after")


def PolynomialDecay(initial_learning_rate: float, decay_steps: float,
                    end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                    name: str | None = "PolynomialDecay") -> Schedule:
    """``keras.optimizers.schedules.PolynomialDecay``.

    .. math:: \\eta(t) = (\\eta_0 - \\eta_e)(1 - \\tau / D)^{p} + \\eta_e

    without ``cycle``: :math:`\\tau = \\min(t, T)`, :math:`D = T`; with ``cycle``:
    :math:`\\tau = t`, :math:`D = T\\lceil t / T \\rceil` (:math:`D = T` at :math:`t = 0`).
    Legend: :math:`\\eta_0` = ``initial_learning_rate``, :math:`\\eta_e` = ``end_learning_rate``,
    :math:`T` = ``decay_steps``, :math:`p` = ``power``.
    """
    return _tf_common.polynomial("keras.PolynomialDecay", "initial_learning_rate",
                                 initial_learning_rate, decay_steps, end_learning_rate, power, cycle)


def InverseTimeDecay(initial_learning_rate: float, decay_steps: float, decay_rate: float,
                     staircase: bool = False, name: str | None = "InverseTimeDecay") -> Schedule:
    """``keras.optimizers.schedules.InverseTimeDecay``.

    .. math:: \\eta(t) = \\frac{\\eta_0}{1 + k\\, p}, \\qquad p = t / T
              \\ (\\text{floored when staircase})

    Legend: :math:`\\eta_0` = ``initial_learning_rate``, :math:`k` = ``decay_rate``,
    :math:`T` = ``decay_steps``.
    """
    o = "keras.InverseTimeDecay"
    return InverseTime(_lr(o, initial_learning_rate),
                       _check.non_negative("decay_rate", decay_rate, o),
                       _decay_steps(o, decay_steps), _check.boolean("staircase", staircase, o))


def CosineDecay(initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                name: str | None = "CosineDecay", warmup_target: float | None = None,
                warmup_steps: float = 0) -> Schedule:
    """``keras.optimizers.schedules.CosineDecay``, with its optional linear warmup.

    Without ``warmup_target``, with :math:`\\tau = \\min(t, T)`:

    .. math:: \\eta(t) = \\eta_0 \\big[(1 - \\alpha)\\, \\tfrac12 (1 + \\cos(\\pi \\tau / T))
              + \\alpha\\big]

    With ``warmup_target`` :math:`g`: a linear ramp :math:`\\eta_0 + (g - \\eta_0)\\, t / W`
    for :math:`t < W`, then the cosine above from :math:`g` (floor :math:`\\alpha g`) at
    :math:`t - W`. Legend: :math:`\\eta_0` = ``initial_learning_rate``, :math:`T` =
    ``decay_steps``, :math:`W` = ``warmup_steps``, :math:`\\alpha` = ``alpha``.
    """
    o = "keras.CosineDecay"
    a0 = _lr(o, initial_learning_rate)
    steps = _decay_steps(o, decay_steps)
    alpha = _check.probability("alpha", alpha, o)
    if warmup_target is None:
        return Cosine(a0, steps, alpha=alpha)
    target = _check.non_negative("warmup_target", warmup_target, o)
    warm = _check.non_negative("warmup_steps", warmup_steps, o)
    return Warmup(Cosine(target, steps, alpha=alpha), warm, start=a0, shape="linear",
                  prefix=True)


def _is_float64(value: Any) -> bool:
    """A NumPy float64 (Keras computes a schedule in the dtype of its initial rate)."""
    return type(value) is not float and str(getattr(value, "dtype", "")) == "float64"


def CosineDecayRestarts(initial_learning_rate: float, first_decay_steps: float,
                        t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                        name: str | None = "SGDRDecay") -> Schedule:
    """``keras.optimizers.schedules.CosineDecayRestarts`` (SGDR with Keras' arithmetic).

    Cycle :math:`i` lasts :math:`T_0 m_T^{i}` steps; the floor :math:`\\alpha\\eta_0` is kept
    and the cosine above it shrinks by :math:`m_M^{i}`. The cycle index comes from a
    floating-point ``log`` in the dtype Keras computes in: float32 for a Python float
    ``initial_learning_rate``, float64 for a NumPy float64 one, as in Keras (see
    :class:`lrkit.compat.tf1.SGDRDecay`). Legend: :math:`\\eta_0` = ``initial_learning_rate``,
    :math:`T_0` = ``first_decay_steps``, :math:`m_T` = ``t_mul``, :math:`m_M` = ``m_mul``.
    """
    precision = "float64" if _is_float64(initial_learning_rate) else "float32"
    return _tf_common.sgdr("keras.CosineDecayRestarts", "initial_learning_rate",
                           initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha, precision)


def LegacySGDDecay(learning_rate: float | Schedule | Mapping[str, Any],
                   decay: float) -> Schedule:
    """Keras 2 SGD's ``decay`` argument (time-based decay, per iteration).

    .. math:: \\eta(t) = \\frac{\\eta_0(t)}{1 + k\\, t}

    Legend: :math:`\\eta_0(t)` = ``learning_rate``, :math:`k` = ``decay``, :math:`t` =
    optimizer iterations (not epochs). As in Keras 2 (``OptimizerV2._decayed_lr``),
    ``learning_rate`` is a number (then this is :func:`lrkit.time_based`) or a schedule,
    which the decay divides step by step: an lrkit :class:`~lrkit.Schedule` (e.g. from this
    module), Keras' serialised form of one (``{"class_name": ..., "config": ...}``, as in a
    Keras 2 optimizer's ``get_config()``) or an lrkit config (``{"type": ...}``).
    """
    o = "keras.LegacySGDDecay"
    k = _check.non_negative("decay", decay, o)
    if isinstance(learning_rate, Mapping):
        if "class_name" in learning_rate:
            learning_rate = from_keras_config(learning_rate)
        else:
            from lrkit.config import from_config

            learning_rate = from_config(learning_rate, _where=f"{o}: learning_rate")
    if not isinstance(learning_rate, Schedule):
        return time_based(_check.non_negative("learning_rate", learning_rate, o), k)
    if k == 0.0:
        return learning_rate
    return Product((learning_rate, time_based(1.0, k)))


_CLASSES = {
    "ExponentialDecay": ExponentialDecay, "PiecewiseConstantDecay": PiecewiseConstantDecay,
    "PolynomialDecay": PolynomialDecay, "InverseTimeDecay": InverseTimeDecay,
    "CosineDecay": CosineDecay, "CosineDecayRestarts": CosineDecayRestarts,
    "LegacySGDDecay": LegacySGDDecay,
}
for _name, _factory in _CLASSES.items():
    # durations in a config may carry a unit ("5 epochs", "10%"), resolved with a Budget
    _factory.__lrkit_durations__ = ("decay_steps", "first_decay_steps", "warmup_steps",  # type: ignore
                                    "boundaries")
    register(f"keras.{_name}", _factory)


def from_keras_config(config: Mapping[str, Any]) -> Schedule:
    """The schedule described by Keras' serialised form,
    ``keras.optimizers.schedules.serialize(schedule)`` (``{"class_name": ..., "config": ...}``).
    """
    o = "keras.from_keras_config"
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise TypeError(f"{o}: config must be a mapping with 'class_name' and 'config' keys, got "
                        f"{config!r}")
    cls = config["class_name"]
    factory = _CLASSES.get(cls)
    if factory is None:
        raise ValueError(f"{o}: class_name must be one of {', '.join(map(repr, _CLASSES))}, got "
                         f"{cls!r}")
    kwargs = config.get("config", {})
    if not isinstance(kwargs, Mapping):
        raise TypeError(f"{o}: config['config'] must be a mapping, got {kwargs!r}")
    return factory(**kwargs)
