"""Budgets that contradict themselves or the schedule they drive (part of ``lrkit check``).

A budget says how many optimizer steps the run has; it can say it twice, and the two can
disagree:

.. math::

    T_{\\text{given}} \\ne \\lfloor E \\cdot S \\rfloor, \\qquad
    S_{\\text{given}} \\ne \\max\\Big(\\Big\\lfloor \\big\\lceil N / (b\\, W) \\big\\rceil / A
        \\Big\\rfloor, 1\\Big)

(:math:`T` total steps, :math:`E` epochs, :math:`S` steps per epoch, :math:`N` data set size,
:math:`b` per-device batch, :math:`W` world size, :math:`A` gradient accumulation; ``drop_last``
floors instead of ceiling). Against the schedule, a budget contradicts it when a phase change
(a decay boundary, the end of a warmup) lies at or after the run's last step: that change never
happens. The schedule's designed length against the run's is the doctor's
``length-mismatch``.
"""

from __future__ import annotations

import dataclasses
import math

from lrkit.schedule import Schedule
from lrkit.units import Budget

__all__ = ["budget_findings"]


def _derived_steps_per_epoch(budget: Budget) -> int | None:
    if budget.dataset_size is None or budget.batch_size is None:
        return None
    return dataclasses.replace(budget, steps_per_epoch=None).resolved_steps_per_epoch()


def budget_findings(schedule: Schedule, budget: Budget, run: int | None = None) -> list:
    """``budget-inconsistent`` (error) and ``change-after-end`` (warning) findings.

    ``run`` is the run's length in steps (default: the budget's total).
    """
    from lrkit.doctor import Finding

    out = []
    spe = budget.steps_per_epoch
    derived = _derived_steps_per_epoch(budget)
    if spe is not None and derived is not None and spe != derived:
        out.append(Finding(
            "error", "budget-inconsistent",
            f"the budget gives steps_per_epoch={spe}, but dataset_size={budget.dataset_size}, "
            f"batch_size={budget.batch_size}, world_size={budget.world_size} and grad_accum="
            f"{budget.grad_accum} make {derived} optimizer steps per epoch (Budget.from_loader "
            f"reads the real count from the DataLoader)"))
    if budget.total_steps is not None and budget.epochs is not None:
        per = budget.resolved_steps_per_epoch()
        if per is not None:
            from_epochs = int(math.floor(budget.epochs * per + 1e-9))
            if from_epochs != budget.total_steps:
                out.append(Finding(
                    "error", "budget-inconsistent",
                    f"the budget gives total_steps={budget.total_steps}, but epochs="
                    f"{budget.epochs:g} x {per} steps per epoch = {from_epochs} steps"))
    end = run if run is not None else budget.resolved_total_steps()
    if end is not None:
        late = [b for b in schedule.phase_boundaries() if b >= end]
        if late:
            shown = ", ".join(f"{b:g}" for b in late[:5]) + (" ..." if len(late) > 5 else "")
            out.append(Finding(
                "warning", "change-after-end",
                f"the schedule changes phase at step(s) {shown}, at or after the run's end "
                f"(step {end}): those changes never happen", float(late[0])))
    return out
