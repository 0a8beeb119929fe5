"""What a sweep returns: every trial, the best config, a table, a plot and a written report."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
from pathlib import Path
from typing import Any

__all__ = ["TrialRecord", "SweepResult", "STATES"]

STATES = ("complete", "pruned", "failed", "running", "waiting")


@dataclasses.dataclass(frozen=True)
class TrialRecord:
    """One trial: its number, how it ended, its metric, the point tried and why it failed.

    ``values`` holds every knob of the family (fixed ones included), ``config`` the plain lrkit
    config the objective ran with, ``step`` the last step reported (``None`` if none was).
    """

    number: int
    state: str
    value: float | None
    family: str | None
    values: dict[str, Any]
    config: dict[str, Any] | None
    error: str | None = None
    step: int | None = None
    seconds: float | None = None

    @property
    def peak(self) -> float | None:
        return self.values.get("peak")


@dataclasses.dataclass(frozen=True, eq=False)
class SweepResult:
    """The trials of a sweep and the best of them.

    ``best_config`` is a plain lrkit config (durations in optimizer steps for the sweep's
    budget): ``lrkit.from_config(result.best_config)`` rebuilds the best schedule. ``backend``
    holds the tuner's own object (the Optuna ``Study``, Ray's ``ResultGrid``) for anything
    lrkit does not show.
    """

    trials: tuple[TrialRecord, ...]
    direction: str
    budget: Any = None
    space: Any = None
    backend: Any = dataclasses.field(default=None, repr=False)

    # -- the best trial -----------------------------------------------------------------------
    @property
    def completed(self) -> tuple[TrialRecord, ...]:
        return tuple(t for t in self.trials if t.state == "complete" and t.value is not None)

    @property
    def best_trial(self) -> TrialRecord:
        done = self.completed
        if not done:
            states = {s: sum(t.state == s for t in self.trials) for s in STATES}
            summary = ", ".join(f"{n} {s}" for s, n in states.items() if n) or "no trials"
            why = next((t.error for t in self.trials if t.error), None)
            raise ValueError(f"the sweep has no completed trial ({summary})"
                             + (f"; first failure: {why}" if why else ""))
        pick = min if self.direction == "minimize" else max
        return pick(done, key=lambda t: t.value)

    @property
    def best_value(self) -> float:
        return float(self.best_trial.value)  # type: ignore[arg-type]

    @property
    def best_config(self) -> dict[str, Any]:
        return dict(self.best_trial.config or {})

    @property
    def best_values(self) -> dict[str, Any]:
        """The best trial's knobs (``family`` included)."""
        t = self.best_trial
        return {"family": t.family, **t.values}

    def best_schedule(self) -> Any:
        from lrkit.config import from_config

        return from_config(self.best_config)

    # -- tables -------------------------------------------------------------------------------
    def table(self) -> list[dict[str, Any]]:
        """One flat row per trial: number, state, value, family, every knob, step, seconds, error."""
        knobs: list[str] = []
        for t in self.trials:
            knobs += [k for k in t.values if k not in knobs]
        rows = []
        for t in self.trials:
            row: dict[str, Any] = {"number": t.number, "state": t.state, "value": t.value,
                                   "family": t.family}
            row.update({k: t.values.get(k) for k in knobs})
            row.update({"step": t.step, "seconds": t.seconds, "error": t.error})
            rows.append(row)
        return rows

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """The table as CSV text (written to ``path`` when given)."""
        rows = self.table()
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if v is None else v) for k, v in r.items()})
        text = buf.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.table())

    # -- figures and reports ------------------------------------------------------------------
    def plot(self, ax: Any = None) -> Any:
        """The metric against the peak rate (log axis), one colour per family; pruned trials are
        hollow at their last reported value; the metric axis is logarithmic when positive values
        span more than three decades. Returns the matplotlib ``Axes``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2))
        families = sorted({t.family for t in self.trials if t.family})
        for i, fam in enumerate(families):
            color = f"C{i}"
            for state, face in (("complete", color), ("pruned", "none")):
                pts = [(t.peak, t.value) for t in self.trials if t.family == fam and t.state == state
                       and t.value is not None and t.peak and math.isfinite(t.value)]
                if pts:
                    x, y = zip(*pts)
                    ax.scatter(x, y, facecolors=face, edgecolors=color, s=28,
                               label=fam if state == "complete" else f"{fam} (pruned)")
        if self.completed:
            b = self.best_trial
            ax.scatter([b.peak], [b.value], marker="*", s=180, color="k", zorder=5, label="best")
        ax.set_xscale("log")
        shown = [t.value for t in self.trials if t.value is not None and math.isfinite(t.value)]
        if shown and min(shown) > 0 and max(shown) > 1e3 * min(shown):
            ax.set_yscale("log")  # a diverged trial would flatten every other point
        ax.set_xlabel("peak learning rate")
        ax.set_ylabel(f"metric ({self.direction})")
        ax.grid(True, which="both", alpha=0.3)
        if families:
            ax.legend(fontsize="small")
        return ax

    def save(self, directory: str | os.PathLike[str]) -> dict[str, Path]:
        """Write the report: ``best.yaml`` (the best config, with its value and knobs as
        comments), ``trials.csv`` and, when matplotlib is installed, ``sweep.png``."""
        from lrkit._files import yaml_dump

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"trials": out / "trials.csv"}
        self.to_csv(paths["trials"])
        if self.completed:
            b = self.best_trial
            head = (f"# best of {len(self.trials)} trials: value {b.value!r} ({self.direction}), "
                    f"trial {b.number}\n# knobs: {json.dumps(self.best_values)}\n")
            paths["best"] = out / "best.yaml"
            paths["best"].write_text(head + yaml_dump(self.best_config), encoding="utf-8")
        try:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError:
            return paths
        ax = self.plot()
        paths["plot"] = out / "sweep.png"
        ax.figure.savefig(paths["plot"], dpi=110, bbox_inches="tight")
        plt.close(ax.figure)
        return paths

    def __repr__(self) -> str:
        counts = {s: sum(t.state == s for t in self.trials) for s in STATES}
        shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        best = f", best {self.best_value:.4g} ({self.best_trial.family})" if self.completed else ""
        return f"SweepResult({len(self.trials)} trials: {shown}{best})"
