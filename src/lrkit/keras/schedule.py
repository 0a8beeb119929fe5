"""Any lrkit schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

Works on every Keras backend (TensorFlow, JAX, torch): the schedule's single formula is
evaluated on the optimizer's ``iterations`` with that backend's array operations, so it runs
inside ``tf.function``/XLA, ``jax.jit`` and ``torch.compile`` alike. Importing this module
imports ``keras``.
"""

from __future__ import annotations

from typing import Any

import keras

from lrkit._relative import require_absolute
from lrkit.config import from_config as _from_config
from lrkit.plateau import OnPlateau
from lrkit.schedule import Schedule

__all__ = ["LearningRateSchedule"]


@keras.saving.register_keras_serializable(package="lrkit")
class LearningRateSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Wrap an lrkit :class:`~lrkit.Schedule` for a Keras optimizer.

    ``keras.optimizers.SGD(learning_rate=LearningRateSchedule(lrkit.OneCycle(0.1, 1000)))``.
    The value at optimizer iteration :math:`t` is ``schedule(t)`` cast to Keras' float type.
    ``get_config`` stores the schedule's plain config, so a saved ``.keras`` model restores the
    same schedule (no code is serialised).

    ``schedule`` may also be a plateau part, :class:`lrkit.plateau.OnPlateau` (e.g. warmup,
    then constant, cut on plateau); :class:`lrkit.keras.PlateauCallback` then feeds it the
    monitored metric. Its multiplier :math:`c` is read from an optimizer variable inside the
    compiled step (:meth:`lrkit.plateau.OnPlateau.value`), so a reduction needs no retrace.
    """

    def __init__(self, schedule: Schedule | OnPlateau | dict[str, Any]) -> None:
        super().__init__()
        if isinstance(schedule, dict):
            schedule = _from_config(schedule)
        if not isinstance(schedule, (Schedule, OnPlateau)):
            raise TypeError(f"schedule must be an lrkit Schedule, an lrkit.plateau.OnPlateau or "
                            f"their config dict, got {schedule!r} ({type(schedule).__name__})")
        require_absolute(schedule, argument="schedule", owner="lrkit.keras.LearningRateSchedule")
        self.schedule = schedule
        #: the plateau state's optimizer variables, once :class:`PlateauCallback` attached them
        self.plateau_variables: Any = None

    @property
    def plateau(self) -> OnPlateau | None:
        """The plateau part (``None`` for a closed-form schedule)."""
        return self.schedule if isinstance(self.schedule, OnPlateau) else None

    def __call__(self, step: Any) -> Any:
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            step = tf.convert_to_tensor(step)
        else:
            step = keras.ops.convert_to_tensor(step)
        if self.plateau is not None and self.plateau_variables is not None:
            value = self.plateau.value(step, _scale_like(self.plateau_variables.scale, step))
        else:
            value = self.schedule(step)
        return keras.ops.cast(value, keras.backend.floatx())

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.to_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(_from_config(config["schedule"]))


def _scale_like(variable: Any, step: Any) -> Any:
    """The multiplier variable's value as a scalar of the float type the plateau formula
    evaluates ``step`` in (float64 for TensorFlow and torch, float32 for JAX without x64)."""
    from lrkit._ops import backend_for

    t = backend_for(step).prepare(step)
    value = variable.value
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.cast(value, t.dtype)
    if backend == "torch":
        return value.to(t.dtype)
    return value.astype(t.dtype)
