"""One call from leaves and rules to the :class:`~lrkit.rules.Assignment`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrkit import _check
from lrkit.rules.assign import TRAIN, match_rules
from lrkit.rules.layers import Stack, auto_layer_ids, resolve_layer_ids
from lrkit.rules.leaf import Leaf
from lrkit.rules.patterns import DOTS, Convention
from lrkit.rules.result import Assignment, assign_groups

__all__ = ["assign", "check_decay"]


def check_decay(decay: Any, owner: str) -> float:
    """``decay`` as a float in :math:`(0, 1]`, or a ``ValueError``/``TypeError`` naming it."""
    g = _check.number("decay", decay, owner)
    if not 0 < g <= 1:
        raise ValueError(f"{owner}: decay must be in (0, 1], got {decay!r}")
    return g


def assign(leaves: Sequence[Leaf], rules: Any = None, *, convention: Convention = DOTS,
           no_decay: Any = "auto", strict: bool = False, decay: float | None = None,
           layer_ids: Any = None, top: int | None = None, stack: Stack | str | None = None,
           owner: str = "param_groups", stacklevel: int = 2) -> Assignment:
    """Rules (and, with ``decay``, layer-wise decay) over ``leaves``.

    Without ``decay`` each trainable leaf gets its first rule's multipliers
    (:func:`~lrkit.rules.match_rules`). With ``decay`` = :math:`\\gamma` each also gets a layer id
    :math:`\\ell` and

    .. math:: m = \\text{lr\\_mult}_r\\, \\gamma^{L - \\ell}

    where :math:`L` = ``top`` (default: the largest id). Ids come from ``layer_ids`` (mapping
    ``{pattern: id}`` or callable ``name -> id | None``) over the automatic ids of ``stack`` (a
    :class:`~lrkit.rules.Stack` the adapter found, a string saying why there is none, or ``None``
    to find one from the names, :func:`~lrkit.rules.find_stack`). Layer ids are computed over the
    trainable leaves. Nothing is modified; the adapter freezes ``result.to_freeze``.
    """
    _check.boolean("strict", strict, owner)
    g = None if decay is None else check_decay(decay, owner)
    matches = match_rules(leaves, rules, convention=convention, no_decay=no_decay, strict=strict,
                          owner=owner, stacklevel=stacklevel + 1)
    if g is None:
        if layer_ids is not None or top is not None:
            raise ValueError(f"{owner}: layer_ids and top need decay, got decay=None")
        return assign_groups(matches, owner=owner)
    trainable = [m.leaf for m in matches if m.status == TRAIN]
    auto = auto_layer_ids(trainable, stack)
    ids = resolve_layer_ids(trainable, layer_ids, auto, convention=convention, owner=owner)
    top_v = max(ids.values(), default=0) if top is None else _check.integer("top", top, owner, minimum=0)
    if ids and top_v < max(ids.values()):
        raise ValueError(f"{owner}: top must be >= the largest layer id {max(ids.values())}, got {top!r}")
    return assign_groups(matches, layer_of=ids, layer_scale=lambda lid: g ** (top_v - lid), owner=owner)
