"""Deterministic noise: a pure function of (seed, step), identical on every backend.

Uniforms come from an integer hash evaluated exactly in float64 (every intermediate product
stays below :math:`2^{53}`), so NumPy, torch and JAX (with x64) give bit-identical values and
a resumed run reproduces its noise. Normals use the Box-Muller transform.
"""

from __future__ import annotations

import math
from typing import Any

_M = 67108859.0  # prime below 2**26: squares stay below 2**53 (exact in float64)


def _hash(t: Any, ops: Any, k1: float, k2: float) -> Any:
    h = ops.mod(ops.floor(t) * 48271.0 + k1, _M)
    h = ops.mod(h * h + k2, _M)
    h = ops.mod(h * h + k1 + 12345.0, _M)
    return (h + 0.5) / _M


def uniform(t: Any, ops: Any, seed: int, stream: int = 0) -> Any:
    """Uniform in (0, 1), a pure function of ``seed``, ``stream`` and ``floor(t)``."""
    k1 = float((seed * 7919 + stream * 104729 + 1) % 60000000)
    k2 = float((seed * 15485863 + stream * 32452843 + 7) % 60000000)
    return _hash(t, ops, k1, k2)


def normal(t: Any, ops: Any, seed: int) -> Any:
    """Standard normal noise at step ``t`` for ``seed`` (Box-Muller on two hashed uniforms)."""
    u1 = uniform(t, ops, seed, 0)
    u2 = uniform(t, ops, seed, 1)
    return ops.sqrt(-2.0 * ops.log(u1)) * ops.cos(2.0 * math.pi * u2)
