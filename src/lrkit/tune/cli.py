"""``lrkit sweep``: run a schedule sweep from the command line.

::

    lrkit sweep train.py:objective --space space.yaml --trials 20 --storage sqlite:///sweep.db

``train.py:objective`` names a function ``objective(schedule, report) -> float`` in a file (or
``package.module:objective``). The space file holds the space (see :mod:`lrkit.tune.space`) and
may hold the run's ``budget:``; ``--budget total_steps=3000`` gives or overrides it. A progress
bar follows the trials; the report directory (``--out``) receives ``best.yaml`` (the best
config, loadable with ``lrkit.load``), ``trials.csv`` and ``sweep.png``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["add_parser", "cmd_sweep", "load_objective"]

HELP = "search schedules for the best metric (Optuna locally, Ray Tune on a cluster)"


def add_parser(sub: Any) -> None:
    """Register ``sweep`` on the ``lrkit`` command's subparsers."""
    p = sub.add_parser("sweep", help=HELP, description=HELP)
    p.add_argument("objective", metavar="FILE.py:FUNCTION",
                   help="the objective(schedule, report) -> float, in a file or module:function")
    p.add_argument("--space", help="the search space (.yaml/.json/.toml); default: lrkit's "
                   "recommended space (lrkit.tune.default_space)")
    p.add_argument("--trials", type=int, default=20, help="trials in the study (default 20; a "
                   "resumed study counts the ones it has)")
    p.add_argument("--storage", help="Optuna storage URL, e.g. sqlite:///sweep.db (resumable)")
    p.add_argument("--study-name", help="the study's name in the storage (default lrkit-sweep)")
    p.add_argument("--budget", metavar="K=V,...", help="the run each trial trains for, e.g. "
                   "total_steps=3000 or steps_per_epoch=100,epochs=10 (default: the space file's "
                   "budget)")
    p.add_argument("--direction", choices=("minimize", "maximize"), default="minimize")
    p.add_argument("--pruner", choices=("median", "hyperband", "successive_halving", "none"),
                   help="Optuna's pruner (default median); with --backend ray, ASHA prunes")
    p.add_argument("--optimizer", help="for the default space: sgd, adamw, ... (sets the peak range)")
    p.add_argument("--finder", metavar="RESULT.json", help="a range test's result "
                   "(FinderResult.to_dict() as JSON): seeds the peak around its suggestion")
    p.add_argument("--band", type=float, default=3.0, help="with --finder: search peak/band .. "
                   "peak*band (default 3)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed (default 0)")
    p.add_argument("--backend", choices=("optuna", "ray"), default="optuna")
    p.add_argument("--ray-address", help="with --backend ray: the cluster to join (default: local)")
    p.add_argument("--out", default="lrkit-sweep", help="report directory (default ./lrkit-sweep)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep, takes_spec=False)


def _usage(message: str) -> Exception:
    from lrkit.cli import UsageError

    return UsageError(message)


def load_objective(target: str) -> Callable[..., float]:
    """The function ``target`` names: ``path/to/file.py:name`` or ``package.module:name``."""
    where, sep, attr = target.rpartition(":")
    if not sep or not where or not attr:
        raise _usage(f"objective must look like train.py:objective or module:objective, got {target!r}")
    if where.endswith(".py") or os.sep in where or "/" in where:
        if not os.path.isfile(where):
            raise _usage(f"objective: file not found: {where!r}")
        path = os.path.abspath(where)
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        spec = importlib.util.spec_from_file_location("_lrkit_sweep_objective", path)
        if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
            raise _usage(f"objective: cannot import {where!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # pickling by Ray finds it here
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise _usage(f"objective: cannot import module {where!r}: {exc}") from None
    fn = getattr(module, attr, None)
    if fn is None:
        names = [n for n in vars(module) if callable(getattr(module, n)) and not n.startswith("_")]
        raise _usage(f"objective: {where} has no {attr!r} (its functions: {', '.join(names) or 'none'})")
    if not callable(fn):
        raise _usage(f"objective: {where}:{attr} is not callable ({type(fn).__name__})")
    return fn


class _Progress:
    """A tqdm bar when tqdm is installed, else one line per trial on stderr."""

    def __init__(self, total: int, direction: str, enabled: bool) -> None:
        self.direction, self.best, self.enabled, self.total = direction, None, enabled, total
        self.bar: Any = None
        self.started = False

    def _start(self) -> None:  # at the first finished trial: no bar for a sweep that fails early
        self.started = True
        if self.enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=self.total, desc="sweep", unit="trial", file=sys.stderr)
            except ImportError:
                pass

    def __call__(self, rec: Any) -> None:
        if not self.started:
            self._start()
        if rec.state == "complete" and rec.value is not None:
            better = (self.best is None or (rec.value < self.best if self.direction == "minimize"
                                            else rec.value > self.best))
            if better:
                self.best = rec.value
        text = f"best {self.best:.4g}" if self.best is not None else "no result yet"
        if self.bar is not None:
            self.bar.set_postfix_str(text)
            self.bar.update(1)
        elif self.enabled:
            print(f"trial {rec.number}: {rec.state} {rec.family} "
                  f"{'' if rec.value is None else f'{rec.value:.4g} '}({text})", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_sweep(args: argparse.Namespace) -> int:
    import json

    from lrkit.config import load_config
    from lrkit.tune.run import optimize
    from lrkit.tune.space import Space, default_space

    objective = load_objective(args.objective)
    budget = args.budget
    if args.space:
        data = load_config(args.space)
        file_budget = data.pop("budget", None)
        if args.optimizer is not None and "optimizer" not in data:
            data["optimizer"] = args.optimizer
        space = Space.from_config(data, _where=args.space)
        if budget is None and file_budget is not None:
            from lrkit.units import Budget

            if not isinstance(file_budget, dict):
                raise _usage(f"{args.space}: budget must be a mapping such as {{total_steps: 3000}}, "
                             f"got {file_budget!r}")
            budget = Budget.from_config(file_budget)
    else:
        space = default_space(args.optimizer)
    if budget is None:
        raise _usage("the run's length is unknown: pass --budget total_steps=N (or "
                     "steps_per_epoch=..,epochs=..), or write budget: in the space file")
    finder = None
    if args.finder:
        from lrkit.finder import FinderResult

        try:
            with open(args.finder, encoding="utf-8") as fh:
                finder = FinderResult.from_dict(json.load(fh))
        except (OSError, ValueError, KeyError) as exc:
            raise _usage(f"--finder: cannot read a range test's result from {args.finder!r}: {exc}") \
                from None
    if args.trials < 1:
        raise _usage(f"--trials must be >= 1, got {args.trials}")
    progress = _Progress(args.trials, args.direction, not args.no_progress)
    try:
        result = optimize(objective, space, budget=budget, n_trials=args.trials, backend=args.backend,
                          storage=args.storage, study_name=args.study_name, direction=args.direction,
                          pruner=args.pruner, seed=args.seed, finder=finder, band=args.band,
                          callbacks=[progress], ray_address=args.ray_address)
    finally:
        progress.close()
    paths = result.save(args.out)
    print(repr(result))
    for what, path in paths.items():
        print(f"{what}: {path}")
    if not result.completed:
        print("no trial completed: see the error column of trials.csv", file=sys.stderr)
        return 1
    print(f"best value: {result.best_value:.6g} ({result.best_trial.family})")
    print(json.dumps(result.best_config))
    return 0
