"""Writing scheduled values into param groups without rebinding tensors.

A param group's value is a Python number, a tensor (``lr=torch.tensor(...)`` for
``torch.compile`` / CUDA graphs), or a tuple of either (``betas``). Tensors are updated in place
(``fill_`` from a host number, ``copy_`` from a device tensor) and never read back; numbers are
replaced. Entries are classified once per param-group layout so the per-step loop stays flat.
"""

from __future__ import annotations

from typing import Any

import torch

FLOAT, TENSOR, TUPLE_FLOAT, TUPLE_TENSOR = 0, 1, 2, 3


def classify(value: Any, index: int | None) -> int | None:
    """The kind of ``value`` (``None`` when it is not a number, tensor or pair of them)."""
    if index is None:
        if isinstance(value, torch.Tensor):
            return TENSOR if value.numel() == 1 else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return FLOAT
        return None
    if not isinstance(value, (tuple, list)) or len(value) <= index:
        return None
    elem = value[index]
    if isinstance(elem, torch.Tensor):
        return TUPLE_TENSOR if elem.numel() == 1 else None
    if isinstance(elem, (int, float)) and not isinstance(elem, bool):
        return TUPLE_FLOAT
    return None


def write_host(group: dict[str, Any], key: str, index: int | None, kind: int, value: float) -> None:
    """Store a host number: replace a number, ``fill_`` a tensor (no rebinding, no sync)."""
    if kind == FLOAT:
        group[key] = value
    elif kind == TENSOR:
        group[key].fill_(value)
    elif kind == TUPLE_TENSOR:
        group[key][index].fill_(value)
    else:
        old = group[key]
        group[key] = (value, old[1]) if index == 0 else (old[0], value)


def write_device(group: dict[str, Any], key: str, index: int | None, kind: int, value: Any) -> None:
    """Store a device tensor into a tensor entry with ``copy_`` (traceable by ``torch.compile``)."""
    target = group[key] if kind == TENSOR else group[key][index]
    target.copy_(value)


def step_tensor(step: int, groups: list[dict[str, Any]], keys: list[tuple[str, int | None]]) -> Any:
    """A 0-d step counter on the device (and in a float type) of the first scheduled tensor."""
    device = torch.device("cpu")
    for g in groups:
        for key, index in keys:
            v = g.get(key)
            if index is not None and isinstance(v, (tuple, list)):
                v = v[index]
            if isinstance(v, torch.Tensor):
                device = v.device
                break
        else:
            continue
        break
    dtype = torch.float32 if device.type == "mps" else torch.float64
    return torch.tensor(float(step), dtype=dtype, device=device)
