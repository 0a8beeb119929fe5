"""``optax.contrib.reduce_on_plateau`` under its own name and arguments.

A gradient transformation (not a schedule): chained after an optimizer, it multiplies the
updates by a scale that drops by ``factor`` when the metric passed as ``value=`` stops
improving. optax's semantics, which differ from torch's ``ReduceLROnPlateau`` (and
:class:`lrkit.plateau.Plateau`) in three places: a reduction happens when the count of bad
observations *reaches* ``patience`` (torch: exceeds it), the improvement test combines both
tolerances, and the best value is tracked during the cooldown too. With :math:`\\bar m` the
mean of the last ``accumulation_size`` values, :math:`b` the best mean so far, :math:`n` the
count of bad means and :math:`c` the scale:

.. math::
    \\text{improved} \\iff \\bar m < (1 - r_{tol})\\, b - a_{tol}, \\qquad
    c \\leftarrow \\max(f c, c_{\\min}) \\ \\text{when } n = p \\text{ outside the cooldown}

Legend: :math:`r_{tol}, a_{tol}` = ``rtol``, ``atol``; :math:`f` = ``factor``; :math:`p` =
``patience``; :math:`c_{\\min}` = ``min_scale``. The state has optax's fields (``scale``,
``best_value``, ``plateau_count``, ``cooldown_count``, ``count``, ``avg_value``), so code reading
``state.scale`` works unchanged. Importing this module does not import optax; calling
:func:`reduce_on_plateau` does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lrkit import _check

__all__ = ["reduce_on_plateau", "ReduceLROnPlateauState"]

OWNER = "reduce_on_plateau"


class ReduceLROnPlateauState(NamedTuple):
    """The transformation's state (optax's field names)."""

    scale: Any
    best_value: Any
    plateau_count: Any
    cooldown_count: Any
    count: Any
    avg_value: Any


def reduce_on_plateau(factor: float = 0.1, patience: int = 10, rtol: float = 1e-4, atol: float = 0.0,
                      cooldown: int = 0, accumulation_size: int = 1, min_scale: float = 0.0) -> Any:
    """optax's ``contrib.reduce_on_plateau``: equal to it update for update (see the module
    docstring). ``update(updates, state, params, value=metric)``; returns an
    ``optax.GradientTransformationExtraArgs``."""
    factor = _check.number("factor", factor, OWNER)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"{OWNER}: factor must be in (0, 1), got {factor!r}")
    patience = _check.integer("patience", patience, OWNER, minimum=0)
    rtol = _check.non_negative("rtol", rtol, OWNER)
    atol = _check.non_negative("atol", atol, OWNER)
    if rtol == 0.0 and atol == 0.0:
        raise ValueError(f"{OWNER}: rtol or atol must be > 0, got rtol=0 and atol=0")
    if rtol > 1.0:
        raise ValueError(f"{OWNER}: rtol must be <= 1, got {rtol!r}")
    cooldown = _check.integer("cooldown", cooldown, OWNER, minimum=0)
    accumulation_size = _check.integer("accumulation_size", accumulation_size, OWNER, minimum=1)
    min_scale = _check.non_negative("min_scale", min_scale, OWNER)

    import jax
    import jax.numpy as jnp
    import optax

    def init_fn(params: Any) -> ReduceLROnPlateauState:
        low = optax.tree.dtype(params, "lowest")
        high = optax.tree.dtype(params, "highest")
        i0 = jnp.asarray(0, jnp.int32)
        return ReduceLROnPlateauState(scale=jnp.asarray(1.0, low), best_value=jnp.asarray(jnp.inf, high),
                                      plateau_count=i0, cooldown_count=i0, count=i0,
                                      avg_value=jnp.asarray(0.0, high))

    def observe(s: ReduceLROnPlateauState) -> ReduceLROnPlateauState:
        improved = s.avg_value < (1 - rtol) * s.best_value - atol
        best = jnp.where(improved, s.avg_value.astype(s.best_value.dtype), s.best_value)
        bad = jnp.where(improved, 0, optax.safe_increment(s.plateau_count))
        cooling = s.cooldown_count > 0
        due = ~cooling & (bad == patience)
        scale = jnp.where(cooling, s.scale,
                          jnp.maximum(jnp.where(due, s.scale * factor, s.scale), min_scale))
        return ReduceLROnPlateauState(
            scale=scale.astype(s.scale.dtype), best_value=best.astype(s.best_value.dtype),
            plateau_count=jnp.where(cooling | due, 0, bad).astype(jnp.int32),
            cooldown_count=jnp.where(cooling, s.cooldown_count - 1,
                                     jnp.where(due, cooldown, 0)).astype(jnp.int32),
            count=jnp.asarray(0, jnp.int32), avg_value=jnp.zeros((), s.avg_value.dtype))

    def update_fn(updates: Any, state: ReduceLROnPlateauState, params: Any = None, *, value: Any,
                  **extra_args: Any) -> tuple[Any, ReduceLROnPlateauState]:
        del params, extra_args
        count = optax.safe_increment(state.count)
        avg = (state.count * state.avg_value + jnp.asarray(value).astype(state.avg_value.dtype)) / count
        s = state._replace(avg_value=avg.astype(state.avg_value.dtype), count=count)
        s = jax.lax.cond(count == accumulation_size, observe, lambda x: x, s)
        return jax.tree.map(lambda g: s.scale * g, updates), s

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
