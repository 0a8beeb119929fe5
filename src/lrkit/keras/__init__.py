"""Keras 3 glue: schedules, the range test, per-layer rates, freezing, partial restore, plateau.

Works on every Keras backend (TensorFlow, JAX, torch). Importing this package imports ``keras``
and nothing else heavy.

* :class:`LearningRateSchedule` -- any lrkit schedule as a Keras schedule;
* :func:`find_lr` -- the learning-rate range test on a compiled model, which leaves it exactly
  as it found it;
* :func:`param_groups`, :func:`layer_decay` -- per-variable rate and weight-decay multipliers
  from the rules of :mod:`lrkit.rules`; ``groups.wrap(optimizer)`` gives the
  :class:`GroupedOptimizer` that applies them;
* :func:`load_partial` -- restore a checkpoint except some prefixes, with a report;
* :func:`freeze`, :func:`unfreeze` -- by the same name patterns, with Keras's semantics;
* :class:`PlateauCallback` -- feeds a metric to a schedule's plateau part inside ``fit``;
* :class:`GradualUnfreeze` -- unfreezes blocks at given epochs or steps inside one ``fit``.
"""

from lrkit.keras.callbacks import GradualUnfreeze, PlateauCallback
from lrkit.keras.finder import find_lr
from lrkit.keras.freezing import freeze, unfreeze
from lrkit.keras.groups import Groups, layer_decay, param_groups
from lrkit.keras.optimizer import GroupedOptimizer
from lrkit.keras.restore import RestoreReport, load_partial
from lrkit.keras.schedule import LearningRateSchedule

__all__ = ["LearningRateSchedule", "find_lr", "Groups", "GroupedOptimizer", "param_groups", "layer_decay",
           "load_partial", "RestoreReport", "freeze", "unfreeze", "PlateauCallback", "GradualUnfreeze"]
