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

Round 7 (``--phase fresh3``; pre-registered: committed before the ground truth of its tasks was
computed): 16 more tasks (:data:`finder_tasks.FRESH3`), added after round 6
(:mod:`finder_ceiling`) had measured, on all 56 earlier tasks, what any reading of the test can
reach. Rules scored:

* **A** -- the shipped default (one-cycle: edge / 5; constant: ``sqrt(edge x half-descent) / 6``).
* **D** -- round 6's best single rule of the two-reading family on all 56 tasks,
  ``edge^(1-a) x half-descent^a / d``: one-cycle ``a = 0.375, d = 2`` (68% in-sample, 66%
  leave-one-task-out, against A's 60%); constant ``a = 0.5, d = 5`` (74% / 71%, A 72%).
* **E** (measurement only: it needs what the library is not told) -- round 6's regression of the
  band's middle on the two readings plus optimizer family, regression or not, batch size,
  training-set size and run length, fitted on all 56 tasks (leave-one-task-out 69% / 69%);
  and **F**, the same on the descriptors alone, no range test (61% / 66%).
* Decision: D replaces A for a target when, on these 16 tasks, it is in band at least 8 points
  more often than A and has no more runs losing more than 10 points (or 10% of the loss).
  Otherwise the default stays. Every rule's score is reported either way.
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


def _family(f: dict[str, Any], a: float, d: float) -> float | None:
    """Round 6's two-reading family, ``edge^(1-a) x half-descent^a / d``, kept within the window."""
    if f["edge"] is None or f["descent"][0.5] is None:
        return None
    return fb._bounded(f, math.exp((1 - a) * math.log(f["edge"]) + a * math.log(f["descent"][0.5])) / d)


def round7_rules() -> dict[str, dict[str, Any]]:
    """Round 7's pre-registered rules (A and D), and E and F fitted on the 56 earlier tasks; each
    rule takes (features, task name)."""
    import finder_ceiling as fcl

    every = fcl.rows()
    rules: dict[str, dict[str, Any]] = {}
    shipped = fb.fixed_rules()[fb.DEFAULT]
    for sched, (a, d) in (("one_cycle", (0.375, 2.0)), ("constant", (0.5, 5.0))):
        rows = [r for r in every if r["schedule"] == sched]
        e_design, f_design = "+ batch, training-set size, run length", "descriptors alone (no range test)"
        beta_e, beta_f = fcl.fit(rows, e_design), fcl.fit(rows, f_design)
        rules[sched] = {
            "A: the shipped default": lambda f, n, sc=sched: shipped(f, sc),
            f"D: edge^{1 - a:g} x half-descent^{a:g} / {d:g}": lambda f, n, a=a, d=d: _family(f, a, d),
            "E: regression on the readings + descriptors (measurement only)":
                lambda f, n, b=beta_e, de=e_design: fcl.predict(fcl.row_of(f, n), de, b),
            "F: regression on the descriptors alone, no test (measurement only)":
                lambda f, n, b=beta_f, de=f_design: fcl.predict(fcl.row_of(f, n), de, b),
        }
    return rules


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


SETS = {"fresh": ft.FRESH, "fresh2": ft.FRESH2, "fresh3": ft.FRESH3}
TITLES = {
    "fresh": "## Issue 15, round 4: round 3's rules on 16 fresh tasks (pre-registered in finder_fresh.py)",
    "fresh2": "## Issue 15, round 5: a second set of 16 fresh tasks, measuring the shipped rule "
              "(no decision)",
    "fresh3": "## Issue 15, round 7: round 6's rule on a third set of 16 fresh tasks (pre-registered in "
              "finder_fresh.py)",
}


def run(which: str = "fresh") -> dict[str, Any]:
    """Round 4's fresh tasks (``fresh``), round 5's (``fresh2``, a measurement only) or round 7's
    (``fresh3``)."""
    names = [t.name for t in SETS[which]]
    stem = f"finder_{which}"
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
    if which == "fresh3":
        named = round7_rules()
    else:
        named = {sc: {label: (lambda f, _n, r=r: r(f)) for label, r in rules.items()}
                 for sc, rules in RULES.items()}
    for sched, rules in named.items():
        rules = {**rules,
                 **{f"(peer) {n}": (lambda f, _n, r=r, sc=sched: r(f, sc)) for n, r in peers.items()}}
        for label, rule in rules.items():
            rows = fb.score_rows(rule, names, sched, feats, truths, with_name=True)
            s = fb.summarise(rows)
            out["rows"].append({"schedule": sched, "rule": label, "fresh": s, "runs": rows})
            lines.append(f"| {sched} | {label} | {s['in_band']:.0f}% | {s['none']} | {s['mean_gap']:.2f} | "
                         f"{s['worst_gap']:.1f} | {s['over3']} | {s['over10']} | {s['spread_median']:.1f}x | "
                         f"{s['spread_worst']:.1f}x |")
            print(lines[-1], flush=True)
    text = ("\n".join(lines) + "\n\n## Per task (lrkit's default, round 4)\n\n"
            + per_task(names, truths, feats))
    (fb.RESULTS / f"{stem}.md").write_text(TITLES[which] + "\n\n" + text)
    (fb.RESULTS / f"{stem}.json").write_text(json.dumps(out, indent=1, default=str))
    return out
