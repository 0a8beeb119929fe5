"""The rule grammar shared by every framework: patterns, rules, layer ids, the table.

Framework-free (standard library only, plus lrkit's argument checks). Each framework adapter
(``lrkit.torch``, ``lrkit.keras``, ``lrkit.jax``) describes its model as a list of
:class:`Leaf` records and reads back an :class:`Assignment`; everything in between — which rule
selects which leaf, the no-decay default, the strict report, layer ids, group names, the
printed table — is written once here.

**Leaves.** :class:`Leaf` ``(name, sep, shape, owner, local, aliases, is_bias, is_norm,
is_embedding, trainable, value, classes)``: the full path (``"."``-joined for PyTorch,
``"/"``-joined for Keras ``variable.path`` and JAX key paths), the owning module/layer for class
patterns, tied-weight aliases, and the flags the adapter decides (what is a norm, an
embedding). One leaf per distinct tensor.

**Patterns** (:func:`compile_pattern` → :class:`Matcher`): a glob matching the whole name or any
prefix cut at the separator (``"fc"`` selects ``fc.weight``, not ``fc2.weight``); ``"re:<regex>"``
or a compiled regex (``re.search``); a class or tuple of classes (``isinstance`` of the owner —
the adapter's :class:`Convention` says which base class is allowed, e.g. ``nn.Module`` or
``keras.layers.Layer``); or ``"class:<glob>"`` on the ``__name__`` of the owner's classes
(``"class:LayerNormalization"``, usable from a JSON config and for owners without objects via
``Leaf.classes``). A bare string is always a glob on names, never a class name. A
:class:`Convention` bundles the separator and the class base; :data:`DOTS` and :data:`SLASHES`
accept any class.

**Rules** (:class:`Rule`, :func:`parse_rules`): ``Rule(match, lr_mult=1, decay_mult=None,
freeze=False, name=None)``; users write a list of rules/dicts or a mapping
``{pattern: lr_mult | "freeze" | {options}}``. :func:`match_rules`: first match wins; with
``strict=True`` one ``ValueError`` lists overlaps, orphans and unused rules
(:func:`coverage_report`). No-decay "auto" (:func:`is_no_decay`): a bias, ``ndim <= 1``, or a
norm or embedding owner.

**Layer ids** (:func:`auto_layer_ids`): embeddings and what comes before the stack get 0, block
:math:`k` gets :math:`k + 1`, what follows gets the top id. The adapter passes the
:class:`Stack` it found from the model's structure, or :func:`find_stack` finds one from names
(``blocks.3``, ``encoder.layer.3``, ``layers_3``, ``Block_3``).

**The result** (:func:`assign` in one call, or :func:`match_rules` then
:func:`assign_groups`): an :class:`Assignment` with ``rows`` (per leaf: group, ``lr_scale``,
``weight_decay_scale``, ``layer_id``), ``groups``, ``frozen``, ``to_freeze``, ``.table()`` (the
printed table), ``.as_dict()`` (``name -> {"group", "lr_scale", "weight_decay_scale"[,
"layer_id"]}``, as ``lrkit.torch.param_groups`` has always returned) and ``.multipliers()``
(``name -> (lr_scale, weight_decay_scale)``, frozen leaves ``(0, 0)``).
"""

from __future__ import annotations

from lrkit.rules.api import assign, check_decay
from lrkit.rules.assign import (
    FREEZE,
    FROZEN,
    TRAIN,
    Match,
    coverage_report,
    is_no_decay,
    match_rules,
    no_decay_test,
    short_list,
)
from lrkit.rules.layers import EMBED_HINTS, Stack, auto_layer_ids, find_stack, resolve_layer_ids
from lrkit.rules.leaf import Leaf
from lrkit.rules.patterns import (
    DOTS,
    SLASHES,
    Convention,
    Matcher,
    Pattern,
    as_patterns,
    class_names,
    compile_pattern,
    describe,
    prefixes,
)
from lrkit.rules.result import Assignment, Group, Row, assign_groups, format_table
from lrkit.rules.rule import RULE_KEYS, Rule, parse_rules

__all__ = [
    "Leaf", "Convention", "DOTS", "SLASHES", "Pattern", "Matcher", "compile_pattern", "as_patterns",
    "describe", "prefixes", "class_names",
    "Rule", "RULE_KEYS", "parse_rules",
    "Match", "TRAIN", "FREEZE", "FROZEN", "is_no_decay", "no_decay_test", "match_rules",
    "coverage_report", "short_list",
    "Stack", "EMBED_HINTS", "find_stack", "auto_layer_ids", "resolve_layer_ids",
    "Row", "Group", "Assignment", "assign_groups", "format_table",
    "assign", "check_decay",
]
