"""Suggestion rules: from a recorded range test to one learning rate.

Every rule sees the same *analysis window*: the usable points of the test (the step that
stopped it excluded), cut further at the first point where the loss (its EMA, or a centred
average of the raw loss) has risen above ``RISE`` times its running minimum -- so a rule never
looks at the far side of the loss minimum, nor at the recovery slope after a spike. With fewer
than ``MIN_POINTS`` points in the window, or a loss that never fell ``MIN_DROP`` (1%) below its
first value, there is nothing to suggest and the rule raises :class:`NoSuggestion`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrkit.finder._smooth import centered, first_crossing, half_width
from lrkit.finder.settle import Settled

__all__ = ["NoSuggestion", "Window", "window", "breakdown_edge", "RULES", "RULE_NAMES", "TARGETS",
           "MIN_POINTS", "RISE"]

MIN_POINTS = 10
MIN_DROP = 0.01  # the smoothed loss must fall at least this fraction below its first value
RISE = 1.5
TARGETS = ("one_cycle", "constant")


class NoSuggestion(ValueError):
    """The range test has too few usable points (or no decrease of the loss) to suggest a rate."""


@dataclass(frozen=True)
class Window:
    """The part of a range test the rules use: rates, raw and smoothed losses, all finite."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    usable_lrs: np.ndarray
    usable_losses: np.ndarray

    @property
    def argmin(self) -> int:
        return int(np.argmin(self.smoothed))


def window(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray, usable: int) -> Window:
    """The analysis window (see the module docstring); raises :class:`NoSuggestion` when empty.

    The cut is the first point where the EMA, or the centred average of the raw loss, has risen
    above ``RISE`` times its own running minimum: a bump of the raw loss that the lagging EMA
    smooths away still ends the window.
    """
    n = int(usable)
    sm = smoothed[:n]
    if n >= 3:
        raw_c = centered(losses[:n], half_width(lrs[:n]))
        risen = np.nonzero((sm > RISE * np.minimum.accumulate(sm))
                           | (raw_c > RISE * np.minimum.accumulate(raw_c)))[0]
        if len(risen):
            n = int(risen[0])
    if n < MIN_POINTS:
        raise NoSuggestion(
            f"only {n} usable point(s) in the range test (at least {MIN_POINTS} needed): the loss "
            "broke down almost at once -- start the test at a lower rate or check the step function")
    w = Window(lrs[:n], losses[:n], sm[:n], lrs[:usable], losses[:usable])
    if w.argmin == 0 or not w.smoothed[w.argmin] < (1.0 - MIN_DROP) * w.smoothed[0]:
        raise NoSuggestion(
            f"the loss never went {MIN_DROP:.0%} below its first value: start the test at a lower "
            "rate, run more steps, or check that the step function trains the model")
    return w


def minimum(w: Window, target: str) -> float:
    r"""One order of magnitude below the smoothed minimum: :math:`\eta_{i^*}/10`,
    :math:`i^* = \arg\min_i \bar\ell_i` (fastai's ``minimum``; the same for every target)."""
    return float(w.lrs[w.argmin]) / 10.0


def steepest(w: Window, target: str) -> float:
    r"""The steepest descent of the smoothed loss against :math:`\log\eta`, searched from the
    first tenth of the window up to (not including) the minimum:

    .. math:: i^\dagger = \arg\min_{n/10 \le i < i^*} \frac{d\bar\ell}{d\log\eta}\Big|_i
    """
    m = w.argmin
    x = np.log(w.lrs[: m + 1])
    if m < 2:
        return float(w.lrs[0])
    g = np.gradient(w.smoothed[: m + 1], x)[:m]
    lo = min(len(w.lrs) // 10, m - 1)
    return float(w.lrs[lo + int(np.argmin(g[lo:]))])


def valley(w: Window, target: str) -> float:
    """The longest valley (fastai's ``valley``), after skipping the first tenth of the window
    (as fastai trims it): the longest decreasing run of smoothed losses
    (a longest decreasing subsequence), and the point a half-third into it
    (``start + int(L/3) + int(L/6)``, ``L`` the valley length), kept below the minimum."""
    skip = len(w.smoothed) // 10
    sm = w.smoothed[skip:]
    n = len(sm)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if sm[i] < sm[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(w.lrs[max(0, min(skip + idx, w.argmin - 1))])


# lrkit's own rule: the breakdown edge, found without lag, divided by a target-dependent factor.
EDGE_RISES = (1.2, 1.5)
EDGE_DIVISOR = {"one_cycle": 10.0, "constant": 20.0}


def rise_point(lrs: np.ndarray, losses: np.ndarray, factor: float) -> float:
    r"""The first rate at which the centred average of the raw loss rises above ``factor`` times
    its running minimum, interpolated in :math:`\log\eta` between the two points around the
    crossing; the last rate when it never does."""
    z = centered(losses, half_width(lrs))
    return first_crossing(lrs, z, factor * np.minimum.accumulate(z))


def breakdown_edge(w: Window) -> float:
    r"""The breakdown edge :math:`\eta_e = \sqrt{\eta_{1.2}\,\eta_{1.5}}` of :func:`edge`: where the
    centred raw loss first rises 20% and 50% above its running minimum (geometric mean)."""
    rises = [rise_point(w.usable_lrs, w.usable_losses, f) for f in EDGE_RISES]
    return float(np.exp(np.mean(np.log(rises))))


def edge(w: Window, target: str, settled: Settled | None = None) -> float:
    r"""lrkit's default rule: back off from the *breakdown edge* by a factor that depends on the
    schedule the rate is for.

    The causal EMA lags, so its minimum is a noisy, late marker. lrkit smooths the raw loss with
    a centred kernel (a quarter decade each side, no lag) and finds the rates
    :math:`\eta_{1.2}` and :math:`\eta_{1.5}` where it first rises 20% and 50% above its
    running minimum -- where training starts to break down. The edge is their geometric mean:

    .. math:: \eta_e = \sqrt{\eta_{1.2}\,\eta_{1.5}}, \qquad
              \eta_{\text{one\_cycle}} = \min\!\left(\frac{\eta_e}{10},\ \eta_{i^*-1}\right)

    (the peak of a schedule that warms up to it and anneals away); :math:`i^*` is the minimum of
    the smoothed loss, so the rule never suggests at or past it. A rise is searched in every
    usable point, so it always comes before a spike's recovery.

    For a rate held the whole run (``target="constant"``) the first test's edge is not enough:
    how far a network trained during the test decides how much rate it sustains later. When the
    test ran the settled sweep (:mod:`lrkit.finder.settle`, ``find_lr(target="constant")``) the
    rate is :math:`\min(\eta_t/12,\ \eta_e/2,\ \eta_{i^*-1})`, :math:`\eta_t` the edge of the
    trained model; without it, the fallback is :math:`\min(\eta_e/20,\ \eta_{i^*-1})`, which is
    in the best band far less often (docs/finder.md).
    When the rate would fall below the first rate of the test there is no suggestion
    (:class:`NoSuggestion`: start the test lower).
    The constants were chosen on the six issue-5 tasks (``benchmarks/bench_finder_quality.py``);
    see ``docs/finder.md`` for how they fare on held-out tasks.
    """
    eta_e = breakdown_edge(w)
    cap = float(w.lrs[w.argmin - 1])
    if target == "constant" and settled is not None:
        eta = settled.constant(cap)
        divisor = eta_e / eta
    else:
        divisor = EDGE_DIVISOR[target]
        eta = min(eta_e / divisor, cap)
    if eta < w.lrs[0]:
        raise NoSuggestion(
            f"the loss started to break down at {eta_e:.3g}, less than {divisor:.3g}x the "
            f"first rate of the test ({w.lrs[0]:.3g}): start the test at a lower rate")
    return eta


RULES: dict[str, Callable[..., float]] = {
    "lrkit": edge,
    "minimum": minimum,
    "steepest": steepest,
    "valley": valley,
}
# "probe" is not read off the curve: it validates candidates with short runs (lrkit.finder.probe)
# and exists only on a result whose test ran with rule="probe".
RULE_NAMES = (*RULES, "probe")


def log_median(values: list[float]) -> float:
    """The median in log space (the geometric middle of an even count)."""
    logs = sorted(math.log(v) for v in values)
    k = len(logs)
    mid = logs[k // 2] if k % 2 else 0.5 * (logs[k // 2 - 1] + logs[k // 2])
    return math.exp(mid)
