"""An lrkit schedule is an optax schedule; one optimizer with a schedule per label.

An lrkit schedule already *is* an optax schedule: a pure function of the step count that
accepts a JAX array and traces under ``jax.jit``. :func:`optax_schedule` checks that and
returns it; :func:`per_label` builds one optimizer with a schedule per parameter label (layer
groups at different rates, frozen parts) from a single ``optax.multi_transform``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import optax

from lrkit._relative import require_absolute
from lrkit.schedule import Schedule

__all__ = ["optax_schedule", "per_label"]


def optax_schedule(schedule: Schedule) -> Callable[[Any], Any]:
    """Return ``schedule`` as an optax schedule ``count -> learning rate``."""
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be an lrkit Schedule, got {schedule!r} ({type(schedule).__name__})")
    require_absolute(schedule, argument="schedule", owner="lrkit.jax.optax_schedule")
    return schedule


def per_label(make: Callable[..., optax.GradientTransformation],
              schedules: Mapping[str, Schedule | None], labels: Any) -> optax.GradientTransformation:
    """One optimizer, one schedule per parameter label.

    ``make`` builds an optax optimizer from ``learning_rate=`` (e.g. ``optax.adam``);
    ``schedules`` maps each label to an lrkit schedule, or to ``None`` to freeze that label
    (``optax.set_to_zero``); ``labels`` is a pytree of labels matching the parameters, or a
    function of the parameters returning one (as ``optax.multi_transform`` takes).
    """
    if not callable(make):
        raise TypeError(f"make must be an optax optimizer factory such as optax.adam, got {make!r}")
    if not isinstance(schedules, Mapping) or not schedules:
        raise ValueError(f"schedules must be a non-empty mapping of label -> schedule, got {schedules!r}")
    transforms = {}
    for label, sched in schedules.items():
        if sched is None:
            transforms[label] = optax.set_to_zero()
        else:
            transforms[label] = make(learning_rate=optax_schedule(sched))
    return optax.multi_transform(transforms, labels)
