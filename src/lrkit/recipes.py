"""Well-known recipes as one call."""

from __future__ import annotations

from collections.abc import Sequence as Seq

from lrkit import _check
from lrkit.compose import Sequence
from lrkit.schedule import Schedule
from lrkit.schedules.basic import Linear
from lrkit.schedules.piecewise import Piecewise

__all__ = ["resnet_step_decay"]


def resnet_step_decay(batch_size: int, batch_denom: int, num_images: int,
                      boundary_epochs: Seq[float], decay_rates: Seq[float], base_lr: float = 0.1,
                      warmup_epochs: float = 0) -> Schedule:
    """The ResNet recipe (TensorFlow official models' ``learning_rate_with_decay``).

    .. math::

        a &= \\text{base\\_lr} \\cdot \\text{batch\\_size} / \\text{batch\\_denom},\\qquad
        n = \\text{num\\_images} / \\text{batch\\_size} \\ (\\text{batches per epoch}) \\\\
        b_k &= \\lfloor n\\, e_k \\rfloor, \\qquad v_k = a\\, d_k, \\qquad
        W = \\lfloor n \\cdot \\text{warmup\\_epochs} \\rfloor \\\\
        s(t) &= \\begin{cases} a\\, t / W & t < W \\\\ v_k & b_{k-1} < t \\le b_k
        \\ (\\text{TensorFlow's } \\texttt{piecewise\\_constant}) \\end{cases}

    ``warmup_epochs=5`` is the original ``warmup=True``. The warmup climbs to :math:`a`
    itself (not :math:`v_0`), exactly as the original does.
    """
    o = "resnet_step_decay"
    bs = _check.positive("batch_size", batch_size, o)
    denom = _check.positive("batch_denom", batch_denom, o)
    n_img = _check.positive("num_images", num_images, o)
    base = _check.non_negative("base_lr", base_lr, o)
    epochs = _check.numbers("boundary_epochs", boundary_epochs, o)
    rates = _check.numbers("decay_rates", decay_rates, o)
    if len(rates) != len(epochs) + 1:
        raise ValueError(f"{o}: decay_rates must have one more element than boundary_epochs, got "
                         f"{len(rates)} decay_rates and {len(epochs)} boundary_epochs")
    w_epochs = _check.non_negative("warmup_epochs", warmup_epochs, o)
    initial = base * bs / denom
    per_epoch = n_img / bs
    boundaries = tuple(float(int(per_epoch * e)) for e in epochs)
    values = tuple(initial * d for d in rates)
    steps = Piecewise(values, boundaries, switch="after")
    warm = int(per_epoch * w_epochs)
    if warm <= 0:
        return steps
    return Sequence((Linear(0.0, initial, float(warm)), steps), (float(warm),), relative=False)
