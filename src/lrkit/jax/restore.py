"""Partial restore of a parameter pytree, with a report and nothing half-merged.

``new_params, report = load_partial(params, source, exclude=["params/head"])`` returns a new
pytree with the structure of ``params`` (JAX arrays are immutable: ``params`` itself is never
changed): a leaf :math:`k` takes the checkpoint's value when the checkpoint has :math:`k` with
the same shape and dtype and no ``exclude`` pattern (the shared rule grammar's patterns on
``/``-joined key paths) matches it; otherwise it keeps its value from ``params`` and the report
says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jax
import numpy as np

from lrkit import _check, _restore
from lrkit import rules as _rules
from lrkit.jax._paths import path_name

__all__ = ["RestoreReport", "load_partial"]

OWNER = "lrkit.jax.load_partial"


@dataclass
class RestoreReport(_restore.RestoreReport):
    """What :func:`load_partial` did, leaf by leaf (``/``-joined key paths of ``params``).

    ``dtype_mismatched`` maps each leaf left as is because the checkpoint's dtype differs to
    ``(checkpoint dtype, params dtype)``.
    """

    dtype_mismatched: dict[str, tuple[str, str]] = field(default_factory=dict)

    UNIT: ClassVar[str] = "leaves"
    TARGET: ClassVar[str] = "params"

    @property
    def ok(self) -> bool:
        """Nothing missing, unexpected or mismatched (shape or dtype)."""
        return super().ok and not self.dtype_mismatched

    def _counts(self) -> list[str]:
        return [f"{len(self.dtype_mismatched)} dtype-mismatched"]

    def _details(self) -> list[str]:
        return [f"  dtype mismatch (kept as is): {k}: checkpoint {src} vs params {dst}"
                for k, (src, dst) in self.dtype_mismatched.items()]


def _flat(tree: Any, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p, v in jax.tree_util.tree_flatten_with_path(tree)[0]:
        name = path_name(p)
        if name in out:
            raise ValueError(f"{OWNER}: two leaves of {what} are both named {name!r}")
        out[name] = v
    return out


def _read(source: Any, notes: list[str]) -> dict[str, Any]:
    if not isinstance(source, (str, os.PathLike)):
        return _flat(source, "source")
    path = os.fspath(source)
    if os.path.isdir(path):
        try:
            import orbax.checkpoint as ocp
        except ImportError:
            raise ValueError(f"{OWNER}: source {path!r} is a directory (an orbax/Flax checkpoint) "
                             "but orbax-checkpoint is not installed") from None
        tree = ocp.PyTreeCheckpointer().restore(os.path.abspath(path))
        notes.append(f"read the orbax checkpoint {path}")
        return _flat(tree, "source")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{OWNER}: source {path!r} does not exist")
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    if path.endswith(".safetensors"):
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise ValueError(f"{OWNER}: source {path!r} is a .safetensors file but safetensors is "
                             "not installed") from None
        return dict(load_file(path))
    raise ValueError(f"{OWNER}: source must be a pytree, a .npz or .safetensors file or an orbax "
                     f"checkpoint directory, got the path {path!r}")


def load_partial(params: Any, source: Any, *, exclude: Any = None,
                 strict: bool = False) -> tuple[Any, RestoreReport]:
    """Restore the matching part of ``source`` into (a copy of) ``params``.

    Args:
        params: the pytree to restore into (a dict, a Flax Linen tree, a Flax NNX state).
        source: a pytree, or a path: a ``.npz`` file (keys are ``/``-joined paths, as
            ``np.savez(path, **flat)`` writes them), a ``.safetensors`` file (same keys), or an
            orbax / Flax checkpoint directory (``orbax-checkpoint`` installed).
        exclude: patterns of leaves to keep from ``params`` (globs on ``/``-joined paths or
            prefixes, ``"re:"`` regexes) -- e.g. the new head.
        strict: raise ``ValueError`` when anything is missing, unexpected or mismatched.

    Returns:
        ``(new_params, report)``: ``new_params`` has the structure, shapes and dtypes of
        ``params``; :class:`RestoreReport` lists restored, skipped, missing, unexpected, shape-
        and dtype-mismatched leaves. On any error nothing is returned (no half-merged tree).
    """
    _check.boolean("strict", strict, OWNER)
    matchers = [_rules.compile_pattern(p, _rules.SLASHES, "exclude", OWNER)
                for p in _rules.as_patterns(exclude, "exclude", OWNER)]
    flat, treedef = jax.tree_util.tree_flatten_with_path(params)
    if not flat:
        raise ValueError(f"{OWNER}: params must be a pytree with at least one array leaf, got "
                         f"{type(params).__name__}")
    names = [path_name(p) for p, _ in flat]
    report = RestoreReport()
    incoming = _read(source, report.notes)

    def excluded(name: str) -> bool:
        leaf = _rules.Leaf(name, sep="/")
        return any(m.leaf(leaf) for m in matchers)

    new_leaves = []
    for name, (_, value) in zip(names, flat):
        if excluded(name):
            report.skipped.append(name)
            new_leaves.append(value)
            continue
        if name not in incoming:
            report.missing.append(name)
            new_leaves.append(value)
            continue
        src = incoming[name]
        src_shape, dst_shape = tuple(np.shape(src)), tuple(np.shape(value))
        if src_shape != dst_shape:
            report.mismatched[name] = (src_shape, dst_shape)
            new_leaves.append(value)
            continue
        src_dtype, dst_dtype = np.dtype(getattr(src, "dtype", np.asarray(src).dtype)), np.dtype(value.dtype)
        if src_dtype != dst_dtype:
            report.dtype_mismatched[name] = (str(src_dtype), str(dst_dtype))
            new_leaves.append(value)
            continue
        report.restored.append(name)
        new_leaves.append(src)
    known = set(names)
    report.unexpected = [k for k in incoming if k not in known and not excluded(k)]
    report.skipped += [k for k in incoming if k not in known and excluded(k)]
    if strict and not report.ok:
        raise ValueError(f"{OWNER} (strict): the checkpoint does not fit params\n{report}")
    import jax.numpy as jnp

    out = []
    for (_, old), new in zip(flat, new_leaves):
        if new is old:
            out.append(old)
        else:
            arr = jnp.asarray(new, dtype=old.dtype)
            sharding = getattr(old, "sharding", None)
            out.append(jax.device_put(arr, sharding) if sharding is not None else arr)
    return jax.tree_util.tree_unflatten(treedef, out), report
