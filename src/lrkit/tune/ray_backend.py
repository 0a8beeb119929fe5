"""The cluster backend: Ray Tune (imported only when used).

``optimize(..., backend="ray")`` runs the same space with Ray Tune on this machine or on the
cluster at ``ray_address``:

* ``scheduler="asha"`` (default): Optuna's TPE inside Ray (``OptunaSearch``, define-by-run, so
  families and their conditional knobs stay conditional) and the ASHA early-stopping scheduler
  fed by ``report(step, value)``;
* ``scheduler="pbt"``: population-based training. ``n_trials`` points are drawn from the space;
  every ``perturbation_interval`` steps the worst quarter of the population copies a better
  trial's checkpoint and continues with its peak multiplied by 0.8 or 1.2. The objective saves
  its state with ``report(step, value, checkpoint=state)`` and, when ``report.checkpoint`` is
  set, continues from it (``state`` is any picklable object; storing the step in it lets the
  objective continue from the same step). Because a point's schedule is linear in its peak
  (:mod:`lrkit.tune.knobs`), the continued run follows the new curve from the same step with no
  jump other than the peak change: :math:`s'(t) = (p'/p)\\, s(t)`;
* ``scheduler="fifo"`` or any Ray ``TrialScheduler``.

Each trial's metric is reported as ``value`` with the step as ``lrkit_t`` (the final value at
``total + 1`` so that a report at the last step is never mistaken for the end).
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from lrkit.tune.result import SweepResult, TrialRecord
from lrkit.tune.run import Pruned, Report, TrialFailed, metric, prepare
from lrkit.tune.space import Point, Space
from lrkit.units import Budget

__all__ = ["run_ray", "SCHEDULERS"]

SCHEDULERS = ("asha", "pbt", "fifo")
_STATE_FILE = "lrkit_state.pkl"


def _init(ray_address: str | None, num_cpus: int | None) -> None:
    import ray

    if ray.is_initialized():
        return
    if ray_address is not None:
        try:
            ray.init(address=ray_address, log_to_driver=False)
        except Exception as exc:
            raise ValueError(f"optimize: ray_address {ray_address!r} cannot be reached: {exc}") from None
        return
    # local: the workers see this process's import path (objectives defined in scripts or tests)
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": env})


def _scheduler(scheduler: Any, total: int, space: Space) -> Any:
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, PopulationBasedTraining, TrialScheduler

    if isinstance(scheduler, TrialScheduler):
        return scheduler
    if scheduler == "asha":
        return ASHAScheduler(time_attr="lrkit_t", max_t=total + 1, grace_period=max(1, total // 10),
                             reduction_factor=3)
    if scheduler == "fifo" or scheduler is None:
        return FIFOScheduler()
    if scheduler == "pbt":
        from ray import tune

        lo = min(space.dists(f)["peak"].bounds[0] for f in space.families)
        hi = max(space.dists(f)["peak"].bounds[1] for f in space.families)
        return PopulationBasedTraining(time_attr="lrkit_t", perturbation_interval=max(1, total // 4),
                                       hyperparam_mutations={"peak": tune.loguniform(lo, hi)},
                                       resample_probability=0.0)
    raise ValueError(f"optimize: scheduler must be one of {', '.join(map(repr, SCHEDULERS))} or a Ray "
                     f"TrialScheduler, got {scheduler!r}")


def _point(space: Space, config: Mapping[str, Any], points: list[Point] | None) -> Point:
    if points is not None:  # PBT: a drawn point whose peak the scheduler may have mutated
        base = points[int(config["lrkit_index"])]
        return Point(base.family, {**base.values, "peak": float(config["peak"])})
    return space.point_from_params(config)


class _Define:
    """Optuna's define-by-run space for ``OptunaSearch`` (a class: Ray pickles its searcher)."""

    def __init__(self, space: Space) -> None:
        self.space = space

    def __call__(self, trial: Any) -> None:
        from lrkit.tune.optuna_backend import OptunaSuggest

        self.space.sample(OptunaSuggest(trial))


def _trainable(objective: Callable[..., float], space: Space, budget: Budget, total: int,
               points: list[Point] | None) -> Callable[[dict[str, Any]], None]:
    def run(config: dict[str, Any]) -> None:
        from ray import tune

        point = _point(space, config, points)
        cfg, schedule = prepare(space, point, budget, space.optimizer)
        restored = None
        ckpt = tune.get_checkpoint()
        if ckpt is not None:
            with ckpt.as_directory() as d, open(os.path.join(d, _STATE_FILE), "rb") as fh:
                restored = pickle.load(fh)

        def sink(step: int, value: float, state: Any) -> bool:
            checkpoint = None
            if state is not None:
                d = tempfile.mkdtemp(prefix="lrkit-ckpt-")
                with open(os.path.join(d, _STATE_FILE), "wb") as fh:
                    pickle.dump(state, fh)
                checkpoint = tune.Checkpoint.from_directory(d)
            tune.report({"value": value, "lrkit_t": step}, checkpoint=checkpoint)
            return False  # Ray stops a trial itself: report never raises Pruned here

        report = Report(tune.get_context().get_trial_id() or 0, point, cfg, sink, checkpoint=restored)
        try:
            value = metric(objective(schedule, report), "the objective's return value")
        except Pruned:  # pragma: no cover - only Optuna's pruner raises it
            return
        tune.report({"value": value, "lrkit_t": total + 1, "lrkit_final": 1})

    return run


def _record(number: int, result: Any, space: Space, budget: Budget, total: int,
            points: list[Point] | None) -> TrialRecord:
    metrics = result.metrics or {}
    config = result.config or {}
    point = _point(space, config, points)
    try:
        cfg = point.config(budget)
    except (ValueError, TypeError):  # pragma: no cover - a trial Ray never started
        cfg = None
    error = None
    if result.error is not None:
        state, value = "failed", None
        text = str(result.error).strip().splitlines()
        error = next((ln.strip() for ln in reversed(text) if ln.strip()), repr(result.error))
        for cls in (TrialFailed, ValueError, RuntimeError, TypeError):  # the objective's own words
            tag = f"{cls.__name__}: "
            if tag in error:
                error = error[error.index(tag) + (len(tag) if cls is TrialFailed else 0):]
                break
    elif metrics.get("lrkit_final"):
        state, value = "complete", metrics.get("value")
    else:
        state, value = "pruned", metrics.get("value")
    step = metrics.get("lrkit_t")
    if step is not None:
        step = min(int(step), total)
    seconds = metrics.get("time_total_s")
    return TrialRecord(number=number, state=state, value=value, family=point.family, values=point.values,
                       config=cfg, error=error, step=step, seconds=seconds)


def run_ray(objective: Callable[..., float], space: Space, budget: Budget, *, n_trials: int,
            direction: str, seed: int, scheduler: Any, ray_address: str | None, num_cpus: int | None,
            resources_per_trial: Mapping[str, float] | None, max_concurrent: int | None,
            storage_path: str | None, study_name: str | None, timeout: float | None,
            callbacks: list[Callable[[TrialRecord], None]]) -> SweepResult:
    try:
        from ray import tune
    except ImportError as exc:
        raise ImportError(f"optimize: backend='ray' needs Ray Tune: pip install 'ray[tune]' ({exc})") \
            from None
    from lrkit.tune.space import total_steps

    _, total = total_steps(budget)
    sched = _scheduler(scheduler, total, space)
    mode = "min" if direction == "minimize" else "max"
    points: list[Point] | None = None
    from ray.tune.schedulers import PopulationBasedTraining

    if isinstance(sched, PopulationBasedTraining):
        points = space.random(n_trials, seed=seed)
        param_space: dict[str, Any] = {"lrkit_index": tune.grid_search(list(range(n_trials))),
                                       "peak": tune.sample_from(
                                           lambda spec: points[spec.config["lrkit_index"]].values["peak"])}
        search_alg, num_samples = None, 1
    else:
        from ray.tune.search.optuna import OptunaSearch

        search_alg = OptunaSearch(space=_Define(space), metric="value", mode=mode, seed=seed)
        param_space, num_samples = {}, n_trials
    _init(ray_address, num_cpus)
    trainable: Any = _trainable(objective, space, budget, total, points)
    if resources_per_trial is not None:
        trainable = tune.with_resources(trainable, dict(resources_per_trial))
    done: list[int] = []

    class _Progress(tune.Callback):
        def _tell(self, trial: Any) -> None:
            if not callbacks:
                return
            from types import SimpleNamespace

            res = SimpleNamespace(metrics=trial.last_result, config=trial.config,
                                  error=trial.error_file and "the trial raised (see its error file)")
            rec = _record(len(done), res, space, budget, total, points)
            done.append(1)
            for cb in callbacks:
                cb(rec)

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self._tell(trial)

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self._tell(trial)

    tuner = tune.Tuner(
        trainable, param_space=param_space,
        tune_config=tune.TuneConfig(metric="value", mode=mode, search_alg=search_alg, scheduler=sched,
                                    num_samples=num_samples, max_concurrent_trials=max_concurrent,
                                    time_budget_s=timeout, reuse_actors=True),
        run_config=tune.RunConfig(name=study_name or "lrkit-sweep", verbose=0, callbacks=[_Progress()],
                                  storage_path=storage_path or tempfile.mkdtemp(prefix="lrkit-ray-")))
    grid = tuner.fit()
    results = [grid[i] for i in range(len(grid))]
    records = tuple(_record(i, r, space, budget, total, points) for i, r in enumerate(results))
    return SweepResult(records, direction, budget=budget, space=space, backend=grid)
