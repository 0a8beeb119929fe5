"""Shared helpers for schedule families."""

from __future__ import annotations

from typing import Any


def set_field(obj: Any, name: str, value: Any) -> None:
    """Normalise a field of a frozen dataclass inside ``__post_init__``."""
    object.__setattr__(obj, name, value)


def owner(obj: Any) -> str:
    return type(obj).__name__


def times(start: float, factor: Any, ops: Any) -> Any:
    """``start * factor``, exactly 0 when ``start`` is 0: a growing factor (a rate or gamma
    above 1) overflows to ``inf`` far out, and ``0 * inf`` would be NaN."""
    if start == 0.0:
        return ops.full_like(factor, 0.0) if not isinstance(factor, float) else 0.0
    return start * factor
