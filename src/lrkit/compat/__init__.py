"""Every peer library's schedules under their original names and keyword arguments.

``lrkit.compat.tf1``, ``.keras``, ``.optax``, ``.torch``, ``.transformers``, ``.timm`` and
``.deepspeed`` return lrkit schedules whose values equal the original's step for step. None of
them imports the peer library. Each dialect module is imported on first access
(``import lrkit; lrkit.compat.torch.StepLR(...)`` works without importing it first).
"""

from __future__ import annotations

import importlib
from typing import Any

DIALECTS = ("tf1", "keras", "optax", "torch", "transformers", "timm", "deepspeed")
__all__ = list(DIALECTS)


def __getattr__(name: str) -> Any:
    if name in DIALECTS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(DIALECTS))
