"""Automatic layer ids for layer-wise rate decay.

The convention (BEiT, ELECTRA, timm): embeddings and everything registered before the main stack
of numbered blocks get id 0, block :math:`k` of the stack gets :math:`k + 1`, and everything after
the stack (final norm, pooler, head) gets the top id :math:`n + 1`. When the model itself is the
stack (a plain ``nn.Sequential``), its parameterised children are numbered from 0.
"""

from __future__ import annotations

from torch import nn

from lrkit.torch._match import ParamInfo

_EMBED_HINTS = ("embed", "cls_token", "pos_token", "mask_token", "dist_token")


def find_stack(model: nn.Module) -> tuple[str, list[str]] | str:
    """The numbered container (``nn.ModuleList``/``nn.Sequential`` with children ``0, 1, ...``)
    holding the most parameter elements, as ``(name, [child names with parameters])``; or, when
    there is none or several unrelated ones of similar weight (ResNet's ``layer1..layer4``), a
    string saying why."""
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

    rivals = [name for n, name, _ in cands if name != best and not related(name, best) and n >= 0.2 * size]
    if rivals:
        return (f"the model has several numbered stacks ({', '.join([best, *rivals])}), so the layer order "
                "is ambiguous")
    return best, kids


def _is_embedding(info: ParamInfo) -> bool:
    if isinstance(info.module, (nn.Embedding, nn.EmbeddingBag)):
        return True
    lowered = info.name.lower()
    return any(h in lowered for h in _EMBED_HINTS)


def auto_layer_ids(model: nn.Module, params: list[ParamInfo]) -> dict[str, int] | str:
    """Layer id per parameter name, or the reason why there is no automatic assignment."""
    stack = find_stack(model)
    if isinstance(stack, str):
        return stack
    sname, kids = stack
    root = sname == ""
    offset = 0 if root else 1
    index = {kid: i for i, kid in enumerate(kids)}
    top = len(kids) - 1 + offset + (0 if root else 1)
    ids: dict[str, int] = {}
    seen_stack = False
    for info in params:
        rel = info.name if root else (info.name[len(sname) + 1:] if info.name.startswith(sname + ".")
                                      else None)
        kid = rel.split(".", 1)[0] if rel is not None else None
        if kid is not None and kid in index:
            ids[info.name] = index[kid] + offset
            seen_stack = True
        elif _is_embedding(info) or not seen_stack:
            ids[info.name] = 0
        else:
            ids[info.name] = top
    return ids
