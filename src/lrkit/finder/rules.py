"""Suggestion rules: from a recorded range test to one learning rate.

Every rule sees the same *analysis window*: the usable points of the test (the step that
stopped it excluded), cut further at the first point where a centred average of the raw loss has
risen above ``RISE`` times its *robust floor* (the lowest it has been, allowing for the noise of
the average: :func:`lrkit.finder._smooth.robust_floor`) -- so a rule never looks at the far side
of the loss minimum, nor at the recovery slope after a spike, and a noisy loss that merely wobbles
does not end it. With fewer than ``MIN_POINTS`` points in the window, or a loss that never fell
``MIN_DROP`` (1%, and more than its noise) below its starting level, there is nothing to suggest
and the rule raises :class:`NoSuggestion`. No rule's suggestion is ever the first rate of the
test (an edge of the sweep): that is a :class:`NoSuggestion` with the reason too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrkit.finder._smooth import centered, centered_noise, first_crossing, half_width, log_noise, robust_floor
from lrkit.finder.settle import Settled

__all__ = ["NoSuggestion", "Window", "window", "breakdown_edge", "RULES", "RULE_NAMES", "TARGETS",
           "MIN_POINTS", "RISE", "EDGE_DIVISOR", "CONSTANT_DIVISOR", "DESCENT", "half_descent"]

MIN_POINTS = 10
MIN_DROP = 0.01  # the smoothed loss must fall at least this fraction below its first value
RISE = 1.5
TARGETS = ("one_cycle", "constant")


class NoSuggestion(ValueError):
    """The range test has too few usable points (or no decrease of the loss) to suggest a rate.

    ``cause`` says which, when the analysis window is what is missing: ``"few_points"``,
    ``"no_fall"`` (``"other"`` for every other reason); ``rose`` whether the loss rose (the window
    was cut at a breakdown) -- a test that has neither fallen nor risen ran out of rates."""

    def __init__(self, *args: object, cause: str = "other", rose: bool = False) -> None:
        super().__init__(*args)
        self.cause = cause
        self.rose = rose


@dataclass(frozen=True)
class Window:
    """The part of a range test the rules use: rates, raw and smoothed losses, all finite."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    usable_lrs: np.ndarray
    usable_losses: np.ndarray
    centred: np.ndarray | None = None
    stopped: bool = False  # the test stopped on a breakdown (spike, divergence) after its last usable point

    @property
    def argmin(self) -> int:
        """Index of the minimum of the EMA (the classic rules' minimum)."""
        return int(np.argmin(self.smoothed))

    @property
    def centred_loss(self) -> np.ndarray:
        """The centred (zero-lag) average of the raw loss in the window (:func:`window` computes it
        over every usable point; a hand-built window without it, over its own points)."""
        return self.centred if self.centred is not None else centered(self.losses, half_width(self.lrs))

    @property
    def centred_argmin(self) -> int:
        """Index of the minimum of the centred (zero-lag) average of the raw loss in the window:
        where lrkit's rule places the loss minimum (the EMA's minimum lags, and with a noisy loss
        it can sit at a lucky batch at the very start); the last point of a flat minimum."""
        z = self.centred_loss
        return int(np.nonzero(z <= float(np.min(z)) * (1.0 + 1e-12))[0][-1])  # a flat minimum's end


def smoothed_floor(lrs: np.ndarray, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    r"""The centred average :math:`z` of the raw loss, its robust floor :math:`b` (see
    :func:`lrkit.finder._smooth.robust_floor`) and the relative noise :math:`\sigma` of the loss."""
    h = half_width(lrs)
    z = centered(losses, h)
    sigma = log_noise(losses)
    return z, robust_floor(z, sigma, centered_noise(len(z), h)), sigma


def window(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray, usable: int) -> Window:
    r"""The analysis window (see the module docstring); raises :class:`NoSuggestion` when empty.

    The cut is the first point where the centred average :math:`z` of the raw loss has risen above
    ``RISE`` times its robust floor, :math:`z_i > 1.5\, b_i` (:func:`smoothed_floor`): a bump of
    the raw loss that the lagging EMA smooths away still ends the window, a noisy wobble does not.
    The loss must also have fallen: the floor at the window's end must be at least ``MIN_DROP``
    below the starting level (the median of the first five raw losses, robust to a lucky first
    batch).
    """
    n = int(usable)
    n_all = n
    if n >= 4:  # (fewer points are fewer than MIN_POINTS: no window, sigma is never read)
        z, floor, sigma = smoothed_floor(lrs[:n], losses[:n])
        risen = np.nonzero(z > RISE * floor)[0]
        if len(risen):
            n = int(risen[0])
    rose = n < n_all
    if n < MIN_POINTS:
        raise NoSuggestion(
            f"only {n} usable point(s) in the range test (at least {MIN_POINTS} needed): the loss "
            "broke down almost at once -- start the test at a lower rate or check the step function",
            cause="few_points", rose=rose)
    z = centered(losses[:n_all], half_width(lrs[:n_all]))[:n]
    w = Window(lrs[:n], losses[:n], smoothed[:n], lrs[:n_all], losses[:n_all], z)
    start = float(np.median(losses[: min(5, n)]))
    floor_end = float(robust_floor(z, sigma, centered_noise(n_all, half_width(lrs[:n_all]))[:n])[-1])
    if w.centred_argmin == 0 or not floor_end < (1.0 - MIN_DROP) * start:
        raise NoSuggestion(
            f"the loss never went {MIN_DROP:.0%} below its first value (allowing for its noise): start "
            "the test at a lower rate, run more steps, or check that the step function trains the model",
            cause="no_fall", rose=rose)
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
EDGE_DIVISOR = {"one_cycle": 5.0}  # see docs/finder.md (issue 15)
# target="constant" (issue 15, round 4: tuned on the broad benchmark's 24 tasks, confirmed on 16
# fresh ones, see docs/finder.md): the geometric mean of the edge and the half-descent point / 6
CONSTANT_DIVISOR = 6.0
DESCENT = 0.5  # the half-descent point: where the loss has covered this fraction of its fall


def rise_point(lrs: np.ndarray, losses: np.ndarray, factor: float) -> float:
    r"""The first rate at which the centred average of the raw loss rises above ``factor`` times
    its robust floor (its running minimum when the loss is not noisy; see
    :func:`smoothed_floor`) and stays above it for a quarter decade (or to the last usable point:
    a breakdown lasts, a wobble of a noisy loss does not), interpolated in :math:`\log\eta`
    between the two points around the crossing; the last rate when it never does."""
    z, floor, _ = smoothed_floor(lrs, losses)
    return first_crossing(lrs, z, factor * floor, hold=half_width(lrs))


def half_descent(w: Window, fraction: float = DESCENT) -> float:
    r"""The *half-descent point*: the first rate at which the centred average :math:`z` of the raw
    loss has covered half (``fraction``) of its fall, from its starting level :math:`\ell_0` (the
    median of the first five raw losses) to its lowest value:

    .. math:: \eta_{1/2} = \eta_j, \quad j = \min\{\, i \ge h : z_i \le \ell_0 - \tfrac12
              (\ell_0 - \min_{k \ge h} z_k) \,\}

    Only points where the smoother has its full width (:math:`i \ge h`, its half-width) count: at
    the start of the curve it averages one, three, five batches, and a lucky one would pass for
    the fall (or for its bottom). Where training starts to bite -- a reading of the slow side of
    the curve, as the breakdown edge is of the fast side. :class:`NoSuggestion` when those points
    never fall below :math:`\ell_0` (the loss fell, if at all, within the smoother's first
    half-width: start the test lower)."""
    z = w.centred_loss
    h = min(half_width(w.usable_lrs), len(z) - 1)
    start = float(np.median(w.losses[:5]))
    low = float(np.min(z[h:]))
    if not low < start:
        raise NoSuggestion(
            "the loss fell only within the first quarter decade of the test, where it is too close "
            "to its start to tell where it fell: start the test at a lower rate")
    level = start - fraction * (start - low)
    return float(w.lrs[h + int(np.nonzero(z[h:] <= level)[0][0])])


def breakdown_edge(w: Window) -> float:
    r"""The breakdown edge :math:`\eta_e = \sqrt{\eta_{1.2}\,\eta_{1.5}}` of :func:`edge`: where the
    centred raw loss first rises 20% and 50% above its running minimum (geometric mean)."""
    rises = [rise_point(w.usable_lrs, w.usable_losses, f) for f in EDGE_RISES]
    return float(np.exp(np.mean(np.log(rises))))


def edge(w: Window, target: str, settled: Settled | None = None) -> float:
    r"""lrkit's default rule: back off from the *breakdown edge*, by an amount that depends on the
    schedule the rate is for.

    The causal EMA lags, so its minimum is a noisy, late marker. lrkit smooths the raw loss with
    a centred kernel (a quarter decade each side, no lag) and finds the rates
    :math:`\eta_{1.2}` and :math:`\eta_{1.5}` where it first rises 20% and 50% above its
    robust floor and stays there for a quarter decade (:func:`rise_point`) -- where training
    breaks down. The edge is their geometric mean, :math:`\eta_e = \sqrt{\eta_{1.2}\,\eta_{1.5}}`;
    :math:`i^*` is the minimum of the centred average (:attr:`Window.centred_argmin`), and no
    suggestion is at or past it. A rise is searched in every usable point, so it always comes
    before a spike's recovery.

    The peak of a schedule that warms up to it and anneals away (``target="one_cycle"``):

    .. math:: \eta_{\text{one\_cycle}} = \min\!\left(\frac{\eta_e}{5},\ \eta_{i^*-1}\right)

    A rate held the whole run (``target="constant"``): the geometric mean of the two ends of the
    useful range -- the breakdown edge and the half-descent point :math:`\eta_{1/2}`
    (:func:`half_descent`, where the loss has covered half of its fall) -- divided by 6
    (:data:`CONSTANT_DIVISOR`):

    .. math:: \eta_{\text{constant}} = \min\!\left(\frac{\sqrt{\eta_e\,\eta_{1/2}}}{6},\
              \eta_{i^*-1}\right)

    The edge alone misjudges a network that sustains less once trained, the point where the loss
    starts to fall alone misjudges a long flat start; their geometric mean follows how wide the
    useful range is. With ``settled`` (the rule ``"settled"`` of
    :meth:`lrkit.finder.FinderResult.suggest`, on a test that ran the settled sweep,
    :mod:`lrkit.finder.settle`; lrkit's constant-rate rule before issue 15's second round) the
    constant rate is :math:`\min(\eta_t/12,\ \eta_e/2,\ \eta_{i^*-1})` instead, :math:`\eta_t`
    the edge of the trained model.

    No suggestion (:class:`NoSuggestion`, with the reason) when the rate would be at or below
    the first rate of the test (start the test lower), or when the loss never broke down before
    the last rate tested, even after :func:`lrkit.finder.find_lr` widened the test (by default two
    decades past ``end``): the edge is then only a lower bound -- run the test to a higher end.
    The one-cycle divisor was chosen on the broad benchmark's development half, the constant-rate
    rule on all 24 of its tasks and then confirmed on 16 fresh ones (issue 15); ``docs/finder.md``
    has the figures.
    """
    eta_e = breakdown_edge(w)
    if censored(w, eta_e):
        raise NoSuggestion(
            f"the loss never broke down up to the last rate of the test ({w.usable_lrs[-1]:.3g}), so "
            "the test found no upper limit to back off from: run it to a higher end rate")
    cap = float(w.lrs[w.centred_argmin - 1])
    if target == "constant" and settled is not None:
        eta = settled.constant(cap)
    elif target == "constant":
        eta = min(math.sqrt(eta_e * half_descent(w)) / CONSTANT_DIVISOR, cap)
    else:
        eta = min(eta_e / EDGE_DIVISOR[target], cap)
    if eta <= w.lrs[0] * (1.0 + 1e-9):
        raise NoSuggestion(
            f"the loss started to break down at {eta_e:.3g}, less than {eta_e / eta:.3g}x the "
            f"first rate of the test ({w.lrs[0]:.3g}), or had its minimum there: start the test at "
            "a lower rate")
    return eta


def censored(w: Window, eta_e: float) -> bool:
    """Whether the breakdown edge is only a lower bound: the loss never rose before the last usable
    rate and the test ran out of rates there. A test that stopped on a breakdown (``w.stopped``: a
    spike or a divergence at the next rate) is not censored even without a rise before it: the loss
    broke down at once, and the last usable rate is its edge."""
    return bool(not w.stopped and eta_e >= w.usable_lrs[-1] * (1.0 - 1e-12))


RULES: dict[str, Callable[..., float]] = {
    "lrkit": edge,
    "minimum": minimum,
    "steepest": steepest,
    "valley": valley,
}
# "probe" is not read off the curve: it validates candidates with short runs (lrkit.finder.probe)
# and exists only on a result whose test ran with rule="probe". "settled" is lrkit's rule with the
# constant rate read off the settled sweep (issue 5's rule, lrkit.finder.settle): only on a result
# whose test ran it (find_lr(rule="settled") with reset, or settle=True).
RULE_NAMES = (*RULES, "probe", "settled")


def log_median(values: list[float]) -> float:
    """The median in log space (the geometric middle of an even count)."""
    logs = sorted(math.log(v) for v in values)
    k = len(logs)
    mid = logs[k // 2] if k % 2 else 0.5 * (logs[k // 2 - 1] + logs[k // 2])
    return math.exp(mid)
