"""Scaling the learning rate with the batch size, and Goyal et al.'s gradual warmup, in one call.

A rate tuned at a reference batch :math:`B_0` is moved to a global batch :math:`B` by

.. math::

    k = \\begin{cases} B / B_0 & \\text{linear (Goyal et al. 2017; SGD)} \\\\
        \\sqrt{B / B_0} & \\text{sqrt (Adam-type optimizers; Hoffer et al. 2017)} \\end{cases}
    \\qquad \\eta_B = k\\, \\eta_{B_0}

and, for large :math:`k`, reached by a gradual warmup that climbs linearly from the unscaled
rate to the scaled one over :math:`W` steps (Goyal et al. use 5 epochs), laid over the first
:math:`W` steps of the schedule:

.. math:: s(t) = k\\, r(t) \\cdot \\big(\\tfrac1k + (1 - \\tfrac1k) \\min(t / W, 1)\\big)
          = r(t)\\,\\big(1 + (k - 1)\\min(t/W, 1)\\big)

with :math:`r` the schedule written for the reference batch (a constant :math:`\\eta_{B_0}`
when a number is given). :math:`B` is the *global* batch: per-device batch times gradient
accumulation times world size (:attr:`lrkit.Budget.global_batch`).
"""

from __future__ import annotations

import math
from typing import Any

from lrkit import _check
from lrkit._registry import register
from lrkit.compose import Product, Scale, Warmup
from lrkit.schedule import Schedule
from lrkit.schedules.basic import Constant

__all__ = ["scale_lr", "scale_factor", "RULES"]

RULES = ("linear", "sqrt")
_OWNER = "scale_lr"


def scale_factor(batch_size: float, *, reference_batch: float = 256, rule: str = "linear") -> float:
    """The multiplier :math:`k` of the scaling rule (``B / B0`` or ``sqrt(B / B0)``)."""
    b = _check.positive("batch_size", batch_size, _OWNER)
    b0 = _check.positive("reference_batch", reference_batch, _OWNER)
    _check.choice("rule", rule, RULES, _OWNER)
    ratio = b / b0
    return ratio if rule == "linear" else math.sqrt(ratio)


def scale_lr(base_lr: float | Schedule, batch_size: float, *, reference_batch: float = 256,
             rule: str = "linear", warmup: float = 0) -> Any:
    """The rate (or schedule) for global batch ``batch_size``, tuned at ``reference_batch``.

    .. math:: \\eta_B = k\\,\\eta_{B_0}, \\qquad k = B/B_0 \\ (\\text{linear}) \\text{ or }
              \\sqrt{B/B_0} \\ (\\text{sqrt})

    Args:
        base_lr: the rate tuned at ``reference_batch``: a number, or an lrkit schedule written
            for the reference batch (its every value is scaled).
        batch_size: the global batch :math:`B` of the run (all devices, all micro-batches).
        reference_batch: :math:`B_0`, the batch ``base_lr`` was tuned at (Goyal et al.: 256).
        rule: ``"linear"`` (SGD with momentum) or ``"sqrt"`` (Adam-type).
        warmup: Goyal et al.'s gradual warmup length :math:`W` in optimizer steps (a config may
            write ``"5 epochs"`` with a budget): the rate climbs linearly from the unscaled
            :math:`r(t)` to :math:`k\\,r(t)` over the first :math:`W` steps,
            :math:`s(t) = r(t)\\,(1 + (k - 1)\\min(t/W, 1))`.

    Returns:
        A float when ``base_lr`` is a number and ``warmup`` is 0, else an lrkit
        :class:`~lrkit.Schedule` (plot it, check it, drive an optimizer with it; its
        ``to_config()`` round-trips).

    Raises:
        ValueError / TypeError: a non-positive batch or reference batch, an unknown rule, a
            negative warmup, a base rate that is neither a number >= 0 nor a schedule.
    """
    k = scale_factor(batch_size, reference_batch=reference_batch, rule=rule)
    w = _check.non_negative("warmup", warmup, _OWNER)
    if isinstance(base_lr, Schedule):
        base: Schedule | float = base_lr
    else:
        base = _check.non_negative("base_lr", base_lr, _OWNER)
        if w == 0:
            return base * k
    sched = base if isinstance(base, Schedule) else Constant(base)
    scaled = Scale(sched, k)
    if w == 0:
        return scaled
    # the ramp 1/k -> 1 over W steps, laid over the schedule's first W steps (prefix=False)
    ramp = Warmup(Constant(1.0), w, start=1.0 / k, prefix=False)
    return Product((scaled, ramp))


def _from_config(base_lr: Any, batch_size: float, reference_batch: float = 256,
                 rule: str = "linear", warmup: float = 0) -> Schedule:
    """``{"type": "scale_lr", "base_lr": 0.1 or {schedule}, "batch_size": 1024, ...}``: always a
    schedule, so it can stand wherever a config expects one."""
    out = scale_lr(base_lr, batch_size, reference_batch=reference_batch, rule=rule, warmup=warmup)
    return out if isinstance(out, Schedule) else Constant(out)


_from_config.__lrkit_durations__ = ("warmup",)  # type: ignore[attr-defined]
_from_config.__doc__ = scale_lr.__doc__
register("scale_lr", _from_config)
