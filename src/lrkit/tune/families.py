"""The schedule families a sweep chooses between, and how a point of knobs becomes a config.

With :math:`T` the run's length in optimizer steps (from the budget), :math:`p` the peak,
:math:`W = \\lfloor w T \\rfloor` the warmup (``warmup`` :math:`= w`), :math:`a_0 = p\\,a`
the rate at step 0 (``warmup_start`` :math:`= a`) and :math:`b = p\\,f` the final rate
(``floor`` :math:`= f`):

* ``constant``: a linear warmup from :math:`a_0` to :math:`p`, then :math:`p`;
* ``linear`` / ``cosine`` / ``exponential``: the warmup, then a linear, cosine or exponential
  decay from :math:`p` to :math:`b` over the remaining :math:`T - W` steps
  (exponential: :math:`p\\, f^{(t - W)/(T - W)}`);
* ``cosine_restarts``: the warmup, then :math:`k` = ``restarts`` equal cosine cycles over
  :math:`T - W`, each peak ``peak_decay`` times the previous;
* ``wsd``: warmup-stable-decay with a final decay of :math:`D = \\lfloor d T \\rfloor` steps
  (``decay`` :math:`= d`) shaped by ``decay_shape``;
* ``one_cycle``: torch's one-cycle with ``pct_start`` :math:`= w`, ``div_factor``
  :math:`= 1/a` and a final rate :math:`b` (``final_div_factor`` :math:`= a / f`).

Each family ends its decay exactly at the end of the run (:math:`T`), so a truncated schedule
is never compared with a finished one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from lrkit.tune.knobs import Dist, Fixed, Uniform

__all__ = ["Family", "FAMILIES"]

_WARM = {"warmup": Uniform(0.0, 0.1), "warmup_start": Fixed(0.01)}


@dataclasses.dataclass(frozen=True)
class Family:
    """A schedule family: the knobs it has, their default distributions, and the builder."""

    name: str
    defaults: dict[str, Dist]
    build: Callable[[dict[str, Any], int, int], dict[str, Any]]  # (values, T, W) -> config
    positive: tuple[str, ...] = ()  # knobs that must be > 0 for this family
    doc: str = ""

    @property
    def knobs(self) -> tuple[str, ...]:
        return ("peak",) + tuple(self.defaults)


def _with_warmup(inner: dict[str, Any], v: dict[str, Any], w_steps: int) -> dict[str, Any]:
    if w_steps <= 0:
        return inner
    return {"type": "warmup", "schedule": inner, "steps": w_steps,
            "start": v["warmup_start"] * v["peak"]}


def _constant(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    return _with_warmup({"type": "constant", "value": v["peak"]}, v, w)


def _linear(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    p = v["peak"]
    return _with_warmup({"type": "linear", "start": p, "end": v["floor"] * p, "steps": total - w}, v, w)


def _cosine(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    p = v["peak"]
    return _with_warmup({"type": "cosine", "start": p, "steps": total - w, "end": v["floor"] * p}, v, w)


def _exponential(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    p = v["peak"]
    inner = {"type": "exponential", "start": p, "rate": v["floor"], "decay_steps": total - w,
             "end": v["floor"] * p}
    return _with_warmup(inner, v, w)


def _restarts(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    p = v["peak"]
    inner = {"type": "cosine_restarts", "start": p, "period": (total - w) / v["restarts"],
             "peak_decay": v["peak_decay"], "end": v["floor"] * p}
    return _with_warmup(inner, v, w)


def _wsd(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    p = v["peak"]
    return {"type": "wsd", "peak": p, "total": total, "decay_steps": v["_decay_steps"],
            "warmup_steps": w, "start": v["warmup_start"] * p, "end": v["floor"] * p,
            "decay_shape": v["decay_shape"]}


def _one_cycle(v: dict[str, Any], total: int, w: int) -> dict[str, Any]:
    return {"type": "one_cycle", "peak": v["peak"], "total_steps": total, "pct_start": v["warmup"],
            "div_factor": 1.0 / v["warmup_start"], "final_div_factor": v["warmup_start"] / v["floor"]}


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("constant", dict(_WARM), _constant,
           doc="a warmup, then the peak held to the end"),
    Family("linear", {**_WARM, "floor": Fixed(0.0)}, _linear,
           doc="a warmup, then a straight line down to the floor at the end of the run"),
    Family("cosine", {**_WARM, "floor": Fixed(0.0)}, _cosine,
           doc="a warmup, then a cosine down to the floor at the end of the run"),
    Family("exponential", {**_WARM, "floor": Fixed(0.01)}, _exponential, positive=("floor",),
           doc="a warmup, then a geometric decay reaching the floor at the end of the run"),
    Family("cosine_restarts", {**_WARM, "floor": Fixed(0.0), "restarts": Uniform(1, 4, integer=True),
                               "peak_decay": Fixed(1.0)}, _restarts,
           doc="a warmup, then equal cosine cycles (SGDR) filling the run"),
    Family("wsd", {**_WARM, "floor": Fixed(0.0), "decay": Uniform(0.1, 0.3),
                   "decay_shape": Fixed("1-sqrt")}, _wsd,
           doc="warmup-stable-decay: the peak held until a final decay"),
    Family("one_cycle", {"warmup": Uniform(0.1, 0.4), "warmup_start": Fixed(0.04),
                         "floor": Fixed(4e-6)}, _one_cycle,
           positive=("warmup", "warmup_start", "floor"),
           doc="torch's one-cycle: a cosine rise over the warmup fraction, then a cosine fall"),
)}
