"""A Keras model described as :class:`lrkit.rules.Leaf` records (one per trainable-capable
variable, named by ``variable.path``), and its layer stack for layer ids."""

from __future__ import annotations

from typing import Any

import keras

from lrkit.rules import Leaf, Stack
from lrkit.rules.patterns import Convention

__all__ = ["CONVENTION", "layers_of", "leaves", "stack_of", "owners"]

#: Keras names: ``variable.path`` components joined by ``/``; class patterns name Keras layers.
CONVENTION = Convention("/", keras.layers.Layer, "keras.layers.Layer")

_NORMS = tuple(c for c in (getattr(keras.layers, n, None) for n in (
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "RMSNormalization", "SpectralNormalization")) if isinstance(c, type))
_EMBEDDINGS = tuple(c for c in (getattr(keras.layers, n, None) for n in ("Embedding",))
                    if isinstance(c, type))


def layers_of(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer inside ``model`` (the model first), outer before inner."""
    flat = getattr(model, "_flatten_layers", None)
    if flat is not None:
        return list(flat(include_self=True, recursive=True))
    out, todo = [], [model]
    while todo:
        layer = todo.pop(0)
        out.append(layer)
        todo.extend(getattr(layer, "layers", []))
    return out


def owners(model: keras.Model) -> dict[int, keras.layers.Layer]:
    """``id(variable) -> the innermost layer holding it``."""
    own: dict[int, keras.layers.Layer] = {}
    for layer in layers_of(model):
        for v in layer.weights:
            own[id(v)] = layer  # inner layers come later and win
    return own


def leaves(model: keras.Model) -> list[Leaf]:
    """One leaf per distinct variable that can train (a layer's trainable variable, also while
    frozen), in the model's order; ``Leaf.trainable`` says whether it trains now."""
    own = owners(model)
    now = {id(v) for v in model.trainable_variables}
    # a layer's trainable-capable variables, also while the layer is frozen
    capable = {id(v) for layer in layers_of(model) for v in getattr(layer, "_trainable_variables", [])}
    out, seen = [], set()
    for v in model.weights:
        if id(v) in seen or not (v.trainable or id(v) in capable):
            continue
        seen.add(id(v))
        layer = own.get(id(v))
        out.append(Leaf(v.path, "/", tuple(v.shape), owner=layer, local=v.name,
                        is_norm=isinstance(layer, _NORMS), is_embedding=isinstance(layer, _EMBEDDINGS),
                        trainable=id(v) in now, value=v))
    names = [leaf.name for leaf in out]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"lrkit.keras: variable paths must be unique to be matched by name; these "
                         f"repeat: {dup[:10]} (give the layers distinct names)")
    return out


def stack_of(model: keras.Model, found: list[Leaf]) -> Stack | str | None:
    """The layer stack of a flat model (every top-level layer holding its variables itself):
    its top-level layers in ``model.layers`` order -- Keras's automatic names (``dense_1``)
    count layers per process, not positions. ``None`` (find it from the names) otherwise."""
    top = [layer for layer in getattr(model, "layers", []) if layer.weights]
    if len(top) < 2 or any(len(layers_of(layer)) > 1 for layer in top):
        return None
    prefix: dict[int, str] = {}
    for leaf in found:
        v: Any = leaf.value
        prefix.setdefault(id(leaf.owner), v.path.rsplit("/", 1)[0])
    blocks = tuple(prefix[id(layer)] for layer in top if id(layer) in prefix)
    return Stack(blocks, root=True, name=getattr(model, "name", "model")) if len(blocks) >= 2 else None
