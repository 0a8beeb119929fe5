"""The ``"probe"`` rule: validate a few candidate rates with short training runs.

A range test reads a rate off one curve; no rule of the form "a feature of the curve times a
constant" reached the issue's 95% target (docs/finder.md). The probe rule spends more of the
budget on evidence: after the range test it takes a few candidate rates around lrkit's own
suggestion, trains a short run from the *initial* state at each (for ``target="constant"``:
``steps`` steps at that rate; for ``target="one_cycle"``: a ``steps``-step one-cycle with that
peak), scores each run by its mean training loss over its last quarter, and suggests the best.

Framework-free: the core only needs ``probe_fn(rates) -> losses``, which trains from the initial
state at the given per-step rates and returns the per-step losses (the framework glue supplies one
that restores its snapshot and replays the same batches for every candidate).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lrkit.finder.rules import NoSuggestion
from lrkit.finder.sweep import loss_value

__all__ = ["Probe", "FACTORS", "STEPS", "SCORE_FRACTION", "TIE", "candidates", "probe_rates",
           "probe_score", "choose", "run_probes"]

# Multipliers of lrkit's own suggestion: a geometric grid, factor 2 apart, centred on it.
FACTORS = (2.0 ** -1.5, 2.0 ** -0.5, 2.0 ** 0.5, 2.0 ** 1.5)
STEPS = 25  # default steps per probe
SCORE_FRACTION = 0.25  # the score is the mean loss of the last quarter of a probe
TIE = 0.02  # scores within 2% of the best count as tied; the smallest tied rate wins


@dataclass(frozen=True)
class Probe:
    """The probes of one test: candidate rates (ascending), their per-step losses, scores
    (``inf`` for a probe that diverged), and the chosen rate."""

    target: str
    steps: int
    candidates: tuple[float, ...]
    losses: tuple[tuple[float, ...], ...]
    scores: tuple[float, ...]
    chosen: float

    @property
    def steps_run(self) -> int:
        """Training steps the probes took (a diverged probe stops early)."""
        return sum(len(x) for x in self.losses)

    def to_dict(self) -> dict[str, Any]:
        def f(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        return {"target": self.target, "steps": self.steps, "candidates": list(self.candidates),
                "losses": [[f(v) for v in run] for run in self.losses],
                "scores": [f(v) for v in self.scores], "chosen": self.chosen}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Probe:
        def f(v: float | None) -> float:
            return math.inf if v is None else float(v)

        return cls(str(d["target"]), int(d["steps"]), tuple(float(c) for c in d["candidates"]),
                   tuple(tuple(math.nan if v is None else float(v) for v in run) for run in d["losses"]),
                   tuple(f(v) for v in d["scores"]), float(d["chosen"]))


def candidates(base: float, cap: float) -> tuple[float, ...]:
    r"""The candidate rates: :math:`\eta_b \cdot f` for :math:`f \in` ``FACTORS``
    (:math:`2^{-3/2}, 2^{-1/2}, 2^{1/2}, 2^{3/2}`), each capped at ``cap`` (the rate just below
    the smoothed loss minimum, so no candidate is at or past it); duplicates after the cap are
    dropped. :math:`\eta_b` is lrkit's own rule's rate for the target."""
    out = sorted({min(base * f, cap) for f in FACTORS})
    return tuple(float(c) for c in out)


def probe_rates(target: str, lr: float, steps: int) -> np.ndarray:
    """Per-step rates of one probe: ``lr`` held for ``steps`` steps (``"constant"``), or a
    one-cycle with peak ``lr`` over ``steps`` steps (``"one_cycle"``, torch's defaults)."""
    if target == "constant":
        return np.full(steps, float(lr))
    from lrkit.schedules import OneCycle

    return OneCycle(peak=float(lr), total_steps=steps).curve(steps)


def probe_score(losses: Sequence[float], steps: int) -> float:
    r"""Mean training loss over the last quarter of a probe,
    :math:`s = \frac{1}{q}\sum_{j=k-q}^{k-1} \ell_j`, :math:`q = \lceil k/4 \rceil`, :math:`k` =
    ``steps``; ``inf`` when the probe stopped early or any of its losses is not finite (it
    diverged, even if it recovered)."""
    q = max(1, math.ceil(SCORE_FRACTION * steps))
    all_losses = np.asarray(losses, dtype=np.float64)
    if len(all_losses) < steps or not np.all(np.isfinite(all_losses)):
        return math.inf
    return float(all_losses[steps - q:steps].mean())


def choose(scores: Sequence[float]) -> int:
    """Index of the chosen candidate (candidates ascending): the smallest whose score is within
    ``TIE`` (relative) of the best; :class:`NoSuggestion` when every probe diverged."""
    finite = [s for s in scores if math.isfinite(s)]
    if not finite:
        raise NoSuggestion("every probe diverged: start the range test lower or check the model")
    best = min(finite)
    return next(i for i, s in enumerate(scores) if s <= best + TIE * abs(best))


def run_probes(probe_fn: Callable[[np.ndarray], Sequence[Any]], cands: Sequence[float], target: str,
               steps: int) -> Probe:
    """Run one probe per candidate through ``probe_fn`` and choose."""
    all_losses = []
    for c in cands:
        out = probe_fn(probe_rates(target, c, steps))
        try:
            seq = list(out)
        except TypeError:
            raise TypeError(f"find_lr: probe_fn must return the sequence of per-step losses, got "
                            f"{type(out).__name__}") from None
        if len(seq) > steps:
            raise ValueError(f"find_lr: probe_fn returned {len(seq)} losses for a {steps}-step probe")
        all_losses.append(tuple(loss_value(v) for v in seq))
    scores = tuple(probe_score(x, steps) for x in all_losses)
    return Probe(target, steps, tuple(float(c) for c in cands), tuple(all_losses), scores,
                 float(cands[choose(scores)]))


def default_probe_fn(step_fn: Callable[[float], Any], reset: Callable[[], Any]) -> Callable[
        [np.ndarray], list[float]]:
    """A ``probe_fn`` from the core's own callbacks: ``reset()``, then ``step_fn`` at each rate,
    stopping at the first non-finite loss. Whether every candidate sees the same batches is up to
    ``reset``; the framework glue supplies its own ``probe_fn`` that guarantees it."""
    def probe(rates: np.ndarray) -> list[float]:
        reset()
        losses = []
        for lr in rates:
            v = loss_value(step_fn(float(lr)))
            losses.append(v)
            if not math.isfinite(v):
                break
        return losses

    return probe
