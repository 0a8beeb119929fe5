"""A tiny array-operations facade so every schedule formula is written once.

A formula receives ``t`` (the step, already converted to a floating value of the
right kind) and an ``ops`` namespace, and only uses ``ops.where``, ``ops.floor``,
``ops.cos`` ... plus ordinary arithmetic.  The same formula then evaluates

* a Python ``int``/``float``  -> Python ``float`` (module ``math``, the fast path),
* a NumPy array               -> ``numpy.ndarray`` (float64),
* a ``torch.Tensor``          -> tensor on the same device (no host sync),
* a JAX array / tracer        -> ``jax.Array`` (traceable under ``jax.jit``),
* a TensorFlow tensor         -> ``tf.Tensor`` (graph- and XLA-compatible; Keras 3 on the
  TensorFlow backend).

No backend is imported until a value of that kind is seen.

Exact integer steps: NumPy, torch (off MPS), TensorFlow and Python convert an integer step to
float64, exact up to :math:`2^{53}`. JAX without ``jax_enable_x64`` has only float32, exact up
to :math:`2^{24}`; its facade remembers the integer step it converted, so ``crossed`` (a step
against a boundary) compares in the integer domain there. A step shifted inside a composition
(``t - start``) is a float32 again: exact to :math:`2^{24}` only.
"""

from __future__ import annotations

import bisect
import math
import struct
import sys
import threading
from typing import Any

__all__ = ["PY", "SortedTable", "backend_for", "is_scalar"]


class SortedTable:
    """An increasing tuple of floats that ``ops.searchsorted`` looks steps up in; each array
    kind's copy of it is made once."""

    __slots__ = ("values", "_copies")

    def __init__(self, values: Any) -> None:
        self.values = tuple(float(v) for v in values)
        self._copies: dict[Any, Any] = {}

    def copy_for(self, key: Any, make: Any) -> Any:
        out = self._copies.get(key)
        if out is None:
            out = self._copies[key] = make(self.values)
        return out


def _round32(x: float) -> float:
    """``x`` rounded to the nearest float32 (kept as a Python float)."""
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


class _PyOps:
    """Python scalars: ``math`` functions, ``where`` is a conditional expression."""

    name = "python"

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    # Like NumPy: an infinite or NaN argument gives a float result (inf, NaN) instead of raising.
    @staticmethod
    def floor(x: float) -> float:
        try:
            return math.floor(x)
        except (OverflowError, ValueError):
            return x

    @staticmethod
    def ceil(x: float) -> float:
        try:
            return math.ceil(x)
        except (OverflowError, ValueError):
            return x

    @staticmethod
    def cos(x: float) -> float:
        try:
            return math.cos(x)
        except ValueError:
            return math.nan

    @staticmethod
    def sin(x: float) -> float:
        try:
            return math.sin(x)
        except ValueError:
            return math.nan

    @staticmethod
    def sqrt(x: float) -> float:
        try:
            return math.sqrt(x)
        except ValueError:
            return math.nan

    tanh = staticmethod(math.tanh)
    minimum = staticmethod(min)
    maximum = staticmethod(max)
    abs = staticmethod(abs)

    @staticmethod
    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(x: float) -> float:
        if x <= 0.0:
            return -math.inf if x == 0.0 else math.nan
        return math.log(x)

    @staticmethod
    def power(a: float, b: float) -> float:
        try:
            return float(a**b)
        except OverflowError:
            return math.inf
        except ZeroDivisionError:
            return math.inf

    @staticmethod
    def clip(x: float, lo: float, hi: float) -> float:
        return min(max(x, lo), hi)

    @staticmethod
    def mod(a: float, b: float) -> float:
        return math.fmod(a, b)

    @staticmethod
    def full_like(t: Any, value: float) -> float:
        return float(value)

    @staticmethod
    def finish(x: Any) -> float:
        return float(x)

    @staticmethod
    def crossed(t: float, b: float, strict: bool) -> bool:
        """``t > b`` (``strict``) or ``t >= b``: a step against a boundary."""
        return t > b if strict else t >= b

    round32 = staticmethod(_round32)

    @staticmethod
    def searchsorted(table: SortedTable, x: float) -> float:
        """How many entries of ``table`` are ``<= x``."""
        return float(bisect.bisect_right(table.values, x))


PY = _PyOps()


class _NumpyOps:
    name = "numpy"

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.floor = np.floor
        self.ceil = np.ceil
        self.cos = np.cos
        self.sin = np.sin
        self.tanh = np.tanh
        self.sqrt = np.sqrt
        self.minimum = np.minimum
        self.maximum = np.maximum
        self.abs = np.abs
        self.mod = np.fmod

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.np.where(cond, a, b)

    def exp(self, x: Any) -> Any:
        with self.np.errstate(over="ignore"):
            return self.np.exp(x)

    def log(self, x: Any) -> Any:
        with self.np.errstate(divide="ignore", invalid="ignore"):
            return self.np.log(x)

    def power(self, a: Any, b: Any) -> Any:
        with self.np.errstate(over="ignore", divide="ignore"):
            return self.np.power(a, b)

    def clip(self, x: Any, lo: float, hi: float) -> Any:
        return self.np.clip(x, lo, hi)

    def full_like(self, t: Any, value: float) -> Any:
        return self.np.full_like(t, value, dtype=self.np.float64)

    def prepare(self, step: Any) -> Any:
        arr = self.np.asarray(step)
        if arr.dtype.kind != "f":
            arr = arr.astype(self.np.float64)
        return arr

    @staticmethod
    def crossed(t: Any, b: float, strict: bool) -> Any:
        return t > b if strict else t >= b

    def round32(self, x: Any) -> Any:
        x = self.np.asarray(x)
        with self.np.errstate(over="ignore"):
            return x.astype(self.np.float32).astype(x.dtype)

    def searchsorted(self, table: SortedTable, x: Any) -> Any:
        np = self.np
        seq = table.copy_for("numpy", lambda v: np.asarray(v, dtype=np.float64))
        return np.searchsorted(seq, x, side="right").astype(np.float64)

    def finish(self, x: Any) -> Any:
        out = self.np.asarray(x)
        if out.ndim == 0:
            return out[()]
        return out


class _TorchOps:
    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.floor = torch.floor
        self.ceil = torch.ceil
        self.cos = torch.cos
        self.sin = torch.sin
        self.tanh = torch.tanh
        self.sqrt = torch.sqrt
        self.exp = torch.exp
        self.log = torch.log
        self.abs = torch.abs
        self.mod = torch.fmod

    def _pair(self, a: Any, b: Any) -> tuple[Any, Any]:
        torch = self.torch
        if isinstance(a, torch.Tensor):
            if not isinstance(b, torch.Tensor):
                b = torch.as_tensor(b, dtype=a.dtype, device=a.device)
        elif isinstance(b, torch.Tensor):
            a = torch.as_tensor(a, dtype=b.dtype, device=b.device)
        return a, b

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        a, b = self._pair(a, b)
        if not isinstance(a, self.torch.Tensor):
            # two Python numbers: keep float64 precision (torch would default to float32)
            dtype = self.torch.float32 if cond.device.type == "mps" else self.torch.float64
            a = self.torch.as_tensor(a, dtype=dtype, device=cond.device)
            b = self.torch.as_tensor(b, dtype=dtype, device=cond.device)
        return self.torch.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        a, b = self._pair(a, b)
        return self.torch.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        a, b = self._pair(a, b)
        return self.torch.maximum(a, b)

    def power(self, a: Any, b: Any) -> Any:
        return self.torch.pow(a, b)

    def clip(self, x: Any, lo: float, hi: float) -> Any:
        return self.torch.clamp(x, lo, hi)

    def full_like(self, t: Any, value: float) -> Any:
        return self.torch.full_like(t, value)

    def prepare(self, step: Any) -> Any:
        torch = self.torch
        if not step.is_floating_point():
            dtype = torch.float32 if step.device.type == "mps" else torch.float64
            step = step.to(dtype)
        return step

    @staticmethod
    def crossed(t: Any, b: float, strict: bool) -> Any:
        return t > b if strict else t >= b

    def round32(self, x: Any) -> Any:
        return x.to(self.torch.float32).to(x.dtype)

    def searchsorted(self, table: SortedTable, x: Any) -> Any:
        torch = self.torch
        seq = table.copy_for((x.dtype, x.device),
                             lambda v: torch.as_tensor(v, dtype=x.dtype, device=x.device))
        found = torch.searchsorted(seq, x.reshape(-1).contiguous(), right=True)
        return found.reshape(x.shape).to(x.dtype)

    def finish(self, x: Any) -> Any:
        return x


class _JaxOps:
    name = "jax"

    def __init__(self) -> None:
        import jax.numpy as jnp

        self.jnp = jnp
        self.floor = jnp.floor
        self.ceil = jnp.ceil
        self.cos = jnp.cos
        self.sin = jnp.sin
        self.tanh = jnp.tanh
        self.sqrt = jnp.sqrt
        self.exp = jnp.exp
        self.log = jnp.log
        self.minimum = jnp.minimum
        self.abs = jnp.abs
        self.power = jnp.power
        self.clip = jnp.clip
        self.mod = jnp.fmod
        # (float step, the integer step it was converted from) while a schedule evaluates
        self._exact = threading.local()

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.jnp.where(cond, a, b)

    def full_like(self, t: Any, value: float) -> Any:
        return self.jnp.full_like(t, value)

    def prepare(self, step: Any) -> Any:
        jnp = self.jnp
        arr = jnp.asarray(step)
        self._exact.pair = None
        if not jnp.issubdtype(arr.dtype, jnp.floating):
            floating = arr.astype(jnp.result_type(float))
            if jnp.issubdtype(arr.dtype, jnp.integer) and (
                    jnp.finfo(floating.dtype).nmant < jnp.iinfo(arr.dtype).bits - 1):
                self._exact.pair = (floating, arr)  # float32 is not exact above 2**24
            return floating
        return arr

    def _integer_step(self, t: Any) -> Any:
        """The integer step ``t`` was converted from, when ``t`` is the prepared step."""
        pair = getattr(self._exact, "pair", None)
        return pair[1] if pair is not None and pair[0] is t else None

    def maximum(self, a: Any, b: Any) -> Any:
        out = self.jnp.maximum(a, b)
        i = self._integer_step(a)
        if i is not None and isinstance(b, (int, float)) and float(b).is_integer():  # clamp
            self._exact.pair = (out, self.jnp.maximum(i, int(b)))
        return out

    def crossed(self, t: Any, b: float, strict: bool) -> Any:
        i = self._integer_step(t)
        if i is None:
            return t > b if strict else t >= b
        jnp = self.jnp
        # integer i: i > b  <=>  i > floor(b);  i >= b  <=>  i >= ceil(b)
        edge = math.floor(b) if strict else math.ceil(b)
        info = jnp.iinfo(i.dtype)
        if edge > info.max or (strict and edge == info.max):
            return jnp.zeros(i.shape, dtype=bool)
        if edge < info.min or (not strict and edge == info.min):
            return jnp.ones(i.shape, dtype=bool)
        return i > edge if strict else i >= edge

    def round32(self, x: Any) -> Any:
        return x.astype(self.jnp.float32).astype(x.dtype)

    def searchsorted(self, table: SortedTable, x: Any) -> Any:
        jnp = self.jnp
        seq = jnp.asarray(table.copy_for("numpy", _float64_array), dtype=x.dtype)
        return jnp.searchsorted(seq, x, side="right").astype(x.dtype)

    def finish(self, x: Any) -> Any:
        self._exact.pair = None
        return x


class _TfOps:
    name = "tensorflow"

    def __init__(self) -> None:
        import tensorflow as tf

        self.tf = tf
        self.floor = tf.math.floor
        self.ceil = tf.math.ceil
        self.cos = tf.math.cos
        self.sin = tf.math.sin
        self.tanh = tf.math.tanh
        self.sqrt = tf.math.sqrt
        self.exp = tf.math.exp
        self.log = tf.math.log
        self.abs = tf.math.abs

    def _pair(self, a: Any, b: Any) -> tuple[Any, Any]:
        tf = self.tf
        if tf.is_tensor(a):
            if not tf.is_tensor(b):
                b = tf.constant(b, dtype=a.dtype)
        elif tf.is_tensor(b):
            a = tf.constant(a, dtype=b.dtype)
        return a, b

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        a, b = self._pair(a, b)
        if not self.tf.is_tensor(a):  # two Python numbers: broadcast over the condition
            a = self.tf.fill(self.tf.shape(cond), self.tf.constant(a, self.tf.float64))
            b = self.tf.fill(self.tf.shape(cond), self.tf.constant(b, self.tf.float64))
        return self.tf.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self.tf.minimum(*self._pair(a, b))

    def maximum(self, a: Any, b: Any) -> Any:
        return self.tf.maximum(*self._pair(a, b))

    def power(self, a: Any, b: Any) -> Any:
        return self.tf.pow(*self._pair(a, b))

    def mod(self, a: Any, b: Any) -> Any:
        return self.tf.truncatemod(*self._pair(a, b))  # C fmod semantics

    def clip(self, x: Any, lo: float, hi: float) -> Any:
        return self.tf.clip_by_value(x, lo, hi)

    def full_like(self, t: Any, value: float) -> Any:
        return self.tf.fill(self.tf.shape(t), self.tf.constant(value, dtype=t.dtype))

    def prepare(self, step: Any) -> Any:
        tf = self.tf
        step = tf.convert_to_tensor(step)
        if not step.dtype.is_floating:
            step = tf.cast(step, tf.float64)
        return step

    @staticmethod
    def crossed(t: Any, b: float, strict: bool) -> Any:
        return t > b if strict else t >= b

    def round32(self, x: Any) -> Any:
        return self.tf.cast(self.tf.cast(x, self.tf.float32), x.dtype)

    def searchsorted(self, table: SortedTable, x: Any) -> Any:
        tf = self.tf
        seq = tf.constant(table.values, dtype=x.dtype)
        found = tf.searchsorted(seq, tf.reshape(x, [-1]), side="right")
        return tf.cast(tf.reshape(found, tf.shape(x)), x.dtype)

    def finish(self, x: Any) -> Any:
        return x


def _float64_array(values: tuple[float, ...]) -> Any:
    import numpy as np

    return np.asarray(values, dtype=np.float64)


_CACHE: dict[str, Any] = {}


def _get(name: str, factory: Any) -> Any:
    ops = _CACHE.get(name)
    if ops is None:
        ops = _CACHE[name] = factory()
    return ops


def is_scalar(step: Any) -> bool:
    """True for plain Python numbers (not bool)."""
    return type(step) in (int, float)


def backend_for(step: Any) -> Any:
    """Return the ops namespace for ``step`` (never imports a framework that is not loaded)."""
    tp = type(step)
    if tp is int or tp is float:
        return PY
    mod = tp.__module__
    if mod.startswith("torch"):
        return _get("torch", _TorchOps)
    if mod.startswith(("jax", "jaxlib")):
        return _get("jax", _JaxOps)
    if mod.startswith("tensorflow") or (mod.startswith("keras") and "tensorflow" in sys.modules):
        return _get("tensorflow", _TfOps)
    if mod == "numpy" or isinstance(step, (list, tuple)):
        return _get("numpy", _NumpyOps)
    # numbers that behave like scalars (e.g. numpy scalar subclasses, Fraction, Decimal)
    if "numpy" in sys.modules:
        import numpy as np

        if isinstance(step, np.generic):
            return _get("numpy", _NumpyOps)
    if isinstance(step, (int, float)) and not isinstance(step, bool):
        return PY
    raise TypeError(
        "step must be an int, a float, a NumPy array, a torch tensor or a JAX array, "
        f"got {tp.__name__}"
    )
