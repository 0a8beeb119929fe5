"""lrkit: learning-rate schedules, warmup, the LR range test, per-layer rates and the drivers
that apply them to PyTorch, Keras and JAX/optax optimizers.

``import lrkit`` imports NumPy at most; framework glue lives in ``lrkit.torch``,
``lrkit.keras`` and ``lrkit.jax``.
"""

from typing import Any

from lrkit._registry import names
from lrkit.batch import BatchGrowth, batch_schedule
from lrkit.compose import Clip, Product, Restarts, Scale, Sequence, Warmup, sequence, warmup
from lrkit.config import dump, from_config, load
from lrkit.finder import FinderResult, NoSuggestion, find_lr
from lrkit.plateau import OnPlateau, Plateau
from lrkit.recipes import resnet_step_decay
from lrkit.scaling import scale_lr
from lrkit.schedule import Schedule
from lrkit.schedules import (
    Constant,
    Cosine,
    CosineRestarts,
    Cyclic,
    Exponential,
    GeometricStep,
    InverseSqrt,
    InverseTime,
    Linear,
    LinearCosine,
    MomentumOf,
    MultiStep,
    NaturalExp,
    NoisyLinearCosine,
    OneCycle,
    Piecewise,
    Polynomial,
    StepDecay,
    Tanh,
    WarmupStableDecay,
    time_based,
)
from lrkit.units import Budget

__version__ = "0.1.0"

_LAZY_SUBPACKAGES = ("compat",)  # imported on first attribute access: `import lrkit` stays light


def __getattr__(name: str) -> Any:
    """``lrkit.compat`` (and through it ``lrkit.compat.torch`` etc.) on first use."""
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Schedule", "Budget", "from_config", "load", "dump", "names",
    # families
    "Constant", "Linear", "Polynomial", "Exponential", "NaturalExp", "InverseTime", "time_based",
    "StepDecay", "GeometricStep", "InverseSqrt", "Piecewise", "MultiStep", "Cosine",
    "CosineRestarts", "LinearCosine", "NoisyLinearCosine", "Tanh", "Cyclic", "OneCycle",
    "MomentumOf", "WarmupStableDecay",
    # composition
    "Warmup", "warmup", "Sequence", "sequence", "Restarts", "Scale", "Product", "Clip",
    # recipes
    "resnet_step_decay",
    # batch size: scaling rules, batch-size schedules
    "scale_lr", "batch_schedule", "BatchGrowth",
    # metric-driven control and the LR range test
    "Plateau", "OnPlateau", "find_lr", "FinderResult", "NoSuggestion",
]
