"""Plans: which schedule drives which hyperparameter of which param group.

A *plan* maps hyperparameter names to *rules*; a rule is an lrkit :class:`~lrkit.Schedule` (a
pure function of the step) or an :class:`~lrkit.plateau.OnPlateau` (a schedule cut by a plateau
controller). This module normalises what the user wrote into a list of :class:`Target` objects
and checks it against the optimizer's param groups. It does not touch the optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lrkit.plateau import OnPlateau
from lrkit.schedule import Schedule
from lrkit.schedules import Constant

Rule = Schedule | OnPlateau

OWNER = "Scheduler"
#: tuple-valued hyperparameters addressed element by element: label -> (group key, index)
TUPLE_LABELS = {"beta1": ("betas", 0), "beta2": ("betas", 1)}
#: hyperparameters whose values must stay below 1
BELOW_ONE = ("beta1", "beta2")
#: how far ahead a plan is checked for negative or non-finite values when it has no horizon
CHECK_STEPS = 100_000


@dataclass
class Target:
    """One scheduled hyperparameter: ``group[key]`` (or ``group[key][index]``)."""

    label: str
    key: str
    index: int | None
    default: Rule | None
    overrides: dict[str, Rule] = field(default_factory=dict)

    @property
    def scale_key(self) -> str:
        return self.label + "_scale"

    def rule_for(self, name: Any) -> Rule | None:
        if name is not None and name in self.overrides:
            return self.overrides[name]
        return self.default


def _rule(label: str, value: Any) -> Rule:
    if isinstance(value, (Schedule, OnPlateau)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{OWNER}: plan[{label!r}] must be a finite number >= 0, got {value!r}")
        return Constant(float(value))
    raise TypeError(f"{OWNER}: plan[{label!r}] must be an lrkit Schedule, an OnPlateau or a "
                    f"number, got {value!r} ({type(value).__name__})")


def _split(plan: Any, where: str) -> dict[str, Rule | None]:
    """``{"lr": s, "betas": (a, None)}`` -> ``{"lr": s, "beta1": a}`` with every value checked."""
    if isinstance(plan, (Schedule, OnPlateau)):
        return {"lr": plan}
    if not isinstance(plan, Mapping):
        raise TypeError(f"{OWNER}: {where} must be an lrkit Schedule, an OnPlateau or a dict "
                        f"mapping hyperparameter names to schedules, got {plan!r} "
                        f"({type(plan).__name__})")
    if not plan:
        raise ValueError(f"{OWNER}: {where} must name at least one hyperparameter, got {{}}")
    out: dict[str, Rule | None] = {}
    for key, value in plan.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{OWNER}: {where} keys must be hyperparameter names (str), got "
                            f"{key!r}")
        if key == "betas":
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise TypeError(f"{OWNER}: {where}['betas'] must be a pair (beta1 rule, beta2 "
                                f"rule), either may be None, got {value!r}")
            if value[0] is None and value[1] is None:
                raise ValueError(f"{OWNER}: {where}['betas'] must schedule at least one element, "
                                 f"got (None, None)")
            for label, v in zip(("beta1", "beta2"), value):
                if v is not None:
                    out[label] = _rule(label, v)
            continue
        if key.endswith("_scale"):
            raise ValueError(f"{OWNER}: {where} key {key!r} is a per-group multiplier, not a "
                             f"hyperparameter; set it in the param group instead")
        out[key] = _rule(key, value)
    return out


def parse_plan(plan: Any, groups: Mapping[str, Any] | None, cycle_momentum: bool,
               defaults: Mapping[str, Any]) -> list[Target]:
    """The plan as targets, momentum of a cyclic / one-cycle ``lr`` rule added when wanted."""
    main = _split(plan, "plan")
    per_name: dict[str, dict[str, Rule | None]] = {}
    if groups is not None:
        if not isinstance(groups, Mapping):
            raise TypeError(f"{OWNER}: groups must be a dict mapping a param group's name to its "
                            f"own plan, got {groups!r} ({type(groups).__name__})")
        for name, sub in groups.items():
            if not isinstance(name, str):
                raise TypeError(f"{OWNER}: groups keys must be param group names (str), got "
                                f"{name!r}")
            per_name[name] = _split(sub, f"groups[{name!r}]")

    labels: list[str] = list(main)
    for sub in per_name.values():
        labels.extend(k for k in sub if k not in labels)

    targets: list[Target] = []
    for label in labels:
        key, index = TUPLE_LABELS.get(label, (label, None))
        t = Target(label, key, index, main.get(label))
        for name, sub in per_name.items():
            if label in sub:
                t.overrides[name] = sub[label]  # type: ignore[assignment]
        targets.append(t)

    if cycle_momentum and not ({"momentum", "beta1"} & set(labels)):
        lr = main.get("lr")
        if lr is not None and hasattr(lr, "_momentum_eval"):
            from lrkit.schedules import MomentumOf

            # torch's OneCycleLR / CyclicLR: beta1 when the optimizer has betas, else momentum
            if "betas" in defaults:
                targets.append(Target("beta1", "betas", 0, MomentumOf(lr)))
            elif "momentum" in defaults:
                targets.append(Target("momentum", "momentum", None, MomentumOf(lr)))
    return targets


def base_schedule(rule: Rule) -> Schedule:
    return rule.schedule if isinstance(rule, OnPlateau) else rule


def is_relative(rule: Rule | None) -> bool:
    """A schedule that takes its rate from the optimizer (``relative=True``, see
    :mod:`lrkit.compat._rate`): each param group follows ``rule.for_rate(initial_lr)``."""
    return rule is not None and getattr(rule, "relative", False) is True


def check_relative(targets: list[Target]) -> None:
    """Relative schedules drive ``lr`` only, and not inside a plateau part."""
    for t in targets:
        for r in [t.default, *t.overrides.values()]:
            if isinstance(r, OnPlateau) and is_relative(r.schedule):
                raise ValueError(f"{OWNER}: plan[{t.label!r}] is an OnPlateau around a relative "
                                 f"schedule (built from the optimizer); give the schedule an "
                                 f"explicit lr= instead, got {r.schedule!r}")
            if is_relative(r) and t.label != "lr":
                raise ValueError(f"{OWNER}: plan[{t.label!r}] is a relative schedule (it scales "
                                 f"each group's initial lr); relative schedules drive 'lr' only, "
                                 f"got {r!r}")


def check_rule_values(label: str, rule: Rule, limit: int | None = None) -> float:
    """Evaluate ``rule`` over its horizon (vectorised), reject negative / non-finite values and
    return the largest value (the peak over the horizon, or the first 100k steps without; at
    most ``limit`` steps when given)."""
    import numpy as np

    s = base_schedule(rule)
    h = s.horizon
    n = CHECK_STEPS if h is None or not math.isfinite(h) else int(min(h, 10 * CHECK_STEPS)) + 2
    if limit is not None:
        n = min(n, limit)
    steps = np.arange(n, dtype=np.float64)
    values = np.asarray(s(steps), dtype=np.float64)
    if values.shape != steps.shape:
        values = np.broadcast_to(values, steps.shape)
    bad = ~np.isfinite(values) | (values < 0)
    if label in BELOW_ONE:
        bad |= values >= 1.0
    if bad.any():
        i = int(np.argmax(bad))
        rule_text = "in [0, 1)" if label in BELOW_ONE else "finite and >= 0"
        raise ValueError(f"{OWNER}: the schedule for {label!r} must be {rule_text} at every step, "
                         f"got {values[i]!r} at step {i}")
    return float(np.max(values)) if values.size else 0.0


def schedule_peak(rule: Rule) -> float:
    """The largest value of a rule's schedule over its horizon (the first 100k steps without)."""
    import numpy as np

    s = base_schedule(rule)
    h = s.horizon
    n = CHECK_STEPS if h is None or not math.isfinite(h) else int(min(h, 10 * CHECK_STEPS)) + 2
    values = np.asarray(s(np.arange(n, dtype=np.float64)), dtype=np.float64)
    return float(np.max(values))


def group_name(group: Mapping[str, Any], index: int) -> str:
    """A group's ``name``, or a stable index name ``group<i>`` when it has none."""
    name = group.get("name")
    return str(name) if name is not None else f"group{index}"


def describe_keys(groups: list[dict[str, Any]]) -> str:
    keys: set[str] = set()
    for g in groups:
        keys.update(k for k, v in g.items() if k != "params" and _numeric(v))
    return ", ".join(sorted(keys))


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, tuple):
        return all(_numeric(v) for v in value)
    return type(value).__name__ == "Tensor"
