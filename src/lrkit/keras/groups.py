"""Per-layer rates for Keras models: rules and layer-wise decay over ``variable.path`` names.

The same grammar as :func:`lrkit.torch.param_groups` (:mod:`lrkit.rules`): globs on the whole
path or any ``/``-prefix (``"encoder"`` selects ``encoder/block_0/dense/kernel``), ``"re:"``
regexes, Keras layer classes (``keras.layers.Embedding``) or ``"class:LayerNormalization"``,
first match wins, ``strict=True`` lists overlaps, orphans and unused rules; the no-decay default
(``"auto"``: biases, variables with at most one dimension, normalisation and embedding layers)
means the same as on the PyTorch side. ``groups.wrap(optimizer)`` gives the Keras optimizer that
applies them (:class:`~lrkit.keras.GroupedOptimizer`); the optimizer's rate or schedule is the
base, as with ``lr=None`` on the PyTorch side.
"""

from __future__ import annotations

import warnings
from typing import Any

import keras

from lrkit import rules as _rules
from lrkit.keras._leaves import CONVENTION, leaves, stack_of
from lrkit.keras.optimizer import GroupedOptimizer

__all__ = ["Groups", "param_groups", "layer_decay"]


class Groups:
    """The rules' result for a Keras model: what each variable gets, and the optimizer wrapper.

    ``assignment`` is the :class:`lrkit.rules.Assignment` over the variables that train now;
    ``multipliers`` maps *every* trainable-capable variable path (frozen ones included, so a
    later unfreeze finds its rate) to ``(lr_mult, decay_mult)``.
    """

    def __init__(self, assignment: _rules.Assignment, multipliers: dict[str, tuple[float, float]],
                 group_of: dict[str, str]) -> None:
        self.assignment = assignment
        self.multipliers = multipliers
        self.group_of = group_of

    @property
    def frozen(self) -> list[str]:
        return list(self.assignment.frozen)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{path: {"group", "lr_scale", "weight_decay_scale"[, "layer_id"]}}`` for the
        variables that train (as :func:`lrkit.torch.param_groups` reports)."""
        return self.assignment.as_dict()

    def table(self) -> str:
        """The printed table: variable path, [layer id,] group, rate and weight-decay scales."""
        return self.assignment.table()

    def wrap(self, optimizer: keras.optimizers.Optimizer) -> GroupedOptimizer:
        """A Keras optimizer applying these multipliers around ``optimizer`` (its rate or
        schedule and its weight decay are the base)."""
        return GroupedOptimizer(optimizer, self.multipliers, groups=self.group_of)

    def __repr__(self) -> str:
        a = self.assignment
        return f"Groups({len(a.rows)} variables in {len(a.groups)} groups, {len(a.frozen)} frozen)"


def _check_model(model: Any, owner: str) -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"{owner}: model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"{owner}: model must be built (call it on data or give it an Input) so "
                         "its variables exist")


def _resolve(model: keras.Model, rules: Any, owner: str, **kw: Any) -> Groups:
    _check_model(model, owner)
    found = leaves(model)
    if kw.get("decay") is not None and kw.get("stack") is None:
        kw["stack"] = stack_of(model, found)
    now = _rules.assign(found, rules, convention=CONVENTION, owner=owner, stacklevel=4, **kw)
    # the same rules as if nothing were frozen: the rates a later unfreeze will use
    every = [_rules.Leaf(f.name, "/", f.shape, owner=f.owner, local=f.local, is_norm=f.is_norm,
                         is_embedding=f.is_embedding, trainable=True, value=f.value) for f in found]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = _rules.assign(every, rules, convention=CONVENTION, owner=owner,
                             **{**kw, "strict": False})
    nd = _rules.no_decay_test(kw.get("no_decay", "auto"), CONVENTION, owner)
    multipliers = {f.name: (1.0, 0.0 if nd(f) else 1.0) for f in every}
    group_of = {}
    for row in full.rows:
        multipliers[row.name] = (row.lr_scale, row.weight_decay_scale)
        group_of[row.name] = row.group
    for leaf in now.to_freeze:
        leaf.value.trainable = False
    return Groups(now, multipliers, group_of)


def param_groups(model: keras.Model, rules: Any = None, *, no_decay: Any = "auto",
                 strict: bool = False) -> Groups:
    """Rate and weight-decay multipliers for a Keras model's variables, from rules.

    ``rules``: a list of :class:`lrkit.rules.Rule` (or dicts with its keys) or a mapping
    ``{pattern: lr_mult | "freeze" | {rule options}}``. A variable's rate is the optimizer's
    rate times its rule's ``lr_mult``; its weight decay is the optimizer's times ``decay_mult``
    (default 1, or 0 for no-decay variables). Variables no rule selects keep multiplier 1
    (group ``"default"``). A ``freeze`` rule sets ``variable.trainable = False``.

    .. math:: \\eta_v(t) = m_v\\, \\eta(t), \\qquad \\lambda_v = d_v\\, \\lambda
    """
    return _resolve(model, rules, "lrkit.keras.param_groups", no_decay=no_decay, strict=strict)


def layer_decay(model: keras.Model, decay: float = 0.75, *, rules: Any = None, layer_ids: Any = None,
                top: int | None = None, no_decay: Any = "auto", strict: bool = False) -> Groups:
    """Layer-wise rate decay: layers further from the head learn slower.

    .. math:: \\eta_\\ell = \\eta\\, m_r\\, \\gamma^{L - \\ell}

    with :math:`\\eta` the optimizer's rate (or schedule), :math:`\\gamma` = ``decay``,
    :math:`\\ell` the variable's layer id, :math:`L` = ``top`` (default: the largest id) and
    :math:`m_r` an optional rule multiplier. Layer ids: for a flat model, its top-level layers
    in ``model.layers`` order (0, 1, ...); for a nested one, the numbered stack found from the
    paths (``encoder/block_3/...``), embeddings and what precedes the stack 0, what follows it
    the top id. ``layer_ids`` (``{pattern: id}`` or ``path -> id``) overrides them.
    """
    return _resolve(model, rules, "lrkit.keras.layer_decay", decay=decay, layer_ids=layer_ids,
                    top=top, no_decay=no_decay, strict=strict)
