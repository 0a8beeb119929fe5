"""The :class:`Schedule` base: a pure, immutable, closed-form function of the optimizer step."""

from __future__ import annotations

import dataclasses
import math
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

    Steps outside the domain, one rule for every array kind: a negative step evaluates as
    step 0 (the value before the first update); a NaN or infinite step raises ``ValueError``
    naming ``step`` for Python numbers and NumPy arrays. Tensors on a device and traced values
    (torch, JAX, TensorFlow) are clamped at 0 too but not checked for NaN, which would need a
    host synchronisation: a NaN step there gives a NaN value.

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
        if tp is float and 0.0 <= step < _INF:
            return float(self._eval(step, PY))
        if tp is int and 0 <= step <= _MAX_INT_STEP:
            return float(self._eval(float(step), PY))
        ops = backend_for(step)
        if ops is PY:
            return float(self._eval(_host_step(step), PY))
        t = ops.prepare(step)
        if ops.name == "numpy":
            t = _host_steps(t)
        else:  # on a device or traced: no host sync, so only the clamp at 0 (see ``Schedule``)
            t = ops.maximum(t, 0.0)
        return ops.finish(self._eval(t, ops))

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


_INF = math.inf
_MAX_INT_STEP = 2**1023  # beyond this an int step does not convert to a float


def _step_error(step: Any) -> ValueError:
    text = repr(step) if len(repr(step)) <= 40 else repr(step)[:20] + "..."
    return ValueError(f"step must be a finite number (an optimizer step, >= 0), got {text}")


def _host_step(step: Any) -> float:
    """A Python/NumPy scalar step as a float: NaN and infinities raise, a negative step is 0."""
    try:
        t = float(step)
    except OverflowError:
        raise _step_error(step) from None
    if not math.isfinite(t):
        raise _step_error(step)
    return t if t > 0.0 else 0.0


def _host_steps(t: Any) -> Any:
    """A NumPy array of steps: NaN and infinities raise, negative steps become 0."""
    import numpy as np

    if t.size == 0:
        return t
    lo, hi = t.min(), t.max()
    if lo >= 0.0 and hi < _INF:  # also false when a NaN is present
        return t
    if not np.isfinite(t).all():
        bad = t[~np.isfinite(t)].flat[0]
        raise _step_error(float(bad))
    return np.maximum(t, 0.0)


def _encode(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value
