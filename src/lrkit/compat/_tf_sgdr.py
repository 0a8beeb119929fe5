"""TensorFlow's and Keras' cosine decay with restarts, with their own restart arithmetic.

Native :class:`lrkit.CosineRestarts` finds the cycle exactly. TensorFlow (``tf.compat.v1.train.
cosine_decay_restarts``) and Keras (``CosineDecayRestarts``) compute the restart index with a
floating-point logarithm in the dtype of the learning rate (float32 for a Python float), which
lands a cycle early or late at some restart steps, and several steps early once the step no
longer fits a float32 exactly. The compat dialects reproduce that index with this schedule.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit._ops import SortedTable
from lrkit.schedule import Schedule, duration_field
from lrkit.schedules._base import owner, set_field

__all__ = ["SGDRDecay", "PRECISIONS"]

PRECISIONS = ("float32", "float64")
MAX_TABLE = 2**17  # restarts whose float32 step is tabulated (then TensorFlow's formula)
LAST_STEP = 2.0**63  # no step beyond an int64 global step


def _float32(x: float) -> float:
    import numpy as np

    with np.errstate(over="ignore"):
        return float(np.float32(x))


def float32_fits(x: float) -> bool:
    """True when ``x`` stays finite as a float32."""
    return math.isfinite(_float32(x))


def _tf32_index(v: Any, first: Any, t_mul: Any) -> Any:
    """TensorFlow's float32 restart index at float32 steps ``v`` (NumPy float32 arrays).

    Each operation rounds to float32 as TensorFlow's kernels do; its scalar ``log`` is the
    correctly rounded float32 logarithm (checked against TensorFlow at every restart).
    """
    import numpy as np

    f32 = np.float32
    with np.errstate(over="ignore", invalid="ignore"):  # a tiny first period overflows float32 (inf)
        frac = v / first
        if t_mul == f32(1.0):
            return np.floor(frac)
        x = f32(1.0) - frac * (f32(1.0) - t_mul)
        log_x = np.log(x.astype(np.float64)).astype(f32)
        return np.floor(log_x / f32(math.log(float(t_mul))))


@functools.lru_cache(maxsize=64)
def _restarts32(first_decay_steps: float, t_mul: float) -> SortedTable:
    """The float32 steps at which TensorFlow's float32 restart index reaches 1, 2, ..., K.

    TensorFlow's index is a non-decreasing function of the float32 step, so the k-th entry is
    found by bisection over the float32 bit patterns (31 halvings, every k at once).
    """
    import numpy as np

    first, m = np.float32(first_decay_steps), np.float32(t_mul)
    fd, mf = float(first), float(m)
    if mf == 1.0:
        count = LAST_STEP / fd
    else:  # boundaries B_k = T0 (m^k - 1) / (m - 1) up to LAST_STEP
        count = math.log1p(LAST_STEP * (mf - 1.0) / fd) / math.log(mf)
    k = np.arange(1, int(min(count, MAX_TABLE)) + 1, dtype=np.float64)
    lo = np.zeros(k.shape, dtype=np.int32)  # bits of 0.0: index 0 < k
    hi = np.full(k.shape, np.float32(np.inf).view(np.int32), dtype=np.int32)  # index inf >= k
    while True:
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = lo + (hi - lo) // 2
        reached = _tf32_index(mid.view(np.float32), first, m) >= k
        hi = np.where(open_ & reached, mid, hi)
        lo = np.where(open_ & ~reached, mid, lo)
    return SortedTable(hi.view(np.float32).astype(np.float64))


@dataclass(frozen=True)
class SGDRDecay(Schedule, name="tf1.SGDRDecay"):
    """Cosine decay with warm restarts, TensorFlow/Keras arithmetic.

    With :math:`f = t / T_0` the completed fraction of the first period,

    .. math::

        i &= \\Big\\lfloor \\frac{\\log(1 - f (1 - m_T))}{\\log m_T} \\Big\\rfloor
            \\ (m_T \\ne 1), \\qquad i = \\lfloor f \\rfloor \\ (m_T = 1) \\\\
        x &= \\frac{f - (1 - m_T^{i})/(1 - m_T)}{m_T^{i}} \\ (m_T \\ne 1), \\qquad
            x = f - i \\ (m_T = 1) \\\\
        s(t) &= a \\Big[(1 - \\alpha)\\, \\tfrac12\\, m_M^{i} (1 + \\cos \\pi x) + \\alpha\\Big]

    The floor :math:`\\alpha a` is kept in every cycle and only the cosine above it shrinks by
    :math:`m_M^{i}`. The restart index :math:`i` is TensorFlow's, computed in ``precision``:

    * ``"float32"`` (TensorFlow 1 always; Keras for a Python-float ``initial_learning_rate``):
      the step is rounded to float32 and :math:`i` is found in a table of the float32 steps at
      which TensorFlow's float32 ``log`` formula reaches each restart, built once per
      :math:`(T_0, m_T)`. It equals TensorFlow at every restart, where TensorFlow's index is
      one cycle early or late at some restarts, and several steps early once the step exceeds
      :math:`2^{24}`. Beyond :math:`2^{17}` tabulated restarts the formula is used directly.
    * ``"float64"`` (Keras with a float64 ``initial_learning_rate``): the formula in float64.

    In both, :math:`x` and the value are computed from the exact step in the step's own
    precision (for :math:`m_T = 1` in float32 :math:`x` is TensorFlow's float32
    :math:`f - i`, which past :math:`2^{23}` cycles has no fraction left): at a restart
    where TensorFlow's index is early the value is the previous cycle's end.
    Native :class:`lrkit.CosineRestarts` with ``alpha=`` restarts exactly.
    Legend: :math:`a` = ``initial_learning_rate``, :math:`T_0` = ``first_decay_steps``,
    :math:`m_T` = ``t_mul``, :math:`m_M` = ``m_mul``, :math:`\\alpha` = ``alpha``.
    """

    initial_learning_rate: float
    first_decay_steps: float = duration_field()
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0
    precision: str = "float32"

    def __post_init__(self) -> None:
        o = owner(self)
        set_field(self, "initial_learning_rate",
                  _check.non_negative("initial_learning_rate", self.initial_learning_rate, o))
        set_field(self, "first_decay_steps",
                  _check.positive("first_decay_steps", self.first_decay_steps, o))
        t_mul = _check.number("t_mul", self.t_mul, o)
        if t_mul < 1.0:  # shorter and shorter cycles: TensorFlow returns NaN after T0/(1 - t_mul)
            raise ValueError(f"{o}: t_mul must be >= 1, got {self.t_mul!r}")
        set_field(self, "t_mul", t_mul)
        set_field(self, "m_mul", _check.non_negative("m_mul", self.m_mul, o))
        set_field(self, "alpha", _check.probability("alpha", self.alpha, o))
        _check.choice("precision", self.precision, PRECISIONS, o)
        if self.precision == "float32":  # TensorFlow casts them to float32
            for name in ("first_decay_steps", "t_mul"):
                if not float32_fits(getattr(self, name)):
                    raise ValueError(f"{o}: {name} must fit a float32 (<= 3.4e38), got "
                                     f"{getattr(self, name)!r}")
            if _float32(self.first_decay_steps) == 0.0:  # TensorFlow would divide by zero
                raise ValueError(f"{o}: first_decay_steps must be a float32 above 0 (>= 1.4e-45), got "
                                 f"{self.first_decay_steps!r}")

    def _index32(self, t: Any, ops: Any) -> tuple[Any, Any]:
        """TensorFlow's float32 restart index, and when ``t_mul`` is 1 in float32 its float32
        position in the cycle (else None)."""
        t32 = ops.round32(t)
        first = _float32(self.first_decay_steps)
        if _float32(self.t_mul) == 1.0:  # TensorFlow's cond(t_mul == 1): f - floor(f), float32
            frac32 = ops.round32(t32 / first)
            i = ops.floor(frac32)
            return i, frac32 - i
        table = _restarts32(self.first_decay_steps, self.t_mul)
        i = ops.searchsorted(table, t32)
        if len(table.values) == MAX_TABLE:  # past the table: the formula, in the step's precision
            last = table.values[-1]
            # strictly past the last restart the table holds: at it, the table's index is TensorFlow's
            i = ops.where(ops.crossed(t32, last, True), self._index_formula(t32, ops), i)
        return i, None

    def _index_formula(self, t: Any, ops: Any) -> Any:
        frac = t / self.first_decay_steps
        return ops.floor(ops.log(1.0 - frac * (1.0 - self.t_mul)) / math.log(self.t_mul))

    def _eval(self, t: Any, ops: Any) -> Any:
        t_mul = self.t_mul
        if self.precision == "float32":  # TensorFlow's global step is an int64: none lies beyond
            t = ops.minimum(t, LAST_STEP)
        frac = t / self.first_decay_steps
        if self.precision == "float32":
            i, x = self._index32(t, ops)
        elif t_mul == 1.0:
            i = ops.floor(frac)
            x = frac - i
        else:
            i, x = self._index_formula(t, ops), None
        if x is None:
            grown = ops.power(t_mul, i)
            x = (frac - (1.0 - grown) / (1.0 - t_mul)) / grown
        cosine = 0.5 * ops.power(self.m_mul, i) * (1.0 + ops.cos(math.pi * x))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)
