"""Guard for frameworks with no per-group optimizer rate: a *relative* schedule is refused.

A schedule ported with the optimizer left out (``get_scheduler("cosine", num_warmup_steps=...,
num_training_steps=...)`` with no optimizer, timm's or DeepSpeed's factories, torch's classes
without ``lr=``) is relative (:mod:`lrkit.compat._rate`): its values are multipliers
:math:`\\lambda(t)` of an optimizer's own rate, peaking near 1. The PyTorch driver multiplies
each param group's initial rate; optax and Keras take the schedule *as* the rate, so a relative
schedule there would train at rate :math:`\\approx 1`. They get it absolute instead:
``schedule.for_rate(peak)`` or the factory with ``lr=``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_relative", "require_absolute"]


def is_relative(schedule: Any) -> bool:
    """``schedule`` takes its rate from an optimizer (``relative=True``), also inside a plateau
    part (:class:`lrkit.plateau.OnPlateau`)."""
    from lrkit.plateau import OnPlateau

    if isinstance(schedule, OnPlateau):
        return is_relative(schedule.schedule)
    return getattr(schedule, "relative", False) is True and callable(getattr(schedule, "for_rate", None))


def require_absolute(schedule: Any, *, argument: str, owner: str) -> None:
    """Raise ``ValueError`` naming ``argument`` when ``schedule`` is relative."""
    if is_relative(schedule):
        raise ValueError(
            f"{owner}: {argument} is a relative schedule ({type(schedule).__name__} built without "
            "lr= or from an optimizer: its values multiply an optimizer's rate and peak near 1), "
            "but here the schedule is the rate itself. Give it the rate: schedule.for_rate(PEAK), "
            "or build it with lr=PEAK (e.g. get_scheduler(name, lr=PEAK, ...)).")
