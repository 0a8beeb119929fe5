"""``lrkit.torch.BatchSizeSampler``: a ``batch_sampler`` whose batch size follows a schedule.

Every epoch is one pass over a fixed order of the data set (a permutation drawn from
``seed + epoch``, identical on every rank, or the order of the sampler given). The order is cut
into consecutive *global* batches; the :math:`j`-th batch of the run has size

.. math:: B_j = \\operatorname{round}\\big(b(\\tau_j)\\big), \\qquad
          \\tau_j = \\begin{cases} j & \\text{unit = "step"} \\\\ e & \\text{unit = "epoch"}
          \\end{cases}

with :math:`b` the batch schedule and :math:`e` the epoch, and under DDP rank :math:`r` of
:math:`W` takes the :math:`r`-th of the :math:`W` equal slices of each global batch (so
:math:`B_j` must be a multiple of :math:`W`). The last batch of an epoch holds what is left: it
is dropped with ``drop_last=True``; otherwise it is split as evenly as possible, padded with the
epoch's first samples when fewer samples than ranks remain (as ``DistributedSampler`` pads).
Every sample is therefore drawn exactly once per epoch (single process, or whenever the pad is
not needed), and no rank ever waits for a batch the others do not have.

The state is two integers (the epoch, the batches of it already consumed); resuming from
:meth:`state_dict` reproduces the remaining batches exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from lrkit import _check
from lrkit.schedule import Schedule

__all__ = ["BatchSizeSampler"]

OWNER = "BatchSizeSampler"
_UNITS = ("step", "epoch")
_STATE_VERSION = 1


def _world() -> tuple[int, int]:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    return 1, 0


class BatchSizeSampler(Sampler[list[int]]):
    """Yield lists of indices whose (global) size follows ``batch_schedule``.

    .. math:: B_j = \\operatorname{round}(b(\\tau_j)), \\qquad \\tau_j = j \\text{ (step) or }
              e \\text{ (epoch)}

    Args:
        dataset_or_sampler: a sized data set (its indices are shuffled per epoch with a
            generator seeded by ``seed + epoch``, the same on every rank), or a sampler whose
            order is used as is (it must give every rank the same order; a
            ``DistributedSampler`` is refused -- this sampler splits the batches itself).
        batch_schedule: an lrkit schedule (e.g. the first result of
            :func:`lrkit.batch_schedule`) or a number: the *global* batch size, summed over
            ranks.
        drop_last: drop the short last batch of each epoch.
        unit: ``"step"`` -- the schedule is read at the index :math:`j` of the batch in the
            run (optimizer steps without accumulation); ``"epoch"`` -- at the epoch index, so
            the size changes at epoch boundaries only.
        shuffle: shuffle a data set (ignored for a sampler).
        seed: the base seed of the shuffle.
        num_replicas: the DDP world size (default: read from ``torch.distributed``, else 1).
        rank: this process's rank (default: read from ``torch.distributed``, else 0).

    Raises:
        ValueError / TypeError: bad arguments, or a batch size that is not a positive integer
            multiple of ``num_replicas`` (checked over the first epoch at construction and at
            every batch; the check is deterministic, so every rank raises at the same batch).
    """

    def __init__(self, dataset_or_sampler: Any, batch_schedule: Schedule | int, *,
                 drop_last: bool = False, unit: str = "step", shuffle: bool = True, seed: int = 0,
                 num_replicas: int | None = None, rank: int | None = None) -> None:
        from torch.utils.data import DistributedSampler

        if isinstance(dataset_or_sampler, DistributedSampler):
            raise TypeError(f"{OWNER}: dataset_or_sampler must not be a DistributedSampler (this "
                            "sampler gives each rank its share of every global batch); pass the "
                            "data set")
        if not isinstance(dataset_or_sampler, Sized):
            raise TypeError(f"{OWNER}: dataset_or_sampler must have a length (a map-style data set "
                            f"or a sampler), got {type(dataset_or_sampler).__name__}")
        if isinstance(batch_schedule, Schedule):
            self.schedule: Schedule | None = batch_schedule
            self._fixed = 0
        else:
            self.schedule = None
            self._fixed = _check.integer("batch_schedule", batch_schedule, OWNER, minimum=1)
        self.drop_last = _check.boolean("drop_last", drop_last, OWNER)
        self.unit = _check.choice("unit", unit, _UNITS, OWNER)
        self.shuffle = _check.boolean("shuffle", shuffle, OWNER)
        self.seed = _check.integer("seed", seed, OWNER)
        world, me = _world()
        self.num_replicas = (world if num_replicas is None
                             else _check.integer("num_replicas", num_replicas, OWNER, minimum=1))
        self.rank = me if rank is None else _check.integer("rank", rank, OWNER, minimum=0)
        if self.rank >= self.num_replicas:
            raise ValueError(f"{OWNER}: rank must be < num_replicas ({self.num_replicas}), got "
                             f"{self.rank}")
        self.source = dataset_or_sampler
        self._is_sampler = isinstance(dataset_or_sampler, Sampler)
        self.size = len(dataset_or_sampler)
        if self.size < 1:
            raise ValueError(f"{OWNER}: dataset_or_sampler must not be empty")
        self.epoch = 0
        self._done = 0  # batches of the current epoch already handed out
        self._starts = [0]  # the run's batch index at the start of each epoch
        self._plans: dict[int, list[int]] = {}
        self._plan(0)  # checks the first epoch's batch sizes now, before training starts

    # -- the plan: sizes of every global batch of an epoch ---------------------------------
    def _size_at(self, j: int, epoch: int) -> int:
        if self.schedule is None:
            return self._fixed
        tau = float(epoch if self.unit == "epoch" else j)
        v = float(self.schedule(tau))
        size = round(v) if math.isfinite(v) else 0
        where = f"epoch {epoch}" if self.unit == "epoch" else f"step {j}"
        if size < 1 or abs(v - size) > 1e-6 * max(1.0, abs(v)):
            raise ValueError(f"{OWNER}: batch_schedule must give a positive whole batch size, got "
                             f"{v!r} at {where}")
        if size % self.num_replicas:
            raise ValueError(f"{OWNER}: the global batch must be a multiple of the world size "
                             f"({self.num_replicas}), got {size} at {where}; build the schedule "
                             f"with multiple_of={self.num_replicas} (lrkit.batch_schedule)")
        return size

    def _plan(self, epoch: int) -> list[int]:
        """The global batch sizes of ``epoch`` (the last one may be short)."""
        plan = self._plans.get(epoch)
        if plan is not None:
            return plan
        while len(self._starts) <= epoch:  # the batch index at each earlier epoch's start
            e = len(self._starts) - 1
            self._starts.append(self._starts[e] + len(self._plan(e)))
        j, left, sizes = self._starts[epoch], self.size, []
        while left > 0:
            b = self._size_at(j, epoch)
            if b > left:
                if self.drop_last:
                    break
                b = left
            sizes.append(b)
            left -= b
            j += 1
        if not sizes:
            raise ValueError(f"{OWNER}: with drop_last=True epoch {epoch} has no batch: the batch "
                             f"size {self._size_at(j, epoch)} exceeds the {self.size} samples")
        if len(self._plans) > 64:
            self._plans.clear()
        self._plans[epoch] = sizes
        return sizes

    def _order(self, epoch: int) -> np.ndarray:
        if self._is_sampler:
            if hasattr(self.source, "set_epoch"):
                self.source.set_epoch(epoch)
            order = np.fromiter((int(i) for i in self.source), dtype=np.int64)
            if len(order) != self.size:
                raise ValueError(f"{OWNER}: the sampler gave {len(order)} indices, but its length "
                                 f"is {self.size}")
            return order
        if not self.shuffle:
            return np.arange(self.size, dtype=np.int64)
        g = torch.Generator()
        g.manual_seed(self.seed + epoch)
        return torch.randperm(self.size, generator=g).numpy()

    def _share(self, order: np.ndarray, start: int, size: int) -> list[int]:
        """This rank's slice of the global batch ``order[start:start + size]``."""
        w, r = self.num_replicas, self.rank
        if size % w == 0:
            per = size // w
            return order[start + r * per: start + (r + 1) * per].tolist()
        batch = order[start:start + size]
        if size < w:  # too few samples for every rank: pad with the epoch's first ones
            batch = np.concatenate([batch, order[:w - size]])
        return np.array_split(batch, w)[r].tolist()

    # -- the Sampler interface ------------------------------------------------------------
    def __iter__(self) -> Iterator[list[int]]:
        epoch, skip = self.epoch, self._done
        sizes = self._plan(epoch)
        order = self._order(epoch)
        start = sum(sizes[:skip])
        for k in range(skip, len(sizes)):
            size = sizes[k]
            self._done = k + 1
            yield self._share(order, start, size)
            start += size
        self.epoch, self._done = epoch + 1, 0

    def __len__(self) -> int:
        """Batches this rank draws in the current epoch (what ``len(DataLoader)`` reports)."""
        return len(self._plan(self.epoch)) - self._done

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` from its beginning at the next iteration (as
        ``DistributedSampler.set_epoch``; optional -- an epoch iterated to its end advances by
        itself)."""
        epoch = _check.integer("epoch", epoch, OWNER, minimum=0)
        if epoch != self.epoch:
            self.epoch, self._done = epoch, 0

    @property
    def step(self) -> int:
        """The index in the run of the next global batch (= optimizer steps so far when each
        batch is one step)."""
        self._plan(self.epoch)
        return self._starts[self.epoch] + self._done

    def batch_sizes(self, epoch: int | None = None) -> list[int]:
        """The global batch sizes of ``epoch`` (default: the current one)."""
        e = self.epoch if epoch is None else _check.integer("epoch", epoch, OWNER, minimum=0)
        return list(self._plan(e))

    def state_dict(self, batches_done: int | None = None) -> dict[str, Any]:
        """``{"epoch", "batches_done"}``. With ``num_workers > 0`` the loader fetches ahead of
        the training loop: pass the number of batches of this epoch the loop has consumed."""
        done = self._done if batches_done is None else _check.integer(
            "batches_done", batches_done, OWNER, minimum=0)
        return {"version": _STATE_VERSION, "epoch": self.epoch, "batches_done": done}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume at the batch after the last one consumed (the next iteration yields the rest
        of that epoch)."""
        if not isinstance(state, dict) or "epoch" not in state or "batches_done" not in state:
            raise ValueError(f"{OWNER}: state must be a dict from state_dict() with 'epoch' and "
                             f"'batches_done', got {state!r}")
        epoch = _check.integer("state['epoch']", state["epoch"], OWNER, minimum=0)
        done = _check.integer("state['batches_done']", state["batches_done"], OWNER, minimum=0)
        n = len(self._plan(epoch))
        if done > n:
            raise ValueError(f"{OWNER}: state['batches_done'] must be <= {n} (the batches of epoch "
                             f"{epoch}), got {done}")
        self.epoch, self._done = (epoch + 1, 0) if done == n else (epoch, done)

    def __repr__(self) -> str:
        what = self.schedule if self.schedule is not None else self._fixed
        return (f"BatchSizeSampler({type(self.source).__name__}[{self.size}], {what!r}, unit="
                f"{self.unit!r}, drop_last={self.drop_last}, rank {self.rank} of "
                f"{self.num_replicas})")
