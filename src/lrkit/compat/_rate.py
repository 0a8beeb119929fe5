"""The optimizer's own rate in the dialects: porting a scheduler is a rename.

In torch (``LambdaLR``, ``StepLR``, ...), Hugging Face, timm and DeepSpeed a scheduler is built
*from the optimizer* and scales each param group's own initial rate. The dialects accept the
optimizer in the same place (``StepLR(optimizer, step_size=30)``,
``get_scheduler("cosine", optimizer, ...)``, ``create_scheduler_v2(optimizer, ...)``) and
return a **relative** schedule: ``relative=True``, shown in its repr and written to its config.

For a relative schedule :math:`s` the driver (:class:`lrkit.torch.Scheduler`) gives param
group :math:`g`, whose initial rate is :math:`\\eta_g` (its ``initial_lr``), the value of the
same schedule built with ``lr`` = :math:`\\eta_g`:

.. math:: \\text{lr}_g(n) = s\\big|_{\\text{lr} = \\eta_g}(n)

which is :math:`\\eta_g\\,\\lambda(n)` for the multiplying peers (torch's chainable schedulers,
``LambdaLR``, Hugging Face, DeepSpeed's ``WarmupCosineLR``) and the peer's own formula where an
absolute floor enters (torch's ``eta_min``, timm's ``lr_min`` and ``warmup_lr_init``), exactly
as the peer computes each group. The ``lr`` field of a relative schedule is its *reference*
rate: the optimizer's default rate when built from an optimizer, 1 when built with no rate at
all (``s(t)`` alone is then the multiplier :math:`\\lambda(t)`); Hugging Face's
``polynomial`` / ``min_lr`` use it as transformers uses ``optimizer.defaults["lr"]``.

A schedule built with a number (``lr=3e-4``) stays absolute: the driver writes its values.
This module does not import torch: an optimizer is recognised by its ``param_groups`` and
``defaults``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

from lrkit import _check

__all__ = ["is_optimizer", "optimizer_rate", "takes_optimizer", "optimizer_arg", "rate_kwargs",
           "resolve_lr", "RelativeMixin"]


def is_optimizer(value: Any) -> bool:
    """A ``torch.optim.Optimizer`` (or anything shaped like one: ``param_groups`` and
    ``defaults``)."""
    return hasattr(value, "param_groups") and hasattr(value, "defaults") and \
        not isinstance(value, (int, float, str))


def _host(value: Any) -> float:
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)


def optimizer_rate(optimizer: Any, owner: str) -> float:
    """The optimizer's default rate ``optimizer.defaults["lr"]`` (transformers' ``lr_init``),
    or its first group's initial rate when the defaults have none."""
    groups = list(getattr(optimizer, "param_groups", []) or [])
    if "lr" in optimizer.defaults:
        rate = optimizer.defaults["lr"]
    elif groups and ("initial_lr" in groups[0] or "lr" in groups[0]):
        rate = groups[0].get("initial_lr", groups[0].get("lr"))
    else:
        raise ValueError(f"{owner}: the optimizer has no learning rate (no 'lr' in its defaults "
                         f"or param groups)")
    value = _host(rate)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: the optimizer's lr must be finite and >= 0, got {value!r}")
    return value


def resolve_lr(obj: Any, owner: str) -> None:
    """Inside ``__post_init__``: ``lr=None`` means "the optimizer's rate" (relative, reference
    1); check ``relative`` and ``lr``."""
    relative = _check.boolean("relative", obj.relative, owner)
    if obj.lr is None:
        object.__setattr__(obj, "lr", 1.0)
        object.__setattr__(obj, "relative", True)
    else:
        object.__setattr__(obj, "lr", _check.non_negative("lr", obj.lr, owner))
        object.__setattr__(obj, "relative", relative)


def takes_optimizer(mode: str = "lr") -> Any:
    """Class decorator: ``Cls(optimizer, ...)`` / ``Cls(optimizer=..., ...)`` as in the peer.

    ``mode="lr"``: the optimizer stands where ``lr`` is (the first field); it is replaced by its
    rate and the schedule is relative. ``mode="drop"``: the peer overwrites the rate (one-cycle,
    cyclic): the optimizer is accepted and not used. ``mode="kw"``: the optimizer is the first
    argument and ``lr`` a keyword field: ``lr`` is set to its rate, relative.
    """

    def wrap(cls: Any) -> Any:
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            opt = kwargs.pop("optimizer", None)
            if opt is None and args and is_optimizer(args[0]):
                opt, args = args[0], args[1:]
            elif opt is not None and not is_optimizer(opt):
                raise TypeError(f"{cls.__name__}: optimizer must be a torch.optim.Optimizer, got "
                                f"{opt!r} ({type(opt).__name__})")
            if opt is not None and mode != "drop":
                if "lr" in kwargs:
                    raise TypeError(f"{cls.__name__}: give the optimizer or lr=, not both (with "
                                    f"the optimizer the rate is each param group's own)")
                rate = optimizer_rate(opt, cls.__name__)
                if mode == "lr":
                    args = (rate, *args)
                else:
                    kwargs["lr"] = rate
                kwargs["relative"] = True
            init(self, *args, **kwargs)

        cls.__init__ = __init__
        return cls

    return wrap


class RelativeMixin:
    """What a schedule that may take its rate from the optimizer adds: :meth:`for_rate` and a
    config that omits ``relative`` when it is False (configs written before it load as before)."""

    __slots__ = ()

    def for_rate(self, lr: float) -> Any:
        """The absolute schedule a param group whose initial rate is ``lr`` follows."""
        return dataclasses.replace(self, lr=float(lr), relative=False)  # type: ignore[type-var]

    def to_config(self) -> dict[str, Any]:
        cfg = super().to_config()  # type: ignore[misc]
        if not cfg.get("relative"):
            cfg.pop("relative", None)
        return cfg


def optimizer_arg(position: int) -> Any:
    """Function decorator: the optimizer may be passed positionally at ``position`` (where the
    peer takes it) or as ``optimizer=``; the function receives it as ``optimizer=``."""

    def wrap(fn: Any) -> Any:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if len(args) > position and is_optimizer(args[position]):
                if "optimizer" in kwargs:
                    raise TypeError(f"{fn.__name__}: optimizer given twice")
                kwargs["optimizer"] = args[position]
                args = args[:position] + args[position + 1:]
            return fn(*args, **kwargs)

        return inner

    return wrap


def rate_kwargs(optimizer: Any, lr: float | None, owner: str) -> dict[str, Any]:
    """``{"lr": ..., "relative": ...}`` for a factory given ``optimizer`` and/or ``lr``:
    the optimizer's rate and relative, or ``lr`` (``None``: relative to any optimizer)."""
    if optimizer is None:
        return {"lr": lr}
    if not is_optimizer(optimizer):
        raise TypeError(f"{owner}: optimizer must be a torch.optim.Optimizer, got {optimizer!r} "
                        f"({type(optimizer).__name__})")
    if lr is not None:
        raise TypeError(f"{owner}: give the optimizer or lr=, not both (with the optimizer the "
                        f"rate is each param group's own)")
    return {"lr": optimizer_rate(optimizer, owner), "relative": True}
