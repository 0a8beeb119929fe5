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


def elementwise(fn: Callable[[int], float], t: Any, ops: Any, what: str = "lr_lambda") -> Any:
    """``fn(int(t))`` for every element of ``t``, as the same kind of value as ``t``."""
    if ops.name == "python":
        return _to_float(what, fn(int(t)))
    import numpy as np

    if ops.name == "jax":
        try:
            host = np.asarray(t)
        except Exception:  # a tracer: no concrete value exists
            raise TypeError(f"{what} is a Python function: it cannot be evaluated inside "
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
