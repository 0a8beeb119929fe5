"""Shared helpers for schedule families."""

from __future__ import annotations

from typing import Any


def set_field(obj: Any, name: str, value: Any) -> None:
    """Normalise a field of a frozen dataclass inside ``__post_init__``."""
    object.__setattr__(obj, name, value)


def owner(obj: Any) -> str:
    return type(obj).__name__
