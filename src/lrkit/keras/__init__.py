"""Keras 3 glue: schedules, the range test, per-layer rates, freezing, partial restore, plateau.

Works on every Keras backend (TensorFlow, JAX, torch). Importing this package imports ``keras``
and nothing else heavy.

* :class:`LearningRateSchedule` -- any lrkit schedule as a Keras schedule;
* :func:`find_lr` -- the learning-rate range test on a compiled model, which leaves it exactly
  as it found it.
"""

from lrkit.keras.finder import find_lr
from lrkit.keras.schedule import LearningRateSchedule

__all__ = ["LearningRateSchedule", "find_lr"]
