"""The local backend: an Optuna study in this process (imported only when used).

Each trial records, as user attributes, the family, the knobs, the config it ran with, the
process that ran it and, on failure, the reason. A study in a storage keeps the space it was
started with: resuming it with another space, budget or direction is refused. A trial left
*running* by a process that died (killed, out of memory) is marked failed with the reason
``interrupted`` and tried again first; it does not count towards ``n_trials``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from lrkit.tune.result import SweepResult, TrialRecord
from lrkit.tune.run import Pruned, Report, TrialFailed, metric, prepare
from lrkit.tune.space import Space
from lrkit.units import Budget

__all__ = ["run_optuna", "OptunaSuggest", "make_pruner", "PRUNERS", "records"]

PRUNERS = ("median", "hyperband", "successive_halving", "none")
DEFAULT_STUDY = "lrkit-sweep"
_INTERRUPTED = "interrupted: the process running this trial ended before it finished"


class OptunaSuggest:
    """A space's draws through an Optuna trial."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial

    def float(self, name: str, low: float, high: float, log: bool) -> float:
        return float(self.trial.suggest_float(name, low, high, log=log))

    def int(self, name: str, low: int, high: int, log: bool) -> int:
        return int(self.trial.suggest_int(name, low, high, log=log))

    def choice(self, name: str, options: list[Any]) -> Any:
        return self.trial.suggest_categorical(name, options)


def make_pruner(pruner: Any) -> Any:
    import optuna

    if pruner is None or pruner == "none":
        return optuna.pruners.NopPruner()
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=0)
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner()
    if pruner == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    raise ValueError(f"optimize: pruner must be one of {', '.join(map(repr, PRUNERS))} or an Optuna "
                     f"pruner, got {pruner!r}")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Optuna's per-trial INFO lines off for the sweep (lrkit reports progress itself)."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _open_storage(storage: Any) -> Any:
    import optuna

    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if not isinstance(storage, str):
        raise TypeError(f"optimize: storage must be a database URL such as 'sqlite:///sweep.db', an "
                        f"Optuna storage or None, got {storage!r}")
    if "://" not in storage:
        raise ValueError(f"optimize: storage must be a database URL such as 'sqlite:///sweep.db', "
                         f"got {storage!r}")
    try:
        return optuna.storages.RDBStorage(storage)
    except Exception as exc:  # sqlalchemy's errors, a missing driver, a directory that is not there
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"optimize: storage {storage!r} cannot be opened: {detail}") from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


def _recover(study: Any) -> None:
    """Trials this machine left running from a process that is gone: failed, and queued again."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = t.user_attrs
        pid = attrs.get("lrkit_pid")
        if attrs.get("lrkit_host") != host or not isinstance(pid, int) or _alive(pid):
            continue
        storage, tid = study._storage, t._trial_id
        storage.set_trial_user_attr(tid, "error", _INTERRUPTED)
        storage.set_trial_state_values(tid, TrialState.FAIL)
        if t.params:
            study.enqueue_trial(t.params, user_attrs={"lrkit_retry_of": t.number})


def _counted(study: Any) -> int:
    from optuna.trial import TrialState

    done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    return sum(1 for t in study.get_trials(deepcopy=False, states=done)
               if t.user_attrs.get("error") != _INTERRUPTED)


def _same_study(study: Any, space: Space, budget: Budget, direction: str, name: str) -> None:
    want = {"lrkit_space": json.dumps(space.to_config(), sort_keys=True),
            "lrkit_budget": json.dumps(budget.to_config(), sort_keys=True)}
    have = study.user_attrs
    for key, what in (("lrkit_space", "space"), ("lrkit_budget", "budget")):
        if key in have and have[key] != want[key]:
            raise ValueError(f"optimize: the study {name!r} in this storage was started with another "
                             f"{what} ({have[key]}); resume it with the same one or pick a new "
                             f"study_name")
        study.set_user_attr(key, want[key])
    got = study.direction.name.lower()
    if got != direction:
        raise ValueError(f"optimize: the study {name!r} in this storage was started with "
                         f"direction={got!r}, got direction={direction!r}")


def record(t: Any) -> TrialRecord:
    """A finished (or running) Optuna trial as a :class:`TrialRecord`."""
    state = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running",
             "WAITING": "waiting"}.get(t.state.name, t.state.name.lower())
    attrs = t.user_attrs
    value = t.value if t.state.name == "COMPLETE" else None
    step = t.last_step
    if state == "pruned" and step is not None:
        value = t.intermediate_values.get(step)
    seconds = None
    if t.datetime_start is not None and t.datetime_complete is not None:
        seconds = (t.datetime_complete - t.datetime_start).total_seconds()
    return TrialRecord(number=t.number, state=state, value=value, family=attrs.get("family"),
                       values=dict(attrs.get("values", {})), config=attrs.get("config"),
                       error=attrs.get("error"), step=step, seconds=seconds)


def records(study: Any) -> tuple[TrialRecord, ...]:
    return tuple(record(t) for t in study.get_trials(deepcopy=False))


def run_optuna(objective: Callable[..., float], space: Space, budget: Budget, *, n_trials: int,
               storage: Any, study_name: str | None, direction: str, pruner: Any, seed: int,
               sampler: Any, timeout: float | None,
               callbacks: list[Callable[[TrialRecord], None]]) -> SweepResult:
    import optuna

    name = DEFAULT_STUDY if study_name is None else study_name
    if not isinstance(name, str) or not name:
        raise ValueError(f"optimize: study_name must be a non-empty string, got {study_name!r}")
    store = _open_storage(storage)
    the_pruner = make_pruner(pruner)
    sampler = sampler if sampler is not None else optuna.samplers.TPESampler(seed=seed)
    host, pid = socket.gethostname(), os.getpid()

    def trial_fn(trial: Any) -> float:
        trial.set_user_attr("lrkit_host", host)
        trial.set_user_attr("lrkit_pid", pid)
        try:
            point = space.sample(OptunaSuggest(trial))
            trial.set_user_attr("family", point.family)
            trial.set_user_attr("values", point.values)
            config, schedule = prepare(space, point, budget, space.optimizer)
            trial.set_user_attr("config", config)

            def sink(step: int, value: float, checkpoint: Any) -> bool:
                trial.report(value, step)
                return bool(trial.should_prune())

            report = Report(trial.number, point, config, sink)
            return metric(objective(schedule, report), "the objective's return value")
        except (Pruned, optuna.TrialPruned):
            raise optuna.TrialPruned() from None
        except Exception as exc:
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}" if not isinstance(exc, TrialFailed)
                                else str(exc))
            raise
        except BaseException as exc:  # KeyboardInterrupt: the sweep stops, the reason stays
            trial.set_user_attr("error", f"{type(exc).__name__}: the sweep was interrupted")
            raise

    def after(study: Any, frozen: Any) -> None:
        rec = record(frozen)
        for cb in callbacks:
            cb(rec)

    with _quiet():
        try:
            study = optuna.create_study(storage=store, sampler=sampler, pruner=the_pruner,
                                        study_name=name, direction=direction, load_if_exists=True)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"optimize: storage {storage!r} cannot be used: {exc}") from None
        _same_study(study, space, budget, direction, name)
        _recover(study)
        left = n_trials - _counted(study)
        if left > 0:
            study.optimize(trial_fn, n_trials=left, timeout=timeout, catch=(Exception,),
                           callbacks=[after])
    return SweepResult(records(study), direction, budget=budget, space=space, backend=study)
