"""Endless training batches from whatever ``model.fit`` accepts.

Arrays (NumPy or backend tensors, or lists/dicts of them, with ``y`` and ``sample_weight``) are
cut into shuffled batches of ``batch_size``; a ``tf.data.Dataset``, a
``keras.utils.PyDataset`` or any re-iterable source (a list of batches, a torch
``DataLoader``) is cycled; a one-shot iterator (a generator) is read once and running out of it
is an error. Each batch is ``(x, y, sample_weight)`` as ``keras.utils.unpack_x_y_sample_weight``
reads it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any

import keras
import numpy as np

__all__ = ["Batches"]

Batch = tuple[Any, Any, Any]


def _is_tf_dataset(x: Any) -> bool:
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return isinstance(x, tf.data.Dataset)


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and len(getattr(x, "shape", ())) > 0


def _is_array_tree(x: Any) -> bool:
    if isinstance(x, (str, bytes)):
        return False
    if _is_array(x):
        return True
    if isinstance(x, dict):
        return bool(x) and all(_is_array_tree(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return bool(x) and all(_is_array_tree(v) for v in x)
    return False


def _plain(leaf: Any) -> Any:
    """Torch tensors (e.g. from a DataLoader) as NumPy, so every backend takes them."""
    if type(leaf).__module__.startswith("torch") and hasattr(leaf, "detach"):
        return leaf.detach().cpu().numpy()
    return leaf


def _kind(x: Any) -> str:
    if _is_tf_dataset(x):
        return "tf.data"
    if isinstance(x, keras.utils.PyDataset):
        return "PyDataset"
    batch_list = isinstance(x, list) and bool(x) and all(isinstance(b, tuple) for b in x)
    if _is_array_tree(x) and not batch_list:
        return "arrays"
    if isinstance(x, Iterator):
        return "iterator"
    if isinstance(x, Iterable) and not isinstance(x, (str, bytes, dict)):
        return "iterable"
    return ""


class Batches:
    """Endless batches for a range test; :meth:`fresh` starts a new pass from the beginning
    (the same order again for arrays)."""

    def __init__(self, x: Any, y: Any, sample_weight: Any, *, batch_size: int, shuffle: bool,
                 seed: int, owner: str) -> None:
        self.owner = owner
        self.kind = _kind(x)
        if not self.kind:
            raise TypeError(f"{owner}: x must be arrays (NumPy or tensors, or a list/dict of them), a "
                            "tf.data.Dataset, a keras.utils.PyDataset, a generator or an iterable of "
                            f"batches, got {type(x).__name__}")
        if self.kind != "arrays" and (y is not None or sample_weight is not None):
            raise ValueError(f"{owner}: y and sample_weight must be None when x is a {self.kind} "
                             "(its batches carry the targets), got "
                             f"y={type(y).__name__}, sample_weight={type(sample_weight).__name__}")
        self.x, self.y, self.sw = x, y, sample_weight
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        if self.kind == "arrays":
            self.data = tuple(None if part is None else keras.tree.map_structure(np.asarray, part)
                              for part in (x, y, sample_weight))
            lengths = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1
                       for part in self.data if part is not None for leaf in keras.tree.flatten(part)}
            if len(lengths) != 1:
                raise ValueError(f"{owner}: x, y and sample_weight must have the same number of "
                                 f"samples, got lengths {sorted(lengths)}")
            self.n = lengths.pop()
            if self.n == 0:
                raise ValueError(f"{owner}: x is empty")
        self._start()

    def _start(self) -> None:
        self.count = 0
        self.pass_count = 0
        if self.kind == "arrays":
            self.rng = np.random.default_rng(self.seed)
            self._new_order()
        elif self.kind == "tf.data":
            self.it: Iterator[Any] = self.x.as_numpy_iterator()
        elif self.kind == "PyDataset":
            n = getattr(self.x, "num_batches", None)
            self.n = len(self.x) if n is None else int(n)
            if self.n == 0:
                raise ValueError(f"{self.owner}: x (a PyDataset) has no batches")
            self.index = 0
        else:
            self.it = iter(self.x)

    def _new_order(self) -> None:
        order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        full = self.n // self.batch_size
        # a partial last batch only when there is no full one
        stops = [self.batch_size * (i + 1) for i in range(full)] or [self.n]
        self.slices = [order[s - min(self.batch_size, self.n):s] for s in stops]
        self.index = 0

    def fresh(self) -> Batches:
        """The same source from its start (arrays: the same shuffled order)."""
        if self.kind != "iterator":
            self._start()
        return self

    def __iter__(self) -> Batches:
        return self

    def __next__(self) -> Batch:
        if self.kind == "arrays":
            if self.index == len(self.slices):
                self._new_order()
            idx = self.slices[self.index]
            self.index += 1
            self.count += 1
            return tuple(None if part is None else keras.tree.map_structure(lambda a: a[idx], part)
                         for part in self.data)  # type: ignore[return-value]
        if self.kind == "PyDataset":
            if self.index == self.n:
                self.index = 0
            batch = self.x[self.index]
            self.index += 1
        else:
            try:
                batch = next(self.it)
            except StopIteration:
                if self.kind == "iterator" or self.count == 0:
                    what = "is empty" if self.count == 0 else f"ran out after {self.count} batches"
                    raise ValueError(f"{self.owner}: x {what}; pass arrays, a tf.data.Dataset, a "
                                     "PyDataset or another re-iterable source so the test can cycle "
                                     "through it") from None
                self.it = self.x.as_numpy_iterator() if self.kind == "tf.data" else iter(self.x)
                batch = next(self.it)
        self.count += 1
        batch = keras.tree.map_structure(_plain, batch) if isinstance(batch, (tuple, list, dict)) \
            else _plain(batch)
        if isinstance(batch, list):
            batch = tuple(batch)
        return keras.utils.unpack_x_y_sample_weight(batch)
