"""The result of a range test: the recorded curve, the suggestions, a plot and a schedule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lrkit import _check
from lrkit.finder.probe import Probe
from lrkit.finder.rules import RULE_NAMES, RULES, TARGETS, NoSuggestion, log_median, window
from lrkit.finder.settle import Settled

__all__ = ["FinderResult", "SCHEDULE_KINDS"]

SCHEDULE_KINDS = ("one_cycle", "constant", "warmup_cosine")
BREAKDOWNS = ("spike", "diverged", "non-finite")  # stop reasons that are a breakdown of the loss


@dataclass(frozen=True, eq=False)
class FinderResult:
    """A learning-rate range test and what it suggests.

    Attributes:
        lrs: the rate of every step taken (the step that stopped the test included).
        losses: the raw loss of every step.
        smoothed: the bias-corrected EMA of ``losses`` (what finders usually plot).
        usable: how many leading points the suggestion rules may use.
        stop_reason: ``"completed"``, ``"non-finite"``, ``"diverged"`` or ``"spike"``.
        rule, target: the defaults of :meth:`suggest` and :attr:`suggestion`.
        runs: for a repeated test (``repeats > 1``), the individual runs; the arrays above are
            then their pointwise median over the common length, ``stop_reason`` joins the runs'
            reasons with ``+``, and every suggestion is the median of the runs' suggestions
            (none when at most half of the runs have one).
        probe: for a test run with ``rule="probe"``, the candidates, their probe losses and
            scores, and the chosen rate (:class:`lrkit.finder.probe.Probe`); ``None`` otherwise.
        settled: for a test that ran the settled sweep (``find_lr(target="constant")``), the
            second sweep on a trained model that lrkit's constant-rate suggestion reads
            (:class:`lrkit.finder.settle.Settled`); ``None`` otherwise.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    usable: int
    stop_reason: str
    rule: str = "lrkit"
    target: str = "one_cycle"
    runs: tuple[FinderResult, ...] = field(default=())
    probe: Probe | None = None
    settled: Settled | None = None

    # -- suggestions -------------------------------------------------------------------
    def suggest(self, rule: str | None = None, *, target: str | None = None) -> float:
        """The rate suggested by ``rule`` (``"lrkit"``, ``"minimum"``, ``"steepest"``,
        ``"valley"``, ``"probe"``, ``"settled"``) for a schedule of kind ``target``
        (``"one_cycle"``: the peak of a schedule that warms up and anneals; ``"constant"``: a
        rate held for the whole run).

        ``"settled"`` is lrkit's rule with the constant rate read off the settled sweep
        (:mod:`lrkit.finder.settle`; lrkit's default before issue 15's second round), on a test
        that ran it.

        Only lrkit's rules depend on ``target``; the classic rules return their classic value.
        ``"probe"`` exists only for the target the probes ran for (``find_lr(rule="probe")``).

        Raises:
            NoSuggestion: (a ``ValueError``) when the test has too few usable points or the
                loss never decreased -- the message says which and what to change.
        """
        rule = _check.choice("rule", self.rule if rule is None else rule, RULE_NAMES, "suggest")
        target = _check.choice("target", self.target if target is None else target, TARGETS, "suggest")
        if rule == "probe":
            if self.probe is None:
                self.suggest("lrkit", target=target)  # raises the reason when there is one
                raise NoSuggestion("no probes were run: use find_lr(..., rule='probe')")
            if self.probe.target != target:
                raise NoSuggestion(f"the probes ran for target={self.probe.target!r}, not {target!r}: "
                                   f"use find_lr(..., rule='probe', target={target!r})")
            return self.probe.chosen
        if self.runs:
            values = []
            for run in self.runs:
                try:
                    values.append(run.suggest(rule, target=target))
                except NoSuggestion:
                    pass
            if 2 * len(values) <= len(self.runs) and len(values) < len(self.runs):
                raise NoSuggestion(f"only {len(values)} of {len(self.runs)} runs had enough usable "
                                   "points to suggest a rate")
            return log_median(values)
        w = self._window()
        if rule == "settled" and self.settled is None:
            raise NoSuggestion("no settled sweep was run: use find_lr(..., settle=True) (it needs reset)")
        value = (RULES["lrkit"](w, target, self.settled) if rule == "settled"
                 else RULES[rule](w, target))
        if not value > w.lrs[0] * (1.0 + 1e-9):
            raise NoSuggestion(
                f"rule {rule!r} points at the first rate of the test ({w.lrs[0]:.3g}) or below it, an "
                "edge of the sweep, not a tested rate: start the test at a lower rate")
        return value

    def _window(self) -> Any:
        """The analysis window, marked ``stopped`` when the test stopped on a breakdown (then its
        edge is never a mere lower bound, :func:`~lrkit.finder.rules.censored`); when there is no
        window because the loss never fell, yet the test stopped on a breakdown, the reason says
        so (more steps per rate, not a lower start, is then the likelier remedy: the model did not
        start learning before the rate broke it)."""
        broke = self.stop_reason in BREAKDOWNS
        try:
            w = window(self.lrs, self.losses, self.smoothed, self.usable)
        except NoSuggestion as exc:
            if exc.cause == "no_fall" and broke:
                raise NoSuggestion(
                    f"{exc}; it broke down ({self.stop_reason}) at {self.lrs[-1]:.3g} without falling "
                    "first: the model may need more steps at each rate to start learning (a larger "
                    "num_steps)", cause=exc.cause, rose=exc.rose) from None
            raise
        return replace(w, stopped=True) if broke else w

    @property
    def suggestion(self) -> float | None:
        """The default rule's rate for the default target, or ``None`` when there is nothing to
        suggest (see :attr:`reason`)."""
        try:
            return self.suggest()
        except NoSuggestion:
            return None

    @property
    def reason(self) -> str | None:
        """Why there is no :attr:`suggestion` (``None`` when there is one)."""
        try:
            self.suggest()
        except NoSuggestion as exc:
            return str(exc)
        return None

    def suggestions(self, target: str | None = None) -> dict[str, float | None]:
        """Every rule's suggestion (``None`` where a rule has none)."""
        out: dict[str, float | None] = {}
        for name in RULE_NAMES:
            try:
                out[name] = self.suggest(name, target=target)
            except NoSuggestion:
                out[name] = None
        return out

    # -- schedule from the suggestion ----------------------------------------------------
    def schedule(self, kind: str = "one_cycle", *, total_steps: float | None = None,
                 warmup_steps: float = 0.0, rule: str | None = None, **kwargs: Any) -> Any:
        """An lrkit schedule built around the suggestion.

        * ``"one_cycle"``: ``lrkit.OneCycle(peak=suggest(rule, target="one_cycle"),
          total_steps=total_steps, **kwargs)``;
        * ``"constant"``: ``lrkit.Constant(suggest(rule, target="constant"))``;
        * ``"warmup_cosine"``: a linear warmup of ``warmup_steps`` to the one-cycle peak, then
          ``lrkit.Cosine`` down to ``kwargs.get("end", 0)`` over the remaining steps.
        """
        from lrkit.compose import warmup
        from lrkit.schedules import Constant, Cosine, OneCycle

        kind = _check.choice("kind", kind, SCHEDULE_KINDS, "schedule")
        if kind == "constant":
            if kwargs:
                raise TypeError(f"schedule: kind='constant' takes no extra arguments, got {sorted(kwargs)}")
            return Constant(self.suggest(rule, target="constant"))
        if total_steps is None:
            raise TypeError(f"schedule: kind={kind!r} needs total_steps")
        total = _check.positive("total_steps", total_steps, "schedule")
        peak = self.suggest(rule, target="one_cycle")
        if kind == "one_cycle":
            return OneCycle(peak=peak, total_steps=total, **kwargs)
        warm = _check.non_negative("warmup_steps", warmup_steps, "schedule")
        if warm >= total:
            raise ValueError(f"schedule: warmup_steps must be < total_steps, got warmup_steps={warm!r}, "
                             f"total_steps={total!r}")
        return warmup(Cosine(start=peak, steps=total - warm, **kwargs), steps=warm)

    # -- export --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: the curve, the stop, and every rule's suggestion for both targets
        (non-finite losses become ``None``)."""
        def floats(a: np.ndarray) -> list[float | None]:
            return [float(v) if math.isfinite(v) else None for v in a]

        return {
            "lrs": floats(self.lrs),
            "losses": floats(self.losses),
            "smoothed": floats(self.smoothed),
            "usable": int(self.usable),
            "stop_reason": self.stop_reason,
            "rule": self.rule,
            "target": self.target,
            "suggestion": self.suggestion,
            "reason": self.reason,
            "suggestions": {t: self.suggestions(t) for t in TARGETS},
            "runs": [r.to_dict() for r in self.runs],
            "probe": None if self.probe is None else self.probe.to_dict(),
            "settled": None if self.settled is None else self.settled.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FinderResult:
        """Rebuild a result from :meth:`to_dict` output (suggestions are recomputed)."""
        def arr(v: list[float | None]) -> np.ndarray:
            return np.asarray([math.nan if x is None else x for x in v], dtype=np.float64)

        return cls(arr(d["lrs"]), arr(d["losses"]), arr(d["smoothed"]), int(d["usable"]),
                   str(d["stop_reason"]), d.get("rule", "lrkit"), d.get("target", "one_cycle"),
                   tuple(cls.from_dict(r) for r in d.get("runs", ())),
                   None if d.get("probe") is None else Probe.from_dict(d["probe"]),
                   None if d.get("settled") is None else Settled.from_dict(d["settled"]))

    def plot(self, ax: Any = None, *, rules: tuple[str, ...] | None = None, raw: bool = True) -> Any:
        """Plot loss against rate (log axis) with each rule's suggestion marked; returns the
        matplotlib ``Axes``. Imports matplotlib only when called."""
        from lrkit.finder.plot import plot_result

        default = tuple(RULES) + (("probe",) if self.probe is not None else ())
        return plot_result(self, ax=ax, rules=default if rules is None else rules, raw=raw)

    def __repr__(self) -> str:
        s = self.suggestion
        sug = f"{s:.3g}" if s is not None else "None"
        return (f"FinderResult(points={len(self.lrs)}, usable={self.usable}, "
                f"stop_reason={self.stop_reason!r}, suggestion={sug} [{self.rule}, {self.target}])")


def combine(runs: list[FinderResult]) -> FinderResult:
    """A repeated test: pointwise medians over the common length, suggestions by median."""
    n = min(len(r.lrs) for r in runs)
    stack = lambda name: np.median(np.stack([getattr(r, name)[:n] for r in runs]), axis=0)  # noqa: E731
    usable = min(min(r.usable for r in runs), n)
    reasons = sorted({r.stop_reason for r in runs})
    return FinderResult(runs[0].lrs[:n].copy(), stack("losses"), stack("smoothed"), usable,
                        "+".join(reasons), runs[0].rule, runs[0].target, tuple(runs))
