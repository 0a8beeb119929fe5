"""Fair rungs: comparing truncated runs without penalising schedules that decay late.

A pruner compares trials by the metric they report at the same step :math:`r` (a *rung*). A
cosine over :math:`T` steps has barely decayed at :math:`r = 0.3\\,T`, a one-cycle is still
near its peak, a warmup-stable-decay run has not decayed at all: their metric at the rung is
the metric of an undecayed model, while a schedule that decays early looks better there than it
ends. Warmup-stable-decay has a fair answer (Hägele et al. 2024): at the rung, branch off a
short decay from the stable phase and evaluate the branch; the main run continues on the
stable phase. :func:`rung_decay` gives the branch's schedule:

.. math:: s_r(t) = \\text{wsd}\\big(t;\\ T' = r + D_r,\\ D' = D_r\\big), \\qquad
          D_r = \\max\\big(1, \\operatorname{round}(D\\, r / T)\\big)

-- the same warmup, peak, floor and decay shape, with a decay that takes the same fraction of
the run so far as the full decay :math:`D` takes of the full run :math:`T`. Before :math:`r` it
equals the original schedule step for step, so the branch starts from the model as it is.
For the other families there is no such branch: prune only at the end (``pruner="none"``), or
accept the bias towards early decay (documented in the sweeps guide, measured in
``benchmarks/bench_tune_fairness.py``).
"""

from __future__ import annotations

import dataclasses

from lrkit import _check
from lrkit.schedules.wsd import WarmupStableDecay

__all__ = ["rung_decay", "branch_steps"]


def branch_steps(schedule: WarmupStableDecay, at: float) -> int:
    """:math:`D_r = \\max(1, \\operatorname{round}(D\\, r / T))`, the branch's decay length."""
    return max(1, round(schedule.decay_steps * float(at) / schedule.total))


def rung_decay(schedule: WarmupStableDecay, at: int, steps: int | None = None) -> WarmupStableDecay:
    """The schedule of a branch that decays from the stable phase at step ``at``.

    The branch runs from step ``at`` to ``at + steps`` (``steps`` defaults to
    :func:`branch_steps`) and equals ``schedule`` before ``at``. ``at`` must lie in the stable
    phase: after the warmup and before the schedule's own decay starts.
    """
    o = "rung_decay"
    if not isinstance(schedule, WarmupStableDecay):
        raise TypeError(f"{o}: schedule must be a warmup-stable-decay schedule (lrkit.WarmupStableDecay, "
                        f"the 'wsd' family), got {type(schedule).__name__}: for other families prune "
                        "only at the end (pruner='none') or accept the bias towards early decay")
    at = _check.integer("at", at, o, minimum=1)
    if not schedule.warmup_steps <= at <= schedule.decay_start:
        raise ValueError(f"{o}: at must lie in the stable phase [{schedule.warmup_steps:g}, "
                         f"{schedule.decay_start:g}], got {at}")
    d = branch_steps(schedule, at) if steps is None else _check.integer("steps", steps, o, minimum=1)
    return dataclasses.replace(schedule, total=float(at + d), decay_steps=float(d))
