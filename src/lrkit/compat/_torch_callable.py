"""Evaluating a user's Python callable of the integer step on any kind of step value.

The torch dialect's ``LambdaLR``/``MultiplicativeLR`` (and the few other places where a peer
accepts a function) hold an arbitrary Python callable ``f(step: int) -> float``. It cannot be
written with the array-operations facade, so it is applied element by element: a Python number
gives ``f(int(t))``; a NumPy array, a torch tensor or a concrete JAX array is evaluated on the
host and converted back to the same kind (same dtype and device). Inside ``jax.jit`` there is
no concrete step to call ``f`` with, so that raises a ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["elementwise", "require_callable"]


def require_callable(name: str, value: Any, owner: str) -> Callable[[int], float]:
    if not callable(value):
        raise TypeError(f"{owner}: {name} must be a function of the step (int -> float), got "
                        f"{value!r} ({type(value).__name__})")
    return value


def _to_float(fn_name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn_name} must return a number, got {value!r} "
                        f"({type(value).__name__})") from None


def elementwise(fn: Callable[[int], float], t: Any, ops: Any, what: str = "lr_lambda",
                is_what: str = "is a Python function") -> Any:
    """``fn(int(t))`` for every element of ``t``, as the same kind of value as ``t``; ``what``
    and ``is_what`` name the value in the error under ``jax.jit``."""
    if ops.name == "python":
        return _to_float(what, fn(int(t)))
    import numpy as np

    if ops.name == "jax":
        try:
            host = np.asarray(t)
        except Exception:  # a tracer: no concrete value exists
            raise TypeError(f"{what} {is_what}: it cannot be evaluated inside "
                            "jax.jit; evaluate the schedule on concrete steps") from None
    elif ops.name == "torch":
        host = t.detach().cpu().numpy()
    else:
        host = np.asarray(t)
    flat = host.reshape(-1)
    out = np.array([_to_float(what, fn(int(x))) for x in flat], dtype=np.float64).reshape(host.shape)
    if ops.name == "torch":
        return ops.torch.as_tensor(out, dtype=t.dtype, device=t.device)
    if ops.name == "jax":
        return ops.jnp.asarray(out, dtype=t.dtype)
    return out


class RunningProduct:
    """``start * f(first) * f(first + 1) * ... * f(first + c - 1)`` for any count ``c >= 0``,
    multiplied left to right in float64 exactly as torch's ``MultiplicativeLR`` does.

    A user's function has no closed form, so the value after :math:`c` terms needs the
    :math:`c` calls torch makes. They are made once, in blocks (``f`` called in a loop, the
    products taken by ``numpy.multiply.accumulate``, which multiplies sequentially), and what
    is kept is bounded whatever the step:

    * a cursor (the last count asked and its value), so stepping forward costs one call;
    * at most :data:`MARKS` checkpoints, one every ``stride`` terms (the stride doubles when
      they fill up), so going back to any count costs at most ``stride`` calls.

    Memory is :math:`O(\\text{MARKS})` floats at any step (the former list kept every value:
    380 MiB at :math:`10^7` steps).
    """

    MARKS = 1024
    BLOCK = 8192

    __slots__ = ("f", "first", "what", "stride", "marks", "cur_c", "cur_v")

    def __init__(self, f: Callable[[int], float], start: float, first: int,
                 what: str = "lr_lambda") -> None:
        self.f, self.first, self.what = f, first, what
        self.stride = 64
        self.marks: list[float] = [float(start)]  # marks[i] = value after i * stride terms
        self.cur_c, self.cur_v = 0, float(start)

    def __call__(self, count: int) -> float:
        if count == self.cur_c:
            return self.cur_v
        i = min(count // self.stride, len(self.marks) - 1)
        pos, value = i * self.stride, self.marks[i]
        if pos < self.cur_c <= count:  # the cursor is closer
            pos, value = self.cur_c, self.cur_v
        value = self._advance(pos, value, count)
        self.cur_c, self.cur_v = count, value
        return value

    def _advance(self, pos: int, value: float, count: int) -> float:
        import numpy as np

        f, first, what = self.f, self.first, self.what
        while pos < count:
            # stop at the next unrecorded checkpoint so it can be stored
            nxt = len(self.marks) * self.stride
            stop = min(count, pos + self.BLOCK, nxt if nxt > pos else count)
            ks = range(first + pos, first + stop)
            try:
                terms = np.fromiter(map(f, ks), dtype=np.float64, count=len(ks))
                fast = not np.isnan(terms).any()  # fromiter makes None a NaN: check such a block
            except (TypeError, ValueError):
                fast = False
            if not fast:
                terms = np.array([_to_float(what, f(k)) for k in ks], dtype=np.float64)
            terms[0] *= value  # (value * f(first + pos)) * f(...) * ...: torch's order
            value = float(np.multiply.accumulate(terms)[-1])
            pos = stop
            if pos == len(self.marks) * self.stride:
                self.marks.append(value)
                if len(self.marks) > self.MARKS:
                    self.marks = self.marks[::2]
                    self.stride *= 2
        return value
