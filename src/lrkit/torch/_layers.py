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


def find_stack(model: nn.Module) -> tuple[str, list[str]] | None:
    """The numbered container (``nn.ModuleList``/``nn.Sequential`` with children ``0, 1, ...``)
    holding the most parameter elements, as ``(name, [child names with parameters])``."""
    best: tuple[int, str, list[str]] | None = None
    for mname, module in model.named_modules():
        if not isinstance(module, (nn.ModuleList, nn.Sequential)):
            continue
        kids = [(cname, child) for cname, child in module.named_children()]
        if not kids or not all(cname.isdigit() for cname, _ in kids):
            continue
        with_params = [cname for cname, child in kids if any(True for _ in child.parameters())]
        if len(with_params) < 2:
            continue
        size = sum(p.numel() for p in module.parameters())
        if best is None or size > best[0]:
            best = (size, mname, with_params)
    return None if best is None else (best[1], best[2])


def _is_embedding(info: ParamInfo) -> bool:
    if isinstance(info.module, (nn.Embedding, nn.EmbeddingBag)):
        return True
    lowered = info.name.lower()
    return any(h in lowered for h in _EMBED_HINTS)


def auto_layer_ids(model: nn.Module, params: list[ParamInfo]) -> dict[str, int] | None:
    """Layer id per parameter name, or ``None`` when the model has no numbered stack."""
    stack = find_stack(model)
    if stack is None:
        return None
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
