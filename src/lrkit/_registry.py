"""Names that configs may use: native schedule types and every dialect's constructors."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

__all__ = ["register", "lookup", "names", "closest"]

_REGISTRY: dict[str, Callable[..., Any]] = {}
# dialect modules imported lazily the first time one of their names is looked up
_DIALECT_MODULES = {
    "tf1": "lrkit.compat.tf1",
    "keras": "lrkit.compat.keras",
    "optax": "lrkit.compat.optax",
    "torch": "lrkit.compat.torch",
    "hf": "lrkit.compat.transformers",
    "transformers": "lrkit.compat.transformers",
    "timm": "lrkit.compat.timm",
    "deepspeed": "lrkit.compat.deepspeed",
}


def register(name: str, factory: Callable[..., Any]) -> None:
    """Make ``name`` usable as a config ``type``."""
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not factory:
        raise ValueError(f"schedule name {name!r} is already registered")
    _REGISTRY[name] = factory


def _load_dialects(prefix: str | None = None) -> None:
    import importlib

    for key, module in _DIALECT_MODULES.items():
        if prefix is None or key == prefix:
            try:
                importlib.import_module(module)
            except ImportError:  # a dialect that is not written yet
                pass


def lookup(name: str) -> Callable[..., Any]:
    """The factory registered under ``name``; a ``ValueError`` listing close names otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"schedule type must be a string, got {name!r}")
    factory = _REGISTRY.get(name)
    if factory is None and "." in name:
        _load_dialects(name.split(".", 1)[0])
        factory = _REGISTRY.get(name)
    if factory is None:
        near = closest(name)
        hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
        raise ValueError(f"unknown schedule type {name!r}{hint} (`lrkit list` shows every name)")
    return factory


def closest(name: str, n: int = 3) -> list[str]:
    _load_dialects()
    pool = list(_REGISTRY)
    near = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    if not near:
        low = name.lower()
        near = [p for p in pool if low in p.lower()][:n]
    return near


def names(include_dialects: bool = True) -> list[str]:
    if include_dialects:
        _load_dialects()
    return sorted(_REGISTRY)
