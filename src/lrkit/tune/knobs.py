"""The knobs a sweep turns, and the distributions they are drawn from.

A *knob* is one number (or word) of a schedule, written so that every value in its domain gives
a valid schedule for every run length: lengths are **fractions of the run** and rates other than
the peak are **fractions of the peak**. A knob's *distribution* is one of

* :class:`Fixed` -- one value (written as the value itself: ``floor: 0.0``);
* :class:`Uniform` -- a range (``[low, high]`` or ``{low: .., high: .., log: true}``), drawn
  log-uniformly for the peak and uniformly otherwise unless ``log`` says otherwise;
* :class:`Choice` -- a list of options (``[linear, 1-sqrt]`` or ``{choices: [...]}``).

Because every rate is proportional to the peak, a schedule drawn from a space is linear in its
peak: :math:`s_{p'}(t) = (p'/p)\\, s_p(t)` -- changing the peak mid-run (population-based
training) scales the curve from the current step on and changes nothing else.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from lrkit.schedules.wsd import DECAY_SHAPES

__all__ = ["Knob", "KNOBS", "Fixed", "Uniform", "Choice", "Dist", "Suggest", "parse_dist"]


class Suggest(Protocol):
    """Where a space draws its values from: an Optuna trial, a random generator, ..."""

    def float(self, name: str, low: float, high: float, log: bool) -> float: ...

    def int(self, name: str, low: int, high: int, log: bool) -> int: ...

    def choice(self, name: str, options: Sequence[Any]) -> Any: ...


@dataclasses.dataclass(frozen=True)
class Knob:
    """One tunable number of a schedule: its kind, its domain and what it means."""

    name: str
    kind: str  # "float", "int" or "str"
    meaning: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    log: bool = False
    options: tuple[str, ...] = ()

    def domain(self) -> str:
        if self.kind == "str":
            return "one of " + ", ".join(map(repr, self.options))
        lo = ("(" if self.low_open else "[") + f"{self.low:g}"
        hi = f"{self.high:g}" + (")" if self.high_open else "]")
        return f"{'an integer' if self.kind == 'int' else 'a number'} in {lo}, {hi}"

    def check_value(self, value: Any, where: str) -> Any:
        """``value`` if it lies in the domain, else a ``ValueError``/``TypeError`` naming ``where``."""
        if self.kind == "str":
            if value not in self.options:
                raise ValueError(f"{where} must be {self.domain()}, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{where} must be {self.domain()} ({self.meaning}), got {value!r} "
                            f"({type(value).__name__})")
        if self.kind == "int" and not float(value).is_integer():
            raise TypeError(f"{where} must be {self.domain()}, got {value!r}")
        v = float(value)
        below = v <= self.low if self.low_open else v < self.low
        above = v >= self.high if self.high_open else v > self.high
        if not math.isfinite(v) or below or above:
            raise ValueError(f"{where} must be {self.domain()} ({self.meaning}), got {value!r}")
        return int(v) if self.kind == "int" else v


KNOBS: dict[str, Knob] = {k.name: k for k in (
    Knob("peak", "float", "the peak learning rate", 0.0, math.inf, low_open=True, log=True),
    Knob("warmup", "float", "the warmup's length, a fraction of the run", 0.0, 1.0, high_open=True),
    Knob("warmup_start", "float", "the rate at step 0, a fraction of the peak", 0.0, 1.0),
    Knob("floor", "float", "the rate at the end of the run, a fraction of the peak", 0.0, 1.0),
    Knob("decay", "float", "the final decay's length, a fraction of the run", 0.0, 1.0,
         low_open=True),
    Knob("decay_shape", "str", "the shape of the final decay", options=DECAY_SHAPES),
    Knob("restarts", "int", "how many cosine cycles fill the run", 1, 10_000),
    Knob("peak_decay", "float", "each cycle's peak, a fraction of the previous one", 0.0, 1.0,
         low_open=True),
)}


@dataclasses.dataclass(frozen=True)
class Fixed:
    """A knob held at one value."""

    value: Any

    def draw(self, suggest: Suggest, name: str) -> Any:
        return self.value

    @property
    def bounds(self) -> tuple[Any, Any]:
        return self.value, self.value

    def to_config(self) -> Any:
        return self.value


@dataclasses.dataclass(frozen=True)
class Uniform:
    """A range, drawn uniformly (``log=False``) or log-uniformly; whole numbers for ``integer``."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def draw(self, suggest: Suggest, name: str) -> Any:
        if self.integer:
            return suggest.int(name, int(self.low), int(self.high), self.log)
        return suggest.float(name, self.low, self.high, self.log)

    @property
    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def to_config(self) -> Any:
        if self.integer:
            return {"low": int(self.low), "high": int(self.high), "log": self.log}
        return {"low": self.low, "high": self.high, "log": self.log}


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a few options, each equally likely a priori."""

    options: tuple[Any, ...]

    def draw(self, suggest: Suggest, name: str) -> Any:
        return suggest.choice(name, list(self.options))

    @property
    def bounds(self) -> tuple[Any, Any]:
        if all(isinstance(o, (int, float)) for o in self.options):
            return min(self.options), max(self.options)
        return None, None

    def to_config(self) -> Any:
        return {"choices": list(self.options)}


Dist = Fixed | Uniform | Choice


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where} must be a number, got {value!r} ({type(value).__name__})")
    return float(value)


def parse_dist(knob: Knob, spec: Any, where: str) -> Dist:
    """A knob's distribution from its config form; every value it can give is checked against
    the knob's domain here, so a space never yields an invalid schedule later."""
    if isinstance(spec, Dist):
        dist = spec
    elif isinstance(spec, Mapping):
        keys = set(spec)
        if "choices" in keys:
            if keys != {"choices"}:
                raise ValueError(f"{where}: a choice takes only 'choices', got keys {sorted(keys)}")
            dist = _choice(knob, spec["choices"], where)
        else:
            allowed = {"low", "high", "log"}
            if not {"low", "high"} <= keys or not keys <= allowed:
                raise ValueError(f"{where} must be a range {{low: .., high: .., log: ..}} or "
                                 f"{{choices: [...]}}, got keys {sorted(keys)}")
            log = spec.get("log", knob.log)
            if not isinstance(log, bool):
                raise TypeError(f"{where}.log must be true or false, got {log!r}")
            dist = _range(knob, spec["low"], spec["high"], log, where)
    elif isinstance(spec, (list, tuple)):
        if not spec:
            raise ValueError(f"{where} is an empty list: give a range [low, high], a list of "
                             "options or one value")
        if knob.kind == "str" or any(isinstance(v, str) for v in spec):
            dist = _choice(knob, spec, where)
        elif len(spec) == 2:
            dist = _range(knob, spec[0], spec[1], knob.log, where)
        else:
            raise ValueError(f"{where} must be a range [low, high] (two numbers) or {{choices: "
                             f"[...]}}, got a list of {len(spec)} numbers {list(spec)!r}")
    else:
        dist = Fixed(spec)
    _check_dist(knob, dist, where)
    return dist


def _choice(knob: Knob, options: Any, where: str) -> Choice:
    if not isinstance(options, (list, tuple)) or not options:
        raise ValueError(f"{where}: choices must be a non-empty list, got {options!r}")
    if len(set(map(repr, options))) != len(options):
        raise ValueError(f"{where}: choices must not repeat, got {list(options)!r}")
    return Choice(tuple(options))


def _range(knob: Knob, low: Any, high: Any, log: bool, where: str) -> Dist:
    if knob.kind == "str":
        raise ValueError(f"{where} is {knob.domain()}: give one option or a list of options, "
                         f"got the range [{low!r}, {high!r}]")
    lo, hi = _number(low, f"{where}.low"), _number(high, f"{where}.high")
    if not lo <= hi:
        raise ValueError(f"{where} is an empty range: low must be <= high, got low={low!r}, "
                         f"high={high!r}")
    if log and lo <= 0:
        raise ValueError(f"{where}: a log range needs low > 0, got low={low!r} (write "
                         f"{{low: {low!r}, high: {high!r}, log: false}} for a uniform range)")
    if knob.kind == "int":
        if not (lo.is_integer() and hi.is_integer()):
            raise TypeError(f"{where} must be a range of integers, got [{low!r}, {high!r}]")
    if lo == hi:
        return Fixed(int(lo) if knob.kind == "int" else lo)
    return Uniform(lo, hi, log, knob.kind == "int")


def _check_dist(knob: Knob, dist: Dist, where: str) -> None:
    if isinstance(dist, Choice):
        for i, o in enumerate(dist.options):
            knob.check_value(o, f"{where}[{i}]")
    elif isinstance(dist, Uniform):
        knob.check_value(dist.low, f"{where}.low")
        knob.check_value(dist.high, f"{where}.high")
    else:
        knob.check_value(dist.value, where)
