"""Matplotlib figure of a range test (imported only by :meth:`FinderResult.plot`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit.finder.rules import NoSuggestion

__all__ = ["plot_result"]

_MARKERS = {"lrkit": "o", "minimum": "v", "steepest": "s", "valley": "D", "probe": "*"}


def plot_result(result: Any, *, ax: Any = None, rules: tuple[str, ...], raw: bool = True) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    lrs = result.lrs
    for run in result.runs:
        ax.plot(run.lrs, run.smoothed, color="0.8", lw=0.8)
    if raw:
        ax.plot(lrs, result.losses, color="0.6", lw=0.6, alpha=0.7, label="raw loss")
    ax.plot(lrs, result.smoothed, color="C0", lw=1.6, label="smoothed loss")
    if result.usable < len(lrs):
        ax.axvline(lrs[result.usable], color="C3", ls=":", lw=1, label=f"stop ({result.stop_reason})")
    for i, rule in enumerate(rules):
        try:
            lr = result.suggest(rule)
        except NoSuggestion:
            continue
        y = float(np.interp(np.log(lr), np.log(lrs), result.smoothed))
        ax.plot([lr], [y], marker=_MARKERS.get(rule, "x"), ls="", ms=8, color=f"C{i + 1}",
                label=f"{rule}: {lr:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    finite = result.smoothed[: max(result.usable, 1)]
    finite = finite[np.isfinite(finite)]
    if len(finite):
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.1 * (hi - lo + 1e-12)
        ax.set_ylim(lo - pad, hi + 3 * pad)
    ax.legend(fontsize=8)
    return ax
