"""Rules meet leaves: first match wins, the no-decay default, the strict report, group names.

For every leaf the first rule whose patterns match it decides; a leaf no rule matches keeps the
defaults. Its multipliers are

.. math:: m = \\text{lr\\_mult}_r \\cdot s_\\ell, \\qquad
          d = \\begin{cases} \\text{decay\\_mult}_r & \\text{if the rule sets it} \\\\
                             0 & \\text{if the leaf is no-decay} \\\\
                             1 & \\text{otherwise} \\end{cases}

with :math:`s_\\ell` the layer factor (1 without layer decay). A leaf is *no-decay* by default
("auto") when it is a bias, has at most one dimension (norm gains, scalars), or belongs to a
normalisation or embedding layer — the adapter says which layers those are
(:attr:`Leaf.is_norm`, :attr:`Leaf.is_embedding`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lrkit.rules.leaf import Leaf
from lrkit.rules.patterns import DOTS, Convention, as_patterns, compile_pattern
from lrkit.rules.rule import Rule, parse_rules

__all__ = ["Match", "is_no_decay", "no_decay_test", "match_rules", "coverage_report", "short_list",
           "TRAIN", "FREEZE", "FROZEN"]

#: :attr:`Match.status`: the leaf trains and goes to a group.
TRAIN = "train"
#: :attr:`Match.status`: a ``freeze=True`` rule selected the leaf; the adapter must freeze it.
FREEZE = "freeze"
#: :attr:`Match.status`: the leaf was already not trainable; it is left out of every group.
FROZEN = "frozen"


def is_no_decay(leaf: Leaf) -> bool:
    """The default ("auto") no-weight-decay test: a bias, a leaf with at most one dimension, or a
    leaf of a normalisation or embedding layer."""
    return bool(leaf.is_bias or leaf.ndim <= 1 or leaf.is_norm or leaf.is_embedding)


def no_decay_test(no_decay: Any, convention: Convention = DOTS, owner: str = "") -> Callable[[Leaf], bool]:
    """``no_decay`` as a test of a leaf: ``"auto"`` (:func:`is_no_decay`), ``None``/``False``
    (nothing), or patterns replacing the automatic test (``"auto"`` in the list extends it)."""
    if no_decay is None or no_decay is False:
        return lambda leaf: False
    if isinstance(no_decay, str) and no_decay == "auto":
        return is_no_decay
    pats = as_patterns(no_decay, "no_decay", owner, convention)
    auto = any(isinstance(p, str) and p == "auto" for p in pats)
    preds = [compile_pattern(p, convention, "no_decay", owner) for p in pats
             if not (isinstance(p, str) and p == "auto")]
    return lambda leaf: (auto and is_no_decay(leaf)) or any(p.leaf(leaf) for p in preds)


@dataclass
class Match:
    """What the rules decided for one leaf.

    ``status`` is :data:`TRAIN`, :data:`FREEZE` (a freeze rule chose it) or :data:`FROZEN`
    (already not trainable); ``lr_mult``/``decay_mult`` are meaningful for :data:`TRAIN`.
    """

    leaf: Leaf
    rule: Rule | None
    status: str
    lr_mult: float = 1.0
    decay_mult: float = 1.0
    no_decay: bool = False

    @property
    def explicit_decay(self) -> bool:
        """The rule set ``decay_mult`` itself (so the no-decay default did not apply)."""
        return self.rule is not None and self.rule.decay_mult is not None


def short_list(items: Sequence[str], limit: int = 20) -> str:
    """``"a, b, c"``, cut after ``limit`` items with ``"... and N more"``."""
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def coverage_report(overlaps: Sequence[str], orphans: Sequence[str], unused: Sequence[str]) -> str:
    """The strict-mode message: leaves matched by several rules (``"name (rules: a, b)"``),
    leaves matched by none, rules matching nothing; ``""`` when all three are empty."""
    parts = []
    if overlaps:
        parts.append(f"matched by more than one rule: {short_list(overlaps)}")
    if orphans:
        parts.append(f"matched by no rule: {short_list(orphans)}")
    if unused:
        parts.append(f"rules matching no parameter: {short_list(unused)}")
    return "; ".join(parts)


def match_rules(leaves: Sequence[Leaf], rules: Any, *, convention: Convention = DOTS,
                no_decay: Any = "auto", strict: bool = False, owner: str = "rules",
                stacklevel: int = 2) -> list[Match]:
    """Match every leaf to its first rule (rules in any form :func:`parse_rules` accepts).

    With ``strict=True`` (and at least one rule) raise one ``ValueError`` listing every leaf
    matched by several rules, every trainable leaf matched by none, and every rule matching no
    leaf; without it, warn about rules matching no leaf. Nothing is modified: leaves a freeze
    rule selects come back with status :data:`FREEZE` for the adapter to freeze.
    """
    rule_list = parse_rules(rules)
    compiled = [r.matchers(convention, owner) for r in rule_list]
    nd = no_decay_test(no_decay, convention, owner)
    out: list[Match] = []
    overlaps: list[str] = []
    orphans: list[str] = []
    used = [False] * len(rule_list)
    for leaf in leaves:
        hits = [i for i, ms in enumerate(compiled) if any(m.leaf(leaf) for m in ms)]
        for i in hits:
            used[i] = True
        if len(hits) > 1:
            overlaps.append(f"{leaf.name} (rules: {', '.join(rule_list[i].label for i in hits)})")
        rule = rule_list[hits[0]] if hits else None
        if rule is not None and rule.freeze:
            out.append(Match(leaf, rule, FREEZE, 0.0, 0.0))
            continue
        if not leaf.trainable:
            out.append(Match(leaf, rule, FROZEN, 0.0, 0.0))
            continue
        if rule is None:
            orphans.append(leaf.name)
        no_dec = nd(leaf)
        lr_mult = 1.0 if rule is None else float(rule.lr_mult)
        if rule is not None and rule.decay_mult is not None:
            decay_mult = float(rule.decay_mult)
        else:
            decay_mult = 0.0 if no_dec else 1.0
        out.append(Match(leaf, rule, TRAIN, lr_mult, decay_mult, no_dec))
    unused = [r.label for r, u in zip(rule_list, used, strict=True) if not u]
    if strict and rule_list:
        report = coverage_report(overlaps, orphans, unused)
        if report:
            raise ValueError(f"{owner} (strict): {report}")
    if unused and not strict:
        warnings.warn(f"{owner}: rules matching no parameter: {short_list(unused)}",
                      stacklevel=stacklevel + 1)
    return out
