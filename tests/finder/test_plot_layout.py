"""The finder plot keeps the raw loss inside the axes and never hides one rule's marker under
another's (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import lrkit  # noqa: E402


def _result():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 8))
    y = X @ rng.normal(size=8) + 0.1 * rng.normal(size=128)   # learnable, with noise
    w = np.zeros(8)

    def step(lr: float) -> float:  # noisy minibatch gradient descent on least squares
        nonlocal w
        idx = rng.integers(0, 128, 16)
        err = X[idx] @ w - y[idx]
        w = w - lr * 2 * X[idx].T @ err / 16
        return float(np.mean(err ** 2))

    return lrkit.find_lr(step, num_steps=120)


def test_raw_loss_inside_and_markers_distinct():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = _result()
    ax = r.plot()
    lo, hi = ax.get_ylim()
    raw = np.asarray(r.losses[: r.usable])
    assert lo <= raw[np.isfinite(raw)].min()           # the raw loss's lows are not cut off
    best = int(np.argmin(r.smoothed[: r.usable]))
    assert hi >= raw[: best + 1].max()                 # nor its values up to the minimum
    markers = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", None, "")
               and len(ln.get_xdata()) == 1]
    assert len(markers) >= 3
    sizes = [m.get_markersize() for m in markers]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)   # concentric, never covered
    assert all(m.get_markerfacecolor() == "none" for m in markers)   # hollow: the one below shows
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    plt.close(ax.figure)
