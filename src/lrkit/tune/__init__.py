"""Schedule sweeps: the schedule as the search space.

``lrkit.tune`` searches over lrkit schedule configs -- families, log-uniform peaks, warmup and
decay lengths as fractions of the run -- with Optuna in this process (``backend="optuna"``,
resumable from a database) or Ray Tune on a cluster (``backend="ray"``). Every point a space
yields is a valid schedule that ``lrkit check`` finds no error in; a range test's result seeds
the peak (``finder=``). Optuna and Ray are imported only when a sweep runs on them.

.. code-block:: python

    from lrkit import Budget
    from lrkit.tune import optimize, default_space

    def objective(schedule, report):
        ...  # train with schedule(step); report(step, val_loss) now and then
        return val_loss

    result = optimize(objective, default_space("adamw"), budget=Budget(total_steps=3000),
                      n_trials=30, storage="sqlite:///sweep.db")
    lrkit.from_config(result.best_config)
"""

from lrkit.tune.fair import rung_decay
from lrkit.tune.families import FAMILIES
from lrkit.tune.knobs import KNOBS, Choice, Fixed, Uniform
from lrkit.tune.result import SweepResult, TrialRecord
from lrkit.tune.run import Pruned, Report, TrialFailed, optimize
from lrkit.tune.space import Point, RandomSuggest, Space, default_space, load_space

__all__ = [
    "optimize", "Space", "Point", "default_space", "load_space", "SweepResult", "TrialRecord",
    "Report", "Pruned", "TrialFailed", "FAMILIES", "KNOBS", "Fixed", "Uniform", "Choice",
    "RandomSuggest", "rung_decay",
]
