"""JAX/optax glue: the lrkit workflow written the JAX way (pure functions, pytrees, one trace).

* :func:`optax_schedule`, :func:`per_label` -- an lrkit schedule is an optax schedule; one
  optimizer with a schedule per parameter label;
* :func:`scheduled` -- any hyperparameter of an optax optimizer on a schedule
  (``optax.inject_hyperparams``), plateau control inside ``jax.jit``
  (``update(grads, state, params, value=metric)``), :func:`hyperparams` reads the current values
  for logging;
* :func:`param_labels`, :func:`layer_decay` -- per-leaf rates, weight-decay multipliers and
  frozen leaves from the shared rule grammar, as ONE optax transformation;
* :func:`find_lr` -- the range test for a pure train step, compiled once;
* :func:`load_partial` -- partial restore of a parameter pytree, with a report.

Importing this package imports ``jax`` and ``optax`` (never ``flax``). Names are resolved
lazily from their modules.
"""

from __future__ import annotations

import jax  # noqa: F401  (importing lrkit.jax imports jax and optax, as documented)
import optax  # noqa: F401

from lrkit._lazy import lazy_exports

_EXPORTS = {
    "optax_schedule": "lrkit.jax.labels",
    "per_label": "lrkit.jax.labels",
    "scheduled": "lrkit.jax.hyper",
    "hyperparams": "lrkit.jax.hyper",
    "PlateauSchedule": "lrkit.jax.plateau",
    "PlateauState": "lrkit.jax.plateau",
    "find_lr": "lrkit.jax.finder",
    "load_partial": "lrkit.jax.restore",
    "RestoreReport": "lrkit.jax.restore",
    "param_labels": "lrkit.jax.groups",
    "layer_decay": "lrkit.jax.groups",
    "LeafGroups": "lrkit.jax.groups",
    "key_names": "lrkit.jax._paths",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
