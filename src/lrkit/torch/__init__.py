"""PyTorch glue: the scheduler driver, the LR finder, parameter groups and transfer learning.

Importing this package imports ``torch``. Names are resolved lazily from their modules.
"""

from __future__ import annotations

from lrkit._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
