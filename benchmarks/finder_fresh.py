"""Issue 15, round 4: the rules round 3 put forward, tested on 16 tasks that did not exist when they
were chosen (:data:`finder_tasks.FRESH`).

Run through ``python benchmarks/bench_finder_quality.py --suite broad --phase fresh`` (ground
truth and range tests of the fresh tasks are computed and cached like the others). Written to
``results/finder_fresh.md`` / ``.json``.

Pre-registered (committed before the fresh tasks' ground truth was computed):

* Round 3 re-tuned every family on the development half under a 20-seed ground truth and scored
  it on the held-out half (``results/finder_broad_candidates.md``); the held-out half has been read
  since, so it can no longer test a rule chosen after it. The fresh tasks can.
* **A** -- the shipped default with widening (one-cycle: the breakdown edge / 5; constant: the
  median of edge / 5, minimum / 10 and valley, / 1.5; ``find_lr(..., widen=2)``).
* **B** -- round 3's protocol picks on the development half: one-cycle ``descent point q=0.3 x
  20``, constant ``sqrt(edge x descent point q=0.3) / 4``.
* **C** -- every family re-tuned on all 24 tasks of round 3 (development + held-out, the same
  ordering: in band, fewest runs losing > 10 points, smallest mean gap); the leaders: one-cycle
  ``descent point q=0.5 x 12`` (72% in band on the 24), constant ``sqrt(edge x descent point q=0.5)
  / 6`` (78%). The *half-descent point* is the first rate where the centred loss has covered half
  of its fall, from its starting level to its lowest value in the analysis window.
* Decision: C replaces the default for a target when, on the fresh tasks, it is in band at least
  8 points more often than A and has no more runs losing more than 10 points (or 10% of the loss).
  Otherwise the default stays. Every rule's fresh score is reported either way.
Round 5 (``--phase fresh2``, committed before its ground truth was computed): 16 more tasks
(:data:`finder_tasks.FRESH2`), added after round 4 had fixed the default (one-cycle A, constant C).
They only *measure* the shipped rule and the peers a second time: no rule, constant or decision
depends on them. Written to ``results/finder_fresh2.md`` / ``.json``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import finder_broad as fb
import finder_candidates as fc
import finder_tasks as ft

RULES: dict[str, dict[str, Any]] = {
    "one_cycle": {
        "A: the default before round 4, widen=2": lambda f: fb.suggest_or_none(
            f["result_wide"], "lrkit", "one_cycle"),
        "B: descent point q=0.3 x 20": lambda f: fb._bounded(
            f, None if f["descent"][0.3] is None or f["edge"] is None else f["descent"][0.3] * 20),
        "C: descent point q=0.5 x 12": lambda f: fb._bounded(
            f, None if f["descent"][0.5] is None or f["edge"] is None else f["descent"][0.5] * 12),
    },
    "constant": {
        # round 2's rule, written out (the library's constant rule is C since round 4)
        "A: the default before round 4, widen=2": lambda f: fb._bounded(
            f, None if f["edge"] is None else fc._median_kept(f, 1.5)),
        "B: sqrt(edge x descent point q=0.3) / 4": lambda f: fb._bounded(
            f, None if f["descent"][0.3] is None or f["edge"] is None
            else math.sqrt(f["edge"] * f["descent"][0.3]) / 4),
        "C: sqrt(edge x descent point q=0.5) / 6": lambda f: fb._bounded(
            f, None if f["descent"][0.5] is None or f["edge"] is None
            else math.sqrt(f["edge"] * f["descent"][0.5]) / 6),
    },
}


def per_task(names: list[str], truths: dict[str, Any], feats: dict[Any, Any]) -> str:
    """Bands, lrkit's default suggestions (3 seeds) and the test's cost against one training run."""
    default = fb.fixed_rules()[fb.DEFAULT]
    lines = ["| task | one-cycle band | lrkit one-cycle | constant band | lrkit constant | run steps | "
             "test steps (mean) | test / run |", "|" + "---|" * 8]
    for name in names:
        cells = []
        for sched in fb.SCHEDULES:
            lo, hi = truths[name][sched]["grid_band"]
            vals = [default(feats[(name, s)], sched) for s in fb.FINDER_SEEDS]
            cells += [f"[{lo:.2g}, {hi:.2g}]", ", ".join("None" if v is None else f"{v:.2g}" for v in vals)]
        test = sum(len(feats[(name, s)]["result_wide"].lrs) for s in fb.FINDER_SEEDS) / len(fb.FINDER_SEEDS)
        steps = ft.run_steps(ft.BY_NAME[name])
        lines.append(f"| {name} | {' | '.join(cells)} | {steps} | {test:.0f} | {test / steps:.2f} |")
    return "\n".join(lines) + "\n"


def run(second: bool = False) -> dict[str, Any]:
    """Round 4's fresh tasks, or with ``second`` round 5's (a measurement only)."""
    names = [t.name for t in (ft.FRESH2 if second else ft.FRESH)]
    stem = "finder_fresh2" if second else "finder_fresh"
    fb.run_truth(names)
    fb.run_curves(names)
    curves = fb._load(fb.CURVES)
    cache = fb._load(fb.TRUTH)
    truths = {n: fb.truth_of(n, cache) for n in names}
    feats = {(n, s): fc.extra_features(fb.features(curves[f"{n}|{s}"], n))
             for n in names for s in fb.FINDER_SEEDS}
    lines = ["| schedule | rule | fresh in band | none | mean gap | worst gap | runs >3 | runs >10 | "
             "spread median | spread worst |", "|" + "---|" * 10]
    out: dict[str, Any] = {"rows": []}
    peers = {name: fb.fixed_rules()[name] for name in ("fastai minimum*", "fastai valley*", "torch-lr-finder",
                                                         "lightning")}
    for sched, rules in RULES.items():
        rules = {**rules, **{f"(peer) {n}": (lambda f, r=r, sc=sched: r(f, sc)) for n, r in peers.items()}}
        for label, rule in rules.items():
            rows = fb.score_rows(lambda f, sc, rule=rule: rule(f), names, sched, feats, truths)
            s = fb.summarise(rows)
            out["rows"].append({"schedule": sched, "rule": label, "fresh": s, "runs": rows})
            lines.append(f"| {sched} | {label} | {s['in_band']:.0f}% | {s['none']} | {s['mean_gap']:.2f} | "
                         f"{s['worst_gap']:.1f} | {s['over3']} | {s['over10']} | {s['spread_median']:.1f}x | "
                         f"{s['spread_worst']:.1f}x |")
            print(lines[-1], flush=True)
    text = ("\n".join(lines) + "\n\n## Per task (lrkit's default, round 4)\n\n"
            + per_task(names, truths, feats))
    title = ("## Issue 15, round 5: a second set of 16 fresh tasks, measuring the shipped rule (no decision)"
             if second else
             "## Issue 15, round 4: round 3's rules on 16 fresh tasks (pre-registered in finder_fresh.py)")
    (fb.RESULTS / f"{stem}.md").write_text(title + "\n\n" + text)
    (fb.RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=1, default=str))
    return out
