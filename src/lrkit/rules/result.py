"""The assignment: per leaf its group, multipliers and layer id; groups; the printed table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrkit.rules.assign import FREEZE, FROZEN, TRAIN, Match
from lrkit.rules.leaf import Leaf

__all__ = ["Row", "Group", "Assignment", "assign_groups", "format_table"]


@dataclass
class Row:
    """One trainable leaf's assignment: group name, ``lr_scale`` (rate multiplier),
    ``weight_decay_scale`` (weight-decay multiplier, 0 = no decay) and layer id (or ``None``)."""

    name: str
    group: str
    lr_scale: float
    weight_decay_scale: float
    layer_id: int | None
    leaf: Leaf
    match: Match

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"group": self.group, "lr_scale": self.lr_scale,
                             "weight_decay_scale": self.weight_decay_scale}
        if self.layer_id is not None:
            d["layer_id"] = self.layer_id
        return d


@dataclass
class Group:
    """Leaves sharing a group name and multipliers, in the order the leaves came."""

    name: str
    lr_scale: float
    weight_decay_scale: float
    layer_id: int | None
    rows: list[Row] = field(default_factory=list)

    @property
    def leaves(self) -> list[Leaf]:
        return [r.leaf for r in self.rows]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rows]


def format_table(rows: Sequence[Row], frozen: Sequence[str]) -> str:
    """A fixed-width table: parameter, [layer id,] group, lr scale, weight-decay scale; frozen
    leaves last as ``(frozen)  0  0``."""
    has_layer = any(r.layer_id is not None for r in rows)
    head = ["parameter"] + (["layer"] if has_layer else []) + ["group", "lr_scale", "wd_scale"]
    lines = []
    for r in rows:
        cells = [r.name] + ([str(r.layer_id) if r.layer_id is not None else ""] if has_layer else [])
        cells += [r.group, f"{r.lr_scale:.6g}", f"{r.weight_decay_scale:.6g}"]
        lines.append(cells)
    for name in frozen:
        lines.append([name] + ([""] if has_layer else []) + ["(frozen)", "0", "0"])
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" if i < len(head) - 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*c) for c in lines]
    return "\n".join(out)


class Assignment:
    """The result of rules (and layer decay) over a model's leaves.

    ``rows`` (trainable leaves, bottom to top with layer ids), ``groups`` (:class:`Group`, same
    order), ``frozen`` (names left out: already frozen, then frozen by a rule) and
    ``to_freeze`` (the :class:`Leaf` objects a freeze rule selected — the adapter freezes them).
    """

    def __init__(self, rows: list[Row], groups: list[Group], frozen: list[str],
                 to_freeze: list[Leaf]) -> None:
        self.rows = rows
        self.groups = groups
        self.frozen = frozen
        self.to_freeze = to_freeze

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{name: {"group", "lr_scale", "weight_decay_scale"[, "layer_id"]}}`` for every
        trainable leaf (frozen leaves are not listed)."""
        return {r.name: r.as_dict() for r in self.rows}

    def multipliers(self) -> dict[str, tuple[float, float]]:
        """``{name: (lr_scale, weight_decay_scale)}``; frozen leaves get ``(0.0, 0.0)``."""
        out = {r.name: (r.lr_scale, r.weight_decay_scale) for r in self.rows}
        out.update({n: (0.0, 0.0) for n in self.frozen})
        return out

    def table(self) -> str:
        """The fixed-width table (see :func:`format_table`)."""
        return format_table(self.rows, self.frozen)

    def __repr__(self) -> str:
        return f"Assignment({len(self.rows)} leaves in {len(self.groups)} groups, {len(self.frozen)} frozen)"


def assign_groups(matches: Sequence[Match], *, layer_of: dict[str, int] | None = None,
                  layer_scale: Callable[[int], float] | None = None, layer_prefix: str = "layer",
                  owner: str = "rules") -> Assignment:
    """Group the trainable matches and name the groups.

    A leaf's rate multiplier is its rule's ``lr_mult`` times ``layer_scale(layer id)``; its group
    is named ``<layer_prefix>_<id>`` (with layer ids), then the rule's label, joined by ``.``
    (``"default"`` when neither), plus ``".no_decay"`` for a no-decay leaf whose rule did not set
    ``decay_mult``. Leaves with the same name and multipliers share a group; two groups with the
    same name and different multipliers are an error. With layer ids, rows and groups are sorted
    bottom to top (stable).
    """
    groups: dict[tuple[str, float, float], Group] = {}
    rows: list[Row] = []
    for m in matches:
        if m.status != TRAIN:
            continue
        lid = layer_of[m.leaf.name] if layer_of is not None else None
        lr_scale = m.lr_mult * (layer_scale(lid) if (layer_scale is not None and lid is not None) else 1.0)
        parts = []
        if lid is not None:
            parts.append(f"{layer_prefix}_{lid}")
        if m.rule is not None:
            parts.append(m.rule.label)
        name = ".".join(parts) if parts else "default"
        if m.no_decay and not m.explicit_decay:
            name += ".no_decay"
        key = (name, lr_scale, m.decay_mult)
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(name, lr_scale, m.decay_mult, lid)
        row = Row(m.leaf.name, name, lr_scale, m.decay_mult, lid, m.leaf, m)
        g.rows.append(row)
        rows.append(row)
    names: dict[str, tuple] = {}
    for key in groups:
        if key[0] in names:
            raise ValueError(f"{owner}: two groups named {key[0]!r} have different multipliers "
                             f"(lr_scale/weight_decay_scale {names[key[0]][1:]} vs {key[1:]}); "
                             "give the rules distinct names")
        names[key[0]] = key
    ordered = list(groups.values())
    if layer_of is not None:
        ordered.sort(key=lambda g: g.layer_id if g.layer_id is not None else -1)
        rows.sort(key=lambda r: r.layer_id if r.layer_id is not None else -1)
    frozen = [m.leaf.name for m in matches if m.status == FROZEN]
    to_freeze = [m.leaf for m in matches if m.status == FREEZE]
    frozen += [leaf.name for leaf in to_freeze]
    return Assignment(rows, ordered, frozen, to_freeze)
