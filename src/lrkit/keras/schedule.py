"""Any lrkit schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

Works on every Keras backend (TensorFlow, JAX, torch): the schedule's single formula is
evaluated on the optimizer's ``iterations`` with that backend's array operations, so it runs
inside ``tf.function``/XLA, ``jax.jit`` and ``torch.compile`` alike. Importing this module
imports ``keras``.
"""

from __future__ import annotations

from typing import Any

import keras

from lrkit.config import from_config as _from_config
from lrkit.schedule import Schedule

__all__ = ["LearningRateSchedule"]


@keras.saving.register_keras_serializable(package="lrkit")
class LearningRateSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Wrap an lrkit :class:`~lrkit.Schedule` for a Keras optimizer.

    ``keras.optimizers.SGD(learning_rate=LearningRateSchedule(lrkit.OneCycle(0.1, 1000)))``.
    The value at optimizer iteration :math:`t` is ``schedule(t)`` cast to Keras' float type.
    ``get_config`` stores the schedule's plain config, so a saved ``.keras`` model restores the
    same schedule (no code is serialised).
    """

    def __init__(self, schedule: Schedule | dict[str, Any]) -> None:
        super().__init__()
        if isinstance(schedule, dict):
            schedule = _from_config(schedule)
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be an lrkit Schedule or its config dict, got "
                            f"{schedule!r} ({type(schedule).__name__})")
        self.schedule = schedule

    def __call__(self, step: Any) -> Any:
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            step = tf.convert_to_tensor(step)
        else:
            step = keras.ops.convert_to_tensor(step)
        value = self.schedule(step)
        return keras.ops.cast(value, keras.backend.floatx())

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.to_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(_from_config(config["schedule"]))
