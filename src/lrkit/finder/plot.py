"""Matplotlib figure of a range test (imported only by :meth:`FinderResult.plot`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrkit.finder.rules import NoSuggestion

__all__ = ["plot_result"]

_MARKERS = {"lrkit": "o", "minimum": "v", "steepest": "s", "valley": "D", "probe": "*"}


def plot_result(result: Any, *, ax: Any = None, rules: tuple[str, ...], raw: bool = True) -> Any:
    """The curves, the stop, and each rule's suggestion as a hollow marker on the smoothed loss
    plus a thin vertical line, both in the rule's colour: markers grow with the rule's place in
    ``rules``, so two rules suggesting (nearly) the same rate stay visible as concentric marks. The
    y range holds the raw loss as well as the smoothed one (up to the stop); the legend sits
    outside the axes."""
    import matplotlib.pyplot as plt

    own = ax is None
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
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
        color = f"C{i + 1}"
        ax.axvline(lr, color=color, ls="--", lw=0.8, alpha=0.6)
        ax.plot([lr], [y], marker=_MARKERS.get(rule, "x"), ls="", ms=7 + 2 * i, color=color,
                markerfacecolor="none", markeredgewidth=1.6, label=f"{rule}: {lr:.2g}", zorder=3 + i)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    n = max(result.usable, 1)
    smooth = np.asarray(result.smoothed[:n], dtype=float)
    low, high = [smooth], [smooth]
    if raw:  # every raw point up to the stop fits above the bottom; up to the minimum, below the top
        losses = np.asarray(result.losses[:n], dtype=float)
        ok = np.isfinite(smooth)
        best = int(np.nanargmin(np.where(ok, smooth, np.nan))) if ok.any() else 0
        low.append(losses)
        high.append(losses[: best + 1])
    lo_v, hi_v = np.concatenate(low), np.concatenate(high)
    lo_v, hi_v = lo_v[np.isfinite(lo_v)], hi_v[np.isfinite(hi_v)]
    if len(lo_v) and len(hi_v):
        lo, hi = float(lo_v.min()), float(hi_v.max())
        pad = 0.1 * (hi - lo + 1e-12)
        ax.set_ylim(lo - pad, hi + 3 * pad)
    if own:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    else:
        ax.legend(fontsize=8)
    return ax
