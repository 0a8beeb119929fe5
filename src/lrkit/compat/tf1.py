"""The TensorFlow 1 decay functions (``tf.compat.v1.train.*_decay``) under their own names.

Each function takes the original's arguments. Given a ``global_step`` (an ``int``, a float or a
NumPy array of steps; also a torch tensor, a JAX array or an eager TensorFlow tensor/variable,
whose value is read) it returns the learning rate(s) at that step, as TensorFlow 1 does::

    >>> from lrkit.compat import tf1
    >>> tf1.exponential_decay(0.1, 500, 100, 0.96, staircase=True)  # 0.1 * 0.96**5
    0.08153726975999999

Unlike TensorFlow (which raises), ``global_step=None`` returns the lrkit
:class:`~lrkit.Schedule` itself, to plot, compose, save as a config or hand to a driver.
The ``name`` argument (a TensorFlow op name) is accepted and ignored.

Configs name them ``"tf1.exponential_decay"`` etc., with the same arguments minus
``global_step``. Two recipes from TensorFlow's model zoo are here too:
:func:`learning_rate_with_decay` (official ResNet) and :func:`configure_learning_rate`
(TF-slim's ``_configure_learning_rate``).

Differences from TensorFlow, all deliberate: arguments are checked when the schedule is built
(TensorFlow divides by a zero ``decay_steps`` and returns ``inf``/``NaN``), the noise of
:func:`noisy_linear_cosine_decay` is deterministic (a pure function of ``seed`` and the step)
and never makes the rate negative, and values are computed in float64 (TensorFlow computes
in the dtype of ``learning_rate``, float32 for a Python float).
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from typing import Any

from lrkit import _check
from lrkit._registry import register
from lrkit.compat import _tf_common
from lrkit.compat._tf_sgdr import SGDRDecay
from lrkit.recipes import resnet_step_decay
from lrkit.schedule import Schedule
from lrkit.schedules import (
    Constant,
    Cosine,
    Exponential,
    InverseTime,
    LinearCosine,
    NoisyLinearCosine,
    Piecewise,
    Polynomial,
)

__all__ = [
    "exponential_decay",
    "piecewise_constant",
    "polynomial_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "cosine_decay",
    "cosine_decay_restarts",
    "linear_cosine_decay",
    "noisy_linear_cosine_decay",
    "learning_rate_with_decay",
    "configure_learning_rate",
    "SGDRDecay",
]

Step = Any  # int | float | numpy array | torch tensor | jax array | None


def _at(schedule: Schedule, global_step: Step) -> Any:
    """The value(s) at ``global_step``, or the schedule itself when it is ``None``."""
    if global_step is None:
        return schedule
    if isinstance(global_step, bool):
        raise TypeError(f"global_step must be an int, a float or an array of steps, got "
                        f"{global_step!r}")
    if type(global_step).__module__.startswith("tensorflow") and hasattr(global_step, "numpy"):
        global_step = global_step.numpy()  # an eager tf.Tensor / tf.Variable: read its value
    return schedule(global_step)


def _lr(o: str, value: Any) -> float:
    return _check.non_negative("learning_rate", value, o)


def _steps(o: str, name: str, value: Any) -> float:
    return _check.positive(name, value, o)


# -- schedule builders (the config form: no global_step) -------------------------------------
def _exponential(learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> Schedule:
    o = "tf1.exponential_decay"
    return _tf_common.exponential(_lr(o, learning_rate),
                                  _check.non_negative("decay_rate", decay_rate, o),
                                  _steps(o, "decay_steps", decay_steps),
                                  _check.boolean("staircase", staircase, o))


def _piecewise(boundaries: Seq[float], values: Seq[float], name: str | None = None) -> Schedule:
    o = "tf1.piecewise_constant"
    b = _check.numbers("boundaries", boundaries, o)
    v = _check.numbers("values", values, o)
    if len(b) != len(v) - 1:
        raise ValueError(f"{o}: values must have one more element than boundaries, got "
                         f"{len(v)} values and {len(b)} boundaries")
    return Piecewise(v, b, switch="after")


def _polynomial(learning_rate: float, decay_steps: float, end_learning_rate: float = 0.0001,
                power: float = 1.0, cycle: bool = False, name: str | None = None) -> Schedule:
    return _tf_common.polynomial("tf1.polynomial_decay", "learning_rate", learning_rate,
                                 decay_steps, end_learning_rate, power, cycle)


def _natural_exp(learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> Schedule:
    import math

    o = "tf1.natural_exp_decay"
    k = _check.non_negative("decay_rate", decay_rate, o)
    # TensorFlow computes learning_rate * exp(-decay_rate) ** p: an exponential decay whose
    # rate is exp(-decay_rate) (0 once it underflows); built that way it keeps TF's rounding.
    return _tf_common.exponential(_lr(o, learning_rate), math.exp(-k),
                                  _steps(o, "decay_steps", decay_steps),
                                  _check.boolean("staircase", staircase, o))


def _inverse_time(learning_rate: float, decay_steps: float, decay_rate: float,
                  staircase: bool = False, name: str | None = None) -> Schedule:
    o = "tf1.inverse_time_decay"
    return InverseTime(_lr(o, learning_rate), _check.non_negative("decay_rate", decay_rate, o),
                       _steps(o, "decay_steps", decay_steps),
                       _check.boolean("staircase", staircase, o))


def _cosine(learning_rate: float, decay_steps: float, alpha: float = 0.0,
            name: str | None = None) -> Schedule:
    o = "tf1.cosine_decay"
    return Cosine(_lr(o, learning_rate), _steps(o, "decay_steps", decay_steps),
                  alpha=_check.probability("alpha", alpha, o))


def _cosine_restarts(learning_rate: float, first_decay_steps: float, t_mul: float = 2.0,
                     m_mul: float = 1.0, alpha: float = 0.0, name: str | None = None) -> Schedule:
    return _tf_common.sgdr("tf1.cosine_decay_restarts", "learning_rate", learning_rate,
                           first_decay_steps, t_mul, m_mul, alpha)


def _linear_cosine(learning_rate: float, decay_steps: float, num_periods: float = 0.5,
                   alpha: float = 0.0, beta: float = 0.001, name: str | None = None) -> Schedule:
    o = "tf1.linear_cosine_decay"
    return LinearCosine(_lr(o, learning_rate), _steps(o, "decay_steps", decay_steps),
                        *_linear_cosine_shape(o, num_periods, alpha, beta))


def _linear_cosine_shape(o: str, num_periods: Any, alpha: Any,
                         beta: Any) -> tuple[float, float, float]:
    """``num_periods`` (its sign does not change the cosine: TensorFlow accepts either),
    ``alpha`` and ``beta`` (negative ones would make the rate negative)."""
    return (abs(_check.number("num_periods", num_periods, o)),
            _check.non_negative("alpha", alpha, o), _check.non_negative("beta", beta, o))


def _noisy_linear_cosine(learning_rate: float, decay_steps: float, initial_variance: float = 1.0,
                         variance_decay: float = 0.55, num_periods: float = 0.5,
                         alpha: float = 0.0, beta: float = 0.001, name: str | None = None,
                         seed: int = 0) -> Schedule:
    o = "tf1.noisy_linear_cosine_decay"
    return NoisyLinearCosine(_lr(o, learning_rate), _steps(o, "decay_steps", decay_steps),
                             _check.non_negative("initial_variance", initial_variance, o),
                             _check.non_negative("variance_decay", variance_decay, o),
                             *_linear_cosine_shape(o, num_periods, alpha, beta),
                             _check.integer("seed", seed, o))


for _name, _factory in {
    "exponential_decay": _exponential, "piecewise_constant": _piecewise,
    "polynomial_decay": _polynomial, "natural_exp_decay": _natural_exp,
    "inverse_time_decay": _inverse_time, "cosine_decay": _cosine,
    "cosine_decay_restarts": _cosine_restarts, "linear_cosine_decay": _linear_cosine,
    "noisy_linear_cosine_decay": _noisy_linear_cosine,
}.items():
    # durations in a config may carry a unit ("5 epochs", "10%"), resolved with a Budget
    _factory.__lrkit_durations__ = ("decay_steps", "first_decay_steps", "boundaries")  # type: ignore
    register(f"tf1.{_name}", _factory)


# -- the TensorFlow 1 functions ----------------------------------------------------------------
def exponential_decay(learning_rate: float, global_step: Step, decay_steps: float,
                      decay_rate: float, staircase: bool = False, name: str | None = None) -> Any:
    """Exponential decay (``tf.compat.v1.train.exponential_decay``).

    .. math:: \\eta(t) = \\eta_0\\, r^{p}, \\qquad p = t / T \\ (\\lfloor t/T \\rfloor
              \\text{ when staircase})

    Legend: :math:`\\eta_0` = ``learning_rate``, :math:`r` = ``decay_rate``,
    :math:`T` = ``decay_steps``, :math:`t` = ``global_step``.
    """
    return _at(_exponential(learning_rate, decay_steps, decay_rate, staircase), global_step)


def piecewise_constant(x: Step, boundaries: Seq[float], values: Seq[float],
                       name: str | None = None) -> Any:
    """Piecewise constant (``tf.compat.v1.train.piecewise_constant``).

    .. math:: \\eta(x) = v_k, \\qquad k = \\#\\{\\, i : x > b_i \\,\\}

    The value changes once the step is **past** a boundary (at :math:`x = b_i` it is still
    :math:`v_i`). ``values`` has one more element than ``boundaries``, which must increase.
    """
    return _at(_piecewise(boundaries, values), x)


def polynomial_decay(learning_rate: float, global_step: Step, decay_steps: float,
                     end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                     name: str | None = None) -> Any:
    """Polynomial decay (``tf.compat.v1.train.polynomial_decay``).

    .. math:: \\eta(t) = (\\eta_0 - \\eta_e)(1 - \\tau / D)^{p} + \\eta_e

    without ``cycle``: :math:`\\tau = \\min(t, T)`, :math:`D = T`; with ``cycle``:
    :math:`\\tau = t`, :math:`D = T \\lceil t / T \\rceil` (:math:`D = T` at :math:`t = 0`, so the
    initial rate is kept at step 0). Legend: :math:`\\eta_0` = ``learning_rate``,
    :math:`\\eta_e` = ``end_learning_rate``, :math:`T` = ``decay_steps``, :math:`p` = ``power``.
    """
    return _at(_polynomial(learning_rate, decay_steps, end_learning_rate, power, cycle),
               global_step)


def natural_exp_decay(learning_rate: float, global_step: Step, decay_steps: float,
                      decay_rate: float, staircase: bool = False, name: str | None = None) -> Any:
    """Natural exponential decay (``tf.compat.v1.train.natural_exp_decay``).

    .. math:: \\eta(t) = \\eta_0\\, \\big(e^{-k}\\big)^{p}, \\qquad p = t / T
              \\ (\\text{floored when staircase})

    Legend: :math:`\\eta_0` = ``learning_rate``, :math:`k` = ``decay_rate``,
    :math:`T` = ``decay_steps``.
    """
    return _at(_natural_exp(learning_rate, decay_steps, decay_rate, staircase), global_step)


def inverse_time_decay(learning_rate: float, global_step: Step, decay_steps: float,
                       decay_rate: float, staircase: bool = False, name: str | None = None) -> Any:
    """Inverse time decay (``tf.compat.v1.train.inverse_time_decay``).

    .. math:: \\eta(t) = \\frac{\\eta_0}{1 + k\\, p}, \\qquad p = t / T
              \\ (\\text{floored when staircase})

    Legend: :math:`\\eta_0` = ``learning_rate``, :math:`k` = ``decay_rate``,
    :math:`T` = ``decay_steps``.
    """
    return _at(_inverse_time(learning_rate, decay_steps, decay_rate, staircase), global_step)


def cosine_decay(learning_rate: float, global_step: Step, decay_steps: float, alpha: float = 0.0,
                 name: str | None = None) -> Any:
    """Cosine decay (``tf.compat.v1.train.cosine_decay``), held at the floor after the end.

    .. math:: \\eta(t) = \\eta_0 \\big[(1 - \\alpha)\\, \\tfrac12 (1 + \\cos(\\pi \\tau / T))
              + \\alpha\\big], \\qquad \\tau = \\min(t, T)

    Legend: :math:`\\eta_0` = ``learning_rate``, :math:`T` = ``decay_steps``,
    :math:`\\alpha` = ``alpha`` (the floor as a fraction of :math:`\\eta_0`).
    """
    return _at(_cosine(learning_rate, decay_steps, alpha), global_step)


def cosine_decay_restarts(learning_rate: float, global_step: Step, first_decay_steps: float,
                          t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                          name: str | None = None) -> Any:
    """Cosine decay with warm restarts (``tf.compat.v1.train.cosine_decay_restarts``).

    Cycle :math:`i` lasts :math:`T_0 m_T^{i}` steps; the floor :math:`\\alpha \\eta_0` is kept and
    only the cosine above it shrinks by :math:`m_M^{i}` (see :class:`SGDRDecay` for the formula
    and TensorFlow's floating-``log`` cycle index, which this reproduces).
    Legend: :math:`\\eta_0` = ``learning_rate``, :math:`T_0` = ``first_decay_steps``,
    :math:`m_T` = ``t_mul``, :math:`m_M` = ``m_mul``.
    """
    return _at(_cosine_restarts(learning_rate, first_decay_steps, t_mul, m_mul, alpha),
               global_step)


def linear_cosine_decay(learning_rate: float, global_step: Step, decay_steps: float,
                        num_periods: float = 0.5, alpha: float = 0.0, beta: float = 0.001,
                        name: str | None = None) -> Any:
    """Linear cosine decay (``tf.compat.v1.train.linear_cosine_decay``, Bello et al. 2017).

    .. math:: \\eta(t) = \\eta_0 \\big[(\\alpha + \\ell)\\, c + \\beta\\big], \\quad
              \\ell = \\frac{T - \\tau}{T}, \\quad c = \\tfrac12\\big(1 + \\cos(2\\pi n \\tau / T)
              \\big), \\quad \\tau = \\min(t, T)

    Legend: :math:`\\eta_0` = ``learning_rate``, :math:`T` = ``decay_steps``,
    :math:`n` = ``num_periods``.
    """
    return _at(_linear_cosine(learning_rate, decay_steps, num_periods, alpha, beta), global_step)


def noisy_linear_cosine_decay(learning_rate: float, global_step: Step, decay_steps: float,
                              initial_variance: float = 1.0, variance_decay: float = 0.55,
                              num_periods: float = 0.5, alpha: float = 0.0, beta: float = 0.001,
                              name: str | None = None, *, seed: int = 0) -> Any:
    """Noisy linear cosine decay (``tf.compat.v1.train.noisy_linear_cosine_decay``).

    .. math:: \\eta(t) = \\eta_0 \\max\\big(0,\\ (\\alpha + \\ell + \\sigma_t z_t)\\, c + \\beta\\big),
              \\qquad \\sigma_t^2 = \\frac{v_0}{(1 + \\tau)^{\\kappa}}

    with :math:`\\ell, c, \\tau` as in :func:`linear_cosine_decay`. TensorFlow draws
    :math:`z_t \\sim \\mathcal N(0, 1)` afresh at every call; lrkit's :math:`z_t` is a pure
    function of ``seed`` (an lrkit addition) and the step, so a run is reproducible and a
    resumed run sees the same noise. The value is clipped at 0 (TensorFlow's can go negative).
    With ``initial_variance=0`` both equal :func:`linear_cosine_decay`.
    Legend: :math:`v_0` = ``initial_variance``, :math:`\\kappa` = ``variance_decay``.
    """
    return _at(_noisy_linear_cosine(learning_rate, decay_steps, initial_variance, variance_decay,
                                    num_periods, alpha, beta, seed=seed), global_step)


# -- recipes ------------------------------------------------------------------------------------
def learning_rate_with_decay(batch_size: int, batch_denom: int, num_images: int,
                             boundary_epochs: Seq[float], decay_rates: Seq[float],
                             base_lr: float = 0.1, warmup: bool = False) -> Schedule:
    """The official TensorFlow ResNet recipe: returns the step → learning-rate function.

    .. math::

        a = \\text{base\\_lr} \\cdot \\frac{\\text{batch\\_size}}{\\text{batch\\_denom}},
        \\qquad n = \\frac{\\text{num\\_images}}{\\text{batch\\_size}},
        \\qquad b_k = \\lfloor n e_k \\rfloor, \\qquad v_k = a\\, d_k

    then ``piecewise_constant(step, b, v)``, preceded with ``warmup=True`` by a linear ramp
    :math:`a\\, t / W` over :math:`W = \\lfloor 5 n \\rfloor` steps (5 epochs) that climbs to
    :math:`a` (not :math:`v_0`). Legend: :math:`e_k` = ``boundary_epochs``,
    :math:`d_k` = ``decay_rates``. The returned :class:`~lrkit.Schedule` is the function: call
    it with a step. This is :func:`lrkit.resnet_step_decay`.
    """
    _check.boolean("warmup", warmup, "learning_rate_with_decay")
    return resnet_step_decay(batch_size, batch_denom, num_images, boundary_epochs, decay_rates,
                             base_lr=base_lr, warmup_epochs=5 if warmup else 0)


DECAY_TYPES = ("fixed", "exponential", "polynomial")


def configure_learning_rate(num_samples_per_epoch: int, global_step: Step, *,
                            learning_rate: float, learning_rate_decay_type: str,
                            num_epochs_per_decay: float, batch_size: int,
                            learning_rate_decay_factor: float, end_learning_rate: float,
                            sync_replicas: bool = False, replicas_to_aggregate: int = 1) -> Any:
    """TF-slim's ``_configure_learning_rate``, with its flags as keyword arguments.

    .. math:: T = \\Big\\lfloor \\frac{N_{\\text{epoch}} \\cdot E}{B} \\Big\\rfloor
              \\ (\\text{then } T / R \\text{ with sync\\_replicas})

    and ``learning_rate_decay_type`` picks ``fixed`` (constant ``learning_rate``),
    ``exponential`` (:func:`exponential_decay` by ``learning_rate_decay_factor`` every
    :math:`T` steps, staircase) or ``polynomial`` (:func:`polynomial_decay` to
    ``end_learning_rate`` over :math:`T` steps, power 1, no cycle). Any other type raises a
    ``ValueError``. Legend: :math:`N_{\\text{epoch}}` = ``num_samples_per_epoch``,
    :math:`E` = ``num_epochs_per_decay``, :math:`B` = ``batch_size``,
    :math:`R` = ``replicas_to_aggregate``. ``global_step=None`` returns the schedule.
    """
    o = "configure_learning_rate"
    kind = _check.choice("learning_rate_decay_type", learning_rate_decay_type, DECAY_TYPES, o)
    lr = _check.non_negative("learning_rate", learning_rate, o)
    if kind == "fixed":
        return _at(Constant(lr), global_step)
    n = _check.positive("num_samples_per_epoch", num_samples_per_epoch, o)
    epochs = _check.positive("num_epochs_per_decay", num_epochs_per_decay, o)
    bs = _check.positive("batch_size", batch_size, o)
    decay_steps: float = int(n * epochs / bs)
    if _check.boolean("sync_replicas", sync_replicas, o):
        decay_steps /= _check.positive("replicas_to_aggregate", replicas_to_aggregate, o)
    if decay_steps <= 0:
        raise ValueError(f"{o}: num_samples_per_epoch * num_epochs_per_decay / batch_size must be "
                         f">= 1 decay step, got {num_samples_per_epoch!r} * {num_epochs_per_decay!r}"
                         f" / {batch_size!r}")
    if kind == "exponential":
        factor = _check.positive("learning_rate_decay_factor", learning_rate_decay_factor, o)
        return _at(Exponential(lr, factor, decay_steps, staircase=True), global_step)
    end = _check.non_negative("end_learning_rate", end_learning_rate, o)
    return _at(Polynomial(lr, decay_steps, end, 1.0, False), global_step)
