"""Parameter groups from rules, layer-wise rate decay and discriminative (fastai) rates.

One optimizer, one backward pass, true per-group multipliers: every group carries

* ``"name"`` — a readable group name;
* ``"lr_scale"`` and ``"weight_decay_scale"`` — the multipliers an lrkit driver applies to any
  schedule, :math:`\\eta_g(t) = s(t)\\,m_g` and :math:`\\lambda_g(t) = w(t)\\,d_g`;
* a concrete ``"lr"`` (and ``"weight_decay"``) equal to base × multiplier, so the groups also
  work with a plain ``torch.optim`` optimizer and no scheduler;
* ``"names"`` — the parameters' names. (Not PyTorch's ``"param_names"``: torch refuses to mix
  groups with and without that key, which would break a later plain ``add_param_group``.)

A multiplier on the *rate* is not the same as a multiplier on the *gradient*: scaling the
gradient by :math:`m` scales SGD's step by :math:`m` but leaves Adam's step unchanged, because
Adam divides by the root of the second moment, :math:`m g / \\sqrt{m^2 g^2} = g/|g|`. Group
multipliers scale the step of every optimizer.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from lrkit import _check
from lrkit.torch._layers import auto_layer_ids
from lrkit.torch._match import ParamInfo, as_patterns, collect_params, compile_pattern, describe, matches

__all__ = ["Rule", "ParamGroups", "param_groups", "layer_decay", "discriminative", "is_no_decay"]

_NORMS: tuple[type, ...] = tuple(
    t for t in (
        nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
        getattr(nn, "RMSNorm", None), nn.modules.instancenorm._InstanceNorm,
    ) if t is not None
)
_EMBEDDINGS: tuple[type, ...] = (nn.Embedding, nn.EmbeddingBag)


def is_no_decay(info: ParamInfo) -> bool:
    """The default no-weight-decay test: a bias, any parameter with at most one dimension
    (norm gains, scalars), or any parameter of a normalisation or embedding module."""
    return (info.local_name == "bias" or info.param.ndim <= 1
            or isinstance(info.module, _NORMS + _EMBEDDINGS))


@dataclass(frozen=True)
class Rule:
    """Select parameters and set their multipliers (Caffe's ``lr_mult`` / ``decay_mult``).

    ``match`` is a pattern or a list of patterns: a glob on names (``"encoder.*"``, ``"*.bias"``;
    a glob also matches dotted prefixes, so ``"fc"`` selects ``fc.weight``), a regex
    (``"re:^blocks\\.[0-5]\\."`` or a compiled ``re.Pattern``), or an ``nn.Module`` type.
    ``lr_mult`` multiplies the rate; ``decay_mult`` the weight decay (``None``: 1, or 0 for
    no-decay parameters); ``freeze=True`` sets ``requires_grad=False`` and leaves the parameters
    out of every group. ``name`` names the group (default: the pattern).
    """

    match: Any
    lr_mult: float = 1.0
    decay_mult: float | None = None
    freeze: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        pats = as_patterns(self.match, "match", "Rule")
        if not pats:
            raise ValueError("Rule: match must be a pattern or a non-empty list of patterns, got "
                             f"{self.match!r}")
        _check.non_negative("lr_mult", self.lr_mult, "Rule")
        if self.decay_mult is not None:
            _check.non_negative("decay_mult", self.decay_mult, "Rule")
        _check.boolean("freeze", self.freeze, "Rule")
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise TypeError(f"Rule: name must be a non-empty string, got {self.name!r}")
        preds = tuple(compile_pattern(p, "match", "Rule") for p in pats)
        object.__setattr__(self, "_preds", preds)

    @property
    def label(self) -> str:
        if self.name is not None:
            return self.name
        pats = as_patterns(self.match, "match", "Rule")
        return ",".join(describe(p) for p in pats)

    def selects(self, info: ParamInfo) -> bool:
        return any(matches(p, info) for p in self._preds)  # type: ignore[attr-defined]


_RULE_KEYS = {"match", "lr_mult", "decay_mult", "freeze", "name"}


def _as_rules(rules: Any) -> list[Rule]:
    if rules is None:
        return []
    if isinstance(rules, Rule):
        return [rules]
    if isinstance(rules, Mapping):
        out = []
        for pat, opts in rules.items():
            if isinstance(opts, (int, float)) and not isinstance(opts, bool):
                out.append(Rule(pat, lr_mult=opts))
            elif isinstance(opts, Mapping):
                out.append(_rule_from_dict({**opts, "match": pat}))
            elif opts == "freeze":
                out.append(Rule(pat, freeze=True))
            else:
                raise TypeError(
                    f"rules[{pat!r}] must be an lr multiplier, 'freeze' or a dict of Rule options, "
                    f"got {opts!r}")
        return out
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Iterable):
        raise TypeError(f"rules must be a list of Rule/dict or a mapping pattern -> options, got {rules!r}")
    out = []
    for i, r in enumerate(rules):
        if isinstance(r, Rule):
            out.append(r)
        elif isinstance(r, Mapping):
            out.append(_rule_from_dict(r))
        else:
            raise TypeError(f"rules[{i}] must be a Rule or a dict, got {r!r} ({type(r).__name__})")
    return out


def _rule_from_dict(d: Mapping[str, Any]) -> Rule:
    unknown = set(d) - _RULE_KEYS
    if unknown:
        raise ValueError(f"Rule: unknown option(s) {sorted(unknown)}; options are {sorted(_RULE_KEYS)}")
    if "match" not in d:
        raise ValueError(f"Rule: a rule needs 'match' (a pattern or list of patterns), got {dict(d)!r}")
    return Rule(**d)


def _no_decay_test(no_decay: Any) -> Callable[[ParamInfo], bool]:
    if no_decay is None or no_decay is False:
        return lambda info: False
    if no_decay == "auto":
        return is_no_decay
    pats = as_patterns(no_decay, "no_decay")
    auto = any(p == "auto" for p in pats)
    preds = [compile_pattern(p, "no_decay") for p in pats if p != "auto"]
    return lambda info: (auto and is_no_decay(info)) or any(matches(p, info) for p in preds)


class ParamGroups(list):
    """A list of optimizer parameter groups (pass it to any ``torch.optim`` optimizer) that can
    also explain itself: :meth:`table` (text) and :meth:`as_dict` (parameter name -> assignment).

    ``frozen`` lists the parameters left out because they do not require gradients.
    """

    def __init__(self, groups: Iterable[dict], rows: list[dict[str, Any]], frozen: list[str]) -> None:
        super().__init__(groups)
        self.rows = rows
        self.frozen = frozen

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{parameter name: {"group", "lr_scale", "weight_decay_scale"[, "layer_id"]}}``."""
        return {r["param"]: {k: v for k, v in r.items() if k != "param"} for r in self.rows}

    def by_name(self) -> dict[str, dict]:
        """``{group name: group}``."""
        return {g["name"]: g for g in self}

    def table(self) -> str:
        """A fixed-width table: parameter, [layer id,] group, lr scale, weight-decay scale."""
        has_layer = any("layer_id" in r for r in self.rows)
        head = ["parameter"] + (["layer"] if has_layer else []) + ["group", "lr_scale", "wd_scale"]
        lines = []
        for r in self.rows:
            cells = [r["param"]] + ([str(r.get("layer_id", ""))] if has_layer else [])
            cells += [r["group"], f"{r['lr_scale']:.6g}", f"{r['weight_decay_scale']:.6g}"]
            lines.append(cells)
        for name in self.frozen:
            lines.append([name] + ([""] if has_layer else []) + ["(frozen)", "0", "0"])
        widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h) for i, h in enumerate(head)]
        fmt = "  ".join(f"{{:<{w}}}" if i < len(head) - 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
        out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
        out += [fmt.format(*c) for c in lines]
        return "\n".join(out)


@dataclass
class _Assign:
    info: ParamInfo
    rule: Rule | None
    lr_scale: float
    wd_scale: float
    no_decay: bool


def _assign(model: nn.Module, rules: Any, no_decay: Any, strict: bool, owner: str
            ) -> tuple[list[_Assign], list[ParamInfo], list[str]]:
    """Match every parameter to its first rule. Returns (trainable assignments, params to
    freeze, names already frozen)."""
    params = collect_params(model, owner)
    rule_list = _as_rules(rules)
    nd = _no_decay_test(no_decay)
    out: list[_Assign] = []
    to_freeze: list[ParamInfo] = []
    already_frozen: list[str] = []
    overlaps: list[str] = []
    orphans: list[str] = []
    used = [False] * len(rule_list)
    for info in params:
        hits = [i for i, r in enumerate(rule_list) if r.selects(info)]
        for i in hits:
            used[i] = True
        if len(hits) > 1:
            overlaps.append(f"{info.name} (rules: {', '.join(rule_list[i].label for i in hits)})")
        rule = rule_list[hits[0]] if hits else None
        if rule is not None and rule.freeze:
            to_freeze.append(info)
            continue
        if not info.param.requires_grad:
            already_frozen.append(info.name)
            continue
        if rule is None:
            orphans.append(info.name)
        no_dec = nd(info)
        lr_scale = 1.0 if rule is None else float(rule.lr_mult)
        if rule is not None and rule.decay_mult is not None:
            wd_scale = float(rule.decay_mult)
        else:
            wd_scale = 0.0 if no_dec else 1.0
        out.append(_Assign(info, rule, lr_scale, wd_scale, no_dec))
    unused = [r.label for r, u in zip(rule_list, used, strict=True) if not u]
    if strict and rule_list and (overlaps or orphans or unused):
        parts = []
        if overlaps:
            parts.append(f"matched by more than one rule: {_short(overlaps)}")
        if orphans:
            parts.append(f"matched by no rule: {_short(orphans)}")
        if unused:
            parts.append(f"rules matching no parameter: {_short(unused)}")
        raise ValueError(f"{owner} (strict): " + "; ".join(parts))
    if unused and not strict:
        warnings.warn(f"{owner}: rules matching no parameter: {_short(unused)}", stacklevel=3)
    return out, to_freeze, already_frozen


def _short(items: list[str], limit: int = 20) -> str:
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _build(assignments: list[_Assign], *, lr: float, weight_decay: float | None, owner: str,
           layer_of: dict[str, int] | None = None, layer_scale: Callable[[int], float] | None = None,
           layer_prefix: str = "layer", frozen: list[str]) -> ParamGroups:
    groups: dict[tuple, dict] = {}
    rows: list[dict[str, Any]] = []
    for a in assignments:
        lid = layer_of[a.info.name] if layer_of is not None else None
        lr_scale = a.lr_scale * (layer_scale(lid) if (layer_scale is not None and lid is not None) else 1.0)
        parts = []
        if lid is not None:
            parts.append(f"{layer_prefix}_{lid}")
        if a.rule is not None:
            parts.append(a.rule.label)
        name = ".".join(parts) if parts else "default"
        explicit_decay = a.rule is not None and a.rule.decay_mult is not None
        if a.no_decay and not explicit_decay:
            name += ".no_decay"
        key = (name, lr_scale, a.wd_scale)
        if weight_decay is None and a.wd_scale not in (0.0, 1.0):
            raise ValueError(f"{owner}: weight_decay must be given when a rule sets decay_mult "
                             f"(parameter {a.info.name} has decay_mult={a.wd_scale})")
        g = groups.get(key)
        if g is None:
            g = {"params": [], "names": [], "name": name, "lr_scale": lr_scale,
                 "weight_decay_scale": a.wd_scale, "lr": lr * lr_scale}
            if weight_decay is not None:
                g["weight_decay"] = weight_decay * a.wd_scale
            elif a.wd_scale == 0.0:
                g["weight_decay"] = 0.0
            if lid is not None:
                g["layer_id"] = lid
            groups[key] = g
        g["params"].append(a.info.param)
        g["names"].append(a.info.name)
        row = {"param": a.info.name, "group": name, "lr_scale": lr_scale, "weight_decay_scale": a.wd_scale}
        if lid is not None:
            row["layer_id"] = lid
        rows.append(row)
    # group names are unique: two rules sharing a name but not their multipliers is an error
    names: dict[str, tuple] = {}
    for key in groups:
        if key[0] in names:
            raise ValueError(f"{owner}: two groups named {key[0]!r} have different multipliers "
                             f"(lr_scale/weight_decay_scale {names[key[0]][1:]} vs {key[1:]}); "
                             "give the rules distinct names")
        names[key[0]] = key
    ordered = list(groups.values())
    if layer_of is not None:
        ordered.sort(key=lambda g: g["layer_id"])
        rows.sort(key=lambda r: r["layer_id"])
    return ParamGroups(ordered, rows, frozen)


def _freeze_now(to_freeze: list[ParamInfo]) -> list[str]:
    for info in to_freeze:
        info.param.requires_grad_(False)
        info.param.grad = None
    return [info.name for info in to_freeze]


def _base(lr: Any, weight_decay: Any, owner: str) -> tuple[float, float | None]:
    lr_v = _check.positive("lr", lr, owner)
    wd_v = None if weight_decay is None else _check.non_negative("weight_decay", weight_decay, owner)
    return lr_v, wd_v


def param_groups(model: nn.Module, rules: Any = None, *, lr: float, weight_decay: float | None = None,
                 no_decay: Any = "auto", strict: bool = False) -> ParamGroups:
    """Optimizer parameter groups from name/type rules, one optimizer for the whole model.

    Each trainable parameter takes its first matching rule; the group's rate and weight decay are

    .. math:: \\eta_g = \\eta\\, m_g, \\qquad \\lambda_g = \\lambda\\, d_g

    with :math:`\\eta` = ``lr``, :math:`\\lambda` = ``weight_decay``, :math:`m_g` the rule's
    ``lr_mult`` and :math:`d_g` its ``decay_mult`` (default 1, and 0 for no-decay parameters).

    Args:
        model: the module.
        rules: a list of :class:`Rule` (or dicts with the same keys), or a mapping
            ``{pattern: lr_mult | "freeze" | {rule options}}``. Parameters no rule selects go to
            the group ``"default"``.
        lr: the base rate (a plain optimizer uses ``lr * lr_mult``; the lrkit driver multiplies
            the schedule by ``lr_scale``).
        weight_decay: the base weight decay; ``None`` leaves the optimizer's default on decayed
            groups (no-decay groups still get 0).
        no_decay: ``"auto"`` (biases, 1-d parameters, norm and embedding modules get no weight
            decay), ``None`` (decay everything), or patterns replacing the automatic test (put
            ``"auto"`` in the list to extend it). A rule's explicit ``decay_mult`` wins.
        strict: raise a ``ValueError`` naming every parameter matched by several rules or by none,
            and every rule matching nothing.

    Returns:
        :class:`ParamGroups`, a list of group dicts with ``name``, ``lr_scale``,
        ``weight_decay_scale``, ``lr`` (, ``weight_decay``) and ``names``. Tied parameters
        appear once. Parameters frozen by a rule get ``requires_grad=False``.
    """
    owner = "param_groups"
    lr_v, wd_v = _base(lr, weight_decay, owner)
    _check.boolean("strict", strict, owner)
    assigned, to_freeze, frozen = _assign(model, rules, no_decay, strict, owner)
    groups = _build(assigned, lr=lr_v, weight_decay=wd_v, owner=owner, frozen=frozen)
    groups.frozen = frozen + _freeze_now(to_freeze)
    return groups


def _resolve_layer_ids(model: nn.Module, params: list[ParamInfo], layer_ids: Any, owner: str
                       ) -> dict[str, int]:
    auto = auto_layer_ids(model, params)
    ids: dict[str, int] = {}
    if layer_ids is None:
        explicit: Callable[[ParamInfo], int | None] = lambda info: None  # noqa: E731
    elif callable(layer_ids) and not isinstance(layer_ids, Mapping):
        def explicit(info: ParamInfo) -> int | None:
            v = layer_ids(info.name)
            return None if v is None else _check.integer(f"layer_ids({info.name!r})", v, owner, minimum=0)
    elif isinstance(layer_ids, Mapping):
        table = []
        for pat, lid in layer_ids.items():
            table.append((compile_pattern(pat, "layer_ids", owner),
                          _check.integer(f"layer_ids[{describe(pat)!r}]", lid, owner, minimum=0)))

        def explicit(info: ParamInfo) -> int | None:
            for pred, lid in table:
                if matches(pred, info):
                    return lid
            return None
    else:
        raise TypeError(f"{owner}: layer_ids must be a mapping pattern -> layer id or a callable "
                        f"name -> id, got {layer_ids!r}")
    missing = []
    for info in params:
        v = explicit(info)
        if v is None:
            v = None if isinstance(auto, str) else auto.get(info.name)
        if v is None:
            missing.append(info.name)
        else:
            ids[info.name] = v
    if missing:
        why = auto if isinstance(auto, str) else "the automatic assignment does not cover them"
        raise ValueError(
            f"{owner}: no layer id for {_short(missing)}: {why}; pass layer_ids={{pattern: id}} or a "
            "callable name -> id")
    return ids


def layer_decay(model: nn.Module, decay: float = 0.75, *, lr: float, weight_decay: float | None = None,
                layer_ids: Any = None, top: int | None = None, rules: Any = None,
                no_decay: Any = "auto", strict: bool = False) -> ParamGroups:
    """Layer-wise rate decay (BEiT / ELECTRA / ULMFiT-style): deeper-from-the-head layers learn
    slower.

    .. math:: \\eta_\\ell = \\eta\\, m_r\\, \\gamma^{L - \\ell}

    with :math:`\\eta` = ``lr``, :math:`\\gamma` = ``decay``, :math:`\\ell` the parameter's layer
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
    g = _check.number("decay", decay, owner)
    if not 0 < g <= 1:
        raise ValueError(f"{owner}: decay must be in (0, 1], got {decay!r}")
    _check.boolean("strict", strict, owner)
    assigned, to_freeze, frozen = _assign(model, rules, no_decay, strict, owner)
    ids = _resolve_layer_ids(model, [a.info for a in assigned], layer_ids, owner)
    top_v = max(ids.values(), default=0) if top is None else _check.integer("top", top, owner, minimum=0)
    if ids and top_v < max(ids.values()):
        raise ValueError(f"{owner}: top must be >= the largest layer id {max(ids.values())}, got {top!r}")
    groups = _build(assigned, lr=lr_v, weight_decay=wd_v, owner=owner, layer_of=ids,
                    layer_scale=lambda lid: g ** (top_v - lid), frozen=frozen)
    groups.frozen = frozen + _freeze_now(to_freeze)
    return groups


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
    params, _, frozen = _assign(model, None, no_decay, False, owner)
    if groups is None:
        ids = _resolve_layer_ids(model, [a.info for a in params], None, owner)
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
        for a in params:
            hit = next((i for i, ps in enumerate(preds) if any(matches(p, a.info) for p in ps)), None)
            if hit is None:
                orphans.append(a.info.name)
            else:
                ids[a.info.name] = hit
        if orphans:
            raise ValueError(f"{owner}: parameters in no layer group: {_short(orphans)}; add them to groups")
        n = len(groups)
    lrs = spread(lr, n, owner)
    hi = max(lrs)
    return _build(params, lr=hi, weight_decay=None if weight_decay is None
                  else _check.non_negative("weight_decay", weight_decay, owner), owner=owner,
                  layer_of=ids, layer_scale=lambda i: lrs[i] / hi, layer_prefix="group", frozen=frozen)

