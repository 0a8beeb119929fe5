"""Layer ids for layer-wise rate decay.

The convention (BEiT, ELECTRA, timm): embeddings and everything before the main stack of
numbered blocks get id 0, block :math:`k` of the stack gets :math:`k + 1`, and everything after
the stack (final norm, pooler, head) gets the top id :math:`n + 1`. When the model itself is the
stack (a plain sequential model), its blocks are numbered from 0 (the first block plays the
embedding's part, the last the head's) and a leaf after the stack shares the last block's id
:math:`n - 1`.

A :class:`Stack` is the ordered list of the blocks' name prefixes. A framework adapter that
knows the model's structure (``nn.ModuleList``, ``keras.Model.layers``) builds it and passes it;
:func:`find_stack` finds one from the leaves' names alone: a component that is a number
(``blocks.3``, ``encoder.layer.3``) or ends in ``_<number>`` (``layers_3``, ``Block_3``,
``block_3``) marks a block; the numbered container holding the most elements wins, and sibling
containers of similar weight (ResNet's ``layer1..layer4``) make the order ambiguous.
Keras's automatic layer names (``dense``, ``dense_1``, ...) count layers per process, not
positions in a model: an adapter that knows the real order (``model.layers``) should pass it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lrkit import _check
from lrkit.rules.assign import short_list
from lrkit.rules.leaf import Leaf
from lrkit.rules.patterns import DOTS, Convention, compile_pattern, describe, prefixes

__all__ = ["Stack", "EMBED_HINTS", "find_stack", "auto_layer_ids", "resolve_layer_ids", "NO_STACK"]

#: Name fragments that mark an embedding-like leaf for layer ids (id 0 wherever it sits).
EMBED_HINTS = ("embed", "cls_token", "pos_token", "mask_token", "dist_token")

NO_STACK = ("the model has no numbered stack of blocks (blocks.N, layers.N, encoder.layer.N, "
            "layers_N, Block_N, a sequential model)")
#: a rival stack weighing at least this fraction of the heaviest makes the order ambiguous
RIVAL_FRACTION = 0.2

_SUFFIXED = re.compile(r"(.+?)_(\d+)")


@dataclass(frozen=True)
class Stack:
    """The main stack: the name prefixes of its blocks, bottom to top.

    ``root=True`` when the model itself is the stack (blocks numbered from 0, no id before them).
    ``name`` names the container in messages.
    """

    blocks: tuple[str, ...]
    root: bool = False
    name: str = ""

    def block_of(self, name: str, sep: str) -> int | None:
        """Index of the block holding ``name`` (the block's prefix or below it), or ``None``."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            for i, b in enumerate(self.blocks):
                index.setdefault(b, i)
            object.__setattr__(self, "_index", index)
        for prefix in prefixes(name, sep):
            i = index.get(prefix)
            if i is not None:
                return i  # type: ignore[no-any-return]
        return None


def find_stack(leaves: Sequence[Leaf], sep: str | None = None) -> Stack | str:
    """The numbered stack holding the most elements, from the leaves' names alone; or a string
    saying why there is none (no numbered component, or rivals of similar weight)."""
    if not leaves:
        return NO_STACK
    s = sep if sep is not None else leaves[0].sep
    # container key -> [weight, {index: block prefix}, display name, path]
    cands: dict[tuple[str, str], list[Any]] = {}
    for leaf in leaves:
        parts = leaf.name.split(s)
        for j in range(len(parts) - 1):
            comp = parts[j]
            path = s.join(parts[:j])
            if comp.isdigit():
                key, idx, shown = (path, ""), int(comp), path
            else:
                m = _SUFFIXED.fullmatch(comp)
                if m is None:
                    continue
                key, idx = (path, m.group(1)), int(m.group(2))
                shown = s.join([*parts[:j], m.group(1) + "_N"])
            c = cands.setdefault(key, [0, {}, shown, path])
            c[0] += leaf.size
            c[1].setdefault(idx, s.join(parts[: j + 1]))
    stacks = [(w, key, kids, shown, path) for key, (w, kids, shown, path) in cands.items() if len(kids) >= 2]
    if not stacks:
        return NO_STACK
    best = max(stacks, key=lambda c: c[0])  # max keeps the first (outermost) on ties
    w_best, key_best, kids_best, shown_best, path_best = best
    blocks_best = tuple(kids_best[i] for i in sorted(kids_best))

    def inside(path: str, blocks: Any) -> bool:
        return any(path == blk or path.startswith(blk + s) for blk in blocks)

    rivals = []
    for w, key, kids, shown, path in stacks:
        if key == key_best or w < RIVAL_FRACTION * w_best:
            continue
        blocks = tuple(kids[i] for i in sorted(kids))
        if path_best == "" and key_best[1] == "" or path == "" and key[1] == "":
            continue  # the model itself is a stack: every other stack lies inside it
        if inside(path, blocks_best) or inside(path_best, blocks):
            continue
        rivals.append(shown)
    if rivals:
        return (f"the model has several numbered stacks ({', '.join([shown_best, *rivals])}), so the "
                "layer order is ambiguous")
    root = path_best == "" and key_best[1] == ""
    return Stack(blocks_best, root=root, name=shown_best)


def _embedding_like(leaf: Leaf) -> bool:
    if leaf.is_embedding:
        return True
    lowered = leaf.name.lower()
    return any(h in lowered for h in EMBED_HINTS)


def auto_layer_ids(leaves: Sequence[Leaf], stack: Stack | str | None = None) -> dict[str, int] | str:
    """Layer id per leaf name from ``stack`` (default: :func:`find_stack` on the names), or the
    reason why there is no automatic assignment.

    Block :math:`k` gets :math:`k + 1` (:math:`k` for a root stack); a leaf outside the stack gets
    0 when it is embedding-like (:attr:`Leaf.is_embedding` or a name containing one of
    :data:`EMBED_HINTS`) or comes before the stack's first leaf, else the top id: :math:`n + 1`,
    or the last block's id :math:`n - 1` for a root stack (its last block is the top).
    """
    if stack is None:
        stack = find_stack(leaves)
    if isinstance(stack, str):
        return stack
    offset = 0 if stack.root else 1
    top = len(stack.blocks) - 1 + offset + (0 if stack.root else 1)
    ids: dict[str, int] = {}
    seen_stack = False
    for leaf in leaves:
        k = stack.block_of(leaf.name, leaf.sep)
        if k is not None:
            ids[leaf.name] = k + offset
            seen_stack = True
        elif _embedding_like(leaf) or not seen_stack:
            ids[leaf.name] = 0
        else:
            ids[leaf.name] = top
    return ids


def resolve_layer_ids(leaves: Sequence[Leaf], layer_ids: Any, auto: dict[str, int] | str, *,
                      convention: Convention = DOTS, owner: str = "layer_decay") -> dict[str, int]:
    """Explicit ``layer_ids`` (a mapping ``{pattern: id}``, first match wins, or a callable
    ``name -> id | None``) over the automatic ids ``auto``; every leaf must end with an id."""
    explicit: Callable[[Leaf], int | None]
    if layer_ids is None:
        def explicit(leaf: Leaf) -> int | None:
            return None
    elif callable(layer_ids) and not isinstance(layer_ids, Mapping):
        def explicit(leaf: Leaf) -> int | None:
            v = layer_ids(leaf.name)
            return None if v is None else _check.integer(f"layer_ids({leaf.name!r})", v, owner, minimum=0)
    elif isinstance(layer_ids, Mapping):
        table = []
        for pat, lid in layer_ids.items():
            table.append((compile_pattern(pat, convention, "layer_ids", owner),
                          _check.integer(f"layer_ids[{describe(pat)!r}]", lid, owner, minimum=0)))

        def explicit(leaf: Leaf) -> int | None:
            for pred, lid in table:
                if pred.leaf(leaf):
                    return lid
            return None
    else:
        raise TypeError(f"{owner}: layer_ids must be a mapping pattern -> layer id or a callable "
                        f"name -> id, got {layer_ids!r}")
    ids: dict[str, int] = {}
    missing = []
    for leaf in leaves:
        v = explicit(leaf)
        if v is None:
            v = None if isinstance(auto, str) else auto.get(leaf.name)
        if v is None:
            missing.append(leaf.name)
        else:
            ids[leaf.name] = v
    if missing:
        why = auto if isinstance(auto, str) else "the automatic assignment does not cover them"
        raise ValueError(
            f"{owner}: no layer id for {short_list(missing)}: {why}; pass layer_ids={{pattern: id}} or a "
            "callable name -> id")
    return ids
