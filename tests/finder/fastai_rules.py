"""fastai's LR-finder suggestions (fastai.callback.schedule: ``minimum``, ``steep``, ``valley``),
re-written from fastai's documented algorithm as test oracles.

fastai itself is not in the test extra (it pulls torchvision and spaCy). The longest decreasing
run is found here by patience sorting, not by the quadratic loop fastai (and lrkit) use, so the
oracle and lrkit share no code.
"""

from __future__ import annotations

import bisect

import numpy as np


def fastai_trim(lrs: np.ndarray, losses: np.ndarray, num_it: int) -> tuple[np.ndarray, np.ndarray]:
    """Learner.lr_find: the recorder's rates and smoothed losses without the first num_it // 10 and
    the last 5 points, cut at the first NaN."""
    a, b = np.asarray(lrs[num_it // 10:-5], float), np.asarray(losses[num_it // 10:-5], float)
    nan = np.nonzero(np.isnan(b))[0]
    return (a[: nan[0]], b[: nan[0]]) if len(nan) else (a, b)


def fastai_minimum(lrs: np.ndarray, losses: np.ndarray) -> float:
    """A tenth of the rate at the lowest loss."""
    return float(lrs[int(np.argmin(losses))]) / 10


def fastai_steep(lrs: np.ndarray, losses: np.ndarray) -> float:
    """The rate at the start of the steepest forward difference of loss against log rate."""
    slopes = [(losses[i + 1] - losses[i]) / (np.log(lrs[i + 1]) - np.log(lrs[i]))
              for i in range(len(lrs) - 1)]
    return float(lrs[int(np.argmin(slopes))])


def decreasing_run_lengths(values: np.ndarray) -> list[int]:
    """For every i, the length of the longest strictly decreasing subsequence ending at i
    (patience sorting on the negated values)."""
    tails: list[float] = []
    out = []
    for v in values:
        k = bisect.bisect_left(tails, -v)
        if k == len(tails):
            tails.append(-v)
        else:
            tails[k] = -v
        out.append(k + 1)
    return out


def fastai_valley_index(losses: np.ndarray) -> int:
    """The longest valley: the longest strictly decreasing subsequence (the first index to reach
    that length), start = end - length (fastai's arithmetic: one before the run's first point),
    and the index start + int(L/3) + int(L/6), L = end - start (may be -1 for a 2-point run)."""
    lengths = decreasing_run_lengths(losses)
    end = int(np.argmax(lengths))  # the first index reaching the longest length
    start = end - lengths[end] if lengths[end] > 1 else 0
    sections = (end - start) / 3
    return start + int(sections) + int(sections / 2)


def fastai_valley(lrs: np.ndarray, losses: np.ndarray) -> tuple[float, int]:
    idx = fastai_valley_index(losses)
    return float(lrs[idx]), idx
