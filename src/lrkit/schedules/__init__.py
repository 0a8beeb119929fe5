"""Schedule families, one module per family."""

from lrkit.schedules.basic import Constant, Linear, Polynomial
from lrkit.schedules.cosine import Cosine, CosineRestarts, LinearCosine, NoisyLinearCosine, Tanh
from lrkit.schedules.cyclic import Cyclic, MomentumOf, OneCycle
from lrkit.schedules.decay import (
    Exponential,
    GeometricStep,
    InverseSqrt,
    InverseTime,
    NaturalExp,
    StepDecay,
    time_based,
)
from lrkit.schedules.piecewise import MultiStep, Piecewise
from lrkit.schedules.wsd import WarmupStableDecay

__all__ = [
    "Constant", "Linear", "Polynomial", "Exponential", "NaturalExp", "InverseTime", "time_based",
    "StepDecay", "GeometricStep", "InverseSqrt", "Piecewise", "MultiStep", "Cosine",
    "CosineRestarts", "LinearCosine", "NoisyLinearCosine", "Tanh", "Cyclic", "OneCycle",
    "MomentumOf", "WarmupStableDecay",
]
