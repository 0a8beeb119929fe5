"""Figures of schedules: matplotlib (imported only when a figure is drawn) and a text plot for
terminals with no display.

``plot(schedule)`` draws :math:`s(t)` for :math:`t = 0, 1, \\ldots, n-1` with the schedule's
phase boundaries marked (dotted) and its designed end (``horizon``) marked (dashed);
``plot([a, b, c], labels=[...])`` overlays several. ``text_plot`` draws the same picture with
characters: each column covers a range of steps and is filled from the smallest to the largest
value in that range, so a drop (staircase, step decay) shows as a vertical line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lrkit.schedule import Schedule

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot", "save", "text_plot", "default_steps", "sample_steps"]

DEFAULT_STEPS = 1000
MAX_POINTS = 20_000
_SYMBOLS = "*o+x#%@"
_FIG_SUFFIXES = (".png", ".svg", ".pdf")


def _as_list(schedules: Schedule | Sequence[Schedule]) -> list[Schedule]:
    if isinstance(schedules, Schedule):
        return [schedules]
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence):
        raise TypeError(f"schedules must be a Schedule or a list of Schedules, got {schedules!r}")
    items = list(schedules)
    if not items:
        raise ValueError("schedules must not be empty")
    for i, s in enumerate(items):
        if not isinstance(s, Schedule):
            raise TypeError(f"schedules[{i}] must be an lrkit Schedule, got {s!r} ({type(s).__name__})")
    return items


def _labels(labels: Sequence[str] | None, n: int) -> list[str] | None:
    if labels is None:
        return None
    if isinstance(labels, str) or len(labels) != n:
        raise ValueError(f"labels must be a list of {n} strings (one per schedule), got {labels!r}")
    return [str(x) for x in labels]


def _num_steps(steps: int | None, schedules: list[Schedule]) -> int:
    if steps is None:
        return default_steps(schedules)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    return int(steps)


def default_steps(schedules: Schedule | Sequence[Schedule]) -> int:
    """How many steps a plot shows when not told: 10% past the longest ``horizon`` (so behaviour
    after the designed end is visible), or 1000 when no schedule has a horizon."""
    hs = [s.horizon for s in _as_list(schedules) if s.horizon is not None]
    if not hs:
        return DEFAULT_STEPS
    return max(int(math.ceil(max(hs) * 1.1)) + 1, 2)


def sample_steps(num_steps: int, marks: Sequence[float] = (), max_points: int = MAX_POINTS) -> np.ndarray:
    """The integer steps a figure evaluates: every step when there are at most ``max_points``,
    otherwise an even grid plus each mark and its neighbours (so jumps stay sharp)."""
    if num_steps <= max_points:
        return np.arange(num_steps, dtype=np.float64)
    grid = np.unique(np.round(np.linspace(0, num_steps - 1, max_points)))
    extra = [b + d for b in marks for d in (-1.0, 0.0, 1.0) if 0 <= b + d < num_steps]
    return np.unique(np.concatenate([grid, np.floor(np.asarray(extra, dtype=np.float64))]))


def _values(s: Schedule, steps: np.ndarray) -> np.ndarray:
    return np.asarray(s(steps), dtype=np.float64)


def plot(schedules: Schedule | Sequence[Schedule], steps: int | None = None, *,
         labels: Sequence[str] | None = None, log: bool = False, title: str | None = None,
         ylabel: str = "learning rate", steps_per_epoch: int | None = None, marks: bool = True,
         ax: Any = None) -> Figure:
    """Draw one or several schedules over ``steps`` optimizer steps.

    Phase boundaries (``s.phase_boundaries()``) are dotted vertical lines and the designed end
    (``s.horizon``) a dashed one; the legend, outside the axes so that it never covers a curve,
    names the schedules and these two line styles. A long title is wrapped, never cut. With
    ``steps_per_epoch`` a second x axis shows epochs. With ``log`` the y axis is logarithmic
    (zero values are left out of the log axis).
    Returns the matplotlib ``Figure`` (drawn into ``ax`` when one is given).
    """
    items = _as_list(schedules)
    names = _labels(labels, len(items))
    n = _num_steps(steps, items)
    import matplotlib

    own_figure = ax is None
    if ax is None:
        from matplotlib.figure import Figure as _Figure

        fig = _Figure(figsize=(7.5, 4.2), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    all_marks = sorted({float(b) for s in items for b in s.phase_boundaries() if 0 < b < n})
    t = sample_steps(n, all_marks)
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    styles_used: set[str] = set()
    for i, s in enumerate(items):
        y = _values(s, t)
        if log:
            y = np.where(y > 0, y, np.nan)
        color = colors[i % len(colors)]
        label = names[i] if names else (None if len(items) == 1 else f"schedule {i + 1}")
        ax.plot(t, y, color=color, linewidth=1.8, label=label, drawstyle="default")
        if marks:
            for b in s.phase_boundaries():
                if 0 < b < n:
                    ax.axvline(b, color=color, linestyle=":", linewidth=0.9, alpha=0.7)
                    styles_used.add(":")
            h = s.horizon
            if h is not None and 0 < h < n:
                ax.axvline(h, color=color, linestyle="--", linewidth=0.9, alpha=0.8)
                styles_used.add("--")
    if log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_xlim(0, n - 1)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if steps_per_epoch:
        spe = float(steps_per_epoch)
        sec = ax.secondary_xaxis("top", functions=(lambda x: x / spe, lambda e: e * spe))
        sec.set_xlabel("epoch")
    if title:
        import textwrap

        ax.set_title(textwrap.fill(title, 70), fontsize="medium")
    handles, texts = ax.get_legend_handles_labels()
    from matplotlib.lines import Line2D

    for style, meaning in ((":", "phase boundary"), ("--", "designed end")):
        if style in styles_used:
            handles.append(Line2D([], [], color="0.4", linestyle=style, linewidth=0.9))
            texts.append(meaning)
    if handles:  # outside the axes, right of them: it never hides a curve
        import textwrap

        ax.legend(handles, [textwrap.fill(x, 34) for x in texts], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False, borderaxespad=0.0)
        if own_figure:
            fig.set_size_inches(9.5, 4.2)   # room for the legend: the axes keep their width
    return fig


def save(fig: Figure, path: str | os.PathLike[str]) -> str:
    """Write ``fig`` to ``path`` (``.png``, ``.svg`` or ``.pdf``) and return the path."""
    p = os.fspath(path)
    if not p.lower().endswith(_FIG_SUFFIXES):
        raise ValueError(f"path must end in .png, .svg or .pdf, got {p!r}")
    parent = os.path.dirname(p)
    if parent and not os.path.isdir(parent):
        raise FileNotFoundError(f"directory of {p!r} does not exist")
    metadata: dict[str, Any] = {}
    if p.lower().endswith(".svg"):
        metadata = {"Date": None}
    elif p.lower().endswith(".pdf"):
        metadata = {"CreationDate": None}
    fig.savefig(p, metadata=metadata or None)
    return p


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def text_plot(schedules: Schedule | Sequence[Schedule], steps: int | None = None, *,
              labels: Sequence[str] | None = None, log: bool = False, width: int = 72,
              height: int = 16) -> str:
    """The schedules drawn with characters (one symbol per schedule), for terminals.

    Column :math:`c` of :math:`W` covers steps :math:`[cn/W, (c+1)n/W)` and is filled between
    the smallest and the largest value there. The left axis shows the value range, the bottom
    axis the steps.
    """
    items = _as_list(schedules)
    names = _labels(labels, len(items))
    n = _num_steps(steps, items)
    if isinstance(width, bool) or not isinstance(width, int) or width < 10:
        raise ValueError(f"width must be an integer >= 10, got {width!r}")
    if isinstance(height, bool) or not isinstance(height, int) or height < 4:
        raise ValueError(f"height must be an integer >= 4, got {height!r}")
    cols = min(width, n)
    all_marks = sorted({float(b) for s in items for b in s.phase_boundaries() if 0 < b < n})
    t = sample_steps(n, all_marks, max_points=max(MAX_POINTS, cols))
    col_of = np.minimum((t * cols / n).astype(int), cols - 1)
    series = [_values(s, t) for s in items]
    finite = np.concatenate([y[np.isfinite(y)] for y in series])
    if log:
        finite = finite[finite > 0]
    if finite.size == 0:
        raise ValueError("nothing to draw: no finite" + (" positive" if log else "") + " values")
    lo, hi = float(finite.min()), float(finite.max())
    if not log:
        lo = min(lo, 0.0)

    def to_unit(v: np.ndarray) -> np.ndarray:
        if log:
            a, b = math.log10(lo), math.log10(hi)
            return (np.log10(v) - a) / (b - a) if b > a else np.full_like(v, 0.5)
        return (v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)

    grid = [[" "] * cols for _ in range(height)]
    for k, y in enumerate(series):
        sym = _SYMBOLS[k % len(_SYMBOLS)]
        ok = np.isfinite(y) & ((y > 0) if log else True)
        for c in range(cols):
            sel = ok & (col_of == c)
            if not sel.any():
                continue
            u = to_unit(y[sel])
            r_lo = int(round(float(u.min()) * (height - 1)))
            r_hi = int(round(float(u.max()) * (height - 1)))
            for r in range(r_lo, r_hi + 1):
                grid[height - 1 - r][c] = sym
    top, bottom = _fmt(hi), _fmt(lo)
    mid_v = 10 ** ((math.log10(lo) + math.log10(hi)) / 2) if log else (lo + hi) / 2
    pad = max(len(top), len(bottom), len(_fmt(mid_v)))
    lines = []
    for r, row in enumerate(grid):
        if r == 0:
            lab = top
        elif r == height - 1:
            lab = bottom
        elif r == height // 2:
            lab = _fmt(mid_v)
        else:
            lab = ""
        lines.append(f"{lab:>{pad}} |{''.join(row)}")
    lines.append(" " * pad + " +" + "-" * cols)
    right = str(n - 1)
    lines.append(" " * pad + "  0" + right.rjust(cols - 1))
    lines.append(" " * pad + "  optimizer step" + ("   (log scale)" if log else ""))
    if names or len(items) > 1:
        for k, _ in enumerate(items):
            name = names[k] if names else f"schedule {k + 1}"
            lines.append(f"{' ' * pad}  {_SYMBOLS[k % len(_SYMBOLS)]} {name}")
    return "\n".join(lines)
