"""Host-side lookahead: a schedule's values for a block of steps, evaluated vectorised at once.

Per-step evaluation of a composite schedule on Python floats costs microseconds; evaluating
it with NumPy on a block of :data:`BLOCK` consecutive steps costs a few nanoseconds per step.
Blocks are aligned on multiples of :data:`BLOCK` and always have the same length, so the value
of step :math:`n` does not depend on where a run started or resumed (bit-identical resume).
The schedule stays a pure function of the step: the table is only a cache of it.
"""

from __future__ import annotations

from typing import Any

BLOCK = 512


class Table:
    """``table(n)`` equals ``schedule(n)`` for an integer step ``n >= 0``, served from a block.

    ``valid`` tells whether every value of the current block is finite, ``>= 0`` and, with
    ``below_one``, ``< 1`` — so the caller's per-step check can be skipped inside the block.
    """

    __slots__ = ("schedule", "lo", "values", "vectorised", "valid", "below_one")

    def __init__(self, schedule: Any, below_one: bool = False) -> None:
        self.schedule = schedule
        self.below_one = below_one
        self.lo = -BLOCK - 1
        self.values: list[float] = []
        self.vectorised = True
        self.valid = False

    def __call__(self, n: int) -> float:
        i = n - self.lo
        if 0 <= i < BLOCK:
            return self.values[i]
        return self._fill(n)

    def _fill(self, n: int) -> float:
        if not self.vectorised or n < 0:
            return self.schedule(n)
        import numpy as np

        lo = n - n % BLOCK
        steps = np.arange(lo, lo + BLOCK, dtype=np.float64)
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(self.schedule(steps), dtype=np.float64)
            out = np.broadcast_to(out, steps.shape)
        except Exception:  # a user schedule that only takes scalars: evaluate step by step
            self.vectorised = False
            return self.schedule(n)
        ok = np.isfinite(out) & (out >= 0.0)
        if self.below_one:
            ok &= out < 1.0
        self.valid = bool(ok.all())
        self.values = out.tolist()
        self.lo = lo
        return self.values[n - lo]
