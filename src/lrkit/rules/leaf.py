"""The neutral record of one trainable leaf (a parameter, a variable, a pytree leaf)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lrkit.rules.patterns import class_names

__all__ = ["Leaf"]


@dataclass(eq=False)
class Leaf:
    """One distinct leaf of a model, as a framework adapter describes it.

    Args:
        name: the full path, components joined by ``sep`` (``"encoder.layers.0.linear1.weight"``,
            ``"encoder/block_0/dense/kernel"``, ``"params/Dense_0/kernel"``).
        sep: the separator of ``name``.
        shape: the leaf's shape (``ndim`` and ``size`` derive from it).
        owner: the object owning the leaf (``nn.Module``, Keras layer, Flax NNX module) for class
            patterns, or ``None``.
        local: the leaf's own name on its owner (``"bias"``, ``"kernel"``); default: the last
            component of ``name``.
        aliases: other ``(name, owner)`` pairs under which the same leaf appears (tied weights).
        is_bias: a bias; default ``local == "bias"``.
        is_norm: owned by a normalisation layer (the adapter decides what counts).
        is_embedding: owned by an embedding layer (the adapter decides what counts).
        trainable: whether the leaf trains now (``requires_grad``, ``variable.trainable``).
        value: the framework object itself (``nn.Parameter``, ``keras.Variable``, array).
        classes: class names of the owner for ``"class:<name>"`` patterns; default the
            ``__name__`` of every class in ``type(owner).__mro__``.
    """

    name: str
    sep: str = "."
    shape: tuple[int, ...] = ()
    owner: Any = None
    local: str = ""
    aliases: list[tuple[str, Any]] = field(default_factory=list)
    is_bias: bool | None = None
    is_norm: bool = False
    is_embedding: bool = False
    trainable: bool = True
    value: Any = None
    classes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Leaf: name must be a non-empty string, got {self.name!r}")
        self.shape = tuple(int(d) for d in self.shape)
        if not self.local:
            self.local = self.name.rsplit(self.sep, 1)[-1]
        if self.is_bias is None:
            self.is_bias = self.local == "bias"
        if self.classes is None:
            self.classes = class_names(self.owner)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def names(self) -> list[str]:
        """The name, then every alias."""
        return [self.name, *(a for a, _ in self.aliases)]
