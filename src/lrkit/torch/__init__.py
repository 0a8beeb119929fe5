"""PyTorch glue: the scheduler driver, the LR finder, parameter groups and transfer learning.

Importing this package imports ``torch``. Names are resolved lazily from their modules.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # driver
    "Scheduler": "lrkit.torch.scheduler",
    # finder glue
    "find_lr": "lrkit.torch.finder",
    # parameter groups, layer decay, freezing, partial restore
    "param_groups": "lrkit.torch.groups",
    "layer_decay": "lrkit.torch.groups",
    "discriminative": "lrkit.torch.groups",
    "freeze": "lrkit.torch.freezing",
    "unfreeze": "lrkit.torch.freezing",
    "GradualUnfreeze": "lrkit.torch.freezing",
    "load_partial": "lrkit.torch.restore",
    # batch-size schedules and DDP
    "BatchSizeSampler": "lrkit.torch.sampler",
    "reduce_metric": "lrkit.torch.distributed",
    "per_rank_batch": "lrkit.torch.distributed",
    "save_checkpoint": "lrkit.torch.distributed",
    "load_checkpoint": "lrkit.torch.distributed",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lrkit.torch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
