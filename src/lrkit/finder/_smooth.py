"""Loss smoothing used by the range test: the causal, bias-corrected EMA that every finder plots,
and a centred (zero-lag) smoother used by lrkit's own rule."""

from __future__ import annotations

import numpy as np

__all__ = ["debiased_ema", "centered", "half_width", "first_crossing"]

HALF_WIDTH = 0.25  # decades of rate on each side of the centred smoother


def debiased_ema(losses: np.ndarray, beta: float) -> np.ndarray:
    r"""Bias-corrected exponential moving average of ``losses``.

    .. math:: m_i = \beta\, m_{i-1} + (1 - \beta)\, \ell_i, \quad m_{-1} = 0, \qquad
              \bar\ell_i = \frac{m_i}{1 - \beta^{\,i + 1}}

    Legend: :math:`\ell_i` raw loss of step :math:`i`, :math:`\beta` = ``beta`` (0 disables
    smoothing). Non-finite losses propagate (the range test stops at the first one).
    """
    out = np.empty(len(losses), dtype=np.float64)
    m = 0.0
    for i, loss in enumerate(losses):
        m = beta * m + (1.0 - beta) * float(loss)
        out[i] = m / (1.0 - beta ** (i + 1))
    return out


def centered(values: np.ndarray, half_width: int) -> np.ndarray:
    r"""Centred moving average with a triangular kernel, shrunk near the ends (no lag, no padding).

    .. math:: \tilde v_i = \frac{\sum_{|j - i| \le h_i} w_{ij} v_j}{\sum_{|j - i| \le h_i} w_{ij}},
              \qquad w_{ij} = h_i + 1 - |j - i|, \quad h_i = \min(h, i, n - 1 - i)

    Legend: :math:`h` = ``half_width``; the window shrinks symmetrically at both ends so the
    estimate at the last usable point never looks past it.
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        h = min(half_width, i, n - 1 - i)
        j = np.arange(i - h, i + h + 1)
        w = (h + 1.0) - np.abs(j - i)
        out[i] = float(np.dot(w, v[j]) / w.sum())
    return out


def first_crossing(lrs: np.ndarray, z: np.ndarray, thr: np.ndarray) -> float:
    r"""The first rate where ``z`` rises above ``thr``, interpolated linearly in :math:`\log\eta`
    between the two points around the crossing (:math:`\eta_0` when the first point is already
    above it); the last rate when it never does."""
    over = np.nonzero(z > thr)[0]
    if not len(over):
        return float(lrs[-1])
    i = int(over[0])
    if i == 0:
        return float(lrs[0])
    a, b = z[i - 1] - thr[i - 1], z[i] - thr[i]
    u = a / (a - b) if a != b else 1.0
    return float(np.exp(np.log(lrs[i - 1]) + u * (np.log(lrs[i]) - np.log(lrs[i - 1]))))


def half_width(lrs: np.ndarray) -> int:
    """Points on each side of the centred smoother: ``HALF_WIDTH`` decades of rate."""
    x = np.log10(lrs)
    per_decade = (len(x) - 1) / max(float(x[-1] - x[0]), 1e-12)
    return max(1, int(round(HALF_WIDTH * per_decade)))
