"""Durations and the training budget: the one place where epochs, samples, tokens and
fractions of the run become optimizer steps.

A duration is written as

* a number: optimizer steps (``1000``);
* a string with a unit: ``"1000 steps"``, ``"5 epochs"``, ``"50000 samples"``,
  ``"2e9 tokens"``, ``"10%"`` (of the total);
* a one-key mapping: ``{"epochs": 5}``, ``{"fraction": 0.1}``.

It is resolved against a :class:`Budget`:

.. math::

    \\text{global batch} &= \\text{batch\\_size} \\cdot \\text{grad\\_accum} \\cdot \\text{world\\_size} \\\\
    \\text{steps per epoch} &= \\Big\\lfloor \\big\\lceil N / (\\text{batch\\_size}\\cdot\\text{world\\_size})
        \\big\\rceil / \\text{grad\\_accum} \\Big\\rfloor \\quad(\\text{at least } 1) \\\\
    \\text{steps}(k\\ \\text{samples}) &= k / \\text{global batch}, \\qquad
    \\text{steps}(k\\ \\text{tokens}) = k / (\\text{global batch}\\cdot\\text{seq\\_len})

(``drop_last=True`` floors instead of ceiling the batches per epoch, as a ``DataLoader`` with
``drop_last`` does). Resolved durations are whole steps, rounded down (as TensorFlow's
``int(batches_per_epoch * epochs)``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from lrkit import _check

__all__ = ["Budget", "Duration", "is_duration_with_unit"]

Duration = int | float | str | Mapping[str, float]
MAX_STEPS = 2**53  # the largest step count a float64 holds exactly

_UNITS = {
    "step": "steps", "steps": "steps", "iter": "steps", "iters": "steps", "iterations": "steps",
    "epoch": "epochs", "epochs": "epochs", "ep": "epochs",
    "sample": "samples", "samples": "samples", "example": "samples", "examples": "samples",
    "image": "samples", "images": "samples",
    "token": "tokens", "tokens": "tokens",
    "%": "percent", "percent": "percent",
    "fraction": "fraction", "total": "fraction",
}
_PATTERN = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z%]*)\s*$")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-8:]} ({len(text)} characters)"


def is_duration_with_unit(value: Any) -> bool:
    """True when ``value`` needs a budget to become steps (a string or a mapping)."""
    return isinstance(value, (str, Mapping))


def _parse(duration: Any, name: str) -> tuple[float, str]:
    if isinstance(duration, bool):
        raise TypeError(f"{name} must be a duration (steps, or e.g. '5 epochs'), got {duration!r}")
    if isinstance(duration, (int, float)):
        try:
            qty = float(duration)
        except OverflowError:
            qty = math.inf
        if not math.isfinite(qty):
            raise ValueError(f"{name} must be a finite duration, got {_short(duration)}")
        return qty, "steps"
    if isinstance(duration, Mapping):
        if len(duration) != 1:
            raise ValueError(
                f"{name} must be a one-key mapping such as {{'epochs': 5}}, got {dict(duration)!r}"
            )
        ((unit, amount),) = duration.items()
        qty = _check.number(name, amount)
        canon = _UNITS.get(str(unit).lower())
        if canon is None:
            raise ValueError(f"{name}: unknown unit {unit!r}; use one of steps, epochs, samples, "
                             "tokens, fraction, percent")
        return qty, canon
    if isinstance(duration, str):
        m = _PATTERN.match(duration)
        if not m:
            raise ValueError(
                f"{name} must look like '1000', '5 epochs', '50000 samples', '2e9 tokens' or "
                f"'10%', got {duration!r}"
            )
        qty = float(m.group(1))
        if not math.isfinite(qty):
            raise ValueError(f"{name} must be a finite duration, got {duration!r}")
        unit = m.group(2).lower() or "steps"
        canon = _UNITS.get(unit)
        if canon is None:
            raise ValueError(f"{name}: unknown unit {m.group(2)!r} in {duration!r}; use steps, "
                             "epochs, samples, tokens or %")
        return qty, canon
    raise TypeError(f"{name} must be a duration (steps, or e.g. '5 epochs'), got "
                    f"{duration!r} ({type(duration).__name__})")


@dataclasses.dataclass(frozen=True)
class Budget:
    """What a run has to spend: converts durations to optimizer steps.

    Give ``steps_per_epoch`` directly, or ``dataset_size`` and ``batch_size`` (per device,
    per micro-batch) with optional ``grad_accum`` and ``world_size``. The total length is
    ``total_steps``, or ``epochs`` times the steps per epoch.
    """

    total_steps: int | None = None
    epochs: float | None = None
    steps_per_epoch: int | None = None
    dataset_size: int | None = None
    batch_size: int | None = None
    grad_accum: int = 1
    world_size: int = 1
    seq_len: int | None = None
    drop_last: bool = False

    def __post_init__(self) -> None:
        o = "Budget"
        for key in ("total_steps", "steps_per_epoch", "dataset_size", "batch_size", "seq_len"):
            v = getattr(self, key)
            if v is not None:
                _check.integer(key, v, o, minimum=1)
        _check.integer("grad_accum", self.grad_accum, o, minimum=1)
        _check.integer("world_size", self.world_size, o, minimum=1)
        if self.epochs is not None:
            _check.positive("epochs", self.epochs, o)
        _check.boolean("drop_last", self.drop_last, o)

    @property
    def global_batch(self) -> int | None:
        """Samples per optimizer update: ``batch_size * grad_accum * world_size``."""
        if self.batch_size is None:
            return None
        return self.batch_size * self.grad_accum * self.world_size

    def resolved_steps_per_epoch(self) -> int | None:
        """Optimizer updates per epoch, or ``None`` if the budget cannot tell."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        if self.dataset_size is None or self.batch_size is None:
            return None
        per_rank = self.batch_size * self.world_size
        batches = (self.dataset_size // per_rank if self.drop_last
                   else math.ceil(self.dataset_size / per_rank))
        return max(batches // self.grad_accum, 1)

    def resolved_total_steps(self) -> int | None:
        """The run's length in optimizer steps, or ``None`` if the budget cannot tell."""
        if self.total_steps is not None:
            return self.total_steps
        spe = self.resolved_steps_per_epoch()
        if self.epochs is not None and spe is not None:
            return int(math.floor(self.epochs * spe + 1e-9))
        return None

    def steps(self, duration: Duration, name: str = "duration") -> int:
        """Resolve ``duration`` to whole optimizer steps (rounded down)."""
        qty, unit = _parse(duration, name)
        if qty < 0:
            raise ValueError(f"{name} must be >= 0, got {duration!r}")
        if unit == "steps":
            value = qty
        elif unit == "epochs":
            spe = self.resolved_steps_per_epoch()
            if spe is None:
                raise ValueError(
                    f"{name}={duration!r} is in epochs: the budget needs steps_per_epoch, or "
                    f"dataset_size and batch_size (got {self._given()})"
                )
            value = qty * spe
        elif unit in ("samples", "tokens"):
            gb = self.global_batch
            if gb is None:
                raise ValueError(
                    f"{name}={duration!r} is in {unit}: the budget needs batch_size "
                    f"(got {self._given()})"
                )
            value = qty / gb
            if unit == "tokens":
                if self.seq_len is None:
                    raise ValueError(
                        f"{name}={duration!r} is in tokens: the budget needs seq_len "
                        f"(got {self._given()})"
                    )
                value /= self.seq_len
        else:  # fraction / percent of the total
            total = self.resolved_total_steps()
            if total is None:
                raise ValueError(
                    f"{name}={duration!r} is a fraction of the run: the budget needs total_steps, "
                    f"or epochs with steps_per_epoch or dataset_size and batch_size "
                    f"(got {self._given()})"
                )
            value = total * (qty / 100.0 if unit == "percent" else qty)
        if not value <= MAX_STEPS:
            raise ValueError(f"{name}={duration!r} resolves to {value:.4g} optimizer steps; it must "
                             f"be at most 2**53 = {MAX_STEPS} (the largest step a float counts "
                             f"exactly)")
        return int(math.floor(value + 1e-9))

    @classmethod
    def from_loader(cls, loader: Any, *, epochs: float | None = None, grad_accum: int = 1,
                    total_steps: int | None = None, seq_len: int | None = None,
                    world_size: int | None = None, flush_at_epoch_end: bool = False) -> Budget:
        """The budget of the run a ``DataLoader`` will actually drive, counted per rank.

        .. math::

            \\text{steps per epoch} = \\max\\big(\\lfloor \\text{len(loader)} /
                \\text{grad\\_accum} \\rfloor,\\ 1\\big) \\quad \\text{or} \\quad
                \\big\\lceil \\text{len(loader)} / \\text{grad\\_accum} \\big\\rceil
                \\ (\\text{flush\\_at\\_epoch\\_end})

        ``len(loader)`` is the number of batches *this rank* draws per epoch: a
        ``DistributedSampler`` (or :class:`lrkit.torch.BatchSizeSampler`) has already split the
        data set, padded or dropped as configured, and the loader's own ``drop_last`` applied.
        The world size is read from ``torch.distributed`` when a process group is initialised
        (else from the loader's ``DistributedSampler``, else 1); ``world_size=`` overrides it
        and must then agree with both. ``batch_size`` (per rank, per micro-batch) is the
        loader's, so durations in samples and tokens resolve with the global batch
        ``batch_size * grad_accum * world_size``; a loader whose batch size changes (a
        ``batch_sampler``) resolves epochs and fractions only.

        By default the loop is taken to step the optimizer every ``grad_accum`` batches and to
        drop an incomplete accumulation at the end of an epoch (``(i + 1) % grad_accum == 0``);
        ``flush_at_epoch_end=True`` counts the extra step of loops that also step on it
        (Lightning's ``accumulate_grad_batches``, Accelerate's ``accumulate``, the Hugging Face
        ``Trainer``).
        """
        o = "Budget.from_loader"
        try:
            batches = len(loader)
        except TypeError:
            raise TypeError(f"{o}: loader must have a length (a DataLoader over a map-style data "
                            f"set, or a sized iterable of batches), got {type(loader).__name__}"
                            ) from None
        accum = _check.integer("grad_accum", grad_accum, o, minimum=1)
        _check.boolean("flush_at_epoch_end", flush_at_epoch_end, o)
        if batches < 1:
            raise ValueError(f"{o}: loader must yield at least one batch per epoch, got "
                             f"len(loader)={batches}")
        found = _world_sizes(loader)
        if world_size is not None:
            world_size = _check.integer("world_size", world_size, o, minimum=1)
            found["world_size="] = world_size
        sizes = set(found.values())
        if len(sizes) > 1:
            where = ", ".join(f"{k} {v}" for k, v in found.items())
            raise ValueError(f"{o}: the world size is ambiguous: {where}; they must agree")
        world = sizes.pop() if sizes else 1
        batch_size = getattr(loader, "batch_size", None)
        # the data set's size is left out: the loader's count already applied the sampler's
        # padding or dropping, which a size would have to guess again
        per_epoch = -(-batches // accum) if flush_at_epoch_end else batches // accum
        return cls(total_steps=total_steps, epochs=epochs, steps_per_epoch=max(per_epoch, 1),
                   batch_size=batch_size if isinstance(batch_size, int) else None,
                   grad_accum=accum, world_size=world, seq_len=seq_len)

    def _given(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                 if getattr(self, f.name) != f.default]
        return ", ".join(parts) or "an empty budget"

    def to_config(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) != f.default}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Budget:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(config) - known
        if unknown:
            raise ValueError(f"Budget: unknown keys {sorted(unknown)}; valid keys: {sorted(known)}")
        return cls(**dict(config))


def _world_sizes(loader: Any) -> dict[str, int]:
    """Where the world size can be read: the process group, the loader's sampler."""
    import sys

    out: dict[str, int] = {}
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        out["torch.distributed has world size"] = int(dist.get_world_size())
    for attr in ("sampler", "batch_sampler"):
        sampler = getattr(loader, attr, None)
        for obj in (sampler, getattr(sampler, "sampler", None)):
            replicas = getattr(obj, "num_replicas", None)
            if isinstance(replicas, int) and not isinstance(replicas, bool):
                out[f"the loader's {type(obj).__name__} has num_replicas"] = replicas
    return out
