"""Names of pytree leaves: key paths joined with ``/`` (``"params/Dense_0/kernel"``)."""

from __future__ import annotations

from typing import Any

import jax

__all__ = ["key_names", "path_name", "key_text", "strip_value"]


def key_text(key: Any) -> str:
    """One path element as text: a dict key, an attribute name or a sequence index."""
    tu = jax.tree_util
    if isinstance(key, tu.DictKey):
        return str(key.key)
    if isinstance(key, tu.GetAttrKey):
        return key.name
    if isinstance(key, tu.SequenceKey):
        return str(key.idx)
    if isinstance(key, tu.FlattenedIndexKey):
        return str(key.key)
    return str(getattr(key, "key", key))


def strip_value(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop a trailing ``.value`` attribute (a Flax NNX ``Variable`` holding its array)."""
    if path and isinstance(path[-1], jax.tree_util.GetAttrKey) and path[-1].name == "value":
        return path[:-1]
    return path


def path_name(path: tuple[Any, ...]) -> str:
    """``(DictKey('params'), DictKey('Dense_0'), DictKey('kernel'))`` -> ``"params/Dense_0/kernel"``
    (an NNX ``Variable``'s trailing ``.value`` is left out: ``"layers/0/linear/kernel"``)."""
    return "/".join(key_text(k) for k in strip_value(path))


def key_names(tree: Any) -> list[str]:
    """The names of ``tree``'s leaves in flattening order.

    Flax NNX ``State`` trees and Linen ``{"params": ...}`` dicts are plain pytrees, so their
    names are the module paths (``"layers/0/kernel"``, ``"params/Dense_0/kernel"``).
    """
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    names = [path_name(p) for p, _ in leaves]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValueError(f"lrkit.jax: two leaves of the tree are both named {n!r}; key paths "
                             f"must be unique")
        seen.add(n)
    return names
