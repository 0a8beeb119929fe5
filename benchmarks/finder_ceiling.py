"""Issue 15, round 6: how far can *any* reading of the range test go on this suite?

Run through ``python benchmarks/bench_finder_quality.py --suite broad --phase ceiling`` (needs the
ground truth and the recorded curves of all 56 tasks: ``--phase curves``, ``fresh``, ``fresh2``).
Written to ``results/finder_ceiling.md`` / ``.json``.

After five rounds the shipped rule is in band 62% / 68% (one-cycle / constant) on tasks it never
saw, against the issue's 90%. Round 6 asks whether a better rule *exists* before searching for
one. All 56 tasks (development, held-out and both fresh sets) have been read, so this round
chooses nothing: it measures bounds, and every figure below is either an upper bound (fitted on
the task it is scored on) or leave-one-task-out (fitted on the other 55).

* **Per-task oracle.** For each task alone, the best rule of the two-reading family
  :math:`\\eta = \\eta_e^{1-a}\\,\\eta_{1/2}^{a} / d` (the breakdown edge and the half-descent point
  of :mod:`lrkit.finder.rules`; the shipped one-cycle rule is :math:`a=0, d=5`, the constant one
  :math:`a=\\tfrac12, d=6`), with ``a`` and ``d`` chosen *on that task's own three runs*. What is
  left is the seed-to-seed noise of the curve and the runs with no reading at all: no rule of the
  family can do better, whatever its constants.
* **One rule for all tasks**: the family's best ``(a, d)`` in-sample (fitted and scored on all 56)
  and leave-one-task-out.
* **Regressions in log rate, leave-one-task-out**: the middle of the band regressed on the two
  readings, then also on what a user knows before the test (optimizer family, regression or
  classification, batch size, training-set size, training length in steps), and on those
  descriptors alone -- no range test at all.
* **What the ideal divisor follows**: the correlation over tasks of the divisor that would have put
  each task in the middle of its band with the task's descriptors (for instance whether a longer
  run wants a smaller rate).
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import finder_broad as fb
import finder_candidates as fc
import finder_tasks as ft
import numpy as np

EXPONENTS = tuple(float(a) for a in np.round(np.arange(0.0, 1.51, 0.125), 3))  # a: weight of the half-descent
DIVISORS = tuple(float(10.0 ** e) for e in np.round(np.arange(-1.5, 2.51, 0.05), 2))  # d: 0.03 .. 316
SHIPPED = {"one_cycle": (0.0, 5.0), "constant": (0.5, 6.0)}


def rows() -> list[dict[str, Any]]:
    """One row per task x finder seed x schedule: the two readings (``None`` without a window or
    with a censored edge), the bounds the library keeps a value within, the shipped suggestion, the
    band and the task's descriptors."""
    names = [t.name for t in ft.TASKS + ft.FRESH + ft.FRESH2]
    curves = fb._load(fb.CURVES)
    cache = fb._load(fb.TRUTH)
    out = []
    for name in names:
        truth = fb.truth_of(name, cache)
        for seed in fb.FINDER_SEEDS:
            f = fc.extra_features(fb.features(curves[f"{name}|{seed}"], name))
            for sched in fb.SCHEDULES:
                lo, hi = truth[sched]["band"]
                out.append({**row_of(f, name), "seed": seed, "schedule": sched, "lo": lo, "hi": hi,
                            "shipped": fb.suggest_or_none(f["result_wide"], "lrkit", sched)})
    return out


def row_of(f: dict[str, Any], name: str) -> dict[str, Any]:
    """The readings of one recorded test (``finder_candidates.extra_features``) and the task's
    descriptors."""
    task = ft.BY_NAME[name]
    return {"task": name, "edge": f["edge"], "half": f["descent"][0.5], "cap": f["cap"], "first": f["first"],
            "adaptive": float(task.opt in fc.ADAPTIVE), "regression": float(task.regression),
            "batch": task.batch, "n_train": len(ft.data(task.data)[0]), "steps": ft.run_steps(task),
            "epochs": task.epochs}


def _read(r: dict[str, Any]) -> bool:
    return r["edge"] is not None and r["half"] is not None


def _kept(r: dict[str, Any], v: float) -> float | None:
    """A value kept below the centred minimum and above the first rate, as the library does."""
    v = min(v, r["cap"])
    return v if v > r["first"] * (1 + 1e-9) else None


def family(r: dict[str, Any], a: float, d: float) -> float | None:
    """:math:`\\eta_e^{1-a}\\,\\eta_{1/2}^{a} / d`, kept within the window."""
    if not _read(r):
        return None
    return _kept(r, math.exp((1 - a) * math.log(r["edge"]) + a * math.log(r["half"])) / d)


def hit(r: dict[str, Any], v: float | None) -> bool:
    return v is not None and fb.in_band(v, (r["lo"], r["hi"]))


def _by_task(rs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rs:
        by[r["task"]].append(r)
    return by


def family_scores(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """In band (share of runs): the per-task oracle, the best single (a, d) in-sample, and
    leave-one-task-out (the (a, d) with most hits on the other tasks; ties to the middle one)."""
    by = _by_task(rs)
    table = {(a, d): {t: sum(hit(r, family(r, a, d)) for r in runs) for t, runs in by.items()}
             for a in EXPONENTS for d in DIVISORS}
    total = {k: sum(v.values()) for k, v in table.items()}
    best = max(total, key=lambda k: total[k])
    loo = 0
    for t in by:
        rest = {k: total[k] - table[k][t] for k in table}
        top = max(rest.values())
        tied = [k for k in table if rest[k] == top]
        loo += table[tied[len(tied) // 2]][t]
    oracle = sum(max(table[k][t] for k in table) for t in by)
    with_reading = sum(_read(r) for r in rs)
    n = len(rs)
    return {"n": n, "with_reading": with_reading, "oracle": oracle / n, "oracle_read": oracle / with_reading,
            "best": best, "best_in_sample": total[best] / n, "loo": loo / n,
            "shipped_family": total.get(SHIPPED[rs[0]["schedule"]], math.nan) / n
            if SHIPPED[rs[0]["schedule"]] in total else math.nan,
            "shipped": sum(hit(r, r["shipped"]) for r in rs) / n}


def _mid(r: dict[str, Any]) -> float:
    return (math.log10(r["lo"]) + math.log10(r["hi"])) / 2


def _descriptors(r: dict[str, Any]) -> list[float]:
    return [r["adaptive"], r["regression"], math.log10(r["batch"]), math.log10(r["n_train"]),
            math.log10(r["steps"])]


DESIGNS: dict[str, tuple[bool, Callable[[dict[str, Any]], list[float]]]] = {
    # name -> (reads the range test, features)
    "the two readings (log edge, log half-descent)": (
        True, lambda r: [1.0, math.log10(r["edge"]), math.log10(r["half"])]),
    "+ optimizer family, regression or not": (
        True, lambda r: [1.0, math.log10(r["edge"]), math.log10(r["half"]), r["adaptive"], r["regression"]]),
    "+ batch, training-set size, run length": (
        True, lambda r: [1.0, math.log10(r["edge"]), math.log10(r["half"])] + _descriptors(r)),
    "descriptors alone (no range test)": (False, lambda r: [1.0] + _descriptors(r)),
}


def fit(rs: list[dict[str, Any]], design: str) -> np.ndarray:
    """Least-squares coefficients of the band's middle (log10 rate) on ``design``, over the runs of
    ``rs`` (those with a reading when the design reads the range test)."""
    reads, fx = DESIGNS[design]
    train = [r for r in rs if _read(r) or not reads]
    x, y = np.array([fx(r) for r in train]), np.array([_mid(r) for r in train])
    return np.linalg.lstsq(x, y, rcond=None)[0]


def predict(r: dict[str, Any], design: str, beta: np.ndarray) -> float | None:
    """The fitted rate for one run (kept within the window when the design reads the range test;
    ``None`` without a reading)."""
    reads, fx = DESIGNS[design]
    if reads and not _read(r):
        return None
    v = 10.0 ** float(np.array(fx(r)) @ beta)
    return _kept(r, v) if reads else v


def regression_loo(rs: list[dict[str, Any]], design: str) -> float:
    """In band, leave-one-task-out, of the band's middle (log rate) regressed by least squares on
    ``design`` over the other tasks' runs with a reading; runs with no reading count as misses when
    the design reads the range test."""
    hits = 0
    for t, runs in _by_task(rs).items():
        beta = fit([r for r in rs if r["task"] != t], design)
        hits += sum(hit(r, predict(r, design, beta)) for r in runs)
    return hits / len(rs)


def ideal_divisor_correlations(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """Over tasks: the mean log divisor that would put the shipped reading in the band's middle,
    its spread, and its correlation with each descriptor and with the readings' ratio."""
    a, _ = SHIPPED[rs[0]["schedule"]]
    by = _by_task([r for r in rs if _read(r)])
    ideal, desc = [], defaultdict(list)
    for runs in by.values():
        ideal.append(statistics.fmean(
            (1 - a) * math.log10(r["edge"]) + a * math.log10(r["half"]) - _mid(r) for r in runs))
        r0 = runs[0]
        for k, v in (("log run length (steps)", math.log10(r0["steps"])),
                     ("log epochs", math.log10(r0["epochs"])),
                     ("log batch size", math.log10(r0["batch"])),
                     ("log training-set size", math.log10(r0["n_train"])),
                     ("adaptive optimizer", r0["adaptive"]), ("regression", r0["regression"]),
                     ("log edge / half-descent", statistics.fmean(
                         math.log10(r["edge"] / r["half"]) for r in runs))):
            desc[k].append(v)
    y = np.array(ideal)
    return {"mean": float(y.mean()), "sd": float(y.std()),
            "corr": {k: float(np.corrcoef(np.array(v), y)[0, 1]) for k, v in desc.items()}}


def band_width(rs: list[dict[str, Any]]) -> float:
    return float(statistics.median(math.log10(r["hi"] / r["lo"]) for r in rs))


def within_task_edge_sd(rs: list[dict[str, Any]]) -> tuple[float, float]:
    sds = [float(np.std([math.log10(r["edge"]) for r in runs]))
           for runs in _by_task([r for r in rs if _read(r)]).values() if len(runs) > 1]
    return float(statistics.median(sds)), max(sds)


def run() -> dict[str, Any]:
    every = rows()
    out: dict[str, Any] = {}
    lines = ["## Issue 15, round 6: the ceiling of a range-test reading on the 56 tasks of the broad suite",
             "", "All 56 tasks (development, held-out, both fresh sets); 3 finder seeds each, 168 runs per "
             "schedule. In band = share of runs. Nothing here chooses a rule: in-sample figures are upper "
             "bounds, leave-one-task-out (LOO) figures are fitted on the other 55 tasks.", "",
             "| schedule | shipped rule | family, one (a, d) in-sample | family LOO | per-task oracle | "
             "oracle, runs with a reading | runs with no reading |", "|" + "---|" * 7]
    for sched in fb.SCHEDULES:
        rs = [r for r in every if r["schedule"] == sched]
        fam = family_scores(rs)
        regs = {d: regression_loo(rs, d) for d in DESIGNS}
        corr = ideal_divisor_correlations(rs)
        med_sd, max_sd = within_task_edge_sd(rs)
        out[sched] = {"family": {k: (list(v) if isinstance(v, tuple) else v) for k, v in fam.items()},
                      "regressions_loo": regs, "ideal_divisor": corr, "band_width_decades": band_width(rs),
                      "edge_sd_within_task": [med_sd, max_sd]}
        a, d = fam["best"]
        lines.append(f"| {sched} | {fam['shipped']:.0%} | {fam['best_in_sample']:.0%} (a={a:g}, d={d:.2g}) | "
                     f"{fam['loo']:.0%} | {fam['oracle']:.0%} | {fam['oracle_read']:.0%} | "
                     f"{fam['n'] - fam['with_reading']} of {fam['n']} |")
    lines += ["", "Regressions of the band's middle (log rate), leave-one-task-out:", "",
              "| schedule | " + " | ".join(DESIGNS) + " |", "|" + "---|" * (len(DESIGNS) + 1)]
    for sched in fb.SCHEDULES:
        cells = " | ".join(f"{out[sched]['regressions_loo'][d]:.0%}" for d in DESIGNS)
        lines.append(f"| {sched} | {cells} |")
    keys = list(out["one_cycle"]["ideal_divisor"]["corr"])
    lines += ["", "The divisor that would put each task's reading in the middle of its band (log10, per "
              "task; the shipped reading of each schedule): its spread over tasks and its correlation with "
              "the task's descriptors:", "",
              "| schedule | mean log divisor | sd over tasks (decades) | median band width (decades) | "
              "edge sd over seeds (median / max) | " + " | ".join(keys) + " |",
              "|" + "---|" * (len(keys) + 5)]
    for sched in fb.SCHEDULES:
        c = out[sched]["ideal_divisor"]
        med_sd, max_sd = out[sched]["edge_sd_within_task"]
        corr = " | ".join(f"{c['corr'][k]:+.2f}" for k in keys)
        width = out[sched]["band_width_decades"]
        lines.append(f"| {sched} | {c['mean']:.2f} | {c['sd']:.2f} | {width:.2f} | "
                     f"{med_sd:.2f} / {max_sd:.2f} | {corr} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (fb.RESULTS / "finder_ceiling.md").write_text(text)
    (fb.RESULTS / "finder_ceiling.json").write_text(json.dumps(out, indent=1))
    return out
