"""Argument validation with messages that name the argument, the rule and the value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral
from typing import Any

__all__ = [
    "number",
    "positive",
    "non_negative",
    "probability",
    "integer",
    "choice",
    "numbers",
    "increasing",
    "boolean",
]


def _fail(owner: str, msg: str, exc: type[Exception] = ValueError) -> Exception:
    return exc(f"{owner}: {msg}" if owner else msg)


def number(name: str, value: Any, owner: str = "") -> float:
    """A finite real number (bool rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            import numpy as np

            if isinstance(value, np.generic) and np.issubdtype(type(value), np.number):
                value = value.item()
            else:
                raise TypeError
        except (ImportError, TypeError):
            hint = ""
            if isinstance(value, (str, dict)):
                hint = (" — a duration with a unit is converted by Budget(...).steps(value), or pass "
                        "budget= to lrkit.from_config / lrkit.load")
            raise _fail(
                owner, f"{name} must be a number, got {value!r} ({type(value).__name__}){hint}", TypeError
            ) from None
    try:
        as_float = float(value)
    except OverflowError:  # an int beyond the float range (e.g. 2**1100)
        as_float = math.inf
    if not math.isfinite(as_float):
        raise _fail(owner, f"{name} must be a finite number, got {_short(value)}")
    return as_float


def _short(value: Any) -> str:
    """``repr`` of a value, shortened for huge integers (``2**1100`` has 332 digits)."""
    text = repr(value)
    if len(text) <= 40:
        return text
    if isinstance(value, int):
        return f"{text[:12]}... ({len(text)} digits)"
    return text[:40] + "..."



def positive(name: str, value: Any, owner: str = "") -> float:
    v = number(name, value, owner)
    if v <= 0:
        raise _fail(owner, f"{name} must be > 0, got {value!r}")
    return v


def non_negative(name: str, value: Any, owner: str = "") -> float:
    v = number(name, value, owner)
    if v < 0:
        raise _fail(owner, f"{name} must be >= 0, got {value!r}")
    return v


def probability(name: str, value: Any, owner: str = "", *, open_low: bool = False,
                open_high: bool = False) -> float:
    v = number(name, value, owner)
    lo_ok = v > 0 if open_low else v >= 0
    hi_ok = v < 1 if open_high else v <= 1
    if not (lo_ok and hi_ok):
        lo = "(0" if open_low else "[0"
        hi = "1)" if open_high else "1]"
        raise _fail(owner, f"{name} must be in {lo}, {hi}, got {value!r}")
    return v


def integer(name: str, value: Any, owner: str = "", *, minimum: int | None = None) -> int:
    # a NumPy integer counts (torch and the other peers take one); a bool does not
    if isinstance(value, bool) or not isinstance(value, Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise _fail(
                owner, f"{name} must be an integer, got {value!r} ({type(value).__name__})", TypeError
            )
    value = int(value)
    if abs(value) > _MAX_INT:
        raise _fail(owner, f"{name} must be an integer within the float range, got {_short(value)}")
    if minimum is not None and value < minimum:
        raise _fail(owner, f"{name} must be >= {minimum}, got {value!r}")
    return value


_MAX_INT = 2**1023  # larger integers do not convert to a float


def boolean(name: str, value: Any, owner: str = "") -> bool:
    if not isinstance(value, bool):
        raise _fail(owner, f"{name} must be True or False, got {value!r}", TypeError)
    return value


def choice(name: str, value: Any, options: Iterable[str], owner: str = "") -> str:
    opts = list(options)
    if value not in opts:
        raise _fail(owner, f"{name} must be one of {', '.join(map(repr, opts))}, got {value!r}")
    return str(value)


def numbers(name: str, values: Any, owner: str = "") -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, Iterable)):
        raise _fail(owner, f"{name} must be a list of numbers, got {values!r}", TypeError)
    out = []
    for i, v in enumerate(values):
        out.append(number(f"{name}[{i}]", v, owner))
    return tuple(out)


def increasing(name: str, values: tuple[float, ...], owner: str = "", *, strict: bool = True) -> None:
    for i in range(1, len(values)):
        if values[i] < values[i - 1] or (strict and values[i] == values[i - 1]):
            rule = "strictly increasing" if strict else "non-decreasing"
            raise _fail(owner, f"{name} must be {rule}, got {list(values)!r}")
