"""``optimize``: run a sweep over a space of schedules with Optuna (local) or Ray Tune (cluster).

The objective is ``objective(schedule, report) -> float``: it trains with ``schedule`` (an
lrkit :class:`~lrkit.Schedule` already resolved against the budget: it counts optimizer steps
and ends where the run ends) and returns the metric. ``report(step, value)`` hands an
intermediate metric to the pruner; when the pruner stops the trial, ``report`` raises
:class:`Pruned` (let it propagate). A trial whose objective raises, or returns or reports a
value that is not a finite number, is recorded as failed with the reason, and the sweep goes
on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from lrkit.tune.space import Point, Space, default_space, total_steps
from lrkit.units import Budget

__all__ = ["optimize", "Report", "Pruned", "TrialFailed", "BACKENDS", "prepare"]

BACKENDS = ("optuna", "ray")
DIRECTIONS = ("minimize", "maximize")


class Pruned(Exception):
    """Raised by ``report`` when the pruner stops the trial: the objective lets it propagate."""


class TrialFailed(Exception):
    """A trial that cannot count: a non-finite metric, a value that is not a number."""


def metric(value: Any, what: str) -> float:
    """``value`` as a finite float, else :class:`TrialFailed` saying what it was."""
    if isinstance(value, (bool, str, bytes)):
        raise TrialFailed(f"{what} must be a finite number, got {value!r} ({type(value).__name__})")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TrialFailed(f"{what} must be a finite number, got {value!r} "
                          f"({type(value).__name__})") from None
    if not math.isfinite(v):
        raise TrialFailed(f"{what} is {v}, not a finite number")
    return v


class Report:
    """The ``report(step, value)`` an objective receives.

    Also carries the trial's ``number``, ``point`` (family and knobs), ``config`` (the plain
    config of ``schedule``) and, under Ray's population-based training, ``checkpoint``: the
    state the objective saved with ``report(step, value, checkpoint=...)`` in the trial it
    continues (``None`` for a fresh trial).
    """

    def __init__(self, number: int, point: Point, config: dict[str, Any],
                 sink: Callable[[int, float, Any], bool], checkpoint: Any = None) -> None:
        self.number = number
        self.point = point
        self.config = config
        self.checkpoint = checkpoint
        self.last_step: int | None = None
        self._sink = sink

    def __call__(self, step: int, value: float, *, checkpoint: Any = None) -> None:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise TypeError(f"report: step must be an integer >= 0, got {step!r}")
        v = metric(value, f"report: the value at step {step}")
        self.last_step = step
        if self._sink(step, v, checkpoint):
            raise Pruned(f"pruned at step {step} (value {v:.6g})")


def prepare(space: Space, point: Point, budget: Budget, optimizer: str | None) -> tuple[dict[str, Any], Any]:
    """The config and schedule of ``point``, with ``lrkit check`` run on it: an error there is a
    failed trial (it cannot happen for a space that passed :meth:`Space.check`)."""
    from lrkit.config import from_config
    from lrkit.doctor import check

    config = point.config(budget)
    schedule = from_config(config)
    report = check(schedule, budget=budget, optimizer=optimizer)
    if report.errors:
        raise TrialFailed("lrkit check: " + "; ".join(str(f) for f in report.errors))
    return config, schedule


def optimize(objective: Callable[..., float], space: Space | Mapping[str, Any] | None = None, *,
             budget: Budget | Mapping[str, Any], n_trials: int, backend: str = "optuna",
             storage: Any = None, study_name: str | None = None, direction: str = "minimize",
             pruner: Any = None, seed: int = 0, finder: Any = None, band: float = 3.0,
             sampler: Any = None, timeout: float | None = None,
             callbacks: list[Callable[[Any], None]] | None = None, ray_address: str | None = None,
             scheduler: Any = None, num_cpus: int | None = None,
             resources_per_trial: Mapping[str, float] | None = None,
             max_concurrent: int | None = None, storage_path: str | None = None) -> Any:
    """Search ``space`` for the schedule that gives ``objective`` its best value.

    Args:
        objective: ``objective(schedule, report) -> float`` (see :class:`Report`).
        space: a :class:`~lrkit.tune.Space`, its plain config, or ``None`` for
            :func:`~lrkit.tune.default_space`.
        budget: the run each trial trains for (an :class:`lrkit.Budget` or its config); it must
            give the run's length.
        n_trials: the study's number of trials. With a storage holding the study already, the
            finished ones count: a sweep killed after 7 of 20 trials and started again runs 13
            more (the trial that was running when it died is run again first).
        backend: ``"optuna"`` (in this process, the default) or ``"ray"`` (Ray Tune, locally or on
            the cluster at ``ray_address``).
        storage: Optuna storage, e.g. ``"sqlite:///sweep.db"``: trials are written as they finish
            and the study resumes from them. ``None`` keeps the study in memory.
        study_name: the study's name in ``storage`` (default ``"lrkit-sweep"``).
        direction: ``"minimize"`` (a loss) or ``"maximize"`` (an accuracy).
        pruner: Optuna only: ``"median"`` (the default: stop a trial whose reported value is worse
            than the median of the others at the same step), ``"hyperband"``,
            ``"successive_halving"``, ``"none"``, or an Optuna pruner. Comparing truncated
            runs favours schedules that decay early: see :func:`lrkit.tune.fair.rung_decay`
            and the sweeps guide.
        seed: seeds the sampler (a fixed seed gives the same sequence of points).
        finder: a range test's :class:`lrkit.FinderResult` (or a rate): the peak is searched in
            ``[r / band, r * band]`` around its suggestion :math:`r` instead of the space's range.
        sampler: Optuna only: a sampler to use instead of TPE.
        timeout: stop starting trials after this many seconds.
        callbacks: functions called with each finished :class:`~lrkit.tune.TrialRecord`.
        ray_address: Ray only: the cluster to join (``None``: a local Ray).
        scheduler: Ray only: ``"asha"`` (the default), ``"pbt"``, ``"fifo"`` or a Ray
            ``TrialScheduler`` (see :mod:`lrkit.tune.ray_backend`).
        num_cpus: Ray only: CPUs of the local Ray started when none is running.
        resources_per_trial: Ray only: e.g. ``{"cpu": 4, "gpu": 1}``.
        max_concurrent: Ray only: at most this many trials at once.
        storage_path: Ray only: where Ray Tune keeps its experiment (default: a temporary folder).

    An argument of the other backend is refused (``storage`` with ``backend="ray"``, which keeps
    its state in ``storage_path``; ``scheduler`` with ``backend="optuna"``, ...), never ignored.

    Returns:
        a :class:`~lrkit.tune.SweepResult`.
    """
    o = "optimize"
    if not callable(objective):
        raise TypeError(f"{o}: objective must be a callable objective(schedule, report) -> float, got "
                        f"{objective!r}")
    if space is None:
        space = default_space()
    elif isinstance(space, Mapping):
        space = Space.from_config(space)
    elif not isinstance(space, Space):
        raise TypeError(f"{o}: space must be an lrkit.tune.Space, a mapping or None, got {space!r}")
    if finder is not None:
        space = space.seeded(finder, band=band)
    budget, _ = total_steps(budget, o)
    space.check(budget)
    _budget_consistent(space, budget)
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"{o}: n_trials must be an integer >= 1, got {n_trials!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"{o}: direction must be 'minimize' or 'maximize', got {direction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{o}: seed must be an integer, got {seed!r}")
    if backend not in BACKENDS:
        raise ValueError(f"{o}: backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    other = ({"ray_address": ray_address, "scheduler": scheduler, "num_cpus": num_cpus,
              "resources_per_trial": resources_per_trial, "max_concurrent": max_concurrent,
              "storage_path": storage_path} if backend == "optuna"
             else {"storage": storage, "pruner": pruner, "sampler": sampler})
    given = [k for k, v in other.items() if v is not None]
    if given:
        hint = " (Ray Tune keeps its state in storage_path; its scheduler prunes)" if backend == "ray" else ""
        raise ValueError(f"{o}: {', '.join(given)} {'is' if len(given) == 1 else 'are'} not used by "
                         f"backend={backend!r}{hint}")
    if backend == "optuna":
        from lrkit.tune.optuna_backend import run_optuna

        return run_optuna(objective, space, budget, n_trials=n_trials, storage=storage,
                          study_name=study_name, direction=direction,
                          pruner="median" if pruner is None else pruner, seed=seed,
                          sampler=sampler, timeout=timeout, callbacks=callbacks or [])
    from lrkit.tune.ray_backend import run_ray

    return run_ray(objective, space, budget, n_trials=n_trials, direction=direction, seed=seed,
                   scheduler="asha" if scheduler is None else scheduler, ray_address=ray_address,
                   num_cpus=num_cpus, resources_per_trial=resources_per_trial,
                   max_concurrent=max_concurrent, storage_path=storage_path, study_name=study_name,
                   timeout=timeout, callbacks=callbacks or [])


def _budget_consistent(space: Space, budget: Budget) -> None:
    """A budget that contradicts itself is refused before any trial (``lrkit check``'s
    ``budget-inconsistent`` error)."""
    from lrkit.budget_check import budget_findings

    point = space.point(space.families[0])
    bad = [f for f in budget_findings(point.schedule(budget), budget) if f.severity == "error"]
    if bad:
        raise ValueError("optimize: budget: " + "; ".join(f.message for f in bad))
