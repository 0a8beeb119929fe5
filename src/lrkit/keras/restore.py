"""Partial restore of a Keras model, with a report and no half-restored models.

The transfer-learning recipe -- restore every pre-trained variable except the new head, then
train only the head -- is one call::

    report = lrkit.keras.load_partial(model, "pretrained.weights.h5", exclude=["head"],
                                      freeze_restored=True)
    print(report)

Names are Keras ``variable.path`` values (``"block_0_dense/kernel"``). A source is read into
``{name: array}`` first: a mapping as is; another model by its variables' paths; a ``.keras``
file through the model it holds; a ``.weights.h5`` file through the layer names Keras stores in
it (each layer's variables in order, matched to this model's layers of the same names); a
TensorFlow checkpoint (a prefix with an ``.index`` file, or a directory holding one) by its
variable names, with the object-graph suffix ``/.ATTRIBUTES/VARIABLE_VALUE`` removed -- use
``rename`` to map them onto this model's paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np

from lrkit import _check, _restore
from lrkit.keras._leaves import CONVENTION, owners
from lrkit.keras._state import to_numpy
from lrkit.rules import as_patterns, compile_pattern

__all__ = ["RestoreReport", "load_partial", "read_source"]

OWNER = "lrkit.keras.load_partial"
_TF_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


@dataclass
class RestoreReport(_restore.RestoreReport):
    """What :func:`load_partial` did, variable by variable (this model's paths)."""

    SOURCE: ClassVar[str] = "source"


# ----------------------------------------------------------------------------- sources
def _sublayers(layer: Any) -> list[Any]:
    kids = getattr(layer, "_layers", None)
    if kids is None:
        kids = getattr(layer, "layers", [])
    return list(kids)


def _h5_index(model: keras.Model) -> dict[str, Any]:
    """``"<layer names>/<i>" -> variable`` as a ``.weights.h5`` file lists this model's variables
    (each layer's own variables in the order ``save_own_variables`` writes them)."""
    out: dict[str, Any] = {}

    def walk(layer: Any, chain: str) -> None:
        own = list(getattr(layer, "_trainable_variables", [])) + list(
            getattr(layer, "_non_trainable_variables", []))
        for i, v in enumerate(own):
            out.setdefault(f"{chain}/{i}" if chain else str(i), v)
        for kid in _sublayers(layer):
            walk(kid, f"{chain}/{kid.name}" if chain else kid.name)

    walk(model, "")
    return out


def _read_h5(path: str, model: keras.Model, notes: list[str]) -> dict[str, np.ndarray]:
    import h5py

    index = _h5_index(model)
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        def visit(key: str, obj: Any) -> None:
            if not (isinstance(obj, h5py.Group) and key.endswith("vars") and len(obj)):
                return
            if key.split("/", 1)[0] not in ("layers", "vars"):
                return  # the optimizer's state and other objects are not weights
            chain = []
            parts = key.split("/")
            for j in range(1, len(parts)):  # every enclosing ".../vars" group names one layer
                up = "/".join(parts[:j]) + "/vars"
                if parts[j] == "layers" and up in f and "name" in f[up].attrs:
                    chain.append(str(f[up].attrs["name"]))
            if key != "vars":  # the model's own variables sit in the top "vars" group
                chain.append(str(obj.attrs.get("name", parts[-2])))
            layer_chain = "/".join(chain)
            for i in obj:
                k = f"{layer_chain}/{i}" if layer_chain else str(i)
                var = index.get(k)
                out[var.path if var is not None else f"{layer_chain}/#{i}"] = np.asarray(obj[i])

        f.visititems(visit)
    notes.append(f"read {len(out)} arrays from {os.fspath(path)} by layer name")
    return out


def _tf_checkpoint(path: str) -> str | None:
    p = Path(path)
    if p.is_dir():
        import tensorflow as tf

        return tf.train.latest_checkpoint(os.fspath(p))
    if Path(os.fspath(path) + ".index").exists():
        return os.fspath(path)
    return None


def _read_tf(prefix: str, notes: list[str]) -> dict[str, np.ndarray]:
    import tensorflow as tf

    reader = tf.train.load_checkpoint(prefix)
    out = {}
    for name in reader.get_variable_to_shape_map():
        if name.startswith("_CHECKPOINTABLE_OBJECT_GRAPH") or name in ("save_counter", "global_step") \
                or "/.OPTIMIZER_SLOT/" in name:
            continue
        key = name[:-len(_TF_SUFFIX)] if name.endswith(_TF_SUFFIX) else name
        out[key] = np.asarray(reader.get_tensor(name))
    notes.append(f"read {len(out)} arrays from the TensorFlow checkpoint {prefix}")
    return out


def read_source(source: Any, model: keras.Model, notes: list[str] | None = None) -> dict[str, np.ndarray]:
    """``{name: array}`` from any source :func:`load_partial` accepts."""
    notes = [] if notes is None else notes
    if isinstance(source, keras.Model):
        return {v.path: to_numpy(v) for v in source.weights}
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path.endswith(".weights.h5"):
            return _read_h5(path, model, notes)
        if path.endswith(".keras"):
            notes.append(f"read the model saved in {path}")
            return read_source(keras.models.load_model(path, compile=False), model, notes)
        if not Path(path).exists() and not Path(path + ".index").exists():
            raise FileNotFoundError(f"{OWNER}: source {path!r} does not exist")
        prefix = _tf_checkpoint(path)
        if prefix is None:
            raise ValueError(f"{OWNER}: source must be a .weights.h5 or .keras file or a TensorFlow "
                             f"checkpoint (prefix with an .index file, or its directory), got {path!r}")
        return _read_tf(prefix, notes)
    if isinstance(source, Mapping):
        out = {}
        for k, v in source.items():
            if not isinstance(k, str):
                raise TypeError(f"{OWNER}: source must map names (str) to arrays; offending key {k!r}")
            out[k] = np.asarray(keras.ops.convert_to_numpy(v))
        return out
    raise TypeError(f"{OWNER}: source must be a .weights.h5/.keras path, a TensorFlow checkpoint, a "
                    f"keras.Model or a mapping name -> array, got {type(source).__name__}")


# ----------------------------------------------------------------------------- public API
def load_partial(model: keras.Model, source: Any, *, exclude: Any = None, rename: Any = None,
                 strict: bool = False, freeze_restored: bool = False,
                 dry_run: bool = False) -> RestoreReport:
    """Load the matching part of ``source`` into ``model`` and report every variable.

    A model variable :math:`k` (by ``variable.path``) is *restored* when the (renamed) source
    has :math:`k` with the same shape and no ``exclude`` pattern matches it; *skipped* when a
    pattern matches; *missing* when the source lacks it; *shape-mismatched* when both have it
    with different shapes (the model keeps its value). Source names the model lacks are
    *unexpected*.

    Args:
        model: a built Keras model.
        source: a ``.weights.h5`` or ``.keras`` path, a TensorFlow checkpoint (prefix or
            directory), another ``keras.Model``, or a mapping ``{name: array}``.
        exclude: patterns of model variables not to restore (globs on paths or ``/``-prefixes,
            ``"re:"`` regexes, Keras layer classes) -- e.g. the new head.
        rename: ``{old prefix: new prefix}`` or a callable ``name -> new name | None`` (``None``
            drops the entry), applied to source names -- the name map of a TF checkpoint.
        strict: raise ``ValueError`` (model untouched) if anything is missing, unexpected or
            mismatched.
        freeze_restored: afterwards set ``trainable = False`` on the restored trainable
            variables, so only the rest trains (the article's ``variables_to_train`` split).
        dry_run: compute the report without touching the model.

    The load is atomic: every value is checked and cast before the first assignment.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"{OWNER}: model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"{OWNER}: model must be built (its variables must exist) before a restore")
    for name, value in (("strict", strict), ("freeze_restored", freeze_restored), ("dry_run", dry_run)):
        _check.boolean(name, value, OWNER)
    preds = [compile_pattern(p, CONVENTION, "exclude", OWNER)
             for p in as_patterns(exclude, "exclude", OWNER, CONVENTION)]
    rn = _restore.renamer(rename, owner=OWNER, sep="/")
    report = RestoreReport(dry_run=dry_run)
    raw = read_source(source, model, report.notes)
    incoming: dict[str, np.ndarray] = {}
    for src, value in raw.items():
        new = rn(src)
        if new is None:
            report.skipped.append(src)
            continue
        if new != src:
            report.renamed[src] = new
        if new in incoming:
            raise ValueError(f"{OWNER}: two source names map to {new!r} after renaming")
        incoming[new] = value
    own = owners(model)
    targets: dict[str, Any] = {}
    for v in model.weights:
        if "seed_generator" in v.path:
            continue  # a dropout's random state is not a weight to transfer
        targets.setdefault(v.path, v)
    plan: list[tuple[Any, np.ndarray]] = []
    for key, var in targets.items():
        if any(p(key, own.get(id(var))) for p in preds):
            report.skipped.append(key)
            continue
        if key not in incoming:
            report.missing.append(key)
            continue
        value = incoming[key]
        if tuple(value.shape) != tuple(var.shape):
            report.mismatched[key] = (tuple(value.shape), tuple(var.shape))
            continue
        try:
            cast = np.asarray(value).astype(keras.backend.standardize_dtype(var.dtype), copy=False)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{OWNER}: source value for {key!r} ({value.dtype}) cannot be cast to "
                            f"{var.dtype}: {e}") from None
        plan.append((var, cast))
        report.restored.append(key)
    report.unexpected = [k for k in incoming if k not in targets and
                         not any(p(k, None) for p in preds)]
    if strict and not report.ok:
        raise ValueError(f"{OWNER} (strict): nothing was restored\n{report}")
    if not dry_run:
        for var, value in plan:
            var.assign(value)
        if freeze_restored:
            for var, _ in plan:
                if var.trainable:
                    var.trainable = False
                    report.frozen.append(var.path)
    return report
