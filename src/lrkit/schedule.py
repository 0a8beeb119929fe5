"""The :class:`Schedule` base: a pure, immutable, closed-form function of the optimizer step."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from lrkit._ops import PY, backend_for
from lrkit._registry import register

__all__ = ["Schedule", "duration_field"]


def duration_field(default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field holding a duration in optimizer steps.

    In a config it may also be written with a unit (``"5 epochs"``, ``"10%"``,
    ``{"samples": 50000}``) and is then resolved against a :class:`lrkit.Budget`.
    """
    return dataclasses.field(default=default, metadata={"duration": True})


class Schedule:
    """Base class of every lrkit schedule.

    A schedule is immutable and maps an optimizer step ``t`` (``t = 0`` before the
    first update) to a value: ``s(t)``.  ``t`` may be a Python number (returns a
    ``float``), a NumPy array, a ``torch.Tensor`` or a JAX array (returns the same
    kind, on the same device, traceable).  Subclasses implement ``_eval(t, ops)``
    once, with the array-operations facade ``ops``.

    Schedules compose with operators: ``s * 0.1`` scales, ``s * other`` multiplies
    pointwise, ``s / 2`` divides by a constant.
    """

    __slots__ = ()
    type_name: ClassVar[str] = ""

    def __init_subclass__(cls, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.type_name = name
            register(name, cls)

    # -- evaluation -------------------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        tp = type(step)
        if tp is int or tp is float:
            return float(self._eval(float(step), PY))
        ops = backend_for(step)
        if ops is PY:
            return float(self._eval(float(step), PY))
        return ops.finish(self._eval(ops.prepare(step), ops))

    def _eval(self, t: Any, ops: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def curve(self, num_steps: int) -> Any:
        """``s(0), s(1), ..., s(num_steps - 1)`` as a float64 NumPy array."""
        import numpy as np

        return np.asarray(self(np.arange(int(num_steps), dtype=np.float64)), dtype=np.float64)

    @property
    def horizon(self) -> float | None:
        """The length the schedule is designed for, when it has one (used by plots and checks)."""
        return None

    def phase_boundaries(self) -> tuple[float, ...]:
        """Steps at which the schedule changes phase (marked on plots, checked for jumps)."""
        return ()

    # -- config -----------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """A plain ``dict`` (JSON/YAML/TOML-safe) that :func:`lrkit.from_config` turns back into
        an equal schedule."""
        if not dataclasses.is_dataclass(self):  # pragma: no cover - every schedule is one
            raise TypeError(f"{type(self).__name__} does not support to_config()")
        cfg: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):
            if f.init:
                cfg[f.name] = _encode(getattr(self, f.name))
        return cfg

    # -- operators --------------------------------------------------------------------
    def __mul__(self, other: Any) -> Schedule:
        from lrkit.compose import Product, Scale

        if isinstance(other, Schedule):
            return Product((self, other))
        return Scale(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Schedule:
        from lrkit import _check
        from lrkit.compose import Scale

        d = _check.positive("divisor", other, "Schedule / divisor")
        return Scale(self, 1.0 / d)


def _encode(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value
