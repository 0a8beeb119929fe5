"""Deterministic noise: a pure function of (seed, step), the same on every array kind.

The step :math:`n = \\lfloor t \\rfloor` is cut into three 12-bit digits (``n mod 2^36``), which
are absorbed one at a time into a state :math:`h` modulo the prime :math:`P = 4091`:

.. math:: h \\leftarrow \\big((h A + d + k_1) \\bmod P\\big)^3 \\bmod P, \\qquad
          h \\leftarrow (h B + k_2) \\bmod P

(cubing is a permutation modulo :math:`P` since :math:`P \\equiv 2 \\pmod 3`, so no value is
lost). Every intermediate stays below :math:`2^{24}`, so the integers are exact in float32 as in
float64: NumPy, torch and JAX give the same draws with or without ``jax_enable_x64`` (float32
rounds only the final division). Two such hashes with different keys make a uniform on a grid
of :math:`P^2` points; normals use the Box-Muller transform.
"""

from __future__ import annotations

import math
from typing import Any

_P = 4091.0  # prime, = 2 (mod 3); P * P, (P - 1) * 4095 + 2 P and (P - 1)^2 + P stay below 2**24
_A, _B = 3061.0, 2927.0
_DIGIT = 4096.0
_WRAP = 2.0 ** 36  # three digits


def _keys(seed: int, stream: int) -> tuple[float, float, float]:
    x = (seed * 2654435761 + stream * 40503 + 12345) % (2 ** 32)
    out = []
    for _ in range(3):
        x = (x * 1103515245 + 12345) % (2 ** 31)
        out.append(float(x % 4091))
    return out[0], out[1], out[2]


def _hash(digits: tuple[Any, Any, Any], ops: Any, keys: tuple[float, float, float]) -> Any:
    k0, k1, k2 = keys
    h = None
    for d in digits:
        h = ops.mod((k0 if h is None else h) * _A + d + k1, _P)
        h = ops.mod(ops.mod(h * h, _P) * h, _P)
        h = ops.mod(h * _B + k2, _P)
    return h


def _digits(t: Any, ops: Any) -> tuple[Any, Any, Any]:
    n = ops.floor(ops.maximum(t, 0.0))
    n = n - ops.floor(n / _WRAP) * _WRAP
    hi = ops.floor(n / (_DIGIT * _DIGIT))
    rest = n - hi * (_DIGIT * _DIGIT)
    mid = ops.floor(rest / _DIGIT)
    return rest - mid * _DIGIT, mid, hi


def uniform(t: Any, ops: Any, seed: int, stream: int = 0) -> Any:
    """Uniform in (0, 1), a pure function of ``seed``, ``stream`` and ``floor(t)``."""
    digits = _digits(t, ops)
    a = _hash(digits, ops, _keys(seed, 2 * stream))
    b = _hash(digits, ops, _keys(seed, 2 * stream + 1))
    return (a * _P + b + 0.5) / (_P * _P)


def normal(t: Any, ops: Any, seed: int) -> Any:
    """Standard normal noise at step ``t`` for ``seed`` (Box-Muller on two hashed uniforms)."""
    u1 = uniform(t, ops, seed, 0)
    u2 = uniform(t, ops, seed, 1)
    return ops.sqrt(-2.0 * ops.log(u1)) * ops.cos(2.0 * math.pi * u2)
