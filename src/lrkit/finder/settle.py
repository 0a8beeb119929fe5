r"""The settled sweep: where a *trained* model breaks down, for a rate held the whole run.

A range test starts from the initial weights and raises the rate quickly, so it sees a network
that has barely trained. How large a rate a network tolerates changes as it trains (its
curvature grows as the loss falls), and by how much depends on the model: a small CNN that has
only begun to learn when the test breaks down will not sustain a tenth of that rate for a whole
run, while an MLP that reached a low loss during the test sustains more than the test's edge.
A one-cycle schedule spends little time at its peak and anneals away, so the first test's edge
predicts its peak well; a constant rate is held for the whole run, so lrkit measures the edge
again on a model that has trained:

1. **settle** -- from the initial state, ``SETTLE_STEPS`` steps at the rate
   :math:`\eta_s = \eta_e/20` (``SETTLE_DIVISOR``) (a linear ramp over the first fifth), where
   :math:`\eta_e` is the breakdown edge of the first test (:func:`lrkit.finder.rules.edge`);
2. **sweep again** -- ``SWEEP_STEPS`` steps rising geometrically from :math:`\eta_s` to
   :math:`10\,\eta_e` (``SWEEP_TOP``), stopping at a non-finite loss or one above twice the
   first loss of the first test;
3. **the trained edge** :math:`\eta_t` -- the first rate where the centred average of the
   second sweep's loss, :math:`z`, rises by :math:`f = 0.2` (``RISE_FRACTION``) of the drop
   the model has made:

   .. math:: z_i > m_i + f\,(\ell_0 - m_i), \qquad m_i = \min_{j \le i} z_j e^{k\sigma s_j}

   (interpolated in :math:`\log\eta`; the sweep's last rate when it never does); :math:`m_i` is
   the robust floor of :func:`lrkit.finder._smooth.robust_floor` (the running minimum, allowing
   for the noise of the average), so a noisy loss that merely wobbles is not a rise. :math:`\ell_0`
   is the mean loss of the first test's first five steps, so the rise is measured against what
   the model has learned, not against its (possibly tiny) current loss.

The constant rate of the rule ``"settled"`` (``result.suggest("settled", target="constant")``;
lrkit's default constant rate until issue 15's second round) is then
:math:`\min(\eta_t/12,\ \eta_e/2,\ \eta_{i^*-1})` (``CONSTANT_DIVISOR``, ``EDGE_CAP``; the last
term, from :func:`lrkit.finder.rules.edge`, keeps it below the first test's loss minimum). When
the first test never broke down (no rise before its last rate), its edge is only a lower bound
and the settled sweep is not run: the constant rate then falls back to :math:`\eta_e/20`.

The constants were chosen on the six issue-5 tasks (``benchmarks/bench_finder_quality.py``). Two
guards were added after the first held-out run (docs/finder.md): the trained edge is searched only
where the smoother has its full width, and the sweep is skipped when the first test never broke
down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lrkit.finder._smooth import centered, centered_noise, first_crossing, half_width, log_noise, robust_floor
from lrkit.finder.sweep import loss_value

__all__ = ["Settled", "SETTLE_STEPS", "SETTLE_DIVISOR", "SWEEP_STEPS", "SWEEP_TOP", "RISE_FRACTION",
           "CONSTANT_DIVISOR", "EDGE_CAP", "settle_rates", "sweep_rates", "run_settled",
           "trained_edge", "reference_loss"]

SETTLE_STEPS = 100
SETTLE_DIVISOR = 20.0
SWEEP_STEPS = 60
SWEEP_TOP = 10.0
RISE_FRACTION = 0.2
CONSTANT_DIVISOR = 12.0
EDGE_CAP = 2.0
STOP_FACTOR = 2.0  # the second sweep stops at a loss above this times the reference loss


def reference_loss(losses: np.ndarray) -> float:
    r""":math:`\ell_0`: the mean loss of the first test's first five steps (the untrained loss)."""
    head = np.asarray(losses[:5], dtype=np.float64)
    return float(np.mean(head[np.isfinite(head)]))


def settle_rates(edge: float) -> np.ndarray:
    """The settle phase's rates: a linear ramp to ``edge / SETTLE_DIVISOR`` over the first fifth."""
    ramp = max(1, SETTLE_STEPS // 5)
    k = np.arange(1, SETTLE_STEPS + 1, dtype=np.float64)
    return (edge / SETTLE_DIVISOR) * np.minimum(1.0, k / ramp)


def sweep_rates(edge: float) -> np.ndarray:
    """The second sweep's rates: geometric from ``edge / SETTLE_DIVISOR`` to ``SWEEP_TOP * edge``."""
    return np.geomspace(edge / SETTLE_DIVISOR, edge * SWEEP_TOP, SWEEP_STEPS)


def trained_edge(lrs: np.ndarray, losses: np.ndarray, loss0: float) -> float:
    r"""The first rate where the centred loss rises ``RISE_FRACTION`` of the drop above its
    running minimum (see the module docstring); the last rate when it never does.

    The search, and the running minimum, start where the centred smoother has its full width
    (a quarter decade in): at the very start of the sweep it averages only a few batch
    losses, and one lucky batch there would set a minimum the rest of the sweep "rises" above.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    raw = np.asarray(losses, dtype=np.float64)
    z, se, k = raw, np.zeros(len(raw)), 0
    if len(z) >= 3:
        half = half_width(lrs)
        z, se = centered(raw, half), centered_noise(len(raw), half)
        k = min(half, len(z) - 2)
    lrs, z, se = lrs[k:], z[k:], se[k:]
    low = robust_floor(z, log_noise(raw), se)
    return first_crossing(lrs, z, low + RISE_FRACTION * np.maximum(loss0 - low, 0.0))


@dataclass(frozen=True)
class Settled:
    """What the settled sweep recorded: the first test's edge and reference loss, the settle
    phase's losses, the second sweep's rates and losses (up to where it stopped), and the
    trained edge read off them."""

    edge: float
    loss0: float
    settle_losses: tuple[float, ...]
    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    trained_edge: float

    @property
    def steps_run(self) -> int:
        """Training steps the settled sweep took."""
        return len(self.settle_losses) + len(self.losses)

    def constant(self, cap: float) -> float:
        r"""The constant-rate suggestion :math:`\min(\eta_t/12,\ \eta_e/2,\ \text{cap})`."""
        return min(self.trained_edge / CONSTANT_DIVISOR, self.edge / EDGE_CAP, cap)

    def to_dict(self) -> dict[str, Any]:
        def f(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        return {"edge": self.edge, "loss0": self.loss0,
                "settle_losses": [f(v) for v in self.settle_losses], "lrs": list(self.lrs),
                "losses": [f(v) for v in self.losses], "trained_edge": self.trained_edge}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Settled:
        def f(v: float | None) -> float:
            return math.nan if v is None else float(v)

        return cls(float(d["edge"]), float(d["loss0"]), tuple(f(v) for v in d["settle_losses"]),
                   tuple(float(v) for v in d["lrs"]), tuple(f(v) for v in d["losses"]),
                   float(d["trained_edge"]))


def run_settled(step_fn: Callable[[float], Any], edge: float, loss0: float) -> Settled:
    """Settle the model (already reset to its initial state) and sweep again (see the module
    docstring). A non-finite loss while settling ends the phase: the second sweep then has no
    points and the trained edge is the settle rate itself."""
    settle = []
    for lr in settle_rates(edge):
        settle.append(loss_value(step_fn(float(lr))))
        if not math.isfinite(settle[-1]):
            break
    lrs: list[float] = []
    losses: list[float] = []
    if math.isfinite(settle[-1]):
        for lr in sweep_rates(edge):
            lrs.append(float(lr))
            losses.append(loss_value(step_fn(lrs[-1])))
            if not math.isfinite(losses[-1]) or losses[-1] > STOP_FACTOR * loss0:
                break
    ok = [i for i, v in enumerate(losses) if math.isfinite(v)]
    te = (trained_edge(np.asarray(lrs)[ok], np.asarray(losses)[ok], loss0) if len(ok) >= 2
          else edge / SETTLE_DIVISOR)
    return Settled(edge, loss0, tuple(settle), tuple(lrs), tuple(losses), te)
