"""Loss smoothing used by lrkit's own rule: a centred (zero-lag) smoother, its noise and a robust
baseline. (The causal, bias-corrected EMA every finder plots is computed online, step by step, by
:func:`lrkit.finder.sweep.run_sweep`, which needs it to stop a diverging test.)"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["centered", "half_width", "first_crossing", "log_noise", "centered_noise", "robust_floor",
           "NOISE_K"]

HALF_WIDTH = 0.25  # decades of rate on each side of the centred smoother
NOISE_K = 3.0  # a baseline sits this many standard errors above a smoothed value


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


def first_crossing(lrs: np.ndarray, z: np.ndarray, thr: np.ndarray, hold: int = 0) -> float:
    r"""The first rate where ``z`` rises above ``thr`` (and stays above it for ``hold`` more
    points, or to the end), interpolated linearly in :math:`\log\eta` between the two points
    around the crossing (:math:`\eta_0` when the first point is already above it); the last rate
    when it never does."""
    above = z > thr
    if hold > 0:  # a rise must last: above the threshold for `hold` more points (or to the end)
        n = len(above)
        above = np.array([bool(above[i:min(n, i + hold + 1)].all()) for i in range(n)], dtype=bool)
    over = np.nonzero(above)[0]
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


def log_noise(losses: np.ndarray) -> float:
    r"""The relative batch-to-batch noise of a loss curve, estimated robustly from the second
    differences of its logarithm (a straight trend cancels, a few outliers do not count):

    .. math:: \sigma = \frac{1.4826\ \operatorname{median}_i
              |\log\ell_{i+1} - 2\log\ell_i + \log\ell_{i-1}|}{\sqrt 6}

    (1.4826 x the median absolute deviation estimates a Gaussian's standard deviation; a second
    difference of independent draws has :math:`\sqrt 6` times it). Zero for fewer than four
    finite losses, and for a curve made of straight pieces.
    """
    v = np.asarray(losses, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) < 4:
        return 0.0
    floor = max(float(np.max(v)) * 1e-12, 1e-300)
    d = np.abs(np.diff(np.log(np.maximum(v, floor)), 2))
    return float(1.4826 * np.median(d) / math.sqrt(6.0))


def centered_noise(n: int, half_width: int) -> np.ndarray:
    r"""Standard error of each point of :func:`centered` for unit i.i.d. noise:
    :math:`\sqrt{\sum_j w_{ij}^2}/\sum_j w_{ij}` (1 at the ends, where the kernel shrinks to a
    single point, about :math:`\sqrt{2/(3h)}` in the middle)."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        h = min(half_width, i, n - 1 - i)
        w = (h + 1.0) - np.abs(np.arange(-h, h + 1))
        out[i] = math.sqrt(float(np.dot(w, w))) / float(w.sum())
    return out


def robust_floor(z: np.ndarray, sigma: float, se: np.ndarray, k: float = NOISE_K) -> np.ndarray:
    r"""The robust baseline of a smoothed loss: the lowest *upper confidence bound* so far,

    .. math:: b_i = \min_{j \le i} z_j\, e^{k \sigma s_j},

    :math:`\sigma` the relative noise (:func:`log_noise`), :math:`s_j` the standard error of
    point :math:`j` of the smoother (:func:`centered_noise`),
    :math:`k` = ``NOISE_K``. The plain running minimum of a noisy curve is dragged down by its
    luckiest batch, so a loss that merely wobbles would seem to "rise" above it; a point's bound
    is loose where it averages few batches (the ends of the curve) and tight where it averages
    many. Without noise, it is the running minimum.
    """
    return np.minimum.accumulate(np.asarray(z, dtype=np.float64) * np.exp(k * sigma * np.asarray(se)))
