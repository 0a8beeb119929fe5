"""Plateau control inside ``jax.jit``: the controller's state is part of the optimizer state.

:class:`PlateauSchedule` turns an :class:`lrkit.plateau.OnPlateau` (a closed-form schedule cut
by a plateau controller) or an :class:`lrkit.plateau.Plateau` (a value cut by one) into an optax
*stateful schedule* (``init`` / ``update`` / ``__call__``), which
``optax.inject_hyperparams`` -- and so :func:`lrkit.jax.scheduled` -- keeps in the optimizer
state. The metric is an extra argument of the update, the convention of
``optax.contrib.reduce_on_plateau``::

    tx = lrkit.jax.scheduled(optax.adam, learning_rate=OnPlateau(Cosine(1e-3, 10_000),
                                                                patience=3))
    updates, state = tx.update(grads, state, params, value=loss)

The decisions are those of :class:`lrkit.plateau.Plateau` (and so of torch's
``ReduceLROnPlateau``), computed with ``jnp.where`` in the metric's precision. With :math:`t`
the count of updates taken, the value of update :math:`t` is (legend in
:class:`~lrkit.plateau.OnPlateau`)

.. math::
    v(t) = \\begin{cases} \\kappa(s(t), c) & t < t_1 \\\\ \\kappa(s(t_1), c)\\, g(t - t_1) &
    t \\ge t_1 \\end{cases}, \\qquad
    \\kappa(b, c) = \\begin{cases} b & c = 1 \\\\ \\max(c\\, b, v_{\\min}) & c < 1 \\end{cases}

and the metric given with that update is observed at step :math:`t + 1`, after it (torch's
order: ``optimizer.step()`` then ``scheduler.step(metric)``), so a reduction applies from the
next update on. An observation is taken when the update gets ``value=`` and, if it also gets
``observe=``, that flag is true (a traced boolean: e.g. only at the end of an epoch). With
``accumulation_size`` :math:`K > 1` the controller observes the mean of every :math:`K`
consecutive values. With ``axis_name`` (inside ``shard_map`` / ``pmap``) the metric is first
averaged over that device axis, so every device takes the same decision.

The step counter is an ``int32`` that saturates at :math:`2^{31} - 1` (never wraps to a
negative step); schedules with a horizon hold their final value long before.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lrkit import _check
from lrkit.plateau import OnPlateau, Plateau
from lrkit.schedules import Constant

__all__ = ["PlateauSchedule", "PlateauState"]

OWNER = "lrkit.jax.PlateauSchedule"


class PlateauState(NamedTuple):
    """The controller's state, a pytree of scalars (the field names of
    :meth:`lrkit.plateau.Plateau.state_dict`, plus the step and the accumulator)."""

    count: jax.Array  # int32: updates taken, the schedule's step
    best: jax.Array  # float32: best metric observed so far
    num_bad_epochs: jax.Array  # int32
    cooldown_counter: jax.Array  # int32
    last_epoch: jax.Array  # int32: observations taken
    scale: jax.Array  # float32: product of the reductions applied
    num_reductions: jax.Array  # int32
    acc_sum: jax.Array  # float32: sum of the values accumulated towards the next observation
    acc_count: jax.Array  # int32


def as_on_plateau(rule: OnPlateau | Plateau) -> OnPlateau:
    """A :class:`~lrkit.plateau.Plateau` with starting value :math:`v_0` is the
    :class:`~lrkit.plateau.OnPlateau` of the constant :math:`v_0` with the same options."""
    if isinstance(rule, OnPlateau):
        return rule
    if isinstance(rule, Plateau):
        return OnPlateau(Constant(rule.initial_lr), mode=rule.mode, factor=rule.factor,
                         patience=rule.patience, threshold=rule.threshold,
                         threshold_mode=rule.threshold_mode, cooldown=rule.cooldown,
                         min_lr=rule.min_lr, eps=rule.eps)
    raise TypeError(f"{OWNER}: rule must be an lrkit.plateau.OnPlateau or Plateau, got {rule!r} "
                    f"({type(rule).__name__})")


class PlateauSchedule:
    """An optax stateful schedule from an :class:`~lrkit.plateau.OnPlateau` or a
    :class:`~lrkit.plateau.Plateau` (see the module docstring for the math and the order).

    Args:
        rule: the plateau part; only its options are read (its own Python-side controller
            state is neither used nor changed).
        accumulation_size: observe the mean of this many consecutive values (integer >= 1).
        axis_name: a device axis (``shard_map`` / ``pmap``) to average the metric over first.
    """

    def __init__(self, rule: OnPlateau | Plateau, *, accumulation_size: int = 1,
                 axis_name: Any = None) -> None:
        self.rule = as_on_plateau(rule)
        self.accumulation_size = _check.integer("accumulation_size", accumulation_size, OWNER,
                                                minimum=1)
        self.axis_name = axis_name

    # -- the optax StatefulSchedule protocol ----------------------------------------------
    def init(self) -> PlateauState:
        c = self.rule.controller
        i0 = jnp.zeros((), jnp.int32)
        return PlateauState(count=i0, best=jnp.asarray(jnp.inf if c.mode == "min" else -jnp.inf,
                                                       jnp.float32),
                            num_bad_epochs=i0, cooldown_counter=i0, last_epoch=i0,
                            scale=jnp.ones((), jnp.float32), num_reductions=i0,
                            acc_sum=jnp.zeros((), jnp.float32), acc_count=i0)

    def __call__(self, state: PlateauState, **extra_args: Any) -> jax.Array:
        """The value of the update at ``state.count``."""
        return self.value(state.count, state.scale)

    def update(self, state: PlateauState, *, value: Any = None, observe: Any = True,
               **extra_args: Any) -> PlateauState:
        """Count one update; then observe ``value`` (if given, and ``observe`` is true)."""
        state = state._replace(count=optax.safe_increment(state.count))
        if value is None:
            return state
        return self.observe(state, value, observe)

    # -- the math -------------------------------------------------------------------------
    def _cut(self, base: jax.Array, scale: jax.Array) -> jax.Array:
        floor = self.rule.controller.min_lr
        return jnp.where(scale == 1.0, base, jnp.maximum(base * scale, floor))

    def value(self, count: jax.Array, scale: jax.Array) -> jax.Array:
        """:math:`v(t)` for the step ``count`` and the multiplier ``scale``."""
        r = self.rule
        if r.stop is None:
            return self._cut(r.schedule(count), scale)
        stop = jnp.asarray(r.stop, jnp.float32)
        t = count.astype(jnp.float32)
        held = self._cut(r.schedule(stop), scale)
        if r.then is not None:
            held = held * r.then(jnp.maximum(t - stop, 0.0))
        return jnp.where(t < stop, self._cut(r.schedule(count), scale), held)

    def _is_better(self, metric: jax.Array, best: jax.Array) -> jax.Array:
        c = self.rule.controller
        if c.mode == "min":
            bound = best * (1.0 - c.threshold) if c.threshold_mode == "rel" else best - c.threshold
            return metric < bound
        bound = best * (c.threshold + 1.0) if c.threshold_mode == "rel" else best + c.threshold
        return metric > bound

    def observe(self, state: PlateauState, value: Any, observe: Any = True) -> PlateauState:
        """Feed ``value`` seen at step ``state.count`` (:meth:`lrkit.plateau.OnPlateau.observe`
        written with ``jnp.where``); returns the new state."""
        metric = jnp.asarray(value, jnp.float32)
        if metric.size != 1:
            raise TypeError(f"{OWNER}: value must be a scalar metric (one element), got shape "
                            f"{metric.shape}; reduce a per-device loss with axis_name or a mean")
        metric = metric.reshape(())
        if self.axis_name is not None:
            metric = jax.lax.pmean(metric, self.axis_name)
        r, c = self.rule, self.rule.controller
        acc_sum = state.acc_sum + metric
        acc_count = state.acc_count + 1
        full = acc_count >= self.accumulation_size
        mean = acc_sum / acc_count.astype(jnp.float32)
        t = state.count.astype(jnp.float32)
        watching = t >= r.start
        if r.stop is not None:
            watching = watching & (t < r.stop)
        take = jnp.asarray(observe, bool) & full & watching

        better = self._is_better(mean, state.best)
        best = jnp.where(better, mean, state.best)
        bad = jnp.where(better, 0, state.num_bad_epochs + 1)
        in_cooldown = state.cooldown_counter > 0
        cooldown = jnp.where(in_cooldown, state.cooldown_counter - 1, state.cooldown_counter)
        bad = jnp.where(in_cooldown, 0, bad)
        due = bad > c.patience
        cooldown = jnp.where(due, c.cooldown, cooldown)
        bad = jnp.where(due, 0, bad)
        base = r.schedule(state.count)
        cut = due & (self._cut(base, state.scale) - self._cut(base, state.scale * c.factor) > c.eps)
        scale = jnp.where(cut, state.scale * c.factor, state.scale)

        def pick(new: jax.Array, old: jax.Array) -> jax.Array:
            return jnp.where(take, new, old).astype(old.dtype)

        keep = jnp.asarray(observe, bool) & full
        return PlateauState(
            count=state.count, best=pick(best, state.best),
            num_bad_epochs=pick(bad, state.num_bad_epochs),
            cooldown_counter=pick(cooldown, state.cooldown_counter),
            last_epoch=pick(state.last_epoch + 1, state.last_epoch),
            scale=pick(scale, state.scale),
            num_reductions=pick(state.num_reductions + cut.astype(jnp.int32), state.num_reductions),
            acc_sum=jnp.where(keep, 0.0, jnp.where(jnp.asarray(observe, bool), acc_sum,
                                                   state.acc_sum)).astype(jnp.float32),
            acc_count=jnp.where(keep, 0, jnp.where(jnp.asarray(observe, bool), acc_count,
                                                   state.acc_count)).astype(jnp.int32))

    def __repr__(self) -> str:
        return (f"PlateauSchedule({self.rule!r}, accumulation_size={self.accumulation_size!r}, "
                f"axis_name={self.axis_name!r})")
