"""What every framework's range-test driver shares: endless batches and the probe loop.

The PyTorch, JAX and Keras drivers each turn one training step into ``step(lr) -> loss`` for
the framework-free core (:func:`lrkit.finder.core.find_lr`); they feed it batches the same way
(:class:`Cycle`) and probe a few rates from the same restored start the same way
(:func:`probe_losses`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["Cycle", "probe_losses"]


class Cycle:
    """Endless batches from ``data``.

    A re-iterable source (a list, a data loader) starts over when it runs out; a one-shot
    iterator that runs out, or an empty source, is a ``ValueError`` naming ``argument`` and
    suggesting ``sources`` (the re-iterable kinds the caller's framework takes).
    """

    def __init__(self, data: Iterable[Any], *, owner: str, argument: str, sources: str) -> None:
        self.data = data
        self.it: Iterator[Any] = iter(data)
        self.one_shot = self.it is data
        self.count = 0
        self._owner, self._argument, self._sources = owner, argument, sources

    def __iter__(self) -> Cycle:
        return self

    def __next__(self) -> Any:
        try:
            batch = next(self.it)
        except StopIteration:
            if self.one_shot or self.count == 0:
                what = "is empty" if self.count == 0 else f"ran out after {self.count} batches"
                raise ValueError(f"{self._owner}: {self._argument} {what}; pass a re-iterable source "
                                 f"({self._sources}) so the test can cycle through it") from None
            self.it = iter(self.data)
            batch = next(self.it)
        self.count += 1
        return batch


def probe_losses(step: Callable[[float], float], rates: Sequence[float] | np.ndarray) -> list[float]:
    """Train one step at each rate in turn and return the losses, stopping after the first
    non-finite one (the caller has already restored the start and restarted its batches)."""
    losses: list[float] = []
    for lr in rates:
        losses.append(step(float(lr)))
        if not np.isfinite(losses[-1]):
            break
    return losses
