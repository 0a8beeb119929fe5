"""A bitwise copy of everything a few training steps change in a compiled Keras model.

Weights (trainable and not: batch-norm statistics, dropout seed-generator states), optimizer
variables (``iterations`` and the rate variable included), metric variables, and the random
generators a Keras program draws from: Python's ``random``, NumPy's global state, Keras' global
seed generator, TensorFlow's global generator and torch's CPU generator when those frameworks
are loaded. :meth:`Snapshot.restore` puts them back bit for bit.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import keras
import numpy as np

__all__ = ["Snapshot", "unique_variables", "to_numpy", "rate_owner"]


def rate_owner(optimizer: Any) -> Any:
    """The optimizer holding the rate: the wrapped one of a ``GroupedOptimizer``."""
    from lrkit.keras.optimizer import GroupedOptimizer

    return optimizer.inner if isinstance(optimizer, GroupedOptimizer) else optimizer


def to_numpy(variable: Any) -> np.ndarray:
    """A NumPy copy of a Keras variable's value (never a view of the live buffer)."""
    return np.array(keras.ops.convert_to_numpy(variable.value), copy=True)


def unique_variables(*groups: Any) -> list[Any]:
    """The variables of several lists, each once, in order of first appearance."""
    seen: set[int] = set()
    out = []
    for group in groups:
        for v in group:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def _global_seed_generator() -> Any:
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # pragma: no cover - layout of older Keras 3 releases
        return None
    return global_state.get_global_attribute("global_seed_generator")


class _Rng:
    """The global random generators in use by this process."""

    def __init__(self) -> None:
        self.py = random.getstate()
        self.np = np.random.get_state()
        gen = _global_seed_generator()
        self.keras_gen = gen
        self.keras_state = to_numpy(gen.state) if gen is not None else None
        self.torch_state = None
        if "torch" in sys.modules:
            import torch

            self.torch_state = torch.get_rng_state()
        self.tf_gen = None
        if "tensorflow" in sys.modules:
            import tensorflow as tf

            # only an existing global generator: creating one would itself change the state
            from tensorflow.python.ops import stateful_random_ops as sro

            gen_tf = getattr(sro, "global_generator", None)
            if gen_tf is not None:
                self.tf_gen = gen_tf
                self.tf_state = np.array(gen_tf.state.numpy(), copy=True)
                self.tf_alg = tf.constant(gen_tf.algorithm)

    def restore(self) -> None:
        random.setstate(self.py)
        np.random.set_state(self.np)
        if self.keras_gen is not None and self.keras_state is not None:
            self.keras_gen.state.assign(self.keras_state)
        if self.torch_state is not None:
            import torch

            torch.set_rng_state(self.torch_state)
        if self.tf_gen is not None:
            self.tf_gen.reset(self.tf_state)


class Snapshot:
    """One copy of a compiled model's state; :meth:`restore` writes it back bitwise.

    The optimizer's variable *list* is recorded too: a variable the optimizer created after the
    snapshot (e.g. a temporary rate variable) is untracked again on restore.
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        opt = rate_owner(model.optimizer) if model.optimizer is not None else None
        self.optimizer = opt
        self.variables = unique_variables(model.variables, opt.variables if opt is not None else [],
                                          model.metrics_variables)
        self.values = [to_numpy(v) for v in self.variables]
        self.opt_variables = list(opt.variables) if opt is not None else []
        self.opt_rate = getattr(opt, "_learning_rate", None)
        self.rng = _Rng()

    def restore(self, *, rng: bool = True) -> None:
        """Write every value back (and the random generators unless ``rng=False``)."""
        opt = self.optimizer
        if opt is not None:
            if opt._learning_rate is not self.opt_rate:
                opt._learning_rate = self.opt_rate
            keep = {id(v) for v in self.opt_variables}
            for v in list(opt.variables):
                if id(v) not in keep:
                    opt._untrack_variable(v)
        for v, value in zip(self.variables, self.values):
            v.assign(value)
        if rng:
            self.rng.restore()
