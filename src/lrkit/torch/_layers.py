"""Automatic layer ids for layer-wise rate decay: the PyTorch side finds the stack.

The convention (BEiT, ELECTRA, timm; written once in :mod:`lrkit.rules.layers`): embeddings and
everything registered before the main stack of numbered blocks get id 0, block :math:`k` of the
stack gets :math:`k + 1`, and everything after the stack (final norm, pooler, head) gets the top
id :math:`n + 1`. When the model itself is the stack (a plain ``nn.Sequential``), its
parameterised children are numbered from 0. Here the stack is read from the module structure
(``nn.ModuleList`` / ``nn.Sequential`` with children ``0, 1, ...``), not guessed from names.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from lrkit import rules
from lrkit.rules import Leaf, Stack


def find_stack(model: nn.Module) -> Stack | str:
    """The numbered container (``nn.ModuleList``/``nn.Sequential`` with children ``0, 1, ...``)
    holding the most parameter elements, as a :class:`lrkit.rules.Stack` of its children with
    parameters; or, when there is none or several unrelated ones of similar weight (ResNet's
    ``layer1..layer4``), a string saying why."""
    cands: list[tuple[int, str, list[str]]] = []
    for mname, module in model.named_modules():
        if not isinstance(module, (nn.ModuleList, nn.Sequential)):
            continue
        kids = [(cname, child) for cname, child in module.named_children()]
        if not kids or not all(cname.isdigit() for cname, _ in kids):
            continue
        with_params = [cname for cname, child in kids if any(True for _ in child.parameters())]
        if len(with_params) < 2:
            continue
        cands.append((sum(p.numel() for p in module.parameters()), mname, with_params))
    if not cands:
        return ("the model has no numbered stack of blocks (blocks.N, layers.N, encoder.layer.N, "
                "nn.Sequential)")
    size, best, kids = max(cands, key=lambda c: c[0])  # max keeps the first (outermost) on ties

    def related(a: str, b: str) -> bool:
        return a == "" or b == "" or a.startswith(b + ".") or b.startswith(a + ".")

    rivals = [name for n, name, _ in cands if name != best and not related(name, best)
              and n >= rules.layers.RIVAL_FRACTION * size]
    if rivals:
        return (f"the model has several numbered stacks ({', '.join([best, *rivals])}), so the layer order "
                "is ambiguous")
    blocks = tuple(kid if best == "" else f"{best}.{kid}" for kid in kids)
    return Stack(blocks, root=best == "", name=best)


def auto_layer_ids(model: nn.Module, params: Sequence[Leaf]) -> dict[str, int] | str:
    """Layer id per parameter name, or the reason why there is no automatic assignment."""
    return rules.auto_layer_ids(params, find_stack(model))
