"""The schedule doctor: finds the mistakes that waste a training run before it starts.

``check(schedule, total=N)`` evaluates the schedule at every step of the run (and a little past
it) and reports:

* ``warmup-too-long`` / ``peak-not-reached`` — the warmup (or the climb to the peak) does not end
  inside the run, so the peak is never used;
* ``rises-after-end`` — the rate climbs again after the schedule's designed end (a cosine used
  past its period, a cyclic polynomial);
* ``zero-at-start`` — the rate is 0 at steps 0 and 1, so the first updates do nothing (a warmup
  from 0, the default of lrkit, Hugging Face and optax, rises at step 1 and is not a finding);
* ``decays-to-nothing`` — an open-ended decay falls below 0.1% of its peak well inside the run;
* ``jump`` — a discontinuity where two phases of a sequence meet;
* ``length-mismatch`` — the schedule's designed length differs from the run's;
* ``zero-region`` / ``negative`` / ``not-finite`` — stretches of the run with no learning, or
  values no optimizer accepts;
* ``peak-too-high`` — a peak above a sane bound for the named optimizer.

Each finding has a severity: ``error`` (the run is certainly wrong), ``warning`` (probably
wrong) or ``info``. :attr:`Report.exit_code` is 2 with an error, 1 with a warning, 0 otherwise.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any

import numpy as np

from lrkit.budget_check import budget_findings
from lrkit.compose import Clip, Product, Scale, Sequence, Warmup
from lrkit.schedule import Schedule
from lrkit.units import Budget

__all__ = ["Finding", "Report", "check", "PEAK_BOUNDS"]

SEVERITIES = ("info", "warning", "error")
# (warning above, error above): peak learning rates beyond which a run is very likely unstable
PEAK_BOUNDS: dict[str, tuple[float, float]] = {
    "sgd": (1.0, 10.0),
    "lars": (30.0, 100.0),
    "adam": (1e-2, 1.0),
    "adamw": (1e-2, 1.0),
    "nadam": (1e-2, 1.0),
    "radam": (1e-2, 1.0),
    "rmsprop": (1e-2, 1.0),
    "lamb": (0.1, 10.0),
    "lion": (1e-3, 0.1),
    "adagrad": (1.0, 10.0),
    "adadelta": (10.0, 100.0),
}
_ANY_OPTIMIZER_BOUND = 10.0
_MAX_EVAL = 2_000_000
_DEFAULT_LENGTH = 1000


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found in a schedule: ``severity`` is ``"error"``, ``"warning"`` or ``"info"``;
    ``code`` a stable identifier; ``step`` where it happens (when it has a place)."""

    severity: str
    code: str
    message: str
    step: float | None = None

    def __str__(self) -> str:
        return f"{self.severity}: [{self.code}] {self.message}"


@dataclasses.dataclass(frozen=True)
class Report:
    """The doctor's findings and the numbers they were drawn from."""

    findings: tuple[Finding, ...]
    total: int
    peak: float
    peak_step: int
    first: float
    last: float
    horizon: float | None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def exit_code(self) -> int:
        """2 if there is an error, 1 if there is a warning, else 0 (for CI)."""
        if self.errors:
            return 2
        return 1 if self.warnings else 0

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the report (for CI tools: ``lrkit check ... --json``)."""
        return {
            "total": self.total, "horizon": self.horizon, "peak": self.peak, "peak_step": self.peak_step,
            "first": self.first, "last": self.last, "exit_code": self.exit_code,
            "findings": [dataclasses.asdict(f) for f in self.findings],
        }

    def format(self) -> str:
        """A short human-readable report."""
        length = "none (open-ended)" if self.horizon is None else f"{_num(self.horizon)} steps"
        lines = [
            f"run: {self.total} steps; schedule length: {length}",
            f"rate: {_v(self.first)} at step 0, peak {_v(self.peak)} at step {self.peak_step}, "
            f"{_v(self.last)} at the last step ({self.total - 1})",
        ]
        if not self.findings:
            lines.append("no problems found")
        lines.extend(str(f) for f in self.findings)
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines.append(f"{n_err} error(s), {n_warn} warning(s)")
        return "\n".join(lines)


def _v(x: float) -> str:
    return f"{x:.4g}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _resolve_total(total: Any, budget: Budget | None) -> int | None:
    if total is None:
        return budget.resolved_total_steps() if budget is not None else None
    if isinstance(total, (str, dict)):
        if budget is None:
            raise ValueError(f"total={total!r} has a unit: pass a budget to resolve it")
        total = budget.steps(total, name="total")
    if isinstance(total, bool) or not isinstance(total, (int, float, np.integer)):
        raise TypeError(f"total must be a number of steps, got {total!r} ({type(total).__name__})")
    if not math.isfinite(float(total)) or total < 2 or float(total) != int(total):
        raise ValueError(f"total must be a whole number of steps >= 2, got {total!r}")
    return int(total)


def _optimizer(name: str | None) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"optimizer must be a string such as 'adamw', got {name!r}")
    key = name.lower().replace("-", "").replace("_", "")
    if key not in PEAK_BOUNDS:
        near = difflib.get_close_matches(key, sorted(PEAK_BOUNDS), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"optimizer must be one of {', '.join(sorted(PEAK_BOUNDS))}, got {name!r}{hint}")
    return key


def _walk(s: Schedule, offset: float, out: list[tuple[str, Schedule, float]]) -> None:
    """Collect (kind, node, global offset) for warmups and sequences, through the composites
    whose time shift is known."""
    if isinstance(s, Warmup):
        out.append(("warmup", s, offset))
        _walk(s.schedule, offset + (s.steps if s.prefix else 0.0), out)
    elif isinstance(s, Sequence):
        out.append(("sequence", s, offset))
        starts = (0.0, *s.boundaries)
        for phase, b in zip(s.phases, starts):
            _walk(phase, offset + (b if s.relative else 0.0), out)
    elif isinstance(s, (Scale, Clip)):
        _walk(s.schedule, offset, out)
    elif isinstance(s, Product):
        for child in s.schedules:
            _walk(child, offset, out)


def _steps_to_eval(n: int, marks: list[float]) -> np.ndarray:
    if n <= _MAX_EVAL:
        return np.arange(n, dtype=np.float64)
    grid = np.unique(np.round(np.linspace(0, n - 1, _MAX_EVAL)))
    extra = [m + d for m in marks for d in (-2, -1, 0, 1) if 0 <= m + d < n]
    return np.unique(np.concatenate([grid, np.asarray(extra, dtype=np.float64)]))


@dataclasses.dataclass
class _Run:
    """The schedule evaluated over the run (``t_run``, ``y_run``) and half as long again
    (``t``, ``y``), with what the individual checks need."""

    schedule: Schedule
    run: int
    given_total: bool
    horizon: float | None
    nodes: list[tuple[str, Any, float]]
    t: np.ndarray
    y: np.ndarray
    t_run: np.ndarray
    y_run: np.ndarray
    finite_run: Any = True  # where y_run was finite before _finite replaced the rest by 0
    last_value: float = 0.0

    def __post_init__(self) -> None:
        self.last_value = float(self.y_run[-1])

    @property
    def peak_index(self) -> int:
        return int(np.argmax(self.y_run))

    @property
    def peak(self) -> float:
        return float(self.y_run[self.peak_index])

    @property
    def last(self) -> float:
        """The value at the last step of the run, as it is (``inf``/NaN not hidden)."""
        return float(self.last_value)


def _finite(r: _Run) -> list[Finding]:
    bad = ~np.isfinite(r.y_run)
    if not bad.any():
        return []
    i = int(np.argmax(bad))
    out = [Finding("error", "not-finite", f"the rate is {r.y_run[i]} at step {int(r.t_run[i])}",
                   float(r.t_run[i]))]
    r.finite_run = ~bad
    r.y_run = np.where(bad, 0.0, r.y_run)  # the other checks look at the finite part
    r.y = np.where(np.isfinite(r.y), r.y, 0.0)
    return out


def _peak_used(r: _Run) -> list[Finding]:
    out = []
    for kind, node, off in r.nodes:
        if kind != "warmup" or node.steps <= 0:
            continue
        end = off + node.steps
        if end >= r.run:
            out.append(Finding(
                "error", "warmup-too-long",
                f"the warmup ends at step {_num(end)}, at or after the end of the run ({r.run} steps): "
                f"the rate never reaches its target {_v(node.target)} (it stops at {_v(r.last)})", end))
        elif node.steps > 0.5 * r.run:
            out.append(Finding(
                "warning", "warmup-too-long",
                f"the warmup takes {node.steps / r.run:.0%} of the run ({_num(node.steps)} of {r.run} "
                "steps): usually 1-10%", end))
    if any(f.severity == "error" for f in out):
        return out
    for name in _WARMUP_ATTRS:  # a dialect's own warmup (Hugging Face, optax, Keras, DeepSpeed)
        w = getattr(r.schedule, name, None)
        if isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0 and w >= r.run:
            return out + [Finding(
                "error", "warmup-too-long",
                f"the warmup ({name}={_num(w)}) ends at or after the end of the run ({r.run} steps): "
                f"the rate never reaches its peak (the highest rate used is {_v(r.peak)})", float(w))]
    i = int(np.argmax(r.y))
    full_peak = float(r.y[i])
    if full_peak > 0 and r.t[i] >= r.run and r.peak < 0.99 * full_peak:
        out.append(Finding(
            "error", "peak-not-reached",
            f"the schedule reaches its peak {_v(full_peak)} only at step {int(r.t[i])}, after the run "
            f"ends ({r.run} steps): the highest rate used is {_v(r.peak)}", float(r.t[i])))
    return out


def _after_end(r: _Run) -> list[Finding]:
    if r.horizon is None:
        return []
    h_val = float(r.schedule(float(r.horizon)))
    after = r.t >= r.horizon
    tol = 1e-9 * max(abs(h_val), 1e-300) + 1e-15
    rising = after & (r.y > h_val + tol)
    if not rising.any():
        return []
    j = int(np.argmax(rising))
    k = int(np.argmax(np.where(after, r.y, -np.inf)))
    inside = r.t[j] < r.run
    where = "inside the run" if inside else "after the run ends"
    return [Finding(
        "warning" if inside or not r.given_total else "info", "rises-after-end",
        f"the rate rises again after the schedule's end at step {_num(r.horizon)} ({where}): "
        f"from {_v(h_val)} to {_v(float(r.y[k]))} at step {int(r.t[k])}", float(r.t[j]))]


_WARMUP_ATTRS = ("num_warmup_steps", "warmup_steps", "warmup_num_steps")
_TINY = 1e-3  # decays-to-nothing: below this fraction of the peak


def _zero_at_start(r: _Run) -> list[Finding]:
    # a warmup from 0 rises at step 1: one update of the run at rate 0 is by design, not a finding
    if r.y_run[0] != 0.0 or (len(r.y_run) > 1 and r.y_run[1] != 0.0):
        return []
    return [Finding("warning", "zero-at-start",
                    "steps 0 and 1 have rate 0: the first updates do nothing (start the warmup above 0 "
                    "or at step 0)", 0.0)]


def _decays_to_nothing(r: _Run) -> list[Finding]:
    """An open-ended decay (no designed end) that falls below ``_TINY`` of its peak with at least
    a tenth of the run left: those updates barely move the weights."""
    if r.horizon is not None or r.peak <= 0 or not r.given_total:
        return []
    after = r.t_run >= r.t_run[r.peak_index]
    tiny = after & (r.y_run < _TINY * r.peak) & r.finite_run & (r.y_run > 0)
    if not tiny.any():
        return []
    a = float(r.t_run[int(np.argmax(tiny))])
    if r.run - a < 0.1 * r.run:
        return []
    return [Finding("warning", "decays-to-nothing",
                    f"the rate falls below {_TINY:.1%} of its peak {_v(r.peak)} at step {_num(a)} and the "
                    f"run goes on for {_num(r.run - a)} more steps ({(r.run - a) / r.run:.0%}), ending at "
                    f"{_v(r.last)}: decay more slowly or give the schedule an end", a)]


def _jumps(r: _Run) -> list[Finding]:
    """A discontinuity at a sequence boundary: the change across it is above 2% of the peak and
    three times the change of the steps either side."""
    out = []
    scale = max(r.peak, abs(float(np.min(r.y_run))), 1e-300)
    for kind, node, off in r.nodes:
        if kind != "sequence":
            continue
        for b in node.boundaries:
            g = off + b
            if not (2 <= g < r.run - 1):
                continue
            v = [float(r.schedule(float(g + d))) for d in (-2, -1, 0, 1)]
            jump = v[2] - v[1]
            around = max(abs(v[1] - v[0]), abs(v[3] - v[2]))
            if abs(jump) > 0.02 * scale and abs(jump) > 3 * around:
                flat_drop = jump < 0 and around == 0.0
                out.append(Finding(
                    "info" if flat_drop else "warning", "jump",
                    f"the rate jumps {'up' if jump > 0 else 'down'} at the phase boundary at step "
                    f"{_num(g)}: {_v(v[1])} -> {_v(v[2])}", g))
    return out


def _length(r: _Run) -> list[Finding]:
    if not r.given_total:
        return []
    h, run, last = r.horizon, r.run, r.last
    if h is None:
        return [Finding("info", "length-mismatch",
                        f"the schedule has no fixed length; it is {_v(last)} at the end of the run")]
    if abs(h - run) <= max(1.0, 1e-3 * run):
        return []
    if h < run:
        tail = r.y_run[r.t_run >= h]
        lo, hi = float(tail.min()), float(tail.max())
        what = (f"stay at {_v(last)}" if hi - lo <= 1e-12 * max(hi, 1e-300)
                else f"run past its end (between {_v(lo)} and {_v(hi)})")
        msg = (f"the schedule ends at step {_num(h)} but the run has {run} steps: the last "
               f"{_num(run - h)} steps ({(run - h) / run:.0%}) {what}")
    else:
        msg = (f"the run stops at step {run}, before the schedule ends at step {_num(h)}: the final "
               f"rate is {_v(last)} ({last / r.peak if r.peak else 0:.0%} of the peak) instead of "
               f"{_v(float(r.schedule(float(h))))}")
    return [Finding("warning", "length-mismatch", msg, float(min(h, run)))]


def _zero_and_negative(r: _Run) -> list[Finding]:
    out = []
    neg = r.y_run < 0
    if neg.any():
        i = int(np.argmax(neg))
        out.append(Finding("error", "negative", f"the rate is negative ({_v(float(r.y_run[i]))}) from "
                           f"step {int(r.t_run[i])}", float(r.t_run[i])))
    zero = ((r.y_run == 0.0) & r.finite_run).astype(np.int8)
    min_len = max(2, math.ceil(0.01 * r.run))
    edges = np.diff(np.concatenate([[0], zero, [0]]))
    for i, j in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1):
        a, b = int(r.t_run[i]), int(r.t_run[j])
        length = b - a + 1
        if length >= min_len:
            out.append(Finding(
                "warning", "zero-region",
                f"the rate is 0 for steps {a}-{b} ({length} steps, {length / r.run:.0%} of the run): "
                "those updates do nothing", float(a)))
    return out


def _peak_bound(r: _Run, opt: str | None) -> list[Finding]:
    peak, at = r.peak, float(r.t_run[r.peak_index])
    if opt is None:
        if peak > _ANY_OPTIMIZER_BOUND:
            return [Finding("warning", "peak-too-high",
                            f"peak {_v(peak)} is above {_v(_ANY_OPTIMIZER_BOUND)}, high for any optimizer "
                            "(pass the optimizer for a precise bound)", at)]
        return []
    warn_at, err_at = PEAK_BOUNDS[opt]
    if peak > err_at:
        return [Finding("error", "peak-too-high",
                        f"peak {_v(peak)} is far above the sane bound for {opt} ({_v(err_at)})", at)]
    if peak > warn_at:
        return [Finding("warning", "peak-too-high",
                        f"peak {_v(peak)} is unusually high for {opt} (above {_v(warn_at)})", at)]
    return []


def check(schedule: Schedule, total: int | str | None = None, *, optimizer: str | None = None,
          budget: Budget | dict[str, Any] | None = None) -> Report:
    """Examine ``schedule`` for a run of ``total`` optimizer steps.

    ``total`` may be written with a unit (``"10 epochs"``) when ``budget`` is given, and is taken
    from the budget when omitted. Without either, the schedule's own length (``horizon``) is the
    run, or 1000 steps for an open-ended schedule. ``optimizer`` (``"sgd"``, ``"adamw"`` ...)
    enables the peak-rate bound of :data:`PEAK_BOUNDS`. The schedule is evaluated at every step
    of the run and half as long again (on a grid of two million steps plus every phase boundary
    for longer runs).
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be an lrkit Schedule, got {schedule!r} ({type(schedule).__name__})")
    if isinstance(budget, dict):
        budget = Budget.from_config(budget)
    if budget is not None and not isinstance(budget, Budget):
        raise TypeError(f"budget must be an lrkit.Budget or a mapping, got {budget!r}")
    opt = _optimizer(optimizer)
    run = _resolve_total(total, budget)
    horizon = schedule.horizon
    given_total = run is not None
    if run is None:
        run = max(int(math.ceil(horizon)), 2) if horizon is not None else _DEFAULT_LENGTH
    extent = max(run, int(math.ceil(horizon)) if horizon is not None else 0)
    nodes: list[tuple[str, Any, float]] = []
    _walk(schedule, 0.0, nodes)
    marks = [float(b) for b in schedule.phase_boundaries()] + [float(run)]
    if horizon is not None:
        marks.append(float(horizon))
    t = _steps_to_eval(int(extent * 1.5) + 2, marks)
    y = np.asarray(schedule(t), dtype=np.float64)
    in_run = t < run
    r = _Run(schedule, run, given_total, horizon, nodes, t, y, t[in_run], y[in_run])

    # the summary reads the values as they are (inf/NaN included), before _finite hides them
    summary = _summary(r.t_run, r.y_run)
    findings = _finite(r)
    for rule in (_peak_used, _after_end, _zero_at_start, _jumps, _length, _zero_and_negative,
                 _decays_to_nothing):
        findings += rule(r)
    findings += _peak_bound(r, opt)
    if budget is not None:  # a budget contradicting itself or the schedule (lrkit.budget_check)
        findings += budget_findings(schedule, budget, run if given_total else None)
    order = {s: k for k, s in enumerate(reversed(SEVERITIES))}
    findings.sort(key=lambda f: order[f.severity])
    return Report(tuple(findings), run, *summary, horizon)


def _summary(t: np.ndarray, y: np.ndarray) -> tuple[float, int, float, float]:
    """(peak, peak step, first, last) of the values in the run; a NaN anywhere is the peak (it is
    the first thing to see), else the largest value, ``inf`` included."""
    nan = np.isnan(y)
    i = int(np.argmax(nan)) if nan.any() else int(np.argmax(y))
    return float(y[i]), int(t[i]), float(y[0]), float(y[-1])
