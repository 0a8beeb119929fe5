"""Issue 15: what the range test's length buys -- the suggestion's quality against its cost.

Run through ``python benchmarks/bench_finder_quality.py --suite broad --phase cost`` (needs the
ground truth of all 72 tasks: ``--phase truth``, ``fresh``, ``fresh2``, ``fresh3``). Written to
``results/finder_cost.md`` / ``.json``; the tests it runs are cached in
``results/finder_cost_curves.json`` (not committed; a restart resumes).

A measurement, not a tuning: every rule and constant is the shipped default. For each task and
finder seed, lrkit's test runs as a user would call it, with the default stops and widening:

* ``num_steps=50`` -- half the default length over the same range (twice the rate ratio per step);
* ``num_steps=100, stretch=1`` -- the default before issue 15's round 7: no second test when the
  loss never fell;
* ``num_steps=100`` -- the default (``stretch=3``: a test whose loss never fell runs again with
  three times the steps);
* ``num_steps=100, repeats=3`` -- three tests from the same initial weights (``reset`` between
  them), the median of their suggestions.

Each is scored like the rest of the broad benchmark (in band on the 20-seed ground truth, runs
losing more than 10 points or 10% of the loss, spread over finder seeds) and its cost is the
number of training steps it took, against one training run of the task.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import finder_broad as fb
import finder_tasks as ft

CACHE = fb.RESULTS / "finder_cost_curves.json"
SETTINGS: dict[str, dict[str, Any]] = {
    "num_steps=50": {"num_steps": 50},
    "num_steps=100, stretch=1 (no second test)": {"stretch": 1},
    "num_steps=100 (default, stretch=3)": {},
    "num_steps=100, repeats=3": {"repeats": 3},
}
SETS = {"24 tasks (dev + held-out)": ft.TASKS, "fresh": ft.FRESH, "fresh-2": ft.FRESH2, "fresh-3": ft.FRESH3}


def record(names: list[str], path: Any = CACHE) -> None:
    """Run every setting on every task and finder seed (cached in ``path``)."""
    from lrkit.finder import FinderResult

    cache = fb._load(path)
    for name in names:
        task = ft.BY_NAME[name]
        t0 = time.perf_counter()
        for seed in fb.FINDER_SEEDS:
            for label, kw in SETTINGS.items():
                k = f"{name}|{seed}|{label}"
                if k in cache:
                    continue
                d = fb.core_curve(task, seed, **kw)
                steps = d.pop("steps_taken")
                r = FinderResult.from_dict(d)
                # a test run again with more steps (stretch) took more steps than its result holds
                kept = sum(len(run.lrs) for run in (r.runs or (r,)))
                cache[k] = {"steps": steps, "stretched": steps > kept,
                            **{sc: fb.suggest_or_none(r, "lrkit", sc) for sc in fb.SCHEDULES}}
        fb._save(path, cache)
        print(f"  cost {name:24s} ({time.perf_counter() - t0:5.1f}s)", flush=True)


def _spreads(feats: dict[tuple[str, int], Any], names: list[str], sched: str) -> list[float]:
    """Per task with at least two suggestions over the finder seeds: the largest over the smallest."""
    out = []
    for name in names:
        ok = [feats[(name, s)][sched] for s in fb.FINDER_SEEDS if feats[(name, s)][sched] is not None]
        if len(ok) > 1:
            out.append(max(ok) / min(ok))
    return out


def run() -> dict[str, Any]:
    names = [t.name for tasks in SETS.values() for t in tasks]
    record(names)
    cache = fb._load(CACHE)
    truth_cache = fb._load(fb.TRUTH)
    truths = {n: fb.truth_of(n, truth_cache) for n in names}
    out: dict[str, Any] = {"rows": []}
    lines = ["## Issue 15: the range test's length against the suggestion's quality (shipped rule, 72 tasks)",
             "", "| set | setting | schedule | in band | none | runs >3 | runs >10 | spread median | "
             "spread worst | tasks over 4x | tests run again (stretch) | test steps (median) | "
             "test / run (median) | test / run (max) |", "|" + "---|" * 14]
    for set_name, tasks in {**SETS, "all 72": ft.TASKS + ft.FRESH + ft.FRESH2 + ft.FRESH3}.items():
        set_names = [t.name for t in tasks]
        for label in SETTINGS:
            for sched in fb.SCHEDULES:
                feats = {(n, s): cache[f"{n}|{s}|{label}"] for n in set_names for s in fb.FINDER_SEEDS}
                rows = fb.score_rows(lambda f, sc: f[sc], set_names, sched, feats, truths)
                summ = fb.summarise(rows)
                ratios = [feats[(n, s)]["steps"] / ft.run_steps(ft.BY_NAME[n])
                          for n in set_names for s in fb.FINDER_SEEDS]
                steps = statistics.median(feats[k]["steps"] for k in feats)
                out["rows"].append({"set": set_name, "setting": label, "schedule": sched, **summ,
                                    "steps_median": steps, "ratio_median": statistics.median(ratios),
                                    "ratio_max": max(ratios)})
                spreads = _spreads(feats, set_names, sched)
                worst, over4 = max(spreads), sum(x > 4 for x in spreads)
                stretched = sum(bool(f.get("stretched")) for f in feats.values())
                out["rows"][-1].update(spread_worst_with_two=worst, over4=over4, n_spread=len(spreads),
                                       stretched=stretched)
                lines.append(f"| {set_name} | {label} | {sched} | {summ['in_band']:.0f}% | {summ['none']} | "
                             f"{summ['over3']} | {summ['over10']} | {summ['spread_median']:.1f}x | "
                             f"{worst:.1f}x | "
                             f"{over4} of {len(spreads)} | {stretched} of {len(feats)} | {steps:.0f} | "
                             f"{statistics.median(ratios):.2f} | {max(ratios):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (fb.RESULTS / "finder_cost.md").write_text(text)
    (fb.RESULTS / "finder_cost.json").write_text(json.dumps(out, indent=1, default=str))
    return out
