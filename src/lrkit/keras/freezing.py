"""Freeze and unfreeze parts of a Keras model by name patterns, with Keras's semantics.

A frozen variable has ``trainable = False``: ``model.trainable_variables`` leaves it out, so
the optimizer never sees it (no step, no momentum, no weight decay: it stays bit for bit). A
normalisation layer whose variables are all frozen is itself set ``trainable = False``, which in
Keras 3 also runs a ``BatchNormalization`` in inference mode (its moving statistics stop
updating) -- ``bn="train"`` keeps the layer trainable so its statistics go on updating while its
scale and offset stay frozen. Recompile (``model.compile``) after freezing, as Keras requires.
"""

from __future__ import annotations

from typing import Any

import keras

from lrkit import _check
from lrkit.keras._leaves import CONVENTION, layers_of, owners
from lrkit.rules import as_patterns, compile_pattern

__all__ = ["freeze", "unfreeze"]


def _select(model: Any, patterns: Any, owner: str) -> list[Any]:
    if not isinstance(model, keras.Model):
        raise TypeError(f"{owner}: model must be a keras.Model, got {type(model).__name__}")
    preds = [compile_pattern(p, CONVENTION, "patterns", owner)
             for p in as_patterns(patterns, "patterns", owner, CONVENTION)]
    own = owners(model)
    seen: set[int] = set()
    out = []
    for v in model.weights:
        if id(v) in seen or "seed_generator" in v.path:
            continue
        seen.add(id(v))
        if not preds or any(p(v.path, own.get(id(v))) for p in preds):
            out.append(v)
    if preds and not out:
        raise ValueError(f"{owner}: patterns match no variable of the model: {patterns!r}")
    return out


def _norm_layers(model: Any) -> list[Any]:
    return [layer for layer in layers_of(model) if isinstance(layer, keras.layers.BatchNormalization)]


def freeze(model: keras.Model, patterns: Any = None, *, bn: str = "eval") -> list[str]:
    """Set ``trainable = False`` on the variables matching ``patterns`` (all when ``None``):
    globs on ``variable.path`` or its ``/``-prefixes, ``"re:"`` regexes, Keras layer classes.

    ``bn="eval"``: a ``BatchNormalization`` layer whose scale and offset are all frozen is set
    ``trainable = False`` (inference mode, statistics frozen); ``bn="train"``: it stays trainable
    and its moving statistics keep updating. Returns the paths newly frozen.
    """
    owner = "lrkit.keras.freeze"
    _check.choice("bn", bn, ("eval", "train"), owner)
    chosen = _select(model, patterns, owner)
    ids = {id(v) for v in chosen}
    done = []
    for v in chosen:
        if v.trainable:
            v.trainable = False
            done.append(v.path)
    if bn == "eval":
        for layer in _norm_layers(model):
            scale_offset = [v for v in layer.weights if "moving" not in v.path]
            if scale_offset and all(id(v) in ids or not v.trainable for v in scale_offset):
                layer.trainable = False
    return done


def unfreeze(model: keras.Model, patterns: Any = None) -> list[str]:
    """Set ``trainable = True`` again on the matching variables (and their layers, up to the
    model); moving statistics stay non-trainable. Returns the paths newly trainable."""
    owner = "lrkit.keras.unfreeze"
    chosen = _select(model, patterns, owner)
    ids = {id(v) for v in chosen}
    own = owners(model)
    trainable_now = {id(v) for v in model.trainable_variables}
    done = []
    for v in chosen:
        if "moving_" in v.path:
            continue
        layer = own.get(id(v))
        if layer is not None and not layer.trainable:
            keep = [w for w in layer.weights if id(w) not in ids and not w.trainable]
            layer.trainable = True  # Keras sets every variable of the layer trainable
            for w in keep:
                w.trainable = False
        if not v.trainable:
            v.trainable = True
        if id(v) not in trainable_now:
            done.append(v.path)
    return done
