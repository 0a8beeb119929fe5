"""Parameter groups from rules, layer-wise rate decay and discriminative (fastai) rates.

The PyTorch adapter of :mod:`lrkit.rules`: parameters become :class:`lrkit.rules.Leaf` records,
the shared grammar assigns them, and this module turns the :class:`lrkit.rules.Assignment` into
``torch.optim`` group dicts.

One optimizer, one backward pass, true per-group multipliers: every group carries

* ``"name"`` — a readable group name;
* ``"lr_scale"`` and ``"weight_decay_scale"`` — the multipliers an lrkit driver applies to any
  schedule, :math:`\\eta_g(t) = s(t)\\,m_g` and :math:`\\lambda_g(t) = w(t)\\,d_g`;
* a concrete ``"lr"`` (and ``"weight_decay"``) equal to base × multiplier, so the groups also
  work with a plain ``torch.optim`` optimizer and no scheduler. Without ``lr`` the optimizer's
  rate is the base: it fills each group's ``"lr"`` as its rate × ``lr_scale``
  (:class:`ScaledGroup`), so ``lr`` = base × ``lr_scale`` at construction either way;
* ``"names"`` — the parameters' names. (Not PyTorch's ``"param_names"``: torch refuses to mix
  groups with and without that key, which would break a later plain ``add_param_group``.)

A multiplier on the *rate* is not the same as a multiplier on the *gradient*: scaling the
gradient by :math:`m` scales SGD's step by :math:`m` but leaves Adam's step unchanged, because
Adam divides by the root of the second moment, :math:`m g / \\sqrt{m^2 g^2} = g/|g|`. Group
multipliers scale the step of every optimizer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from torch import nn

from lrkit import _check
from lrkit import rules as _rules
from lrkit.rules import Assignment, Leaf, Rule, is_no_decay
from lrkit.torch._layers import find_stack
from lrkit.torch._match import TORCH, as_patterns, collect_params, compile_pattern, matches

__all__ = ["Rule", "ParamGroups", "ScaledGroup", "param_groups", "layer_decay", "discriminative",
           "is_no_decay"]


class ScaledGroup(dict):
    """A parameter-group dict without ``"lr"`` whose rate the optimizer fills as its own rate
    times the group's ``lr_scale``.

    ``torch.optim.Optimizer.add_param_group`` completes every group with the optimizer's
    defaults through ``param_group.setdefault(name, default)`` and keeps the dict itself. This
    class scales that one default, so ``AdamW(groups, lr=1e-3)`` gives each group

    .. math:: \\eta_g = \\eta_{\\text{optimizer}}\\, m_g

    (``lr_scale`` = :math:`m_g`) at construction — the invariant the lrkit driver relies on
    (``lr`` = base × ``lr_scale``). Every other key, ``"initial_lr"`` included, is set as usual.
    """

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key == "lr" and key not in self:
            default = default * self.get("lr_scale", 1.0)
        return super().setdefault(key, default)


class ParamGroups(list):
    """A list of optimizer parameter groups (pass it to any ``torch.optim`` optimizer) that can
    also explain itself: :meth:`table` (text) and :meth:`as_dict` (parameter name -> assignment).

    ``frozen`` lists the parameters left out because they do not require gradients;
    ``assignment`` is the framework-free :class:`lrkit.rules.Assignment` behind the groups.
    """

    def __init__(self, groups: Iterable[dict], assignment: Assignment) -> None:
        super().__init__(groups)
        self.assignment = assignment
        self.frozen = list(assignment.frozen)

    @property
    def rows(self) -> list[_rules.Row]:
        """One :class:`lrkit.rules.Row` per trainable parameter."""
        return self.assignment.rows

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{parameter name: {"group", "lr_scale", "weight_decay_scale"[, "layer_id"]}}``."""
        return self.assignment.as_dict()

    def multipliers(self) -> dict[str, tuple[float, float]]:
        """``{parameter name: (lr_scale, weight_decay_scale)}``; frozen parameters ``(0, 0)``."""
        return {**self.assignment.multipliers(), **{n: (0.0, 0.0) for n in self.frozen}}

    def by_name(self) -> dict[str, dict]:
        """``{group name: group}``."""
        return {g["name"]: g for g in self}

    def table(self) -> str:
        """A fixed-width table: parameter, [layer id,] group, lr scale, weight-decay scale."""
        return _rules.format_table(self.assignment.rows, self.frozen)

    def __repr__(self) -> str:
        """A short summary, never the tensors: the number of groups and parameters, and the first
        six groups' names with their multipliers; :meth:`table` lists every parameter."""
        def one(g: dict) -> str:
            return (f"{g.get('name', '?')} ({len(g['params'])}, lr x{g.get('lr_scale', 1.0):.3g}, "
                    f"wd x{g.get('weight_decay_scale', 1.0):.3g})")

        shown = [one(g) for g in self[:6]] + ([f"... {len(self) - 6} more"] if len(self) > 6 else [])
        tensors = sum(len(g["params"]) for g in self)
        frozen = f", {len(self.frozen)} frozen" if self.frozen else ""
        return f"ParamGroups({len(self)} groups, {tensors} tensors{frozen}: {', '.join(shown)})"


def _groups(assignment: Assignment, *, lr: float | None, weight_decay: float | None, owner: str
            ) -> ParamGroups:
    """Torch group dicts for an assignment; freezes what a ``freeze`` rule selected."""
    if weight_decay is None:
        for r in assignment.rows:
            if r.weight_decay_scale not in (0.0, 1.0):
                raise ValueError(f"{owner}: weight_decay must be given when a rule sets decay_mult "
                                 f"(parameter {r.name} has decay_mult={r.weight_decay_scale})")
    out = []
    for grp in assignment.groups:
        g: dict[str, Any] = {} if lr is not None else ScaledGroup()
        g.update({"params": [leaf.value for leaf in grp.leaves], "names": grp.names, "name": grp.name,
                  "lr_scale": grp.lr_scale, "weight_decay_scale": grp.weight_decay_scale})
        if lr is not None:
            g["lr"] = lr * grp.lr_scale
        if weight_decay is not None:
            g["weight_decay"] = weight_decay * grp.weight_decay_scale
        elif grp.weight_decay_scale == 0.0:
            g["weight_decay"] = 0.0
        if grp.layer_id is not None:
            g["layer_id"] = grp.layer_id
        out.append(g)
    _freeze_now(assignment.to_freeze)
    return ParamGroups(out, assignment)


def _freeze_now(to_freeze: Sequence[Leaf]) -> None:
    for leaf in to_freeze:
        leaf.value.requires_grad_(False)
        leaf.value.grad = None


def _base(lr: Any, weight_decay: Any, owner: str) -> tuple[float | None, float | None]:
    lr_v = None if lr is None else _check.positive("lr", lr, owner)
    wd_v = None if weight_decay is None else _check.non_negative("weight_decay", weight_decay, owner)
    return lr_v, wd_v


def param_groups(model: nn.Module, rules: Any = None, *, lr: float | None = None,
                 weight_decay: float | None = None, no_decay: Any = "auto", strict: bool = False
                 ) -> ParamGroups:
    """Optimizer parameter groups from name/type rules, one optimizer for the whole model.

    Each trainable parameter takes its first matching rule; the group's rate and weight decay are

    .. math:: \\eta_g = \\eta\\, m_g, \\qquad \\lambda_g = \\lambda\\, d_g

    with :math:`\\eta` = ``lr`` (or the optimizer's rate), :math:`\\lambda` = ``weight_decay``,
    :math:`m_g` the rule's ``lr_mult`` and :math:`d_g` its ``decay_mult`` (default 1, and 0 for
    no-decay parameters). The grammar is :mod:`lrkit.rules`'s, shared with Keras and JAX.

    Args:
        model: the module.
        rules: a list of :class:`Rule` (or dicts with the same keys), or a mapping
            ``{pattern: lr_mult | "freeze" | {rule options}}``. Parameters no rule selects go to
            the group ``"default"``.
        lr: the base rate. Given, each group gets ``lr = lr * lr_scale``. Omitted (``None``), the
            optimizer's own rate is the base: the groups carry no ``lr`` and the optimizer fills
            each with its ``lr`` times the group's ``lr_scale`` (see :class:`ScaledGroup`), so
            ``torch.optim.AdamW(groups, lr=1e-3)`` works as with timm. The lrkit driver
            multiplies the schedule by ``lr_scale`` either way.
        weight_decay: the base weight decay; ``None`` leaves the optimizer's default on decayed
            groups (no-decay groups still get 0).
        no_decay: ``"auto"`` (biases, 1-d parameters, norm and embedding modules get no weight
            decay), ``None`` (decay everything), or patterns replacing the automatic test (put
            ``"auto"`` in the list to extend it). A rule's explicit ``decay_mult`` wins.
        strict: raise a ``ValueError`` naming every parameter matched by several rules or by none,
            and every rule matching nothing.

    Returns:
        :class:`ParamGroups`, a list of group dicts with ``name``, ``lr_scale``,
        ``weight_decay_scale``, ``lr`` (when given), ``weight_decay`` (when given, or 0 for
        no-decay groups) and ``names``. Tied parameters appear once. Parameters frozen by a rule
        get ``requires_grad=False``.
    """
    owner = "param_groups"
    lr_v, wd_v = _base(lr, weight_decay, owner)
    assignment = _rules.assign(collect_params(model, owner), rules, convention=TORCH,
                                           no_decay=no_decay, strict=strict, owner=owner, stacklevel=3)
    return _groups(assignment, lr=lr_v, weight_decay=wd_v, owner=owner)


def layer_decay(model: nn.Module, decay: float = 0.75, *, lr: float | None = None,
                weight_decay: float | None = None, layer_ids: Any = None, top: int | None = None,
                rules: Any = None, no_decay: Any = "auto", strict: bool = False) -> ParamGroups:
    """Layer-wise rate decay (BEiT / ELECTRA / ULMFiT-style): deeper-from-the-head layers learn
    slower.

    .. math:: \\eta_\\ell = \\eta\\, m_r\\, \\gamma^{L - \\ell}

    with :math:`\\eta` = ``lr`` (or, omitted, the optimizer's rate, as in
    :func:`param_groups`), :math:`\\gamma` = ``decay``, :math:`\\ell` the parameter's layer
    id, :math:`L` = ``top`` (default: the largest id) and :math:`m_r` an optional rule multiplier.

    Layer ids are automatic for common shapes: the numbered stack with the most parameters
    (``blocks.N``, ``layers.N``, ``encoder.layer.N``, ``transformer.h.N``, or the model itself
    when it is an ``nn.Sequential``) gives block :math:`k` the id :math:`k + 1`; embeddings and
    everything before the stack get 0; everything after it (final norm, pooler, head) gets
    :math:`n + 1`. ``layer_ids`` — a mapping ``{pattern: id}`` (first match wins) or a callable
    ``name -> id | None`` — overrides them. Check the assignment with ``print(groups.table())``
    or ``groups.as_dict()`` before training.

    Returns :class:`ParamGroups` named ``layer_<id>`` (plus ``.no_decay`` and rule names), each
    with its ``layer_id``, ``lr_scale`` = :math:`m_r \\gamma^{L-\\ell}` and ``lr`` = ``lr`` × scale.
    """
    owner = "layer_decay"
    lr_v, wd_v = _base(lr, weight_decay, owner)
    g = _rules.check_decay(decay, owner)
    assignment = _rules.assign(collect_params(model, owner), rules, convention=TORCH, no_decay=no_decay,
                                  strict=strict, decay=g, layer_ids=layer_ids, top=top,
                                  stack=find_stack(model), owner=owner, stacklevel=3)
    return _groups(assignment, lr=lr_v, weight_decay=wd_v, owner=owner)


def spread(lr: Any, n: int, owner: str = "discriminative") -> list[float]:
    """fastai's reading of a rate for ``n`` layer groups: a number is used for all; ``slice(hi)``
    gives :math:`hi/10` to all but the last group; ``slice(lo, hi)`` spreads geometrically,

    .. math:: \\eta_i = lo\\, (hi / lo)^{i/(n-1)}, \\quad i = 0, \\dots, n-1.
    """
    if isinstance(lr, slice):
        if lr.step is not None:
            raise ValueError(f"{owner}: lr slice must not have a step, got {lr!r}")
        hi = _check.positive("lr.stop", lr.stop, owner)
        if lr.start is None:
            return [hi / 10.0] * (n - 1) + [hi]
        lo = _check.positive("lr.start", lr.start, owner)
        if n == 1:
            return [hi]
        return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]
    v = _check.positive("lr", lr, owner)
    return [v] * n


def discriminative(model: nn.Module, lr: float | slice, groups: Sequence[Any] | None = None, *,
                   weight_decay: float | None = None, no_decay: Any = "auto") -> ParamGroups:
    """Discriminative rates over layer groups ordered from the input to the head (fastai).

    ``groups`` lists the layer groups bottom to top, each a pattern or list of patterns (every
    trainable parameter must fall in one); ``None`` uses the automatic layer ids of
    :func:`layer_decay`. ``lr`` is a number (same rate everywhere), ``slice(hi)`` (:math:`hi/10`
    for all groups but the last) or ``slice(lo, hi)`` (geometric spread, see :func:`spread`).
    Each group's ``lr_scale`` is :math:`\\eta_i / hi`, so a schedule peaking at ``hi`` drives all.
    """
    owner = "discriminative"
    matched = _rules.match_rules(collect_params(model, owner), None, convention=TORCH, no_decay=no_decay,
                                 owner=owner)
    trainable = [m.leaf for m in matched if m.status == _rules.TRAIN]
    if groups is None:
        auto = _rules.auto_layer_ids(trainable, find_stack(model))
        ids = _rules.resolve_layer_ids(trainable, None, auto, convention=TORCH, owner=owner)
        distinct = sorted(set(ids.values()))
        rank = {lid: i for i, lid in enumerate(distinct)}
        ids = {k: rank[v] for k, v in ids.items()}
        n = len(distinct)
    else:
        if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence) or not groups:
            raise TypeError(f"{owner}: groups must be a non-empty list of patterns (bottom to top), "
                            f"got {groups!r}")
        preds = [[compile_pattern(p, f"groups[{i}]", owner) for p in as_patterns(spec, f"groups[{i}]", owner)]
                 for i, spec in enumerate(groups)]
        ids = {}
        orphans = []
        for leaf in trainable:
            hit = next((i for i, ps in enumerate(preds) if any(matches(p, leaf) for p in ps)), None)
            if hit is None:
                orphans.append(leaf.name)
            else:
                ids[leaf.name] = hit
        if orphans:
            raise ValueError(f"{owner}: parameters in no layer group: {_rules.short_list(orphans)}; "
                             "add them to groups")
        n = len(groups)
    lrs = spread(lr, n, owner)
    hi = max(lrs)
    wd_v = None if weight_decay is None else _check.non_negative("weight_decay", weight_decay, owner)
    assignment = _rules.assign_groups(matched, layer_of=ids, layer_scale=lambda i: lrs[i] / hi,
                                      layer_prefix="group", owner=owner)
    return _groups(assignment, lr=hi, weight_decay=wd_v, owner=owner)
