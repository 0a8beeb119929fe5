"""Any hyperparameter of an optax optimizer on a schedule, its current values in the state.

:func:`scheduled` is ``optax.inject_hyperparams`` with lrkit's conveniences: lrkit schedules for
any numeric argument (``learning_rate``, ``b1``, ``momentum``, ``weight_decay``, ...), plateau
parts evaluated inside ``jax.jit`` (:mod:`lrkit.jax.plateau`), the momentum curve of a one-cycle
or cyclic rate added automatically (torch's ``cycle_momentum``), and bad input rejected when the
optimizer is built. Update :math:`t` (:math:`t = 0` for the first) uses

.. math:: h_k(t) = s_k(t) \\quad \\text{for every scheduled hyperparameter } k,

and the values used by the last update are in ``state.hyperparams`` (read them for logging,
also from inside a ``multi_transform`` or a chain, with :func:`hyperparams`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

import jax
import numpy as np
import optax

from lrkit import _check
from lrkit._relative import require_absolute
from lrkit.jax.plateau import PlateauSchedule
from lrkit.plateau import OnPlateau, Plateau
from lrkit.schedule import Schedule

__all__ = ["scheduled", "hyperparams"]

OWNER = "lrkit.jax.scheduled"
#: hyperparameters whose values must stay in [0, 1)
_BELOW_ONE = ("b1", "b2", "momentum", "decay", "beta1", "beta2")
#: how far a schedule without a horizon is checked for bad values
_CHECK_STEPS = 100_000


def _check_values(name: str, schedule: Schedule) -> None:
    """Evaluate ``schedule`` over its horizon (vectorised) and reject a value that is not
    finite, negative, or (for momentum-like arguments) not below 1."""
    h = schedule.horizon
    n = _CHECK_STEPS if h is None or not math.isfinite(h) else int(min(h, 10 * _CHECK_STEPS)) + 2
    steps = np.arange(n, dtype=np.float64)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(schedule(steps), dtype=np.float64), steps.shape)
    bad = ~np.isfinite(values) | (values < 0)
    if name in _BELOW_ONE:
        bad |= values >= 1.0
    if bad.any():
        i = int(np.argmax(bad))
        rule = "in [0, 1)" if name in _BELOW_ONE else "finite and >= 0"
        raise ValueError(f"{OWNER}: the schedule for {name} must be {rule} at every step, got "
                         f"{float(values[i])!r} at step {i}")


def scheduled(make: Callable[..., optax.GradientTransformation], /, *,
              cycle_momentum: bool = True, accumulation_size: int = 1, axis_name: Any = None,
              static_args: Iterable[str] = (), **hyperparams: Any
              ) -> optax.GradientTransformationExtraArgs:
    """An optax optimizer with any of its hyperparameters on a schedule.

    ``scheduled(optax.adamw, learning_rate=warmup(Cosine(1e-3, 10_000), 500), b1=0.9,
    weight_decay=Linear(0.0, 0.05, 10_000))`` builds ``make`` through
    ``optax.inject_hyperparams``: update :math:`t` uses :math:`s_k(t)` for every scheduled
    :math:`k`, one trace covers the whole run, and ``state.hyperparams`` holds the values of the
    last update.

    Args:
        make: an optax optimizer factory (``optax.adamw``, ``optax.sgd``, ...; any function
            returning a ``GradientTransformation``).
        cycle_momentum: when ``learning_rate`` is a :class:`~lrkit.OneCycle` or
            :class:`~lrkit.Cyclic` and neither ``b1`` nor ``momentum`` is given, drive its
            momentum curve too -- ``b1`` when ``make`` has it, else ``momentum`` (torch's
            ``cycle_momentum``; note ``optax.sgd``'s momentum is torch SGD's, a trace of the
            gradients).
        accumulation_size: plateau parts observe the mean of this many consecutive values
            (see :class:`~lrkit.jax.plateau.PlateauSchedule`).
        axis_name: plateau parts average the metric over this device axis first
            (``shard_map`` / ``pmap``).
        static_args: names of callable arguments that are not schedules (passed to
            ``optax.inject_hyperparams``).
        **hyperparams: arguments of ``make``. An lrkit :class:`~lrkit.Schedule` (or any optax
            schedule ``count -> value``) is evaluated at every update; an
            :class:`~lrkit.plateau.OnPlateau` or :class:`~lrkit.plateau.Plateau` becomes a
            plateau part whose metric the update takes as ``value=`` (and ``observe=``);
            numbers are held; anything else is passed through.

    Raises:
        TypeError: ``make`` is not callable, an argument is not one of ``make``'s.
        ValueError: a schedule reaches a negative or non-finite value (or a momentum-like
            value of 1 or more) within its horizon.
    """
    if not callable(make):
        raise TypeError(f"{OWNER}: make must be an optax optimizer factory such as optax.adamw, "
                        f"got {make!r}")
    _check.boolean("cycle_momentum", cycle_momentum, OWNER)
    _check.integer("accumulation_size", accumulation_size, OWNER, minimum=1)
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    try:
        params = inspect.signature(make).parameters
    except (TypeError, ValueError):
        raise TypeError(f"{OWNER}: make must be a Python function with named arguments, got "
                        f"{make!r}") from None
    open_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    name = getattr(make, "__name__", repr(make))
    if not open_kwargs:
        unknown = [k for k in hyperparams if k not in params]
        if unknown:
            raise TypeError(f"{OWNER}: {', '.join(unknown)} is not an argument of {name}; its "
                            f"arguments are {', '.join(params)}")
    lr = hyperparams.get("learning_rate")
    if (cycle_momentum and hasattr(lr, "_momentum_eval")
            and not ({"b1", "momentum"} & set(hyperparams))):
        from lrkit.schedules import MomentumOf

        for key in ("b1", "momentum"):
            if key in params:
                hyperparams[key] = MomentumOf(lr)  # type: ignore[arg-type]
                break
    args: dict[str, Any] = {}
    for key, value in hyperparams.items():
        require_absolute(value, argument=key, owner=OWNER)
        if isinstance(value, (OnPlateau, Plateau)):
            if isinstance(value, Plateau) and key in _BELOW_ONE and value.initial_lr >= 1:
                raise ValueError(f"{OWNER}: {key} must be in [0, 1), got a Plateau starting at "
                                 f"{value.initial_lr!r}")
            args[key] = PlateauSchedule(value, accumulation_size=accumulation_size,
                                        axis_name=axis_name)
        elif isinstance(value, Schedule):
            _check_values(key, value)
            args[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{OWNER}: {key} must be a finite number >= 0, got {value!r}")
            args[key] = value
        else:
            args[key] = value
    return optax.inject_hyperparams(make, static_args=static)(**args)


def hyperparams(opt_state: Any) -> dict[str, jax.Array]:
    """The hyperparameter values used by the last update, from anywhere in ``opt_state``.

    Every ``optax.inject_hyperparams`` state in the tree contributes its values under its path
    (``"learning_rate"`` for a single optimizer; ``"body/learning_rate"`` inside a
    ``multi_transform`` whose label is ``body``). Works inside and outside ``jax.jit``.
    """
    from lrkit.jax._paths import path_name

    kinds = (optax.InjectStatefulHyperparamsState, optax.InjectHyperparamsState)
    out: dict[str, jax.Array] = {}

    def visit(path: tuple[Any, ...], node: Any) -> Any:
        if isinstance(node, kinds):
            prefix = path_name(_label_path(path))
            for k, v in node.hyperparams.items():
                out[f"{prefix}/{k}" if prefix else k] = v
        return node

    jax.tree_util.tree_map_with_path(visit, opt_state, is_leaf=lambda n: isinstance(n, kinds))
    return out


def _label_path(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Keep the keys a reader knows (``multi_transform`` labels, dict keys); drop the state's
    own tuple positions and field names (``inner_states``, ``inner_state``, ``0``)."""
    keep = []
    for k in path:
        if isinstance(k, jax.tree_util.DictKey):
            keep.append(k)
        elif isinstance(k, jax.tree_util.GetAttrKey) and k.name not in ("inner_states",
                                                                          "inner_state"):
            keep.append(k)
    return tuple(keep)
