"""An outside check of issue 15's second-round candidates on the issue-5 tasks (longer runs).

The broad suite's runs are short (50-440 steps, sized for a shared CPU); the twelve issue-5 tasks
(``bench_finder_quality.py``: digits MLP/CNN, breast-cancer MLP, wine MLP, digits logistic
regression, a synthetic MLP; SGD with momentum and Adam; batch 64, 30 epochs = 330-990 steps) have
a ground truth of their own (13 rates x 3 seeds, ``results/finder_ground_truth.json``). Nothing here
is tuned: the candidates' constants are the ones chosen on the broad suite's development half.

Run: ``python benchmarks/bench_finder_quality.py --suite broad --phase issue5``. Records lrkit's
range test (and the settled sweep) for 3 finder seeds per task in the local cache
``results/finder_issue5_curves.json`` (gitignored like the other curve caches) and writes
``results/finder_issue5_check.md``.
"""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

import bench_finder_quality as bq
import finder_broad as fb
import finder_candidates as fc
import numpy as np
import torch

from lrkit.finder import FinderResult

CURVES = fb.RESULTS / "finder_issue5_curves.json"
SEEDS = (0, 1, 2)


def _curve(task: str, seed: int, **kw: Any) -> dict[str, Any]:
    model_name, opt_name = task.rsplit("_", 1)
    model = bq.build(model_name, seed)
    opt = bq.make_opt(opt_name, model.parameters(), 1e-7)
    return fb.torch_core_test(model, opt, bq.batches(model_name, 1000 + seed),
                              torch.nn.CrossEntropyLoss(), **kw)


def features(c: dict[str, Any], task: str) -> dict[str, Any]:
    ours = fb.replay(c["open_wide"])
    settled = FinderResult.from_dict(c["settled"])
    f: dict[str, Any] = {"result": ours, "result_wide": fb.replay(c["open_wide"], widen=2.0),
                         "kind": "sgd" if task.endswith("_sgd") else "adaptive",
                         "settled_result": settled,
                         "trained_edge": settled.settled.trained_edge if settled.settled else None}
    f.update(fc.edge_features(ours))
    return fc.extra_features(f)


def run() -> None:
    curves = fb._load(CURVES)
    tasks = bq.tasks(False, "issue") + bq.tasks(False, "heldout")
    for task in tasks:
        for seed in SEEDS:
            c = curves.setdefault(f"{task}|{seed}", {})
            if "open_wide" not in c:
                c["open_wide"] = _curve(task, seed, spike=1e12, widen=0, end=10.0 * fb.RATIO ** 25,
                                        num_steps=125)
            if c.get("settled", {}).get("settled") is None:  # the settled sweep runs only when asked
                c["settled"] = _curve(task, seed, target="constant", settle=True)
        fb._save(CURVES, curves)
        print(f"  issue-5 curves {task}", flush=True)
    cache = bq.load_cache()
    grid = bq.grid(False)
    truth = {}
    for task in tasks:
        for sched in fb.SCHEDULES:
            means = [statistics.fmean(cache[bq.key(task, sched, float(lr), s)] for s in range(3))
                     for lr in grid]
            best = max(means)
            band = [float(lr) for lr, m in zip(grid, means) if m >= best - 1.0]
            half = math.sqrt(float(grid[1] / grid[0]))  # rounds to a band rate of this grid
            truth[(task, sched)] = {"means": means, "best": best,
                                    "band": (min(band) / half, max(band) * half)}
    feats = {(t, s): features(curves[f"{t}|{s}"], t) for t in tasks for s in SEEDS}
    x = np.log10(grid)
    cands: list[tuple[str, str, Any]] = [
        ("lrkit default (round 4: widen=2; constant sqrt(edge x half-descent) / 6)", "",
         lambda f, t, sc: fb.suggest_or_none(f["result_wide"], "lrkit", sc)),
        ("lrkit, widen=0", "", lambda f, t, sc: fb.suggest_or_none(f["result"], "lrkit", sc)),
        ("round-2 default (constant: median(edge/5, minimum/10, valley) / 1.5), widen=2", "",
         lambda f, t, sc: fb.suggest_or_none(f["result_wide"], "lrkit", sc) if sc == "one_cycle"
         else fb.round2_constant(f)),
        ("lrkit:settled (round-1 constant rule)", "", lambda f, t, sc: fb.suggest_or_none(
            f["settled_result"] if sc == "constant" else f["result"],
            "settled" if sc == "constant" else "lrkit",
            sc)),
    ]
    lines = ["| candidate | schedule | constants | in band | mean gap | worst gap | runs >3 | runs >10 |",
             "|" + "---|" * 8]
    dev = json.loads((fb.RESULTS / "finder_broad_candidates.json").read_text()) if (
        fb.RESULTS / "finder_broad_candidates.json").exists() else {"rows": []}
    tuned = {(r["candidate"], r["schedule"]): tuple(r["constants"]) for r in dev["rows"]}
    for sched in fb.SCHEDULES:
        rows = list(cands)
        for fam, (_, rule) in fc.families(sched).items():
            if (fam, sched) in tuned:
                consts = tuned[(fam, sched)]
                rows.append((fam, ", ".join(f"{v:g}" for v in consts),
                             lambda f, t, sc, rule=rule, consts=consts: rule(f, t, consts)))
        for name, const, rule in rows:
            gaps, inb = [], 0
            for task in tasks:
                t = truth[(task, sched)]
                for seed in SEEDS:
                    lr = rule(feats[(task, seed)], task, sched)
                    if lr is None:
                        gaps.append(math.inf)
                        continue
                    gaps.append(t["best"] - float(np.interp(math.log10(lr), x, t["means"])))
                    inb += t["band"][0] <= lr <= t["band"][1]
            finite = [g for g in gaps if math.isfinite(g)]
            mean = statistics.fmean(finite) if finite else math.inf  # no suggestion at all: inf
            lines.append(f"| {name} | {sched} | {const} | {100 * inb / len(gaps):.0f}% | "
                         f"{mean:.2f} | {max(gaps):.1f} | {sum(g > 3 for g in gaps)} | "
                         f"{sum(g > 10 for g in gaps)} |")
            print(lines[-1], flush=True)
    (fb.RESULTS / "finder_issue5_check.md").write_text(
        "## Issue-5 tasks (30 epochs, 330-990 steps): the candidates at their broad-dev constants\n\n"
        "12 tasks x 3 finder seeds = 36 runs per row; gaps interpolated on the issue-5 ground truth.\n\n"
        + "\n".join(lines) + "\n")
