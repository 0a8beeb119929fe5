"""What lrkit needs from ``torch.distributed``: reductions of a metric, the per-rank batch, rank-0
checkpoints, and a check that every rank holds the same values.

Every function works unchanged in a single process (no process group: the world is one rank),
and every collective is entered by every rank with the same arguments -- a bad value on one
rank is reported *on every rank at once* instead of leaving the others waiting.

For a metric :math:`m_r` on rank :math:`r` of :math:`W`, :func:`reduce_metric` returns on every
rank

.. math:: \\bar m = \\tfrac1W \\textstyle\\sum_r m_r \\ (\\text{mean}), \\quad \\sum_r m_r
          \\ (\\text{sum}), \\quad \\max_r m_r, \\quad \\min_r m_r

(summed in float64, in rank order of the backend's reduction: the same bits on every rank).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import torch
import torch.distributed as dist

from lrkit import _check

__all__ = [
    "REDUCTIONS",
    "world",
    "is_distributed",
    "reduce_metric",
    "per_rank_batch",
    "gather",
    "check_same",
    "save_checkpoint",
    "load_checkpoint",
]

REDUCTIONS = ("mean", "sum", "max", "min")
OWNER = "lrkit.torch.distributed"


def is_distributed() -> bool:
    """Whether a ``torch.distributed`` process group is initialised."""
    return dist.is_available() and dist.is_initialized()


def world() -> tuple[int, int]:
    """``(world_size, rank)``: ``(1, 0)`` without a process group."""
    if is_distributed():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


def _device() -> torch.device:
    backend = str(dist.get_backend()).lower()
    if "nccl" in backend and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _as_float(metric: Any) -> float | None:
    """``float(metric)`` for a real number or one-element tensor, ``None`` for anything else."""
    if metric is None or isinstance(metric, (bool, str, bytes)):
        return None
    if isinstance(metric, torch.Tensor):
        if metric.numel() != 1 or metric.is_complex() or metric.dtype == torch.bool:
            return None
        return float(metric.detach().double().cpu().item())
    try:
        return float(metric)
    except (TypeError, ValueError, OverflowError):
        return None


def reduce_metric(metric: Any, op: str = "mean", *, owner: str = "reduce_metric") -> float:
    """The metric reduced across ranks, the same float on every rank.

    .. math:: \\bar m = \\tfrac1W \\textstyle\\sum_r m_r \\ (\\text{mean}) \\text{ or }
              \\sum_r m_r,\\ \\max_r m_r,\\ \\min_r m_r

    Feed it to a plateau part so all ranks take the same decision:
    ``scheduler.step(reduce_metric(val_loss))``. Without a process group it returns
    ``float(metric)``. Must be called by every rank (it is a collective).

    Args:
        metric: a number or a one-element tensor (on any device). NaN and infinities pass
            through (a NaN on one rank makes the mean NaN everywhere).
        op: ``"mean"`` (default), ``"sum"``, ``"max"`` or ``"min"``.
        owner: the name errors start with.

    Raises:
        TypeError: on *every* rank, naming the ranks, when the metric is not a number on some
            rank (``None``, a string, a tensor of several elements...).
    """
    _check.choice("op", op, REDUCTIONS, owner)
    value = _as_float(metric)
    if not is_distributed():
        if value is None:
            raise TypeError(f"{owner}: metric must be a number or a one-element tensor, got "
                            f"{metric!r:.80} ({type(metric).__name__})")
        return value
    size, rank = dist.get_world_size(), dist.get_rank()
    dev = _device()
    # one collective carries the sum and, per rank, a "not a number" flag
    buf = torch.zeros(size + 1, dtype=torch.float64, device=dev)
    if value is None:
        buf[1 + rank] = 1.0
    else:
        buf[0] = value if op in ("mean", "sum") else 0.0
    dist.all_reduce(buf, op=dist.ReduceOp.SUM)
    bad = [r for r in range(size) if buf[1 + r].item() != 0.0]
    if bad:
        mine = (f"got {metric!r:.80} ({type(metric).__name__}) here" if value is None
                else f"this rank's ({rank}) metric is {value!r}")
        raise TypeError(f"{owner}: metric must be a number or a one-element tensor on every rank; "
                        f"rank(s) {bad} of {size} gave something else ({mine})")
    if op == "mean":
        return float(buf[0].item()) / size
    if op == "sum":
        return float(buf[0].item())
    one = torch.tensor([value], dtype=torch.float64, device=dev)
    dist.all_reduce(one, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.MIN)
    return float(one.item())


def per_rank_batch(global_batch: int, world_size: int | None = None) -> int:
    """The per-rank batch of a global batch: :math:`B / W`, which must be a whole number.

    ``world_size`` defaults to the process group's (1 without one).
    """
    o = "per_rank_batch"
    b = _check.integer("global_batch", global_batch, o, minimum=1)
    w = world()[0] if world_size is None else _check.integer("world_size", world_size, o, minimum=1)
    if b % w:
        raise ValueError(f"{o}: global_batch must be divisible by the world size {w}, got {b} "
                         f"({b} / {w} = {b / w:g} samples per rank); use a multiple of {w}, e.g. "
                         f"{max(w, b - b % w)} or {b + w - b % w}")
    return b // w


def gather(values: Sequence[float] | float) -> list[list[float]]:
    """Every rank's ``values`` (a float or a list of floats), in rank order, on every rank."""
    vals = [float(values)] if isinstance(values, (int, float)) else [float(v) for v in values]
    if not is_distributed():
        return [vals]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, vals)
    return [list(v) for v in out]


def check_same(values: Sequence[float] | float, what: str = "values") -> None:
    """Raise on every rank when ranks hold different ``values`` (bit-for-bit comparison), e.g.
    ``check_same(scheduler.get_last_lr(), "learning rates")`` once per epoch."""
    rows = gather(values)
    first = rows[0]
    diff = [r for r, row in enumerate(rows)
            if len(row) != len(first)
            or any(not (a == b or (math.isnan(a) and math.isnan(b))) for a, b in zip(row, first))]
    if diff:
        raise ValueError(f"{OWNER}: {what} differ across ranks: rank 0 has {first}, "
                         + ", ".join(f"rank {r} has {rows[r]}" for r in diff))


def save_checkpoint(state: Any, path: str | os.PathLike[str]) -> None:
    """Write ``state`` with ``torch.save`` on rank 0 only (through a temporary file, renamed
    when complete), then wait until every rank may read it. A collective: call on every rank."""
    _, rank = world()
    path = os.fspath(path)
    error = ""
    if rank == 0:
        tmp = f"{path}.tmp-{os.getpid()}"
        try:
            torch.save(state, tmp)
            os.replace(tmp, path)
        except Exception as exc:  # reported on every rank below
            error = f"{type(exc).__name__}: {exc}"
    if is_distributed():
        box: list[Any] = [error]
        dist.broadcast_object_list(box, src=0)
        error = box[0]
    if error:
        raise OSError(f"save_checkpoint: rank 0 could not write {path!r}: {error}")


def load_checkpoint(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> Any:
    """Read a checkpoint written by :func:`save_checkpoint` on every rank (``weights_only``
    loading: tensors, numbers, strings and containers)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {path!r} (rank {world()[1]})")
    return torch.load(path, map_location=map_location, weights_only=True)
